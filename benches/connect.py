"""Connecting N rooms, nothing else: how long, and what it costs the client and the simulator.

::

    python benches/connect.py --rooms 1000 [--concurrency C] [--profile FILE] [--json-out FILE]

The rooms are ``loadgen.py``'s (as in ``e2e.py``): discovery (page), ``room/info``, the sign
server and the first signed ``im/fetch`` are served by the simulator in the load generator's
main process, each room's websocket by one of its push processes, which send nothing here
(the generator never hears ``go``), so only connecting is measured. This process tracks
the rooms with :meth:`TikTok.track_many` (``fetch_gift_info=False``,
``process_initial_events=False``, as ``e2e.py``) and waits until every websocket is open.

One JSON object:

* ``setup_seconds`` (``track_many`` returned) and ``connect_seconds`` (every websocket
  open, counted by the push processes), wall clock;
* ``client_cpu_ms_per_room``: CPU of this process (``time.process_time``) from the start of
  ``track_many`` to the last websocket open, per room; ``simulator_cpu_ms_per_room``: the
  load generator's main process (the simulator) over the same span, and
  ``push_cpu_ms_per_room`` its push processes (websocket handshakes);
* ``client_cpu_percent`` of the wall time: near 100 means the client's core was the limit;
* the 1-minute load average before and after (the machine is shared: read with it).

``--profile FILE`` writes a cProfile (CPU time) of the client over the connect.

Before/after in one command: ``--baseline DIR`` (the ``python/`` directory of another checkout,
with its built ``_core`` copied in) runs ``--rounds`` connects of each, alternating (so that
the machine's load falls on both alike), each in fresh processes (the load generator's
simulator comes from the same tree as the client), and prints every run and the medians::

    git worktree add /tmp/base main && cp python/pytiktoklive/_core*.so /tmp/base/python/pytiktoklive/
    python benches/connect.py --rooms 1000 --rounds 5 --baseline /tmp/base/python

Measurements only: nothing here asserts a duration.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e import LoadGen
from jsonline import emit
from loadgen import PREFIX, WARMUP
from pytiktoklive import TikTok


async def run(
    rooms: int, workers: int, concurrency: Optional[int], profile: Optional[Path]
) -> Dict[str, Any]:
    gen = LoadGen(rooms, 0.0, workers)
    try:
        names = [f"{PREFIX}{index}" for index in range(rooms)]
        async with TikTok(gen.endpoints) as tiktok:
            # One room first: lazy imports, the cookie visit and the decoder's set-up are not
            # counted as connecting.
            async with await tiktok.track_user(WARMUP, fetch_gift_info=False) as warm:
                await warm.events.__anext__()
            before = gen.stats()
            load_before = os.getloadavg()[0]
            extra = {} if concurrency is None else {"concurrency": concurrency}
            profiler = cProfile.Profile(time.process_time) if profile is not None else None
            cpu_began, began = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            group = await tiktok.track_many(
                names, fetch_gift_info=False, process_initial_events=False, **extra
            )
            setup_seconds = time.perf_counter() - began
            connect_seconds: Optional[float] = None
            while time.perf_counter() - began < setup_seconds + 120.0:
                after = await asyncio.to_thread(gen.stats)
                if after["connections"] - before["connections"] >= len(group.lives):
                    connect_seconds = time.perf_counter() - began
                    break
                await asyncio.sleep(0.02)
            cpu = time.process_time() - cpu_began
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(str(profile))
            load_after = os.getloadavg()[0]
            await group.close()
    finally:
        gen.close()
    span = connect_seconds if connect_seconds is not None else time.perf_counter() - began
    simulator_cpu = after["cpu_seconds"] - before["cpu_seconds"]
    push_cpu = sum(after["push_cpu_seconds"]) - sum(before["push_cpu_seconds"])
    return {
        "rooms": rooms,
        "tracked": len(group.lives),
        "failed": len(group.failures),
        "failure_sample": sorted({repr(error)[:200] for error in group.failures.values()})[:3],
        "concurrency": concurrency,
        "setup_seconds": round(setup_seconds, 2),
        "connect_seconds": round(connect_seconds, 2) if connect_seconds is not None else None,
        "client_cpu_ms_per_room": round(1000.0 * cpu / rooms, 2),
        "client_cpu_percent": round(100.0 * cpu / span, 1),
        "simulator_cpu_ms_per_room": round(1000.0 * simulator_cpu / rooms, 2),
        "simulator_cpu_percent": round(100.0 * simulator_cpu / span, 1),
        "push_cpu_ms_per_room": round(1000.0 * push_cpu / rooms, 2),
        "loadavg_1min": [round(load_before, 2), round(load_after, 2)],
    }


MEDIAN_OF = ("connect_seconds", "client_cpu_ms_per_room", "simulator_cpu_ms_per_room", "push_cpu_ms_per_room")


def compare(rooms: int, rounds: int, baseline: Path, extra: List[str]) -> Dict[str, Any]:
    """``rounds`` runs of the baseline tree and of this one, alternating; each side's runs and medians."""
    runs: Dict[str, List[Dict[str, Any]]] = {"baseline": [], "this tree": []}
    for _ in range(rounds):
        for side, pythonpath in (("baseline", str(baseline)), ("this tree", "")):
            env = dict(os.environ, PYTHONPATH=pythonpath)
            done = subprocess.run(
                [sys.executable, __file__, "--rooms", str(rooms), *extra],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(side, json.dumps(result), flush=True)
            runs[side].append(result)
    return {
        side: {key: round(statistics.median(run[key] for run in results), 2) for key in MEDIAN_OF}
        for side, results in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="push processes of the load generator")
    parser.add_argument("--concurrency", type=int, help="track_many's concurrency (default: its own)")
    parser.add_argument("--profile", type=Path, help="cProfile (CPU time) the connect into this file")
    parser.add_argument("--json-out", type=Path, help="append the result as one JSON line to this file")
    parser.add_argument("--baseline", type=Path, help="python/ of another checkout: compare with it")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side with --baseline")
    arguments = parser.parse_args()
    if arguments.baseline is not None:
        extra = ["--workers", str(arguments.workers)]
        if arguments.concurrency is not None:
            extra += ["--concurrency", str(arguments.concurrency)]
        result = {"medians": compare(arguments.rooms, arguments.rounds, arguments.baseline.resolve(), extra)}
    else:
        result = asyncio.run(
            run(arguments.rooms, arguments.workers, arguments.concurrency, arguments.profile)
        )
    emit(result, arguments.json_out)


if __name__ == "__main__":
    main()
