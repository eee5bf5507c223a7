"""Find users and rooms, and fetch what TikTok publishes about them.

:class:`Discovery` turns the HTTP endpoints into typed results and typed
errors; the only per-room state it holds is the gift list cache
(:class:`GiftListCache`). The page parsing itself is pure
(:mod:`pytiktoklive._pages`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import httpx

from pytiktoklive._http import TikTokHTTP
from pytiktoklive._pages import PageData, check_not_blocked, parse_page
from pytiktoklive._parse import off_loop
from pytiktoklive._redact import redact
from pytiktoklive._signing import SessionCookies, Signer
from pytiktoklive.errors import (
    AgeRestrictedError,
    HTTPStatusError,
    LiveEndedError,
    RateLimitError,
    RequestError,
    UserNotFoundError,
    UserOfflineError,
)
from pytiktoklive.models import GiftInfo, PriceList, RawJSON, RoomInfo, UserInfo

__all__ = ["Discovery", "FeedPage", "GiftListCache"]

# api-live's statusCode for an unknown user.
_API_LIVE_USER_NOT_FOUND = 19881007
# webcast JSON status codes meaning "log in to see this room" (18+ rooms).
_AGE_RESTRICTED_CODES = (10011, 4003110)

FeedPage = Tuple[Sequence[Mapping[str, Any]], bool, int]

#: Seconds a room's gift list is reused before it is asked for again.
GIFT_LIST_TTL = 600.0
# Cached rooms before expired entries are swept, and the most kept at all (oldest go first).
_GIFT_CACHE_SWEEP = 256
_GIFT_CACHE_MAX = 2048
# Distinct gift lists kept for sharing between rooms (one per region/language, in practice).
_GIFT_LISTS_SHARED = 4


def _shown(response: httpx.Response) -> str:
    """The response's request URL without secrets (signatures), for error messages."""
    return redact(str(response.request.url))


def _no_such_user(username: str) -> UserNotFoundError:
    return UserNotFoundError(f"TikTok user @{username} does not exist", username=username)


def _data_of(body: Any, what: str, url: str = "") -> Any:
    """``body["data"]`` of a WebCast JSON answer; errors for a non-zero ``status_code``."""
    if not isinstance(body, Mapping):
        raise RequestError(f"{what}: unexpected answer ({type(body).__name__})", url=url)
    status = body.get("status_code", 0)
    data = body.get("data")
    if status in _AGE_RESTRICTED_CODES or (
        isinstance(data, Mapping) and "prompts" in data and "id" not in data
    ):
        raise AgeRestrictedError(f"{what}: TikTok shows this room to logged-in users only (age restricted)")
    if status not in (0, None):
        message = ""
        if isinstance(data, Mapping):
            message = str(data.get("message") or data.get("prompts") or "")
        raise RequestError(
            f"{what}: TikTok answered status_code {status}" + (f" ({message})" if message else ""), url=url
        )
    return data


def _equal(a: Any, b: Any) -> bool:
    """``a == b`` for parsed JSON; data nested too deeply to compare counts as different."""
    try:
        return bool(a == b)
    except RecursionError:
        return False


