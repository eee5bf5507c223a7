#!/usr/bin/env bash
# A new user's first hour on a fresh clone: clone, the README's install-and-watch command exactly as
# written, then scripts/first_hour.py (the README's code and commands and every example, in a row,
# against one `pytiktoklive simulate`). Nothing is installed outside the clone's .venv.
#
#   bash scripts/first_hour.sh [REPO]      # default: this repository's committed HEAD
#
# Slow (pip builds the Rust extension in release mode); run it by hand or in CI, not from pytest.
set -euo pipefail
SOURCE=${1:-$(cd "$(dirname "$0")/.." && pwd)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

log "fresh clone of $SOURCE"
git clone -q "$SOURCE" "$WORK/pytiktoklive"
cd "$WORK/pytiktoklive"
git log -1 --format='%h %s'

# The README's first command, as written (its first ```sh block).
INSTALL=$(python3 - <<'PY'
import re
readme = open("README.md", encoding="utf-8").read()
print(re.findall(r"^```sh\n(.*?)^```", readme, flags=re.S | re.M)[0].strip())
PY
)
log "README: $INSTALL"
start=$(date +%s)
bash -c "$INSTALL" >"$WORK/watch.out" 2>"$WORK/watch.err" || { cat "$WORK/watch.err"; exit 1; }
echo "done in $(( $(date +%s) - start )) s; the last lines it printed:"
tail -n 3 "$WORK/watch.out"
if grep -q Traceback "$WORK/watch.err"; then cat "$WORK/watch.err"; exit 1; fi

log "the README's code and commands and every example, against one simulator"
.venv/bin/python scripts/first_hour.py --bin .venv/bin
