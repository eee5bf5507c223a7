"""The websocket transport: one connection to the push server, fed to the protocol.

A thin asyncio layer over :class:`~pytiktoklive._protocol.WebcastProtocol`:
it connects (``websockets.asyncio.client``), sends the frames the protocol
queues (enter-room, heartbeats at the server's interval, acks), feeds every
frame in and hands the new events to ``deliver``. Awaiting ``deliver`` is the
backpressure: while the consumer is behind, no frame is read.

It returns when the live has ended and raises when the connection is lost;
reconnecting is the caller's job (:mod:`pytiktoklive._session`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import ssl
import weakref
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional, Tuple

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidProxy, InvalidStatus, InvalidURI
from websockets.protocol import State

from pytiktoklive._log import Reporter, logger
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive._proxy import certificate_problem
from pytiktoklive._redact import redact
from pytiktoklive._websocket_frames import FrameParser, client_frames
from pytiktoklive.errors import (
    ConnectionFailedError,
    DecodeError,
    TLSVerificationError,
    WebsocketRejectedError,
)
from pytiktoklive.events import Event

__all__ = ["ConnectionDropped", "WebsocketOptions", "run_websocket"]

Deliver = Callable[[List[Event]], Awaitable[None]]


#: Websocket messages ``websockets`` may queue (``max_queue``): no data frame goes through it
#: (see :class:`_PushConnection`), and none should wait there.
_MAX_QUEUED_FRAMES = 0
#: Bytes one socket read may take, at most and at least (asyncio's default is 256 KiB), and all
#: the push connections of one event loop together (:class:`_ReadSizes`). Everything read is
#: parsed into messages at once, and reading pauses while the room has not taken them all, so
#: this bounds what a paused room holds besides the message it is waiting to decode; the
#: kernel's socket buffer holds the rest. A busy real frame is ~14-28 KB: a read of 256 KiB
#: brings several, acked in one write (at 1 saturated room, ~20% more events per CPU-second
#: than reads of 16 KiB: half a frame, a wake-up and a write each). At 1000 saturated rooms,
#: reads of 32 KiB gave ~3% more than 16 KiB, for ~40 KiB more memory per room: not taken.
_READ_MAX = 256 * 1024
_READ_MIN = 16 * 1024
_READ_BUDGET = 4 * 1024 * 1024
#: Bytes waiting in the socket's write buffer beyond which frames are sent by ``send()`` (which
#: waits for the buffer to drain) instead of being written at once.
_WRITE_NOW_LIMIT = 16 * 1024


class ConnectionDropped(Exception):
    """The push server closed, went silent or sent an undecodable frame before the live ended."""


@dataclass(frozen=True)
class WebsocketOptions:
    """How to open the websocket: the web client's fingerprint and the network path."""

    user_agent: str
    origin: str
    cookie: str = ""
    proxy: Optional[str] = None
    #: TLS to an ``https://`` proxy (None for other proxies). Declared before ``ssl``, which
    #: shadows the module in the class body.
    proxy_ssl: Optional[ssl.SSLContext] = None
    ssl: Optional[ssl.SSLContext] = None
    open_timeout: float = 10.0
    #: Seconds without any frame before the connection counts as stalled (None: wait forever).
    idle_timeout: Optional[float] = 60.0
    max_frame_size: int = 16 * 1024 * 1024


#: The frame size limit when websockets has none (max_size=None): 2**63 - 1, the largest length
#: a frame header can give.
_NO_LIMIT = 2**63 - 1


