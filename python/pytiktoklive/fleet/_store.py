"""The fleet's state in Redis: configuration, leases with fencing tokens, checkpoints, the atomic commit.

Every write that must not come from a worker that lost its room goes through a Lua script that
first compares the room's lease with the writer's lease value (``"<worker id>#<fencing token>"``;
the token comes from a per-room counter incremented by every new lease). A worker whose lease
expired, was taken over, or vanished with a Redis restart is refused (:class:`LeaseLostError`).

The commit script appends a batch of events to the room's shard stream (``XADD … MAXLEN ~``) and
stores the room's checkpoint in the same atomic step, so a batch is either in the stream with
the checkpoint after it, or not at all: a worker taking the room over resumes exactly there.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from pytiktoklive.fleet._keys import DEFAULT_SHARDS, Keys, shard_of
from pytiktoklive.fleet._redis import AnyRedis, Script
from pytiktoklive.fleet.records import FleetEvent

__all__ = ["DEFAULT_MAXLEN", "Checkpoint", "FleetConfig", "Store", "now_ms"]

#: Approximate bound of each shard stream (``XADD MAXLEN ~``).
DEFAULT_MAXLEN = 1_000_000

_ACQUIRE = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local value = ARGV[1] .. '#' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value
"""
)
_RENEW = Script(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
)
# KEYS: leases of one shard (one hash tag); ARGV: ttl, then each lease's value. 1 = renewed, 0 = lost.
_RENEW_MANY = Script(
    """
local renewed = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    renewed[i] = redis.call('PEXPIRE', key, ARGV[1])
  else
    renewed[i] = 0
  end
end
return renewed
"""
)
_RELEASE = Script(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
)
# KEYS: lease, checkpoint, stream, the stream's entry counter (each entry's "n": 1, 2, 3… per
# stream, so that consumers can tell trimmed entries from entries that never existed).
# ARGV: lease value, the checkpoint's seq this batch follows, maxlen, checkpoint field count,
#       checkpoint fields and values…, event count, fields per event, each event's fields and values…
_COMMIT = Script(
    """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LEASE_LOST') end
if (redis.call('HGET', KEYS[2], 'seq') or '0') ~= ARGV[2] then
  return redis.error_reply('CHECKPOINT_MOVED')
end
local i = 5
local checkpoint = {}
for j = 1, tonumber(ARGV[4]) * 2 do checkpoint[j] = ARGV[i]; i = i + 1 end
local count = tonumber(ARGV[i]); local width = tonumber(ARGV[i + 1]) * 2; i = i + 2
local position = 0
if count > 0 then position = redis.call('INCRBY', KEYS[4], count) - count end
local ids = {}
for e = 1, count do
  local command = {'XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'n', position + e}
  for f = 1, width do command[8 + f] = ARGV[i]; i = i + 1 end
  ids[e] = redis.call(unpack(command))
end
redis.call('HSET', KEYS[2], unpack(checkpoint))
return ids
"""
)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class FleetConfig:
    """Fixed when a fleet is first used (the first ``add`` or worker): every process agrees on it."""

    shards: int = DEFAULT_SHARDS
    maxlen: int = DEFAULT_MAXLEN


@dataclass
class Checkpoint:
    """Where a room resumes: its LIVE (room id), cursor, internal_ext, the ids of the last events
    written, the last per-room sequence number, and whether that LIVE has ended."""

    room_id: int = 0
    cursor: str = ""
    internal_ext: str = ""
    ids: Tuple[int, ...] = ()
    seq: int = 0
    ended: bool = False

    @classmethod
    def from_hash(cls, data: Dict[str, str]) -> Checkpoint:
        ids = tuple(int(part) for part in data.get("ids", "").split(",") if part.isdigit())
        return cls(
            room_id=int(data.get("room_id") or 0),
            cursor=data.get("cursor", ""),
            internal_ext=data.get("internal_ext", ""),
            ids=ids,
            seq=int(data.get("seq") or 0),
            ended=data.get("ended") == "1",
        )

    def to_pairs(self) -> List[str]:
        return [
            "room_id", str(self.room_id),
            "cursor", self.cursor,
            "internal_ext", self.internal_ext,
            "ids", ",".join(str(msg_id) for msg_id in self.ids),
            "seq", str(self.seq),
            "ended", "1" if self.ended else "0",
            "updated_ms", str(now_ms()),
        ]  # fmt: skip


_FIELDS_PER_EVENT = 8


