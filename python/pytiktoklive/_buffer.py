"""The bounded buffer between a room's reader and its consumer.

A room's reader (websocket or polling) puts events in; the consumer (``async
for event in live``) takes them out. When the consumer falls behind and the
buffer is full, the overflow policy decides:

* ``"block"`` (default): :meth:`EventBuffer.put` waits. The reader stops
  reading the socket (TCP pushes back on the server) or stops polling, so
  memory stays bounded and nothing is lost; heartbeats keep the connection
  alive meanwhile. The stall is logged once when it starts and once when the
  consumer has caught up (drained to half the capacity);
* ``"error"``: the room ends with :class:`~pytiktoklive.errors.BackpressureError`
  (for programs that would rather fail loudly than fall behind).

Events are never dropped silently.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Deque, Optional

from pytiktoklive._log import Reporter
from pytiktoklive.errors import BackpressureError
from pytiktoklive.events import Event

__all__ = ["OVERFLOW_POLICIES", "EventBuffer", "check_overflow"]

OVERFLOW_POLICIES = ("block", "error")


def check_overflow(overflow: str) -> None:
    """Refuse an unknown overflow policy (the client checks before it builds anything)."""
    if overflow not in OVERFLOW_POLICIES:
        raise ValueError(f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}, not {overflow!r}")


class EventBuffer:
    """A closable FIFO of at most ``capacity`` events, for one producer and one consumer."""

    def __init__(self, capacity: int, *, overflow: str = "block", reporter: Reporter, label: str) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        check_overflow(overflow)
        self.capacity = capacity
        self.overflow = overflow
        self._reporter = reporter
        self._label = label
        self._items: Deque[Event] = collections.deque()
        self._readable = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._closed = False
        self._error: Optional[BaseException] = None
        self._stalled_since: Optional[float] = None
        #: How many times the producer had to wait for the consumer.
        self.stalls = 0
        #: The most events ever held at once.
        self.high_water = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    async def put(self, event: Event) -> bool:
        """Append ``event``, waiting while the buffer is full. False if the buffer was closed."""
        while len(self._items) >= self.capacity and not self._closed:
            if self.overflow == "error":
                error = BackpressureError(
                    f"{self._label}: the consumer fell behind by {len(self._items)} events (overflow='error')"
                )
                self.close(error)
                raise error
            if self._stalled_since is None:
                self._stalled_since = asyncio.get_running_loop().time()
                self.stalls += 1
                self._reporter.warn(
                    "%s: the consumer is slow, %d events are waiting; pausing reads until it catches up",
                    self._label,
                    len(self._items),
                )
            self._writable.clear()
            await self._writable.wait()
        if self._closed:
            return False
        self._items.append(event)
        self.high_water = max(self.high_water, len(self._items))
        self._readable.set()
        return True

    async def get(self) -> Event:
        """Take the oldest event, waiting for one. At the end: StopAsyncIteration, or the error
        the buffer was closed with (after every buffered event was taken)."""
        while not self._items:
            if self._closed:
                if self._error is not None:
                    error, self._error = self._error, None  # raise it once
                    raise error
                raise StopAsyncIteration
            self._readable.clear()
            await self._readable.wait()
        event = self._items.popleft()
        if len(self._items) < self.capacity:
            self._writable.set()
        if self._stalled_since is not None and len(self._items) <= self.capacity // 2:
            waited = asyncio.get_running_loop().time() - self._stalled_since
            self._stalled_since = None
            self._reporter.info("%s: the consumer caught up after %.1fs; reading again", self._label, waited)
        return event

    def close(self, error: Optional[BaseException] = None) -> None:
        """No more events will come. The consumer still gets those buffered, then ``error`` if any."""
        if self._closed:
            return
        self._closed = True
        self._error = error
        self._readable.set()
        self._writable.set()

    def discard(self) -> int:
        """Drop every buffered event (the room was closed by its owner); return how many."""
        dropped = len(self._items)
        self._items.clear()
        self._writable.set()
        return dropped