class _PushConnection(ClientConnection):
    """A websocket client connection whose data frames skip ``websockets``' reading machinery.

    ``websockets`` does the opening handshake (proxy, TLS, headers, errors), the writing, the
    closing handshake, pings and every protocol error; but from the first byte after the
    handshake response, the socket's chunks go to a :class:`FrameParser`, and the room reads
    the complete messages from :attr:`messages` (:meth:`messages_waiter` when there are
    none). Per frame, that saves ``websockets``' generator-based parsing, a future and a task
    switch (several frames in one chunk wake the room once), and pausing and resuming the
    socket (two ``epoll_ctl`` calls).

    Reading pauses when a chunk brings messages while the room is busy with earlier ones (a
    slow consumer), and resumes when the room has taken them all and waits for more: a paused
    room holds at most the frames of a chunk besides the one it is decoding.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # websockets' message size limit (max_message_size since websockets 16, max_size before).
        limit = getattr(self.protocol, "max_message_size", getattr(self.protocol, "max_size", None))
        self.parser = FrameParser(limit if isinstance(limit, int) else _NO_LIMIT)
        #: Complete data messages not taken by the room yet, oldest first.
        self.messages: Deque[bytes] = self.parser.messages
        # Till the end of the response's headers, bytes go to websockets; the last 3 bytes of
        # what it got, to find a header end split between chunks.
        self._handshake_tail: Optional[bytes] = b""
        # True once the parser stopped (or the handshake failed): bytes go to websockets.
        self._to_websockets = False
        self._waiter: Optional[asyncio.Future[None]] = None
        self._paused = False
        self._lost = False

    def data_received(self, data: bytes) -> None:
        if self._handshake_tail is not None:
            self._handshake_received(data)
            return
        if self._to_websockets:
            super().data_received(data)
            return
        parser = self.parser
        parser.feed(data)
        if parser.control:  # pings, pongs: websockets answers them
            for frame in parser.control:
                super().data_received(frame)
            parser.control.clear()
        if parser.rest is not None or parser.failure is not None:
            self._stop_parsing()
        if self.messages:
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
                self._waiter = None
            elif not self._paused:
                self._paused = True
                self.transport.pause_reading()

    def _handshake_received(self, data: bytes) -> None:
        tail = self._handshake_tail or b""
        end = (tail + data[:4]).find(b"\r\n\r\n")
        if end >= 0:
            end += 4 - len(tail)
        else:
            end = data.find(b"\r\n\r\n")
            if end >= 0:
                end += 4
        if end < 0:
            self._handshake_tail = (tail + data)[-3:]
            super().data_received(data)
            return
        # The status line and headers: websockets checks them and completes the handshake.
        # A 101 has no body, so what follows is frames; any other answer goes on to websockets.
        self._handshake_tail = None
        super().data_received(data[:end])
        if self.protocol.state is not State.OPEN:
            self._to_websockets = True
        if end < len(data):
            self.data_received(data[end:])

    def _stop_parsing(self) -> None:
        parser = self.parser
        self._to_websockets = True
        if parser.failure is not None:
            code, reason = parser.failure
            self.protocol.fail(code, reason)
            self.send_data()
        elif parser.rest is not None:
            rest, parser.rest = parser.rest, b""
            super().data_received(rest)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        super().connection_lost(exc)
        self._lost = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def messages_waiter(self) -> asyncio.Future[None]:
        """A future done when :attr:`messages` has one or the connection is lost (then the
        next call raises ``ConnectionClosed``, once the room took every message read before).
        Awaited directly: a coroutine per wait would be one more object per frame for the
        cyclic GC to promote while a quiet room waits."""
        if self._paused:
            self._paused = False
            self.transport.resume_reading()
        if self._lost:
            raise self.close_exc
        waiter = self._waiter = self.loop.create_future()
        return waiter


class _IdleWheel:
    """The idle watchdogs of every connection on one event loop, checked by one timer.

    One ``call_later`` per loop every :attr:`TICK` seconds instead of a timer per frame per
    connection (a heap push and a cancel for each of thousands of frames a second). Each
    tick also measures how late it ran: time the loop could not run callbacks at all (a
    blocking handler, a starved loop) is :attr:`lost`, and it does not count as silence
    from the server, whose frames may be sitting unread in the socket meanwhile.
    """

    TICK = 0.25

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._armed: Dict[_IdleWatchdog, None] = {}
        self._handle: Optional[asyncio.TimerHandle] = None
        self._due = 0.0
        #: Seconds the loop was starved (ticks later than one extra tick), since the wheel began.
        self.lost = 0.0

    def arm(self, watchdog: _IdleWatchdog) -> None:
        self._armed[watchdog] = None
        if self._handle is None:
            self._due = self._loop.time() + self.TICK
            self._handle = self._loop.call_at(self._due, self._tick)

    def disarm(self, watchdog: _IdleWatchdog) -> None:
        self._armed.pop(watchdog, None)

    def _tick(self) -> None:
        now = self._loop.time()
        late = now - self._due
        if late > self.TICK:
            self.lost += late - self.TICK
        for watchdog in [w for w in self._armed if w.idle(now) >= w.seconds]:
            self._armed.pop(watchdog, None)
            watchdog.fire()
        if self._armed:
            self._due = now + self.TICK
            self._handle = self._loop.call_at(self._due, self._tick)
        else:
            self._handle = None


class _ReadSizes:
    """The read size of the push connections of one event loop: as large as :data:`_READ_MAX`
    while they are few, halved as they grow in number so that one read of each holds at most
    :data:`_READ_BUDGET` bytes, down to :data:`_READ_MIN` (from 129 rooms on: 16 KiB each)."""

    def __init__(self) -> None:
        self._transports: Dict[asyncio.Transport, None] = {}
        self.size = _READ_MAX

    def add(self, transport: asyncio.Transport) -> None:
        self._transports[transport] = None
        self._resize()
        transport.max_size = self.size  # type: ignore[attr-defined]  # the selector transports'

    def discard(self, transport: asyncio.Transport) -> None:
        if transport in self._transports:
            del self._transports[transport]
            self._resize()

    def _resize(self) -> None:
        size = _READ_MAX
        while size > _READ_MIN and size * len(self._transports) > _READ_BUDGET:
            size //= 2
        if size != self.size:  # a power of two: a handful of changes from 1 to 1000 rooms
            self.size = size
            for transport in self._transports:
                transport.max_size = size  # type: ignore[attr-defined]


class _Heartbeat:
    """One connection's heartbeats, sent by its loop's :class:`_HeartbeatClock`."""

    __slots__ = ("connection", "flushing", "protocol", "stopped")

    def __init__(self, connection: ClientConnection, protocol: WebcastProtocol) -> None:
        self.connection: Optional[ClientConnection] = connection
        self.protocol: Optional[WebcastProtocol] = protocol
        self.flushing: Optional[asyncio.Future[None]] = None
        self.stopped = False

    def stop(self) -> None:
        """No more heartbeats; a send still waiting for the socket is cancelled."""
        self.stopped = True
        self.connection = self.protocol = None  # its place in the clock's heap holds nothing
        if self.flushing is not None:
            self.flushing.cancel()

    def interval(self) -> float:
        """Seconds to the next heartbeat (the protocol's interval, which the server may change)."""
        return self.protocol.heartbeat_interval if self.protocol is not None else 10.0

    def send(self) -> None:
        connection, protocol = self.connection, self.protocol
        if connection is None or protocol is None:
            return
        if connection.protocol.state is not State.OPEN or connection.transport.is_closing():
            self.stop()  # the reader sees the close and reports it
            return
        protocol.heartbeat()
        if not _write_queued(connection, protocol) and (self.flushing is None or self.flushing.done()):
            # The socket's buffer is backed up: send() waits for it to drain.
            self.flushing = asyncio.ensure_future(self._flush_when_drained(connection, protocol))

    @staticmethod
    async def _flush_when_drained(connection: ClientConnection, protocol: WebcastProtocol) -> None:
        with contextlib.suppress(ConnectionClosed):  # the reader sees the close and reports it
            await _flush(connection, protocol)


class _HeartbeatClock:
    """The heartbeats of every push connection on one event loop, due in a heap, sent by one timer.

    A task sleeping per connection made, every interval, a coroutine, a future and a timer per
    room, each living the whole interval: long enough for the cyclic GC to promote them to its
    oldest generation, whose full collections (of every room's long-lived state, ~0.15 s at a
    thousand rooms) they brought on every few seconds. Here a heartbeat is a heap entry; the
    timer lives only until the next heartbeat of any room is due.
    """

    #: Seconds: the most a heartbeat waits for others to fall due with it.
    QUANTUM = 0.25

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: List[Tuple[float, int, _Heartbeat]] = []
        self._order = itertools.count()  # ties: first scheduled, first sent
        self._handle: Optional[asyncio.TimerHandle] = None
        self._handle_at = math.inf

    def start(self, connection: ClientConnection, protocol: WebcastProtocol) -> _Heartbeat:
        """Send ``protocol``'s heartbeats on ``connection`` every ``protocol.heartbeat_interval``
        (read anew after each) until the returned beat is stopped or the connection closes."""
        return self.add(_Heartbeat(connection, protocol))

    def add(self, beat: _Heartbeat) -> _Heartbeat:
        """Send ``beat`` every :meth:`_Heartbeat.interval` until it is stopped."""
        self._push(beat)
        self._wake_for_the_earliest()
        return beat

    def _push(self, beat: _Heartbeat) -> None:
        # Due times are rounded up to a step of a tenth of the interval, at most QUANTUM: the
        # heartbeats of many rooms then fall due together, and one wake-up sends them all (a
        # wake-up per room, 100 a second at 1000 rooms, cost ~8 % of the client's CPU at 10
        # events/s a room). A heartbeat is late by less than the step, never early.
        interval = beat.interval()
        step = max(min(self.QUANTUM, interval / 10), 0.001)
        at = math.ceil((self._loop.time() + interval) / step) * step
        heapq.heappush(self._due, (at, next(self._order), beat))

    def _wake_for_the_earliest(self) -> None:
        """The timer at the heap's earliest heartbeat (none when the heap is empty)."""
        at = self._due[0][0] if self._due else math.inf
        if at != self._handle_at:
            if self._handle is not None:
                self._handle.cancel()
            self._handle = None if at == math.inf else self._loop.call_at(at, self._tick)
            self._handle_at = at

    def _tick(self) -> None:
        self._handle, self._handle_at = None, math.inf
        now = self._loop.time()
        due = self._due
        while due and due[0][0] <= now:
            beat = heapq.heappop(due)[2]
            if beat.stopped:
                continue
            try:
                beat.send()
            except Exception:  # a bug here must not stop every other room's heartbeats
                beat.stop()
                logger.exception("a heartbeat failed; that connection sends no more")
            if not beat.stopped:
                self._push(beat)
        self._wake_for_the_earliest()


class _LoopShared:
    """What the push connections of one event loop share: their idle watchdogs' timer, their
    heartbeats' timer, and the size of their reads."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.wheel = _IdleWheel(loop)
        self.heartbeats = _HeartbeatClock(loop)
        self.reads = _ReadSizes()


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopShared] = weakref.WeakKeyDictionary()


def _shared() -> _LoopShared:
    loop = asyncio.get_running_loop()
    shared = _by_loop.get(loop)
    if shared is None:
        shared = _by_loop[loop] = _LoopShared(loop)
    return shared


class _IdleWatchdog:
    """Aborts the connection when no frame arrives within ``seconds`` of arming.

    Armed only around ``recv()``: time spent waiting for a slow consumer (backpressure) is not
    silence from the server, nor is time the event loop was starved (see :class:`_IdleWheel`).
    (Not ``asyncio.wait_for``: before Python 3.12 it can swallow a cancellation that races with
    a frame, and then ``Live.close()`` hangs.)
    """

    __slots__ = ("__weakref__", "_armed_at", "_connection", "_lost_at", "_wheel", "fired", "seconds")

    def __init__(self, connection: _PushConnection, seconds: float) -> None:
        self.fired = False
        self.seconds = seconds
        self._connection = connection
        self._wheel = _shared().wheel
        self._armed_at = 0.0
        self._lost_at = 0.0

    def arm(self) -> None:
        wheel = self._wheel
        self._armed_at = wheel._loop.time()
        self._lost_at = wheel.lost
        wheel.arm(self)

    def disarm(self) -> None:
        self._wheel.disarm(self)

    def idle(self, now: float) -> float:
        """Seconds since arming during which the loop was running (starvation left out)."""
        return now - self._armed_at - (self._wheel.lost - self._lost_at)

    def fire(self) -> None:
        self.fired = True
        self._connection.transport.abort()  # messages_waiter() then raises ConnectionClosed


async def _flush(connection: ClientConnection, protocol: WebcastProtocol) -> None:
    frames = protocol.data_to_send()
    if frames and not _write_now(connection, frames):
        for frame in frames:
            await connection.send(frame)


def _can_write_now(connection: ClientConnection) -> bool:
    """The connection is open and its write buffer nearly empty (see :func:`_write_now`)."""
    transport = connection.transport
    return (
        connection.protocol.state is State.OPEN
        and not transport.is_closing()
        and transport.get_write_buffer_size() <= _WRITE_NOW_LIMIT
    )


def _write_now(connection: ClientConnection, frames: List[bytes]) -> bool:
    """Write ``frames`` (acks, heartbeats: a few dozen bytes each) in one socket write, without
    a task switch. False, with nothing written, unless :func:`_can_write_now`: then
    :meth:`ClientConnection.send` does it, with its flow control and its handling of a
    closing connection.

    An ack follows every frame read, so this is on the hot path: ``send()``'s context manager,
    drain and per-message write cost as much as a tenth of a busy room's CPU, and
    ``websockets``' framing (a system call per masking key) a fiftieth. Writing data frames
    past ``websockets`` is sound: it keeps no state about them (no extension rewrites a
    message it did not compress; permessage-deflate allows uncompressed ones).
    """
    if not _can_write_now(connection):
        return False
    connection.transport.write(client_frames(frames))
    return True


def _write_queued(connection: ClientConnection, protocol: WebcastProtocol) -> bool:
    """Write the frames ``protocol`` queued if that can be done at once (see :func:`_write_now`),
    and say so; else they stay queued, for the next :func:`_flush`."""
    if not _can_write_now(connection):
        return False
    frames = protocol.data_to_send()
    if frames:
        connection.transport.write(client_frames(frames))
    return True


async def _open(url: str, options: WebsocketOptions) -> _PushConnection:
    headers = {"Cookie": options.cookie} if options.cookie else {}
    # websockets refuses proxy_ssl for anything but an https:// proxy, even as None.
    proxy_tls: Dict[str, Any] = {"proxy_ssl": options.proxy_ssl} if options.proxy_ssl is not None else {}
    try:
        connection = await connect(
            url,
            create_connection=_PushConnection,
            additional_headers=headers,
            user_agent_header=options.user_agent,
            origin=options.origin,  # type: ignore[arg-type]  # websockets' Origin is a NewType of str
            subprotocols=["echo-protocol"],  # type: ignore[list-item]  # same for Subprotocol
            # TikTok does not answer websocket pings; its own heartbeats keep the connection alive.
            ping_interval=None,
            ping_timeout=None,
            proxy=options.proxy,
            ssl=options.ssl,
            open_timeout=options.open_timeout,
            close_timeout=2,
            max_size=options.max_frame_size,
            # Frames read ahead of the reader: few, since a paused room should cost little memory
            # (~15 KB a busy frame); the kernel's socket buffer holds the rest.
            max_queue=_MAX_QUEUED_FRAMES,
            **proxy_tls,
        )
        assert isinstance(connection, _PushConnection)
        return connection
    except InvalidStatus as exc:
        response = exc.response
        reason = response.headers.get("Handshake-Msg", "") or response.reason_phrase
        status = response.headers.get("Handshake-Status", "")
        raise WebsocketRejectedError(
            f"the push server refused the websocket: HTTP {response.status_code}"
            + (f", handshake-status {status}" if status else "")
            + (f": {reason}" if reason else ""),
            status_code=response.status_code,
            reason=reason,
        ) from exc
    except InvalidURI as exc:
        raise WebsocketRejectedError(f"the push server URL is not usable: {redact(str(exc))}") from exc
    except InvalidProxy as exc:
        raise ConnectionFailedError(f"the websocket proxy is not usable: {redact(str(exc))}") from exc
    except InvalidHandshake as exc:  # the connection broke mid-handshake, or the proxy failed: retry
        raise ConnectionDropped(f"the websocket handshake failed: {redact(str(exc))}") from exc
    except ssl.SSLCertVerificationError as exc:
        # Not retried and no fallback to polling: every attempt would fail the same way, and a
        # push server whose certificate fails while the HTTP API's passes deserves attention.
        problem = certificate_problem(exc)
        raise TLSVerificationError(f"the push server at {redact(url)}: {problem}", url=redact(url)) from exc


async def run_websocket(
    protocol: WebcastProtocol,
    url: str,
    options: WebsocketOptions,
    deliver: Deliver,
    reporter: Reporter,
    label: str,
    *,
    wait_for_room: Optional[Callable[[], Awaitable[bool]]] = None,
) -> None:
    """Run one websocket connection to ``url``.

    ``wait_for_room`` (the room buffer's ``wait_writable``) is awaited before each frame is
    decoded; once it returns False (the room was closed) this raises ``CancelledError``. Returns
    when the live has ended; raises when the connection is lost or refused.
    """
    reporter.debug("%s: connecting to %s", label, url)
    connection = await _open(url, options)
    reads = _shared().reads if hasattr(connection.transport, "max_size") else None
    if reads is not None:  # asyncio's selector transports (CPython)
        reads.add(connection.transport)
    try:
        await _run_connection(connection, protocol, options, deliver, reporter, label, wait_for_room)
    finally:
        if reads is not None:
            reads.discard(connection.transport)
        # A cancellation during websockets' closing handshake (the room closed by its owner just
        # as the connection ended) leaves the socket open: never leave it to the garbage collector.
        if not connection.transport.is_closing():
            connection.transport.abort()


async def _run_connection(
    connection: _PushConnection,
    protocol: WebcastProtocol,
    options: WebsocketOptions,
    deliver: Deliver,
    reporter: Reporter,
    label: str,
    wait_for_room: Optional[Callable[[], Awaitable[bool]]],
) -> None:
    async with connection:
        handshake_options = (
            connection.response.headers.get("Handshake-Options") if connection.response else None
        )
        # Opening resets the per-connection state (the previous handshake's interval among it),
        # so this connection's options come after it.
        protocol.connection_opened()
        if handshake_options:
            protocol.apply_handshake_options(handshake_options)
        await _flush(connection, protocol)
        reporter.info("%s: connected to the websocket", label)
        heartbeat = _shared().heartbeats.start(connection, protocol)
        watchdog = (
            _IdleWatchdog(connection, options.idle_timeout) if options.idle_timeout is not None else None
        )
        messages = connection.messages
        loop = asyncio.get_running_loop()
        flush_pending = False

        def flush_at_suspension() -> None:
            nonlocal flush_pending
            flush_pending = False
            _write_queued(connection, protocol)

        try:
            while True:
                if not messages:
                    if watchdog is not None:
                        watchdog.arm()
                    try:
                        while not messages:
                            await connection.messages_waiter()
                    except ConnectionClosed as exc:
                        if watchdog is not None and watchdog.fired:
                            raise ConnectionDropped(f"no frame for {options.idle_timeout:g}s") from None
                        raise ConnectionDropped(f"the push server closed the connection ({exc})") from exc
                    finally:
                        if watchdog is not None:
                            watchdog.disarm()
                data = messages.popleft()
                # Room for the frame's events before decoding it: a full buffer pauses reading
                # here, holding the frame as it came (compressed, a third of its decoded size),
                # where the watchdog is not armed (the server is not silent, the consumer is
                # slow). Nothing suspends from here to `deliver` (unless the socket's write
                # buffer is backed up), so the room found is still there.
                if wait_for_room is not None and not await wait_for_room():
                    # Closed by its owner, who is cancelling this task: go as a cancellation
                    # would (not as the end of the LIVE).
                    raise asyncio.CancelledError
                try:
                    protocol.receive_frame(data)
                except DecodeError as exc:
                    # The bad frame may have carried events, and the next good frame moves the
                    # cursor past them: reading on would lose them silently. Report it, and let
                    # the session reconnect from the last good cursor (the server sends them again).
                    reporter.error(
                        DecodeError(f"{label}: dropped an undecodable frame ({len(data)} bytes): {exc}")
                    )
                    raise ConnectionDropped(f"undecodable frame ({len(data)} bytes)") from exc
                # A waiting room keeps no frame it is done with: neither the bytes (here) nor
                # the events (below) stay referenced while it waits for the next one. At a
                # thousand paused rooms that is a frame and its events less per room.
                del data
                if messages:
                    # More frames of the same chunk follow: their acks go out with this one's,
                    # in one write, once this task stops running (at the end of the chunk, or
                    # if it waits for room before then).
                    if not flush_pending:
                        flush_pending = True
                        loop.call_soon(flush_at_suspension)
                else:
                    await _flush(connection, protocol)
                events = protocol.events_received()
                if events:
                    reporter.debug("%s: got %d events, cursor %s", label, len(events), protocol.cursor)
                    await deliver(events)
                del events
                if protocol.ended:
                    # The acks still waiting for the end of the chunk go now: the server asked
                    # for them, and nothing runs after the abort.
                    _write_queued(connection, protocol)
                    # No closing handshake: the LIVE is over, and with a frame queued after the
                    # end, reading is paused, so the handshake would wait `close_timeout` for a
                    # close frame it cannot read.
                    connection.transport.abort()
                    return
        except asyncio.CancelledError:
            # The room is being closed: no closing handshake. It could not complete anyway while
            # reading is paused (a full queue), and a second cancellation would then interrupt
            # it and leave the socket open.
            connection.transport.abort()
            raise
        finally:
            heartbeat.stop()
