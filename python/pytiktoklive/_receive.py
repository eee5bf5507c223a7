"""Receive one HTTP answer within bounds: bytes, time and redirects.

httpx bounds the time *between* reads and reads bodies whole, so a server sending a
byte a second, or a 1 MB gzip body that inflates to 1 GB, could hold a request for
ever or take gigabytes. :func:`receive` instead

* streams the body and counts the *decoded* bytes, stopping at ``max_bytes`` with
  :class:`~pytiktoklive.errors.ResponseTooLargeError` (nothing past it is read);
* gives the whole request (connect, headers, body, redirects) one ``deadline``;
* follows redirects itself: within the same origin with every header and cookie, to
  another origin only without secrets (no cookies, keys, ``Authorization``) — or not
  at all, when ``refuse_cross_origin`` builds the error to raise instead.

httpx errors (network, per-read timeouts, TLS) propagate unchanged for the caller to map.

Two ways, one behaviour. A request of the client's own client (no proxies: see
:func:`~pytiktoklive._direct.direct_transport`) to a URL httpx would send as it is goes the
*direct* way: its headers are worked out here as httpx would (``Host``, the client's, the
caller's, the jar's ``Cookie``) and sent by :meth:`DirectTransport.exchange`, the body decoded
here (:class:`~pytiktoklive._http11.ContentDecoder`), the cookies it sets put in the jar, and a
:class:`DirectResponse` returned, with no ``httpx.Request``, ``httpx.URL`` or stream wrappers
built (~1 ms of CPU per request less). Any other request goes through ``client.send``. Tests
send each kind of request both ways and compare the bytes on the wire and the answers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
import urllib.request
from typing import Any, Awaitable, Callable, Iterable, List, Mapping, NamedTuple, Optional, Tuple

import httpx

from pytiktoklive._cookies import build_request, cookie_header
from pytiktoklive._direct import DirectTransport, Exchange, direct_transport
from pytiktoklive._http11 import ContentDecoder, Head
from pytiktoklive._redact import SECRET_NAMES, redact
from pytiktoklive.errors import RequestError, ResponseTooLargeError, TikTokLiveError

__all__ = ["DeadlineExceeded", "origin_of", "receive", "same_origin", "with_query"]

_httpx_logger = logging.getLogger("httpx")
# asyncio.timeout (3.11+) bounds the request in the caller's task; wait_for wraps it in a new one.
_timeout = getattr(asyncio, "timeout", None)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_SECRET_HEADERS = frozenset(SECRET_NAMES)
# Headers httpx derives from the body it decoded: the answer handed back is already decoded.
_BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")
_RAW_BODY_HEADERS = tuple(name.encode() for name in _BODY_HEADERS)
# Headers each request works out for itself.
_OWN_HEADERS = frozenset(("host", "content-length", "transfer-encoding"))


class DeadlineExceeded(RequestError):
    """The whole request took longer than its deadline (a :class:`RequestError`, so retried
    like any failed request)."""


def origin_of(url: httpx.URL) -> tuple[str, str, int]:
    """``(scheme, host, port)``: what must match for two URLs to be one origin."""
    scheme = url.scheme.lower()
    return scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme, 0)


def same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return origin_of(a) == origin_of(b)


def _all_str(items: Iterable[Tuple[object, object]]) -> bool:
    return all(type(name) is str and type(value) is str for name, value in items)


def with_query(url: str, params: Mapping[str, str]) -> httpx.URL:
    """``httpx.URL(url, params=params)``, byte for byte, parsed once instead of twice.

    httpx parses the URL, then parses it again with the encoded ``params`` as its query (each
    pass checks every character: ~0.1 ms for a WebCast URL and its ~30 parameters). Encoded
    here the way httpx encodes them (``urllib.parse.urlencode``), then parsed once. Anything
    unusual (a URL with a query or fragment of its own, which ``params`` replace; values that
    are not ``str``, which httpx converts its own way) is left to httpx."""
    joined = _joined(url, params)
    return httpx.URL(url, params=params) if joined is None else httpx.URL(joined)


def _joined(url: str, params: Mapping[str, str]) -> Optional[str]:
    """``url`` with ``params`` as its query, encoded as httpx encodes them; None where httpx must
    decide (see :func:`with_query`)."""
    if "?" in url or "#" in url or not _all_str(params.items()):
        return None
    query = urllib.parse.urlencode(params)
    return url + "?" + query if query else url


def _too_large(url: str, max_bytes: int, kind: str) -> ResponseTooLargeError:
    url = redact(url)
    return ResponseTooLargeError(
        f"{url} answered with a {kind} body over the {kind}_bytes limit of {max_bytes} bytes",
        url=url,
        kind=kind,
        limit=max_bytes,
    )


async def _read_capped(response: httpx.Response, max_bytes: int, kind: str) -> bytes:
    declared = response.headers.get("content-length", "")
    # An honest Content-Length over the limit (of a body sent as is) fails before any read.
    if declared.isdigit() and "content-encoding" not in response.headers and int(declared) > max_bytes:
        raise _too_large(str(response.request.url), max_bytes, kind)
    body = bytearray()
    async for chunk in response.aiter_bytes():  # decoded bytes: gzip and deflate are inflated here
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(str(response.request.url), max_bytes, kind)
    return bytes(body)


def _answer(streamed: httpx.Response, body: bytes) -> httpx.Response:
    """A finished response carrying ``body`` (already decoded) in place of the stream."""
    headers = [
        (name, value) for name, value in streamed.headers.multi_items() if name.lower() not in _BODY_HEADERS
    ]
    return httpx.Response(
        streamed.status_code,
        headers=headers,
        content=body,
        request=streamed.request,
        extensions=streamed.extensions,
    )


def _without_secrets(headers: httpx.Headers) -> List[Tuple[bytes, bytes]]:
    """What a request's headers may carry to another origin (names as they were): no secrets,
    and not its ``Host`` (or body length), which the new request works out for itself."""
    kept = []
    for name, value in headers.raw:
        lowered = name.decode("latin-1").lower()
        if lowered not in _SECRET_HEADERS and lowered not in _OWN_HEADERS:
            kept.append((name, value))
    return kept


async def _exchange(
    client: httpx.AsyncClient,
    request: httpx.Request,
    headers: Mapping[str, str],
    *,
    kind: str,
    max_bytes: int,
    max_redirects: int,
    refuse_cross_origin: Optional[Callable[[str], TikTokLiveError]],
    origin: Optional[httpx.URL] = None,
) -> httpx.Response:
    """Send ``request`` through ``client`` and follow its redirects (``origin``: the first request's
    URL, when this continues a request); the answer with its body read."""
    origin = origin or request.url
    for _ in range(max_redirects + 1):
        streamed = await client.send(request, stream=True, follow_redirects=False)
        try:
            location = streamed.headers.get("location")
            if streamed.is_redirect and location is not None:
                target, same = _redirect_target(request.url, location, origin, refuse_cross_origin)
                request = _redirected_request(client, target, same, headers, request.headers)
                continue
            body = await _read_capped(streamed, max_bytes, kind)
        finally:
            await streamed.aclose()
        return _answer(streamed, body)
    raise _too_many_redirects(str(origin), max_redirects)


def _redirect_target(
    url: httpx.URL,
    location: str,
    origin: httpx.URL,
    refuse_cross_origin: Optional[Callable[[str], TikTokLiveError]],
) -> Tuple[httpx.URL, bool]:
    """Where a redirect from ``url`` to ``location`` leads, and whether that is still the request's
    first ``origin`` (secrets go along only then); raises for a target not to follow."""
    try:
        target = url.join(location)
    except (httpx.InvalidURL, ValueError) as exc:
        shown = redact(str(url))
        raise RequestError(f"{shown} redirected to an invalid URL ({exc})", url=shown) from None
    if target.scheme not in ("http", "https"):
        raise RequestError(
            f"{redact(str(url))} redirected to a {target.scheme!r} URL", url=redact(str(target))
        )
    same = same_origin(target, origin)
    if not same and refuse_cross_origin is not None:
        raise refuse_cross_origin(redact(str(target)))
    return target, same


def _redirected_request(
    client: httpx.AsyncClient, target: httpx.URL, same: bool, headers: Mapping[str, str], sent: httpx.Headers
) -> httpx.Request:
    """The request a redirect to ``target`` makes: within the origin, the caller's ``headers`` and
    the client's (cookies too); beyond it, the headers ``sent`` without secrets, built without the
    client so that the cookie jar adds nothing either."""
    if same:
        return client.build_request("GET", target, headers=headers)
    return httpx.Request("GET", target, headers=_without_secrets(sent))


def _too_many_redirects(origin: str, max_redirects: int) -> RequestError:
    return RequestError(f"{redact(origin)}: more than {max_redirects} redirects", url=redact(origin))


async def receive(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Optional[Mapping[str, str]] = None,
    headers: Optional[Mapping[str, str]] = None,
    kind: str,
    max_bytes: int,
    deadline: Optional[float],
    max_redirects: int = 5,
    refuse_cross_origin: Optional[Callable[[str], TikTokLiveError]] = None,
    method: str = "GET",
) -> httpx.Response:
    """GET (or ``method``) ``url`` and return the answer with its whole (decoded) body read,
    within bounds.

    Raises :class:`ResponseTooLargeError`, :class:`DeadlineExceeded`, ``RequestError`` for
    redirect loops, the error ``refuse_cross_origin`` builds, or httpx's own errors.
    """
    given = dict(headers or {})
    transport = direct_transport(client) if not client.params else None
    full_url = url if params is None else _joined(url, params)
    plain = _plain_url(full_url) if transport is not None and full_url is not None else None
    exchange: Awaitable[httpx.Response]
    if transport is not None and plain is not None and full_url is not None:
        shown_url = full_url
        exchange = _direct_exchange(
            client,
            transport,
            method,
            full_url,
            plain,
            given,
            kind=kind,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            refuse_cross_origin=refuse_cross_origin,
        )
    else:
        if not client.params:
            request = build_request(
                client, method, url if params is None else with_query(url, params), headers
            )
        else:
            # (A client's own params would replace the query of a URL: then httpx merges them.)
            request = client.build_request(method, url, params=params, headers=headers)
        shown_url = str(request.url)
        exchange = _exchange(
            client,
            request,
            given,
            kind=kind,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            refuse_cross_origin=refuse_cross_origin,
        )
    if deadline is None:
        return await exchange
    try:
        if _timeout is not None:  # Python 3.11+: no task of its own, unlike wait_for
            async with _timeout(deadline):
                return await exchange
        return await asyncio.wait_for(exchange, deadline)
    except asyncio.TimeoutError:
        shown = redact(shown_url)
        raise DeadlineExceeded(
            f"request to {shown} did not complete within {deadline:g}s", url=shown
        ) from None


# ---------------------------------------------------------------------- the direct way


class _PlainURL(NamedTuple):
    """An ``http(s)`` URL as it goes on the wire."""

    scheme: bytes
    host: str
    port: Optional[int]
    #: The ``Host`` header: the host, and the port unless it is the scheme's default.
    authority: bytes
    #: The path and query.
    target: bytes


# URLs whose every character httpx would send as it is (no userinfo, IPv6 host, fragment, dot
# segment or character to escape): they take the direct way byte for byte; any other takes httpx's.
_PLAIN_URL = re.compile(
    r"(https?)://([A-Za-z0-9.\-]+)(?::([0-9]{1,5}))?"
    r"(/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)?(?:\?([A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+))?",
    re.ASCII,
)


def _plain_url(url: str) -> Optional[_PlainURL]:
    match = _PLAIN_URL.fullmatch(url)
    if match is None:
        return None
    scheme, host, port_text, path, query = match.groups()
    path = path or "/"
    if "/." in path:
        return None
    host = host.lower()
    port = int(port_text) if port_text else None
    if port is not None and port > 65535:
        return None
    if port == _DEFAULT_PORTS[scheme]:
        port = None  # (httpx leaves a default port out of the Host header)
    target = path if query is None else path + "?" + query
    authority = host if port is None else f"{host}:{port}"
    return _PlainURL(scheme.encode(), host, port, authority.encode(), target.encode())


def _wire_headers(
    client: httpx.AsyncClient,
    method: str,
    authority: bytes,
    headers: Mapping[str, str],
    cookie: str,
    *,
    secrets: bool,
) -> List[Tuple[bytes, bytes]]:
    """The headers httpx would send: ``Host`` (and ``Content-Length: 0`` for a bodiless POST),
    the client's headers, ``headers`` replacing same-named ones, then ``cookie`` unless
    ``headers`` has its own; without secrets (or cookies) when not ``secrets``."""
    wire = [(b"Host", authority)]
    if method in ("POST", "PUT", "PATCH"):
        wire.append((b"Content-Length", b"0"))
    replaced = {name.lower() for name in headers}
    has_cookie = "cookie" in replaced
    for raw_name, raw_value in client.headers.raw:
        lowered = raw_name.decode("latin-1").lower()
        has_cookie = has_cookie or lowered == "cookie"
        if lowered not in replaced and (secrets or lowered not in _SECRET_HEADERS):
            wire.append((raw_name, raw_value))
    for name, value in headers.items():
        if secrets or name.lower() not in _SECRET_HEADERS:
            wire.append((name.encode("ascii"), value.encode("ascii")))
    if cookie and secrets and not has_cookie:
        wire.append((b"Cookie", cookie.encode("ascii")))
    return wire


class _CookieSource:
    """The response and request the stdlib's cookie jar reads ``Set-Cookie`` headers from."""

    def __init__(self, set_cookies: List[str]) -> None:
        self._set_cookies = set_cookies

    def info(self) -> _CookieSource:
        return self

    def get_all(self, name: str, default: Any = None) -> Any:
        return list(self._set_cookies) if name.lower() == "set-cookie" else default