class GiftListCache:
    """Gift lists by room id: one request per room per ``ttl`` seconds, one copy per distinct list.

    ``gift/list`` answers are ~0.5 MB of JSON (~1 MB once parsed), asked per room. In practice
    rooms of one region get the same list, but the API is keyed by room and nothing promises
    that, so nothing here assumes it:

    * a room's list is reused for ``ttl`` seconds (re-tracking a room, ``get_gift_info`` after
      ``track_room``…), and concurrent requests for one room share a single request;
    * every other room is still asked; an answer *equal* to a list already held (compared in
      full, ~0.3 ms) reuses that :class:`GiftInfo` object, so many rooms cost one copy of memory
      (treat ``GiftInfo.raw`` as read-only: it may be shared);
    * failures are not cached: the next call asks again.
    """

    def __init__(self, ttl: float = GIFT_LIST_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._by_room: Dict[int, Tuple[float, GiftInfo]] = {}
        self._in_flight: Dict[int, asyncio.Future[GiftInfo]] = {}
        self._distinct: List[GiftInfo] = []
        self._sweep_at = _GIFT_CACHE_SWEEP

    def fresh(self, room_id: int) -> Optional[GiftInfo]:
        """The room's list while it is younger than ``ttl``."""
        entry = self._by_room.get(room_id)
        if entry is None:
            return None
        if self._clock() >= entry[0]:
            del self._by_room[room_id]
            return None
        return entry[1]

    def shared(self, data: Mapping[str, Any]) -> GiftInfo:
        """The GiftInfo of ``data``: one held already when its data is equal, else a new one."""
        for index, known in enumerate(self._distinct):
            if _equal(known.raw, data):
                self._distinct.insert(0, self._distinct.pop(index))  # most recently seen first
                return known
        info = GiftInfo.from_raw(data)
        self._distinct.insert(0, info)
        del self._distinct[_GIFT_LISTS_SHARED:]
        return info

    def store(self, room_id: int, info: GiftInfo) -> None:
        now = self._clock()
        self._by_room.pop(room_id, None)  # re-inserted last: the dict stays oldest-first
        self._by_room[room_id] = (now + self.ttl, info)
        if len(self._by_room) > self._sweep_at:
            for stale in [key for key, (expires, _) in self._by_room.items() if now >= expires]:
                del self._by_room[stale]
            # Sweeping again only once the cache has grown as much again keeps stores cheap on
            # average (at the cap, a sweep per store: ~0.1 ms next to a 0.5 MB download).
            self._sweep_at = min(_GIFT_CACHE_MAX, max(_GIFT_CACHE_SWEEP, 2 * len(self._by_room)))
        if len(self._by_room) > _GIFT_CACHE_MAX:
            del self._by_room[next(iter(self._by_room))]  # the oldest

    async def get(
        self, room_id: int, fetch: Callable[[], Awaitable[Mapping[str, Any]]], *, refresh: bool = False
    ) -> GiftInfo:
        """The room's list: cached, or joined to the request in flight, or fetched (``fetch()`` →
        the ``data`` of a ``gift/list`` answer)."""
        if not refresh:
            cached = self.fresh(room_id)
            if cached is not None:
                return cached
        task = self._in_flight.get(room_id)
        if task is None:
            task = asyncio.ensure_future(self._fetch(room_id, fetch))
            self._in_flight[room_id] = task
            # Retrieved here too, so a request whose callers were all cancelled logs nothing.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
        # Shielded: one caller giving up does not cancel the others' request.
        return await asyncio.shield(task)

    async def _fetch(self, room_id: int, fetch: Callable[[], Awaitable[Mapping[str, Any]]]) -> GiftInfo:
        try:
            info = self.shared(await fetch())
        finally:
            self._in_flight.pop(room_id, None)
        self.store(room_id, info)
        return info


class Discovery:
    """User → room, room → info/gifts, the feed, prices, liveness, and the first fetch."""

    def __init__(self, http: TikTokHTTP) -> None:
        self.http = http
        self.gift_lists = GiftListCache()
        #: A logged-in session is set (age-restricted rooms then say so differently).
        self.logged_in = False
        self._cookies_seeded = False
        self._cookie_lock = asyncio.Lock()
        # False once the server showed it does not serve room/info_by_user (see live_room).
        self._info_by_user_served = True

    async def seed_cookies(self) -> None:
        """Visit the home page once, as a browser would, so TikTok's cookies are in the jar."""
        if self._cookies_seeded:
            return
        async with self._cookie_lock:
            if self._cookies_seeded:
                return
            self._cookies_seeded = True
            try:
                await self.http.page("/")
            except RequestError as exc:  # the cookies are a nicety; the real request will tell
                self.http.reporter.debug("could not load the home page for cookies: %s", exc)

    # ------------------------------------------------------------------ users

    async def _page(self, path: str, username: str) -> PageData:
        await self.seed_cookies()
        try:
            response = await self.http.page(path)
        except HTTPStatusError as exc:
            if exc.status_code == 404:
                raise _no_such_user(username) from exc
            raise
        url = str(response.request.url)
        return await off_loop(
            lambda: parse_page(response.text, username, url=url),
            len(response.content),
            self.http.limits.parse_in_thread_bytes,
        )

    async def _api_live(self, username: str) -> Tuple[Optional[UserInfo], int, int]:
        """``api-live/user/room``: (user, room id, room status)."""
        response = await self.http.get(
            self.http.www_url("/api-live/user/room/"),
            params={"aid": "1988", "uniqueId": username, "sourceType": "54"},
        )
        try:
            body = await self.http.json_of(response)
        except RequestError:
            check_not_blocked(response.text, url=str(response.request.url))
            raise
        if not isinstance(body, Mapping):
            raise RequestError("api-live answered with unexpected JSON")
        status = body.get("statusCode", 0)
        if status == _API_LIVE_USER_NOT_FOUND:
            raise _no_such_user(username)
        if status not in (0, None):
            raise RequestError(f"api-live answered statusCode {status}: {body.get('message', '')}")
        data: Mapping[str, Any] = body["data"] if isinstance(body.get("data"), Mapping) else {}
        user_raw = data.get("user")
        if not isinstance(user_raw, Mapping):
            raise _no_such_user(username)
        user = UserInfo.from_raw(user_raw, data.get("stats"))
        live_room: Mapping[str, Any] = data["liveRoom"] if isinstance(data.get("liveRoom"), Mapping) else {}
        status_of_room = live_room.get("status")
        room_status = status_of_room if isinstance(status_of_room, int) else 0
        return user, user.room_id, room_status

    async def _with_fallback(self, path: str, username: str) -> Tuple[Optional[UserInfo], int, int]:
        """A page first, then api-live when the page has no data or is blocked."""
        try:
            page = await self._page(path, username)
        except RateLimitError:
            raise
        except RequestError as page_error:  # blocked, captcha, 5xx, network: api-live may still answer
            try:
                return await self._api_live(username)
            except (UserNotFoundError, UserOfflineError):
                raise
            except RequestError:
                raise page_error from None
        if page.user_missing:
            raise _no_such_user(username)
        if page.found:
            return page.user, page.room_id, page.room_status
        try:
            return await self._api_live(username)
        except RequestError as exc:
            raise RequestError(
                f"could not read @{username}'s page (no page data, and api-live failed: {exc})", url=exc.url
            ) from exc

    async def user_info(self, username: str) -> UserInfo:
        user, room_id, _ = await self._with_fallback(f"/@{username}", username)
        if user is None:  # a page that only mentioned a room id
            return UserInfo(username=username, room_id=room_id)
        return user

    async def room_id(self, username: str) -> int:
        """The room id of ``username``'s current LIVE; UserOfflineError when there is none."""
        _, room_id, room_status = await self._with_fallback(f"/@{username}/live", username)
        if not room_id or room_status == 4:
            raise UserOfflineError(f"@{username} is not live", username=username)
        return room_id

    # ------------------------------------------------------------------ rooms

    def _room_data(self, body: Any, what: str) -> Any:
        try:
            return _data_of(body, what)
        except AgeRestrictedError as exc:
            hint = (
                "TikTok did not accept the logged-in session (expired?)"
                if self.logged_in
                else "set a logged-in session: TikTok(session_id=..., tt_target_idc=...)"
            )
            raise AgeRestrictedError(f"{exc}; {hint}") from None

    async def room_info(self, room_id: int, *, username: str = "") -> RoomInfo:
        """``room/info``; status 4 raises UserOfflineError (by username) or LiveEndedError (by room)."""
        response = await self.http.webcast("room/info/", {"room_id": str(room_id)})
        data = self._room_data(await self.http.json_of(response), "room/info")
        return self._checked_room(data, room_id, username, response.content)

    async def room_info_by_user(self, username: str) -> Optional[RoomInfo]:
        """``room/info_by_user``: a user's room info in one request; None when the server does
        not serve that endpoint (the caller then finds the room id first).

        Not served: a 404, or an answer that is not a room (not JSON, a failing
        ``status_code``), which still raises this once. Either way this client does not ask
        it again (``live_room`` neither)."""
        if not self._info_by_user_served:
            return None
        try:
            response = await self.http.webcast("room/info_by_user/", {"unique_id": username})
        except HTTPStatusError as exc:
            if exc.status_code == 404:
                self._info_by_user_served = False
                return None
            raise
        try:
            return self._room_by_user(await self.http.json_of(response), username, response.content)
        except (AgeRestrictedError, UserNotFoundError, UserOfflineError):
            raise  # about this user: the endpoint works
        except RequestError as exc:  # answered, but not with a room
            self._info_by_user_served = False
            self.http.reporter.debug("room/info_by_user is not used from now on: %s", exc)
            raise

    async def live_room(self, username: str) -> Tuple[int, Optional[RoomInfo]]:
        """A live user's room id, and its info when one request told both.

        ``room/info_by_user`` tells both in one request, so it is asked first while the server
        serves it (:meth:`room_info_by_user`). Otherwise the page route finds the room id (the
        live page, or api-live) and the caller asks ``room/info``. Any other answer than a live
        room (an unknown or offline user, a failed request) is left to the page route, so
        ``track_user`` fails as it would without ``room/info_by_user``; only a rate limit and an
        age restriction count as they are.
        """
        if self._info_by_user_served:
            await self.seed_cookies()  # as the page route does: TikTok's cookies come first
            try:
                info = await self.room_info_by_user(username)
            except (RateLimitError, AgeRestrictedError):
                raise
            except (UserNotFoundError, UserOfflineError, RequestError):
                info = None  # the page route decides, as it does without room/info_by_user
            if info is not None:
                return info.id, info
        return await self.room_id(username), None

    def _room_by_user(self, body: Any, username: str, text: Optional[bytes] = None) -> RoomInfo:
        """The live room in a ``room/info_by_user`` answer (``text``: the answer's body)."""
        if isinstance(body, Mapping) and body.get("status_code") == _API_LIVE_USER_NOT_FOUND:
            raise _no_such_user(username)
        data = self._room_data(body, "room/info_by_user")
        raw_id = data.get("id_str") or data.get("id") if isinstance(data, Mapping) else None
        if not str(raw_id or "").isdigit() or not int(str(raw_id)):
            raise UserOfflineError(f"@{username} is not live", username=username)
        return self._checked_room(data, int(str(raw_id)), username, text)

    @staticmethod
    def _checked_room(data: Any, room_id: int, username: str, text: Optional[bytes] = None) -> RoomInfo:
        """``data`` as a live room; ``text``: the body it was parsed from (its ``data``), kept as ``raw``."""
        info = RoomInfo.from_raw(data, RawJSON.at(text, ("data",)) if text else None)
        if info.ended:
            if username:
                raise UserOfflineError(f"@{username} is not live (their last LIVE ended)", username=username)
            raise LiveEndedError(f"room {room_id}: the LIVE has ended")
        return info

    async def gift_info(self, room_id: int, *, refresh: bool = False) -> GiftInfo:
        """The room's gift list, through :class:`GiftListCache` (``refresh``: ask again now)."""

        async def fetch() -> Mapping[str, Any]:
            body = await self.http.webcast_json("gift/list/", {"room_id": str(room_id)})
            data = _data_of(body, "gift/list")
            return data if isinstance(data, Mapping) else {}

        return await self.gift_lists.get(room_id, fetch, refresh=refresh)

    async def price_list(self) -> PriceList:
        body = await self.http.webcast_json("diamond/")
        _data_of(body, "diamond")
        return PriceList.from_raw(body)

    async def check_alive(self, room_ids: Sequence[int]) -> Dict[int, bool]:
        """``room/check_alive``: room id → alive, for every room TikTok answered about."""
        body = await self.http.webcast_json(
            "room/check_alive/", {"room_ids": ",".join(str(room_id) for room_id in room_ids)}
        )
        data = _data_of(body, "room/check_alive")
        alive: Dict[int, bool] = {}
        for entry in data if isinstance(data, list) else ():
            if isinstance(entry, Mapping):
                raw_id = entry.get("room_id_str") or entry.get("room_id")
                if str(raw_id).isdigit():
                    alive[int(str(raw_id))] = bool(entry.get("alive"))
        return alive

    async def feed_page(self, max_time: int) -> FeedPage:
        """One page of ``webcast/feed``: (raw items, has_more, next max_time)."""
        params = {"channel": "tiktok_web", "channel_id": "86"}
        if max_time:
            params["max_time"] = str(max_time)
        body = await self.http.webcast_json("feed/", params)
        data = _data_of(body, "feed")
        extra: Mapping[str, Any] = body["extra"] if isinstance(body.get("extra"), Mapping) else {}
        items = [item for item in data if isinstance(item, Mapping)] if isinstance(data, list) else []
        next_max_time = extra.get("max_time")
        return items, bool(extra.get("has_more")), next_max_time if isinstance(next_max_time, int) else 0

    async def first_fetch(
        self,
        room_id: int,
        signer: Optional[Signer],
        resume: Optional[Mapping[str, str]] = None,
        *,
        session: Optional[SessionCookies] = None,
    ) -> bytes:
        """The room's first ``im/fetch`` (signed): its body carries the cursor and push server.
        ``resume``: the cursor / internal_ext to resume from (a room taken over from another tracker).

        A fetch-flow signer makes it itself (``session``: the logged-in session it may use, when
        the user opted in); its ``X-Set-TT-Cookie`` cookies go into the jar, so that polls and
        the websocket present them as the web client would. Resuming is a fetch from a cursor,
        which the client makes itself (like a poll: unsigned with such a signer)."""
        if signer is not None and signer.performs_fetch:
            if not resume:
                fetched = await signer.fetch(
                    room_id, self.http.client, user_agent=self.http.user_agent, session=session
                )
                self.http.set_cookies(fetched.cookies)
                if fetched.support:
                    self.http.reporter.debug(
                        "room %d: first fetch by the sign server (%s)",
                        room_id,
                        ", ".join(f"{name} {value}" for name, value in fetched.support.items()),
                    )
                return fetched.body
            signer = None
        response = await self.http.webcast(
            "im/fetch/", {**(resume or {}), "room_id": str(room_id)}, signer=signer
        )
        if not response.content:
            # TikTok's answer to a fetch it does not trust. Without a cursor nothing can be
            # resumed, so polling on would ask the same question for ever.
            raise RequestError(
                f"room {room_id}: im/fetch answered with an empty body; TikTok did not accept the request"
                + (" (it was not signed: configure a signer)" if signer is None else " (check the signer)"),
                url=_shown(response),
            )
        return response.content

    async def poll(self, params: Mapping[str, str]) -> bytes:
        """A later ``im/fetch`` poll: never signed, resumes from ``params``' cursor/internal_ext."""
        response = await self.http.webcast("im/fetch/", params)
        return response.content
