"""The ``Cookie`` header a request carries, worked out once per jar change instead of per request.

httpx copies the client's whole cookie jar twice for every request it builds and runs the
stdlib's cookie policy over the copy (~0.1 ms with TikTok's four cookies, more than building
the rest of the request). The header only changes when the jar does, when one of its cookies
expires, or with the URL's scheme, host, port and path. :class:`CookieJar` counts its changes,
and :func:`cookie_header` remembers the header for each such URL until the count moves or the
first cookie expires. A jar that does not count its changes (an ``httpx.AsyncClient`` of the
user's) gets the header worked out each time, still without the copies.

:func:`build_request` builds a request as ``client.build_request`` would, with that header.

The client's jar is bounded, since a server could set a new cookie with every answer. It keeps
at most :data:`MAX_COOKIES` (the least recently set by a server goes first) of at most
:data:`MAX_COOKIE_BYTES` each (name and value: the size every browser supports; a larger one is
not kept), and says so when it drops one. TikTok's web client holds about a dozen.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import time
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

import httpx

from pytiktoklive._log import logger

__all__ = ["MAX_COOKIES", "MAX_COOKIE_BYTES", "CookieJar", "build_request", "cookie_header"]

#: Cookies the client's jar holds at most.
MAX_COOKIES = 256
#: Bytes of a cookie's name and value together beyond which the jar does not keep it.
MAX_COOKIE_BYTES = 4096

_WEBSOCKET_SCHEMES = {"wss": "https", "ws": "http"}
#: URLs remembered per jar: TikTok's clients ask a handful of endpoints; more means varied paths.
_REMEMBERED_URLS = 64

_Key = Tuple[str, str, str]


class CookieJar(http.cookiejar.CookieJar):
    """A stdlib cookie jar that counts its changes (every change goes through ``set_cookie`` or
    ``clear``), so that the header it gives a URL can be remembered until the next one; and that
    holds at most :data:`MAX_COOKIES` cookies of at most :data:`MAX_COOKIE_BYTES` each, calling
    ``warn`` (a message without the cookie's value) when it drops or refuses one.

    Over the limit, the least recently set cookie a server set (``Set-Cookie``) goes first: the
    ones the program set itself (a session, a sign server's cookies) go only when there are
    no others, so a server setting cookie after cookie cannot push out the user's session.
    """

    def __init__(
        self,
        policy: Optional[http.cookiejar.CookiePolicy] = None,
        *,
        warn: Optional[Callable[[str], None]] = None,
    ) -> None:
        super().__init__(policy)
        self.changes = 0
        #: (changes, first expiry) they were worked out at, and each URL's header.
        self.headers_seen: Tuple[int, float] = (-1, 0.0)
        self.headers: Dict[_Key, str] = {}
        self.warn = warn or _log_warning
        #: Cookies refused or dropped to keep within the bounds.
        self.dropped = 0
        # Each cookie by (domain, path, name), least recently set first: those set from
        # responses, and those set by the program.
        self._from_responses: Dict[_Key, http.cookiejar.Cookie] = {}
        self._given: Dict[_Key, http.cookiejar.Cookie] = {}
        self._extracting = False

    def extract_cookies(self, response: Any, request: urllib.request.Request) -> None:
        self._extracting = True
        try:
            super().extract_cookies(response, request)
        finally:
            self._extracting = False

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        size = len(cookie.name) + len(cookie.value or "")
        if size > MAX_COOKIE_BYTES:
            self._dropped(f"did not keep a cookie of {cookie.domain} ({cookie.name[:64]!r}, {size} bytes)")
            return
        key = (cookie.domain, cookie.path, cookie.name)
        existing = self._from_responses.pop(key, None) or self._given.pop(key, None)
        # The same cookie set again (a sign server's, with every signed request) changes no header.
        if existing is None or vars(existing) != vars(cookie):
            super().set_cookie(cookie)
            self.changes += 1
        else:
            cookie = existing
        (self._from_responses if self._extracting else self._given)[key] = cookie
        if len(self._from_responses) + len(self._given) > MAX_COOKIES:
            order = self._from_responses or self._given
            domain, path, name = oldest = next(iter(order))
            del order[oldest]
            with contextlib.suppress(KeyError):  # gone already
                super().clear(domain, path, name)
            self._dropped(f"dropped the least recently set cookie ({name[:64]!r} of {domain})")

    def _dropped(self, what: str) -> None:
        # Said for the 1st, 2nd, 4th, 8th… cookie dropped: a server setting cookie after cookie
        # is reported without flooding the log.
        self.dropped += 1
        if self.dropped & (self.dropped - 1) == 0:
            self.warn(
                f"cookie jar: {what}; {self.dropped} dropped so far "
                f"(at most {MAX_COOKIES} cookies of {MAX_COOKIE_BYTES} bytes each are kept)"
            )

    def clear(
        self, domain: Optional[str] = None, path: Optional[str] = None, name: Optional[str] = None
    ) -> None:
        try:
            super().clear(domain, path, name)
        finally:
            self.changes += 1
            present = {(cookie.domain, cookie.path, cookie.name) for cookie in self}
            self._from_responses = {key: c for key, c in self._from_responses.items() if key in present}
            self._given = {key: c for key, c in self._given.items() if key in present}


def _log_warning(message: str) -> None:
    logger.warning("%s", message)


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
