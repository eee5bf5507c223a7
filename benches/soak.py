"""Soak benchmark: many rooms under random faults for a long time; every message exactly once.

::

    python benches/soak.py --rooms 50 --minutes 10 [--json-out FILE]

A child process (this file with ``--serve``) runs the simulator with ``--rooms`` endless
lively rooms and, every ``--fault-every`` seconds, arms one random fault on a random room or
endpoint: websocket drops (also mid-frame), close frames, stalls (short, and for ever, which
the client's idle watchdog must notice), malformed, truncated and truncated-gzip frames,
unknown frame types, refused handshakes, and 503s / stalls on ``im/fetch``, ``room/info``
and ``room/check_alive``. It records every msg_id each room emits.

This process tracks every room with ``track_many`` and consumes them all, recording every
msg_id delivered per room and its resident set size every 10 s. After ``--minutes`` the
rooms end (each with its control message), the client must see every LIVE end, and the
two records are compared: each emitted msg_id delivered exactly once, in order
(``lost``, ``duplicated``, ``unexpected`` must all be 0). RSS: the samples after the
warm-up (the first ``--warmup`` seconds) should stay flat (``rss_mib_growth_after_warmup``).

Not a test (it takes minutes); ``scripts/bench.sh soak`` runs it. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import collections
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from child import Child
from jsonline import emit
from pytiktoklive import TikTok
from pytiktoklive.config import Endpoints

HERE = Path(__file__).resolve()
PREFIX = "soak_user"


# --------------------------------------------------------------------- the simulator side


def _faults(room: Any, sim: Any, rng: random.Random) -> Callable[[], str]:
    """A random fault, armed by calling the result; returns its name."""
    after = rng.randint(1, 30)
    choices: List[Callable[[], str]] = [
        lambda: (room.faults.drop_after(after), "drop")[1],
        lambda: (room.faults.drop_after(after, mid_frame=True), "drop_mid_frame")[1],
        lambda: (room.faults.close_after(after), "close")[1],
        lambda: (room.faults.stall_after(after, seconds=rng.uniform(0.5, 5.0)), "stall_short")[1],
        lambda: (room.faults.stall_after(after), "stall_forever")[1],
        lambda: (room.faults.malformed_after(after), "malformed")[1],
        lambda: (room.faults.truncated_after(after), "truncated")[1],
        lambda: (room.faults.truncated_gzip_after(after), "truncated_gzip")[1],
        lambda: (room.faults.unknown_frame_after(after), "unknown_frame")[1],
        lambda: (room.faults.reject(), "reject")[1],
        lambda: (sim.faults.fail("im/fetch", 503), "http_503_im_fetch")[1],
        lambda: (sim.faults.fail("room/check_alive", 503), "http_503_check_alive")[1],
        lambda: (sim.faults.stall("im/fetch", seconds=3.0), "http_stall_im_fetch")[1],
    ]
    return rng.choice(choices)


async def serve(rooms: int, rate: float, fault_every: float, seed: int) -> None:
    from pytiktoklive.simulator import LivelyScenario, Simulator

    rng = random.Random(seed)
    emitted: Dict[str, array.array[int]] = {}
    armed: Dict[str, int] = collections.Counter()
    async with Simulator(builtin_rooms=False, seed=seed) as sim:
        made = sim.add_rooms(
            rooms,
            prefix=PREFIX,
            scenario=LivelyScenario(duration=None, rate=rate, battle=True),
            heartbeat_duration=10000,
        )
        for room in made:
            ids = emitted[room.username] = array.array("q")
            original = room.emit

            def emit(outgoing: Any, original: Any = original, ids: array.array[int] = ids) -> Any:
                entry = original(outgoing)
                ids.append(entry.msg_id)
                return entry

            room.emit = emit  # type: ignore[method-assign]
        endpoints = sim.endpoints
        print(json.dumps({"www": endpoints.www, "webcast": endpoints.webcast, "signer": endpoints.signer}))
        sys.stdout.flush()

        async def inject() -> None:
            while True:
                await asyncio.sleep(fault_every)
                armed[_faults(rng.choice(made), sim, rng)()] += 1

        injector: Optional[asyncio.Task[None]] = None
        while True:
            line: Optional[str] = await asyncio.to_thread(sys.stdin.readline)
            command = (line or "quit").strip()
            if command == "faults":
                injector = asyncio.ensure_future(inject())
                print(json.dumps({"ok": True}))
            elif command == "end":
                if injector is not None:
                    injector.cancel()
                sim.faults.clear()
                for room in made:
                    room.faults.ws.clear()
                    room.end()
                print(json.dumps({"armed": armed, "cpu_seconds": time.process_time()}))
            elif command == "emitted":
                print(json.dumps({name: ids.tolist() for name, ids in emitted.items()}))
            elif command == "quit":
                return
            sys.stdout.flush()


# --------------------------------------------------------------------- the client side


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def serve_child(arguments: argparse.Namespace) -> Child:
    """This script with ``--serve``: the simulator and its faults, in a process of its own."""
    command = [sys.executable, str(HERE), "--serve", "--rooms", str(arguments.rooms)]
    command += ["--rate", str(arguments.rate), "--fault-every", str(arguments.fault_every)]
    command += ["--seed", str(arguments.seed)]
    return Child(command, "the simulator process")


async def soak(arguments: argparse.Namespace) -> Dict[str, Any]:
    child = serve_child(arguments)
    try:
        endpoints = Endpoints(**child.ask())
        delivered: Dict[str, array.array[int]] = collections.defaultdict(lambda: array.array("q"))
        samples: List[List[float]] = []
        errors: List[str] = []
        async with TikTok(endpoints, idle_timeout=arguments.idle_timeout) as tiktok:
            tiktok.set_error_handler(lambda exc: errors.append(repr(exc)[:200]))
            names = [f"{PREFIX}{index}" for index in range(arguments.rooms)]
            group = await tiktok.track_many(names, fetch_gift_info=False)
            began = time.monotonic()
            await asyncio.to_thread(child.ask, "faults")

            async def consume() -> None:
                async for live, event in group:
                    delivered[live.username].append(event.msg_id)

            async def sample() -> None:
                while True:
                    samples.append([round(time.monotonic() - began, 1), round(rss_mib(), 1)])
                    await asyncio.sleep(10.0)

            consumer = asyncio.ensure_future(consume())
            sampler = asyncio.ensure_future(sample())
            await asyncio.sleep(arguments.minutes * 60.0)
            armed = await asyncio.to_thread(child.ask, "end")
            # Every room must see its LIVE end (the control message, or check_alive + the tail).
            try:
                await asyncio.wait_for(asyncio.shield(consumer), timeout=300.0)
                finished = True
            except asyncio.TimeoutError:
                finished = False
            sampler.cancel()
            reconnects = sum(live.stats["reconnects"] for live in group.lives.values())
            duplicates_dropped = sum(live.stats["duplicates_dropped"] for live in group.lives.values())
            ended = sum(1 for live in group.lives.values() if live.ended)
            await group.close()
            consumer.cancel()
            await asyncio.gather(consumer, sampler, return_exceptions=True)
        emitted: Dict[str, List[int]] = await asyncio.to_thread(child.ask, "emitted")
    finally:
        child.close()
    lost = duplicated = unexpected = out_of_order = 0
    total = 0
    for name, ids in emitted.items():
        got = delivered.get(name, array.array("q")).tolist()
        total += len(ids)
        counts = collections.Counter(got)
        wanted = set(ids)
        lost += sum(1 for msg_id in ids if msg_id not in counts)
        duplicated += sum(count - 1 for count in counts.values() if count > 1)
        unexpected += sum(1 for msg_id in counts if msg_id not in wanted)
        out_of_order += int([msg_id for msg_id in got if msg_id in wanted] != [m for m in ids if m in counts])
    warm = [mib for at, mib in samples if at >= arguments.warmup]
    return {
        "rooms": arguments.rooms,
        "minutes": arguments.minutes,
        "rate": arguments.rate,
        "fault_every_seconds": arguments.fault_every,
        "idle_timeout": arguments.idle_timeout,
        "faults_armed": armed["armed"],
        "rooms_ended": ended,
        "all_finished": finished,
        "emitted": total,
        "delivered": sum(len(ids) for ids in delivered.values()),
        "lost": lost,
        "duplicated": duplicated,
        "unexpected": unexpected,
        "rooms_out_of_order": out_of_order,
        "reconnects": reconnects,
        "duplicates_dropped_by_client": duplicates_dropped,
        "errors_reported": len(errors),
        "error_sample": sorted(set(errors))[:5],
        "rss_mib_after_warmup_first": warm[0] if warm else None,
        "rss_mib_after_warmup_last": warm[-1] if warm else None,
        "rss_mib_after_warmup_max": max(warm) if warm else None,
        "rss_mib_growth_after_warmup": round(warm[-1] - warm[0], 1) if warm else None,
        "rss_samples": samples,
        "loadavg_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1.0, help="LivelyScenario rate (~7 messages/s at 1)")
    parser.add_argument("--fault-every", type=float, default=2.0, help="seconds between random faults")
    parser.add_argument("--idle-timeout", type=float, default=10.0, help="the client's idle_timeout")
    parser.add_argument("--warmup", type=float, default=120.0, help="seconds before RSS should be flat")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json-out", type=Path, help="append the result as one JSON line to this file")
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(serve(arguments.rooms, arguments.rate, arguments.fault_every, arguments.seed))
        return
    result = asyncio.run(soak(arguments))
    emit(result, arguments.json_out)


if __name__ == "__main__":
    main()
