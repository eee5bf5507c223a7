"""The simulator: one loopback port serving TikTok's web host, WebCast API, sign server,
push server and CDN, with the rooms and faults that drive them.

Routing (``Endpoints`` maps ``www`` → ``/``, ``webcast`` → ``/webcast``, ``signer`` → ``/signer``):

==========================================  ====================  ==============================
path                                        endpoint name         answer
==========================================  ====================  ==============================
``/``                                       ``home``              HTML, sets ``ttwid`` & co.
``/@{user}``, ``/@{user id}``               ``profile``           HTML (universal or SIGI data)
``/@{user}/live``                           ``live_page``         HTML (SIGI ``LiveRoom``)
``/api-live/user/room/``                    ``api-live``          JSON
``/webcast/room/info/``                     ``room/info``         JSON
``/webcast/room/info_by_user/``             ``room/info_by_user`` JSON (by ``unique_id``)
``/webcast/room/chat/`` (POST)              ``room/chat``         JSON; needs a session
``/webcast/room/check_alive/``              ``room/check_alive``  JSON
``/webcast/gift/list/``                     ``gift/list``         JSON (the real capture)
``/webcast/diamond/``                       ``diamond``           JSON
``/webcast/feed/``                          ``feed``              JSON, paged by ``max_time``
``/webcast/im/fetch/``                      ``im/fetch``          protobuf ``FetchResult``
``/webcast/im/push/`` (websocket)           ``push``              PushFrames
``/signer/webcast/sign_url``, ``…/fetch``   ``sign``              JSON / protobuf
``/stage/stream-{id}_{q}.flv``, ``…/*.m3u8``  ``stream``          FLV / HLS
``/img/…``                                  ``image``             a tiny PNG
==========================================  ====================  ==============================
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from pytiktoklive.config import Endpoints
from pytiktoklive.simulator import pages, signer, webcast_api
from pytiktoklive.simulator.captures import find_captures, load_gift_list
from pytiktoklive.simulator.faults import Faults, HTTPFault
from pytiktoklive.simulator.fetch import encode_fetch_result
from pytiktoklive.simulator.gifts import GiftCatalogue, generated_gift_list
from pytiktoklive.simulator.http import HTTPRequest, html_response, json_response, response
from pytiktoklive.simulator.keepalive import IdleConnections, keeps_alive
from pytiktoklive.simulator.media import FlvLoop, HlsLoop, MediaFiles, TestMedia
from pytiktoklive.simulator.proto import pb
from pytiktoklive.simulator.push import MALFORMED_FRAME, PushServer, SentListener, route_params_of
from pytiktoklive.simulator.rooms import RoomSpec, Signal, SimRoom, World, epoch_ms
from pytiktoklive.simulator.scenarios import LivelyScenario, ReplayScenario
from pytiktoklive.simulator.streams import parse_stream_path
from pytiktoklive.simulator.tls import SimCertificates, make_certificates

__all__ = ["RequestRecord", "SimSession", "Simulator", "builtin_specs"]

# Most messages one im/fetch answer carries.
_MAX_FETCH = 100
# Ended LIVEs of a looping room still answered by room id (status 4); older ones are forgotten.
_ENDED_LIVES_KEPT = 4
# A live FLV stream runs this many seconds ahead of real time (a CDN sends its cache of the
# last seconds at once, so players, and ffmpeg probing the stream, start at once).
_STREAM_LEAD = 3.0
# A live HLS playlist lists the segments complete this many seconds ahead of real time.
_HLS_LEAD = 1.0
# A stream client with this many bytes waiting to be sent has stopped reading: it is let go.
_STREAM_BACKLOG = 8 << 20
# Segments a live HLS playlist lists.
_HLS_WINDOW = 4
_LIVE_SEGMENT = re.compile(r"^live(\d{1,9})\.ts$")
# Seconds a finished stream's last bytes get to reach the client before the socket is dropped.
_STREAM_CLOSE_GRACE = 5.0
# Requests remembered in Simulator.requests.
_REQUEST_LOG = 10_000
_PROFILE = re.compile(r"^/@([^/]+)$")
_LIVE_PAGE = re.compile(r"^/@([^/]+)/live$")
_PUSH_PATHS = ("/webcast/im/push", "/webcast/im/push/v2", "/webcast/im/ws_proxy/ws_reuse_supplement")
_WEBCAST_ENDPOINTS = (
    "room/info",
    "room/info_by_user",
    "room/check_alive",
    "room/chat",
    "gift/list",
    "diamond",
    "feed",
    "im/fetch",
)
# TikTok's status_code for a request that needs a logged-in session it did not get (research §5.8).
_SESSION_EXPIRED = 20003
# api-live's statusCode for an unknown user (research §5.2), reused by ``room/info_by_user``.
_USER_NOT_FOUND = 19881007
# A 1x1 transparent PNG: avatars, covers and gift images all point at the simulator.
_PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
_HOME_COOKIES = ("ttwid", "tt_csrf_token", "tt_chain_token")


@dataclass(frozen=True)
class SimSession:
    """A logged-in TikTok user of the simulator (see :meth:`Simulator.login`)."""

    session_id: str
    tt_target_idc: str
    user_id: int
    username: str
    nickname: str


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request (or websocket handshake) the simulator received."""

    time: float
    endpoint: str
    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    cookies: Dict[str, str]