class Store:
    """The fleet's Redis operations, for one client, key scheme and configuration."""

    def __init__(self, client: AnyRedis, keys: Keys, config: FleetConfig) -> None:
        self.client = client
        self.keys = keys
        self.config = config

    @staticmethod
    async def load_config(
        client: AnyRedis, keys: Keys, *, shards: Optional[int] = None, maxlen: Optional[int] = None
    ) -> FleetConfig:
        """The fleet's configuration; the first process to ask fixes it (its values, or the defaults)."""
        await client.hsetnx(keys.config, "shards", str(shards or DEFAULT_SHARDS))
        await client.hsetnx(keys.config, "maxlen", str(maxlen or DEFAULT_MAXLEN))
        data = await client.hgetall(keys.config)
        return FleetConfig(shards=int(data["shards"]), maxlen=int(data["maxlen"]))

    def shard(self, username: str) -> int:
        return shard_of(username, self.config.shards)

    def lease_key(self, username: str) -> str:
        return self.keys.lease(self.shard(username), username)

    def checkpoint_key(self, username: str) -> str:
        return self.keys.checkpoint(self.shard(username), username)

    def status_key(self, username: str) -> str:
        return self.keys.status(self.shard(username), username)

    def stream_key(self, username: str) -> str:
        return self.keys.stream(self.shard(username))

    # ------------------------------------------------------------------ desired rooms

    async def add_rooms(self, usernames: Sequence[str]) -> List[str]:
        added = []
        for username in usernames:
            options = json.dumps({"added_ms": now_ms()})
            if await self.client.hsetnx(self.keys.rooms, username, options):
                added.append(username)
        return added

    async def remove_rooms(self, usernames: Sequence[str]) -> List[str]:
        removed = []
        for username in usernames:
            if await self.client.hdel(self.keys.rooms, username):
                removed.append(username)
        return removed

    async def rooms(self) -> List[str]:
        return sorted(str(name) for name in await self.client.hkeys(self.keys.rooms))

    # ------------------------------------------------------------------ leases

    async def acquire(self, username: str, worker_id: str, ttl_ms: int) -> Optional[str]:
        """Take the room's lease if it is free; the lease value (with its fencing token), else None."""
        shard = self.shard(username)
        value = await _ACQUIRE(
            self.client,
            [self.keys.lease(shard, username), self.keys.fence(shard, username)],
            [worker_id, ttl_ms],
        )
        return str(value) if value else None

    async def renew(self, username: str, lease: str, ttl_ms: int) -> bool:
        return bool(await _RENEW(self.client, [self.lease_key(username)], [lease, ttl_ms]))

    async def renew_many(self, leases: Dict[str, str], ttl_ms: int) -> Dict[str, bool]:
        """Renew many leases (username -> lease value), one script per shard; username -> still held."""
        by_shard: Dict[int, List[str]] = {}
        for username in leases:
            by_shard.setdefault(self.shard(username), []).append(username)
        held: Dict[str, bool] = {}
        for shard, usernames in by_shard.items():
            keys = [self.keys.lease(shard, username) for username in usernames]
            answers = await _RENEW_MANY(self.client, keys, [ttl_ms, *(leases[name] for name in usernames)])
            held.update((name, bool(answer)) for name, answer in zip(usernames, answers))
        return held

    async def release(self, username: str, lease: str) -> bool:
        return bool(await _RELEASE(self.client, [self.lease_key(username)], [lease]))

    async def lease_holders(self, usernames: Sequence[str]) -> Dict[str, Optional[str]]:
        """username -> lease value (None: free)."""
        pipeline = self.client.pipeline(transaction=False)
        for username in usernames:
            pipeline.get(self.lease_key(username))
        values = await pipeline.execute() if usernames else []
        return dict(zip(usernames, values))

    # ------------------------------------------------------------------ checkpoints and events

    async def checkpoint(self, username: str) -> Checkpoint:
        data = await self.client.hgetall(self.checkpoint_key(username))
        return Checkpoint.from_hash({str(key): str(value) for key, value in data.items()})

    async def commit(
        self,
        username: str,
        lease: str,
        previous_seq: int,
        checkpoint: Checkpoint,
        records: Sequence[FleetEvent],
    ) -> List[str]:
        """Append ``records`` to the room's stream and store ``checkpoint``, atomically, if
        ``lease`` still holds the room (else :class:`LeaseLostError`). Returns the entry ids."""
        shard = self.shard(username)
        pairs = checkpoint.to_pairs()
        args: List[Any] = [lease, str(previous_seq), self.config.maxlen, len(pairs) // 2, *pairs]
        args += [len(records), _FIELDS_PER_EVENT]
        for record in records:
            args += record.fields()
        keys = [
            self.keys.lease(shard, username),
            self.keys.checkpoint(shard, username),
            self.keys.stream(shard),
            self.keys.stream_counter(shard),
        ]
        ids = await _COMMIT(self.client, keys, args)
        return [str(entry_id) for entry_id in ids or ()]

    # ------------------------------------------------------------------ status and workers

    async def set_statuses(self, statuses: Dict[str, Dict[str, Any]]) -> None:
        """Write rooms' status hashes (username -> fields), in one round trip."""
        if not statuses:
            return
        pipeline = self.client.pipeline(transaction=False)
        for username, status in statuses.items():
            pipeline.hset(
                self.status_key(username), mapping={key: str(value) for key, value in status.items()}
            )
        await pipeline.execute()

    async def room_statuses(self, usernames: Sequence[str]) -> List[Dict[str, str]]:
        pipeline = self.client.pipeline(transaction=False)
        for username in usernames:
            pipeline.hgetall(self.status_key(username))
        return [dict(status) for status in (await pipeline.execute() if usernames else [])]

    async def heartbeat(self, worker_id: str, document: Dict[str, Any]) -> None:
        await self.client.hset(self.keys.workers, worker_id, json.dumps(document))

    async def forget_worker(self, worker_id: str) -> None:
        await self.client.hdel(self.keys.workers, worker_id)

    async def workers(self) -> Dict[str, Dict[str, Any]]:
        raw = await self.client.hgetall(self.keys.workers)
        workers: Dict[str, Dict[str, Any]] = {}
        for worker_id, document in raw.items():
            try:
                workers[str(worker_id)] = json.loads(document)
            except ValueError:
                continue
        return workers
