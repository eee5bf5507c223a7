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

import collections
import urllib.parse
from typing import Callable, Deque, Dict, List, Mapping, Optional, Set

from pytiktoklive import _frames
from pytiktoklive.decoding import DEFAULT_MAX_INFLATED_SIZE, FetchResult, decode_fetch_result, decode_frame
from pytiktoklive.events import ControlEvent, Event

__all__ = [
    "DEFAULT_FETCH_INTERVAL",
    "DEFAULT_HEARTBEAT_INTERVAL",
    "RecentIds",
    "WebcastProtocol",
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


class RecentIds:
    """The last ``capacity`` message ids seen, for deduplication in bounded memory."""

    __slots__ = ("_capacity", "_order", "_seen")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._order: Deque[int] = collections.deque()
        self._seen: Set[int] = set()

    def add(self, msg_id: int) -> bool:
        """Remember ``msg_id``; return False if it was already remembered."""
        if msg_id in self._seen:
            return False
        self._seen.add(msg_id)
        self._order.append(msg_id)
        if len(self._order) > self._capacity:
            self._seen.discard(self._order.popleft())
        return True

    def __contains__(self, msg_id: object) -> bool:
        return msg_id in self._seen

    def __len__(self) -> int:
        return len(self._order)


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


class WebcastProtocol:
    """Per-room protocol state: bytes in; events, frames and resume state out."""

    def __init__(
        self,
        room_id: int,
        *,
        dedup_window: int = 2048,
        max_inflated_size: int = DEFAULT_MAX_INFLATED_SIZE,
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

        self._heartbeat_from_result: Optional[float] = None
        self._heartbeat_from_handshake: Optional[float] = None
        self._heartbeat_seq = 0
        self._seen = RecentIds(dedup_window)
        self._max_inflated_size = max_inflated_size
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
        caller adds can move the resume point.
        """
        if not self.push_server:
            raise ValueError("the server offered no websocket (no push_server)")
        scheme, netloc, path, query, _fragment = urllib.parse.urlsplit(self.push_server)
        params: Dict[str, str] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        params.update(base_params)
        params.update({key: value for key, value in self.route_params.items() if value})
        params.update(self.fetch_params())
        params["compress"] = "gzip"
        encoded = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return urllib.parse.urlunsplit((scheme, netloc, path, encoded, ""))

    # ------------------------------------------------------------------ input

    def receive_fetch_result(self, body: bytes) -> None:
        """Feed an ``im/fetch`` body. Raises :class:`~pytiktoklive.errors.DecodeError` if malformed."""
        if self.frame_sink is not None:
            self.frame_sink("fetch_result", body)
        result = decode_fetch_result(body, max_inflated_size=self._max_inflated_size)
        if not self.ended:
            self._absorb(result)

    def receive_frame(self, data: bytes) -> None:
        """Feed one binary websocket message. Raises :class:`~pytiktoklive.errors.DecodeError`
        if malformed (the frame is then neither delivered nor acked)."""
        if self.frame_sink is not None:
            self.frame_sink("push_frame", data)
        result = decode_frame(data, max_inflated_size=self._max_inflated_size)
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
        for event in result.events:
            # msg_id 0 means "no id": such events cannot be recognised again, so they always pass.
            if event.msg_id and not self._seen.add(event.msg_id):
                self.duplicates_dropped += 1
                continue
            self._events.append(event)
            if isinstance(event, ControlEvent) and event.ended:
                self.ended = True
                break
