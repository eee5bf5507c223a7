"""Which proxy each kind of traffic uses.

The rules are the Go original's (research §1.11), so users moving over keep
their setup:

* ``TikTok.set_proxy(url)`` (or ``TikTok(proxy=url)``) wins for everything;
* ``TikTok(websocket_proxy=url)`` gives the websocket a proxy of its own: it wins
  over ``proxy`` and the environment for the websocket only (TikTokLive's
  separate ``web_proxy`` / ``ws_proxy``); a later ``set_proxy`` replaces it;
* otherwise HTTP requests use ``HTTPS_PROXY``, else ``HTTP_PROXY``;
* the websocket uses the same, else ``ALL_PROXY`` — ``ALL_PROXY`` affects the
  websocket only;
* ``NO_PROXY`` exempts hosts from proxies taken from the environment.

``http://``, ``https://``, ``socks5://`` and ``socks5h://`` proxies work for
both kinds of traffic. TLS (to TikTok, and to an ``https://`` proxy) stays
verified unless ``insecure=True`` (for intercepting proxies you trust).

Verification uses the system's trust store (Python's ``ssl`` defaults; the
client's ``httpx`` has ``trust_env`` off, so ``SSL_CERT_FILE`` is not read).
To trust a certificate authority of your own (an intercepting proxy's, a test
server's), pass ``verify``: a PEM file of CA certificates, which then replaces
the system's store, or an ``ssl.SSLContext`` you built. The same context checks
HTTP requests, the websocket and an ``https://`` proxy.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Union

import httpx

from pytiktoklive._cookies import CookieJar
from pytiktoklive._direct import DirectTransport, use_direct_transport

__all__ = [
    "ProxySettings",
    "build_http_client",
    "certificate_problem",
    "http_proxy_for",
    "proxy_ssl",
    "resolve_proxies",
    "shown_proxy",
    "use_websocket_proxy",
    "verify_context",
    "websocket_proxy_for",
    "websocket_ssl",
]

_SCHEMES = ("http", "https", "socks5", "socks5h")

#: What ``TikTok(verify=...)`` accepts: a CA bundle (PEM file) or a ready ``ssl.SSLContext``.
Verify = Union[str, "os.PathLike[str]", ssl.SSLContext]


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
    #: Verifies TLS instead of the system's defaults (ignored with ``insecure``).
    verify: Optional[ssl.SSLContext] = None
    #: The proxy given for the websocket alone (``websocket_proxy``): NO_PROXY does not apply to it.
    websocket_given: Optional[str] = None


def verify_context(verify: Optional[Verify]) -> Optional[ssl.SSLContext]:
    """The context checking certificates against ``verify`` (None: the system's defaults).

    A path is a PEM file of CA certificates that replaces the system's trust store;
    a context is used as it is.
    """
    if verify is None or isinstance(verify, ssl.SSLContext):
        return verify
    path = os.fspath(verify)
    if not os.path.isfile(path):
        raise ValueError(f"verify: no CA certificate file at {path!r}")
    try:
        return ssl.create_default_context(cafile=path)
    except ssl.SSLError as exc:
        raise ValueError(f"verify: {path!r} holds no usable PEM CA certificate ({exc})") from exc


def resolve_proxies(
    explicit: Optional[str] = None,
    *,
    insecure: bool = False,
    environ: Optional[Mapping[str, str]] = None,
    verify: Optional[ssl.SSLContext] = None,
) -> ProxySettings:
    """Apply the rules above to an explicit proxy and the environment."""
    if explicit:
        check_proxy_url(explicit)
        return ProxySettings(explicit, explicit, insecure, verify=verify)
    env = os.environ if environ is None else environ
    http = _env(env, "https_proxy") or _env(env, "http_proxy")
    websocket = http or _env(env, "all_proxy")
    return ProxySettings(
        http,
        websocket,
        insecure,
        from_environment=True,
        no_proxy=_env(env, "no_proxy") or "",
        verify=verify,
    )


def use_websocket_proxy(proxies: ProxySettings, url: str) -> ProxySettings:
    """``proxies`` with the websocket sent through ``url`` instead (HTTP unchanged)."""
    check_proxy_url(url)
    return dataclasses.replace(proxies, websocket=url, websocket_given=url)


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
    proxies: ProxySettings,
    *,
    timeout: float,
    cookies: Optional[httpx.Cookies] = None,
    warn: Optional[Callable[[str], None]] = None,
) -> httpx.AsyncClient:
    """The client's own ``httpx.AsyncClient``, with exactly the proxies the rules choose
    (``warn``: says when its cookie jar drops a cookie to stay bounded).

    ``trust_env`` is off because httpx would also apply ``ALL_PROXY`` to HTTP.
    """
    verify: Union[bool, ssl.SSLContext] = False if proxies.insecure else (proxies.verify or True)
    mounts: Dict[str, Optional[httpx.AsyncBaseTransport]] = {}
    if proxies.http:
        proxy = httpx.Proxy(proxies.http, ssl_context=proxy_ssl(proxies, proxies.http))
        mounts["all://"] = httpx.AsyncHTTPTransport(proxy=proxy, verify=verify)
        if proxies.from_environment and proxies.no_proxy:
            mounts.update(_no_proxy_patterns(proxies.no_proxy))
    jar = CookieJar(warn=warn)  # counts its changes: each request's Cookie header is remembered till the next
    for cookie in cookies.jar if cookies is not None else ():
        jar.set_cookie(cookie)
    # Direct connections have a transport of the client's own (see _direct): proxied ones keep httpx's.
    direct = DirectTransport(
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        max_connections=256,
        max_keepalive=64,
    )
    client = httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        trust_env=False,
        transport=direct,
        mounts=mounts or None,
        cookies=jar,
    )
    if not mounts:
        use_direct_transport(client, direct)
    return client


def websocket_proxy_for(proxies: ProxySettings, url: str) -> Optional[str]:
    """The proxy for a websocket to ``url``, honouring NO_PROXY for environment proxies."""
    if not proxies.websocket:
        return None
    # Compared by value: callers reuse this for HTTP traffic by swapping ``websocket`` (recording).
    if proxies.from_environment and proxies.no_proxy and proxies.websocket != proxies.websocket_given:
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        if _bypassed(host, proxies.no_proxy):
            return None
    return proxies.websocket


def http_proxy_for(proxies: ProxySettings, url: str) -> Optional[str]:
    """The proxy an HTTP request to ``url`` goes through (None: direct), NO_PROXY included."""
    if not proxies.http:
        return None
    if proxies.from_environment and proxies.no_proxy:
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        if _bypassed(host, proxies.no_proxy):
            return None
    return proxies.http


def shown_proxy(url: str) -> str:
    """A proxy URL fit for a message: ``scheme://host:port``, without its user and password."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


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


def _tls_context(proxies: ProxySettings) -> ssl.SSLContext:
    if proxies.verify is not None and not proxies.insecure:
        return proxies.verify
    # The system trust store depends on SSL_CERT_FILE / SSL_CERT_DIR, so those key the cache.
    return _default_context(proxies.insecure, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=8)
def _default_context(insecure: bool, cert_file: Optional[str], cert_dir: Optional[str]) -> ssl.SSLContext:
    """A shared default context: building one loads the whole trust store (~20 ms of blocked
    event loop), which every websocket connect and reconnect of every room would otherwise pay."""
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def websocket_ssl(proxies: ProxySettings, url: str) -> Optional[ssl.SSLContext]:
    """TLS settings for a ``wss`` URL: the HTTP requests' verification (``verify``), or none
    with ``insecure``."""
    if not url.startswith("wss:"):
        return None
    return _tls_context(proxies)


def certificate_problem(exc: BaseException) -> Optional[str]:
    """What is wrong with the server's certificate, when ``exc`` (or its cause) is a failed
    TLS verification; None for any other failure.

    A failed verification is not a network hiccup: retrying cannot help, so callers say so.
    """
    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            reason = current.verify_message or current.reason or str(current)
            return (
                f"TLS certificate verification failed ({reason}); trust the server's CA with "
                "TikTok(verify=CA_FILE), or turn verification off with TikTok(insecure=True)"
            )
        current = current.__cause__ or current.__context__
    return None


def proxy_ssl(proxies: ProxySettings, proxy_url: Optional[str]) -> Optional[ssl.SSLContext]:
    """TLS settings for the connection to an ``https://`` proxy itself (None for other proxies)."""
    if not proxy_url or urllib.parse.urlsplit(proxy_url).scheme.lower() != "https":
        return None
    return _tls_context(proxies)