def _keep_cookies(client: httpx.AsyncClient, url: str, headers: List[Tuple[bytes, bytes]]) -> None:
    """Put the answer's ``Set-Cookie`` cookies into the client's jar, as httpx would."""
    set_cookies = [_text(value) for name, value in headers if name.lower() == b"set-cookie"]
    if set_cookies:
        client.cookies.jar.extract_cookies(_CookieSource(set_cookies), urllib.request.Request(url))  # type: ignore[arg-type]


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class DirectResponse(httpx.Response):
    """An answer read the direct way: its ``request`` (an ``httpx.Request``, for messages and
    callers that ask for it) is built only when asked for."""

    def __init__(
        self,
        head: Head,
        headers: List[Tuple[bytes, bytes]],
        body: bytes,
        method: str,
        url: str,
        request_headers: List[Tuple[bytes, bytes]],
    ) -> None:
        super().__init__(
            head.status,
            headers=headers,
            content=body,
            extensions={"http_version": head.http_version, "reason_phrase": head.reason},
        )
        self._asked = (method, url, request_headers)

    @property
    def request(self) -> httpx.Request:
        if self._request is None:
            method, url, headers = self._asked
            self._request = httpx.Request(method, url, headers=headers)
        return self._request

    @request.setter
    def request(self, value: httpx.Request) -> None:
        self._request = value


