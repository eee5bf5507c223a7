"""Regenerate the betterproto2 classes in python/pytiktoklive/_proto from proto/.

    python scripts/generate_proto.py           # rewrite the committed code
    python scripts/generate_proto.py --check   # exit 1 if the committed code is stale

Needs the dev extras (grpcio-tools, betterproto2_compiler). The Rust side is
regenerated and checked by `cargo test --test codegen`.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
TARGET = ROOT / "python" / "pytiktoklive" / "_proto"


def generate(out: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    plugin = shutil.which("protoc-gen-python_betterproto2", path=str(Path(sys.executable).parent))
    plugin = plugin or shutil.which("protoc-gen-python_betterproto2")
    if plugin is None:
        raise SystemExit("protoc-gen-python_betterproto2 not found: pip install betterproto2_compiler")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{PROTO_DIR}",
            f"--plugin=protoc-gen-python_betterproto2={plugin}",
            f"--python_betterproto2_out={out}",
            *protos,
        ],
        check=True,
        cwd=PROTO_DIR,
        stdout=subprocess.DEVNULL,
        # the compiler formats its output with the ruff next to this interpreter
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )


def differences(a: Path, b: Path) -> list[str]:
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    changed = [str(p) for p in sorted(files_a & files_b) if not filecmp.cmp(a / p, b / p, shallow=False)]
    return changed + [f"{p} (missing)" for p in sorted(files_a ^ files_b)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail instead of rewriting when stale")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "_proto"
        fresh.mkdir()
        generate(fresh)
        stale = differences(fresh, TARGET) if TARGET.exists() else ["(no committed code)"]
        if not stale:
            print("python/pytiktoklive/_proto is up to date")
            return 0
        if args.check:
            print("python/pytiktoklive/_proto is stale; run scripts/generate_proto.py:", *stale, sep="\n  ")
            return 1
        shutil.rmtree(TARGET, ignore_errors=True)
        shutil.copytree(fresh, TARGET)
        print("regenerated python/pytiktoklive/_proto:", *stale, sep="\n  ")
        return 0


if __name__ == "__main__":
    sys.exit(main())
