#!/usr/bin/env bash
# pytiktoklive and TikTokLive 7.0.1 side by side (issue #12 §2): one fresh venv holding the
# pytiktoklive wheel and TikTokLive==7.0.1 from PyPI (with its betterproto2 0.9). `pip check`
# must find no conflict; then scripts/coexistence.py imports both in one process, has both decode
# the same frame, and runs both clients against one `pytiktoklive simulate` process.
#
#   bash scripts/check-coexistence.sh                 # builds the wheel (cargo's cache makes it quick)
#   WHEEL=dist/pytiktoklive-…whl bash scripts/check-coexistence.sh
#
# Uses pip's cache; needs PyPI (or that cache) for TikTokLive and the dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coexistence.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PYTHON=${PYTHON:-python3}

if [ -z "${WHEEL:-}" ]; then
    if [ -x .venv/bin/maturin ]; then MATURIN=.venv/bin/maturin; else
        "$PYTHON" -m venv "$WORK/tools" && "$WORK/tools/bin/pip" install -q "maturin>=1.9.4,<2"
        MATURIN=$WORK/tools/bin/maturin
    fi
    log "building the wheel"
    timeout 900 "$MATURIN" build --release --quiet --out "$WORK/dist"
    WHEEL=$(ls "$WORK"/dist/pytiktoklive-*.whl)
fi
echo "wheel: $(basename "$WHEEL")"

log "one venv: TikTokLive==7.0.1 and pytiktoklive"
"$PYTHON" -m venv "$WORK/venv"
timeout 600 "$WORK/venv/bin/pip" install -q --disable-pip-version-check "TikTokLive==7.0.1" "$WHEEL"
"$WORK/venv/bin/pip" list --disable-pip-version-check 2>/dev/null | grep -iE '^(tiktoklive|pytiktoklive|betterproto2) '

log "pip check"
"$WORK/venv/bin/pip" check --disable-pip-version-check

log "both import, decode the same frame, and follow the simulator"
CAPTURE=${CAPTURES_DIR:-$ROOT/../shared/captures}/jwdeveloper_TikTokLiveJava/_repaired/WebcastWebsocketMessage.repaired.bin
CAPTURE_ARGS=()
if [ -f "$CAPTURE" ]; then CAPTURE_ARGS=(--capture "$CAPTURE"); fi
(cd "$WORK" && timeout 180 "$WORK/venv/bin/python" "$ROOT/scripts/coexistence.py" ${CAPTURE_ARGS[@]+"${CAPTURE_ARGS[@]}"})