async def _read_direct(exchange: Exchange, url: str, max_bytes: int, kind: str) -> bytes:
    """The body, decoded and at most ``max_bytes`` (counted decoded; the raw bytes too)."""
    headers = exchange.head.headers
    encoding = b",".join(value for name, value in headers if name.lower() == b"content-encoding")
    if not encoding:
        declared = [value for name, value in headers if name.lower() == b"content-length"]
        # An honest Content-Length over the limit (of a body sent as is) fails before any read.
        if declared and declared[0].isdigit() and int(declared[0]) > max_bytes:
            raise _too_large(url, max_bytes, kind)
    decoder = ContentDecoder(encoding, max_bytes)
    # Compressed bodies are smaller than what they inflate to, save a few bytes of framing.
    max_raw = max_bytes + max_bytes // 8 + 1024
    raw = 0
    body = bytearray()
    while True:
        chunk = await exchange.read()
        if not chunk:
            body += decoder.flush()
            break
        raw += len(chunk)
        body += decoder.decode(chunk)
        if decoder.too_large or raw > max_raw:
            raise _too_large(url, max_bytes, kind)
    if decoder.too_large:
        raise _too_large(url, max_bytes, kind)
    return bytes(body)


async def _direct_exchange(
    client: httpx.AsyncClient,
    transport: DirectTransport,
    method: str,
    url: str,
    plain: _PlainURL,
    headers: Mapping[str, str],
    *,
    kind: str,
    max_bytes: int,
    max_redirects: int,
    refuse_cross_origin: Optional[Callable[[str], TikTokLiveError]],
) -> httpx.Response:
    """:func:`_exchange` on the client's :class:`DirectTransport`, without httpx's models (an
    ``httpx.URL`` is made only for a redirect)."""
    timeout = client.timeout.as_dict()
    origin = url
    secrets = True
    for hop in range(max_redirects + 1):
        cookie = cookie_header(client.cookies.jar, url) if secrets else ""
        wire = _wire_headers(client, method, plain.authority, headers, cookie, secrets=secrets)
        exchange = await transport.exchange(
            method.encode("ascii"), plain.scheme, plain.host, plain.port, plain.target, wire, timeout
        )
        try:
            head = exchange.head
            _keep_cookies(client, url, head.headers)
            location = _location(head)
            if location is not None:
                target, secrets = _redirect_target(
                    httpx.URL(url), location, httpx.URL(origin), refuse_cross_origin
                )
                url, method = str(target), "GET"
                next_plain = _plain_url(url)
                if next_plain is None:  # a URL only httpx writes: the rest of the way is httpx's
                    return await _exchange(
                        client,
                        _redirected_request(client, target, secrets, headers, httpx.Headers(wire)),
                        headers,
                        origin=httpx.URL(origin),
                        kind=kind,
                        max_bytes=max_bytes,
                        max_redirects=max_redirects - hop - 1,
                        refuse_cross_origin=refuse_cross_origin,
                    )
                plain = next_plain
                continue
            body = await _read_direct(exchange, url, max_bytes, kind)
        finally:
            await exchange.aclose()
        kept = [(name, value) for name, value in head.headers if name.lower() not in _RAW_BODY_HEADERS]
        if _httpx_logger.isEnabledFor(logging.INFO):  # the line httpx logs for each request
            _httpx_logger.info(
                'HTTP Request: %s %s "%s %d %s"',
                method,
                url,
                head.http_version.decode("ascii"),
                head.status,
                head.reason.decode("latin-1"),
            )
        return DirectResponse(head, kept, body, method, url, wire)
    raise _too_many_redirects(origin, max_redirects)


def _location(head: Head) -> Optional[str]:
    """Where a redirect answer leads (None: not a redirect), as httpx's ``is_redirect`` decides."""
    if head.status not in (301, 302, 303, 307, 308):
        return None
    for name, value in head.headers:
        if name.lower() == b"location":
            return _text(value)
    return None
