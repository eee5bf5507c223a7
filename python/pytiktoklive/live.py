"""A tracked LIVE room: its info and its events.

Consume the events in one of two ways (or both: handlers run as the
iteration pulls each event)::

    async with await tiktok.track_user("someone") as live:
        async for event in live.events:   # or: async for event in live
            print(event)
        async for events in live.batches():   # or a list at a time (what is buffered)
            database.insert(events)

    live = await tiktok.track_user("someone")

    @live.on(ChatEvent)
    async def on_chat(event: ChatEvent) -> None:
        print(event.user.nickname, event.comment)

    await live.run()   # dispatches to the handlers until the LIVE ends

When the LIVE ends the iteration simply finishes (``live.ended`` is True). If
the room cannot be read any more (reconnects exhausted, …) the iteration
raises that error after the last buffered event.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Deque,
    List,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
    overload,
)

from pytiktoklive._buffer import EventBuffer
from pytiktoklive._log import Reporter
from pytiktoklive._session import RoomSession
from pytiktoklive.events import Event, GiftEvent
from pytiktoklive.models import GiftInfo, RoomInfo
from pytiktoklive.streaks import GiftStreak, GiftStreaks

if TYPE_CHECKING:
    import os

    from pytiktoklive._protocol import WebcastProtocol
    from pytiktoklive._proxy import ProxySettings
    from pytiktoklive.group import LiveGroup
    from pytiktoklive.recording import ProgressCallback, Recording

__all__ = ["Handler", "Live", "ResumePoint"]

#: Events handed out without suspending, at most, before the consumer lets the loop run.
_YIELD_EVERY = 256

E = TypeVar("E", bound=Event)
#: A sync or async function of one event.
Handler = Callable[[E], Any]
AnyHandler = Callable[[Any], Any]


async def _call(handler: AnyHandler, argument: object, reporter: Reporter) -> None:
    """Run a user's handler; its exceptions go to the error handler, never into the stream."""
    try:
        result = handler(argument)
        if inspect.isawaitable(result):
            await result
    except Exception as exc:
        reporter.error(exc)


@dataclass(frozen=True)
class ResumePoint:
    """Where another tracker (another process, another machine) picks a room up.

    Made by :meth:`Live.resume_point`, used by ``tiktok.track_room(room_id, resume=point)``: the
    new tracker fetches from ``cursor`` / ``internal_ext`` and drops the events whose ids are in
    ``seen_msg_ids`` (those consumed before the point was taken), so it delivers every event the
    old tracker had not consumed, each once. Plain strings and ints: store it anywhere.
    """

    room_id: int
    cursor: str
    internal_ext: str
    seen_msg_ids: Tuple[int, ...] = ()


class _EventIterator:
    """``async for event in live``: each step takes the next event and runs the handlers on it."""

    __slots__ = ("_live",)

    def __init__(self, live: Live) -> None:
        self._live = live

    def __aiter__(self) -> _EventIterator:
        return self

    async def __anext__(self) -> Event:
        return await self._live._next_event()


class _BatchIterator:
    """``async for events in live.batches()``: each step takes the buffered events, up to a limit."""

    __slots__ = ("_limit", "_live")

    def __init__(self, live: Live, limit: int) -> None:
        self._live = live
        self._limit = limit

    def __aiter__(self) -> _BatchIterator:
        return self

    async def __anext__(self) -> List[Event]:
        return await self._live._next_batch(self._limit)


def check_batch_limit(max_events: int) -> int:
    if not isinstance(max_events, int) or max_events < 1:
        raise ValueError(f"max_events must be a positive int, not {max_events!r}")
    return max_events


