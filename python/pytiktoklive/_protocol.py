"""The WebCast protocol of one room, sans-I/O.

:class:`WebcastProtocol` is a state machine in the style of python-websockets'
protocol core: the transports feed it bytes and read back what to deliver and
what to send. It never opens sockets, awaits or reads a clock, so it is tested
with bytes alone (``tests/test_protocol.py``).

Inputs:

* :meth:`~WebcastProtocol.receive_fetch_result` — a ``webcast/im/fetch`` body
  (the first, signed fetch and every HTTP poll);
* :meth:`~WebcastProtocol.receive_frame` — one binary websocket message;
* :meth:`~WebcastProtocol.connection_opened`, :meth:`~WebcastProtocol.heartbeat`,
  :meth:`~WebcastProtocol.apply_handshake_options` — websocket life-cycle.

Outputs:

* :meth:`~WebcastProtocol.events_received` — new events, in wire order, each
  delivered once: messages already seen (same ``msg_id``) are dropped, so
  resuming after a reconnect never repeats an event. The memory of seen ids is
  bounded (``dedup_window``);
* :meth:`~WebcastProtocol.data_to_send` — frames for the websocket: acks,
  heartbeats, the ``im_enter_room`` frame;
* the state the transports need: ``cursor`` and ``internal_ext`` (where to
  resume), ``push_server`` and ``route_params`` (where the websocket is),
  ``fetch_interval`` and ``heartbeat_interval`` (in seconds), ``ended``.

A live ends with a control event (``ControlEvent.ended``). That event is the
last one delivered; anything received afterwards is ignored.
"""

from __future__ import annotations

import array
import collections
import functools
import urllib.parse
from typing import Callable, Deque, Dict, Iterable, List, Mapping, Optional, Protocol, Tuple

from pytiktoklive import _frames
from pytiktoklive.decoding import (
    DEFAULT_MAX_INFLATED_SIZE,
    DEFAULT_MAX_MESSAGES,
    DEFAULT_MAX_OBJECTS,
    DEFAULT_MAX_REPEATED,
    FetchResult,
    backend,
    decode_fetch_result,
    decode_frame,
)
from pytiktoklive.events import ControlEvent, Event

__all__ = [
    "DEFAULT_FETCH_INTERVAL",
    "DEFAULT_HEARTBEAT_INTERVAL",
    "RecentIds",
    "WebcastProtocol",
    "new_recent_ids",
    "parse_handshake_options",
]

#: Seconds between polls when the server does not say (``fetch_interval``).
DEFAULT_FETCH_INTERVAL = 1.0
#: Seconds between heartbeats when neither the fetch result nor the handshake says.
DEFAULT_HEARTBEAT_INTERVAL = 10.0
# The server's intervals are trusted within sane bounds: a zero or absurd value
# must neither spin a poll loop nor starve a connection of heartbeats.
_MIN_INTERVAL = 0.05
_MAX_FETCH_INTERVAL = 30.0
_MAX_HEARTBEAT_INTERVAL = 60.0
# Resume points remembered for a consumer that lags behind (older ones are only less precise).
_BATCH_ENDS_KEPT = 256


# Fibonacci hashing: message ids are spread over the table whatever bits of them vary.
_GOLDEN = 0x9E3779B97F4A7C15
_U64 = (1 << 64) - 1
_FIRST_TABLE_BITS = 6


