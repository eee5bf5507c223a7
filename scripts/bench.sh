#!/usr/bin/env bash
# Benchmarks: decoding speed against TikTokLive, end to end with a load generator, and a soak.
#
#   bash scripts/bench.sh                       # decode, floor and e2e (6-25 minutes on 2 cores)
#   bash scripts/bench.sh decode                # only the decoders (and the floor below)
#   bash scripts/bench.sh floor                 # only decode_frame vs the gunzip floor (one run)
#   bash scripts/bench.sh e2e                   # only the end-to-end runs
#   bash scripts/bench.sh soak                  # only the soak (SOAK_MINUTES, default 10)
#   bash scripts/bench.sh all+soak              # everything
#   BENCH_RESULTS=path/results.md bash scripts/bench.sh
#
# Sets up what it needs: .venv (as scripts/test.sh does, if missing) with pytest-benchmark,
# and .venv-bench, a separate venv holding TikTokLive 7.x from PyPI. TikTokLive pins another
# betterproto2 than ours, so it runs in its own process, on the very same bytes
# (benches/busy_room.py builds them from the real captures); it is never a dependency of
# pytiktoklive. The decoder benchmarks skip cleanly without ../shared/captures.
#
# Raw outputs go to .benchmarks/ (gitignored); the markdown summary to $BENCH_RESULTS
# (default .benchmarks/results.md). Knobs: E2E_RUNS, E2E_WARMUP and E2E_SECONDS (per run),
# BENCH_MAX_TIME (pytest-benchmark --benchmark-max-time, seconds), SOAK_ROOMS, SOAK_MINUTES.
#
# E2E_RUNS is a list of rooms:rate[:consumer] (rate: messages/s per room sent by benches/loadgen.py's
# push processes, 0 = as fast as the client reads, i.e. saturated; consumer: events, the default, or
# batches for group.batches(); a fourth field gc-freeze: gc.freeze() once connected, the README's
# tip for many rooms). Each run reports events per client
# CPU-second and the decode-only rate of the same frames in the same run (their ratio is the
# figure to compare across machines), memory per room, latency, connect time; the first run also
# times TikTokLive's decoder on those frames (.venv-bench).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

WHAT=${1:-all}
OUT=.benchmarks
RESULTS=${BENCH_RESULTS:-$OUT/results.md}
E2E_RUNS=${E2E_RUNS:-"1:0 1:0:batches 100:0 1000:0 1000:0:batches 1000:10 1000:10:events:gc-freeze"}
SOAK_ROOMS=${SOAK_ROOMS:-50}
SOAK_MINUTES=${SOAK_MINUTES:-10}
E2E_WARMUP=${E2E_WARMUP:-10}
E2E_SECONDS=${E2E_SECONDS:-30}
BENCH_MAX_TIME=${BENCH_MAX_TIME:-3}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"

if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
    export PATH="$PWD/.venv/bin:$PATH"
    .venv/bin/python -m pip install -q --upgrade pip "maturin>=1.9.4,<2"
    log "building the Rust extension (release) and installing pytiktoklive"
    .venv/bin/python -m pip install -q --no-build-isolation -e ".[test,bench]"
fi
VPY=.venv/bin/python
if ! $VPY -c "import pytest_benchmark" 2>/dev/null; then
    $VPY -m pip install -q "pytest-benchmark>=4"
fi

if [ ! -x .venv-bench/bin/python ]; then
    log "creating .venv-bench (TikTokLive 7.x, only for the comparison)"
    "$PYTHON" -m venv .venv-bench
fi
BPY=.venv-bench/bin/python
if ! $BPY -c "import TikTokLive, pytest_benchmark, pytest_asyncio, pytest_timeout" 2>/dev/null; then
    # pytest-asyncio only so that pyproject's pytest options are all known there.
    $BPY -m pip install -q "TikTokLive>=7,<8" "pytest>=8" "pytest-benchmark>=4" "pytest-timeout>=2.3" \
        "pytest-asyncio>=0.24"
fi

COMMANDS=("BENCH_RESULTS=$RESULTS bash scripts/bench.sh $WHAT   # runs:")
run() {
    COMMANDS+=("$*")
    "$@"
}

