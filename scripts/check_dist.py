"""Check the wheels and the sdist that scripts/build-wheels.sh made, before anyone installs them.

    python scripts/check_dist.py DIST TARGET...     (TARGET: a Rust target triple, or "sdist")

Runs in the build-tools venv (auditwheel, abi3audit and pyelftools installed). For each Linux wheel:

* its file name carries ``cp39-abi3`` and the platform tag wanted for the target;
* ``auditwheel show`` finds it consistent with that tag (manylinux_2_17 = glibc 2.17 symbol versions at
  most; musllinux_1_2), and it depends on no library outside that policy;
* ``abi3audit --strict`` finds no CPython symbol outside the stable ABI of 3.9;
* the extension is an ELF of the target's architecture, stripped (no ``.symtab``);
* the package, its stubs, py.typed, entry points, licence and Requires-Python are in it.

The sdist must hold everything ``pip install`` needs to build with cargo alone (no protoc): the Rust
sources and the committed generated code, the .proto files, Cargo.lock, and no compiled extension.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from io import BytesIO
from pathlib import Path
from typing import List

from elftools.elf.elffile import ELFFile  # installed with auditwheel

PLATFORM_TAG = {
    "x86_64-unknown-linux-gnu": "manylinux_2_17_x86_64",
    "aarch64-unknown-linux-gnu": "manylinux_2_17_aarch64",
    "x86_64-unknown-linux-musl": "musllinux_1_2_x86_64",
    "aarch64-unknown-linux-musl": "musllinux_1_2_aarch64",
}
ELF_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
WHEEL_FILES = [
    "pytiktoklive/_core.abi3.so",
    "pytiktoklive/_core.pyi",
    "pytiktoklive/py.typed",
    "pytiktoklive/__init__.py",
    "pytiktoklive/events.py",
    "pytiktoklive/_pytest_plugin.py",
    "pytiktoklive/_proto/__init__.py",
    "pytiktoklive/_proto/webcast/__init__.py",
    "pytiktoklive/simulator/__init__.py",
    "pytiktoklive/simulator/pytest_plugin.py",
    "pytiktoklive/compat/__init__.py",
    # The shipped sample of real captures (README's first example, replay_user on a pip install).
    "pytiktoklive/samples.py",
    "pytiktoklive/sample_captures/MANIFEST.md",
    "pytiktoklive/sample_captures/jwdeveloper_TikTokLiveJava/_repaired/WebcastWebsocketMessage.repaired.bin",
    "pytiktoklive/sample_captures/jwdeveloper_TikTokLiveJava/Tools-EventsCollector/src/main/resources/sample.json",
]
SDIST_FILES = [
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "LICENSE",
    "rust/lib.rs",
    "rust/generated/webcast.rs",
    "rust/generated/webcast.fds",
    "python/pytiktoklive/__init__.py",
    "python/pytiktoklive/_core.pyi",
    "python/pytiktoklive/py.typed",
    "python/pytiktoklive/_proto/webcast/__init__.py",
]

problems: List[str] = []


def check(condition: bool, what: str) -> None:
    print(("  ok    " if condition else "  FAIL  ") + what, flush=True)
    if not condition:
        problems.append(what)


def tools_command(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def check_auditwheel(wheel: Path, tag: str) -> None:
    run = subprocess.run(
        [tools_command("auditwheel"), "show", str(wheel)], capture_output=True, text=True, check=False
    )
    report = " ".join((run.stdout + run.stderr).split())  # auditwheel wraps its sentences
    consistent = re.search(r'consistent with the following platform tag: "([^"]+)"', report)
    found = consistent.group(1) if consistent else f"none (exit {run.returncode}: {report[:300]})"
    check(found == tag, f"auditwheel show: consistent with {tag} (got {found})")
    versions = re.search(
        r"system-provided shared libraries: (.*?) (?:This constrains|The wheel requires)", report
    )
    if versions:
        print(f"        symbol versions: {versions.group(1)}")
    if tag.startswith("manylinux"):
        glibc = [tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+\.\d+)", report)]
        newest = max(glibc, default=(0, 0))
        check(newest <= (2, 17), f"newest glibc symbol version 2.{newest[1]} <= 2.17")


def check_abi3audit(wheel: Path) -> None:
    run = subprocess.run(
        [tools_command("abi3audit"), "--strict", "--summary", "--assume-minimum-abi3", "3.9", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "300"},  # its summary is one wrapped line
    )
    output = " ".join((run.stdout + run.stderr).split())
    summary = re.search(r"\d+ extensions? scanned; .*? found", output)
    check(
        run.returncode == 0
        and summary is not None
        and "; 0 ABI version mismatches and 0 ABI violations" in output,
        f"abi3audit --strict: {summary.group(0) if summary else output[-300:]}",
    )


def check_wheel(wheel: Path, target: str) -> None:
    tag = PLATFORM_TAG[target]
    print(f"{wheel.name} ({wheel.stat().st_size // 1024} KiB)")
    check("-cp39-abi3-" in wheel.name and tag in wheel.name, f"file name tagged cp39-abi3 and {tag}")
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    missing = [f for f in WHEEL_FILES if f not in names]
    check(not missing, f"ships the package, stubs and py.typed ({len(names)} files; missing: {missing})")
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    entry_points = archive.read(f"{info}/entry_points.txt").decode().replace(" ", "")
    check(
        "pytiktoklive=pytiktoklive.cli:main" in entry_points
        and "pytiktoklive=pytiktoklive._pytest_plugin" in entry_points,
        "entry points: the CLI and the pytest11 plugin",
    )
    check(f"{info}/licenses/LICENSE" in names, "ships the LICENSE")
    metadata = archive.read(f"{info}/METADATA").decode()
    check("Requires-Python: >=3.9" in metadata, "METADATA: Requires-Python >=3.9")
    # betterproto2 only with the [pure] extra: TikTokLive 7 pins another version, both must install.
    betterproto2 = [
        line
        for line in metadata.splitlines()
        if re.match(r"Requires-Dist: betterproto2\s*[;<>=!~\[]", line)  # not betterproto2-compiler
    ]
    check(
        all("extra == 'pure'" in line or 'extra == "pure"' in line for line in betterproto2),
        f"METADATA: betterproto2 only in the [pure] extra ({betterproto2})",
    )

    elf = ELFFile(BytesIO(archive.read("pytiktoklive/_core.abi3.so")))
    machine = ELF_MACHINE[target.split("-")[0]]
    check(elf["e_machine"] == machine, f"extension is {machine} (got {elf['e_machine']})")
    check(elf.get_section_by_name(".symtab") is None, "extension is stripped (no .symtab)")
    check_auditwheel(wheel, tag)
    check_abi3audit(wheel)


def check_sdist(sdist: Path) -> None:
    print(f"{sdist.name} ({sdist.stat().st_size // 1024} KiB)")
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    missing = [f for f in SDIST_FILES if f not in members]
    check(
        not missing, f"holds the Rust and Python sources, generated code and Cargo.lock (missing: {missing})"
    )
    check(
        any(m.startswith("proto/webcast/") and m.endswith(".proto") for m in members),
        "holds proto/**/*.proto",
    )
    check(not any(m.endswith((".so", ".pyd", ".whl")) for m in members), "holds no compiled extension")
    check(not any(m.startswith(("target/", ".venv/", "dist/")) for m in members), "holds no build output")


def main() -> int:
    dist = Path(sys.argv[1])
    for target in sys.argv[2:]:
        pattern = (
            "pytiktoklive-*.tar.gz"
            if target == "sdist"
            else f"pytiktoklive-*-cp39-abi3-*{PLATFORM_TAG[target]}*.whl"
        )
        found = sorted(dist.glob(pattern))
        check(len(found) == 1, f"{target}: one file {pattern} in {dist} (found {[f.name for f in found]})")
        if len(found) == 1 and target == "sdist":
            check_sdist(found[0])
        elif len(found) == 1:
            check_wheel(found[0], target)
    print(
        "check_dist:", f"FAILED {len(problems)}: " + "; ".join(problems) if problems else "all checks passed"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
