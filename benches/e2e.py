"""End-to-end benchmark: N rooms of pre-encoded real frames over real websockets into one client.

::

    python benches/e2e.py --rooms 1000 --rate 0 --warmup 10 --seconds 30 [--json-out FILE]

The load generator (``loadgen.py``, child processes: the simulator for discovery and the
signed first fetch, ``--workers`` push processes for the frames) serves ``N`` rooms; this
process tracks them all with :meth:`TikTok.track_many` (its default concurrency) and
consumes the merged stream (``async for live, event in group``, or with ``--consumer batches``
``async for live, events in group.batches()``), as an application would.
``--rate 0`` saturates: every room sends as fast as the client reads, so the client is the
limit and every room's buffer fills. One run reports, in one JSON object:

* ``setup_seconds``: ``track_many`` (page, ``room/info``, signed first ``im/fetch`` per room);
  ``connect_seconds``: until every room's websocket is open (the generator counts them). The
  push processes send nothing until then, so connecting is measured on its own;
* ``events_per_second`` delivered to the consumer in the window, and
  ``events_per_cpu_second``: per CPU-second of this process (``time.process_time``);
* ``decode_events_per_cpu_second``: :func:`pytiktoklive.decode_frame` alone on the same frames
  (as the push processes send them), measured in this process in short bursts spread over the
  window (:class:`DecodeSampler`; the client is paused meanwhile, and the bursts' time is left
  out of the client's), and ``e2e_over_decode``, the ratio of the two. Interleaved, both sides
  of the ratio see the same machine: on a shared VM whose speed drifts by a third within
  minutes, a decode-only figure taken after the window alone moved the ratio by as much
  (``decode_after_events_per_cpu_second``, still reported, is that figure);
* memory: resident set size with every room running minus before tracking (after one
  warm-up room was tracked and closed), per room (``kib_per_room``), with the events then
  buffered; ``bytes_per_event``: Python memory of decoded events (tracemalloc);
* latency: consumer wall clock minus the moment a push process wrote the frame (the msg_id
  carries it, see ``loadgen.sent_ms``), p50 / p99; under saturation this is queueing;
* reconnects and duplicates dropped over all rooms (both should be 0), and the 1-minute
  load average before and after: the machine is shared, so read the numbers with it.

``--tiktoklive`` also runs TikTokLive 7.x's decoder on the same frames in ``.venv-bench``
(``tiktoklive_decode.py``) for a side-by-side events-per-CPU-second figure.

Measurements only: nothing here asserts a duration. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import Child
from jsonline import emit
from loadgen import PREFIX, WARMUP, decode_frames, load_templates, sent_ms
from pytiktoklive import TikTok, decode_frame
from pytiktoklive.config import Endpoints
from pytiktoklive.decoding import backend

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
#: The consumer reads the latency of one event in this many.
LATENCY_SAMPLE = 16
#: A decode-only burst every this many seconds of the window, of this many CPU-seconds
#: (:class:`DecodeSampler`): ~6% of the window, ~2,500 frames per 15-second window here.
SAMPLE_EVERY = 0.5
SAMPLE_SECONDS = 0.03


def rss_bytes() -> int:
    """Current resident set size (Linux ``/proc``; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class GCTimer:
    """Seconds the cyclic garbage collector took (``gc.callbacks``), for the report. A collection
    never waits, so its wall time is its CPU time; ``perf_counter`` is read without a syscall,
    while ``process_time`` (a syscall) cost ~2% of the client's CPU at a thousand collections a
    minute."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.by_generation = [[0, 0.0], [0, 0.0], [0, 0.0]]  # collections, CPU seconds
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: Dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            took = time.perf_counter() - self._began
            self.seconds += took
            entry = self.by_generation[info["generation"]]
            entry[0] += 1
            entry[1] = round(entry[1] + took, 3)


def percentile(ordered: List[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class LoadGen(Child):
    """The load generator's processes, driven over their stdin/stdout command channel."""

    def __init__(self, rooms: int, rate: float, workers: int) -> None:
        command = [sys.executable, str(HERE / "loadgen.py"), "--rooms", str(rooms), "--rate", str(rate)]
        command += ["--workers", str(workers)]
        super().__init__(command, "the load generator")
        self.endpoints = Endpoints(**self.ask())

    def stats(self) -> Dict[str, Any]:
        stats: Dict[str, Any] = self.ask("stats")
        return stats


class DecodeSampler:
    """Decode-only bursts interleaved with the measurement window.

    Each :meth:`burst` decodes the next frames (cyclically) for about ``burst_seconds`` of
    this thread's CPU, blocking the event loop meanwhile: the client is paused, not competing.
    The bursts' events and thread CPU give the decode-only rate; their process CPU and wall time
    are what the caller leaves out of the client's figures.
    """

    def __init__(self, frames: List[bytes], burst_seconds: float) -> None:
        self.frames = frames
        self.burst_seconds = burst_seconds
        self.events = 0
        self.bursts = 0
        self.thread_cpu = 0.0
        self.process_cpu = 0.0
        self.wall = 0.0
        self._next = 0

    def burst(self) -> None:
        frames = self.frames
        wall, process, began = time.perf_counter(), time.process_time(), time.thread_time()
        events = 0
        while True:
            frame = frames[self._next]
            self._next = (self._next + 1) % len(frames)
            events += len(decode_frame(frame).events)
            if time.thread_time() - began >= self.burst_seconds:
                break
        self.thread_cpu += time.thread_time() - began
        self.process_cpu += time.process_time() - process
        self.wall += time.perf_counter() - wall
        self.events += events
        self.bursts += 1

    @property
    def events_per_cpu_second(self) -> Optional[float]:
        return round(self.events / self.thread_cpu, 1) if self.thread_cpu else None


def decode_only(frames: List[bytes], seconds: float) -> Dict[str, Any]:
    """The decoder alone over ``frames``: events per CPU-second, and bytes per decoded event."""
    for frame in frames:  # warm-up: class set-up, caches
        decode_frame(frame)
    events = 0
    began = time.process_time()
    while time.process_time() - began < seconds:
        for frame in frames:
            events += len(decode_frame(frame).events)
    cpu = time.process_time() - began
    gc.collect()
    tracemalloc.start()
    kept = [decode_frame(frame).events for frame in frames]
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    count = sum(map(len, kept))
    del kept
    return {
        "decode_events_per_cpu_second": round(events / cpu, 1),
        "bytes_per_event": round(size / count),
        "frame_wire_bytes": round(sum(map(len, frames)) / len(frames)),
        "events_per_frame": round(count / len(frames), 1),
    }


def tiktoklive_decode(frames: List[bytes], seconds: float) -> Optional[Dict[str, Any]]:
    """TikTokLive's decoder on the same frames, in ``.venv-bench`` (None if that venv is absent)."""
    python = REPO / ".venv-bench" / "bin" / "python"
    if not python.exists():
        return None
    payload = b"".join(len(frame).to_bytes(4, "big") + frame for frame in frames)
    done = subprocess.run(
        [str(python), str(HERE / "tiktoklive_decode.py"), "--seconds", str(seconds)],
        input=payload,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.decode(errors="replace")[-300:]}
    parsed: Dict[str, Any] = json.loads(done.stdout)
    return parsed


async def run(
    rooms: int,
    rate: float,
    workers: int,
    warmup: float,
    seconds: float,
    concurrency: Optional[int],
    decode_seconds: float,
    with_tiktoklive: bool,
    profile: Optional[Path] = None,
    batches: bool = False,
    buffer_budget: Optional[int] = None,
    gc_freeze: bool = False,
) -> Dict[str, Any]:
    client_options: Dict[str, Any] = {} if buffer_budget is None else {"buffer_budget": buffer_budget}
    templates = load_templates()
    frames = decode_frames(templates, 64)
    gen = LoadGen(rooms, rate, workers)
    try:
        names = [f"{PREFIX}{index}" for index in range(rooms)]
        async with TikTok(gen.endpoints, **client_options) as tiktok:
            # Track, read and close one room first, so that lazy imports, the HTTP connection
            # pool and the decoder's class checks are not counted as the rooms' memory.
            async with await tiktok.track_user(WARMUP, fetch_gift_info=False) as warm:
                await warm.events.__anext__()
            gc.collect()
            rss_before = rss_bytes()
            opened_before = gen.stats()["connections"]
            setup_began = time.perf_counter()
            extra = {} if concurrency is None else {"concurrency": concurrency}
            group = await tiktok.track_many(
                names, fetch_gift_info=False, process_initial_events=False, **extra
            )
            setup_seconds = time.perf_counter() - setup_began
            counted = 0
            measuring = False
            latencies: List[float] = []

            async def consume() -> None:
                # The consumer is the client's user: it counts every event and reads the latency
                # of one in LATENCY_SAMPLE (a clock read per event would be the user's cost, not
                # the library's, and would be counted as the client's CPU).
                nonlocal counted
                async for _live, event in group:
                    counted += 1
                    if not counted % LATENCY_SAMPLE:
                        sent = sent_ms(event.msg_id)
                        if sent and measuring:
                            latencies.append(time.time() * 1000.0 - sent)

            async def consume_batches() -> None:
                # The same, a batch at a time (the latency of each batch's first event).
                nonlocal counted
                async for _live, events in group.batches():
                    counted += len(events)
                    sent = sent_ms(events[0].msg_id)
                    if sent and measuring:
                        latencies.append(time.time() * 1000.0 - sent)

            consumer = asyncio.ensure_future(consume_batches() if batches else consume())
            connect_seconds: Optional[float] = None
            while time.perf_counter() - setup_began < setup_seconds + 120.0:
                stats = await asyncio.to_thread(gen.stats)
                if stats["connections"] - opened_before >= len(group.lives):
                    connect_seconds = time.perf_counter() - setup_began
                    break
                await asyncio.sleep(0.1)
            if gc_freeze:
                # The README's tip for many rooms: what lives now (the rooms' connections,
                # sessions, tasks) leaves the collector's full passes.
                gc.collect()
                gc.freeze()
            await asyncio.to_thread(gen.ask, "go")
            await asyncio.sleep(warmup)
            gen_before = await asyncio.to_thread(gen.stats)
            load_before = os.getloadavg()[0]
            gc_timer = GCTimer()
            sampler = DecodeSampler(frames, SAMPLE_SECONDS)
            sampler.burst()  # warm-up: class set-up, caches
            sampler = DecodeSampler(frames, SAMPLE_SECONDS)
            times_before = os.times()
            count_before, cpu_before, wall_before = counted, time.process_time(), time.perf_counter()
            measuring = True
            if profile is not None:
                profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
                profiler.enable()
            window_end = time.perf_counter() + seconds
            while True:
                left = window_end - time.perf_counter()
                if left <= 0:
                    break
                await asyncio.sleep(min(left, SAMPLE_EVERY))
                if time.perf_counter() < window_end:
                    sampler.burst()
            if profile is not None:
                profiler.disable()
                profiler.dump_stats(str(profile))
            measuring = False
            count_after, cpu_after, wall_after = counted, time.process_time(), time.perf_counter()
            times_after = os.times()
            gc.callbacks.remove(gc_timer._callback)
            gen_after = await asyncio.to_thread(gen.stats)
            rss_running = rss_bytes()
            buffered = sum(len(live._buffer) for live in group.lives.values())
            reconnects = sum(live.stats["reconnects"] for live in group.lives.values())
            duplicates = sum(live.stats["duplicates_dropped"] for live in group.lives.values())
            consumer.cancel()
            await asyncio.gather(consumer, return_exceptions=True)
            await group.close()
    finally:
        gen.close()
    events = count_after - count_before
    # The client's own time: the decode-only bursts paused it.
    wall = wall_after - wall_before - sampler.wall
    cpu = cpu_after - cpu_before - sampler.process_cpu
    system_cpu = times_after.system - times_before.system
    latencies.sort()
    gen_wall = gen_after["wall"] - gen_before["wall"]
    push_cpu = sum(gen_after["push_cpu_seconds"]) - sum(gen_before["push_cpu_seconds"])
    result: Dict[str, Any] = {
        "rooms": rooms,
        "tracked": len(group.lives),
        "failed": len(group.failures),
        "failure_sample": sorted({repr(error)[:200] for error in group.failures.values()})[:3],
        "rate": rate,
        "consumer": "batches" if batches else "events",
        "gc_freeze": gc_freeze,
        "workers": workers,
        "decoder": backend(),
        "setup_seconds": round(setup_seconds, 2),
        "connect_seconds": round(connect_seconds, 2) if connect_seconds is not None else None,
        "window_seconds": round(wall, 2),
        "events": events,
        "events_per_second": round(events / wall, 1),
        "events_per_cpu_second": round(events / cpu, 1) if cpu else None,
        "client_cpu_percent": round(100.0 * cpu / wall, 1),
        # The kernel's share (socket reads and writes; on loopback a write also runs the peer's
        # receive path): CPU time the decoder-only denominator does not have.
        "client_system_cpu_percent_of_client": round(100.0 * system_cpu / cpu, 1) if cpu else None,
        "gc_cpu_percent_of_client": round(100.0 * gc_timer.seconds / cpu, 1) if cpu else None,
        "gc_collections_by_generation": gc_timer.by_generation,
        "gc_tracked_objects": len(gc.get_objects()),
        "sent_per_second": round((gen_after["messages"] - gen_before["messages"]) / gen_wall, 1),
        "acks_per_second": round((gen_after["acks"] - gen_before["acks"]) / gen_wall, 1),
        "push_cpu_percent": round(100.0 * push_cpu / gen_wall, 1),
        "rss_mib_before": round(rss_before / 2**20, 1),
        "rss_mib_running": round(rss_running / 2**20, 1),
        "kib_per_room": round((rss_running - rss_before) / 1024 / rooms, 1),
        "buffered_events": buffered,
        "latency_ms_p50": round(percentile(latencies, 0.50), 1),
        "latency_ms_p99": round(percentile(latencies, 0.99), 1),
        "reconnects": reconnects,
        "duplicates_dropped": duplicates,
        "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    after = decode_only(frames, decode_seconds)
    after["decode_after_events_per_cpu_second"] = after.pop("decode_events_per_cpu_second")
    result.update(after)
    result["decode_events_per_cpu_second"] = sampler.events_per_cpu_second
    result["decode_samples"] = {
        "bursts": sampler.bursts,
        "cpu_seconds": round(sampler.thread_cpu, 2),
    }
    if result["events_per_cpu_second"]:
        result["e2e_over_decode"] = round(
            result["events_per_cpu_second"] / result["decode_events_per_cpu_second"], 3
        )
    if with_tiktoklive:
        result["tiktoklive"] = tiktoklive_decode(frames, decode_seconds)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s per room; 0: saturate")
    parser.add_argument("--workers", type=int, default=2, help="push processes of the load generator")
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds after connecting before measuring"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the measurement window")
    parser.add_argument("--concurrency", type=int, help="track_many's concurrency (default: its own)")
    parser.add_argument("--decode-seconds", type=float, default=3.0, help="CPU seconds of decode-only")
    parser.add_argument("--tiktoklive", action="store_true", help="TikTokLive's decoder too (.venv-bench)")
    parser.add_argument("--profile", type=Path, help="cProfile the measurement window into this file")
    parser.add_argument(
        "--consumer",
        choices=("events", "batches"),
        default="events",
        help="async for live, event in group (default), or async for live, events in group.batches()",
    )
    parser.add_argument("--buffer-budget", type=int, help="the client's buffer_budget (default: its own)")
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() once every room is connected (README's tip)"
    )
    parser.add_argument("--json-out", type=Path, help="append the result as one JSON line to this file")
    arguments = parser.parse_args()
    result = asyncio.run(
        run(
            arguments.rooms,
            arguments.rate,
            arguments.workers,
            arguments.warmup,
            arguments.seconds,
            arguments.concurrency,
            arguments.decode_seconds,
            arguments.tiktoklive,
            arguments.profile,
            arguments.consumer == "batches",
            arguments.buffer_budget,
            arguments.gc_freeze,
        )
    )
    emit(result, arguments.json_out)


if __name__ == "__main__":
    main()
