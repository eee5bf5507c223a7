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
log "actionlint (+ shellcheck): the release workflow"
# Installed once under the cache (kept between CI runs): actionlint from the Go module proxy, shellcheck
# (which actionlint runs on every `run:` block) from Debian.
ACTIONLINT_VERSION=v1.7.12
TOOLS_BIN=${PYTIKTOKLIVE_CACHE:-$HOME/.cache/pytiktoklive}/bin
if ! "$TOOLS_BIN/actionlint" -version 2>/dev/null | grep -qx "$ACTIONLINT_VERSION"; then
    GOBIN=$TOOLS_BIN go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
if ! command -v shellcheck >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
command -v shellcheck >/dev/null 2>&1 || { echo "shellcheck is missing: actionlint cannot check run: blocks" >&2; exit 1; }
"$TOOLS_BIN/actionlint" .github/workflows/*.yml