class RecentIds:
    """The last ``capacity`` message ids seen, for deduplication in bounded, compact memory.

    A set of Python ints costs ~170 bytes per id once the window is full (a 2048-id window
    grew to ~350 KiB per room). Here ids are plain 64-bit numbers in two arrays: a ring in
    arrival order (8 bytes per id) and an open-addressing hash table kept at most half full
    (linear probing, backward-shift deletion: no tombstones). The default window of 2048 ids
    therefore takes 48 KiB per room at most, however long the room runs; the table starts
    small and grows with the number of ids held.

    The window only has to cover what a server can send twice: the messages of a reconnect's
    re-delivery (from the last cursor, a batch or two: real batches carry at most a few
    hundred messages) and the first fetch's recent history.
    """

    __slots__ = ("_capacity", "_next", "_ring", "_shift", "_table")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        #: Ids in arrival order; once full, ``_next`` is the oldest (the next to be replaced).
        self._ring = array.array("Q")
        self._next = 0
        self._table = array.array("Q", bytes(8 << _FIRST_TABLE_BITS))
        self._shift = 64 - _FIRST_TABLE_BITS

    def _slot(self, key: int) -> int:
        """The table slot holding ``key``, or the empty slot where it would go."""
        table = self._table
        mask = len(table) - 1
        slot = ((key * _GOLDEN) & _U64) >> self._shift
        held = table[slot]
        while held and held != key:
            slot = (slot + 1) & mask
            held = table[slot]
        return slot

    def _remove(self, key: int) -> None:
        table = self._table
        mask = len(table) - 1
        shift = self._shift
        hole = self._slot(key)
        probe = (hole + 1) & mask
        held = table[probe]
        while held:  # move back every later entry of the cluster whose home is not past the hole
            if (probe - (((held * _GOLDEN) & _U64) >> shift)) & mask >= (probe - hole) & mask:
                table[hole] = held
                hole = probe
            probe = (probe + 1) & mask
            held = table[probe]
        table[hole] = 0

    def _grow(self) -> None:
        self._shift -= 1
        self._table = table = array.array("Q", bytes(8 << (64 - self._shift)))
        for key in self._ring:
            table[self._slot(key)] = key

    def add(self, msg_id: int) -> bool:
        """Remember ``msg_id``; return False if it was already remembered (0 is never remembered)."""
        key = msg_id & _U64
        if not key:
            return True
        table = self._table
        mask = len(table) - 1
        slot = ((key * _GOLDEN) & _U64) >> self._shift
        held = table[slot]
        while held:
            if held == key:
                return False
            slot = (slot + 1) & mask
            held = table[slot]
        ring = self._ring
        if len(ring) < self._capacity:
            ring.append(key)
            table[slot] = key
            if 2 * len(ring) > len(table):
                self._grow()
            return True
        oldest = ring[self._next]
        ring[self._next] = key
        self._next = (self._next + 1) % self._capacity
        self._remove(oldest)
        self._table[self._slot(key)] = key  # the removal may have moved the free slot
        return True

    def admit(self, events: Iterable[Event]) -> List[Event]:
        """The events whose ``msg_id`` is 0 or not yet remembered, in order; remembers their ids."""
        add = self.add
        return [event for event in events if add(event.msg_id)]

    def __contains__(self, msg_id: object) -> bool:
        if not isinstance(msg_id, int):
            return False
        key = msg_id & _U64
        return key != 0 and self._table[self._slot(key)] == key

    def __len__(self) -> int:
        return len(self._ring)


class DuplicateFilter(Protocol):
    """What the protocol needs of a duplicate filter (:class:`RecentIds`, or the Rust core's)."""

    def add(self, msg_id: int) -> bool: ...
    def admit(self, events: Iterable[Event]) -> List[Event]: ...
    def __contains__(self, msg_id: object) -> bool: ...
    def __len__(self) -> int: ...


def new_recent_ids(capacity: int) -> DuplicateFilter:
    """A duplicate filter of ``capacity`` ids: the Rust core's when it decodes (the same
    filter, ~10x faster and a third smaller), else :class:`RecentIds`."""
    if backend() == "rust":
        from pytiktoklive._core import RecentIds as CoreRecentIds

        return CoreRecentIds(capacity)
    return RecentIds(capacity)


def parse_handshake_options(value: str) -> Dict[str, str]:
    """Parse the push server's ``Handshake-Options`` header (cookie syntax: ``a=1; b=2``)."""
    options: Dict[str, str] = {}
    for part in value.split(";"):
        name, sep, option = part.partition("=")
        if sep and name.strip():
            options[name.strip().lower()] = option.strip()
    return options


def _usable_push_server(url: str) -> bool:
    """Whether ``url`` is a websocket URL. Anything else a server sends is ignored (the room
    is then polled): building the URL later would fail with an error no one expects."""
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    return split.scheme in ("ws", "wss") and bool(split.netloc)


def _seconds(milliseconds: int, *, upper: float) -> Optional[float]:
    if milliseconds <= 0:
        return None
    return min(max(milliseconds / 1000.0, _MIN_INTERVAL), upper)


def _heartbeat_seconds(duration: int) -> Optional[float]:
    """``heartbeat_duration`` of a fetch result as seconds between heartbeats.

    The web client asks for ``heartbeat_duration=10000`` (milliseconds) in the websocket URL,
    but a real fetch result carried ``15``: read as milliseconds that would be 66 heartbeats a
    second. Values below one second are therefore taken as seconds, larger ones as milliseconds.
    """
    if duration <= 0:
        return None
    seconds = float(duration) if duration < 1000 else duration / 1000.0
    return min(max(seconds, 1.0), _MAX_HEARTBEAT_INTERVAL)


@functools.lru_cache(maxsize=256)
def _query_pair(name: str, value: str) -> str:
    """``name=value`` as ``urlencode(..., quote_via=quote)`` writes it; remembered, since the ~30
    fingerprint parameters are the same in every room's websocket URL."""
    return urllib.parse.quote(name, safe="") + "=" + urllib.parse.quote(value, safe="")


