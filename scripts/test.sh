#!/usr/bin/env bash
# Set up everything and run every test: the README's test command, and what CI runs.
#
#   bash scripts/test.sh            # all tests (Rust + Python)
#   bash scripts/test.sh -k chat    # extra arguments go to pytest
#
# On a fresh machine it installs ffmpeg (Debian, when run as root or with sudo),
# creates .venv, builds the Rust extension in release mode and installs the
# package with its test dependencies. Re-running reuses all of that.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# ffmpeg (recording) and redis-server (the fleet; redis-tools brings redis-cli for the Cluster test).
MISSING=""
command -v ffmpeg >/dev/null 2>&1 || MISSING="$MISSING ffmpeg"
command -v redis-server >/dev/null 2>&1 || MISSING="$MISSING redis-server"
command -v redis-cli >/dev/null 2>&1 || MISSING="$MISSING redis-tools"
if [ -n "$MISSING" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        log "installing$MISSING (Debian)"
        SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $MISSING >/dev/null \
            || echo "could not install$MISSING: recording / fleet tests will be skipped"
    else
        echo "missing$MISSING and no apt-get: recording / fleet tests will be skipped"
    fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
VPY=.venv/bin/python
# The no-isolation build runs the venv's maturin, which must be on PATH.
export PATH="$PWD/.venv/bin:$PATH"
log "installing build and test dependencies"
$VPY -m pip install -q --upgrade pip
$VPY -m pip install -q "maturin>=1.9.4,<2"
log "building the Rust extension (release) and installing pytiktoklive"
$VPY -m pip install -q --no-build-isolation -e ".[test,dev,bench]"

log "Rust tests (cargo test)"
cargo test --quiet

log "generated Python protobuf code is fresh"
$VPY scripts/generate_proto.py --check

log "Python tests (pytest)"
$VPY -m pytest "$@"
