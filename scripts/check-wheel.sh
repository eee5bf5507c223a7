#!/usr/bin/env bash
# Install the built wheels where they run and smoke-check them there (scripts/smoke_wheel.py):
#   * the x86_64 manylinux wheel into a fresh venv of every CPython 3.9..3.13 on this machine;
#   * the aarch64 manylinux wheel on Debian's aarch64 CPython 3.11 under qemu-user (scripts/aarch64-python.sh);
#   * the musllinux wheels' extension loaded by musl's dynamic loader (x86_64; aarch64 under qemu-user): there
#     is no musl CPython here, so they are not run;
#   * with --sdist-install, the sdist built from source by pip (cargo, no protoc) and then smoke-checked.
#
#   bash scripts/check-wheel.sh                      # builds the x86_64 wheel and the sdist into a temp dir
#   bash scripts/check-wheel.sh --dist dist          # the wheels scripts/build-wheels.sh made into dist/
#   bash scripts/check-wheel.sh --sdist-install      # also build and install the sdist (a full release build
#                                                    # of the Rust core; its cargo target dir is cached)
#
# Interpreters are found as python3.X on PATH, else under $PYENV_ROOT/versions; missing ones are skipped
# with a message. Every version runs the simulator and follows a LIVE over the websocket (the Rust core
# encodes; the plain wheel has no betterproto2). Needs network access (or a pip cache) for the wheel's
# dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${PYTIKTOKLIVE_CACHE:-$HOME/.cache/pytiktoklive}

SDIST_INSTALL=0
DIST=""
while [ $# -gt 0 ]; do
    case $1 in
        --sdist-install) SDIST_INSTALL=1 ;;
        --dist) DIST=$2; shift ;;
        *) echo "usage: $0 [--dist DIR] [--sdist-install]" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-wheel.XXXXXX")
