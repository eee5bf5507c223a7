"""HTTP requests to TikTok, the way TikTok's web client makes them.

One :class:`TikTokHTTP` per client wraps an ``httpx.AsyncClient`` (injectable,
so tests and users can bring their own transport) and adds:

* the web client's default query parameters and headers (a real browser
  ``User-Agent`` starting with ``Mozilla/``);
* cookies kept in the client's jar across requests;
* signing of the requests that need it (see :mod:`pytiktoklive._signing`);
* one mapping from HTTP failures to the exception tree: 429 →
  :class:`~pytiktoklive.errors.RateLimitError` (``retry_after`` from
  ``Retry-After``), any other status ≥ 400 →
  :class:`~pytiktoklive.errors.HTTPStatusError`, network failures →
  :class:`~pytiktoklive.errors.RequestError`;
* request logging (``log_requests``): status, endpoint and a truncated body, redacted;
* bounds (:mod:`pytiktoklive._receive`): every body is streamed and capped by its kind's
  limit in :class:`~pytiktoklive.limits.HTTPLimits`, counted after decompression
  (:class:`~pytiktoklive.errors.ResponseTooLargeError`); every request, redirects
  included, has one overall deadline; secrets never follow a redirect to another origin.

httpx itself decodes ``gzip`` and ``deflate`` bodies.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Dict, Mapping, Optional, Set, Tuple

import httpx

from pytiktoklive._cookies import cookie_header
from pytiktoklive._log import Reporter
from pytiktoklive._parse import load_json, off_loop
from pytiktoklive._proxy import ProxySettings, certificate_problem, http_proxy_for, shown_proxy
from pytiktoklive._receive import receive, same_origin
from pytiktoklive._redact import redact
from pytiktoklive._retry import parse_retry_after
from pytiktoklive._signing import Signer
from pytiktoklive.config import Endpoints
from pytiktoklive.errors import (
    HTTPStatusError,
    RateLimitError,
    RequestError,
    SignerError,
    TLSVerificationError,
)
from pytiktoklive.limits import DEFAULT_HTTP_LIMITS, HTTPLimits

__all__ = [
    "DEFAULT_USER_AGENT",
    "TikTokHTTP",
    "default_headers",
    "default_params",
]

#: A current desktop Chrome. TikTok serves less (or nothing) to clients that do not look like a browser.
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)

_LOGGED_BODY_CHARS = 300


def default_params(user_agent: str, www: str) -> Dict[str, str]:
    """The web client's query parameters for ``webcast`` requests (research §1.3)."""
    browser_name, _, browser_version = user_agent.partition("/")
    return {
        "aid": "1988",
        "app_language": "en-US",
        "app_name": "tiktok_web",
        "browser_language": "en",
        "browser_name": browser_name,
        "browser_online": "true",
        "browser_platform": "Win32",
        "browser_version": browser_version,
        "cookie_enabled": "true",
        "device_platform": "web",
        "focus_state": "true",
        "from_page": "user",
        "history_len": "4",
        "is_fullscreen": "false",
        "is_page_visible": "true",
        "did_rule": "3",
        "fetch_rule": "1",
        "identity": "audience",
        "last_rtt": "0",
        "live_id": "12",
        "resp_content_type": "protobuf",
        "screen_height": "1152",
        "screen_width": "2048",
        "tz_name": "Europe/Berlin",
        "referer": www + "/",
        "root_referer": www + "/",
        "version_code": "180800",
        "webcast_sdk_version": "1.3.0",
        "update_version_code": "1.3.0",
    }


def default_headers(user_agent: str, www: str) -> Dict[str, str]:
    """The web client's request headers."""
    return {
        "User-Agent": user_agent,
        "Accept": "text/html,application/json,application/protobuf",
        "Accept-Language": "en-US,en;q=0.9",
        "Accept-Encoding": "gzip, deflate",
        "Cache-Control": "max-age=0",
        "Referer": www + "/",
        "Origin": www,
    }


def _endpoint_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path or "/"


