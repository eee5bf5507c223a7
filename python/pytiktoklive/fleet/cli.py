"""``pytiktoklive fleet …``: the fleet's command line (hooked into :mod:`pytiktoklive.cli`).

::

    pytiktoklive fleet worker --redis URL [--capacity N] [--name NAME] [--lease-ttl S] [--record DIR]
    pytiktoklive fleet add USER... | remove USER... | list | status
    pytiktoklive fleet tail [--group G] [--consumer C] [--new] [--count N]

``--redis`` defaults to ``$PYTIKTOKLIVE_REDIS``, else ``redis://127.0.0.1:6379/0``. Every command
takes ``--json``; ``tail`` always prints JSON lines. A worker stops cleanly on SIGTERM or Ctrl-C
(its rooms are handed over at once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pytiktoklive.cli import _count, _positive  # one parser per kind of argument

__all__ = ["add_fleet_command", "run_fleet"]

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def add_fleet_command(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``fleet`` and its subcommands to the ``pytiktoklive`` parser."""
    fleet_options = argparse.ArgumentParser(add_help=False)
    group = fleet_options.add_argument_group("fleet options")
    group.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("PYTIKTOKLIVE_REDIS", DEFAULT_REDIS),
        help="the fleet's Redis: redis://, rediss://, unix:// or redis+cluster:// "
        "(default: $PYTIKTOKLIVE_REDIS, else %(default)s)",
    )
    group.add_argument(
        "--prefix", default="pytiktoklive", help="key prefix of the fleet (default %(default)s)"
    )
    group.add_argument("--json", action="store_true", help="print JSON")

    fleet = commands.add_parser(
        "fleet", help="many workers sharing many rooms through Redis (worker, add, status, tail…)",
        description="Track many LIVEs with a fleet of workers on Redis: rooms are leased to workers, "
        "events go to Redis Streams exactly once.",
    )  # fmt: skip
    actions = fleet.add_subparsers(dest="fleet_command", metavar="ACTION", required=True)

    worker = actions.add_parser(
        "worker", parents=[common, fleet_options], help="run a worker (SIGTERM hands its rooms over)"
    )
    worker.add_argument("--capacity", type=_count, default=100, help="most rooms at once (default 100)")
    worker.add_argument("--name", help="shown in `fleet status` (default: host-pid)")
    worker.add_argument(
        "--lease-ttl", type=_positive, default=15.0, metavar="SECONDS",
        help="lease lifetime; renewed every third of it (default 15)",
    )  # fmt: skip
    worker.add_argument(
        "--watch-interval", type=_positive, default=30.0, metavar="SECONDS",
        help="seconds between lookups of a room that is not live (default 30)",
    )  # fmt: skip
    worker.add_argument(
        "--lookups-per-second", type=_positive, default=2.0, metavar="N",
        help="cap on this worker's user lookups (default 2)",
    )  # fmt: skip
    worker.add_argument("--record", type=Path, metavar="DIR", help="record every LIVE with ffmpeg into DIR")
    worker.add_argument(
        "--shards", type=_count, help="event streams (only when the fleet is new; default 16)"
    )
    worker.add_argument(
        "--maxlen", type=_count, help="approximate entries kept per stream (only when the fleet is new)"
    )
    worker.add_argument("--batch-size", type=_count, default=500, help="most events per commit (default 500)")

    add = actions.add_parser("add", parents=[fleet_options], help="add rooms to track")
    add.add_argument("users", nargs="+", metavar="USER")
    add.add_argument("--shards", type=_count, help="event streams (only when the fleet is new; default 16)")
    add.add_argument("--maxlen", type=_count, help="approximate entries kept per stream (only when new)")
    remove = actions.add_parser("remove", parents=[fleet_options], help="stop tracking rooms")
    remove.add_argument("users", nargs="+", metavar="USER")
    actions.add_parser("list", parents=[fleet_options], help="the rooms of the fleet")
    actions.add_parser(
        "status", parents=[fleet_options], help="rooms (worker, state, events/s, lag) and workers"
    )
    tail = actions.add_parser(
        "tail", parents=[fleet_options], help="print the events as JSON lines (consumer group)"
    )
    tail.add_argument("--group", default="pytiktoklive-tail", help="consumer group (default %(default)s)")
    tail.add_argument("--consumer", help="consumer name in the group (default: host-pid)")
    tail.add_argument(
        "--new", action="store_true", help="a new group starts at new entries, not the beginning"
    )
    tail.add_argument("--count", type=_count, help="exit after this many events")
    tail.add_argument("--duration", type=_positive, metavar="SECONDS", help="exit after this long")


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


