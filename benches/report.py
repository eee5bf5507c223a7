"""Turn benchmark outputs into the markdown of the README's performance section.

::

    python benches/report.py --decode ours.json --decode tiktoklive.json --e2e e2e.jsonl \\
        --command "bash scripts/bench.sh" --out results.md

``--decode`` files are pytest-benchmark ``--benchmark-json`` outputs of ``test_decode*.py``
(each test decodes all of the busy room's frames per round; ``extra_info`` holds the sizes);
``--e2e`` is the JSON-lines file ``e2e.py --json-out`` appends to.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

#: Row label and what it measures, by benchmark name.
DECODERS = {
    "test_rust": ("pytiktoklive, Rust core", "`pytiktoklive.decode_frame`: frame → event objects"),
    "test_pure": ("pytiktoklive, pure Python", "`pytiktoklive._pure.decode_frame` (PYTIKTOKLIVE_PURE=1)"),
    "test_tiktoklive": ("TikTokLive 7.x", "its client's path: betterproto2 + pydantic event classes"),
    "test_rust_no_objects": ("Rust core, no Python objects", "`_core.count_frame_messages`: bytes only"),
}
BASELINE = "test_tiktoklive"


def machine() -> List[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        kernel = subprocess.run(["uname", "-sr"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        kernel = platform.platform()
    return [
        f"* `nproc`: {os.cpu_count()} (shared with other jobs; 1-min load average {os.getloadavg()[0]:.2f} "
        "when this report was written)",
        f"* CPU: {cpu}",
        f"* Python: {platform.python_version()} ({platform.python_implementation()}), {kernel}",
    ]


def decode_rows(files: List[Path]) -> List[str]:
    found: Dict[str, Dict[str, Any]] = {}
    versions: Dict[str, str] = {}
    for file in files:
        data = json.loads(file.read_text())
        for bench in data["benchmarks"]:
            found[bench["name"]] = bench
            versions[bench["name"]] = data.get("machine_info", {}).get("python_version", "")
    if not found:
        return ["(no decode results)"]
    any_bench = next(iter(found.values()))
    info = any_bench["extra_info"]
    digests = {bench["extra_info"]["frames_digest"] for bench in found.values()}
    mix = ", ".join(f"{count} {method.replace('Webcast', '')}" for method, count in info["methods"].items())
    lines = [
        f"Input: {info['frames']} websocket frames (PushFrame + gzip + FetchResult), {info['messages']} real "
        f"captured messages ({mix}); "
        f"{info['wire_bytes'] / 1e6:.2f} MB on the wire, {info['inflated_bytes'] / 1e6:.2f} MB inflated. "
        f"Every decoder decodes the same bytes (frame-set digest {', '.join(sorted(digests))}).",
        "",
        "| decoder | what is timed | events/s | MB/s (wire) | MB/s (inflated) | µs/event | vs TikTokLive |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    baseline: Optional[float] = None
    if BASELINE in found:
        baseline = found[BASELINE]["extra_info"]["messages"] / found[BASELINE]["stats"]["median"]
    for name, (label, what) in DECODERS.items():
        bench = found.get(name)
        if bench is None:
            continue
        extra = bench["extra_info"]
        seconds = bench["stats"]["median"]
        rate = extra["messages"] / seconds
        ratio = f"{rate / baseline:.0f}x" if baseline else "-"
        lines.append(
            f"| {label} | {what} | {rate:,.0f} | {extra['wire_bytes'] / seconds / 1e6:.1f} "
            f"| {extra['inflated_bytes'] / seconds / 1e6:.1f} | {seconds / extra['messages'] * 1e6:.1f} "
            f"| {ratio} |"
        )
    lines += [
        "",
        "Median of the rounds (pytest-benchmark); one round decodes all frames. Rounds: "
        + ", ".join(f"{name} {found[name]['stats']['rounds']}" for name in DECODERS if name in found)
        + ". Spread (IQR / median): "
        + ", ".join(
            f"{name} {found[name]['stats']['iqr'] / found[name]['stats']['median']:.0%}"
            for name in DECODERS
            if name in found
        )
        + ".",
    ]
    return lines


def e2e_rows(file: Path) -> List[str]:
    runs = [json.loads(line) for line in file.read_text().splitlines() if line.strip()]
    if not runs:
        return ["(no end-to-end results)"]
    lines = [
        "| rooms | rate / room | decoder | emitted ev/s (sim) | delivered ev/s | frames/s | client CPU "
        "| CPU ms / 10k events | memory / room | latency p50 / p99 (create → consumer) "
        "| in the client p50 / p99 | sim CPU | load avg |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        tracked = f"{run['tracked']}" + (f" ({run['failed']} failed)" if run["failed"] else "")
        decoder = run["decoder"] + ("" if run["heartbeat_duration"] == 10000 else ", hb 15 ms*")
        per_room = run["emitted_per_second"] / max(run["rooms"], 1)
        cpu_per_10k = run["cpu_ms_per_10k_events"]
        lines.append(
            f"| {tracked} | {per_room:,.1f} ev/s | {decoder} | {run['emitted_per_second']:,.0f} "
            f"| {run['events_per_second']:,.0f} | {run['frames_per_second']:,.0f} "
            f"| {run['client_cpu_percent']:.0f} % "
            f"| {cpu_per_10k:,.0f} | {run['kib_per_room']:,.0f} KiB "
            f"| {run['latency_ms_p50']:.1f} / {run['latency_ms_p99']:.1f} ms "
            f"| {run['client_latency_ms_p50']:.2f} / {run['client_latency_ms_p99']:.2f} ms "
            f"| {run['sim_cpu_percent']:.0f} % | {run['loadavg_1min'][0]:.1f} |"
        )
    first = runs[0]
    lines += [
        "",
        "Per run: a simulator child process serves the rooms (LivelyScenario, one frame per emitted "
        "batch); the client tracks them with `track_many(concurrency=16, fetch_gift_info=False, "
        "process_initial_events=False)` and consumes `async for live, event in group`; after a warm-up "
        f"(until the consumer has caught up) it measures a {first['window_seconds']:.0f} s window. "
        "Set-up times (all rooms connected): "
        + ", ".join(f"{run['rooms']} room(s) {run['setup_seconds']:.1f} s" for run in runs)
        + ". CPU and memory are the client process's alone (`time.process_time`, RSS delta after a "
        "warm-up room); latency is consumer wall clock minus `create_time`, which the simulator stamps "
        "when the room emits the message, so it includes the simulator's own send queue; \"in the "
        'client" starts when the websocket reader hands the frame to the protocol.',
    ]
    if any(run["heartbeat_duration"] != 10000 for run in runs):
        lines += [
            "",
            "\\* hb 15 ms: rooms send `heartbeat_duration` 15 (the simulator's default, a real frame's "
            "value); the client takes it as milliseconds and heartbeats every 50 ms per room, because "
            "`WebcastProtocol.connection_opened()` clears the handshake's `ping-interval` (10 s) that "
            "`_websocket.py` applied just before. Other rows use 10000 to measure without that bug.",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decode", type=Path, action="append", default=[])
    parser.add_argument("--e2e", type=Path)
    parser.add_argument("--command", action="append", default=[], help="a command that made the data")
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    lines = ["# pytiktoklive benchmarks", "", "## Machine", "", *machine(), ""]
    lines += ["## Decoding: busy-room frames to event objects", "", *decode_rows(arguments.decode), ""]
    if arguments.e2e is not None and arguments.e2e.exists():
        lines += ["## End to end: simulated rooms over real websockets into one process", ""]
        lines += [*e2e_rows(arguments.e2e), ""]
    if arguments.command:
        lines += ["## Commands", "", "```", *arguments.command, "```", ""]
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text("\n".join(lines))
    print(f"wrote {arguments.out}")


if __name__ == "__main__":
    main()
