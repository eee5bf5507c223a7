"""Where the fleet keeps things in Redis: one naming scheme, in one place.

Keys of a room (its lease, fencing counter, checkpoint, status) and the event stream of its
shard share a Redis Cluster hash tag, ``{<prefix>:s<shard>}``, so the commit script, which
touches the lease, the checkpoint and the stream at once, runs on one node. Fleet-wide keys
(the desired rooms, the workers, the configuration) share the tag ``{<prefix>:meta}``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import List

__all__ = ["DEFAULT_PREFIX", "DEFAULT_SHARDS", "Keys", "shard_of"]

DEFAULT_PREFIX = "pytiktoklive"
#: Event streams per fleet: rooms are spread over them by a hash of the username.
DEFAULT_SHARDS = 16


def shard_of(username: str, shards: int) -> int:
    """The shard of a room: a stable hash of its username (the same in every process)."""
    return zlib.crc32(username.encode("utf-8")) % shards


@dataclass(frozen=True)
class Keys:
    prefix: str = DEFAULT_PREFIX

    def _meta(self, name: str) -> str:
        return f"{{{self.prefix}:meta}}:{name}"

    @property
    def rooms(self) -> str:
        """HASH username -> JSON options: the rooms the fleet must watch and track."""
        return self._meta("rooms")

    @property
    def workers(self) -> str:
        """HASH worker id -> JSON heartbeat (name, capacity, rooms, time)."""
        return self._meta("workers")

    @property
    def config(self) -> str:
        """HASH shards, maxlen: fixed when the fleet is first used."""
        return self._meta("config")

    def _room(self, shard: int, kind: str, username: str) -> str:
        return f"{{{self.prefix}:s{shard}}}:{kind}:{username}"

    def lease(self, shard: int, username: str) -> str:
        """STRING "<worker id>#<fencing token>" with a TTL: who tracks the room."""
        return self._room(shard, "lease", username)

    def fence(self, shard: int, username: str) -> str:
        """INT: the room's fencing counter, incremented by every new lease."""
        return self._room(shard, "fence", username)

    def checkpoint(self, shard: int, username: str) -> str:
        """HASH room_id, cursor, internal_ext, ids, seq, ended: where the room resumes."""
        return self._room(shard, "checkpoint", username)

    def status(self, shard: int, username: str) -> str:
        """HASH state, worker, error, events, rate, lag_ms, updated_ms (for ``fleet status``)."""
        return self._room(shard, "status", username)

    def stream(self, shard: int) -> str:
        """STREAM of the shard's events."""
        return f"{{{self.prefix}:s{shard}}}:events"

    def stream_counter(self, shard: int) -> str:
        """INT: entries ever added to the shard's stream (each entry carries its number as ``n``)."""
        return f"{{{self.prefix}:s{shard}}}:events:n"

    def streams(self, shards: int) -> List[str]:
        return [self.stream(shard) for shard in range(shards)]