class Live:
    """One tracked room. Made by :meth:`TikTok.track_room` / :meth:`TikTok.track_user`."""

    #: The client's proxy settings, which recordings follow (set by the client that made this Live).
    _proxies: Optional[ProxySettings] = None
    #: The client's chat sender, ``(room_id, text) -> msg_id`` (set by the client that made this Live).
    _send_chat: Optional[Callable[[int, str], Awaitable[int]]] = None

    def __init__(
        self,
        *,
        info: RoomInfo,
        gift_info: Optional[GiftInfo],
        username: str,
        protocol: WebcastProtocol,
        buffer: EventBuffer,
        session: RoomSession,
        reporter: Reporter,
        on_close: Callable[[Live], None],
        resumed_from: Optional[ResumePoint] = None,
    ) -> None:
        #: The room, as ``room/info`` described it when tracking started.
        self.info = info
        #: The room's gift list (None if it could not be fetched).
        self.gift_info = gift_info
        #: The host's username, when tracked by username ("" otherwise).
        self.username = username
        self._protocol = protocol
        self._buffer = buffer
        self._session = session
        self._reporter = reporter
        self._on_close = on_close
        self._handlers: List[Tuple[Type[Event], AnyHandler]] = []
        self._task: Optional[asyncio.Task[None]] = None
        self._iterating = False
        self._closed = False
        #: The LiveGroup that consumes this room's events, if any (it reads the buffer itself).
        self._group: Optional[LiveGroup] = None
        self._unyielded = 0
        # resume_point(): the last cursor at which every event the protocol handed out had been
        # consumed, and the ids of the latest consumed events (the protocol's dedup window).
        self._consumed = 0
        self._not_for_consumer = 0  # initial events dropped (process_initial_events=False)
        self._safe = (resumed_from.cursor, resumed_from.internal_ext) if resumed_from else ("", "")
        self._consumed_at_safe = 0
        self._consumed_ids: Deque[int] = collections.deque(
            resumed_from.seen_msg_ids if resumed_from else (), maxlen=protocol.dedup_window
        )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "ended" if self.ended else self._session.transport or "starting"
        who = f" @{self.username}" if self.username else ""
        return f"<Live room {self.room_id}{who} {state}>"

    def _start(self, first_events: List[Event], *, dropped: int = 0) -> None:
        self._not_for_consumer = dropped
        self._task = asyncio.ensure_future(self._session.run(first_events))

    # ------------------------------------------------------------------ state

    @property
    def room_id(self) -> int:
        return self._protocol.room_id

    @property
    def ended(self) -> bool:
        """The LIVE is over (a control event said so, or TikTok reports the room dead)."""
        return self._session.ended or self._protocol.ended

    @property
    def closed(self) -> bool:
        """:meth:`close` was called."""
        return self._closed

    @property
    def transport(self) -> str:
        """``"websocket"`` or ``"polling"``: how the room is being read ("" before the first read)."""
        return self._session.transport

    @property
    def stats(self) -> dict[str, int]:
        """Counters for monitoring: frames, duplicates dropped, reconnects, stalls, buffered events."""
        return {
            "frames_received": self._protocol.frames_received,
            "batches_received": self._protocol.batches_received,
            "duplicates_dropped": self._protocol.duplicates_dropped,
            "skipped_messages": self._protocol.skipped_messages,
            "reconnects": self._session.reconnects,
            "backpressure_stalls": self._buffer.stalls,
            "buffered_events": len(self._buffer),
        }

    # ------------------------------------------------------------------ handlers

    @overload
    def on(self, event_type: Type[E]) -> Callable[[Handler[E]], Handler[E]]: ...

    @overload
    def on(self, event_type: Type[E], handler: Handler[E]) -> Handler[E]: ...

    def on(
        self, event_type: Type[E], handler: Optional[Handler[E]] = None
    ) -> Union[Handler[E], Callable[[Handler[E]], Handler[E]]]:
        """Call ``handler`` (sync or async) for every event that is an instance of ``event_type``.

        Usable as a decorator (``@live.on(ChatEvent)``). ``on(Event, …)`` sees every event.
        Handlers run in registration order as events are consumed; one that raises is
        reported to the error handler and the stream goes on.
        """
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise TypeError(f"on() takes an event class (like ChatEvent), not {event_type!r}")

        def register(function: Handler[E]) -> Handler[E]:
            if not callable(function):
                raise TypeError("a handler must be callable")
            self._handlers.append((event_type, function))
            return function

        return register(handler) if handler is not None else register

    def on_frame(self, handler: Optional[Callable[[str, bytes], Any]]) -> None:
        """Call ``handler(kind, data)`` with the bytes of every frame that arrives from now on,
        before it is decoded: ``"push_frame"`` (a websocket ``PushFrame``: decode it with
        :func:`pytiktoklive.decode_frame`) or ``"fetch_result"`` (an ``im/fetch`` body:
        :func:`pytiktoklive.decode_fetch_result`). For saving real traffic (``pytiktoklive
        capture``) and bug reports; undecodable frames are passed too. ``None`` stops it.

        The handler runs synchronously in the reading loop (keep it quick); one that raises is
        reported to the error handler and the room goes on.
        """
        if handler is None:
            self._protocol.frame_sink = None
            return
        reporter = self._reporter

        def sink(kind: str, data: bytes) -> None:
            try:
                handler(kind, data)
            except Exception as exc:  # a frame handler never breaks the room
                reporter.error(exc)

        self._protocol.frame_sink = sink

    def on_gift_streak_end(self, handler: Callable[[GiftStreak], Any]) -> Callable[[GiftStreak], Any]:
        """Call ``handler`` once per finished gift streak (see :mod:`pytiktoklive.streaks`)."""
        streaks = GiftStreaks()

        async def follow(event: GiftEvent) -> None:
            streak = streaks.feed(event)
            if streak is not None:
                await _call(handler, streak, self._reporter)

        self._handlers.append((GiftEvent, follow))
        return handler

    async def _dispatch(self, event: Event) -> None:
        for event_type, handler in self._handlers:
            if isinstance(event, event_type):
                await _call(handler, event, self._reporter)

    # ------------------------------------------------------------------ consuming

    @property
    def events(self) -> AsyncIterator[Event]:
        """The room's events, in order, each once; finishes when the LIVE ends."""
        return _EventIterator(self)

    def __aiter__(self) -> AsyncIterator[Event]:
        return _EventIterator(self)

    def batches(self, max_events: int = 256) -> AsyncIterator[List[Event]]:
        """The room's events as lists, in order, each event once: every step hands over what is
        buffered, up to ``max_events`` (at least one event; it waits for one). For consumers
        that take events by the batch (a database insert, a queue): one step per frame's worth
        instead of one per event. Handlers run on each event, as with :attr:`events`."""
        return _BatchIterator(self, check_batch_limit(max_events))

    def _check_consumer(self) -> None:
        if self._iterating:
            raise RuntimeError(
                f"{self!r}: another task is already consuming its events (one consumer per room)"
            )
        if self._group is not None:
            raise RuntimeError(f"{self!r}: its group consumes its events (iterate the group)")

    async def _next_batch(self, limit: int) -> List[Event]:
        self._check_consumer()
        buffer = self._buffer
        self._iterating = True
        try:
            if self._unyielded >= _YIELD_EVERY or not len(buffer):
                self._unyielded = 0
                if len(buffer):
                    await asyncio.sleep(0)  # a long backlog must not freeze the loop while it drains
                await buffer.wait_readable()  # StopAsyncIteration at the end
            events = buffer.take_many_nowait(limit)
            self._unyielded += len(events)
            self._taken_many(events)
            if self._handlers:
                for event in events:
                    await self._dispatch(event)
            return events
        finally:
            self._iterating = False

    async def _next_event(self) -> Event:
        # A plain __anext__ rather than an async generator: breaking out of
        # `async for` then leaves nothing half-finished behind.
        self._check_consumer()
        buffer = self._buffer
        self._unyielded += 1
        if len(buffer) and self._unyielded < _YIELD_EVERY:  # under load: no await, no future
            event = buffer.take_nowait()
            self._taken(event)
            if self._handlers:
                self._iterating = True
                try:
                    await self._dispatch(event)
                finally:
                    self._iterating = False
            return event
        self._unyielded = 0  # get() suspends when it waits, and at least once here otherwise
        self._iterating = True
        try:
            if len(buffer):
                await asyncio.sleep(0)  # a long backlog must not freeze the loop while it drains
            event = await buffer.get()  # StopAsyncIteration at the end
            self._taken(event)
            await self._dispatch(event)
            return event
        finally:
            self._iterating = False

    def _taken(self, event: Event) -> None:
        """Count an event handed to the consumer (by the iteration or by the room's group)."""
        self._consumed += 1
        msg_id = event.msg_id
        if msg_id:
            self._consumed_ids.append(msg_id)
        batch_ends = self._protocol.batch_ends
        if batch_ends and batch_ends[0][0] <= self._consumed + self._not_for_consumer:
            self._note_safe_point()  # (checked here first: this runs for every event)

    def _taken_many(self, events: List[Event]) -> None:
        """Count events handed to the consumer at once (see :meth:`_taken`)."""
        self._consumed += len(events)
        self._consumed_ids.extend([event.msg_id for event in events if event.msg_id])
        batch_ends = self._protocol.batch_ends
        if batch_ends and batch_ends[0][0] <= self._consumed + self._not_for_consumer:
            self._note_safe_point()

    def _note_safe_point(self) -> None:
        # The latest batch end the consumer has reached: resuming from its cursor loses nothing.
        batch_ends = self._protocol.batch_ends
        taken = self._consumed + self._not_for_consumer
        while batch_ends and batch_ends[0][0] <= taken:
            delivered, cursor, internal_ext = batch_ends.popleft()
            self._safe = (cursor, internal_ext)
            self._consumed_at_safe = delivered - self._not_for_consumer

    def resume_point(self, *, margin: int = 64) -> ResumePoint:
        """Where another tracker resumes this room to deliver exactly the events not consumed yet.

        Take it right after consuming (no ``await`` in between) to checkpoint "everything so far":
        the cursor is the one that ended the last batch whose events have all been consumed (the
        new tracker drops, by id, the events of the next batch that were already consumed).
        ``seen_msg_ids`` holds the ids of the events consumed since that cursor and ``margin``
        more before it (all of them, up to the dedup window, while there is no cursor yet).
        Used by :mod:`pytiktoklive.fleet` to hand rooms over between workers with nothing lost
        and nothing twice.
        """
        if self._group is not None:
            self._group._settle(self)  # the events it handed out of this room's turn so far
        self._note_safe_point()
        cursor, internal_ext = self._safe
        ids = tuple(self._consumed_ids)
        if cursor or internal_ext:
            ids = ids[max(0, len(ids) - (self._consumed - self._consumed_at_safe) - margin) :]
        return ResumePoint(self.room_id, cursor, internal_ext, ids)

    async def run(self) -> None:
        """Consume every event (running the handlers) until the LIVE ends or the room is closed."""
        async for _event in self:
            pass

    # ------------------------------------------------------------------ chat

    async def send_chat(self, text: str) -> int:
        """Post ``text`` to this room's chat as the client's logged-in user (``TikTok(session_id=…)``);
        returns the message id. It comes back in the room as a :class:`ChatEvent` from that user.

        Raises :class:`~pytiktoklive.errors.LoginRequiredError` without a (valid) session,
        :class:`~pytiktoklive.errors.RateLimitError` when TikTok rate-limits chat.
        """
        if self._send_chat is None:
            raise RuntimeError("this Live was not made by a TikTok client")
        return await self._send_chat(self.room_id, text)

    # ------------------------------------------------------------------ closing

    async def close(self) -> None:
        """Stop reading this room and end its event stream. Idempotent; touches no other room."""
        if self._closed:
            return
        self._closed = True
        self._buffer.close()
        task = self._task
        if task is not None and task is not asyncio.current_task():
            # Cancel until it is done: a library call inside the task may swallow one
            # cancellation (asyncio.wait_for did before Python 3.12), and close() must not hang.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)
            await asyncio.gather(task, return_exceptions=True)
        dropped = self._buffer.discard()
        if self._group is not None:
            dropped += self._group._drop_turn(self)
        if dropped:
            self._reporter.debug("room %d: closed with %d unconsumed events", self.room_id, dropped)
        self._on_close(self)

    async def wait_finished(self) -> None:
        """Wait until the room's reading task is over (the LIVE ended, the room failed or was closed)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def download_stream(
        self,
        path: Union[str, os.PathLike[str], None] = None,
        *,
        quality: str = "best",
        format: str = "flv",
        duration: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
        stop: Optional[asyncio.Event] = None,
        proxy: Optional[str] = None,
        overwrite: bool = False,
        ffmpeg: Optional[str] = None,
    ) -> Recording:
        """Record the LIVE's video with ffmpeg until it ends; returns the :class:`Recording`.

        See :func:`pytiktoklive.recording.download_stream` for the arguments.
        """
        from pytiktoklive.recording import download_stream

        return await download_stream(
            self,
            path,
            quality=quality,
            format=format,
            duration=duration,
            on_progress=on_progress,
            stop=stop,
            proxy=proxy,
            client_proxies=self._proxies,
            overwrite=overwrite,
            ffmpeg=ffmpeg,
        )

    async def __aenter__(self) -> Live:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