class WebcastProtocol:
    """Per-room protocol state: bytes in; events, frames and resume state out."""

    def __init__(
        self,
        room_id: int,
        *,
        dedup_window: int = 2048,
        max_inflated_size: int = DEFAULT_MAX_INFLATED_SIZE,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        max_repeated: int = DEFAULT_MAX_REPEATED,
        max_objects: int = DEFAULT_MAX_OBJECTS,
    ) -> None:
        self.room_id = room_id
        #: Sees every frame's bytes before they are decoded (:meth:`pytiktoklive.Live.on_frame`).
        self.frame_sink: Optional[Callable[[str, bytes], None]] = None
        #: Where to resume: the last cursor and internal_ext the server gave.
        self.cursor = ""
        self.internal_ext = ""
        #: The websocket URL offered by the server ("" = no websocket offered) and its extra query.
        self.push_server = ""
        self.route_params: Dict[str, str] = {}
        #: Seconds between HTTP polls.
        self.fetch_interval = DEFAULT_FETCH_INTERVAL
        #: True once a control event said the live ended.
        self.ended = False
        #: Counters for logs and tests.
        self.frames_received = 0
        self.batches_received = 0
        self.duplicates_dropped = 0
        self.skipped_messages = 0
        #: Events handed out so far, and after each batch (newest last, bounded): (events handed
        #: out, cursor, internal_ext). A consumer that has taken that many events can resume from
        #: that cursor without losing any (:meth:`Live.resume_point`).
        self.events_delivered = 0
        self.batch_ends: Deque[Tuple[int, str, str]] = collections.deque(maxlen=_BATCH_ENDS_KEPT)

        self._heartbeat_from_result: Optional[float] = None
        self._heartbeat_from_handshake: Optional[float] = None
        self._heartbeat_seq = 0
        self._seen = new_recent_ids(dedup_window)
        self.dedup_window = dedup_window
        # The decoder's limits (see pytiktoklive.decoding): a frame beyond them is a DecodeError.
        self._limits = {
            "max_inflated_size": max_inflated_size,
            "max_messages": max_messages,
            "max_repeated": max_repeated,
            "max_objects": max_objects,
        }
        self._events: List[Event] = []
        self._outgoing: List[bytes] = []

    # ------------------------------------------------------------------ state

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between heartbeats: the handshake's ``ping-interval``, else the fetch result's
        ``heartbeat_duration``, else 10."""
        if self._heartbeat_from_handshake is not None:
            return self._heartbeat_from_handshake
        if self._heartbeat_from_result is not None:
            return self._heartbeat_from_result
        return DEFAULT_HEARTBEAT_INTERVAL

    @property
    def websocket_offered(self) -> bool:
        return bool(self.push_server)

    def fetch_params(self) -> Dict[str, str]:
        """Query parameters of the next ``im/fetch`` poll: the room and where to resume."""
        params = {"room_id": str(self.room_id)}
        if self.cursor:
            params["cursor"] = self.cursor
        if self.internal_ext:
            params["internal_ext"] = self.internal_ext
        return params

    def websocket_url(self, base_params: Mapping[str, str]) -> str:
        """The push server URL to (re)connect to, resuming from the current cursor.

        Query = the push server's own query, then ``base_params`` (the client's
        fingerprint), then the server's route params, then the room, the resume
        point and ``compress=gzip``; later keys win, so nothing the server or the
        caller adds can move the resume point. What each part is for (the parameters
        are those TikTok's web client sends; research on TikTokLive 7 and
        TikTok-Live-Connector):

        * ``aid=1988``, ``app_name=tiktok_web`` — TikTok's web app; the push server
          refuses other app ids ("illegal app_id").
        * ``version_code``, ``webcast_sdk_version``, ``update_version_code`` — the
          versions of the web client and of its WebCast SDK.
        * ``heartbeat_duration`` — milliseconds between the client's heartbeats
          (the handshake's ``ping-interval`` overrides it).
        * route params (``imprp``, ``wrss``) — opaque tokens ``im/fetch`` hands out to
          route the connection to the room's push shard, passed back unchanged.
        * ``room_id`` — the room to subscribe to.
        * ``cursor`` / ``internal_ext`` — where to resume: the push server sends what
          came after them, so nothing between the fetch and the connection is lost.
        * ``compress=gzip`` — asks for gzip payloads (each frame says so in its
          ``compress_type`` header).
        """
        if not self.push_server:
            raise ValueError("the server offered no websocket (no push_server)")
        scheme, netloc, path, query, _fragment = urllib.parse.urlsplit(self.push_server)
        params: Dict[str, str] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        params.update(base_params)
        params.update({key: value for key, value in self.route_params.items() if value})
        params.update(self.fetch_params())
        params["compress"] = "gzip"
        encoded = "&".join([_query_pair(str(name), str(value)) for name, value in params.items()])
        return urllib.parse.urlunsplit((scheme, netloc, path, encoded, ""))

    def resume(self, cursor: str, internal_ext: str, seen_msg_ids: Iterable[int] = ()) -> None:
        """Start from a resume point saved by another tracker (before the first fetch): its
        cursor and internal_ext, and the ids of the events it already delivered (dropped if sent again)."""
        self.cursor = cursor
        self.internal_ext = internal_ext
        for msg_id in seen_msg_ids:
            if msg_id:
                self._seen.add(int(msg_id))
        self.batch_ends.append((self.events_delivered, cursor, internal_ext))

    # ------------------------------------------------------------------ input

    def receive_fetch_result(self, body: bytes) -> None:
        """Feed an ``im/fetch`` body. Raises :class:`~pytiktoklive.errors.DecodeError` if malformed."""
        if self.frame_sink is not None:
            self.frame_sink("fetch_result", body)
        result = decode_fetch_result(body, **self._limits)
        if not self.ended:
            self._absorb(result)

    def receive_frame(self, data: bytes) -> None:
        """Feed one binary websocket message. Raises :class:`~pytiktoklive.errors.DecodeError`
        if malformed (the frame is then neither delivered nor acked)."""
        if self.frame_sink is not None:
            self.frame_sink("push_frame", data)
        result = decode_frame(data, **self._limits)
        self.frames_received += 1
        if self.ended or result.payload_type != "msg":
            return  # "hb" echoes, "im_enter_room_resp" and the like carry no events
        if result.need_ack:
            self._outgoing.append(_frames.ack_frame(result.log_id, result.internal_ext or self.internal_ext))
        self._absorb(result)

    def connection_opened(self) -> None:
        """A websocket just opened: enter the room and send the first heartbeat."""
        self._heartbeat_seq = 0
        self._heartbeat_from_handshake = None
        self._outgoing.append(_frames.enter_room_frame(self.room_id))
        self.heartbeat()

    def apply_handshake_options(self, value: str) -> None:
        """Apply the handshake response's ``Handshake-Options`` header (``ping-interval`` in seconds)."""
        interval = parse_handshake_options(value).get("ping-interval", "")
        try:
            seconds = float(interval)
        except ValueError:
            return
        if seconds > 0:
            self._heartbeat_from_handshake = min(max(seconds, _MIN_INTERVAL), _MAX_HEARTBEAT_INTERVAL)

    def heartbeat(self) -> None:
        """Queue the next heartbeat frame."""
        self._heartbeat_seq += 1
        self._outgoing.append(_frames.heartbeat_frame(self.room_id, self._heartbeat_seq))

    # ------------------------------------------------------------------ output

    def events_received(self) -> List[Event]:
        """Return and forget the events received since the last call."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> List[bytes]:
        """Return and forget the frames queued for the websocket since the last call."""
        frames, self._outgoing = self._outgoing, []
        return frames

    # ------------------------------------------------------------------ internals

    def _absorb(self, result: FetchResult) -> None:
        self.batches_received += 1
        if result.cursor:
            self.cursor = result.cursor
        if result.internal_ext:
            self.internal_ext = result.internal_ext
        if result.push_server and _usable_push_server(result.push_server):
            self.push_server = result.push_server
        if result.route_params:
            self.route_params = dict(result.route_params)
        interval = _seconds(result.fetch_interval, upper=_MAX_FETCH_INTERVAL)
        if interval is not None:
            self.fetch_interval = interval
        heartbeat = _heartbeat_seconds(result.heartbeat_duration)
        if heartbeat is not None:
            self._heartbeat_from_result = heartbeat
        for skipped in result.skipped:
            self.skipped_messages += 1
            if skipped.msg_id:
                self._seen.add(skipped.msg_id)
        # msg_id 0 means "no id": such events cannot be recognised again, so they always pass.
        fresh = self._seen.admit(result.events)
        self.duplicates_dropped += len(result.events) - len(fresh)
        for index, event in enumerate(fresh):
            if isinstance(event, ControlEvent) and event.ended:
                self.ended = True  # the end is the last event delivered
                del fresh[index + 1 :]
                break
        self._events += fresh
        self.events_delivered += len(fresh)
        self.batch_ends.append((self.events_delivered, self.cursor, self.internal_ext))
