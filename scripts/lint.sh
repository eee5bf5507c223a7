#!/usr/bin/env bash
# Lint and type checks (run after scripts/test.sh has set up .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
VPY=.venv/bin/python
log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

log "ruff"
$VPY -m ruff check python tests benches scripts examples
$VPY -m ruff format --check python tests benches scripts examples
log "mypy --strict"
$VPY -m mypy
$VPY -m mypy --strict examples  # the examples are typed as users would copy them
log "stubtest: python/pytiktoklive/_core.pyi matches the native module"
$VPY -m mypy.stubtest pytiktoklive._core
log "rustfmt"
cargo fmt --check
log "clippy"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --features python -- -D warnings
