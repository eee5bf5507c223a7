"""Outgrow one process: shard rooms over worker processes, merge their events in the parent.

    python examples/shard_processes.py USER [USER ...] [--workers 4] [--seconds 600]

The engine is the standard library's ProcessPoolExecutor, one TikTok client per worker. Against
the simulator (configuration only: workers inherit the environment, so their TikTok() find it):

    pytiktoklive simulate --port 8080 --speed 2 &
    PYTIKTOKLIVE_ENDPOINT=http://127.0.0.1:8080 python examples/shard_processes.py demo_user polling_user
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import multiprocessing
import os
import queue
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.queues import Queue
from typing import Any, Optional

from pytiktoklive import LiveGroup, TikTok

Item = Optional[dict[str, Any]]  # an event record, or None: "this shard is done"
_events: Optional[Queue[Item]] = None  # set in each worker process by `connect`


def connect(events: Queue[Item]) -> None:
    global _events
    _events = events


async def forward(group: LiveGroup) -> None:
    assert _events is not None
    async for live, event in group:
        item = {"type": type(event).__name__, "username": live.username, "data": event.to_dict()}
        try:
            _events.put_nowait(item)
        except queue.Full:  # the parent is behind: wait in a thread so this loop's rooms go on
            await asyncio.to_thread(_events.put, item)


async def follow(usernames: list[str], seconds: Optional[float]) -> dict[str, Any]:
    async with TikTok() as tiktok:  # one client per process: a client never crosses processes
        group = await tiktok.track_many(usernames, fetch_gift_info=False)
        async with group:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(forward(group), seconds)
    failed = {name: f"{type(error).__name__}: {error}" for name, error in group.failures.items()}
    return {"pid": os.getpid(), "tracked": sorted(group.lives), "failed": failed}


# The same function is a job for a queue you may run already (plain arguments in, a JSON-ready
# summary out); the events then go to your broker (XADD, Kafka, ...) in `forward`:
#   Celery: track_shard_task = app.task(track_shard); track_shard_task.delay(names, 3600)
#   RQ:     Queue(connection=redis).enqueue(track_shard, names, 3600, job_timeout=4000)
#   arq:    async def track_shard_job(ctx, names): return await follow(names, 3600)  # loop running
def track_shard(usernames: list[str], seconds: Optional[float] = None) -> dict[str, Any]:
    try:
        return asyncio.run(follow(usernames, seconds))
    finally:
        if _events is not None:  # after this shard's events: one queue keeps their order
            _events.put(None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("users", nargs="+", help="usernames, @usernames or LIVE URLs")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--seconds", type=float, help="stop after this long (default: when all end)")
    args = parser.parse_args()
    # Round-robin; a stable hash of the name would keep each room on the same shard across runs.
    shards = [shard for shard in (args.users[i :: args.workers] for i in range(args.workers)) if shard]
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited threads or loop
    events: Queue[Item] = context.Queue(maxsize=10_000)  # bounded: a slow parent slows the workers
    counts: collections.Counter[str] = collections.Counter()
    with ProcessPoolExecutor(
        len(shards), mp_context=context, initializer=connect, initargs=(events,)
    ) as pool:
        futures = [pool.submit(track_shard, shard, args.seconds) for shard in shards]
        running = len(shards)
        while running:
            try:
                item = events.get(timeout=1.0)
            except queue.Empty:
                if all(future.done() for future in futures):
                    break  # a worker died before its "done": its .result() below raises why
                continue
            if item is None:
                running -= 1
            else:
                counts[item["username"]] += 1  # the merge: a count here, a database or bus in real life
    for future in futures:
        summary = future.result()
        print(f"worker {summary['pid']}: tracked {', '.join(summary['tracked']) or 'nothing'}")
        for name, reason in summary["failed"].items():
            print(f"  not tracked @{name}: {reason}")
    for name, count in sorted(counts.items()):
        print(f"@{name:<24} {count:>8,} events")
    return 0 if counts else 1


if __name__ == "__main__":
    sys.exit(main())
