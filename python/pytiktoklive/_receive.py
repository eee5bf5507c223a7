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
"""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Callable, Iterable, Mapping, Optional, Tuple

import httpx

from pytiktoklive._cookies import build_request
from pytiktoklive._redact import SECRET_NAMES, redact
from pytiktoklive.errors import RequestError, ResponseTooLargeError, TikTokLiveError

__all__ = ["DeadlineExceeded", "origin_of", "receive", "same_origin", "with_query"]

# asyncio.timeout (3.11+) bounds the request in the caller's task; wait_for wraps it in a new one.
_timeout = getattr(asyncio, "timeout", None)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_SECRET_HEADERS = frozenset(SECRET_NAMES)
# Headers httpx derives from the body it decoded: the answer handed back is already decoded.
_BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


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
    if "?" in url or "#" in url or not _all_str(params.items()):
        return httpx.URL(url, params=params)
    query = urllib.parse.urlencode(params)
    return httpx.URL(url + "?" + query if query else url)


def _too_large(response: httpx.Response, max_bytes: int, kind: str) -> ResponseTooLargeError:
    url = redact(str(response.request.url))
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
        raise _too_large(response, max_bytes, kind)
    body = bytearray()
    async for chunk in response.aiter_bytes():  # decoded bytes: gzip and deflate are inflated here
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(response, max_bytes, kind)
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


def _without_secrets(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in _SECRET_HEADERS}


async def _exchange(
    client: httpx.AsyncClient,
    request: httpx.Request,
    headers: Mapping[str, str],
    *,
    kind: str,
    max_bytes: int,
    max_redirects: int,
    refuse_cross_origin: Optional[Callable[[str], TikTokLiveError]],
) -> httpx.Response:
    origin = request.url
    for _ in range(max_redirects + 1):
        streamed = await client.send(request, stream=True, follow_redirects=False)
        try:
            location = streamed.headers.get("location")
            if streamed.is_redirect and location is not None:
                try:
                    target = request.url.join(location)
                except (httpx.InvalidURL, ValueError) as exc:
                    shown = redact(str(request.url))
                    raise RequestError(f"{shown} redirected to an invalid URL ({exc})", url=shown) from None
                if target.scheme not in ("http", "https"):
                    raise RequestError(
                        f"{redact(str(request.url))} redirected to a {target.scheme!r} URL",
                        url=redact(str(target)),
                    )
                if same_origin(target, origin):
                    request = client.build_request("GET", target, headers=headers)
                elif refuse_cross_origin is not None:
                    raise refuse_cross_origin(redact(str(target)))
                else:
                    # Built without the client, so the cookie jar adds nothing either.
                    request = httpx.Request("GET", target, headers=_without_secrets(request.headers))
                continue
            body = await _read_capped(streamed, max_bytes, kind)
        finally:
            await streamed.aclose()
        return _answer(streamed, body)
    raise RequestError(f"{redact(str(origin))}: more than {max_redirects} redirects", url=redact(str(origin)))


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
    if not client.params:
        request = build_request(client, method, url if params is None else with_query(url, params), headers)
    else:
        # (A client's own params would replace the query of a URL: then httpx merges them.)
        request = client.build_request(method, url, params=params, headers=headers)
    exchange = _exchange(
        client,
        request,
        dict(headers or {}),
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
        shown = redact(str(request.url))
        raise DeadlineExceeded(
            f"request to {shown} did not complete within {deadline:g}s", url=shown
        ) from None