def _describe_body(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type", "")
    if "protobuf" in content_type or "octet-stream" in content_type:
        return f"<{len(response.content)} bytes of {content_type}>"
    text = response.text
    if len(text) > _LOGGED_BODY_CHARS:
        return text[:_LOGGED_BODY_CHARS] + f"… ({len(text)} chars)"
    return text


class TikTokHTTP:
    """Requests to TikTok's web host and WebCast API, with the web client's fingerprint."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        endpoints: Endpoints,
        reporter: Reporter,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        extra_params: Optional[Mapping[str, str]] = None,
        log_requests: bool = False,
        limits: HTTPLimits = DEFAULT_HTTP_LIMITS,
        deadline: Optional[float] = None,
    ) -> None:
        self.client = client
        #: Bytes per answer, redirects, parsing off the loop.
        self.limits = limits
        #: Seconds a whole request may take (None: no overall deadline).
        self.deadline = deadline
        self.endpoints = endpoints
        self.reporter = reporter
        self.user_agent = user_agent
        self.log_requests = log_requests
        self.params = default_params(user_agent, endpoints.www)
        if extra_params:
            self.params.update(extra_params)
        self.headers = default_headers(user_agent, endpoints.www)
        #: ``params`` as last encoded, and their encoding (:meth:`_with_webcast_query`).
        self._encoded_params: Tuple[Dict[str, str], str] = ({}, "")
        self._cookie_domains: Tuple[Tuple[str, str], Set[str]] = (("", ""), set())
        #: The proxies of ``client`` (None: unknown, a client of the user's); named in failures.
        self.proxies: Optional[ProxySettings] = None
        #: The User-Agent a signer signed for: the websocket presents it too.
        self.signed_user_agent: Optional[str] = None

    # ------------------------------------------------------------------ requests

    async def get(
        self,
        url: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        error_prefix: str = "",
        kind: str = "json",
        method: str = "GET",
    ) -> httpx.Response:
        """GET (or ``method``) ``url``; map failures to the exception tree; return a response with
        status < 400 whose body (at most ``limits`` allow for ``kind``) has been read."""
        merged_headers = dict(self.headers)
        if headers:
            merged_headers.update(headers)
        try:
            response = await receive(
                self.client,
                url,
                params=params,
                headers=merged_headers,
                kind=kind,
                max_bytes=self.limits.bytes_for(kind),
                deadline=self.deadline,
                max_redirects=self.limits.max_redirects,
                method=method,
            )
        except httpx.HTTPError as exc:
            shown_url = redact(str(httpx.URL(url, params=params)))
            # A failing proxy is the usual cause when one is set: say which.
            proxy = http_proxy_for(self.proxies, url) if self.proxies else None
            request_to = f"request to {shown_url}" + (
                f" through the proxy {shown_proxy(proxy)}" if proxy else ""
            )
            if isinstance(exc, httpx.TimeoutException):
                raise RequestError(f"{error_prefix}{request_to} timed out", url=shown_url) from exc
            problem = certificate_problem(exc)
            if problem is not None:
                raise TLSVerificationError(
                    f"{error_prefix}{request_to} failed: {problem}", url=shown_url
                ) from exc
            reason = redact(str(exc)) or type(exc).__name__
            raise RequestError(f"{error_prefix}{request_to} failed: {reason}", url=shown_url) from exc
        if response.status_code < 400 and not self.log_requests:
            return response  # the usual case: no message needs the redacted URL (~0.1 ms to build)
        shown_url = redact(str(response.request.url))
        if self.log_requests:
            self.reporter.debug(
                "%s",
                json.dumps(
                    {
                        "status": response.status_code,
                        "endpoint": _endpoint_of(shown_url),
                        "body": _describe_body(response),
                    },
                    ensure_ascii=False,
                ),
                force=True,
            )
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise RateLimitError(
                f"{error_prefix}rate limited by {_endpoint_of(shown_url)} (429)"
                + (f", retry after {retry_after:g}s" if retry_after is not None else ""),
                url=shown_url,
                retry_after=retry_after,
            )
        if response.status_code >= 400:
            raise HTTPStatusError(
                f"{error_prefix}{_endpoint_of(shown_url)} answered {response.status_code}",
                url=shown_url,
                status_code=response.status_code,
            )
        return response

    def www_url(self, path: str) -> str:
        return self.endpoints.www + "/" + path.lstrip("/")

    def webcast_url(self, endpoint: str) -> str:
        return self.endpoints.webcast + "/" + endpoint.lstrip("/")

    async def page(self, path: str, *, params: Optional[Mapping[str, str]] = None) -> httpx.Response:
        """GET a page of the web host (``/@user``, ``/@user/live``)."""
        return await self.get(self.www_url(path), params=params, kind="page")

    async def webcast(
        self,
        endpoint: str,
        params: Optional[Mapping[str, str]] = None,
        *,
        signer: Optional[Signer] = None,
    ) -> httpx.Response:
        """GET a WebCast API endpoint with the default parameters, signed when ``signer`` is given."""
        url = self.webcast_url(endpoint)
        kind = "fetch" if endpoint.strip("/") == "im/fetch" else "json"
        unsigned = self._with_webcast_query(url, params or {})
        if unsigned is None:  # the general case: httpx merges and encodes
            merged = dict(self.params)
            if params:
                merged.update(params)
            if signer is None:
                return await self.get(url, params=merged, kind=kind)
            unsigned = str(httpx.URL(url, params=merged))
        elif signer is None:
            return await self.get(unsigned, kind=kind)
        signed = await signer.sign(unsigned, self.client)
        if not same_origin(httpx.URL(signed.url), httpx.URL(url)):
            # The cookies and session go with the signed request: only to the host it was for.
            raise SignerError(
                f"the signer returned a URL on another host than {redact(url)}: refused",
                url=redact(signed.url),
            )
        for name, value in signed.cookies.items():
            self.client.cookies.set(name, value, domain=httpx.URL(url).host)
        headers = None
        if signed.user_agent:
            self.signed_user_agent = signed.user_agent
            headers = {"User-Agent": signed.user_agent}
        return await self.get(signed.url, headers=headers, kind=kind)

    def _with_webcast_query(self, url: str, params: Mapping[str, str]) -> Optional[str]:
        """``str(httpx.URL(url, params={**self.params, **params}))``, with the ~30 default parameters
        encoded once (while they stay the same) instead of per request; None where httpx's own
        merging must decide (a client with params of its own, a URL with a query, a value that is
        not ``str``, a default replaced)."""
        if self.client.params or "?" in url or "#" in url:
            return None
        if not all(type(value) is str for value in params.values()):
            return None
        snapshot, encoded = self._encoded_params
        if snapshot != self.params:
            if not all(type(name) is str and type(value) is str for name, value in self.params.items()):
                return None
            snapshot, encoded = dict(self.params), urllib.parse.urlencode(self.params)
            self._encoded_params = (snapshot, encoded)
        if any(name in snapshot for name in params):
            return None  # (a replaced default keeps its place in the query)
        query = "&".join(part for part in (encoded, urllib.parse.urlencode(params)) if part)
        return url + "?" + query if query else url

    async def webcast_post(self, endpoint: str, params: Mapping[str, str]) -> Any:
        """POST to a WebCast JSON endpoint (parameters in the query, no body) and parse the answer."""
        merged = dict(self.params)
        merged.update(params)
        return await self.json_of(await self.get(self.webcast_url(endpoint), params=merged, method="POST"))

    def cookie_domains(self) -> set[str]:
        """Where TikTok's cookies go: ``.tiktok.com`` for TikTok's hosts (it also covers the push
        servers, ``webcast*-ws-*.tiktok.com``), else the configured hosts themselves."""
        hosts = (self.endpoints.www, self.endpoints.webcast)
        if hosts != self._cookie_domains[0]:  # worked out once per endpoints (once per client, in practice)
            domains = set()
            for url in hosts:
                host = httpx.URL(url).host
                domains.add(".tiktok.com" if host == "tiktok.com" or host.endswith(".tiktok.com") else host)
            self._cookie_domains = (hosts, domains)
        return set(self._cookie_domains[1])

    def set_cookies(self, cookies: Mapping[str, str]) -> None:
        """Put TikTok cookies (a sign server's ``X-Set-TT-Cookie``, a session) into the jar,
        replacing same-named ones."""
        for domain in self.cookie_domains():
            for name, value in cookies.items():
                self.client.cookies.set(name, value, domain=domain)

    async def webcast_json(self, endpoint: str, params: Optional[Mapping[str, str]] = None) -> Any:
        """GET a WebCast JSON endpoint and return the parsed body."""
        response = await self.webcast(endpoint, params)
        return await self.json_of(response)

    async def json_of(self, response: httpx.Response) -> Any:
        """The parsed JSON body (parsed off the event loop when large); RequestError if it is not JSON."""
        body = response.content
        try:
            return await off_loop(lambda: load_json(body), len(body), self.limits.parse_in_thread_bytes)
        except ValueError as exc:
            shown = redact(str(response.request.url))
            raise RequestError(
                f"{_endpoint_of(shown)} answered with a body that is not JSON "
                f"({len(response.content)} bytes, {response.headers.get('content-type', 'no content-type')})",
                url=shown,
            ) from exc

    def cookie_header(self, url: str) -> str:
        """The ``Cookie`` header the jar would send to ``url`` (``ws``/``wss`` map to ``http``/``https``)."""
        return cookie_header(self.client.cookies.jar, url)
