"""The simulator side of the end-to-end benchmark, run as its own process by ``e2e.py``.

``python benches/sim_server.py --rooms N --rate R`` serves ``N`` endless lively rooms
(``load_user0`` …; plus ``warmup_user``, a 3-second LIVE outside the statistics) on a free
port of 127.0.0.1, prints one JSON line with its endpoints,
then answers commands read from stdin, one per line, each with one JSON line:

* ``stats`` — messages the ``load_user`` rooms emitted and sent so far, open connections,
  this process's CPU seconds;
* ``quit`` (or end of input) — stop.

Keeping the simulator out of the client's process lets the benchmark measure the client
alone (its CPU time, memory and event loop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any, Dict, List, Optional

from pytiktoklive.simulator import LivelyScenario, RoomSpec, SimRoom, Simulator

PREFIX = "load_user"
WARMUP = "warmup_user"


def stats(rooms: List[SimRoom]) -> Dict[str, Any]:
    return {
        "emitted": sum(len(room.log) for room in rooms),
        "sent": sum(room.stats.messages_sent for room in rooms),
        "frames": sum(room.stats.frames_sent for room in rooms),
        "open_connections": sum(room.stats.open_connections for room in rooms),
        "cpu_seconds": time.process_time(),
        "wall": time.time(),
    }


async def serve(rooms: int, rate: float, seed: int, heartbeat_duration: int) -> None:
    scenario = LivelyScenario(duration=None, rate=rate, battle=False)
    async with Simulator(builtin_rooms=False, seed=seed) as sim:
        made = sim.add_rooms(
            rooms, prefix=PREFIX, scenario=scenario, history_size=0, heartbeat_duration=heartbeat_duration
        )
        # For the client's warm-up: a short LIVE that ends by itself, outside the statistics.
        sim.add_room(RoomSpec(WARMUP, scenario=LivelyScenario(duration=3.0, battle=False), history_size=0))
        endpoints = sim.endpoints
        print(json.dumps({"www": endpoints.www, "webcast": endpoints.webcast, "signer": endpoints.signer}))
        sys.stdout.flush()
        while True:
            line: Optional[str] = await asyncio.to_thread(sys.stdin.readline)
            command = (line or "quit").strip()
            if command == "stats":
                print(json.dumps(stats(made)))
                sys.stdout.flush()
            elif command == "quit":
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--rate", type=float, default=1.0, help="LivelyScenario rate (~8 messages/s at 1)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--heartbeat-duration",
        type=int,
        default=15,
        help="FetchResult.heartbeat_duration the rooms send (RoomSpec default 15, as a real frame had)",
    )
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.rooms, arguments.rate, arguments.seed, arguments.heartbeat_duration))


if __name__ == "__main__":
    main()
