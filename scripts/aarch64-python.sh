#!/usr/bin/env bash
# Debian's aarch64 CPython 3.11 (glibc 2.36), run by qemu-user on this x86_64 machine: takes the same
# arguments as python3.11. scripts/check-wheel.sh uses it to smoke-test the aarch64 manylinux wheel.
#
#   bash scripts/aarch64-python.sh -c 'import platform; print(platform.machine())'    # aarch64
#   bash scripts/aarch64-python.sh --print-sysroot    # set up, then print the sysroot (it also has musl)
#
# The first run installs qemu-user-static (Debian) and unpacks the arm64 packages of python3.11, its
# libraries and musl (about 15 MB of .deb) into $PYTIKTOKLIVE_CACHE/arm64-sysroot, with an apt of its own
# (own lists, empty status, arm64 only), so the system's apt and dpkg are not touched. Later runs reuse it.
set -euo pipefail
CACHE=${PYTIKTOKLIVE_CACHE:-$HOME/.cache/pytiktoklive}
SYSROOT=$CACHE/arm64-sysroot
PYTHON=$SYSROOT/usr/bin/python3.11
MUSL=$SYSROOT/lib/ld-musl-aarch64.so.1  # musl's libc is also its dynamic loader

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    echo "installing qemu-user-static (Debian)" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
fi

if [ ! -x "$PYTHON" ] || [ ! -f "$MUSL" ]; then
    echo "unpacking Debian's arm64 python3.11 into $SYSROOT" >&2
    APT=$CACHE/arm64-apt
    mkdir -p "$APT/lists/partial" "$APT/archives/partial"
    : >"$APT/status"
    options=(
        -o APT::Architecture=arm64 -o "APT::Architectures::=arm64" -o APT::Sandbox::User=root
        -o "Dir::State::Lists=$APT/lists" -o "Dir::State::status=$APT/status"
        -o "Dir::Cache=$APT" -o "Dir::Cache::archives=$APT/archives" -o Debug::NoLocking=1
    )
    apt-get "${options[@]}" update -qq >&2
    # With an empty status, --download-only fetches python3.11 and the whole closure of its libraries.
    apt-get "${options[@]}" install -y -qq --download-only --no-install-recommends \
        python3.11-minimal libpython3.11-stdlib musl >&2
    rm -rf "$SYSROOT.partial" && mkdir -p "$SYSROOT.partial"
    for deb in "$APT"/archives/*.deb; do dpkg-deb -x "$deb" "$SYSROOT.partial"; done
    rm -rf "$SYSROOT" && mv "$SYSROOT.partial" "$SYSROOT"
fi

if [ "${1:-}" = --print-sysroot ]; then
    echo "$SYSROOT"
    exit 0
fi
exec qemu-aarch64-static -L "$SYSROOT" "$PYTHON" "$@"
