"""``client.web``: TikTokLive's HTTP routes, answered by a :class:`pytiktoklive.TikTok`.

Each route is an async method with TikTokLive's name and arguments; the
requests are pytiktoklive's (its fingerprint, signing and retries). The
:class:`~pytiktoklive.TikTok` underneath is ``web.tiktok``; it is made on
first use and again after :meth:`TikTokWebClient.close`, so one compat client
can be run on several event loops one after the other (``client.run()`` twice).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from pytiktoklive._pages import normalize_username
from pytiktoklive.client import TikTok
from pytiktoklive.compat.errors import (
    FailedFetchGiftListError,
    FailedResolveUserId,
    InvalidFetchIsLiveRequest,
    InvalidFetchRoomInfoPayload,
    MissingRoomIdInResponse,
    UserNotFoundError,
    UserOfflineError,
    translate_errors,
)

__all__ = ["TikTokWebClient"]


class _FetchIsLive:
    """``web.fetch_is_live(room_id=…)`` / ``(unique_id=…)``, and ``.fetch_is_live_room_ids(*ids)``."""

    def __init__(self, web: TikTokWebClient) -> None:
        self._web = web

    async def __call__(self, room_id: Optional[int] = None, unique_id: Optional[str] = None) -> bool:
        if room_id is not None:
            return (await self.fetch_is_live_room_ids(room_id))[0]
        if unique_id is not None:
            with translate_errors():
                return await self._web.tiktok.is_live(normalize_username(str(unique_id)))
        raise InvalidFetchIsLiveRequest("fetch_is_live needs a room_id or a unique_id")

    async def fetch_is_live_room_ids(self, *room_ids: int) -> List[bool]:
        """Whether each room is live, in the order given (one request)."""
        with translate_errors():
            alive = await self._web.tiktok.check_alive(*(int(room_id) for room_id in room_ids))
        missing = [room_id for room_id in room_ids if int(room_id) not in alive]
        if missing:
            raise MissingRoomIdInResponse(f"room/check_alive did not answer about room(s) {missing}")
        return [alive[int(room_id)] for room_id in room_ids]


class TikTokWebClient:
    """TikTokLive's ``client.web``. ``tiktok_factory`` makes the :class:`TikTok` (on first use)."""

    def __init__(self, tiktok_factory: Callable[[], TikTok]) -> None:
        self._factory = tiktok_factory
        self._tiktok: Optional[TikTok] = None
        self._session: Optional[tuple[Optional[str], Optional[str]]] = None
        #: The room the client is connected to (routes default to it), as TikTokLive keeps it.
        self.room_id: Optional[int] = None
        self.fetch_is_live = _FetchIsLive(self)

    @property
    def tiktok(self) -> TikTok:
        """The :class:`pytiktoklive.TikTok` doing the requests."""
        if self._tiktok is None:
            self._tiktok = self._factory()
            if self._session is not None:
                self._tiktok.set_session(*self._session)
        return self._tiktok

    def set_session(self, session_id: Optional[str], tt_target_idc: Optional[str] = None) -> None:
        """Log in (TikTokLive's ``web.set_session``): the ``sessionid`` and ``tt-target-idc``
        cookies of a logged-in browser, for age-restricted rooms and ``send_room_chat``;
        ``None`` logs out. Never logged; not sent to the sign server."""
        self._session = (session_id, tt_target_idc) if session_id else None
        if self._tiktok is not None:
            self._tiktok.set_session(session_id, tt_target_idc)

    async def close(self) -> None:
        """Close the HTTP client (and any room still tracked); the next request makes a new one."""
        tiktok, self._tiktok = self._tiktok, None
        if tiktok is not None:
            await tiktok.aclose()

    async def fetch_room_id_from_html(self, unique_id: str) -> str:
        """The user's current room id, from their pages; :class:`UserOfflineError` when not live."""
        return str(await self._room_id_of(unique_id))

    async def fetch_room_id_from_api(self, unique_id: str) -> int:
        """The user's current room id; :class:`UserOfflineError` when not live."""
        return await self._room_id_of(unique_id)

    async def _room_id_of(self, unique_id: str) -> int:
        name = normalize_username(str(unique_id))
        with translate_errors():
            user = await self.tiktok.get_user_info(name)
        if not user.room_id:
            raise UserOfflineError(f"@{name} is not live", username=name)
        return user.room_id

    async def fetch_room_info(
        self, room_id: Optional[int] = None, unique_id: Optional[str] = None
    ) -> Dict[str, Any]:
        """``room/info``'s ``data`` (a dict), by room id (default: the connected room) or unique id."""
        if room_id is None and unique_id is None:
            room_id = self.room_id
        target: Any
        if room_id is not None:
            target = int(room_id)
        elif unique_id is not None:
            target = normalize_username(str(unique_id))
        else:
            raise InvalidFetchRoomInfoPayload("fetch_room_info needs a room_id or a unique_id")
        with translate_errors():
            info = await self.tiktok.get_room_info(target)
        return dict(info.raw)

    async def fetch_gift_list(self, room_id: Optional[int] = None) -> Dict[str, Any]:
        """``gift/list``'s ``data`` (a dict) for the room (default: the connected room)."""
        room = room_id if room_id is not None else self.room_id
        if room is None:
            raise FailedFetchGiftListError("fetch_gift_list needs a room_id (or a connected client)")
        with translate_errors():
            gifts = await self.tiktok.get_gift_info(int(room))
        return dict(gifts.raw)

    async def fetch_user_unique_id(self, user_id: int) -> str:
        """The unique id (@handle) of a numeric user id, from their profile page (``/@{user_id}``).

        :class:`FailedResolveUserId` when no profile answers for the id, as in TikTokLive.
        """
        try:
            with translate_errors():
                user = await self.tiktok.get_user_info(str(int(user_id)))
        except UserNotFoundError as exc:
            raise FailedResolveUserId(f"no TikTok user has the id {user_id}") from exc
        if not user.username or user.username == str(user_id):
            raise FailedResolveUserId(f"no unique id found for user id {user_id}")
        return user.username
