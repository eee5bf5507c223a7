"""Fleet benchmark: worker processes writing simulated rooms' events into Redis streams.

::

    python benches/fleet.py --rooms 100 --workers 2 [--rate 1] [--warmup 10] [--seconds 30]
    python benches/fleet.py --all --total-rate 300   # 1 and 2 workers x 100 and 1000 rooms, a table

Each run starts its own ``redis-server`` (no persistence), a simulator process
(``sim_server.py``: N endless lively rooms, ``load_user0`` …) and W ``pytiktoklive fleet worker``
processes. Once every room is live on a worker and after a warm-up, it measures for ``--seconds``:

* events/s written into the streams (the per-stream entry counters) and the rate the simulator
  emitted in the same window (the simulator may be the bottleneck: it is one process);
* CPU seconds of all workers together (``/proc/<pid>/stat``) per 10,000 events written, and of
  redis-server;
* with 2 workers, takeover after SIGKILL: seconds from the kill until every room of the killed
  worker is held by the other one (``RoomStatus.since_ms``), with the lease TTL used.

Measurements only: nothing here asserts a duration. Prints a JSON object per run (and a Markdown
table with ``--all``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from pytiktoklive.fleet import Fleet  # noqa: E402
from redis_server import RedisServer  # noqa: E402 - the tests' real redis-server helper

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def written(fleet: Fleet) -> int:
    store = await fleet._open()
    keys = [store.keys.stream_counter(shard) for shard in range(store.config.shards)]
    values = await store.client.mget(keys)
    return sum(int(value or 0) for value in values)


async def wait_all_live(fleet: Fleet, rooms: int, workers: int, timeout: float = 900) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        status = await fleet.status()
        live = sum(1 for room in status.rooms if room.state == "live")
        if live == rooms and len(status.workers) == workers:
            return time.monotonic() - started
        await asyncio.sleep(1.0)
    raise RuntimeError(f"rooms not all live after {timeout}s")


async def run(
    rooms: int, workers: int, rate: float, warmup: float, seconds: float, lease_ttl: float
) -> Dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    redis = RedisServer(directory / "redis").start()
    sim = subprocess.Popen(
        [sys.executable, str(HERE / "sim_server.py"), "--rooms", str(rooms), "--rate", str(rate)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert sim.stdout is not None and sim.stdin is not None
    endpoints = json.loads(sim.stdout.readline())

    def sim_stats() -> Dict[str, Any]:
        assert sim.stdout is not None and sim.stdin is not None
        sim.stdin.write("stats\n")
        sim.stdin.flush()
        return dict(json.loads(sim.stdout.readline()))

    processes: List[subprocess.Popen[bytes]] = []
    result: Dict[str, Any] = {"rooms": rooms, "workers": workers, "rate": round(rate, 4)}
    result["lease_ttl"] = lease_ttl
    try:
        async with Fleet(redis.url, shards=16) as fleet:
            await fleet.add(*(f"load_user{index}" for index in range(rooms)))
            for index in range(workers):
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable, "-m", "pytiktoklive", "fleet", "worker",
                            "--redis", redis.url, "--endpoint", endpoints["www"],
                            "--name", f"bench{index}", "--capacity", str(rooms),
                            "--lease-ttl", str(lease_ttl),
                            "--watch-interval", "2", "--lookups-per-second", "100",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=open(directory / f"bench{index}.log", "wb"),  # noqa: SIM115
                    )
                )  # fmt: skip
            result["all_live_after_s"] = round(await wait_all_live(fleet, rooms, workers), 1)
            await asyncio.sleep(warmup)
            load_before = os.getloadavg()[0]
            events_before, sim_before = await written(fleet), sim_stats()
            cpu_before = [cpu_seconds(process.pid) for process in processes]
            redis_cpu_before = cpu_seconds(redis.process.pid)
            started = time.monotonic()
            await asyncio.sleep(seconds)
            elapsed = time.monotonic() - started
            events = await written(fleet) - events_before
            sim_after = sim_stats()
            worker_cpu = sum(cpu_seconds(p.pid) - before for p, before in zip(processes, cpu_before))
            redis_cpu = cpu_seconds(redis.process.pid) - redis_cpu_before
            result.update(
                events_per_s=round(events / elapsed, 1),
                emitted_per_s=round((sim_after["emitted"] - sim_before["emitted"]) / elapsed, 1),
                worker_cpu_percent=round(100 * worker_cpu / elapsed, 1),
                worker_cpu_s_per_10k=round(worker_cpu / events * 10_000, 2) if events else None,
                redis_cpu_s_per_10k=round(redis_cpu / events * 10_000, 2) if events else None,
                loadavg_before=round(load_before, 1),
                loadavg_after=round(os.getloadavg()[0], 1),
            )
            if workers >= 2:
                owners = {room.room: room.worker for room in (await fleet.status()).rooms}
                victim = processes[0]
                victim_rooms = [room for room, worker in owners.items() if worker.startswith("bench0/")]
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                killed_ms = time.time() * 1000
                while True:
                    status = {room.room: room for room in (await fleet.status()).rooms}
                    holders = [status[name].worker for name in victim_rooms]
                    if all(holder and not holder.startswith("bench0/") for holder in holders):
                        break
                    await asyncio.sleep(0.2)
                taken = [status[name].since_ms for name in victim_rooms]
                result["takeover_rooms"] = len(victim_rooms)
                result["takeover_s_max"] = round((max(taken) - killed_ms) / 1000, 2)
                result["takeover_s_min"] = round((min(taken) - killed_ms) / 1000, 2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        sim.wait(30)
        redis.stop()
    return result


def table(results: List[Dict[str, Any]]) -> str:
    lines = [
        "| rooms | workers | events/s written | simulator emitted/s | workers' CPU | CPU per 10k events "
        "(workers / Redis) | takeover after SIGKILL (TTL) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        takeover = "—"
        if "takeover_s_max" in r:
            takeover = f"{r['takeover_s_max']} s for {r['takeover_rooms']} rooms ({r['lease_ttl']:g} s)"
        cpu = f"{r['worker_cpu_s_per_10k']} s / {r['redis_cpu_s_per_10k']} s"
        lines.append(
            f"| {r['rooms']} | {r['workers']} | {r['events_per_s']:,} | {r['emitted_per_s']:,} | "
            f"{r['worker_cpu_percent']} % | {cpu} | {takeover} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate", type=float, default=1.0, help="LivelyScenario rate (~6x msgs/s a room)")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--lease-ttl", type=float, default=6.0)
    parser.add_argument(
        "--total-rate",
        type=float,
        help="messages/s for all rooms together (sets --rate per room count; one simulator process "
        "saturates at a few hundred on a busy machine)",
    )
    parser.add_argument("--all", action="store_true", help="1 and 2 workers x 100 and 1000 rooms")
    args = parser.parse_args()
    configs = [(100, 1), (100, 2), (1000, 1), (1000, 2)] if args.all else [(args.rooms, args.workers)]
    results = []
    for rooms, workers in configs:
        rate = args.total_rate / (6 * rooms) if args.total_rate else args.rate
        result = asyncio.run(run(rooms, workers, rate, args.warmup, args.seconds, args.lease_ttl))
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.all:
        print(table(results))


if __name__ == "__main__":
    main()
