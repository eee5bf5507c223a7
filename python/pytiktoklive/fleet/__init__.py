"""Fleet: many workers on many machines share thousands of rooms through Redis.

Redis (a server, a primary with replicas, or a Cluster) holds everything: the desired rooms, one
lease per room (a key with a TTL and a fencing token), each room's checkpoint, the workers'
heartbeats and the event streams. Workers are ``pytiktoklive fleet worker`` processes (or
:class:`Worker` objects); the rest of the stack reads the streams with consumer groups.

::

    from pytiktoklive.fleet import Fleet, Worker

    async with Fleet("redis://127.0.0.1:6379/0") as fleet:
        await fleet.add("alice", "bob")                  # the rooms to watch and track

    await Worker("redis://127.0.0.1:6379/0", capacity=500).run()   # on each machine

    async with Fleet("redis://127.0.0.1:6379/0") as fleet:
        async for item in fleet.events(group="my-app"):  # FleetEvent or StreamGap
            ...

Guarantees (see README "Fleet" and DESIGN "Scaling out"):

* a room not live is watched (rate-limited lookups) and tracked when it goes live, and again at
  its next LIVE;
* events go into ``{<prefix>:s<N>}:events`` streams (rooms spread over N shards by a hash of the
  username, ``MAXLEN ~`` bounded), every event once, in per-room order (``seq``), across worker
  crashes, handovers and Redis restarts that keep Redis's data: a batch and the room's
  checkpoint are written by one script that first checks the writer's lease;
* a custom ``sink`` sees every batch at least once, in per-room order (``(room, seq)`` is an
  idempotency key).

Needs ``pip install 'pytiktoklive[fleet]'`` (the ``redis`` package) and Redis 6.2 or newer.
"""

from __future__ import annotations

from pytiktoklive.fleet.admin import Fleet, FleetStatus, RoomStatus, WorkerStatus
from pytiktoklive.fleet.errors import FleetError, LeaseLostError, RedisUnavailableError, RedisURLError
from pytiktoklive.fleet.records import FleetEvent, Sink, StreamGap
from pytiktoklive.fleet.worker import Worker

__all__ = [
    "Fleet",
    "FleetError",
    "FleetEvent",
    "FleetStatus",
    "LeaseLostError",
    "RedisURLError",
    "RedisUnavailableError",
    "RoomStatus",
    "Sink",
    "StreamGap",
    "Worker",
    "WorkerStatus",
]
