"""A small HTTP layer over the websockets server: request views and responses.

The simulator serves HTTP and websockets on one port with
``websockets.asyncio.server``: its ``process_request`` hook answers plain HTTP
requests (any method, no request body — TikTok's web API is all GET), and
lets websocket upgrades through. A response says ``Connection: close``; the server keeps
the connection open instead when it can (:mod:`pytiktoklive.simulator.keepalive`).
"""

from __future__ import annotations

import gzip
import http
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

__all__ = ["HTTPRequest", "html_response", "json_response", "response"]

# Bodies smaller than this are not worth compressing.
_GZIP_MIN = 512


@dataclass(frozen=True)
class HTTPRequest:
    """A parsed request: ``path`` without the query, ``query`` (last value wins), headers, cookies."""

    method: str
    path: str
    query: Dict[str, str]
    headers: Headers
    cookies: Dict[str, str]
    target: str

    @classmethod
    def from_websockets(cls, request: Request) -> HTTPRequest:
        split = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        cookies: Dict[str, str] = {}
        for header in request.headers.get_all("Cookie"):
            for part in header.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name:
                    cookies[name] = value
        method = getattr(request, "method", "GET")
        return cls(method, urllib.parse.unquote(split.path), query, request.headers, cookies, request.path)

    @property
    def accepts_gzip(self) -> bool:
        return "gzip" in self.headers.get("Accept-Encoding", "").lower()


def response(
    status: int,
    body: bytes = b"",
    content_type: str = "text/plain; charset=utf-8",
    *,
    headers: Iterable[Tuple[str, str]] = (),
    gzip_for: Optional[HTTPRequest] = None,
) -> Response:
    """A complete response. ``gzip_for``: compress when that request accepts gzip."""
    all_headers = Headers()
    all_headers["Content-Type"] = content_type
    for name, value in headers:
        all_headers[name] = value
    if gzip_for is not None and gzip_for.accepts_gzip and len(body) >= _GZIP_MIN:
        body = gzip.compress(body, compresslevel=5, mtime=0)
        all_headers["Content-Encoding"] = "gzip"
    all_headers["Content-Length"] = str(len(body))
    all_headers["Connection"] = "close"
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return Response(status, reason, all_headers, body)


def json_response(
    document: Any,
    status: int = 200,
    *,
    request: Optional[HTTPRequest] = None,
    headers: Iterable[Tuple[str, str]] = (),
) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return response(status, body, "application/json; charset=utf-8", headers=headers, gzip_for=request)


def html_response(
    html: str,
    status: int = 200,
    *,
    request: Optional[HTTPRequest] = None,
    cookies: Mapping[str, str] = {},
) -> Response:
    headers = [("Set-Cookie", f"{name}={value}; Path=/; SameSite=None") for name, value in cookies.items()]
    return response(
        status, html.encode("utf-8"), "text/html; charset=utf-8", headers=headers, gzip_for=request
    )
