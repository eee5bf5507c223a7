"""Many rooms at once: :class:`LiveGroup`, made by :meth:`TikTok.track_many`.

Iterating a group yields ``(live, event)`` pairs from all its rooms as they
arrive (``group.batches()``: ``(live, events)``, one room's buffered events at a
time). Each room keeps its own bounded buffer (and the client's buffer budget
bounds them all), so a slow consumer slows every room's reading (and says so in
the log) instead of growing memory or dropping events. The group reads the
rooms' buffers itself: a room whose buffer becomes readable is queued once, and
the consumer takes its events without a task, queue or future per event (at
most ``_BURST`` in a row from one room, so a busy room cannot starve the others). A room that fails is
reported to the error handler and left out; the others go on. Breaking out of
``async for`` and iterating again later continues where it stopped.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, AsyncIterator, Callable, Deque, Dict, List, Mapping, Optional, Set, Tuple, Type

from pytiktoklive._log import Reporter
from pytiktoklive.events import Event
from pytiktoklive.live import Handler, Live, check_batch_limit
from pytiktoklive.streaks import GiftStreak

__all__ = ["LiveGroup"]

#: Events taken from one room in a row before the next ready room gets its turn.
_BURST = 64
#: Events handed out without suspending, at most, before the consumer lets the loop run.
_YIELD_EVERY = 256


class _GroupBatches:
    """``async for live, events in group.batches()``."""

    __slots__ = ("_group", "_limit")

    def __init__(self, group: LiveGroup, limit: int) -> None:
        self._group = group
        self._limit = limit

    def __aiter__(self) -> _GroupBatches:
        return self

    async def __anext__(self) -> Tuple[Live, List[Event]]:
        return await self._group._next_batch(self._limit)


class LiveGroup:
    """Rooms tracked together. ``lives`` maps each username to its :class:`Live`;
    ``failures`` maps the usernames that could not be tracked to the reason."""

    def __init__(
        self,
        lives: Mapping[str, Live],
        failures: Mapping[str, BaseException],
        *,
        reporter: Reporter,
        capacity: int = 0,
    ) -> None:
        """``capacity`` (``track_many(group_buffer=...)``) is accepted for compatibility: the
        merged stream no longer holds events of its own, only the rooms' buffers do."""
        self.lives: Dict[str, Live] = dict(lives)
        self.failures: Dict[str, BaseException] = dict(failures)
        self._reporter = reporter
        self._consuming = False
        self._started = False
        self._ready: Deque[Live] = collections.deque()
        self._queued: Set[Live] = set()
        self._running: Set[Live] = set()
        self._burst = 0
        self._unyielded = 0
        self._wakeup: Optional[asyncio.Future[None]] = None
        # The turn being handed out one event at a time (see `_next`): events taken from the
        # buffer of `_held_live`, handed out up to `_held_next`, counted as consumed (by the
        # room) up to `_held_counted`.
        self._held: List[Event] = []
        self._held_live: Optional[Live] = None
        self._held_next = 0
        self._held_counted = 0

    def __len__(self) -> int:
        return len(self.lives)

    def __repr__(self) -> str:
        return f"<LiveGroup {len(self.lives)} rooms, {len(self.failures)} failed>"

    def on(self, event_type: Type[Event], handler: Optional[Handler[Any]] = None) -> Any:
        """Register ``handler`` on every room (see :meth:`Live.on`); usable as a decorator."""

        def register(function: Handler[Any]) -> Handler[Any]:
            for live in self.lives.values():
                live.on(event_type, function)
            return function

        return register(handler) if handler is not None else register

    def on_gift_streak_end(self, handler: Callable[[GiftStreak], Any]) -> Callable[[GiftStreak], Any]:
        for live in self.lives.values():
            live.on_gift_streak_end(handler)
        return handler

    def __aiter__(self) -> AsyncIterator[Tuple[Live, Event]]:
        # The group is its own iterator (`__anext__` is `_next`): one coroutine per event.
        return self

    def _start(self) -> None:
        """Take over every room's buffer (once): its listener queues the room when it has events."""
        if self._started:
            return
        self._started = True
        for live in self.lives.values():
            if live._group is not None or live._iterating:
                raise RuntimeError(f"{live!r} is already being consumed elsewhere")
            live._group = self
            self._running.add(live)
            buffer = live._buffer
            buffer.listener = lambda live=live: self._mark_ready(live)
            if len(buffer) or buffer.closed:
                self._mark_ready(live)

    def _mark_ready(self, live: Live) -> None:
        if live not in self._queued:
            self._queued.add(live)
            self._ready.append(live)
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def _finish(self, live: Live) -> None:
        """The room's buffer is closed and empty: report its error, if any, once."""
        self._running.discard(live)
        try:
            live._buffer.raise_end()
        except StopAsyncIteration:
            pass
        except Exception as exc:
            self._reporter.error(exc)

    def _front(self) -> Optional[Live]:
        """The room whose events come next, or None when no room has any buffered. Rooms that
        ran dry leave the queue on the way (one that has ended is finished)."""
        ready = self._ready
        while ready:
            live = ready[0]
            buffer = live._buffer
            if len(buffer):
                return live
            ready.popleft()
            self._queued.discard(live)
            self._burst = 0
            if buffer.closed and live in self._running:
                self._finish(live)
        return None

    async def _wait_for_events(self) -> None:
        """Wait until a room has events (StopAsyncIteration once every room has finished)."""
        if not self._running:
            raise StopAsyncIteration
        self._unyielded = 0
        self._wakeup = asyncio.get_running_loop().create_future()
        try:
            await self._wakeup
        finally:
            self._wakeup = None

    def _advance(self, live: Live, taken: int) -> None:
        """``taken`` events were taken from ``live``, the front room: move on if it ran dry or
        had its turn (at most ``_BURST`` events in a row, so a busy room cannot starve the others)."""
        self._burst += taken
        buffer = live._buffer
        if not len(buffer) and not buffer.closed:
            self._ready.popleft()
            self._queued.discard(live)
            self._burst = 0
        elif self._burst >= _BURST:
            self._ready.rotate(-1)
            self._burst = 0

    def _begin(self) -> None:
        if self._consuming:
            raise RuntimeError("this group's events are already being consumed")
        self._consuming = True
        self._start()

    async def _next_room(self) -> Live:
        """The room whose events come next, once the loop has had its turn if it is due (taking
        buffered events never suspends: the readers and every timer must run now and then, or a
        long backlog would freeze the loop while it drains) and some room has events."""
        while True:
            if self._unyielded >= _YIELD_EVERY:
                self._unyielded = 0
                await asyncio.sleep(0)
            live = self._front()
            if live is not None:
                return live
            await self._wait_for_events()

    async def _next(self) -> Tuple[Live, Event]:
        # A plain __anext__ (not an async generator): breaking out of `async for` and
        # iterating again later continues where it stopped, losing nothing.
        #
        # A room's turn (up to `_BURST` events) is taken from its buffer at once and handed out
        # from `_held`: per event, only an index moves. Taking, budgeting, waking the reader and
        # counting what the room's consumer has consumed (`Live._taken_many`, settled when the
        # turn ends or the room is asked for a resume point) are per turn. Handing them out one
        # call each cost as much as a twentieth of a busy room's CPU.
        held = self._held
        index = self._held_next
        if index < len(held) and self._unyielded < _YIELD_EVERY and not self._consuming:
            live = self._held_live
            assert live is not None
            event = held[index]
            self._held_next = index + 1
            self._unyielded += 1
            if live._handlers:
                self._consuming = True
                try:
                    await live._dispatch(event)
                finally:
                    self._consuming = False
            return live, event
        self._begin()
        try:
            if self._held_next < len(self._held):  # the loop's turn is due (see `_next_room`)
                self._unyielded = 0
                await asyncio.sleep(0)
            if self._held_next >= len(self._held):  # (or the group was closed meanwhile)
                self._end_turn()
                live = await self._next_room()
                self._held = live._buffer.take_many_nowait(_BURST - self._burst)
                self._held_live = live
                self._held_next = self._held_counted = 0
            live = self._held_live
            assert live is not None
            event = self._held[self._held_next]
            self._held_next += 1
            self._unyielded += 1
            if live._handlers:
                await live._dispatch(event)
            return live, event
        finally:
            self._consuming = False

    def _settle(self, live: Live) -> None:
        """Count the events of ``live``'s turn handed out so far as consumed by it."""
        if live is self._held_live and self._held_counted < self._held_next:
            live._taken_many(self._held[self._held_counted : self._held_next])
            self._held_counted = self._held_next

    def _drop_turn(self, live: Live) -> int:
        """``live`` is being closed: the rest of its turn goes with its buffer (and is not handed
        out). Returns how many events that was."""
        if live is not self._held_live:
            return 0
        self._settle(live)
        dropped = len(self._held) - self._held_next
        self._forget_turn()
        return dropped

    def _end_turn(self) -> None:
        """The turn was handed out: settle it, and move on from its room (see `_advance`)."""
        live = self._held_live
        if live is not None:
            self._settle(live)
            self._advance(live, len(self._held))
            self._forget_turn()

    def _forget_turn(self) -> None:
        self._held = []
        self._held_live = None
        self._held_next = self._held_counted = 0

    async def _next_batch(self, limit: int) -> Tuple[Live, List[Event]]:
        self._begin()
        try:
            held_live = self._held_live
            if held_live is not None and self._held_next < len(self._held):
                # The rest of a turn begun one event at a time comes first, in order.
                events = self._held[self._held_next : self._held_next + limit]
                self._held_next += len(events)
                self._unyielded += len(events)
                self._settle(held_live)
                if self._held_next == len(self._held):
                    self._end_turn()
                if held_live._handlers:
                    for event in events:
                        await held_live._dispatch(event)
                return held_live, events
            self._end_turn()
            live = await self._next_room()
            events = live._buffer.take_many_nowait(limit)
            self._unyielded += len(events)
            live._taken_many(events)
            self._advance(live, len(events))
            if live._handlers:
                for event in events:
                    await live._dispatch(event)
            return live, events
        finally:
            self._consuming = False

    def batches(self, max_events: int = _BURST) -> AsyncIterator[Tuple[Live, List[Event]]]:
        """``(live, events)`` pairs from all the rooms as they arrive: each step hands over one
        room's buffered events, up to ``max_events``, in the room's order, each event once (see
        :meth:`Live.batches`). Rooms take turns as with events one by one."""
        return _GroupBatches(self, check_batch_limit(max_events))

    __anext__ = _next

    async def run(self) -> None:
        """Consume every room's events (running the handlers) until all have ended."""
        async for _pair in self:
            pass

    async def close(self) -> None:
        """Close every room of the group."""
        await asyncio.gather(*(live.close() for live in self.lives.values()))
        self._running.clear()  # an iteration after close() ends at once
        self._ready.clear()
        self._queued.clear()
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    @property
    def ended(self) -> bool:
        return all(live.ended or live.closed for live in self.lives.values())

    async def __aenter__(self) -> LiveGroup:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