cleanup() {
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------- build
if [ -z "$DIST" ]; then
    DIST=$WORK/dist
    OUT=$DIST bash scripts/build-wheels.sh x86_64-unknown-linux-gnu sdist
fi
DIST=$(cd "$DIST" && pwd)
WHEEL=$(ls "$DIST"/pytiktoklive-*-cp39-abi3-*manylinux_2_17_x86_64*.whl)
SDIST=$(ls "$DIST"/pytiktoklive-*.tar.gz)
AARCH64_WHEEL=$(ls "$DIST"/pytiktoklive-*-cp39-abi3-*manylinux_2_17_aarch64*.whl 2>/dev/null || true)
echo "$(basename "$WHEEL")  $(basename "$SDIST")"

# ------------------------------------------------------------------------------------- interpreters
# A pyenv shim is on PATH even when its version is not selected, so each candidate must really run.
find_python() {
    local minor=$1 candidate
    for candidate in "python3.$minor" $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3."$minor".*/bin/python 2>/dev/null | sort -V -r); do
        if "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != (3, $minor))" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

CAPTURE=${CAPTURES_DIR:-$ROOT/../shared/captures}/jwdeveloper_TikTokLiveJava/_repaired/WebcastWebsocketMessage.repaired.bin
# Without the full set, the copy shipped in the package (pytiktoklive.samples.SAMPLE_FRAME).
[ -f "$CAPTURE" ] || CAPTURE=$ROOT/python/pytiktoklive/sample_captures/jwdeveloper_TikTokLiveJava/_repaired/WebcastWebsocketMessage.repaired.bin
CAPTURE_ARGS=()
if [ -f "$CAPTURE" ]; then CAPTURE_ARGS=(--capture "$CAPTURE"); else echo "no real capture at $CAPTURE: the smoke checks use a hand-made frame only"; fi

declare -A RESULT
NEWEST=""
FAILED=0
cat >"$WORK/pytest.ini" <<'EOF'
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
EOF
cat >"$WORK/test_plugin.py" <<'EOF'
from pytiktoklive import TikTok


async def test_fixture(tiktok_simulator):
    async with TikTok(tiktok_simulator.endpoints) as tiktok:
        live = await tiktok.track_user("demo_user")
        assert len([event async for event in live.events]) > 20
EOF

# Called in `if` conditions, where set -e does not apply: every step says `|| return 1`.
install_and_smoke() {  # minor version, interpreter
    local minor=$1 python=$2 venv="$WORK/venv3.$1" events
    log "Python 3.$minor ($python)"
    "$python" -m venv "$venv" || return 1
    timeout 300 "$venv/bin/pip" install -q "$WHEEL" || return 1
    "$venv/bin/pytiktoklive" --version || return 1
    (cd "$WORK" && timeout 120 "$venv/bin/python" "$ROOT/scripts/smoke_wheel.py" \
        ${CAPTURE_ARGS[@]+"${CAPTURE_ARGS[@]}"}) || return 1
    events=$(cd "$WORK" && timeout 60 "$venv/bin/pytiktoklive" --sim --speed 20 watch demo_user --json \
        | grep -c '^{"type"') || true
    echo "  cli: pytiktoklive --sim --speed 20 watch demo_user --json printed ${events:-0} events"
    [ "${events:-0}" -ge 20 ] || return 1
}

# pytest imports every installed plugin at start-up, in every project of the environment.
check_plugin() {  # minor version: pytest starts and the fixture runs
    local minor=$1 venv="$WORK/venv3.$1"
    log "Python 3.$minor: the pytest11 plugin"
    timeout 300 "$venv/bin/pip" install -q pytest pytest-asyncio || return 1
    (cd "$WORK" && timeout 120 "$venv/bin/python" -m pytest -q -p no:cacheprovider -rs test_plugin.py)
}

for minor in 13 12 11 10 9; do
    if ! python=$(find_python "$minor"); then
        echo "Python 3.$minor: not found, skipped"
        RESULT[$minor]="skipped (no interpreter)"
        continue
    fi
    if install_and_smoke "$minor" "$python"; then
        RESULT[$minor]="ok"
        if [ -z "$NEWEST" ]; then NEWEST=$minor; fi
    else
        RESULT[$minor]="FAILED"
        FAILED=1
    fi
done

# The plugin on the oldest Python and on the newest.
for minor in 9 "$NEWEST"; do
    [ -n "$minor" ] && [ "${RESULT[$minor]:-}" = "ok" ] || continue
    if check_plugin "$minor"; then
        RESULT[$minor]="ok (+ pytest plugin)"
    else
        RESULT[$minor]="FAILED (pytest plugin)"
        FAILED=1
    fi
done

if [ -n "$AARCH64_WHEEL" ]; then
    log "aarch64: $(basename "$AARCH64_WHEEL") on Debian's aarch64 CPython 3.11 under qemu-user"
    # pip of this machine picks the aarch64 wheels of the dependencies; the smoke check then runs on aarch64.
    if timeout 300 "$CACHE/tools/bin/python" -m pip install -q --target "$WORK/aarch64/site-packages" \
        --platform manylinux2014_aarch64 --implementation cp --python-version 3.11 --only-binary=:all: \
        "$AARCH64_WHEEL" \
        && (cd "$WORK" && PYTHONPATH="$WORK/aarch64/site-packages" timeout 600 bash "$ROOT/scripts/aarch64-python.sh" \
            "$ROOT/scripts/smoke_wheel.py" ${CAPTURE_ARGS[@]+"${CAPTURE_ARGS[@]}"}); then
        RESULT[aarch64]="ok (qemu-user)"
    else
        RESULT[aarch64]="FAILED"
        FAILED=1
    fi
fi

# musllinux: there is no musl CPython here, so musl's own dynamic loader loads the extension (`--list`,
# i.e. ldd) and resolves its symbols: every libc symbol must resolve against real musl (Debian's musl;
# aarch64 under qemu-user); only the CPython C API, which the interpreter provides, may be left unresolved.
musl_load_check() {  # wheel, the musl loader command...
    local wheel=$1 dir output missing foreign
    shift
    dir=$(mktemp -d "$WORK/musl.XXXXXX")
    python3 -m zipfile -e "$wheel" "$dir" || return 1
    output=$("$@" --list "$dir/pytiktoklive/_core.abi3.so" 2>&1) || true
    missing=$(grep -c 'symbol not found' <<<"$output" || true)
    foreign=$(grep -iE 'error|not found' <<<"$output" | grep -vE ': _?Py[A-Za-z0-9_]*: symbol not found' || true)
    echo "  libc: $(grep -m1 -E 'libc\.[^ ]* => ' <<<"$output" || echo 'NOT LOADED')"
    echo "  unresolved: $missing symbols, all of the CPython C API${foreign:+, BUT ALSO:}"
    [ -z "$foreign" ] || { head -20 <<<"$foreign"; return 1; }
    grep -qE 'libc\.[^ ]* => ' <<<"$output" && [ "$missing" -gt 0 ]
}
for wheel in "$DIST"/pytiktoklive-*-cp39-abi3-musllinux_1_2_*.whl; do
    [ -f "$wheel" ] || continue
    case $wheel in
        *_x86_64.whl) key=musl-x86_64 ;;
        *_aarch64.whl) key=musl-aarch64 ;;
    esac
    log "$key: $(basename "$wheel") under musl's dynamic loader"
    if [ "$key" = musl-x86_64 ] && [ ! -x /lib/ld-musl-x86_64.so.1 ] && command -v apt-get >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
        echo "installing musl (Debian)"
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends musl >/dev/null
    fi
    if [ "$key" = musl-x86_64 ]; then
        loader=(/lib/ld-musl-x86_64.so.1)
    else
        loader=(qemu-aarch64-static "$(bash scripts/aarch64-python.sh --print-sysroot)/lib/ld-musl-aarch64.so.1")
    fi
    if musl_load_check "$wheel" "${loader[@]}"; then
        RESULT[$key]="loads under musl's loader (no musl CPython here: not run)"
    else
        RESULT[$key]="FAILED"
        FAILED=1
    fi
