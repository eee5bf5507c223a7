#!/usr/bin/env bash
# Build the abi3 wheel and the sdist, check their contents, then install the wheel into a fresh venv
# for every CPython 3.9..3.13 on this machine and smoke-check it there (scripts/smoke_wheel.py).
#
#   bash scripts/check-wheel.sh                  # dist files go to a temporary directory
#   OUT=/tmp/dist bash scripts/check-wheel.sh    # keep them
#   bash scripts/check-wheel.sh --sdist-install  # also build and install the sdist from source (slow:
#                                                # a full release build of the Rust core)
#
# Interpreters are found as python3.X on PATH, else under $PYENV_ROOT/versions; missing ones are skipped
# with a message. Python 3.9 has no simulator (betterproto2 needs 3.10), so its client polls a simulator
# served by one of the newer venvs. Needs network access (or a pip cache) for the wheel's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SDIST_INSTALL=0
for argument in "$@"; do
    case $argument in
        --sdist-install) SDIST_INSTALL=1 ;;
        *) echo "usage: $0 [--sdist-install]" >&2; exit 2 ;;
    esac
done

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-wheel.XXXXXX")
SIM_PID=""
cleanup() {
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
OUT=${OUT:-$WORK/dist}
mkdir -p "$OUT"

# ---------------------------------------------------------------------------------------------- build
if [ -x .venv/bin/maturin ]; then
    MATURIN=.venv/bin/maturin
elif command -v maturin >/dev/null 2>&1; then
    MATURIN=maturin
else
    log "installing maturin into a temporary venv"
    python3 -m venv "$WORK/tools" && "$WORK/tools/bin/pip" install -q "maturin>=1.9.4,<2"
    MATURIN=$WORK/tools/bin/maturin
fi
log "building the wheel and the sdist into $OUT"
rm -f "$OUT"/pytiktoklive-*
timeout 900 "$MATURIN" build --release --quiet --out "$OUT"
timeout 300 "$MATURIN" sdist --out "$OUT" >/dev/null
WHEEL=$(ls "$OUT"/pytiktoklive-*-cp39-abi3-*.whl)
SDIST=$(ls "$OUT"/pytiktoklive-*.tar.gz)
echo "$(basename "$WHEEL")  $(basename "$SDIST")"

log "checking the contents of the wheel and the sdist"
python3 - "$WHEEL" "$SDIST" <<'EOF'
import sys, tarfile, zipfile

wheel, sdist = sys.argv[1:]
problems = []
names = set(zipfile.ZipFile(wheel).namelist())
for required in [
    "pytiktoklive/_core.abi3.so", "pytiktoklive/_core.pyi", "pytiktoklive/py.typed",
    "pytiktoklive/__init__.py", "pytiktoklive/events.py", "pytiktoklive/_pytest_plugin.py",
    "pytiktoklive/_proto/__init__.py", "pytiktoklive/_proto/webcast/__init__.py",
    "pytiktoklive/simulator/__init__.py", "pytiktoklive/simulator/pytest_plugin.py",
    "pytiktoklive/compat/__init__.py", "pytiktoklive/samples.py", "pytiktoklive/sample_captures/MANIFEST.md",
    "pytiktoklive/sample_captures/jwdeveloper_TikTokLiveJava/_repaired/WebcastWebsocketMessage.repaired.bin",
    "pytiktoklive/sample_captures/jwdeveloper_TikTokLiveJava/Tools-EventsCollector/src/main/resources/sample.json",
]:
    if required not in names:
        problems.append(f"wheel lacks {required}")
info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()
for required in ["pytiktoklive=pytiktoklive.cli:main", "pytiktoklive=pytiktoklive._pytest_plugin"]:
    if required not in entry_points.replace(" ", ""):
        problems.append(f"wheel entry points lack {required}")
if f"{info}/licenses/LICENSE" not in names:
    problems.append("wheel lacks the LICENSE")
metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
if "Requires-Python: >=3.9" not in metadata:
    problems.append("wheel METADATA: Requires-Python is not >=3.9")

members = {m.split("/", 1)[1] for m in tarfile.open(sdist).getnames() if "/" in m}
for required in [
    "pyproject.toml", "Cargo.toml", "Cargo.lock", "README.md", "LICENSE", "rust/lib.rs",
    "rust/generated/webcast.rs", "python/pytiktoklive/__init__.py", "python/pytiktoklive/_core.pyi",
    "python/pytiktoklive/py.typed",
]:
    if required not in members:
        problems.append(f"sdist lacks {required}")
if not [m for m in members if m.startswith("proto/") and m.endswith(".proto")]:
    problems.append("sdist lacks proto/**/*.proto")
if [m for m in members if m.endswith((".so", ".pyd"))]:
    problems.append("sdist contains a compiled extension")
print(f"wheel: {len(names)} files; sdist: {len(members)} files")
for problem in problems:
    print("  FAIL", problem)
sys.exit(1 if problems else 0)
EOF

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
SIM_VENV=""
FAILED=0
cat >"$WORK/pytest.ini" <<'EOF'
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
EOF
cat >"$WORK/test_plugin.py" <<'EOF'
from pytiktoklive import TikTok


async def test_fixture(tiktok_simulator):
    # Python 3.9: the plugin's stand-in fixture skips (no simulator), and pytest itself still starts.
    async with TikTok(tiktok_simulator.endpoints) as tiktok:
        live = await tiktok.track_user("demo_user")
        assert len([event async for event in live.events]) > 20
EOF

# Called in `if` conditions, where set -e does not apply: every step says `|| return 1`.
install_and_smoke() {  # minor version, interpreter
    local minor=$1 python=$2 venv="$WORK/venv3.$1" sim_args=() events status=0
    log "Python 3.$minor ($python)"
    "$python" -m venv "$venv" || return 1
    timeout 300 "$venv/bin/pip" install -q "$WHEEL" || return 1
    "$venv/bin/pytiktoklive" --version || return 1
    if [ "$minor" -lt 10 ] && [ -n "$SIM_VENV" ]; then
        "$SIM_VENV/bin/python" -m pytiktoklive.simulator --port 0 --speed 5 --load-rooms 1 >"$WORK/sim.out" 2>&1 &
        SIM_PID=$!
        for _ in $(seq 100); do grep -q 'listening on' "$WORK/sim.out" && break; sleep 0.1; done
        sim_args=(--sim-url "$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$WORK/sim.out")")
    fi
    (cd "$WORK" && timeout 120 "$venv/bin/python" "$ROOT/scripts/smoke_wheel.py" \
        ${CAPTURE_ARGS[@]+"${CAPTURE_ARGS[@]}"} ${sim_args[@]+"${sim_args[@]}"}) || status=1
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; SIM_PID=""; fi
    [ "$status" = 0 ] || return 1
    if [ "$minor" -ge 10 ]; then
        events=$(cd "$WORK" && timeout 60 "$venv/bin/pytiktoklive" --sim --speed 20 watch demo_user --json \
            | grep -c '^{"type"') || true
        echo "  cli: pytiktoklive --sim --speed 20 watch demo_user --json printed ${events:-0} events"
        [ "${events:-0}" -ge 20 ] || return 1
    fi
}

# pytest imports every installed plugin at start-up, in every project of the environment.
check_plugin() {  # minor version: pytest starts; the fixture runs (>= 3.10) or skips (3.9)
    local minor=$1 venv="$WORK/venv3.$1"
    log "Python 3.$minor: the pytest11 plugin"
    timeout 300 "$venv/bin/pip" install -q pytest pytest-asyncio || return 1
    (cd "$WORK" && timeout 120 "$venv/bin/python" -m pytest -q -p no:cacheprovider -rs test_plugin.py)
}

# Newest first: a >= 3.10 venv then serves the simulator for the 3.9 client.
for minor in 13 12 11 10 9; do
    if ! python=$(find_python "$minor"); then
        echo "Python 3.$minor: not found, skipped"
        RESULT[$minor]="skipped (no interpreter)"
        continue
    fi
    if install_and_smoke "$minor" "$python"; then
        RESULT[$minor]="ok"
        if [ -z "$SIM_VENV" ] && [ "$minor" -ge 10 ]; then SIM_VENV="$WORK/venv3.$minor"; fi
    else
        RESULT[$minor]="FAILED"
        FAILED=1
    fi
done

# The plugin on the oldest Python (no simulator there) and on the newest.
for minor in 9 "${SIM_VENV##*venv3.}"; do
    [ -n "$minor" ] && [ "${RESULT[$minor]:-}" = "ok" ] || continue
    if check_plugin "$minor"; then
        RESULT[$minor]="ok (+ pytest plugin)"
    else
        RESULT[$minor]="FAILED (pytest plugin)"
        FAILED=1
    fi
done

if [ "$SDIST_INSTALL" = 1 ]; then
    log "building and installing the sdist from source"
    python=$(find_python 13 || find_python 12 || find_python 11 || find_python 10 || command -v python3)
    "$python" -m venv "$WORK/venv-sdist"
    if timeout 1800 "$WORK/venv-sdist/bin/pip" install -q "$SDIST" \
        && (cd "$WORK" && "$WORK/venv-sdist/bin/python" "$ROOT/scripts/smoke_wheel.py" "${CAPTURE_ARGS[@]}"); then
        RESULT[sdist]="ok"
    else
        RESULT[sdist]="FAILED"
        FAILED=1
    fi
fi

log "summary"
for key in 9 10 11 12 13 sdist; do
    [ -n "${RESULT[$key]:-}" ] || continue
    case $key in sdist) label="sdist install" ;; *) label="Python 3.$key" ;; esac
    printf '  %-14s %s\n' "$label" "${RESULT[$key]}"
done
exit "$FAILED"
