"""Many rooms at once: :class:`LiveGroup`, made by :meth:`TikTok.track_many`.

Iterating a group yields ``(live, event)`` pairs from all its rooms as they
arrive. Each room keeps its own bounded buffer and the merged stream has a
bound too, so a slow consumer slows every room's reading (and says so in the
log) instead of growing memory or dropping events. A room that fails is
reported to the error handler and left out; the others go on. Breaking out of
``async for`` and iterating again later continues where it stopped.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Callable, Dict, List, Mapping, Optional, Tuple, Type

from pytiktoklive._log import Reporter
from pytiktoklive.events import Event
from pytiktoklive.live import Handler, Live
from pytiktoklive.streaks import GiftStreak

__all__ = ["LiveGroup"]

_Item = Tuple[Live, Optional[Event]]


class _GroupIterator:
    """``async for live, event in group``."""

    __slots__ = ("_group",)

    def __init__(self, group: LiveGroup) -> None:
        self._group = group

    def __aiter__(self) -> _GroupIterator:
        return self

    async def __anext__(self) -> Tuple[Live, Event]:
        return await self._group._next()


class LiveGroup:
    """Rooms tracked together. ``lives`` maps each username to its :class:`Live`;
    ``failures`` maps the usernames that could not be tracked to the reason."""

    def __init__(
        self,
        lives: Mapping[str, Live],
        failures: Mapping[str, BaseException],
        *,
        reporter: Reporter,
        capacity: int,
    ) -> None:
        self.lives: Dict[str, Live] = dict(lives)
        self.failures: Dict[str, BaseException] = dict(failures)
        self._reporter = reporter
        self._capacity = capacity
        self._consuming = False
        self._queue: Optional[asyncio.Queue[_Item]] = None
        self._running = 0
        self._forwarders: List[asyncio.Task[None]] = []

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
        return _GroupIterator(self)

    def _start(self) -> asyncio.Queue[_Item]:
        """Start one forwarder per room (once): it moves the room's events into the merged queue."""
        if self._queue is None:
            self._queue = asyncio.Queue(self._capacity)
            self._running = len(self.lives)
            self._forwarders = [
                asyncio.ensure_future(self._forward(live, self._queue)) for live in self.lives.values()
            ]
        return self._queue

    async def _forward(self, live: Live, queue: asyncio.Queue[_Item]) -> None:
        try:
            async for event in live:
                await queue.put((live, event))  # waits while the merged stream is full: backpressure
        except asyncio.CancelledError:
            raise  # the group is closing: no end marker, nobody reads any more
        except Exception as exc:
            self._reporter.error(exc)
        await queue.put((live, None))

    async def _next(self) -> Tuple[Live, Event]:
        # A plain __anext__ (not an async generator): breaking out of `async for` and
        # iterating again later continues where it stopped, losing nothing.
        if self._consuming:
            raise RuntimeError("this group's events are already being consumed")
        self._consuming = True
        try:
            queue = self._start()
            while self._running:
                live, event = await queue.get()
                if event is None:
                    self._running -= 1
                else:
                    return live, event
            raise StopAsyncIteration
        finally:
            self._consuming = False

    async def run(self) -> None:
        """Consume every room's events (running the handlers) until all have ended."""
        async for _pair in self:
            pass

    async def close(self) -> None:
        """Close every room of the group."""
        for task in self._forwarders:
            task.cancel()
        await asyncio.gather(*(live.close() for live in self.lives.values()))
        await asyncio.gather(*self._forwarders, return_exceptions=True)
        self._running = 0  # an iteration after close() ends at once

    @property
    def ended(self) -> bool:
        return all(live.ended or live.closed for live in self.lives.values())

    async def __aenter__(self) -> LiveGroup:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