done

if [ "$SDIST_INSTALL" = 1 ]; then
    log "building and installing the sdist from source: pip install $(basename "$SDIST")"
    python=$(find_python 13 || find_python 12 || find_python 11 || find_python 10 || command -v python3)
    "$python" -m venv "$WORK/venv-sdist"
    # The dependencies' compiled code is kept between runs, but this crate must be rebuilt from the sdist:
    # maturin gives every sdist file one fixed mtime (reproducible archives), so cargo would take a stale
    # build of the crate for fresh. Dropping its fingerprints makes cargo rebuild it.
    rm -rf "$CACHE"/target-sdist/release/.fingerprint/pytiktoklive-*
    if CARGO_TARGET_DIR=$CACHE/target-sdist timeout 1800 "$WORK/venv-sdist/bin/pip" install -q "$SDIST" \
        && (cd "$WORK" && "$WORK/venv-sdist/bin/python" "$ROOT/scripts/smoke_wheel.py" ${CAPTURE_ARGS[@]+"${CAPTURE_ARGS[@]}"}); then
        RESULT[sdist]="ok"
    else
        RESULT[sdist]="FAILED"
        FAILED=1
    fi
fi

log "summary"
for key in 9 10 11 12 13 aarch64 musl-x86_64 musl-aarch64 sdist; do
    [ -n "${RESULT[$key]:-}" ] || continue
    case $key in
        sdist) label="sdist install" ;;
        aarch64) label="aarch64 (3.11)" ;;
        musl-*) label=$key ;;
        *) label="Python 3.$key" ;;
    esac
    printf '  %-14s %s\n' "$label" "${RESULT[$key]}"
done
exit "$FAILED"