async def _worker(args: argparse.Namespace) -> int:
    from pytiktoklive.cli import _tiktok
    from pytiktoklive.fleet.worker import Worker

    logging.getLogger("pytiktoklive.fleet").setLevel(logging.DEBUG if args.debug else logging.INFO)
    async with _tiktok(args) as tiktok:
        worker = Worker(
            args.redis,
            name=args.name,
            capacity=args.capacity,
            lease_ttl=args.lease_ttl,
            tiktok=tiktok,
            record_dir=args.record,
            watch_interval=args.watch_interval,
            lookups_per_second=args.lookups_per_second,
            shards=args.shards,
            maxlen=args.maxlen,
            prefix=args.prefix,
            batch_size=args.batch_size,
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.stop)
        if args.json:
            _print_json({"worker": worker.id, "redis": _shown(args.redis), "state": "started"})
        await worker.run()
        if args.json:
            _print_json({"worker": worker.id, "state": "stopped"})
    return 0


def _shown(url: str) -> str:
    from pytiktoklive.fleet._redis import shown

    return shown(url)


async def _tail(args: argparse.Namespace, fleet: Any) -> int:
    from pytiktoklive.fleet.records import StreamGap

    deadline = time.monotonic() + args.duration if args.duration else None
    seen = 0
    events = fleet.events(args.group, args.consumer, from_start=not args.new, block=0.5)
    try:
        while deadline is None or time.monotonic() < deadline:
            try:
                timeout = None if deadline is None else max(0.01, deadline - time.monotonic())
                item = await asyncio.wait_for(events.__anext__(), timeout)
            except asyncio.TimeoutError:
                break
            if isinstance(item, StreamGap):
                print(f"pytiktoklive: warning: events lost in {item.stream} after {item.after_id} "
                      f"up to {item.up_to_id}: {item.reason}", file=sys.stderr)  # fmt: skip
                _print_json(item.to_json())
                continue
            _print_json(item.to_json())
            seen += 1
            if args.count and seen >= args.count:
                break
    finally:
        await events.aclose()
    return 0


def _status_tables(status: Any, console: Console) -> None:
    rooms = Table(title="rooms")
    for column in ("room", "worker", "state", "room id", "events", "events/s", "lag"):
        rooms.add_column(column)
    for room in status.rooms:
        state = f"{room.state}: {room.error}" if room.error else room.state
        lag = f"{room.lag_ms / 1000:.1f}s" if room.lag_ms else ""
        rooms.add_row(
            room.room, room.worker, state, str(room.room_id or ""), str(room.events), f"{room.rate:.1f}", lag
        )
    console.print(rooms)
    workers = Table(title="workers")
    for column in ("worker", "rooms", "live", "capacity", "load"):
        workers.add_column(column)
    for worker in status.workers:
        workers.add_row(
            worker.id, str(len(worker.rooms)), str(worker.live), str(worker.capacity), f"{worker.load:.0%}"
        )
    console.print(workers)


async def _admin(args: argparse.Namespace) -> int:
    from pytiktoklive.fleet.admin import Fleet

    shards = getattr(args, "shards", None)
    maxlen = getattr(args, "maxlen", None)
    console = Console(highlight=False, soft_wrap=True)
    async with Fleet(args.redis, prefix=args.prefix, shards=shards, maxlen=maxlen) as fleet:
        command = args.fleet_command
        if command == "add":
            added = await fleet.add(*args.users)
            if args.json:
                _print_json({"added": added})
            else:
                console.print(f"added {len(added)} room(s)" + (f": {', '.join(added)}" if added else ""))
        elif command == "remove":
            removed = await fleet.remove(*args.users)
            if args.json:
                _print_json({"removed": removed})
            else:
                console.print(
                    f"removed {len(removed)} room(s)" + (f": {', '.join(removed)}" if removed else "")
                )
        elif command == "list":
            rooms = await fleet.rooms()
            if args.json:
                _print_json({"rooms": rooms})
            else:
                for room in rooms:
                    console.print(room)
        elif command == "status":
            status = await fleet.status()
            if args.json:
                _print_json(status.to_json())
            else:
                _status_tables(status, console)
        else:
            return await _tail(args, fleet)
    return 0


def run_fleet(args: argparse.Namespace) -> int:
    """Run a ``fleet`` action; errors propagate to the caller's one-line handler."""
    if args.fleet_command == "worker":
        return asyncio.run(_worker(args))
    return asyncio.run(_admin(args))
