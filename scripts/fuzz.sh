#!/usr/bin/env bash
# Fuzz the Rust codec (fuzz/, cargo-fuzz + libFuzzer) for a bounded time per target.
#
#   bash scripts/fuzz.sh                  # every target, 30 s each
#   FUZZ_SECONDS=300 bash scripts/fuzz.sh decode_frame
#
# Seeds come from the real captures (../shared/captures, when present) and a few synthetic
# frames (fuzz/seeds.py); the corpora grow in fuzz/corpus/, crashes land in fuzz/artifacts/.
# Exits 1 when a target crashes, 0 otherwise. Needs nightly Rust and cargo-fuzz, and tries
# to install them; when that is impossible it skips (exit 0) with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decode_frame decode_fetch_result)

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
skip() { echo "fuzz: skipped: $*"; exit 0; }

command -v cargo >/dev/null 2>&1 || skip "no cargo on PATH"
if ! cargo +nightly --version >/dev/null 2>&1; then
    command -v rustup >/dev/null 2>&1 || skip "no nightly toolchain and no rustup to install one"
    log "installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal || skip "the nightly toolchain could not be installed"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz"
    cargo install cargo-fuzz --locked || skip "cargo-fuzz could not be installed"
fi

log "seeding the corpora"
if command -v python3 >/dev/null 2>&1; then
    python3 fuzz/seeds.py fuzz/corpus
else
    echo "no python3: fuzzing from the existing corpus only"
fi

failed=()
for target in "${TARGETS[@]}"; do
    log "fuzzing $target for ${FUZZ_SECONDS}s"
    mkdir -p "fuzz/corpus/$target"
    # -timeout: one input taking 10 s counts as a hang; -rss_limit_mb: so does a memory blow-up;
    # -malloc_limit_mb: one allocation that large is a count taken from the wire (a bomb).
    if ! cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1; then
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (reproducers in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: ok (${TARGETS[*]}, ${FUZZ_SECONDS}s each)"