BENCH_ARGS=(--benchmark-enable --benchmark-max-time="$BENCH_MAX_TIME" --benchmark-min-rounds=5 -q)
if [ "$WHAT" = all ] || [ "$WHAT" = all+soak ] || [ "$WHAT" = decode ]; then
    log "decoding: pytiktoklive (Rust core, no-objects path, pure Python)"
    run timeout 600 $VPY -m pytest benches/test_decode.py "${BENCH_ARGS[@]}" \
        --benchmark-json="$OUT/decode-ours.json" || echo "(a decode benchmark failed; the others go on)"
    log "decoding: TikTokLive $($BPY -c 'import importlib.metadata as m; print(m.version("TikTokLive"))')"
    # Two rounds: one takes ~10-40 s (TikTokLive decodes ~100-600 events/s). Its teardown sometimes
    # reports an exception TikTokLive ignores ('cls_name'); the timings are written all the same.
    run timeout 900 $BPY -m pytest benches/test_decode_tiktoklive.py "${BENCH_ARGS[@]}" \
        --benchmark-min-rounds=2 -p no:unraisableexception \
        --benchmark-json="$OUT/decode-tiktoklive.json" || echo "(the TikTokLive benchmark failed)"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = all+soak ] || [ "$WHAT" = decode ] || [ "$WHAT" = floor ]; then
    log "decoding vs the gunzip floor: decode_frame, Rust only, Python zlib, same frames, one run"
    run timeout 600 $VPY -m pytest benches/test_decode_floor.py "${BENCH_ARGS[@]}" \
        --benchmark-json="$OUT/decode-floor.json"
    $VPY - "$OUT/decode-floor.json" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))["benchmarks"][0]["extra_info"]
rates = info["events_per_second"]
print(
    f"decode_frame {rates['decode_frame']:,.0f} events/s, Rust only {rates['rust_only']:,.0f}, "
    f"gunzip only (Python zlib) {rates['gunzip']:,.0f}: decode_frame = {info['ratio']:.2f} of the "
    f"gunzip floor (Rust only {info['rust_only_ratio']:.2f}; median of the rounds' own ratios "
    f"{info['ratio_paired_median']:.2f}); {info['messages']} messages in "
    f"{info['frames']} frames"
)
PY
fi

if [ "$WHAT" = all ] || [ "$WHAT" = all+soak ] || [ "$WHAT" = e2e ]; then
    rm -f "$OUT/e2e.jsonl"
    compare=--tiktoklive
    for spec in $E2E_RUNS; do
        IFS=: read -r rooms rate consumer freeze <<<"$spec"
        consumer=${consumer:-events}
        freeze=${freeze:+--$freeze}
        log "end to end: $rooms rooms, rate $rate (0: saturated), consumer: $consumer ${freeze}"
        run timeout 900 $VPY benches/e2e.py --rooms "$rooms" --rate "$rate" --warmup "$E2E_WARMUP" \
            --seconds "$E2E_SECONDS" --consumer "$consumer" $freeze $compare --json-out "$OUT/e2e.jsonl" \
            || echo "(this run failed; the others go on)"
        compare=
    done
fi

if [ "$WHAT" = all+soak ] || [ "$WHAT" = soak ]; then
    rm -f "$OUT/soak.jsonl"
    log "soak: $SOAK_ROOMS rooms, $SOAK_MINUTES minutes of random faults"
    run timeout $((SOAK_MINUTES * 60 + 900)) $VPY benches/soak.py --rooms "$SOAK_ROOMS" \
        --minutes "$SOAK_MINUTES" --json-out "$OUT/soak.jsonl" || echo "(the soak failed)"
fi

REPORT_ARGS=(--out "$RESULTS")
for file in "$OUT/decode-ours.json" "$OUT/decode-tiktoklive.json"; do
    [ -f "$file" ] && REPORT_ARGS+=(--decode "$file")
done
[ -f "$OUT/e2e.jsonl" ] && REPORT_ARGS+=(--e2e "$OUT/e2e.jsonl")
[ -f "$OUT/soak.jsonl" ] && REPORT_ARGS+=(--soak "$OUT/soak.jsonl")
for command in "${COMMANDS[@]}"; do
    REPORT_ARGS+=(--command "$command")
done
$VPY benches/report.py "${REPORT_ARGS[@]}"
