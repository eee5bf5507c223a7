"""The bounded buffer between a room's reader and its consumer.

A room's reader (websocket or polling) puts events in; the consumer (``async
for event in live``) takes them out. When the consumer falls behind and the
buffer is full, the overflow policy decides:

* ``"block"`` (default): :meth:`EventBuffer.put` waits. The reader stops
  reading the socket (TCP pushes back on the server) or stops polling, so
  memory stays bounded and nothing is lost; heartbeats keep the connection
  alive meanwhile. The stall is logged once when it starts and once when the
  consumer has caught up (drained to half the capacity), at most once a minute
  per room (later pauses are counted in the next report and in ``stalls``);
* ``"error"``: the room ends with :class:`~pytiktoklive.errors.BackpressureError`
  (for programs that would rather fail loudly than fall behind).

Events are never dropped silently.

Memory is bounded twice: each room holds at most ``capacity`` events, and all
the rooms of one client together at most the client's :class:`BufferBudget`
(``TikTok(buffer_budget=...)``), so a thousand saturated rooms cost the budget,
not a thousand full buffers. A room waiting for the budget pauses like a room
whose own buffer is full.

The hand-off is per frame, not per event: the reader waits for room before it
decodes the next frame (:meth:`EventBuffer.wait_writable`) and hands over a frame's
events at once (:meth:`EventBuffer.put_many`); the consumer takes events without
awaiting while any are buffered (:meth:`EventBuffer.take_nowait`, or many at once:
:meth:`EventBuffer.take_many_nowait`). A listener
(the :class:`~pytiktoklive.group.LiveGroup` of the room) is told when a buffer
becomes readable, instead of one forwarding task per room.
"""

from __future__ import annotations

import asyncio
import collections
import math
from typing import Callable, Deque, Iterable, List, Optional, Sequence

from pytiktoklive._log import Reporter
from pytiktoklive.errors import BackpressureError
from pytiktoklive.events import Event

__all__ = ["DEFAULT_BUFFER_BUDGET", "OVERFLOW_POLICIES", "BufferBudget", "EventBuffer", "check_overflow"]

OVERFLOW_POLICIES = ("block", "error")

#: Events all the rooms of one client may hold together (see README, "Memory"): ~1.7 KB each
#: once decoded, so ~3.5 MB however many rooms fall behind; eight rooms' full buffers in
#: ``track_many``. Small on purpose: events the consumer takes soon after they were decoded
#: are still in the CPU's caches (at 1000 saturated rooms, 2048 measured ~7% more events per
#: CPU-second than 8192 and ~65 KiB less memory per room: README, "Performance").
DEFAULT_BUFFER_BUDGET = 2048
#: A room's pauses are logged at most once in this many seconds (the others are counted).
STALL_REPORT_SECONDS = 60.0
# Free events that wake one more room waiting for the budget (about a busy frame's worth).
_WAKE_BATCH = 32


def check_overflow(overflow: str) -> None:
    """Refuse an unknown overflow policy (the client checks before it builds anything)."""
    if overflow not in OVERFLOW_POLICIES:
        raise ValueError(f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}, not {overflow!r}")


class BufferBudget:
    """Events held by all the buffers sharing it, at most ``limit``; wakes the buffers that
    waited for it as events are taken."""

    __slots__ = ("limit", "used", "_batch", "_promised", "_waiting")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the buffer budget must be at least 1 event")
        self.limit = limit
        self.used = 0
        self._waiting: Deque[EventBuffer] = collections.deque()
        # Free events a woken room is counted to take (about a frame's worth).
        self._batch = min(_WAKE_BATCH, limit)
        # Rooms woken that have not resumed yet: each is promised a batch of the free events.
        self._promised = 0

    @property
    def free(self) -> int:
        return self.limit - self.used

    def _wait(self, buffer: EventBuffer) -> None:
        if not buffer._budget_queued:
            buffer._budget_queued = True
            self._waiting.append(buffer)

    def _release(self, count: int) -> None:
        self.used -= count
        if self._waiting:
            self._wake()

    def _wake(self) -> None:
        # One waiting room per batch of free events not yet promised to a woken room: a woken
        # room reads a whole frame. Waking more would only make rooms read frames they cannot
        # hand over (and wait again); waking them one event at a time would spin the loop.
        waiting = self._waiting
        batch = self._batch
        while waiting and self.limit - self.used - self._promised * batch >= batch:
            if waiting.popleft()._budget_available():
                self._promised += 1