def builtin_specs(captures: Optional[Path], *, loop: bool = False) -> List[RoomSpec]:
    """The built-in rooms; ``replay_user`` only when the captures are there.

    ``loop``: each live room goes live again when its LIVE ends (``RoomSpec.loop``).
    """
    specs = [
        RoomSpec(
            "demo_user",
            nickname="Demo User",
            title="Simulated LIVE: every event type",
            scenario=LivelyScenario(extras=True),
            loop=loop,
        ),
        RoomSpec("offline_user", nickname="Offline User", live=False),
        RoomSpec(
            "sigi_user",
            nickname="Sigi User",
            title="Simulated LIVE with a 2022 profile page",
            page_style="sigi",
            scenario=LivelyScenario(battle=False),
            loop=loop,
        ),
        RoomSpec(
            "polling_user",
            nickname="Polling User",
            title="Simulated LIVE without websocket",
            websocket=False,
            scenario=LivelyScenario(battle=False),
            loop=loop,
        ),
    ]
    if captures is not None:
        try:
            replay = ReplayScenario(captures)
        except FileNotFoundError:
            pass
        else:
            specs.append(
                RoomSpec(
                    "replay_user",
                    nickname="Replay User",
                    title="Real captured messages",
                    scenario=replay,
                    loop=loop,
                )
            )
    return specs


def _endpoint_of(path: str) -> str:
    path = path.rstrip("/") or "/"
    if path == "/":
        return "home"
    if _PROFILE.match(path):
        return "profile"
    if _LIVE_PAGE.match(path):
        return "live_page"
    if path == "/api-live/user/room":
        return "api-live"
    if path.startswith("/webcast/"):
        name = path[len("/webcast/") :]
        if name in _WEBCAST_ENDPOINTS:
            return name
        if path in _PUSH_PATHS:
            return "push"
    if path in ("/signer/webcast/sign_url", "/signer/webcast/fetch"):
        return "sign"
    if path.startswith("/stage/"):
        return "stream"
    if path.startswith("/img/"):
        return "image"
    return "unknown"


def _username_of(path: str) -> Optional[str]:
    match = _PROFILE.match(path.rstrip("/")) or _LIVE_PAGE.match(path.rstrip("/"))
    return match.group(1).lstrip("@") if match else None


