"""One room held by a worker: watch it until it is live, track the LIVE, commit its events.

A :class:`RoomRunner` runs while its worker holds the room's lease:

1. read the room's checkpoint; if it names a LIVE that has not ended, resume it from there
   (``track_room(room_id, resume=…)``: another worker was tracking it and died or let it go);
2. otherwise watch: look the user up now and then (rate-limited, with backoff) and track the
   LIVE as soon as there is one (a new room id; the next LIVE of the same user is picked up again);
3. while tracking, take what has been consumed, as one batch, together with the matching resume
   point, and commit both at once (:meth:`Store.commit`: events + checkpoint in one script,
   refused if the lease is no longer ours). A commit that fails for lack of Redis is retried with
   the same batch, meanwhile reading pauses (backpressure); a refused one ends the runner.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, List, Optional, TypeVar

from pytiktoklive.client import TikTok
from pytiktoklive.errors import (
    LiveEndedError,
    TikTokLiveError,
    UserNotFoundError,
    UserOfflineError,
)
from pytiktoklive.events import Event
from pytiktoklive.fleet._redis import CheckpointMovedError, redis_errors
from pytiktoklive.fleet._store import Checkpoint, Store, now_ms
from pytiktoklive.fleet.errors import LeaseLostError
from pytiktoklive.fleet.records import FleetEvent, Sink
from pytiktoklive.live import Live, ResumePoint

__all__ = ["RateLimiter", "RoomRunner", "RoomSettings"]

logger = logging.getLogger("pytiktoklive.fleet")
T = TypeVar("T")


class RateLimiter:
    """At most ``per_second`` lookups a second for the whole worker (TikTok and sign servers rate-limit)."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            delay = self._next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = max(self._next, loop.time()) + self._interval


class RoomSettings:
    """What every room of a worker shares."""

    def __init__(
        self,
        *,
        tiktok: TikTok,
        store: Store,
        limiter: RateLimiter,
        watch_interval: float,
        max_backoff: float,
        batch_size: int,
        streams: bool,
        sink: Optional[Sink],
        record_dir: Optional[Path],
        concurrent_starts: int = 8,
    ) -> None:
        self.tiktok = tiktok
        #: Rooms being looked up or connected at once (a burst of handshakes would time out).
        self.starts = asyncio.Semaphore(concurrent_starts)
        self.store = store
        self.limiter = limiter
        self.watch_interval = watch_interval
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self.streams = streams
        self.sink = sink
        self.record_dir = record_dir