class EventBuffer:
    """A closable FIFO of at most ``capacity`` events, for one producer and one consumer."""

    def __init__(
        self,
        capacity: int,
        *,
        overflow: str = "block",
        reporter: Reporter,
        label: str,
        budget: Optional[BufferBudget] = None,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        check_overflow(overflow)
        self.capacity = capacity
        self.overflow = overflow
        self._reporter = reporter
        self._label = label
        self._budget = budget
        self._items: Deque[Event] = collections.deque()
        self._readable: Optional[asyncio.Future[None]] = None
        self._writable: Optional[asyncio.Future[None]] = None
        self._closed = False
        self._error: Optional[BaseException] = None
        self._stalled_since: Optional[float] = None
        self._budget_queued = False
        self._budget_promised = False
        self._event_loop: Optional[asyncio.AbstractEventLoop] = None
        #: Called (no arguments) when the buffer goes from empty to non-empty, and when it closes.
        self.listener: Optional[Callable[[], None]] = None
        #: How many times the producer had to wait for the consumer.
        self.stalls = 0
        self._stalls_reported = 0
        self._stall_reported_at = -math.inf
        #: The most events ever held at once.
        self.high_water = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def exhausted(self) -> bool:
        """Closed and every event taken: the consumer's next take ends the stream."""
        return self._closed and not self._items

    # ------------------------------------------------------------------ producer

    def _room(self) -> int:
        room = self.capacity - len(self._items)
        if self._budget is not None:
            room = min(room, self._budget.free)
        return room

    def _can_read(self) -> bool:
        """Room for another frame: one event of the room's own capacity, and (when the budget is
        scarce) about a frame's worth of the budget, so that a reader seldom holds a decoded
        frame it cannot hand over."""
        if len(self._items) >= self.capacity:
            return False
        budget = self._budget
        return budget is None or budget.free >= min(_WAKE_BATCH, budget.limit)

    async def wait_writable(self) -> bool:
        """Wait until another frame's events may be read (see :meth:`_can_read`). False if the
        buffer was closed."""
        while not self._closed and not self._can_read():
            await self._wait_for_room()
        return not self._closed

    def _loop(self) -> asyncio.AbstractEventLoop:
        # Looked up once: before Python 3.12 every get_running_loop() call costs a getpid().
        loop = self._event_loop
        if loop is None:
            loop = self._event_loop = asyncio.get_running_loop()
        return loop

    async def _wait_for_room(self) -> None:
        if len(self._items) >= self.capacity and self.overflow == "error":
            error = BackpressureError(
                f"{self._label}: the consumer fell behind by {len(self._items)} events (overflow='error')"
            )
            self.close(error)
            raise error
        if self._stalled_since is None:
            now = self._stalled_since = self._loop().time()
            self.stalls += 1
            # Said once a minute at most per room: a thousand rooms sharing a busy consumer
            # pause and resume many times a second, and a log line each time cost a few
            # percent of the client's CPU while saying nothing new.
            if now - self._stall_reported_at >= STALL_REPORT_SECONDS:
                again = self.stalls - self._stalls_reported - 1
                self._stall_reported_at = now
                self._stalls_reported = self.stalls
                budget = self._budget
                if budget is not None and len(self._items) < self.capacity:  # waiting for the budget
                    waiting = f"all rooms hold {budget.used} events (the client's buffer budget)"
                else:
                    waiting = f"{len(self._items)} events are waiting"
                self._reporter.warn(
                    "%s: the consumer is slow, %s; pausing reads until it catches up%s",
                    self._label,
                    waiting,
                    f" ({again} more pauses since the last report)" if again else "",
                )
        waiter = self._writable = self._loop().create_future()
        if self._budget is not None and len(self._items) < self.capacity:
            self._budget._wait(self)
        try:
            await waiter
        finally:
            self._writable = None
            if self._budget_promised:  # resumed: the promise becomes the frame it reads now
                self._budget_promised = False
                if self._budget is not None:
                    self._budget._promised -= 1

    async def put(self, event: Event) -> bool:
        """Append ``event``, waiting while the buffer is full. False if the buffer was closed."""
        return await self.put_many((event,))

    async def put_many(self, events: Sequence[Event]) -> bool:
        """Append ``events`` in order, waiting whenever the buffer (or the budget) is full.
        False if the buffer was closed before all were taken in."""
        start = 0
        while start < len(events):
            while not self._closed and self._room() <= 0:
                await self._wait_for_room()
            if self._closed:
                return False
            end = start + self._room()
            self._append(events[start:end] if start or end < len(events) else events)
            start = end
        return not self._closed

    def _append(self, events: Iterable[Event]) -> None:
        was_empty = not self._items
        before = len(self._items)
        self._items.extend(events)
        added = len(self._items) - before
        if self._budget is not None:
            self._budget.used += added
        if len(self._items) > self.high_water:
            self.high_water = len(self._items)
        if was_empty and added:
            self._wake_reader()

    def _wake_reader(self) -> None:
        if self._readable is not None and not self._readable.done():
            self._readable.set_result(None)
        if self.listener is not None:
            self.listener()

    def _wake_writer(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def _budget_available(self) -> bool:
        """Woken by the budget: True if a reader was waiting (it is now promised a batch)."""
        self._budget_queued = False
        if self._writable is None or self._writable.done():
            return False
        self._budget_promised = True
        self._writable.set_result(None)
        return True

    # ------------------------------------------------------------------ consumer

    def take_nowait(self) -> Event:
        """The oldest event; IndexError when none is buffered (see :attr:`exhausted`)."""
        event = self._items.popleft()
        self._taken_out(1)
        return event

    def take_many_nowait(self, limit: int) -> List[Event]:
        """The oldest events, at most ``limit`` (at least 1); IndexError when none is buffered."""
        items = self._items
        if not items:
            raise IndexError("no event is buffered")
        if len(items) <= limit:
            events = list(items)
            items.clear()
        else:
            popleft = items.popleft
            events = [popleft() for _ in range(limit)]
        self._taken_out(len(events))
        return events

    def _taken_out(self, count: int) -> None:
        """``count`` events left the buffer: free them in the budget, wake the reader if it may read."""
        budget = self._budget
        if budget is not None:
            budget._release(count)
        # The reader waits for room. Wake it only once it may read a frame: woken for every
        # event taken, a thousand paused rooms would spin through the loop, each finding no
        # room and going back to sleep. Room in its own buffer but not in the budget: it
        # queues for the budget, which wakes it in turn.
        if self._writable is not None and not self._budget_queued and len(self._items) < self.capacity:
            if budget is None:
                self._wake_writer()
            else:  # the budget wakes it in turn, when a batch of it is free for this room
                budget._wait(self)
                budget._wake()
        if self._stalled_since is not None and len(self._items) <= self.capacity // 2:
            waited = self._loop().time() - self._stalled_since
            if self._stalled_since == self._stall_reported_at:  # the end of a reported pause
                self._reporter.info(
                    "%s: the consumer caught up after %.1fs; reading again", self._label, waited
                )
            self._stalled_since = None

    def raise_end(self) -> None:
        """At the end of the stream: raise the error the buffer was closed with (once), else
        StopAsyncIteration."""
        if self._error is not None:
            error, self._error = self._error, None  # raise it once
            raise error
        raise StopAsyncIteration

    async def get(self) -> Event:
        """Take the oldest event, waiting for one. At the end: StopAsyncIteration, or the error
        the buffer was closed with (after every buffered event was taken)."""
        await self.wait_readable()
        return self.take_nowait()

    async def wait_readable(self) -> None:
        """Wait until an event is buffered. At the end: StopAsyncIteration, or the error the
        buffer was closed with (after every buffered event was taken)."""
        while not self._items:
            if self._closed:
                self.raise_end()
            waiter = self._readable = self._loop().create_future()
            try:
                await waiter
            finally:
                self._readable = None

    # ------------------------------------------------------------------ closing

    def close(self, error: Optional[BaseException] = None) -> None:
        """No more events will come. The consumer still gets those buffered, then ``error`` if any."""
        if self._closed:
            return
        self._closed = True
        self._error = error
        self._wake_reader()
        self._wake_writer()

    def discard(self) -> int:
        """Drop every buffered event (the room was closed by its owner); return how many."""
        dropped = len(self._items)
        self._items.clear()
        if self._budget is not None and dropped:
            self._budget._release(dropped)
        self._wake_writer()
        return dropped
