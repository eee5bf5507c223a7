"""The ``Cookie`` header a request carries, worked out once per jar change instead of per request.

httpx copies the client's whole cookie jar twice for every request it builds and runs the
stdlib's cookie policy over the copy (~0.1 ms with TikTok's four cookies, more than building
the rest of the request). The header only changes when the jar does, when one of its cookies
expires, or with the URL's scheme, host, port and path. :class:`CookieJar` counts its changes,
and :func:`cookie_header` remembers the header for each such URL until the count moves or the
first cookie expires. A jar that does not count its changes (an ``httpx.AsyncClient`` of the
user's) gets the header worked out each time, still without the copies.

:func:`build_request` builds a request as ``client.build_request`` would, with that header.
"""

from __future__ import annotations

import http.cookiejar
import time
import urllib.parse
import urllib.request
from typing import Dict, Mapping, Optional, Tuple, Union

import httpx

__all__ = ["CookieJar", "build_request", "cookie_header"]

_WEBSOCKET_SCHEMES = {"wss": "https", "ws": "http"}
#: URLs remembered per jar: TikTok's clients ask a handful of endpoints; more means varied paths.
_REMEMBERED_URLS = 64

_Key = Tuple[str, str, str]


class CookieJar(http.cookiejar.CookieJar):
    """A stdlib cookie jar that counts its changes (every change goes through ``set_cookie`` or
    ``clear``), so that the header it gives a URL can be remembered until the next one."""

    def __init__(self, policy: Optional[http.cookiejar.CookiePolicy] = None) -> None:
        super().__init__(policy)
        self.changes = 0
        #: (changes, first expiry) they were worked out at, and each URL's header.
        self.headers_seen: Tuple[int, float] = (-1, 0.0)
        self.headers: Dict[_Key, str] = {}

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        super().set_cookie(cookie)
        self.changes += 1

    def clear(
        self, domain: Optional[str] = None, path: Optional[str] = None, name: Optional[str] = None
    ) -> None:
        try:
            super().clear(domain, path, name)
        finally:
            self.changes += 1


def _worked_out(jar: http.cookiejar.CookieJar, key: _Key) -> str:
    """The stdlib policy's answer: the header ``jar`` gives a request to ``scheme://netloc/path``."""
    probe = urllib.request.Request(urllib.parse.urlunsplit((*key, "", "")))
    jar.add_cookie_header(probe)
    return probe.get_header("Cookie") or ""


def cookie_header(jar: http.cookiejar.CookieJar, url: str) -> str:
    """The ``Cookie`` header ``jar`` gives a request to ``url`` ("" for none; ``ws``/``wss``
    count as ``http``/``https``)."""
    split = urllib.parse.urlsplit(url)
    # Which cookies match depends on the scheme, host, port and path, never on the query.
    key = (_WEBSOCKET_SCHEMES.get(split.scheme, split.scheme), split.netloc, split.path or "/")
    if not isinstance(jar, CookieJar):
        return _worked_out(jar, key)
    now = time.time()
    changes, expiry = jar.headers_seen
    if changes != jar.changes or now >= expiry:
        jar.headers.clear()
        # (add_cookie_header also drops expired cookies: a change, counted, before the header is read.)
        jar.clear_expired_cookies()
        expiries = [cookie.expires for cookie in jar if cookie.expires is not None]
        jar.headers_seen = (jar.changes, float(min(expiries, default=float("inf"))))
    header = jar.headers.get(key)
    if header is None:
        if len(jar.headers) >= _REMEMBERED_URLS:
            jar.headers.clear()
        header = jar.headers[key] = _worked_out(jar, key)
    return header


def build_request(
    client: httpx.AsyncClient, method: str, url: Union[httpx.URL, str], headers: Optional[Mapping[str, str]]
) -> httpx.Request:
    """``client.build_request(method, url, headers=headers)`` for an absolute ``url`` and a client
    without default params: the client's headers, then ``headers``, then the jar's cookies unless
    ``headers`` has its own ``Cookie``, and the client's timeout."""
    merged = httpx.Headers(client.headers)
    if headers:
        merged.update(headers)
    if "cookie" not in merged:
        cookie = cookie_header(client.cookies.jar, str(url))
        if cookie:
            merged["Cookie"] = cookie
    return httpx.Request(method, url, headers=merged, extensions={"timeout": client.timeout.as_dict()})