class RoomRunner:
    """Watches and tracks one room while the worker holds its lease (see the module docstring)."""

    def __init__(self, username: str, lease: str, settings: RoomSettings) -> None:
        self.username = username
        self.lease = lease
        self.settings = settings
        #: "starting", "waiting" (for a LIVE), "live", "failing"; ``error`` says why it fails.
        self.state = "starting"
        self.error = ""
        self.room_id = 0
        self.events_written = 0
        self.last_event_ms = 0
        #: When the lease was last renewed, as sent (loop time): the worker's renewals set it.
        self.renewed_at = 0.0
        #: When this worker took the room (epoch ms).
        self.since_ms = now_ms()
        self._task: Optional[asyncio.Task[None]] = None
        self._failures = 0

    def __repr__(self) -> str:
        return f"<RoomRunner @{self.username} {self.state}>"

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done()

    @property
    def lost_lease(self) -> bool:
        """The runner ended because its writes were refused (the lease is someone else's)."""
        if self._task is None or not self._task.done() or self._task.cancelled():
            return False
        return isinstance(self._task.exception(), LeaseLostError)

    async def stop(self) -> None:
        """Stop now. A commit in flight either happened or did not; the checkpoint says which."""
        task = self._task
        if task is None:
            return
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        if not task.cancelled() and task.exception() is not None and not self.lost_lease:
            logger.warning("@%s: stopped with an error: %s", self.username, task.exception())

    # ------------------------------------------------------------------ the room

    async def _run(self) -> None:
        checkpoint = await self._redis(self.settings.store.checkpoint, self.username)
        while True:
            live = await self._find_live(checkpoint)
            if live is None:
                continue
            checkpoint = await self._follow(live, checkpoint)

    async def _redis(self, operation: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run a Redis operation, waiting for Redis as long as it takes (the worker stops the runner
        when its lease can no longer be trusted)."""
        delay = 0.1
        while True:
            try:
                return await operation(*args)
            except LeaseLostError:
                raise
            except redis_errors() as exc:
                logger.debug("@%s: Redis unavailable (%s); retrying in %.1fs", self.username, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _fail(self, reason: str, *, permanent: bool = False) -> float:
        """Record a failure; the seconds to wait before the next try (exponential, capped)."""
        self._failures += 1
        self.state = "failing"
        if reason != self.error:
            logger.warning("@%s: %s", self.username, reason)
        self.error = reason
        base = self.settings.watch_interval * (4 if permanent else 1)
        return float(min(base * 2.0 ** min(self._failures - 1, 10), self.settings.max_backoff))

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * random.uniform(0.8, 1.2))  # spread lookups out

    async def _find_live(self, checkpoint: Checkpoint) -> Optional[Live]:
        """The room's LIVE to track (resumed or new), or None after waiting a while."""
        tiktok = self.settings.tiktok
        if checkpoint.room_id and not checkpoint.ended:
            point = ResumePoint(
                checkpoint.room_id, checkpoint.cursor, checkpoint.internal_ext, checkpoint.ids
            )
            try:
                async with self.settings.starts:
                    await self.settings.limiter.wait()
                    live = await tiktok.track_room(checkpoint.room_id, resume=point, fetch_gift_info=False)
            except LiveEndedError:
                # Ended while no one tracked it, before any cursor was saved: nothing to resume.
                await self._mark_ended(checkpoint)
                return None
            except TikTokLiveError as exc:
                await self._sleep(self._fail(f"cannot resume room {checkpoint.room_id}: {exc}"))
                return None
            logger.info("@%s: resumed room %d from its checkpoint", self.username, checkpoint.room_id)
            return live
        try:
            async with self.settings.starts:
                await self.settings.limiter.wait()
                user = await tiktok.get_user_info(self.username)
                if not user.room_id or user.room_id == checkpoint.room_id:
                    raise UserOfflineError(f"@{self.username} is not live", username=self.username)
                live = await tiktok.track_room(user.room_id, fetch_gift_info=False)
        except (UserOfflineError, LiveEndedError):
            self.state, self.error, self._failures = "waiting", "", 0
            await self._sleep(self.settings.watch_interval)
            return None
        except UserNotFoundError as exc:
            await self._sleep(self._fail(f"unknown user: {exc}", permanent=True))
            return None
        except TikTokLiveError as exc:
            await self._sleep(self._fail(f"lookup failed: {exc}"))
            return None
        logger.info("@%s: is LIVE (room %d); tracking it", self.username, live.room_id)
        checkpoint.room_id, checkpoint.cursor, checkpoint.internal_ext = live.room_id, "", ""
        checkpoint.ids, checkpoint.ended = (), False
        return live

    async def _mark_ended(self, checkpoint: Checkpoint) -> None:
        checkpoint.ended = True
        await self._commit(checkpoint.seq, checkpoint, [])
        self.state = "waiting"

    async def _follow(self, live: Live, checkpoint: Checkpoint) -> Checkpoint:
        """Track ``live`` until it ends or fails, committing each batch with its resume point."""
        self.state, self.error, self._failures, self.room_id = "live", "", 0, live.room_id
        pending: List[Event] = []
        wake = asyncio.Event()
        room_to_read = asyncio.Event()
        room_to_read.set()
        limit = self.settings.batch_size

        async def read() -> None:
            try:
                async for event in live.events:
                    # No await between consuming and appending: a resume point taken by the
                    # committer always matches what is pending.
                    pending.append(event)
                    wake.set()
                    if len(pending) >= limit:
                        room_to_read.clear()
                        await room_to_read.wait()
            finally:
                wake.set()

        recording = self._start_recording(live)
        reader = asyncio.ensure_future(read())
        try:
            while True:
                await wake.wait()
                wake.clear()
                batch, pending[:] = list(pending), []
                point = live.resume_point()
                room_to_read.set()
                finished = reader.done() and not pending
                if batch or finished:
                    checkpoint = await self._commit_batch(
                        checkpoint, batch, point, ended=finished and live.ended
                    )
                if finished:
                    break
            error = reader.exception()
            if error is not None:
                self.state = "failing"
                await self._sleep(self._fail(f"room {live.room_id} stopped: {error}"))
            else:
                logger.info("@%s: the LIVE of room %d has ended", self.username, live.room_id)
                self.state = "waiting"
            return checkpoint
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await self._stop_recording(recording)
            await live.close()

    async def _commit_batch(
        self, checkpoint: Checkpoint, batch: List[Event], point: ResumePoint, *, ended: bool
    ) -> Checkpoint:
        events = [
            FleetEvent.of(self.username, checkpoint.room_id, checkpoint.seq + index + 1, event)
            for index, event in enumerate(batch)
        ]
        after = Checkpoint(
            room_id=checkpoint.room_id,
            cursor=point.cursor,
            internal_ext=point.internal_ext,
            ids=point.seen_msg_ids,
            seq=checkpoint.seq + len(events),
            ended=ended,
        )
        if self.settings.sink is not None and events:
            await self._deliver_to_sink(events)
        await self._commit(checkpoint.seq, after, events if self.settings.streams else [])
        self.events_written += len(events)
        if events and events[-1].create_time:
            self.last_event_ms = events[-1].create_time
        return after

    async def _deliver_to_sink(self, events: List[FleetEvent]) -> None:
        sink = self.settings.sink
        assert sink is not None
        delay = 0.1
        while True:
            try:
                result = sink(events)
                if inspect.isawaitable(result):
                    await result
                return
            except Exception as exc:  # the sink refused the batch: it is offered again
                logger.warning("@%s: the sink failed (%s); retrying in %.1fs", self.username, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _commit(self, previous_seq: int, after: Checkpoint, events: List[FleetEvent]) -> None:
        """Commit, waiting for Redis; an ambiguous failure (the answer was lost) is resolved by
        reading the checkpoint back: the batch is applied once, never twice."""
        store = self.settings.store
        uncertain = False
        delay = 0.1
        while True:
            try:
                await store.commit(self.username, self.lease, previous_seq, after, events)
                return
            except CheckpointMovedError:
                if uncertain:
                    current = await self._redis(store.checkpoint, self.username)
                    if current.seq == after.seq and current.cursor == after.cursor:
                        return  # our earlier attempt went through
                raise
            except redis_errors() as exc:
                uncertain = True
                logger.debug("@%s: commit failed (%s); retrying in %.1fs", self.username, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    # ------------------------------------------------------------------ recording

    def _start_recording(self, live: Live) -> Optional[tuple[asyncio.Task[object], asyncio.Event]]:
        directory = self.settings.record_dir
        if directory is None:
            return None
        stop = asyncio.Event()
        path = directory / f"{self.username}-{live.room_id}-{time.strftime('%Y%m%d-%H%M%S')}.flv"

        async def record() -> object:
            try:
                return await live.download_stream(path, stop=stop)
            except TikTokLiveError as exc:
                logger.warning("@%s: recording failed: %s", self.username, exc)
                return None

        return asyncio.ensure_future(record()), stop

    async def _stop_recording(self, recording: Optional[tuple[asyncio.Task[object], asyncio.Event]]) -> None:
        if recording is None:
            return
        task, stop = recording
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 10.0)
        except (asyncio.TimeoutError, Exception):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def status_of(runner: RoomRunner, worker_id: str, rate: float) -> dict[str, object]:
    """The room's status hash (``fleet status``)."""
    lag = max(0, now_ms() - runner.last_event_ms) if runner.last_event_ms and runner.state == "live" else 0
    return {
        "worker": worker_id,
        "state": runner.state,
        "error": runner.error,
        "room_id": runner.room_id,
        "events": runner.events_written,
        "rate": round(rate, 2),
        "lag_ms": lag,
        "since_ms": runner.since_ms,
        "updated_ms": now_ms(),
    }