def _select_subprotocol(
    _connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Optional[Subprotocol]:
    # TikTok's web client offers "echo-protocol"; clients offering nothing are served too.
    return Subprotocol("echo-protocol") if "echo-protocol" in offered else None


class Simulator:
    """A TikTok LIVE on loopback. See :mod:`pytiktoklive.simulator` for the API tour."""

    def __init__(
        self,
        rooms: Iterable[RoomSpec] = (),
        *,
        builtin_rooms: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        speed: float = 1.0,
        captures_dir: Optional[Path] = None,
        media_dir: Optional[Path] = None,
        feed_page_size: int = 6,
        http_gzip: bool = True,
        tls: bool = False,
        on_sent: Optional[SentListener] = None,
        loop: bool = False,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.host = host
        self.port = port
        self.seed = seed
        self.speed = speed
        self.captures_dir = find_captures(captures_dir)
        self.feed_page_size = feed_page_size
        self.http_gzip = http_gzip
        self.tls = tls
        self._certificates: Optional[SimCertificates] = None
        self.faults = Faults()
        #: Every HTTP request and websocket handshake received (the last 10 000).
        self.requests: Deque[RequestRecord] = collections.deque(maxlen=_REQUEST_LOG)
        self.media = TestMedia(media_dir)
        self._flv_loop: Optional[Tuple[MediaFiles, FlvLoop]] = None
        self._hls_loop: Optional[Tuple[MediaFiles, HlsLoop]] = None
        #: When each stream's live HLS began (its first playlist request), by stream id.
        self._hls_started: Dict[int, float] = {}
        builtin = builtin_specs(self.captures_dir, loop=loop) if builtin_rooms else []
        self._specs: List[RoomSpec] = [*builtin, *rooms]
        self._rooms: List[SimRoom] = []
        self._by_name: Dict[str, SimRoom] = {}
        self._by_id: Dict[int, SimRoom] = {}
        self._by_stream: Dict[int, SimRoom] = {}
        self._on_sent = on_sent
        self._push = PushServer(on_sent)
        self._sessions: Dict[str, SimSession] = {}
        self._server: Optional[Server] = None
        self._world: Optional[World] = None
        self._closing = asyncio.Event()
        self._idle = IdleConnections()
        self._changed: Optional[Signal] = None

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> Simulator:
        """Bind the port and create the rooms."""
        if self._server is not None:
            return self
        if self.tls and self._certificates is None:
            self._certificates = make_certificates(self.host)
        try:
            self._server = await serve(
                self._push.serve,
                self.host,
                self.port,
                process_request=self._serve_http,
                process_response=self._process_response,
                select_subprotocol=_select_subprotocol,
                open_timeout=None,  # stalls are faults the simulator controls, not timeouts
                ping_interval=None,  # TikTok's push server does not ping; clients heartbeat
                max_size=1 << 20,
                compression=None,
                ssl=self._certificates.server_context() if self._certificates else None,
            )
        except BaseException:
            if self._certificates is not None:  # e.g. the port is taken: leave no key files behind
                self._certificates.remove()
                self._certificates = None
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        self._changed = Signal()
        gift_list = load_gift_list(self.captures_dir) if self.captures_dir else None
        self._world = World(
            seed=self.seed,
            speed=self.speed,
            base_url=self.url,
            gifts=GiftCatalogue(gift_list or generated_gift_list(self.url, epoch_ms())),
            changed=self._changed,
            live_ended=self._live_ended,
        )
        for spec in self._specs:
            self._add(spec)
        return self

    async def close(self) -> None:
        """Stop every room and connection and free the port."""
        if self._server is None:
            return
        self._closing.set()
        self._idle.close_all()
        for room in self._rooms:
            await room.aclose()
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        if self._certificates is not None:
            self._certificates.remove()
            self._certificates = None

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ public API

    @property
    def url(self) -> str:
        """``http://host:port`` (``https://`` with ``tls``): the web host, base of every other service."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def push_url(self) -> str:
        """The push server URL ``im/fetch`` hands out (``ws://``, or ``wss://`` with ``tls``)."""
        return f"{'wss' if self.tls else 'ws'}://{self.host}:{self.port}/webcast/im/push/"

    @property
    def ca_file(self) -> Optional[Path]:
        """With ``tls``, while running: the PEM file of the CA that signed the simulator's certificate.

        Trust it with ``TikTok(sim.endpoints, verify=sim.ca_file)``; None without ``tls``.
        """
        return self._certificates.ca_file if self._certificates else None

    @property
    def endpoints(self) -> Endpoints:
        """Where a client finds this simulator: ``TikTok(sim.endpoints)``."""
        return Endpoints(www=self.url, webcast=self.url + "/webcast", signer=self.url + "/signer")

    @property
    def rooms(self) -> List[SimRoom]:
        return list(self._rooms)

    @property
    def world(self) -> World:
        if self._world is None:
            raise RuntimeError("the simulator is not running: use 'async with Simulator() as sim'")
        return self._world

    def room(self, key: Union[str, int]) -> SimRoom:
        """A room by username (``"@name"`` or ``"name"``, any case) or by room id."""
        self.world  # noqa: B018 - raises a clear error before start
        found = self._by_id.get(key) if isinstance(key, int) else self._by_name.get(key.lstrip("@").lower())
        if found is None:
            raise KeyError(f"no simulated room {key!r}; rooms: {', '.join(self._by_name)}")
        return found

    def add_room(self, spec: RoomSpec) -> SimRoom:
        """Add a room to the running simulator."""
        self.world  # noqa: B018
        return self._add(spec)

    def add_rooms(self, count: int, *, prefix: str = "load_user", **fields: Any) -> List[SimRoom]:
        """Add ``count`` rooms named ``{prefix}{n}`` (for load tests).

        ``fields`` go to every :class:`RoomSpec` (``scenario``, ``websocket``…).
        """
        start = sum(1 for name in self._by_name if name.startswith(prefix.lower()))
        return [self.add_room(RoomSpec(f"{prefix}{start + index}", **fields)) for index in range(count)]

    def login(
        self, username: str = "sim_viewer", *, nickname: str = "", tt_target_idc: str = "useast1a"
    ) -> str:
        """Log a TikTok user in: the ``sessionid`` cookie value that identifies them.

        With it (``TikTok(session_id=…)``) ``room/info`` shows age-restricted rooms and
        ``room/chat`` accepts messages, which come back in the room as chat from this user.
        Any other ``sessionid`` reads as an expired session (``status_code`` 20003).
        """
        session_id = hashlib.sha256(f"session:{username}:{len(self._sessions)}".encode()).hexdigest()[:32]
        user_id = 6_800_000_000_000_000_000 + int(session_id[:12], 16) % 10**17
        self._sessions[session_id] = SimSession(
            session_id, tt_target_idc, user_id, username, nickname or username.replace("_", " ").title()
        )
        return session_id

    def _session_of(self, request: HTTPRequest) -> Optional[SimSession]:
        return self._sessions.get(request.cookies.get("sessionid", ""))

    def start_new_live(self, username: str, **fields: Any) -> SimRoom:
        """``username`` goes live again: a new room (a new room id, as on TikTok) takes the place
        of their current one, whose LIVE is ended first if it still runs; ``fields`` go to the new
        :class:`RoomSpec` (``scenario``…). Also how an offline user (``live=False``) goes live.
        Message ids go on from the old room's, so they stay unique per user."""
        old = self.room(username)
        if old.live:
            old.end()
        spec = dataclasses.replace(old.spec, live=True, room_id=old.room_id + 1, **fields)
        del self._by_name[old.username.lower()]
        room = self._add(spec)
        room.continue_ids_from(old)
        self.world.changed.fire()
        return room

    async def wait_until(self, predicate: Callable[[], bool], timeout: Optional[float] = None) -> None:
        """Wait until ``predicate()`` holds; it is checked whenever the simulator's state changes."""
        signal = self._changed
        if signal is None:
            raise RuntimeError("the simulator is not running")

        async def wait() -> None:
            while not predicate():
                await signal.wait()

        await asyncio.wait_for(wait(), timeout)

    def _add(self, spec: RoomSpec, *, generation: int = 0) -> SimRoom:
        name = spec.username.lstrip("@").lower()
        if name in self._by_name and not generation:
            raise ValueError(f"a room named {spec.username!r} exists already")
        room = SimRoom(spec, self.world, generation=generation)
        if room.room_id in self._by_id:
            raise ValueError(f"room id {room.room_id} is taken")
        self._rooms.append(room)
        self._by_name[name] = room  # a user's newest LIVE is the one their pages show
        self._by_id[room.room_id] = room
        self._by_stream[room.stream_id] = room
        return room

    def _live_ended(self, room: SimRoom) -> None:
        """A looping room's LIVE ended: its user goes live again in a new room at once."""
        if (
            not room.spec.loop
            or self._closing.is_set()
            or self._by_name.get(room.username.lower()) is not room
        ):
            return
        self._add(room.spec, generation=room.generation + 1)
        # The ended LIVEs stay known by room id (status 4) for a while, not for ever.
        old = [each for each in self._rooms if each.username == room.username and each.ended]
        for stale in old[:-_ENDED_LIVES_KEPT]:
            self._rooms.remove(stale)
            del self._by_id[stale.room_id]
            del self._by_stream[stale.stream_id]

    # ------------------------------------------------------------------ request handling

    async def _serve_http(self, connection: ServerConnection, raw: Request) -> Optional[Response]:
        """Answer the requests of one connection, keeping it open between plain answers (as
        TikTok's servers do: :mod:`~pytiktoklive.simulator.keepalive`); the last answer (a
        websocket handshake's, or one that closes the connection) goes back to websockets."""
        while True:
            answer = await self._process_request(connection, raw)
            if self._closing.is_set() or not keeps_alive(connection, raw, answer):
                return answer
            assert answer is not None  # keeps_alive says so
            following = await self._idle.next_request(connection, answer)
            if following is None:  # the client (or the simulator) closed the connection
                return response(503)  # never sent: the connection is closed
            raw = following

    async def _process_request(self, connection: ServerConnection, raw: Request) -> Optional[Response]:
        request = HTTPRequest.from_websockets(raw)
        endpoint = _endpoint_of(request.path)
        username = _username_of(request.path) or request.query.get("uniqueId")
        self.requests.append(
            RequestRecord(
                time=time.time(),
                endpoint=endpoint,
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers.raw_items()),
                cookies=dict(request.cookies),
            )
        )
        if self._changed is not None:
            self._changed.fire()
        if endpoint == "sign" and self.faults.signer_down:
            connection.transport.abort()
            return response(503)
        fault = self.faults.take(endpoint, username)
        if fault is not None:
            if fault.kind == "stall":
                if not await self._stall(fault):
                    connection.transport.abort()
                    return response(503)
            elif fault.kind == "drop":
                connection.transport.abort()
                return response(503)
            elif fault.kind == "truncate":
                # A stream cut short: half of one pass of the video file, then the connection closes.
                whole = await self._stream(request) if endpoint == "stream" else None
                return self._truncated(whole or await self._answer(connection, request, endpoint))
            else:
                return self._fault_answer(fault, endpoint, request)
        answer = await self._answer(connection, request, endpoint)
        if answer is not None and request.method == "HEAD":  # the headers of a GET, no body
            answer = Response(answer.status_code, answer.reason_phrase, answer.headers, b"")
        return answer

    async def _stall(self, fault: HTTPFault) -> bool:
        """Hold a request; True when it should then be answered, False when the simulator closed."""
        if fault.seconds is None:
            await self._closing.wait()
            return False
        try:
            await asyncio.wait_for(self._closing.wait(), fault.seconds)
        except asyncio.TimeoutError:
            return True
        return False

    @staticmethod
    def _truncated(full: Optional[Response]) -> Response:
        if full is None:  # a websocket upgrade: nothing to truncate, refuse it
            return response(503, b"truncated handshake")
        headers = Headers(
            [(name, value) for name, value in full.headers.raw_items() if name.lower() != "content-length"]
        )
        headers["Content-Length"] = str(len(full.body))
        return Response(full.status_code, full.reason_phrase, headers, full.body[: len(full.body) // 2])

    def _fault_answer(self, fault: HTTPFault, endpoint: str, request: HTTPRequest) -> Response:
        if fault.kind == "captcha":
            return html_response(pages.captcha_page(self.url), request=request)
        if fault.kind == "waf":
            return html_response(pages.waf_page(self.url), request=request)
        if fault.kind == "malformed":
            return response(200, MALFORMED_FRAME + b'{"status_code": 0, "da', "application/json")
        if fault.kind == "empty":
            return response(200, b"", "application/json")
        headers = []
        if fault.retry_after is not None:
            headers.append(("Retry-After", f"{fault.retry_after:g}"))
        if endpoint == "sign":
            if fault.retry_after is not None:
                headers.append(("RateLimit-Reset", f"{fault.retry_after:g}"))
            body: Any = (
                signer.rate_limit_body(fault.retry_after)
                if fault.status == 429
                else {"error": "sign server error"}
            )
            return json_response(body, fault.status, headers=headers)
        if endpoint in ("home", "profile", "live_page"):
            return response(
                fault.status,
                f"<html><body>Error {fault.status}</body></html>".encode(),
                "text/html",
                headers=headers,
            )
        return json_response(
            {"status_code": fault.status, "data": {"message": "simulated failure"}},
            fault.status,
            headers=headers,
        )

    async def _answer(
        self, connection: ServerConnection, request: HTTPRequest, endpoint: str
    ) -> Optional[Response]:
        gzip_for = request if self.http_gzip else None
        if endpoint == "push":
            return self._push.handshake(connection, request, self._room_by_query(request))
        if endpoint in ("home", "profile", "live_page", "api-live"):
            return self._www(request, endpoint, gzip_for)
        if endpoint == "im/fetch":
            return self._im_fetch(request, gzip_for)
        if endpoint == "sign":
            return self._sign(request)
        if endpoint == "stream":
            return await self._stream(request, connection)
        if endpoint == "gift/list":
            return response(200, self.world.gifts.body, "application/json; charset=utf-8", gzip_for=gzip_for)
        if endpoint == "image":
            return response(200, _PIXEL, "image/png", headers=[("Cache-Control", "max-age=86400")])
        if endpoint == "room/chat":
            return json_response(self._chat(request))
        if endpoint in _WEBCAST_ENDPOINTS:
            return json_response(self._webcast_json(request, endpoint), request=gzip_for)
        return response(404, b"Not Found: the simulator does not serve this path\n")

    def _room_by_query(self, request: HTTPRequest) -> Optional[SimRoom]:
        room_id = request.query.get("room_id", "")
        return self._by_id.get(int(room_id)) if room_id.isdigit() else None

    def _www(self, request: HTTPRequest, endpoint: str, gzip_for: Optional[HTTPRequest]) -> Response:
        cookies = {}
        if "ttwid" not in request.cookies:
            stamp = epoch_ms()
            cookies = {name: f"sim{name.replace('_', '')}{stamp}" for name in _HOME_COOKIES}
        if endpoint == "home":
            return html_response(pages.home_page(self.url), request=gzip_for, cookies=cookies)
        username = _username_of(request.path) if endpoint != "api-live" else request.query.get("uniqueId", "")
        room = self._by_name.get((username or "").lstrip("@").lower())
        if room is None and endpoint == "profile" and (username or "").isdigit():
            # TikTok also serves a profile at /@{numeric user id}: TikTokLive's is_user_id reads it.
            room = next(
                (each for each in reversed(self._rooms) if each.user_id == int(username or "0")), None
            )
        if room is not None and room.username in self.faults.user_not_found:
            room = None
        if endpoint == "api-live":
            answer = pages.api_live_answer(room) if room else pages.not_found_api_live(epoch_ms())
            return json_response(answer, request=gzip_for)
        name = username or ""
        if endpoint == "profile":
            html = pages.profile_page(room) if room else pages.not_found_profile_page(self.url, name)
        else:
            html = pages.live_page(room) if room else pages.not_found_live_page(self.url, name)
        return html_response(html, request=gzip_for, cookies=cookies)

    def _webcast_json(self, request: HTTPRequest, endpoint: str) -> Dict[str, Any]:
        logged_in = self._session_of(request) is not None
        if endpoint == "room/info":
            room_id = request.query.get("room_id", "")
            return webcast_api.room_info_answer(
                self._room_by_query(request), int(room_id) if room_id.isdigit() else 0, logged_in=logged_in
            )
        if endpoint == "room/info_by_user":
            room = self._by_name.get(request.query.get("unique_id", "").lstrip("@").lower())
            if room is None or room.username in self.faults.user_not_found:
                return webcast_api.failure(_USER_NOT_FOUND, "user_not_found")
            return webcast_api.room_info_answer(room, room.room_id, logged_in=logged_in)
        if endpoint == "room/check_alive":
            ids = [
                int(part) for part in request.query.get("room_ids", "").split(",") if part.strip().isdigit()
            ]
            return webcast_api.check_alive_answer(self._by_id, ids)
        if endpoint == "diamond":
            return webcast_api.diamond_answer()
        max_time = request.query.get("max_time", "0")
        return webcast_api.feed_answer(
            self._rooms, int(max_time) if max_time.isdigit() else 0, self.feed_page_size
        )

    def _chat(self, request: HTTPRequest) -> Dict[str, Any]:
        """``POST room/chat/?room_id=…&content=…``: a logged-in user's comment, echoed into the room."""
        session = self._session_of(request)
        if session is None:
            return webcast_api.failure(_SESSION_EXPIRED, "session expired, please log in again")
        if request.method != "POST":
            return webcast_api.failure(40001, "room/chat takes POST")
        room = self._room_by_query(request)
        content = request.query.get("content", "").strip()
        if room is None or not room.live:
            return webcast_api.failure(30003, "this LIVE has ended")
        if not content:
            return webcast_api.failure(40001, "empty content")
        user = pb.User(
            id=session.user_id,
            nickname=session.nickname,
            display_id=session.username,
            sec_uid="MS4wLjABAAAA" + session.session_id,
            avatar_thumb=pb.Image(url_list=[f"{self.url}/img/avatar/{session.user_id}.webp"]),
            follow_info=pb.FollowInfo(),
        )
        room.start()
        entry = room.emit(room.factory.chat(user=user, text=content))
        return webcast_api.ok({"content": content, "msg_id": entry.msg_id, "msg_id_str": str(entry.msg_id)})

    def _im_fetch(
        self, request: HTTPRequest, gzip_for: Optional[HTTPRequest], *, via: str = "im/fetch"
    ) -> Response:
        room = self._room_by_query(request)
        now_ms = epoch_ms()
        if room is None:
            body = encode_fetch_result(
                [], cursor="", internal_ext="", now_ms=now_ms, fetch_interval_ms=1000, heartbeat_duration=0
            )
            return response(200, body, "application/protobuf", gzip_for=gzip_for)
        room.start()
        signed = via == "sign" or signer.is_signed(request.query)
        position = room.resume_position(
            request.query.get("cursor", ""), request.query.get("internal_ext", "")
        )
        first = position is None
        if first:
            room.stats.first_fetches += 1
        else:
            room.stats.polls += 1
        if signed:
            room.stats.signed_fetches += 1
        room.changed()
        if first and room.spec.require_signature and not signed:
            return response(200, b"", "application/protobuf")
        start = room.history_start() if position is None else position
        entries = room.log[start : start + _MAX_FETCH]
        end = start + len(entries)
        cursor = room.cursor_at(end, now_ms)
        websocket = room.spec.websocket and room.live  # an ended LIVE has no push server
        if self._on_sent is not None:
            self._on_sent(room, via, entries)
        body = encode_fetch_result(
            entries,
            cursor=cursor,
            internal_ext=room.internal_ext(cursor, end, now_ms),
            now_ms=now_ms,
            fetch_interval_ms=room.spec.fetch_interval_ms,
            heartbeat_duration=room.spec.heartbeat_duration,
            push_server=(room.spec.push_server or self.push_url) if websocket else "",
            route_params=route_params_of(room, end) if websocket else {},
            is_first=first,
        )
        return response(200, body, "application/protobuf", gzip_for=gzip_for)

    def _sign(self, request: HTTPRequest) -> Response:
        if request.path.rstrip("/").endswith("/sign_url"):
            status, answer = signer.sign_answer(request.query.get("url", ""), self.url + "/webcast")
            return json_response(answer, status)
        room = self._room_by_query(request)
        if room is None:
            return json_response({"message": "room not found", "code": 404}, 404)
        # The sign server makes the first im/fetch itself (signed), as Euler Stream's API does.
        fetch = self._im_fetch(
            HTTPRequest("GET", "/webcast/im/fetch/", {"room_id": str(room.room_id)}, Headers(), {}, ""),
            None,
            via="sign",
        )
        tokens = signer.tokens_for(f"{self.url}/webcast/im/fetch/?room_id={room.room_id}")
        cookie = f"ttwid=simttwid{room.room_id}; msToken={tokens['msToken']}"
        headers = [
            ("X-Set-TT-Cookie", cookie),
            ("X-Room-Id", str(room.room_id)),
            ("X-Request-Id", f"sim-{epoch_ms()}"),
            ("X-Agent-Id", "pytiktoklive-simulator"),
            ("X-Log-Code", "0"),
        ]
        return response(200, bytes(fetch.body), "application/protobuf", headers=headers)

    async def _stream(self, request: HTTPRequest, connection: Optional[ServerConnection] = None) -> Response:
        """A room's video. With ``connection``, a GET of the FLV stream is served live (see
        :meth:`_stream_live_flv`); otherwise the FLV answer is one pass of the video file."""
        parsed = parse_stream_path(request.path)
        room = self._by_stream.get(parsed[0]) if parsed else None
        if parsed is None or room is None:
            return response(404, b"no such stream\n")
        if not room.live:
            return response(404, b"this LIVE has ended: its stream is gone\n")
        media = await self.media.load()
        if isinstance(media, str):
            return response(404, (media + "\n").encode())
        _, _, name = parsed
        if name == "flv":
            if connection is not None and request.method == "GET":
                if self._flv_loop is None or self._flv_loop[0] is not media:
                    self._flv_loop = (media, FlvLoop.parse(media.flv))
                return await self._stream_live_flv(connection, room, self._flv_loop[1])
            return response(200, media.flv, "video/x-flv")
        if name == "index.m3u8" or _LIVE_SEGMENT.match(name):
            return self._live_hls(room, media, name)
        segment = media.segments.get(name)
        if segment is None:
            return response(404, b"no such segment\n")
        return response(200, bytes(segment), "video/mp2t")

    def _live_hls(self, room: SimRoom, media: MediaFiles, name: str) -> Response:
        """The live HLS stream: a sliding playlist of ``live{n}.ts`` segments, the looping test
        video at real-time pace from the room's first playlist request on."""
        if self._hls_loop is None or self._hls_loop[0] is not media:
            self._hls_loop = (media, HlsLoop.parse(media.playlist, media.segments))
        hls = self._hls_loop[1]
        now = asyncio.get_running_loop().time()
        elapsed = now - self._hls_started.setdefault(room.stream_id, now)
        if name == "index.m3u8":
            playlist = hls.playlist(elapsed, lead=_HLS_LEAD, window=_HLS_WINDOW, ended=False)
            return response(200, playlist, "application/vnd.apple.mpegurl")
        match = _LIVE_SEGMENT.match(name)
        index = int(match.group(1)) if match else -1
        if not index >= 0 or hls.start_of(index + 1) > elapsed + _HLS_LEAD:
            return response(404, b"no such segment (yet)\n")
        return response(200, hls.segment(index), "video/mp2t")

    async def _stream_live_flv(self, connection: ServerConnection, room: SimRoom, flv: FlvLoop) -> Response:
        """Send the looping test video at real-time pace until the LIVE ends (or the client
        leaves, or the simulator closes), like a CDN's FLV pull stream: headers, then a body
        without a length that ends when the connection closes.

        The answer is written straight to the transport; the handshake never completes, and
        the :class:`Response` returned is never sent (the connection is closed by then).
        """
        transport = connection.transport
        transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nCache-Control: no-cache\r\n"
            b"Connection: close\r\n\r\n" + flv.head
        )
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            for timestamp, tag in flv.tags():
                delay = began + timestamp / 1000 - _STREAM_LEAD - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if not room.live or self._closing.is_set() or transport.is_closing():
                    break
                if transport.get_write_buffer_size() > _STREAM_BACKLOG:
                    transport.abort()  # a client that stopped reading: let it go
                    break
                transport.write(tag)
        finally:
            transport.close()  # sends what is buffered, then closes: the end of the body
        try:
            await asyncio.wait_for(asyncio.shield(connection.connection_lost_waiter), _STREAM_CLOSE_GRACE)
        except asyncio.TimeoutError:
            transport.abort()
            await asyncio.shield(connection.connection_lost_waiter)
        return response(200, b"")

    def _process_response(self, connection: ServerConnection, request: Request, answer: Response) -> Response:
        if answer.status_code == 101:
            options = self._push.handshake_options(connection)
            if options:
                answer.headers["Handshake-Options"] = options
        return answer
