"""A fleet on Redis: add rooms, let workers track them, read the events with a consumer group.

    python examples/fleet_consumer.py USER [USER ...] --redis redis://127.0.0.1:6379/0 [--worker]
                                      [--group my-app] [--seconds 600]

The rooms are added to the fleet; ``--worker`` also runs a worker in this process (in production
run ``pytiktoklive fleet worker --redis URL`` on each machine instead). The events are then read
from the fleet's Redis streams as one consumer of a consumer group: run this program several
times with the same ``--group`` and each gets a share of the entries. Each room's events are
counted by type and printed when its LIVE ends; per-room order is checked with ``seq``.
Needs ``pip install 'pytiktoklive[fleet]'`` and a Redis server. Against the simulator:

    pytiktoklive simulate --port 8080 --speed 10 &
    redis-server --port 6379 --save '' &
    PYTIKTOKLIVE_ENDPOINT=http://127.0.0.1:8080 python examples/fleet_consumer.py demo_user --worker
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import sys
from typing import Optional

from pytiktoklive.errors import TikTokLiveError
from pytiktoklive.fleet import Fleet, StreamGap, Worker

ENDING_ACTIONS = (3, 4)  # ControlEvent actions that end a LIVE (ControlEvent.ended)


async def consume(fleet: Fleet, users: list[str], group: str) -> int:
    """Read until every user's LIVE has ended; print a summary per LIVE. Returns events read."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    last_seq: dict[str, int] = {}
    waiting = set(users)
    total = 0
    async for item in fleet.events(group=group, consumer="example"):
        if isinstance(item, StreamGap):  # the stream was trimmed before this group read it
            print(f"warning: events lost in {item.stream}: {item.reason}", file=sys.stderr)
            continue
        total += 1
        if item.seq <= last_seq.get(item.room, 0):
            print(f"{item.room}: seq {item.seq} out of order", file=sys.stderr)
        last_seq[item.room] = item.seq
        counts[item.room][item.type] += 1
        if item.type == "ControlEvent" and item.data.get("action") in ENDING_ACTIONS:
            room = counts[item.room]
            summary = ", ".join(f"{kind} {count}" for kind, count in room.most_common())
            print(f"@{item.room} (room {item.room_id}) ended: {sum(room.values())} events: {summary}")
            counts.pop(item.room)
            waiting.discard(item.room)
            if not waiting:
                break
    return total


async def main(
    users: list[str], redis_url: str, group: str, run_worker: bool, seconds: Optional[float]
) -> int:
    async with Fleet(redis_url) as fleet:
        await fleet.add(*users)
        names = await fleet.rooms()
        wanted = [name for name in names if name in {user.lstrip("@").lower() for user in users}]
        worker = Worker(redis_url, name="example", watch_interval=1.0) if run_worker else None
        running = asyncio.ensure_future(worker.run()) if worker is not None else None
        try:
            total = 0
            with contextlib.suppress(asyncio.TimeoutError):
                total = await asyncio.wait_for(consume(fleet, wanted, group), seconds)
            print(f"{total} events read by group {group!r}")
        finally:
            if worker is not None and running is not None:
                worker.stop()  # hands the rooms over to the other workers at once
                await running
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("users", nargs="+", metavar="USER")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the fleet's Redis URL")
    parser.add_argument("--group", default="fleet-example", help="consumer group (default fleet-example)")
    parser.add_argument("--worker", action="store_true", help="also run a worker in this process")
    parser.add_argument("--seconds", type=float, help="stop after this long")
    arguments = parser.parse_args()
    try:
        sys.exit(
            asyncio.run(
                main(arguments.users, arguments.redis, arguments.group, arguments.worker, arguments.seconds)
            )
        )
    except TikTokLiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
