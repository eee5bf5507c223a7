"""Which proxy each kind of traffic uses.

The rules are the Go original's (research §1.11), so users moving over keep
their setup:

* ``TikTok.set_proxy(url)`` (or ``TikTok(proxy=url)``) wins for everything;
* otherwise HTTP requests use ``HTTPS_PROXY``, else ``HTTP_PROXY``;
* the websocket uses the same, else ``ALL_PROXY`` — ``ALL_PROXY`` affects the
  websocket only;
* ``NO_PROXY`` exempts hosts from proxies taken from the environment.

``http://``, ``https://``, ``socks5://`` and ``socks5h://`` proxies work for
both kinds of traffic. TLS (to TikTok, and to an ``https://`` proxy) stays
verified unless ``insecure=True`` (for intercepting proxies you trust).
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Dict, Mapping, Optional

import httpx

__all__ = [
    "ProxySettings",
    "build_http_client",
    "proxy_ssl",
    "resolve_proxies",
    "websocket_proxy_for",
    "websocket_ssl",
]

_SCHEMES = ("http", "https", "socks5", "socks5h")


def _env(environ: Mapping[str, str], name: str) -> Optional[str]:
    return environ.get(name.upper()) or environ.get(name.lower()) or None


def check_proxy_url(url: str) -> str:
    """Validate a proxy URL; a clear ValueError for unsupported schemes (a common support question)."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"unsupported proxy scheme {scheme or '(none)'!r}: use one of {', '.join(_SCHEMES)}")
    return url


@dataclass(frozen=True)
class ProxySettings:
    """The proxy of HTTP requests and of the websocket (None: direct)."""

    http: Optional[str] = None
    websocket: Optional[str] = None
    insecure: bool = False
    #: The proxies came from the environment, so NO_PROXY applies.
    from_environment: bool = False
    no_proxy: str = ""


def resolve_proxies(
    explicit: Optional[str] = None, *, insecure: bool = False, environ: Optional[Mapping[str, str]] = None
) -> ProxySettings:
    """Apply the rules above to an explicit proxy and the environment."""
    if explicit:
        check_proxy_url(explicit)
        return ProxySettings(explicit, explicit, insecure)
    env = os.environ if environ is None else environ
    http = _env(env, "https_proxy") or _env(env, "http_proxy")
    websocket = http or _env(env, "all_proxy")
    return ProxySettings(
        http, websocket, insecure, from_environment=True, no_proxy=_env(env, "no_proxy") or ""
    )


def _no_proxy_patterns(no_proxy: str) -> Dict[str, None]:
    """httpx mount patterns that bypass the proxy, one per NO_PROXY entry."""
    patterns: Dict[str, None] = {}
    for entry in (item.strip() for item in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return {"all://": None}
        if "://" in entry:
            patterns[entry] = None
            continue
        try:
            ipaddress.ip_address(entry.strip("[]"))
        except ValueError:
            host = entry.lstrip(".")
            patterns["all://" + host] = None
            patterns["all://*." + host] = None
        else:
            patterns["all://" + entry] = None
    return patterns


def build_http_client(
    proxies: ProxySettings, *, timeout: float, cookies: Optional[httpx.Cookies] = None
) -> httpx.AsyncClient:
    """The client's own ``httpx.AsyncClient``, with exactly the proxies the rules choose.

    ``trust_env`` is off because httpx would also apply ``ALL_PROXY`` to HTTP.
    """
    verify = not proxies.insecure
    mounts: Dict[str, Optional[httpx.AsyncBaseTransport]] = {}
    if proxies.http:
        proxy = httpx.Proxy(proxies.http, ssl_context=proxy_ssl(proxies, proxies.http))
        mounts["all://"] = httpx.AsyncHTTPTransport(proxy=proxy, verify=verify)
        if proxies.from_environment and proxies.no_proxy:
            mounts.update(_no_proxy_patterns(proxies.no_proxy))
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        trust_env=False,
        verify=verify,
        mounts=mounts or None,
        cookies=cookies,
        limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
    )


def websocket_proxy_for(proxies: ProxySettings, url: str) -> Optional[str]:
    """The proxy for a websocket to ``url``, honouring NO_PROXY for environment proxies."""
    if not proxies.websocket:
        return None
    if proxies.from_environment and proxies.no_proxy:
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        if _bypassed(host, proxies.no_proxy):
            return None
    return proxies.websocket


def _bypassed(host: str, no_proxy: str) -> bool:
    """NO_PROXY matching as curl and httpx do it: ``*``, exact hosts and domain suffixes."""
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        domain = entry.split("://", 1)[-1].split(":", 1)[0].lstrip(".")
        if host == domain or host.endswith("." + domain):
            return True
    return False


def _tls_context(insecure: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def websocket_ssl(proxies: ProxySettings, url: str) -> Optional[ssl.SSLContext]:
    """TLS settings for a ``wss`` URL: default verification, or none with ``insecure``."""
    if not url.startswith("wss:"):
        return None
    return _tls_context(proxies.insecure)


def proxy_ssl(proxies: ProxySettings, proxy_url: Optional[str]) -> Optional[ssl.SSLContext]:
    """TLS settings for the connection to an ``https://`` proxy itself (None for other proxies)."""
    if not proxy_url or urllib.parse.urlsplit(proxy_url).scheme.lower() != "https":
        return None
    return _tls_context(proxies.insecure)
