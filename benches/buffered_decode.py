"""Decoding while many events stay buffered: what the cyclic garbage collector costs.

A client tracking many rooms holds thousands of decoded events in its buffers. Every
object the collector tracks is walked again at each full (generation 2) collection, so
the events, users, badges and tuples the decoder builds can cost more in the collector
than they took to build. This bench decodes the busy room's frames (:mod:`busy_room`) in a
loop and keeps the last ``--buffered`` events alive, as buffers do. The consumer takes the
oldest events in bursts (every ``--burst`` frames), as a consumer that falls behind does: the
collector runs when allocations outnumber deallocations by its threshold, which a buffer
freeing one old event per new one never does. Then it reports:

* events per second of that loop;
* time spent in the collector, per generation (``gc.callbacks``), and how many
  collections ran;
* how many objects the collector tracks at the end (``len(gc.get_objects())``).

::

    .venv/bin/python benches/buffered_decode.py --buffered 100000 --seconds 10

Run it against two builds of the extension, in turn, to compare them on a noisy machine.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any, Deque, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytiktoklive
from busy_room import build_frames, captured_messages


class GcClock:
    """Time spent in each generation's collections, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: Dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            generation = info["generation"]
            self.seconds[generation] += time.perf_counter() - self._started
            self.collections[generation] += 1


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buffered", type=int, default=100_000, help="events kept alive (default 100000)")
    parser.add_argument(
        "--burst", type=int, default=32, help="frames decoded between two drains (default 32)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    args = parser.parse_args(argv)

    messages = captured_messages()
    if messages is None:
        print("no captures found (set PYTIKTOKLIVE_CAPTURES)", file=sys.stderr)
        return 2
    frames = build_frames(messages).frames
    decode_frame = pytiktoklive.decode_frame
    buffer: Deque[Any] = collections.deque()

    # Fill the buffer first: the figures are for a client whose buffers are full.
    while len(buffer) < args.buffered:
        for frame in frames:
            buffer.extend(decode_frame(frame).events)

    clock = GcClock()
    gc.collect()
    gc.callbacks.append(clock)
    events = 0
    start = time.perf_counter()
    deadline = start + args.seconds
    try:
        while time.perf_counter() < deadline:
            for index, frame in enumerate(frames, 1):
                batch = decode_frame(frame).events
                buffer.extend(batch)
                events += len(batch)
                if index % args.burst == 0:
                    for _ in range(len(buffer) - args.buffered):
                        buffer.popleft()
    finally:
        elapsed = time.perf_counter() - start
        gc.callbacks.remove(clock)

    result = {
        "backend": pytiktoklive.decoding.backend(),
        "buffered": args.buffered,
        "events_per_second": events / elapsed,
        "gc_seconds_share": sum(clock.seconds) / elapsed,
        "gc_seconds": clock.seconds,
        "gc_collections": clock.collections,
        "tracked_objects": len(gc.get_objects()),
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['events_per_second']:,.0f} events/s with {args.buffered:,} events buffered; "
            f"GC {result['gc_seconds_share']:.1%} of the time "
            f"(gen0/1/2: {clock.seconds[0]:.2f}/{clock.seconds[1]:.2f}/{clock.seconds[2]:.2f} s in "
            f"{clock.collections[0]}/{clock.collections[1]}/{clock.collections[2]} collections); "
            f"{result['tracked_objects']:,} objects tracked"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
