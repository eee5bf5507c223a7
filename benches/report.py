"""Turn benchmark outputs into the markdown of the README's performance section.

::

    python benches/report.py --decode ours.json --decode tiktoklive.json --e2e e2e.jsonl \\
        --command "bash scripts/bench.sh" --out results.md

``--decode`` files are pytest-benchmark ``--benchmark-json`` outputs of ``test_decode*.py``
(each test decodes all of the busy room's frames per round; ``extra_info`` holds the sizes);
``--e2e`` is the JSON-lines file ``e2e.py --json-out`` appends to, ``--soak`` the one of
``soak.py --json-out``.
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
        "| rooms | sent / room | delivered ev/s | client CPU | ev per CPU-s "
        "| decode-only ev per CPU-s (after the window) | **e2e / decode** | GC share "
        "| memory / room (buffered events) | latency p50 / p99 "
        "| track_many / all connected | reconnects | TikTokLive decode ev per CPU-s | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        tracked = f"{run['tracked']}" + (f" ({run['failed']} failed)" if run["failed"] else "")
        rate = "saturated" if not run["rate"] else f"{run['rate']:g} ev/s"
        if run.get("consumer") == "batches":
            rate += ", by the batch"
        if run.get("gc_freeze"):
            rate += ", gc.freeze()"
        tiktoklive = run.get("tiktoklive") or {}
        theirs = tiktoklive.get("decode_events_per_cpu_second")
        after = run.get("decode_after_events_per_cpu_second", float("nan"))
        lines.append(
            f"| {tracked} | {rate} | {run['events_per_second']:,.0f} | {run['client_cpu_percent']:.0f} % "
            f"| {run['events_per_cpu_second']:,.0f} | {run['decode_events_per_cpu_second']:,.0f} "
            f"({after:,.0f}) "
            f"| **{run.get('e2e_over_decode', float('nan')):.2f}** "
            f"| {run.get('gc_cpu_percent_of_client', float('nan')):.0f} % "
            f"| {run['kib_per_room']:,.0f} KiB ({run['buffered_events']:,}) "
            f"| {run['latency_ms_p50']:,.1f} / {run['latency_ms_p99']:,.1f} ms "
            f"| {run['setup_seconds']:.1f} / {run['connect_seconds'] or float('nan'):.1f} s "
            f"| {run['reconnects']} | {f'{theirs:,.0f}' if theirs else '—'} "
            f"| {run['loadavg_1min'][0]:.1f} |"
        )
    first = runs[0]
    lines += [
        "",
        "Per run (`benches/e2e.py`): the load generator (`benches/loadgen.py`: the simulator for pages, "
        "`room/info`, the signer and the signed first `im/fetch`; two push processes for the websockets) "
        f"serves pre-encoded real frames ({first['events_per_frame']:.0f} captured messages each, "
        f"{first['frame_wire_bytes']:,} bytes on the wire, fresh msg_ids per send); the client tracks the "
        "rooms with `track_many(fetch_gift_info=False, process_initial_events=False)` at its default "
        'concurrency and consumes `async for live, event in group` (", by the batch": `async for live, '
        'events in group.batches()`; ", gc.freeze()": the application calls `gc.freeze()` once every '
        'room is connected, the README\'s tip for many rooms). "ev per CPU-s" is events per '
        'CPU-second of the client process in the measurement window; "decode-only" is '
        "`decode_frame` alone on the same frames, in the same process, in 30 ms bursts every half second "
        "of the window (the client paused meanwhile, and their time left out of its own); their ratio is "
        "the figure to read: both sides see the same machine, whose speed drifts on a shared VM. In "
        "brackets, decode-only measured for 3 s right after the window, as earlier rounds did. "
        "Memory: RSS with every room running minus before tracking, per room, with the events then "
        "buffered (the client's buffer budget). "
        "Latency: consumer clock minus the push process's send time (carried in the msg_id); under "
        "saturation it is queueing. Connecting is measured while the push processes hold their frames.",
    ]
    return lines


def soak_rows(file: Path) -> List[str]:
    runs = [json.loads(line) for line in file.read_text().splitlines() if line.strip()]
    lines = [
        "| rooms | minutes | faults armed | emitted | delivered | lost | duplicated | reconnects "
        "| RSS after warm-up: first → last (max) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['rooms']} | {run['minutes']:g} | {sum(run['faults_armed'].values())} "
            f"| {run['emitted']:,} | {run['delivered']:,} | {run['lost']} | {run['duplicated']} "
            f"| {run['reconnects']} | {run['rss_mib_after_warmup_first']} → "
            f"{run['rss_mib_after_warmup_last']} MiB ({run['rss_mib_after_warmup_max']}) |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decode", type=Path, action="append", default=[])
    parser.add_argument("--e2e", type=Path)
    parser.add_argument("--soak", type=Path)
    parser.add_argument("--command", action="append", default=[], help="a command that made the data")
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    lines = ["# pytiktoklive benchmarks", "", "## Machine", "", *machine(), ""]
    lines += ["## Decoding: busy-room frames to event objects", "", *decode_rows(arguments.decode), ""]
    if arguments.e2e is not None and arguments.e2e.exists():
        lines += ["## End to end: pre-encoded real frames over real websockets into one process", ""]
        lines += [*e2e_rows(arguments.e2e), ""]
    if arguments.soak is not None and arguments.soak.exists():
        lines += ["## Soak: rooms under random faults, every message exactly once", ""]
        lines += [*soak_rows(arguments.soak), ""]
    if arguments.command:
        lines += ["## Commands", "", "```", *arguments.command, "```", ""]
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text("\n".join(lines))
    print(f"wrote {arguments.out}")


if __name__ == "__main__":
    main()
