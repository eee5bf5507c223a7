"""Rooms: their settings (:class:`RoomSpec`), their state and message log (:class:`SimRoom`).

A room's LIVE starts when a client first fetches it (or on :meth:`SimRoom.start`)
and plays its scenario in real time. Every emitted message is appended to the
room's log with a position; cursors name positions, so a client that comes
back with its last cursor gets exactly the messages after it — nothing lost,
nothing twice — whether it polls ``im/fetch`` or reconnects the websocket.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Union, overload

from pytiktoklive.simulator.factory import ENDING_ACTIONS, Draft, HostProfile, MessageFactory, RawMessage
from pytiktoklive.simulator.faults import RoomFaults
from pytiktoklive.simulator.gifts import GiftCatalogue
from pytiktoklive.simulator.proto import pb
from pytiktoklive.simulator.scenarios import LivelyScenario, Scenario, ScenarioContext

__all__ = [
    "HandshakeRecord",
    "LoggedMessage",
    "MessageLog",
    "RoomSpec",
    "RoomStats",
    "Signal",
    "SimRoom",
    "World",
    "epoch_ms",
]

# Ids in the ranges real ones live in (19 digits), derived from the username so they are stable.
_ROOM_ID_BASE = 7_300_000_000_000_000_000
_USER_ID_BASE = 6_900_000_000_000_000_000
_MSG_ID_BASE = 7_310_000_000_000_000_000
# The second part of a cursor is this plus a log position (TikTok's cursors look like
# "1692120689751_7267603020139989890_1_1_0_0": a time, a large id, flags).
_CURSOR_ID_BASE = 7_260_000_000_000_000_000


class Signal:
    """Wakes every waiter each time it fires (an :class:`asyncio.Event` renewed on each firing)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


@dataclass
class RoomSpec:
    """How a simulated room behaves. Only ``username`` is required.

    * ``live`` — False: the user's last LIVE has ended (``status`` 4).
    * ``scenario`` — what happens (default: a :class:`LivelyScenario`).
    * ``websocket`` — False: ``im/fetch`` offers no push server (HTTP polling only).
    * ``gzip`` — gzip websocket payloads when the client asks (``compress=gzip``).
    * ``need_ack`` — websocket frames ask for an ack.
    * ``page_style`` — ``"universal"``: the profile page carries
      ``__UNIVERSAL_DATA_FOR_REHYDRATION__`` (today's TikTok); ``"sigi"``: it
      carries ``SIGI_STATE`` (2022). The live page always carries ``SIGI_STATE``.
    * ``fetch_interval_ms`` / ``heartbeat_duration`` — sent in fetch results
      as they are (a real frame carried ``heartbeat_duration`` 15);
      ``ping_interval`` — seconds, sent in the handshake's ``Handshake-Options``.
    * ``history_size`` — how many recent messages a first fetch returns.
    * ``log_limit`` — how many messages the room keeps for clients that resume
      (older ones are forgotten, so an endless room's memory stays flat; a
      client that comes back with an older cursor resumes at the oldest kept).
    * ``seed`` / ``speed`` — default to the simulator's.
    * ``require_signature`` — a first ``im/fetch`` without ``X-Bogus`` and
      ``_signature`` gets an empty body, as TikTok answers untrusted clients.
    * ``age_restricted`` — ``room/info`` answers ``{"prompts": ""}``.
    * ``heartbeat_timeout`` — seconds without a heartbeat before the push
      server closes the connection (None: never).
    * ``close_on_missing_acks`` — close the connection when this many frames
      wait for their ack (None: never).
    * ``end_grace`` — after the LIVE ended, real seconds the push server waits for a
      client to acknowledge the last frames (or to leave) before it closes the connection.
    * ``viewers`` — the audience at the start (0: a seeded number).
    * ``in_feed`` — the room is listed by ``feed`` while it is live.
    * ``push_server`` — the websocket URL ``im/fetch`` hands out for this room ("": the
      simulator's own). Load generators point rooms at push servers of their own
      (``benches/loadgen.py``) while the simulator still answers every HTTP request.
    * ``loop`` — when the LIVE ends, the user goes live again at once: a new LIVE with a
      new room id (the ended room stays ended), started by its first fetch like the first one.
    """

    username: str
    room_id: int = 0
    nickname: str = ""
    title: str = ""
    live: bool = True
    scenario: Optional[Scenario] = None
    websocket: bool = True
    gzip: bool = True
    need_ack: bool = True
    page_style: str = "universal"
    fetch_interval_ms: int = 1000
    heartbeat_duration: int = 15
    ping_interval: float = 10.0
    history_size: int = 20
    log_limit: int = 5_000
    seed: Optional[int] = None
    speed: Optional[float] = None
    require_signature: bool = False
    age_restricted: bool = False
    heartbeat_timeout: Optional[float] = 40.0
    close_on_missing_acks: Optional[int] = None
    end_grace: float = 10.0
    viewers: int = 0
    in_feed: bool = True
    push_server: str = ""
    loop: bool = False

    def __post_init__(self) -> None:
        if self.page_style not in ("universal", "sigi"):
            raise ValueError("page_style must be 'universal' or 'sigi'")
        if not self.username:
            raise ValueError("a room needs a username")
        if self.end_grace < 0:
            raise ValueError("end_grace must not be negative")
        if self.log_limit < max(1, self.history_size):
            raise ValueError("log_limit must be at least history_size (and at least 1)")


