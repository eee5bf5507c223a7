"""The client: :class:`TikTok`.

::

    import asyncio
import dataclasses
    from pytiktoklive import TikTok, ChatEvent

    async def main() -> None:
        async with TikTok() as tiktok:
            live = await tiktok.track_user("@someone")
            async for event in live.events:
                if isinstance(event, ChatEvent):
                    print(event.user.nickname, event.comment)

    asyncio.run(main())

Point it at the built-in simulator with ``TikTok(sim.endpoints)``: the
endpoints are configuration, nothing else changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Union

import httpx

from pytiktoklive._buffer import DEFAULT_BUFFER_BUDGET, BufferBudget, EventBuffer, check_overflow
from pytiktoklive._discovery import Discovery
from pytiktoklive._http import DEFAULT_USER_AGENT, TikTokHTTP
from pytiktoklive._log import ErrorHandler, MessageHandler, Reporter, redact_third_party_logs
from pytiktoklive._pages import normalize_username
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive._proxy import (
    ProxySettings,
    Verify,
    build_http_client,
    proxy_ssl,
    resolve_proxies,
    use_websocket_proxy,
    verify_context,
    websocket_proxy_for,
    websocket_ssl,
)
from pytiktoklive._retry import DEFAULT_RECONNECT, ReconnectPolicy
from pytiktoklive._session import RoomSession, SessionSettings
from pytiktoklive._signing import SessionCookies, SignerLike, SignServer, as_signer
from pytiktoklive._websocket import WebsocketOptions
from pytiktoklive.config import Endpoints
from pytiktoklive.errors import (
    InvalidUsernameError,
    LiveEndedError,
    LoginRequiredError,
    RateLimitError,
    RequestError,
    SignerRateLimitError,
    UserOfflineError,
)
from pytiktoklive.events import Event
from pytiktoklive.feed import Feed
from pytiktoklive.group import LiveGroup
from pytiktoklive.limits import DEFAULT_HTTP_LIMITS, HTTPLimits
from pytiktoklive.live import Live, ResumePoint
from pytiktoklive.models import GiftInfo, PriceList, RoomInfo, UserInfo

__all__ = ["TikTok"]

UserOrRoom = Union[str, int]

# The websocket query of the web client, on top of its HTTP parameters (``_http.default_params``:
# ``aid=1988`` TikTok's app id for the web — the push server refuses others with "illegal
# app_id"; ``app_name=tiktok_web``; ``version_code=180800``, ``webcast_sdk_version`` and
# ``update_version_code``, the web client's and its WebCast SDK's versions; ``identity=audience``,
# ``live_id=12``, the browser fingerprint). ``WebcastProtocol.websocket_url`` then adds the
# fetch's route params, ``room_id``, the resume point and ``compress=gzip``. Facts: TikTokLive 7's
# websocket parameters and TikTok-Live-Connector 1.x's client parameters (research).
_WEBSOCKET_PARAMS = {
    # Asks for the websocket's "data saving" options (sent by TikTok's web client; no role known
    # beyond that, and the push server serves clients without it).
    "sup_ws_ds_opt": "1",
    # Milliseconds between the heartbeats the client promises; the push server's own
    # Handshake-Options ping-interval, when it sends one, is what the client then follows.
    "heartbeat_duration": "10000",
    # The connection enters the room (the first connection of a viewer, not a silent re-join).
    "client_enter": "1",
}
# TikTok's status_code when a request needs a logged-in session it did not get (session expired).
_SESSION_EXPIRED = 20003


class TikTok:
    """A TikTok LIVE client: look users and rooms up, and track rooms' events.

    Arguments:
        endpoints: where TikTok is: by default :meth:`Endpoints.from_env` (real TikTok unless
            ``PYTIKTOKLIVE_ENDPOINT`` & co. say otherwise), or a simulator's ``sim.endpoints``.
        debug: report debug messages (connection details, batch sizes).
        log_requests: report every HTTP request's status, endpoint and (truncated, redacted) body.
        signer: how to sign the first ``im/fetch`` of a room: a :class:`SignServer`, a sign
            server URL, or a function ``url -> signed url``; by default the endpoints' sign server.
        sign_api_key: the API key of the sign server (``signer``'s URL, or the endpoints' one).
        proxy / insecure: a proxy for all traffic (see :meth:`set_proxy`). ``insecure=True``
            turns TLS certificate verification off (HTTP and websocket).
        websocket_proxy: a proxy for the websocket only; HTTP keeps ``proxy`` (or the
            environment's). Same schemes as ``proxy``; ``set_proxy`` later replaces both.
        verify: trust this certificate authority instead of the system's store: a PEM file of CA
            certificates (e.g. an intercepting proxy's, or ``sim.ca_file`` of a ``Simulator(tls=True)``)
            or an ``ssl.SSLContext``. Applies to HTTP requests, the websocket and an ``https``
            proxy; not to ``http_client`` (configure your own client's ``verify``).
            ``SSL_CERT_FILE`` is not read: pass the file here.
        session_id / tt_target_idc: a logged-in TikTok session (the ``sessionid`` and
            ``tt-target-idc`` cookies of a browser logged in to TikTok, as TikTokLive's
            ``web.set_session``): needed for age-restricted rooms and to send chat
            (:meth:`Live.send_chat`). Sent to TikTok as its session cookies, never logged.
        sign_with_session: also hand the session to the sign server (fetch flow), for rooms the
            sign server can only fetch logged in. Off by default: the sign server can then act
            as that TikTok user; a warning says so.
        http_client: an ``httpx.AsyncClient`` to use (its own proxy settings then apply to HTTP).
        user_agent: the browser User-Agent to present.
        timeout: seconds for each HTTP request as a whole (connect, headers, body and redirects:
            a server sending a byte a second cannot stretch it) and each websocket handshake.
        limits: :class:`~pytiktoklive.limits.HTTPLimits`: the most bytes each kind of HTTP answer
            may take (pages, JSON, ``im/fetch``, sign server; counted after decompression), the
            redirects followed, and the size above which bodies are parsed off the event loop.
        params: extra query parameters for WebCast requests (e.g. another ``tz_name``).
        reconnect: the :class:`ReconnectPolicy` of every room.
        websocket / polling: the transports rooms may use.
        max_buffered_events: events each room holds for a slow consumer before it stops reading.
        buffer_budget: events all the rooms of this client hold together, at most (a room waiting
            for it pauses like a room whose buffer is full): bounds memory however many rooms fall
            behind (about 2-3 KB per event; see the README's "Memory").
        overflow: ``"block"`` (stop reading until the consumer catches up) or ``"error"``.
        idle_timeout: seconds without any websocket frame before reconnecting.
        dedup_window: message ids each room remembers to drop repeats (8 bytes each; see
            :class:`~pytiktoklive._protocol.RecentIds`).
    """

    def __init__(
        self,
        endpoints: Optional[Endpoints] = None,
        *,
        debug: bool = False,
        log_requests: bool = False,
        signer: Optional[SignerLike] = None,
        sign_api_key: Optional[str] = None,
        proxy: Optional[str] = None,
        websocket_proxy: Optional[str] = None,
        insecure: bool = False,
        verify: Optional[Verify] = None,
        session_id: Optional[str] = None,
        tt_target_idc: Optional[str] = None,
        sign_with_session: bool = False,
        http_client: Optional[httpx.AsyncClient] = None,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 10.0,
        limits: HTTPLimits = DEFAULT_HTTP_LIMITS,
        params: Optional[Mapping[str, str]] = None,
        reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
        websocket: bool = True,
        polling: bool = True,
        max_buffered_events: int = 1000,
        buffer_budget: int = DEFAULT_BUFFER_BUDGET,
        overflow: str = "block",
        idle_timeout: Optional[float] = 60.0,
        dedup_window: int = 2048,
    ) -> None:
        if not user_agent.startswith("Mozilla/"):
            raise ValueError("user_agent must be a browser User-Agent (starting with 'Mozilla/')")
        check_overflow(overflow)
        if max_buffered_events < 1:
            raise ValueError("max_buffered_events must be at least 1")
        budget = BufferBudget(buffer_budget)  # refuses a budget under 1
        endpoints = Endpoints.from_env() if endpoints is None else endpoints
        self.endpoints = endpoints
        # Everything that can refuse the arguments runs before the HTTP client exists.
        if sign_api_key is not None:
            if signer is not None and not isinstance(signer, str):
                raise ValueError("sign_api_key goes with a sign server URL, not with a signer object")
            signer = SignServer(signer or endpoints.signer, api_key=sign_api_key)
        self._signer = as_signer(signer, endpoints.signer)
        if self._signer is not None:
            self._signer.limits = limits
            self._signer.deadline = timeout
        if insecure and verify is not None:
            raise ValueError("pass either verify (trust this CA) or insecure=True (verify nothing), not both")
        self._verify = verify_context(verify)
        self._proxies = resolve_proxies(proxy, insecure=insecure, verify=self._verify)
        if websocket_proxy:
            self._proxies = use_websocket_proxy(self._proxies, websocket_proxy)
        self._reporter = Reporter(debug=debug)
        redact_third_party_logs()
        self._timeout = timeout
        self._owns_client = http_client is None
        client = http_client or build_http_client(self._proxies, timeout=timeout, warn=self._reporter.warn)
        self._retired_clients: List[httpx.AsyncClient] = []
        self._http = TikTokHTTP(
            client,
            endpoints,
            self._reporter,
            user_agent=user_agent,
            extra_params=params,
            log_requests=log_requests,
            limits=limits,
            deadline=timeout,
        )
        if self._owns_client:
            self._http.proxies = self._proxies
        self._discovery = Discovery(self._http)
        self._session: Optional[SessionCookies] = None
        self._session_warned = False
        self._sign_with_session = sign_with_session
        if session_id:
            self.set_session(session_id, tt_target_idc)
        self._settings = SessionSettings(websocket=websocket, polling=polling, reconnect=reconnect)
        self._max_buffered_events = max_buffered_events
        self._buffer_budget = budget
        self._overflow = overflow
        self._idle_timeout = idle_timeout
        self._dedup_window = dedup_window
        self._lives: Set[Live] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"<TikTok {self.endpoints.www} rooms={len(self._lives)}>"

    # ------------------------------------------------------------------ settings

    @property
    def debug(self) -> bool:
        return self._reporter.debug_enabled

    @debug.setter
    def debug(self, value: bool) -> None:
        self._reporter.debug_enabled = value

    @property
    def log_requests(self) -> bool:
        return self._http.log_requests

    @log_requests.setter
    def log_requests(self, value: bool) -> None:
        self._http.log_requests = value

    @property
    def proxies(self) -> ProxySettings:
        """The proxies in use for HTTP and the websocket."""
        return self._proxies

    @property
    def lives(self) -> List[Live]:
        """The rooms being tracked (not closed)."""
        return list(self._lives)

    def set_debug_handler(self, handler: MessageHandler) -> None:
        """Receive debug messages (redacted strings) instead of the ``logging`` module."""
        self._reporter.debug_handler = handler

    def set_info_handler(self, handler: MessageHandler) -> None:
        self._reporter.info_handler = handler

    def set_warn_handler(self, handler: MessageHandler) -> None:
        self._reporter.warn_handler = handler

    def set_error_handler(self, handler: ErrorHandler) -> None:
        """Receive errors that do not stop anything (bad frames, failing event handlers…)."""
        self._reporter.error_handler = handler

    def set_proxy(self, url: str, insecure: bool = False) -> None:
        """Send all traffic (HTTP and websocket) through the proxy at ``url``.

        Schemes: ``http``, ``https``, ``socks5`` and ``socks5h``.

        TLS certificates (TikTok's, and an ``https`` proxy's own) stay verified (against the
        client's ``verify`` CA, when given) unless ``insecure`` is True. Rooms already
        tracked keep their connections; new connections (and reconnects) use the proxy.
        """
        self._proxies = resolve_proxies(url, insecure=insecure, verify=self._verify)
        if not self._owns_client:
            self._reporter.warn(
                "set_proxy: HTTP requests keep using your own httpx client's settings; "
                "the websocket uses the proxy"
            )
            return
        old = self._http.client
        self._retired_clients.append(old)  # closed with the client: requests may still be in flight
        self._http.client = build_http_client(
            self._proxies, timeout=self._timeout, cookies=old.cookies, warn=self._reporter.warn
        )
        self._http.proxies = self._proxies

    @property
    def logged_in(self) -> bool:
        """A logged-in session is set (:meth:`set_session`)."""
        return self._session is not None

    def set_session(self, session_id: Optional[str], tt_target_idc: Optional[str] = None) -> None:
        """Use a logged-in TikTok session from now on (``None`` logs out), as TikTokLive's
        ``web.set_session``: the ``sessionid`` (also as ``sessionid_ss`` and ``sid_tt``) and
        ``tt-target-idc`` cookies, and ``user_is_login=true`` in WebCast requests. The session id
        is never logged; it goes to the sign server only with ``sign_with_session=True``."""
        jar = self._http.client.cookies
        names = ("sessionid", "sessionid_ss", "sid_tt", "tt-target-idc")
        for domain in self._http.cookie_domains():
            for name in names:
                with contextlib.suppress(KeyError):  # not set
                    jar.delete(name, domain=domain)
        if not session_id:
            self._session = None
            self._http.params.pop("user_is_login", None)
            self._discovery.logged_in = False
            return
        self._session = SessionCookies(session_id, tt_target_idc or "")
        cookies = {"sessionid": session_id, "sessionid_ss": session_id, "sid_tt": session_id}
        if tt_target_idc:
            cookies["tt-target-idc"] = tt_target_idc
        self._http.set_cookies(cookies)
        self._http.params["user_is_login"] = "true"
        self._discovery.logged_in = True
        self._session_warned = False

    # ------------------------------------------------------------------ lookups

    async def get_user_info(self, user: str) -> UserInfo:
        """The user's profile (``room_id`` is non-zero while they are live)."""
        return await self._discovery.user_info(normalize_username(user))

    async def get_room_info(self, user_or_room: UserOrRoom) -> RoomInfo:
        """A room's info, by room id or by its host's username.

        Raises :class:`UserOfflineError` (by username) or :class:`LiveEndedError` (by room id)
        when the LIVE is over, :class:`AgeRestrictedError` for rooms that need a login.
        """
        if isinstance(user_or_room, str) and not user_or_room.strip().isdigit():
            username = normalize_username(user_or_room)
            info = await self._discovery.room_info_by_user(username)  # one request
            if info is not None:
                return info
        room_id, username = await self._resolve(user_or_room)
        return await self._discovery.room_info(room_id, username=username)

    async def is_live(self, user_or_room: UserOrRoom) -> bool:
        """Whether a user (or room) is live now."""
        try:
            room_id, _ = await self._resolve(user_or_room)
        except UserOfflineError:
            return False
        return (await self._discovery.check_alive([room_id])).get(room_id, False)

    async def check_alive(self, *room_ids: int) -> Dict[int, bool]:
        """Which of these rooms are live (one request for all of them)."""
        return await self._discovery.check_alive(room_ids)

    async def get_price_list(self) -> PriceList:
        """Coin prices, in the currency TikTok picks for this IP."""
        return await self._discovery.price_list()

    async def get_gift_info(self, room_id: int, *, refresh: bool = False) -> GiftInfo:
        """The gifts a room accepts, by id.

        A room's list is reused for 10 minutes (``refresh=True`` asks again now), concurrent calls
        for one room share one request, and rooms answering the very same list share one
        :class:`GiftInfo` object (so treat it as read-only); see ``_discovery.GiftListCache``.
        """
        return await self._discovery.gift_info(int(room_id), refresh=refresh)

    async def send_chat(self, room_id: int, text: str) -> int:
        """Post a chat message to a room as the logged-in user; returns its message id (0 if
        TikTok did not say). The message then arrives in the room as a :class:`ChatEvent`.

        Raises :class:`LoginRequiredError` without a session (or when TikTok does not accept it),
        :class:`RateLimitError` when rate limited, ``ValueError`` for an empty text.
        """
        if self._session is None:
            raise LoginRequiredError(
                "sending chat needs a logged-in session: TikTok(session_id=..., tt_target_idc=...)"
            )
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a chat message needs some text")
        body = await self._http.webcast_post("room/chat/", {"room_id": str(int(room_id)), "content": text})
        status = body.get("status_code") if isinstance(body, Mapping) else None
        data = body.get("data") if isinstance(body, Mapping) else None
        if status == _SESSION_EXPIRED:
            raise LoginRequiredError("TikTok did not accept the logged-in session (expired?)")
        if status not in (0, None) or not isinstance(data, Mapping):
            message = str(data.get("message") or "") if isinstance(data, Mapping) else ""
            raise RequestError(
                f"room/chat: TikTok answered status_code {status}" + (f" ({message})" if message else "")
            )
        msg_id = data.get("msg_id_str") or data.get("msg_id")
        return int(str(msg_id)) if str(msg_id or "").isdigit() else 0

    def _session_for_signer(self) -> Optional[SessionCookies]:
        """The session, when the user opted in to hand it to a fetch-flow sign server (warned once)."""
        signer = self._signer
        if not (self._sign_with_session and self._session and signer is not None and signer.performs_fetch):
            return None
        if not self._session_warned:
            self._session_warned = True
            self._reporter.warn(
                "sign_with_session: your TikTok session is sent to the sign server %s, which can act as you",
                getattr(signer, "base_url", "in use"),
            )
        return self._session

    def new_feed(self) -> Feed:
        """TikTok's recommended LIVEs, page by page."""
        return Feed(self, self._discovery)

    async def _resolve(self, user_or_room: UserOrRoom) -> tuple[int, str]:
        """(room id, username or "") from a room id or a username/URL."""
        if isinstance(user_or_room, int) and not isinstance(user_or_room, bool):
            return user_or_room, ""
        if isinstance(user_or_room, str) and user_or_room.strip().isdigit():
            return int(user_or_room.strip()), ""
        username = normalize_username(user_or_room)  # type: ignore[arg-type]  # it reports bad types itself
        return await self._discovery.room_id(username), username

    # ------------------------------------------------------------------ tracking

    async def track_user(self, username: str, **options: Any) -> Live:
        """Track the current LIVE of ``username`` (``"name"``, ``"@name"`` or a profile/live URL).

        Raises :class:`UserNotFoundError`, :class:`UserOfflineError`, … before anything is tracked.
        ``options`` are those of :meth:`track_room`.
        """
        name = normalize_username(username)
        room_id, info = await self._discovery.live_room(name)
        return await self._track(room_id, info, username=name, **options)

    async def track_room(self, room_id: Union[int, str], **options: Any) -> Live:
        """Track a room by id. Returns as soon as the room is connected; events flow from the returned
        :class:`Live`.

        Options: ``fetch_gift_info`` (True), ``process_initial_events`` (True: deliver the
        recent messages the first fetch returns), ``max_buffered_events``, ``overflow``,
        ``websocket``, ``polling`` (defaults from the client), ``resume`` (a
        :class:`~pytiktoklive.live.ResumePoint` saved by another tracker of this room, see
        :meth:`Live.resume_point`: reading starts there and events it had consumed are dropped;
        if that LIVE has ended since, the events it said after the point are still delivered,
        then the :class:`Live` ends).
        """
        return await self._track(int(room_id), **options)

    async def _track(
        self,
        room_id: int,
        info: Optional[RoomInfo] = None,
        /,
        *,
        username: str = "",
        fetch_gift_info: bool = True,
        process_initial_events: bool = True,
        max_buffered_events: Optional[int] = None,
        overflow: Optional[str] = None,
        websocket: Optional[bool] = None,
        polling: Optional[bool] = None,
        resume: Optional[ResumePoint] = None,
    ) -> Live:
        if self._closed:
            raise RuntimeError("this TikTok client is closed")
        # Checked before any request: a bad option must not cost a signature.
        capacity = self._max_buffered_events if max_buffered_events is None else max_buffered_events
        if capacity < 1:
            raise ValueError("max_buffered_events must be at least 1")
        overflow = self._overflow if overflow is None else overflow
        check_overflow(overflow)
        settings = SessionSettings(
            websocket=self._settings.websocket if websocket is None else websocket,
            polling=self._settings.polling if polling is None else polling,
            reconnect=self._settings.reconnect,
        )
        label = f"@{username} (room {room_id})" if username else f"room {room_id}"
        if resume is not None and resume.room_id != room_id:
            raise ValueError(f"resume point of room {resume.room_id} given for room {room_id}")
        protocol = WebcastProtocol(room_id, dedup_window=self._dedup_window)
        if resume is not None:
            protocol.resume(resume.cursor, resume.internal_ext, resume.seen_msg_ids)
        try:
            if info is None:  # (track_user may have it already: see Discovery.live_room)
                info = await self._discovery.room_info(room_id, username=username)
        except LiveEndedError:
            if resume is None or not (resume.cursor or resume.internal_ext):
                raise
            return await self._track_the_tail(room_id, protocol, resume, username, label)
        # The gift list (~0.5 MB) downloads while the first fetch is signed and made.
        gifts = asyncio.ensure_future(self._gift_info_or_none(room_id, label)) if fetch_gift_info else None
        if self._signer is not None:
            self._signer.rooms_tracked = len(self._lives) + 1
        try:
            body = await self._discovery.first_fetch(
                room_id,
                self._signer,
                protocol.fetch_params() if resume is not None else None,
                session=self._session_for_signer(),
            )
        except BaseException:
            if gifts is not None:
                gifts.cancel()
                await asyncio.gather(gifts, return_exceptions=True)
            raise
        gift_info = await gifts if gifts is not None else None
        protocol.receive_fetch_result(body)
        first_events = protocol.events_received()
        dropped = 0
        if not process_initial_events and resume is None:
            dropped = len(first_events)
            first_events = []  # their ids are remembered all the same, so they never come back
        return self._start_live(
            protocol,
            info,
            gift_info,
            username,
            label,
            settings,
            capacity,
            overflow,
            first_events,
            dropped,
            resume,
        )

    async def _track_the_tail(
        self, room_id: int, protocol: WebcastProtocol, resume: ResumePoint, username: str, label: str
    ) -> Live:
        """A resumed room whose LIVE ended meanwhile: what it said after the resume point is still
        there for one poll (as after a disconnection); deliver that, then end."""
        self._reporter.info("%s: the LIVE ended before it was resumed; fetching its last messages", label)
        protocol.receive_fetch_result(await self._discovery.poll(protocol.fetch_params()))
        protocol.ended = True
        settings = dataclasses.replace(self._settings, websocket=False, polling=False)
        return self._start_live(
            protocol, RoomInfo(id=room_id, status=4), None, username, label, settings,
            self._max_buffered_events, self._overflow, protocol.events_received(), 0, resume,
        )  # fmt: skip

    def _start_live(
        self,
        protocol: WebcastProtocol,
        info: RoomInfo,
        gift_info: Optional[GiftInfo],
        username: str,
        label: str,
        settings: SessionSettings,
        capacity: int,
        overflow: str,
        first_events: List[Event],
        dropped: int,
        resume: Optional[ResumePoint],
    ) -> Live:
        buffer = EventBuffer(
            capacity, overflow=overflow, reporter=self._reporter, label=label, budget=self._buffer_budget
        )
        session = RoomSession(
            protocol,
            buffer,
            settings=settings,
            reporter=self._reporter,
            label=label,
            poll=self._discovery.poll,
            check_alive=self._check_one,
            websocket_url_params={**self._http.params, **_WEBSOCKET_PARAMS},
            websocket_options=self._websocket_options,
        )
        live = Live(
            info=info,
            gift_info=gift_info,
            username=username,
            protocol=protocol,
            buffer=buffer,
            session=session,
            reporter=self._reporter,
            on_close=self._lives.discard,
            resumed_from=resume,
        )
        live._proxies = self._proxies
        live._send_chat = self.send_chat
        self._lives.add(live)
        live._start(first_events, dropped=dropped)
        return live

    async def _gift_info_or_none(self, room_id: int, label: str) -> Optional[GiftInfo]:
        try:
            return await self._discovery.gift_info(room_id)
        except RequestError as exc:  # the events carry gift names and costs anyway
            self._reporter.warn("%s: no gift list (%s)", label, exc)
            return None

    async def _check_one(self, room_id: int) -> Optional[bool]:
        return (await self._discovery.check_alive([room_id])).get(room_id)

    def _websocket_options(self, url: str) -> WebsocketOptions:
        proxy = websocket_proxy_for(self._proxies, url)
        return WebsocketOptions(
            user_agent=self._http.signed_user_agent or self._http.user_agent,
            origin=self.endpoints.www,
            cookie=self._http.cookie_header(url),
            proxy=proxy,
            ssl=websocket_ssl(self._proxies, url),
            proxy_ssl=proxy_ssl(self._proxies, proxy),
            open_timeout=self._timeout,
            idle_timeout=self._idle_timeout,
        )

    async def track_many(
        self,
        usernames: Iterable[str],
        *,
        concurrency: int = 8,
        max_buffered_events: int = 256,
        group_buffer: int = 1000,
        **options: Any,
    ) -> LiveGroup:
        """Track many users at once; returns a :class:`LiveGroup` (iterate it for ``(live, event)``).

        At most ``concurrency`` rooms are being looked up at a time (TikTok rate-limits
        bursts; a rate-limited lookup waits and retries). Users who cannot be tracked
        (offline, unknown, blocked…) end up in ``group.failures`` instead of failing the call.
        Each room buffers at most ``max_buffered_events`` events and
        the client's ``buffer_budget`` all rooms together: memory stays bounded however many rooms
        there are (``group_buffer`` is accepted and unused: the merged stream holds nothing). ``options``
        are those of :meth:`track_room`; ``fetch_gift_info=False`` saves a large
        ``gift/list`` download per room. With it on, every room is still asked for its own list
        (the API is per room), but rooms answering the same list share one copy in memory
        (see :meth:`get_gift_info`).
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        names: Dict[str, None] = {}
        failures: Dict[str, BaseException] = {}
        for username in usernames:
            try:
                names[normalize_username(username)] = None
            except InvalidUsernameError as exc:
                failures[str(username)] = exc
        gate = asyncio.Semaphore(concurrency)
        lives: Dict[str, Live] = {}

        async def track(name: str) -> None:
            async with gate:
                for attempt in range(1, 4):
                    try:
                        lives[name] = await self.track_user(
                            name, max_buffered_events=max_buffered_events, **options
                        )
                        return
                    except (RateLimitError, SignerRateLimitError) as exc:
                        if attempt == 3:
                            failures[name] = exc
                            return
                        await asyncio.sleep(
                            self._settings.reconnect.delay(attempt, retry_after=exc.retry_after)
                        )
                    except Exception as exc:
                        failures[name] = exc
                        return

        await asyncio.gather(*(track(name) for name in names))
        if failures:
            self._reporter.info(
                "track_many: %d of %d users not tracked", len(failures), len(failures) + len(lives)
            )
        return LiveGroup(lives, failures, reporter=self._reporter, capacity=group_buffer)

    # ------------------------------------------------------------------ closing

    async def aclose(self) -> None:
        """Close every tracked room and the HTTP client (if the client created it). Idempotent."""
        if self._closed:
            return
        self._closed = True
        await asyncio.gather(*(live.close() for live in list(self._lives)))
        if self._owns_client:
            for client in (*self._retired_clients, self._http.client):
                await client.aclose()

    async def __aenter__(self) -> TikTok:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
