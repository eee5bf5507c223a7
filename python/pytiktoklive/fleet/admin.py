"""The fleet as its users see it: :class:`Fleet` (desired rooms, status, reading the event streams).

::

    async with Fleet("redis://127.0.0.1:6379/0") as fleet:
        await fleet.add("alice", "@bob")
        print(await fleet.status())
        async for item in fleet.events(group="analytics"):
            if isinstance(item, StreamGap):      # entries trimmed before this group read them
                print("lost:", item)
            else:
                print(item.room, item.seq, item.type, item.data)
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, List, Optional, Sequence, Tuple, Union

from pytiktoklive._pages import normalize_username
from pytiktoklive.fleet._keys import DEFAULT_PREFIX, Keys
from pytiktoklive.fleet._redis import check_url, connect, redis_errors, unavailable
from pytiktoklive.fleet._store import Store, now_ms
from pytiktoklive.fleet.records import FleetEvent, StreamGap

__all__ = ["Fleet", "FleetStatus", "RoomStatus", "WorkerStatus"]

logger = logging.getLogger("pytiktoklive.fleet")


@dataclass(frozen=True)
class RoomStatus:
    """A desired room: who holds it and what it is doing.

    ``state``: ``unassigned`` (no worker holds it), ``starting``, ``waiting`` (for a LIVE),
    ``live``, ``failing`` (``error`` says why). ``rate``: events/s written lately; ``lag_ms``:
    how far the last written event's creation time is behind now.
    """

    room: str
    worker: str
    state: str
    error: str = ""
    room_id: int = 0
    events: int = 0
    rate: float = 0.0
    lag_ms: int = 0
    #: When its worker took it (epoch ms).
    since_ms: int = 0
    updated_ms: int = 0


@dataclass(frozen=True)
class WorkerStatus:
    """A live worker (one that sent a heartbeat lately): its rooms and load (rooms / capacity)."""

    id: str
    name: str
    rooms: Tuple[str, ...]
    capacity: int
    live: int
    heartbeat_ms: int

    @property
    def load(self) -> float:
        return len(self.rooms) / self.capacity if self.capacity else 0.0


@dataclass(frozen=True)
class FleetStatus:
    rooms: Tuple[RoomStatus, ...] = ()
    workers: Tuple[WorkerStatus, ...] = ()
    streams: Dict[str, int] = field(default_factory=dict)

    def to_json(self) -> Dict[str, Any]:
        return {
            "rooms": [room.__dict__ for room in self.rooms],
            "workers": [
                {**worker.__dict__, "rooms": list(worker.rooms), "load": worker.load}
                for worker in self.workers
            ],
            "streams": self.streams,
        }


def _worker_of(lease: Optional[str]) -> str:
    return lease.rsplit("#", 1)[0] if lease else ""


class Fleet:
    """The fleet stored at ``redis_url`` (see :mod:`pytiktoklive.fleet`).

    A malformed URL raises :class:`RedisURLError` here; an unreachable Redis raises
    :class:`RedisUnavailableError` from the first call that needs it (except :meth:`events`,
    which waits for Redis to come back).
    """

    def __init__(
        self,
        redis_url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        shards: Optional[int] = None,
        maxlen: Optional[int] = None,
    ) -> None:
        self.redis_url = redis_url
        _, self._cluster = check_url(redis_url)
        self._client = connect(redis_url, retries=2)
        self._keys = Keys(prefix)
        self._layout = (shards, maxlen)
        self._store: Optional[Store] = None

    async def _open(self) -> Store:
        if self._store is None:
            try:
                config = await Store.load_config(
                    self._client, self._keys, shards=self._layout[0], maxlen=self._layout[1]
                )
            except redis_errors() as exc:
                raise unavailable(exc, self.redis_url) from None
            self._store = Store(self._client, self._keys, config)
        return self._store

    async def _call(self, operation: Any, *args: Any) -> Any:
        try:
            return await operation(*args)
        except redis_errors() as exc:
            raise unavailable(exc, self.redis_url) from None

    # ------------------------------------------------------------------ desired rooms

    async def add(self, *usernames: str) -> List[str]:
        """Add rooms to track (usernames, ``@names`` or profile URLs); returns those not there yet.
        A malformed name raises :class:`InvalidUsernameError` before anything is added."""
        names = [normalize_username(name) for name in usernames]
        store = await self._open()
        return list(await self._call(store.add_rooms, names))

    async def remove(self, *usernames: str) -> List[str]:
        """Stop tracking rooms (their workers let go at their next tick); returns those removed."""
        names = [normalize_username(name) for name in usernames]
        store = await self._open()
        return list(await self._call(store.remove_rooms, names))

    async def rooms(self) -> List[str]:
        store = await self._open()
        return list(await self._call(store.rooms))

    async def status(self) -> FleetStatus:
        """Each room's worker, state, events/s and lag; each live worker's rooms and load."""
        store = await self._open()
        try:
            return await self._status(store)
        except redis_errors() as exc:
            raise unavailable(exc, self.redis_url) from None

    async def _status(self, store: Store) -> FleetStatus:
        names = await store.rooms()
        holders = await store.lease_holders(names)
        rooms = []
        for name, status in zip(names, await store.room_statuses(names)):
            worker = _worker_of(holders.get(name))
            held = bool(worker) and status.get("worker") == worker
            rooms.append(
                RoomStatus(
                    room=name,
                    worker=worker,
                    state=status.get("state", "starting")
                    if held
                    else ("starting" if worker else "unassigned"),
                    error=status.get("error", "") if held else "",
                    room_id=int(status.get("room_id") or 0),
                    events=int(status.get("events") or 0) if held else 0,
                    rate=float(status.get("rate") or 0.0) if held else 0.0,
                    lag_ms=int(status.get("lag_ms") or 0) if held else 0,
                    since_ms=int(status.get("since_ms") or 0) if held else 0,
                    updated_ms=int(status.get("updated_ms") or 0),
                )
            )
        workers = []
        for worker_id, document in sorted((await store.workers()).items()):
            heartbeat = int(document.get("heartbeat_ms", 0))
            if now_ms() - heartbeat > float(document.get("lease_ttl", 15)) * 1000:
                continue  # silent for its lease TTL: dead (as the workers see it)
            workers.append(
                WorkerStatus(
                    id=worker_id,
                    name=str(document.get("name", worker_id)),
                    rooms=tuple(document.get("rooms", ())),
                    capacity=int(document.get("capacity", 0)),
                    live=int(document.get("live", 0)),
                    heartbeat_ms=heartbeat,
                )
            )
        keys = store.keys.streams(store.config.shards)
        pipeline = store.client.pipeline(transaction=False)
        for key in keys:
            pipeline.xlen(key)
        streams = {key: int(length) for key, length in zip(keys, await pipeline.execute())}
        return FleetStatus(tuple(rooms), tuple(workers), streams)

    async def stream_keys(self) -> List[str]:
        """The shard streams, in shard order."""
        store = await self._open()
        return store.keys.streams(store.config.shards)

    # ------------------------------------------------------------------ events

    async def events(
        self,
        group: str = "pytiktoklive",
        consumer: Optional[str] = None,
        *,
        from_start: bool = True,
        count: int = 100,
        block: float = 1.0,
    ) -> AsyncIterator[Union[FleetEvent, StreamGap]]:
        """Read the event streams as one consumer of the consumer group ``group``.

        The group is created if needed (reading from the start of the streams, or with
        ``from_start=False`` from new entries only). Each entry is acknowledged when the loop asks
        for the next one, so an entry whose processing was interrupted comes back to this
        consumer (same ``consumer`` name) next time: at-least-once, as Redis consumer groups are.
        Entries of one room come in ``seq`` order. Entries trimmed (``MAXLEN``) before the group
        read them are reported by a :class:`StreamGap` where they would have been (entries carry
        their number in the stream; with several consumers in a group, a reported range may
        include entries another consumer read before they were trimmed: over-reported, never hidden).
        Redis going away is waited for (logged), not raised.
        """
        store = await self._open()
        consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        streams = store.keys.streams(store.config.shards)
        reader = _GroupReader(store, self._cluster, group, consumer, streams, from_start, count, block)
        delay = 0.2
        try:
            while True:
                try:
                    batch = await reader.next_batch()
                    delay = 0.2
                except redis_errors() as exc:
                    logger.warning("%s; retrying in %.1fs", unavailable(exc, self.redis_url), delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
                    reader.reset()
                    continue
                for stream, entry_id, item in batch:
                    yield item
                    reader.done(stream, entry_id)
        finally:
            # Closing the loop acknowledges what it processed (the entry it stopped at stays pending).
            try:
                await reader.flush()
            except Exception as exc:  # Redis gone: those entries come back to this consumer
                logger.debug("could not acknowledge the last entries: %s", exc)

    # ------------------------------------------------------------------ closing

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _GroupReader:
    """XREADGROUP over the shard streams: own pending entries first, then new ones; gap checks."""

    def __init__(
        self,
        store: Store,
        cluster: bool,
        group: str,
        consumer: str,
        streams: Sequence[str],
        from_start: bool,
        count: int,
        block: float,
    ) -> None:
        self.store = store
        self.cluster = cluster
        self.group = group
        self.consumer = consumer
        self.streams = list(streams)
        self.from_start = from_start
        self.count = count
        self.block_ms = max(1, int(block * 1000))
        self.reset()

    def reset(self) -> None:
        self._ready = False
        self._pending_phase = {stream: True for stream in self.streams}
        self._last: Dict[str, str] = {}
        self._last_n: Dict[str, Optional[int]] = {}
        self._to_ack: Dict[str, List[str]] = {}

    def done(self, stream: str, entry_id: str) -> None:
        if entry_id:
            self._to_ack.setdefault(stream, []).append(entry_id)

    async def _prepare(self) -> None:
        from redis.exceptions import ResponseError

        client = self.store.client
        for stream in self.streams:
            try:
                await client.xgroup_create(
                    stream, self.group, id="0" if self.from_start else "$", mkstream=True
                )
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            last = "0-0"
            for info in await client.xinfo_groups(stream):
                if info.get("name") == self.group:
                    last = str(info.get("last-delivered-id") or "0-0")
            self._last[stream] = last
            if last == "0-0":
                self._last_n[stream] = 0  # a group reading from the start expects entry 1 first
            else:
                entries = await client.xrange(stream, last, last)
                self._last_n[stream] = int(entries[0][1].get("n") or 0) if entries and entries[0][1] else None
        self._ready = True

    async def flush(self) -> None:
        await self._ack()

    async def _ack(self) -> None:
        for stream, ids in list(self._to_ack.items()):
            if ids:
                await self.store.client.xack(stream, self.group, *ids)
        self._to_ack.clear()

    async def _read(self, ids: Dict[Any, Any], block: Optional[int]) -> List[Any]:
        client = self.store.client
        if not self.cluster:
            return list(
                await client.xreadgroup(self.group, self.consumer, ids, count=self.count, block=block) or []
            )
        # A Cluster cannot read streams of several slots in one command.
        answers = await asyncio.gather(
            *(
                client.xreadgroup(self.group, self.consumer, {key: value}, count=self.count)
                for key, value in ids.items()
            )
        )
        results = [entry for answer in answers for entry in (answer or [])]
        if not results and block:
            await asyncio.sleep(block / 1000)
        return results

    async def next_batch(self) -> List[Tuple[str, str, Union[FleetEvent, StreamGap]]]:
        if not self._ready:
            await self._prepare()
        await self._ack()
        items: List[Tuple[str, str, Union[FleetEvent, StreamGap]]] = []
        pending = {stream: "0" for stream, flag in self._pending_phase.items() if flag}
        if pending:
            for stream, entries in await self._read(pending, None):
                if not entries:
                    self._pending_phase[stream] = False
                for entry_id, fields in entries:
                    if not fields:  # trimmed while pending: its content is gone
                        items.append((stream, entry_id, StreamGap(stream, entry_id, entry_id)))
                        continue
                    items.append((stream, entry_id, self._event(stream, entry_id, fields)))
            for stream in pending:
                if not any(item[0] == stream for item in items):
                    self._pending_phase[stream] = False
            if items:
                return items
        for stream, entries in await self._read({stream: ">" for stream in self.streams}, self.block_ms):
            for entry_id, fields in entries:
                event = self._event(stream, entry_id, fields)
                if isinstance(event, FleetEvent) and event.position:
                    gap = await self._gap_before(stream, entry_id, event.position)
                    if gap is not None:
                        items.append((stream, "", gap))
                    self._last_n[stream] = event.position
                self._last[stream] = entry_id
                items.append((stream, entry_id, event))
        return items

    def _event(self, stream: str, entry_id: str, fields: Dict[str, str]) -> Union[FleetEvent, StreamGap]:
        try:
            return FleetEvent.from_entry(stream, entry_id, fields)
        except (KeyError, ValueError) as exc:
            logger.warning("%s %s: not a fleet entry (%s); skipped", stream, entry_id, exc)
            return StreamGap(stream, entry_id, entry_id, reason=f"not a fleet entry ({exc})")

    async def _gap_before(self, stream: str, entry_id: str, position: int) -> Optional[StreamGap]:
        """Entries numbered between the last one this consumer got and this one are missing: if none
        of them is in the stream any more (another consumer of the group may have them), they were
        trimmed before the group read them."""
        last_n = self._last_n.get(stream)
        if last_n is None or position <= last_n + 1:
            return None
        last = self._last.get(stream, "0-0")
        between = await self.store.client.xrange(
            stream, f"({last}" if last != "0-0" else "-", f"({entry_id}", count=1
        )
        if between:
            return None
        missing = position - last_n - 1
        return StreamGap(
            stream, last, entry_id, reason=f"{missing} entries trimmed (MAXLEN) before this group read them"
        )