@dataclass(frozen=True)
class HandshakeRecord:
    """One websocket handshake a room received: path, query, headers and cookies."""

    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    cookies: Dict[str, str]
    accepted: bool


class RecentList(List[Any]):
    """A list that keeps only its newest ``limit`` items (stats of an endless room stay bounded).

    ``dropped`` counts the items it has forgotten. Trimming is amortised: the list may hold
    up to twice ``limit`` items between trims.
    """

    def __init__(self, limit: int = 10_000) -> None:
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def append(self, item: Any) -> None:
        super().append(item)
        if len(self) > 2 * self.limit:
            excess = len(self) - self.limit
            del self[:excess]
            self.dropped += excess


@dataclass
class RoomStats:
    """What clients did to a room (for tests and benchmarks); the lists keep the newest 10,000 to 20,000."""

    first_fetches: int = 0
    polls: int = 0
    signed_fetches: int = 0
    handshakes: List[HandshakeRecord] = field(default_factory=RecentList)
    connections: int = 0
    open_connections: int = 0
    frames_sent: int = 0
    messages_sent: int = 0
    #: ``send_packet_seq_id`` of every heartbeat received.
    heartbeats: List[int] = field(default_factory=RecentList)
    heartbeats_answered: int = 0
    #: The ``im_enter_room`` frames received (decoded).
    enter_room: List[Any] = field(default_factory=RecentList)
    #: ``(log_id, payload)`` of every ack received.
    acks: List[tuple[int, bytes]] = field(default_factory=RecentList)
    #: Acks for a log id this room never sent, or sent twice.
    bad_acks: int = 0
    client_frames_undecodable: int = 0
    client_frames_unknown: int = 0


@dataclass(frozen=True)
class LoggedMessage:
    """A message in a room's log; ``envelope`` is the encoded ``Message`` (method, payload, msg_id)."""

    position: int
    method: str
    msg_id: int
    payload: bytes
    envelope: bytes
    ends_live: bool


class MessageLog:
    """A room's messages by absolute position, keeping only the newest ``limit``.

    ``len(log)`` is the number of messages ever emitted (the position of the next
    one); indexing and slicing take absolute positions; positions that were
    forgotten are simply absent from a slice (``first_position`` says where the
    kept ones start). Iterating yields the kept messages in order.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: Deque[LoggedMessage] = deque()
        self._first = 0

    @property
    def first_position(self) -> int:
        """The position of the oldest message still kept."""
        return self._first

    def append(self, entry: LoggedMessage) -> None:
        self._entries.append(entry)
        if len(self._entries) > self.limit:
            self._entries.popleft()
            self._first += 1

    def __len__(self) -> int:
        return self._first + len(self._entries)

    def __iter__(self) -> Iterator[LoggedMessage]:
        return iter(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    @overload
    def __getitem__(self, index: int) -> LoggedMessage: ...

    @overload
    def __getitem__(self, index: slice) -> List[LoggedMessage]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[LoggedMessage, List[LoggedMessage]]:
        total = len(self)
        if isinstance(index, slice):
            start, stop, step = index.indices(total)
            if step != 1:
                raise ValueError("a message log slices with step 1 only")
            start = max(start, self._first)
            if stop <= start:
                return []
            entries = self._entries
            return [entries[position - self._first] for position in range(start, stop)]
        position = index + total if index < 0 else index
        if not self._first <= position < total:
            raise IndexError(f"message {index} is not kept (kept: {self._first} to {total - 1})")
        return self._entries[position - self._first]


@dataclass
class World:
    """What rooms share: the simulator's seed and speed, its base URL, gifts, and its change signal."""

    seed: int
    speed: float
    base_url: str
    gifts: GiftCatalogue
    changed: Signal
    #: Called when a room's LIVE ends (the simulator starts the next LIVE of a looping room).
    live_ended: Optional[Callable[[SimRoom], None]] = None


