"""End-to-end benchmark: N simulated rooms over real websockets into one client process.

::

    python benches/e2e.py --rooms 100 --rate 1 --warmup 10 --seconds 30 [--json-out FILE]

A child process (``sim_server.py``) serves ``N`` endless lively rooms; this process tracks
them all with :meth:`TikTok.track_many` and consumes the merged stream (``async for live,
event in group``), as an application would. After every room is connected and a warm-up,
it measures for ``--seconds``:

* events/s delivered to the consumer (and the rate the simulator emitted in the same window);
* CPU seconds of this process per 10,000 events (``time.process_time``: all its threads);
* memory per room: resident set size once every room is running minus before tracking (after
  one warm-up room was tracked and closed), / N;
* added latency: consumer wall clock minus the event's ``create_time`` (the simulator stamps
  ``Common.create_time`` in ms when the room emits the message), p50 / p99 / max. It covers the
  simulator's send path, loopback, decoding, the room's buffer and the group's queue;
  ``client_latency`` is the part inside the client: consumer clock minus the moment the
  websocket reader handed the event's frame to the protocol (instrumented below).
* the 1-minute load average before and after: the machine is shared, so read the numbers
  with it.

Measurements only: nothing here asserts a duration. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any, Dict, List, Tuple

from pytiktoklive import TikTok
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive.config import Endpoints
from pytiktoklive.decoding import backend

HERE = Path(__file__).resolve().parent
PREFIX = "load_user"

#: (room id, msg_id) -> wall clock (s) when the websocket reader handed the frame to the protocol.
arrivals: Dict[Tuple[int, int], float] = {}
_receive_frame = WebcastProtocol.receive_frame


def _timed_receive_frame(protocol: WebcastProtocol, data: bytes) -> None:
    """Bench-only instrumentation: remember when each event's frame arrived, to split the
    latency into "before the client had the bytes" and "inside the client"."""
    arrived = time.time()
    pending: List[Any] = getattr(protocol, "_events", [])
    already = len(pending)
    _receive_frame(protocol, data)
    for event in getattr(protocol, "_events", [])[already:]:
        arrivals[(protocol.room_id, event.msg_id)] = arrived


WebcastProtocol.receive_frame = _timed_receive_frame  # type: ignore[method-assign]


def rss_bytes() -> int:
    """Current resident set size (Linux ``/proc``; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def percentile(ordered: List[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class SimProcess:
    """The simulator child process and its stdin/stdout command channel."""

    def __init__(self, rooms: int, rate: float, heartbeat_duration: int) -> None:
        command = [sys.executable, str(HERE / "sim_server.py"), "--rooms", str(rooms), "--rate", str(rate)]
        command += ["--heartbeat-duration", str(heartbeat_duration)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.endpoints = Endpoints(**self._read())

    def _read(self) -> Dict[str, Any]:
        stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the simulator process exited ({self.process.wait()})")
        parsed: Dict[str, Any] = json.loads(line)
        return parsed

    def stats(self) -> Dict[str, Any]:
        stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        stdin.write("stats\n")
        stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
            stdin.write("quit\n")
            stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            if self.process.stdout is not None:  # else a ResourceWarning when run under pytest
                self.process.stdout.close()


async def run(
    rooms: int, rate: float, warmup: float, seconds: float, concurrency: int, heartbeat_duration: int
) -> Dict[str, Any]:
    sim = SimProcess(rooms, rate, heartbeat_duration)
    try:
        names = [f"{PREFIX}{index}" for index in range(rooms)]
        async with TikTok(sim.endpoints) as tiktok:
            # Track, read and close one room first, so that lazy imports, the HTTP connection
            # pool and the decoder's class checks are not counted as the rooms' memory.
            async with await tiktok.track_user("warmup_user", fetch_gift_info=False) as warm:
                await warm.events.__anext__()
            rss_before = rss_bytes()
            setup_began = time.perf_counter()
            group = await tiktok.track_many(
                names, concurrency=concurrency, fetch_gift_info=False, process_initial_events=False
            )
            setup_seconds = time.perf_counter() - setup_began
            counted = 0
            measuring = False
            lag_ms = float("inf")  # consumer clock - create_time of the last event
            latencies: List[float] = []  # consumer clock - create_time (ms)
            in_client: List[float] = []  # consumer clock - frame arrival (ms)

            async def consume() -> None:
                nonlocal counted, lag_ms
                async for live, event in group:
                    counted += 1
                    arrived = arrivals.pop((live.room_id, event.msg_id), None)
                    now = time.time()
                    if event.create_time:
                        lag_ms = now * 1000.0 - event.create_time
                    if measuring:
                        if event.create_time:
                            latencies.append(now * 1000.0 - event.create_time)
                        if arrived is not None:
                            in_client.append((now - arrived) * 1000.0)

            consumer = asyncio.ensure_future(consume())
            # Events buffered while the other rooms were being set up drain first: measure
            # from when the consumer has caught up (lag under a second), or give up waiting.
            warmup_began = time.perf_counter()
            await asyncio.sleep(warmup)
            while lag_ms > 1000.0 and time.perf_counter() - warmup_began < warmup + 120.0:
                await asyncio.sleep(0.5)
            warmup_seconds = time.perf_counter() - warmup_began
            caught_up = lag_ms <= 1000.0
            sim_before = await asyncio.to_thread(sim.stats)
            load_before = os.getloadavg()[0]
            count_before, cpu_before, wall_before = counted, time.process_time(), time.perf_counter()
            measuring = True
            await asyncio.sleep(seconds)
            measuring = False
            count_after, cpu_after, wall_after = counted, time.process_time(), time.perf_counter()
            sim_after = await asyncio.to_thread(sim.stats)
            rss_running = rss_bytes()
            consumer.cancel()
            await asyncio.gather(consumer, return_exceptions=True)
            await group.close()
        events = count_after - count_before
        wall = wall_after - wall_before
        cpu = cpu_after - cpu_before
        latencies.sort()
        in_client.sort()
        sim_wall = sim_after["wall"] - sim_before["wall"]
        return {
            "rooms": rooms,
            "tracked": len(group.lives),
            "failed": len(group.failures),
            "failure_sample": sorted({repr(error)[:200] for error in group.failures.values()})[:3],
            "rate": rate,
            "decoder": backend(),
            "heartbeat_duration": heartbeat_duration,
            "setup_seconds": round(setup_seconds, 2),
            "warmup_seconds": round(warmup_seconds, 1),
            "caught_up": caught_up,
            "window_seconds": round(wall, 2),
            "events": events,
            "events_per_second": round(events / wall, 1),
            "emitted_per_second": round((sim_after["emitted"] - sim_before["emitted"]) / sim_wall, 1),
            "sent_per_second": round((sim_after["sent"] - sim_before["sent"]) / sim_wall, 1),
            "frames_per_second": round((sim_after["frames"] - sim_before["frames"]) / sim_wall, 1),
            "client_cpu_seconds": round(cpu, 3),
            "client_cpu_percent": round(100.0 * cpu / wall, 1),
            "cpu_ms_per_10k_events": round(1000.0 * cpu / events * 10_000, 1) if events else None,
            "sim_cpu_percent": round(
                100.0 * (sim_after["cpu_seconds"] - sim_before["cpu_seconds"]) / sim_wall, 1
            ),
            "rss_mib_before": round(rss_before / 2**20, 1),
            "rss_mib_running": round(rss_running / 2**20, 1),
            "kib_per_room": round((rss_running - rss_before) / 1024 / rooms, 1),
            "latency_ms_p50": round(percentile(latencies, 0.50), 1),
            "latency_ms_p99": round(percentile(latencies, 0.99), 1),
            "latency_ms_max": round(latencies[-1], 1) if latencies else None,
            "client_latency_ms_p50": round(percentile(in_client, 0.50), 2),
            "client_latency_ms_p99": round(percentile(in_client, 0.99), 2),
            "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
    finally:
        sim.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--rate", type=float, default=1.0, help="LivelyScenario rate (~8 messages/s at 1)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds after setup before measuring")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the measurement window")
    parser.add_argument("--concurrency", type=int, default=16, help="track_many's concurrent room look-ups")
    parser.add_argument(
        "--heartbeat-duration",
        type=int,
        default=15,
        help="FetchResult.heartbeat_duration of the simulated rooms (the client reads it as ms)",
    )
    parser.add_argument("--json-out", type=Path, help="append the result as one JSON line to this file")
    arguments = parser.parse_args()
    result = asyncio.run(
        run(
            arguments.rooms,
            arguments.rate,
            arguments.warmup,
            arguments.seconds,
            arguments.concurrency,
            arguments.heartbeat_duration,
        )
    )
    line = json.dumps(result)
    print(line)
    if arguments.json_out is not None:
        with arguments.json_out.open("a") as out:
            out.write(line + "\n")


if __name__ == "__main__":
    main()
