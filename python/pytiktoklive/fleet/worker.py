"""A fleet worker: claims rooms with leases, tracks them, hands them over.

::

    worker = Worker("redis://127.0.0.1:6379/0", capacity=200, name="box-1")
    await worker.run()          # until worker.stop() (SIGTERM in the CLI) or cancellation

Every ``lease_ttl / 3`` seconds (a tick) the worker

1. renews the leases of its rooms (one script per shard). A room whose lease is gone (expired,
   taken, or lost with Redis's data) is stopped at once: its writes would be refused anyway;
2. publishes its heartbeat and reads the others': the live workers share the desired rooms,
   each takes at most ``ceil(rooms / workers)`` (and its ``capacity``);
3. lets go of rooms removed from the fleet and of rooms above its fair share (so a worker that
   joins gets rooms at once), and claims free rooms up to its share, in an order that differs
   per worker (rendezvous hashing) so that workers do not all race for the same room.

When Redis cannot be reached the worker keeps trying. Once a lease could have expired (no renewal
for ``0.8 * lease_ttl``) it stops all its rooms: it cannot write, and others may hold them by now.
On :meth:`stop` it stops its rooms (each one's checkpoint is already in Redis) and deletes its
leases, so other workers take the rooms over at their next tick instead of after the TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import secrets
import socket
from pathlib import Path
from typing import Dict, List, Optional

from pytiktoklive.client import TikTok
from pytiktoklive.config import Endpoints
from pytiktoklive.fleet._keys import DEFAULT_PREFIX, Keys
from pytiktoklive.fleet._redis import connect, redis_errors, shown, unavailable
from pytiktoklive.fleet._room import RateLimiter, RoomRunner, RoomSettings, status_of
from pytiktoklive.fleet._store import Store, now_ms
from pytiktoklive.fleet.records import Sink

__all__ = ["Worker"]

logger = logging.getLogger("pytiktoklive.fleet")


def _rendezvous(worker_name: str, room: str) -> bytes:
    return hashlib.blake2b(f"{worker_name}\0{room}".encode(), digest_size=8).digest()


class Worker:
    """A worker of the fleet stored at ``redis_url``.

    Arguments:
        redis_url: ``redis://``, ``rediss://``, ``unix://`` or ``redis+cluster://`` URL.
        name: shown in ``fleet status`` (default: host name and process id).
        capacity: most rooms this worker tracks or watches at once.
        lease_ttl: seconds a lease lives without renewal; renewed every third of it. A killed
            worker's rooms are taken over within about ``lease_ttl * 4/3``.
        tiktok: the client to track with (default: ``TikTok(endpoints)``, closed with the worker).
        endpoints: where TikTok is (default :meth:`Endpoints.from_env`), when ``tiktok`` is None.
        sink: also (or, with ``streams=False``, only) hand each batch to this callable; it sees
            every batch at least once (see :data:`~pytiktoklive.fleet.records.Sink`).
        streams: write events into the Redis streams (exactly once per room).
        record_dir: record every tracked LIVE with ffmpeg into this directory (this machine's disk).
        watch_interval: seconds between lookups of a room that is not live.
        lookups_per_second: cap on this worker's user lookups (TikTok and sign servers rate-limit).
        shards / maxlen / prefix: the fleet's layout; ``shards`` and ``maxlen`` only count for the
            first process that uses the fleet (after that, Redis has them).
        batch_size: most events committed at once per room.
    """

    def __init__(
        self,
        redis_url: str,
        *,
        name: Optional[str] = None,
        capacity: int = 100,
        lease_ttl: float = 15.0,
        tiktok: Optional[TikTok] = None,
        endpoints: Optional[Endpoints] = None,
        sink: Optional[Sink] = None,
        streams: bool = True,
        record_dir: Optional[Path] = None,
        watch_interval: float = 30.0,
        lookups_per_second: float = 2.0,
        shards: Optional[int] = None,
        maxlen: Optional[int] = None,
        prefix: str = DEFAULT_PREFIX,
        batch_size: int = 500,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if not lease_ttl > 0.2:
            raise ValueError("lease_ttl must be more than 0.2 seconds")
        if not streams and sink is None:
            raise ValueError("streams=False needs a sink: the events must go somewhere")
        if lookups_per_second <= 0 or watch_interval <= 0:
            raise ValueError("lookups_per_second and watch_interval must be more than 0")
        self.redis_url = redis_url
        self._client = connect(redis_url)  # checks the URL now: a malformed one fails here
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        #: Unique per process: a restarted worker of the same name never holds its old leases.
        self.id = f"{self.name}/{secrets.token_hex(4)}"
        self.capacity = capacity
        self.lease_ttl = lease_ttl
        self._ttl_ms = max(1, int(lease_ttl * 1000))
        self._tick = lease_ttl / 3
        self._own_tiktok = tiktok is None
        self._tiktok = tiktok
        self._endpoints = endpoints
        self._sink = sink
        self._streams = streams
        self._record_dir = Path(record_dir) if record_dir is not None else None
        self._watch_interval = watch_interval
        self._lookups_per_second = lookups_per_second
        self._layout = (shards, maxlen)
        self._keys = Keys(prefix)
        self._batch_size = batch_size
        self._runners: Dict[str, RoomRunner] = {}
        self._rates: Dict[str, tuple[int, float]] = {}
        self._stopping = asyncio.Event()
        self._redis_down_since: Optional[float] = None
        self._store: Optional[Store] = None
        self._stops: set[asyncio.Future[None]] = set()

    def __repr__(self) -> str:
        return f"<Worker {self.id} rooms={len(self._runners)}>"

    @property
    def rooms(self) -> List[str]:
        """The rooms this worker holds now."""
        return sorted(self._runners)

    def stop(self) -> None:
        """Ask :meth:`run` to hand the rooms over and return (safe from a signal handler)."""
        self._stopping.set()

    # ------------------------------------------------------------------ main loop

    async def run(self) -> None:
        """Work until :meth:`stop`; then release every lease and return."""
        loop = asyncio.get_running_loop()
        if self._record_dir is not None:
            self._record_dir.mkdir(parents=True, exist_ok=True)
        tiktok = self._tiktok or TikTok(self._endpoints, max_buffered_events=self._batch_size * 2)
        try:
            store = await self._open_store()
            if store is None:
                return
            settings = RoomSettings(
                tiktok=tiktok,
                store=store,
                limiter=RateLimiter(self._lookups_per_second),
                watch_interval=self._watch_interval,
                max_backoff=max(600.0, self._watch_interval),
                batch_size=self._batch_size,
                streams=self._streams,
                sink=self._sink,
                record_dir=self._record_dir,
            )
            logger.info("worker %s: joined the fleet at %s", self.id, shown(self.redis_url))
            first = True
            while not self._stopping.is_set():
                started = loop.time()
                try:
                    await self._one_tick(store, settings, claim=not first)
                    if self._redis_down_since is not None:
                        logger.warning("worker %s: Redis is back", self.id)
                    self._redis_down_since = None
                except redis_errors() as exc:
                    self._redis_lost(exc, loop.time())
                first = False
                took = loop.time() - started
                if took > self._tick:
                    logger.warning(
                        "worker %s: a tick took %.1fs (more than a third of the lease TTL): "
                        "the machine or Redis is overloaded, leases are at risk",
                        self.id,
                        took,
                    )
                await self._wait(self._tick - took)
        finally:
            await self._shutdown()
            if self._own_tiktok:
                await tiktok.aclose()
            await self._client.aclose()

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _open_store(self) -> Optional[Store]:
        """The store, once Redis answers (waiting for it, with a clear message, as long as it takes)."""
        delay = 0.5
        while not self._stopping.is_set():
            try:
                config = await Store.load_config(
                    self._client, self._keys, shards=self._layout[0], maxlen=self._layout[1]
                )
                self._store = Store(self._client, self._keys, config)
                return self._store
            except redis_errors() as exc:
                logger.warning(
                    "worker %s: %s; retrying in %.0fs", self.name, unavailable(exc, self.redis_url), delay
                )
                await self._wait(delay)
                delay = min(delay * 2, 30.0)
        return None

    def _redis_lost(self, exc: BaseException, now: float) -> None:
        if self._redis_down_since is None:
            self._redis_down_since = now
            logger.warning("worker %s: %s; waiting for it", self.id, unavailable(exc, self.redis_url))
        # A lease renewed last at t holds until t + ttl at the earliest: past 0.8 of that, stop.
        for username, runner in list(self._runners.items()):
            if now - runner.renewed_at > 0.8 * self.lease_ttl:
                logger.warning(
                    "worker %s: @%s: lease may have expired without Redis; stopping it", self.id, username
                )
                self._drop(username)

    def _drop(self, username: str) -> None:
        """Stop a room without touching Redis (its lease is not ours any more, or cannot be reached)."""
        runner = self._runners.pop(username)
        self._rates.pop(username, None)
        stopping = asyncio.ensure_future(runner.stop())
        self._stops.add(stopping)
        stopping.add_done_callback(self._stops.discard)

    async def _one_tick(self, store: Store, settings: RoomSettings, *, claim: bool) -> None:
        loop = asyncio.get_running_loop()
        # 1. renew (and notice rooms whose writes were refused)
        for username, runner in list(self._runners.items()):
            if runner.lost_lease:
                logger.warning("worker %s: @%s: lease lost; someone else has the room", self.id, username)
                self._drop(username)
        sent = loop.time()
        held = await store.renew_many(
            {name: runner.lease for name, runner in self._runners.items()}, self._ttl_ms
        )
        for username, still in held.items():
            holder = self._runners.get(username)
            if holder is None:
                continue
            if still:
                holder.renewed_at = sent
            else:
                logger.warning(
                    "worker %s: @%s: lease lost (expired or taken); stopping it", self.id, username
                )
                self._drop(username)
        # 2. heartbeat, and the live workers
        await store.heartbeat(
            self.id,
            {
                "name": self.name,
                "capacity": self.capacity,
                "rooms": sorted(self._runners),
                "live": sum(1 for runner in self._runners.values() if runner.state == "live"),
                "heartbeat_ms": now_ms(),
                "lease_ttl": self.lease_ttl,
                "pid": os.getpid(),
                "host": socket.gethostname(),
            },
        )
        # A worker silent for its lease TTL is dead (its leases have expired): the others share
        # its rooms at once. Its entry is forgotten a while later.
        alive = 0
        for worker_id, document in (await store.workers()).items():
            silent_ms = now_ms() - int(document.get("heartbeat_ms", 0))
            ttl_ms = float(document.get("lease_ttl", self.lease_ttl)) * 1000
            if silent_ms > 3 * ttl_ms:
                await store.forget_worker(worker_id)
            elif silent_ms <= ttl_ms:
                alive += 1
        await self._publish_status(store)
        # 3. rooms removed, above the fair share, or free to claim
        desired = await store.rooms()
        wanted = set(desired)
        for username in [name for name in self._runners if name not in wanted]:
            logger.info("worker %s: @%s was removed from the fleet", self.id, username)
            await self._release(store, username)
        share = min(self.capacity, math.ceil(len(desired) / max(alive, 1)))
        excess = len(self._runners) - share
        if excess > 0:
            # Rooms waiting for a LIVE go first: handing over a live room costs a resume.
            order = sorted(
                self._runners.values(), key=lambda runner: (runner.state == "live", runner.username)
            )
            for runner in order[:excess]:
                logger.info("worker %s: @%s handed over (fair share %d)", self.id, runner.username, share)
                await self._release(store, runner.username)
        if not claim or len(self._runners) >= share:
            return
        free = [name for name in desired if name not in self._runners]
        free.sort(key=lambda name: _rendezvous(self.name, name))
        holders = await store.lease_holders(free)
        for username in free:
            if len(self._runners) >= share or self._stopping.is_set():
                break
            if holders.get(username) is not None:
                continue
            lease = await store.acquire(username, self.id, self._ttl_ms)
            if lease is None:
                continue
            runner = RoomRunner(username, lease, settings)
            runner.renewed_at = loop.time()
            self._runners[username] = runner
            runner.start()
            await store.set_statuses({username: status_of(runner, self.id, 0.0)})
            logger.info("worker %s: took @%s (lease %s)", self.id, username, lease.rsplit("#", 1)[-1])

    async def _publish_status(self, store: Store) -> None:
        loop = asyncio.get_running_loop()
        statuses = {}
        for username, runner in self._runners.items():
            count, since = self._rates.get(username, (runner.events_written, loop.time()))
            elapsed = loop.time() - since
            rate = (runner.events_written - count) / elapsed if elapsed > 0 else 0.0
            self._rates[username] = (runner.events_written, loop.time())
            statuses[username] = status_of(runner, self.id, rate)
        await store.set_statuses(statuses)

    async def _release(self, store: Store, username: str) -> None:
        """Stop the room, then delete its lease (if still ours): the next worker resumes at once."""
        runner = self._runners.pop(username)
        self._rates.pop(username, None)
        await runner.stop()
        try:
            await store.release(username, runner.lease)
            await store.set_statuses({username: {"state": "released", "worker": "", "updated_ms": now_ms()}})
        except redis_errors() as exc:
            logger.warning(
                "worker %s: @%s: could not release the lease (%s); it expires by itself",
                self.id,
                username,
                exc,
            )

    async def _shutdown(self) -> None:
        store = self._store
        runners = list(self._runners)
        if store is None:
            for username in runners:
                self._drop(username)
        if self._stops:
            await asyncio.gather(*self._stops, return_exceptions=True)
        if store is None:
            return
        await asyncio.gather(
            *(self._release(store, username) for username in runners), return_exceptions=True
        )
        try:
            await store.forget_worker(self.id)
        except redis_errors():
            pass
        logger.info("worker %s: left the fleet (%d rooms handed over)", self.id, len(runners))