def _stable_number(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def epoch_ms() -> int:
    """Wall-clock milliseconds since the epoch, as TikTok's ``now`` fields and cursors carry them."""
    return int(time.time() * 1000)


class SimRoom:
    """One simulated LIVE room: state, message log, faults and statistics."""

    def __init__(self, spec: RoomSpec, world: World, *, generation: int = 0) -> None:
        self.spec = spec
        self.world = world
        self.username = spec.username
        #: Which LIVE of the user this is (0: the first; a looping room's next LIVEs count up).
        self.generation = generation
        number = _stable_number(spec.username)
        self.room_id = (spec.room_id or _ROOM_ID_BASE + number % 10**17) + generation
        self.seed = (
            spec.seed
            if spec.seed is not None
            else world.seed * 1_000_003 + zlib.crc32(spec.username.encode())
        ) + generation
        self.speed = spec.speed or world.speed
        self.rng = random.Random(self.seed)
        self.user_id = _USER_ID_BASE + number % 10**17
        self.nickname = spec.nickname or spec.username.replace("_", " ").title()
        self.title = spec.title or (
            f"{self.nickname} is LIVE on the simulator" if spec.live else f"{self.nickname}'s last LIVE"
        )
        self.sec_uid = "MS4wLjABAAAA" + hashlib.sha256(spec.username.encode()).hexdigest()[:43]
        self.stream_id = 2_995_000_000_000_000_000 + number % 10**16 + generation
        #: The opaque route parameter the push server wants back (TikTok's ``imprp``).
        self.route_token = hashlib.sha256(f"{self.room_id}:{self.seed}".encode()).hexdigest()[:32]
        self.viewers = spec.viewers or self.rng.randrange(40, 4_000)
        self.create_time = int(time.time()) - self.rng.randrange(60, 3_600)
        if generation:  # a next LIVE begins now
            self.create_time = int(time.time())
        self.finish_time = 0
        self.status = 2 if spec.live else 4
        self.faults = RoomFaults()
        self.stats = RoomStats()
        self.factory = MessageFactory(
            self.rng,
            room_id=self.room_id,
            host=HostProfile(
                user_id=self.user_id,
                username=self.username,
                nickname=self.nickname,
                sec_uid=self.sec_uid,
                avatar_url=self.avatar_url,
            ),
            gifts=world.gifts,
            image_base=world.base_url,
        )
        self.log = MessageLog(spec.log_limit)
        self._msg_ids = _MSG_ID_BASE + (number % 10**6) * 10**9
        self._grown = Signal()
        self._ended = asyncio.Event()
        self._player: Optional[asyncio.Task[None]] = None
        self._stopped = False
        if not spec.live:
            self.finish_time = self.create_time + self.rng.randrange(600, 7_200)
            self._ended.set()

    def __repr__(self) -> str:
        return (
            f"SimRoom({self.username!r}, room_id={self.room_id}, status={self.status}, "
            f"messages={len(self.log)})"
        )

    def continue_ids_from(self, previous: SimRoom) -> None:
        """Number messages on from ``previous`` (the same user's last LIVE)."""
        self._msg_ids = max(self._msg_ids, previous._msg_ids)

    # ------------------------------------------------------------------ state

    @property
    def live(self) -> bool:
        return self.status == 2

    @property
    def ended(self) -> bool:
        return self.status == 4

    @property
    def started(self) -> bool:
        return self._player is not None

    @property
    def avatar_url(self) -> str:
        return f"{self.world.base_url}/img/avatar/{self.user_id}.webp"

    @property
    def messages(self) -> List[Any]:
        """Every message emitted so far, as schema ``Message`` envelopes, in order."""
        return [pb.Message.parse(entry.envelope) for entry in self.log]

    def changed(self) -> None:
        self.world.changed.fire()

    # ------------------------------------------------------------------ the LIVE

    def start(self) -> None:
        """Start the LIVE's scenario now (a first fetch does it too). No-op once started or ended."""
        if self._player is not None or not self.live:
            return
        scenario = self.spec.scenario or LivelyScenario()
        context = ScenarioContext(
            rng=self.rng, factory=self.factory, title=self.title, initial_viewers=self.viewers
        )
        self._player = asyncio.get_running_loop().create_task(self._play(scenario, context))
        self.changed()

    async def _play(self, scenario: Scenario, context: ScenarioContext) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        ended_at: Optional[float] = None
        moment: Optional[float] = None
        for offset, outgoing in scenario.timeline(context):
            if ended_at is not None and offset > ended_at:
                return  # the LIVE ended; messages at the very same moment still went out
            if offset != moment:
                # Yield at each new moment even when behind schedule: a room that cannot keep
                # up (a high speed, a busy machine) must not starve the push server and the
                # other rooms. The messages of one moment go out together.
                moment = offset
                await asyncio.sleep(max(began + offset / self.speed - loop.time(), 0))
            if self._stopped:
                return
            if self.emit(outgoing).ends_live:
                ended_at = offset

    def emit(self, outgoing: Union[Draft, RawMessage]) -> LoggedMessage:
        """Append a message to the log now (stamping a draft's common header) and wake the readers."""
        if isinstance(outgoing, RawMessage):
            method, payload, msg_id, ends = (
                outgoing.method,
                outgoing.payload,
                outgoing.msg_id,
                outgoing.ends_live,
            )
        else:
            method, payload, msg_id, ends = self._stamp(outgoing)
        envelope = bytes(pb.Message(method=method, payload=payload, msg_id=msg_id))
        entry = LoggedMessage(len(self.log), method, msg_id, payload, envelope, ends)
        self.log.append(entry)
        if ends and self.live:
            self._finish()
        self._grown.fire()
        self.changed()
        return entry

    def _stamp(self, draft: Draft) -> tuple[str, bytes, int, bool]:
        message = draft.message
        if getattr(message, "common", None) is None:
            message.common = pb.Common(method=draft.method)
        self._msg_ids += 1
        now_ms = epoch_ms()
        message.common.msg_id = self._msg_ids
        if draft.stamp_room_and_time:
            message.common.room_id = self.room_id
            message.common.create_time = now_ms
        monitor = getattr(message, "monitor_info", None)
        if monitor is not None and not monitor.send_time:  # a gift's own send time
            monitor.send_time = now_ms
        if not message.common.method:
            message.common.method = draft.method
        ends = draft.method == "WebcastControlMessage" and getattr(message, "action", 0) in ENDING_ACTIONS
        return draft.method, bytes(message) + draft.trailer, self._msg_ids, ends

    def end(self, *, control: bool = True, action: int = 3) -> None:
        """End the LIVE now: with a control message (``action`` 3 or 4), or silently
        (``control=False``: the push server just goes away, as when a host's app dies)."""
        self._stopped = True
        if control:
            self.emit(self.factory.control(action))
        if self.live:
            self._finish()
            self._grown.fire()
            self.changed()

    def _finish(self) -> None:
        self.status = 4
        self.finish_time = int(time.time())
        self._ended.set()
        if self.world.live_ended is not None:
            self.world.live_ended(self)

    async def wait_ended(self) -> None:
        await self._ended.wait()

    async def wait_for_messages(self, count: int) -> None:
        """Wait until the log holds at least ``count`` messages (or the LIVE ended)."""
        while len(self.log) < count and not (self.ended and self._player_done()):
            await self._grown.wait()

    async def wait_beyond(self, position: int) -> None:
        """Wait until there is a message at ``position`` or later, or the LIVE has ended."""
        while len(self.log) <= position and not self.ended:
            await self._grown.wait()

    def _player_done(self) -> bool:
        return self._player is None or self._player.done()

    async def aclose(self) -> None:
        self._stopped = True
        if self._player is not None and not self._player.done():
            self._player.cancel()
            await asyncio.gather(self._player, return_exceptions=True)
        self._grown.fire()

    # ------------------------------------------------------------------ cursors

    def cursor_at(self, position: int, now_ms: Optional[int] = None) -> str:
        """The cursor naming ``position`` (the next message a client wants), in TikTok's shape."""
        return f"{now_ms or epoch_ms()}_{_CURSOR_ID_BASE + position}_1_1_0_0"

    def position_of(self, cursor: str) -> Optional[int]:
        """The log position a cursor of this room names; None for a cursor it never gave."""
        parts = cursor.split("_")
        if len(parts) < 2 or not parts[1].isdigit():
            return None
        position = int(parts[1]) - _CURSOR_ID_BASE
        if not 0 <= position <= len(self.log):
            return None
        # A cursor older than the kept log resumes at the oldest message kept.
        return max(position, self.log.first_position)

    def history_start(self) -> int:
        """Where a client without a cursor starts: the last ``history_size`` messages."""
        return max(self.log.first_position, len(self.log) - self.spec.history_size)

    def internal_ext(self, cursor: str, seq: int, now_ms: int) -> str:
        """``internal_ext`` in TikTok's shape (it repeats the cursor as ``next_cursor``)."""
        return (
            f"fetch_time:{now_ms}|start_time:0|ack_ids:,|flag:0|seq:{seq}"
            f"|next_cursor:{cursor}|wss_info:0-{now_ms}-0-0"
        )

    def resume_position(self, cursor: str, internal_ext: str) -> Optional[int]:
        """The position a client resumes from: its cursor, else the ``next_cursor`` of its internal_ext."""
        if cursor:
            position = self.position_of(cursor)
            if position is not None:
                return position
        for part in internal_ext.split("|"):
            name, _, value = part.partition(":")
            if name == "next_cursor" and value:
                return self.position_of(value)
        return None
