"""Find users and rooms, and fetch what TikTok publishes about them.

:class:`Discovery` turns the HTTP endpoints into typed results and typed
errors; it holds no per-room state. The page parsing itself is pure
(:mod:`pytiktoklive._pages`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import httpx

from pytiktoklive._http import TikTokHTTP
from pytiktoklive._pages import PageData, check_not_blocked, parse_page
from pytiktoklive._redact import redact
from pytiktoklive._signing import Signer
from pytiktoklive.errors import (
    AgeRestrictedError,
    HTTPStatusError,
    LiveEndedError,
    RateLimitError,
    RequestError,
    UserNotFoundError,
    UserOfflineError,
)
from pytiktoklive.models import GiftInfo, PriceList, RoomInfo, UserInfo

__all__ = ["Discovery", "FeedPage"]

# api-live's statusCode for an unknown user.
_API_LIVE_USER_NOT_FOUND = 19881007
# webcast JSON status codes meaning "log in to see this room" (18+ rooms).
_AGE_RESTRICTED_CODES = (10011, 4003110)

FeedPage = Tuple[Sequence[Mapping[str, Any]], bool, int]


def _shown(response: httpx.Response) -> str:
    """The response's request URL without secrets (signatures), for error messages."""
    return redact(str(response.request.url))


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


class Discovery:
    """User → room, room → info/gifts, the feed, prices, liveness, and the first fetch."""

    def __init__(self, http: TikTokHTTP) -> None:
        self.http = http
        self._cookies_seeded = False
        self._cookie_lock = asyncio.Lock()

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
                raise UserNotFoundError(f"TikTok user @{username} does not exist", username=username) from exc
            raise
        return parse_page(response.text, username, url=str(response.request.url))

    async def _api_live(self, username: str) -> Tuple[Optional[UserInfo], int, int]:
        """``api-live/user/room``: (user, room id, room status)."""
        response = await self.http.get(
            self.http.www_url("/api-live/user/room/"),
            params={"aid": "1988", "uniqueId": username, "sourceType": "54"},
        )
        try:
            body = response.json()
        except ValueError:
            check_not_blocked(response.text, url=str(response.request.url))
            raise RequestError("api-live answered with a body that is not JSON") from None
        if not isinstance(body, Mapping):
            raise RequestError("api-live answered with unexpected JSON")
        status = body.get("statusCode", 0)
        if status == _API_LIVE_USER_NOT_FOUND:
            raise UserNotFoundError(f"TikTok user @{username} does not exist", username=username)
        if status not in (0, None):
            raise RequestError(f"api-live answered statusCode {status}: {body.get('message', '')}")
        data: Mapping[str, Any] = body["data"] if isinstance(body.get("data"), Mapping) else {}
        user_raw = data.get("user")
        if not isinstance(user_raw, Mapping):
            raise UserNotFoundError(f"TikTok user @{username} does not exist", username=username)
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
            raise UserNotFoundError(f"TikTok user @{username} does not exist", username=username)
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

    async def room_info(self, room_id: int, *, username: str = "") -> RoomInfo:
        """``room/info``; status 4 raises UserOfflineError (by username) or LiveEndedError (by room)."""
        body = await self.http.webcast_json("room/info/", {"room_id": str(room_id)})
        data = _data_of(body, "room/info")
        info = RoomInfo.from_raw(data)
        if info.ended:
            if username:
                raise UserOfflineError(f"@{username} is not live (their last LIVE ended)", username=username)
            raise LiveEndedError(f"room {room_id}: the LIVE has ended")
        return info

    async def gift_info(self, room_id: int) -> GiftInfo:
        body = await self.http.webcast_json("gift/list/", {"room_id": str(room_id)})
        return GiftInfo.from_raw(_data_of(body, "gift/list"))

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

    async def first_fetch(self, room_id: int, signer: Optional[Signer]) -> bytes:
        """The room's first ``im/fetch`` (signed): its body carries the cursor and push server."""
        response = await self.http.webcast("im/fetch/", {"room_id": str(room_id)}, signer=signer)
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
