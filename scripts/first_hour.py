"""A new user's first hour, in a row: the README's commands and code and every example, against
one standalone ``pytiktoklive simulate``. Exits non-zero at the first step that fails.

    python scripts/first_hour.py [--bin DIR]     # DIR: where python and pytiktoklive are (a venv's bin)

``scripts/first_hour.sh`` runs it on a fresh clone after the README's install command;
``tests/test_first_hour.py`` runs it on the development install. Steps, in order:

1. the README's ``pytiktoklive simulate --port 8080 …`` line, in the background (8080 becomes a
   free port here, everywhere the README says 8080);
2. every ``python`` code block of the README, as written, with ``PYTIKTOKLIVE_ENDPOINT`` set;
3. the README's example commands, then every command of the ``Command line`` section (its
   ``USER`` filled in with ``demo_user``);
4. every program of ``examples/``, as its docstring says to run it against the simulator;
5. the simulator stops on Ctrl-C (SIGINT) with status 0.

Every step must exit with status 0 and print no traceback. Nothing is timed: a guard only stops
a step that hangs.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

REPO = Path(__file__).resolve().parents[1]
HANG_GUARD = 240.0
README_PORT = "8080"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def code_blocks(markdown: str, language: str) -> List[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", markdown, flags=re.S | re.M)


def readme_python_blocks(readme: str) -> List[str]:
    return code_blocks(readme, "python")


def readme_simulate_command(readme: str, port: str) -> List[str]:
    """The README's background ``pytiktoklive simulate …  &`` line, on ``port``."""
    for block in code_blocks(readme, "sh"):
        for line in block.splitlines():
            if line.startswith("pytiktoklive simulate") and line.rstrip().endswith("&"):
                return shlex.split(line.rstrip(" &").replace(README_PORT, port))
    raise SystemExit("the README has no `pytiktoklive simulate ... &` line")


def readme_example_commands(readme: str, port: str) -> List[str]:
    """The README's shell lines that talk to a standalone simulator (not the simulator itself)."""
    commands = []
    for block in code_blocks(readme, "sh"):
        if "PYTIKTOKLIVE_ENDPOINT=" not in block:
            continue
        for line in block.splitlines():
            if line.strip() and not line.rstrip().endswith("&"):
                commands.append(line.replace(README_PORT, port))
    return commands


def command_line_section(readme: str, out_dir: Path) -> List[str]:
    """The ``Command line`` section's commands, ``USER`` filled in, each against the simulator."""
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    commands = []
    for line in code_blocks(section, "sh")[0].splitlines():
        command, _, comment = line.partition("#")
        filled = command.replace("USER...", "demo_user polling_user").replace("USER", "demo_user")
        words = shlex.split(filled.replace(" DIR", f" {out_dir / 'frames'}"))
        if not words or words[1] in ("simulate", "fleet"):  # running already; the fleet needs Redis
            continue
        if words[1] == "record":
            words += ["--duration", "3", "-o", str(out_dir)]
        commands.append(shlex.join(words))
        if "--json" in comment:
            commands.append(shlex.join([*words, "--json"]))
        also = re.search(r"also: (.*?)(?:\(|$)", comment)
        for other in also.group(1).split(",") if also else []:
            commands.append(shlex.join(["pytiktoklive", *other.replace("USER", "demo_user").split()]))
    return commands


def example_commands(port: str) -> List[str]:
    """Each example's own "against the simulator" command, from its docstring."""
    commands = []
    for path in sorted((REPO / "examples").glob("*.py")):
        if path.name.startswith("fleet"):  # needs a Redis server: tests/test_examples.py runs it with one
            continue
        doc = path.read_text(encoding="utf-8").split('"""')[1]
        lines = doc.replace("\\\n", " ").splitlines()
        commands += [" ".join(line.split()) for line in lines if "PYTIKTOKLIVE_ENDPOINT=" in line]
    return [command.replace(README_PORT, port) for command in commands]


class Runner:
    def __init__(self, bin_dir: Path, endpoint: str, work: Path) -> None:
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("PYTIKTOKLIVE_")},
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTIKTOKLIVE_ENDPOINT": endpoint,
            "NO_COLOR": "1",
        }
        self.work = work
        self.steps: List[Tuple[str, float]] = []

    def run(self, label: str, arguments: List[str], *, shell: bool = False) -> str:
        started = time.monotonic()
        if shell:
            # Run from a scratch directory (what a step writes, a recording, goes there), the
            # clone's examples named by their full path.
            arguments = [arguments[0].replace(" examples/", f" {REPO / 'examples'}/")]
        result = subprocess.run(
            arguments[0] if shell else arguments,
            shell=shell,
            executable="/bin/bash" if shell else None,
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
        took = time.monotonic() - started
        ok = result.returncode == 0 and "Traceback" not in result.stderr
        print(f"{'ok  ' if ok else 'FAIL'} {took:5.1f}s  {label}", flush=True)
        if not ok:
            print(f"--- exit status {result.returncode}\n--- stdout\n{result.stdout[-3000:]}")
            print(f"--- stderr\n{result.stderr[-3000:]}", flush=True)
            raise SystemExit(1)
        self.steps.append((label, took))
        return result.stdout


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bin", type=Path, default=Path(sys.executable).parent, help="a venv's bin directory"
    )
    bin_dir = parser.parse_args(argv).bin.resolve()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    port = str(free_port())
    endpoint = f"http://127.0.0.1:{port}"
    simulate = [str(bin_dir / "pytiktoklive"), *readme_simulate_command(readme, port)[1:]]
    print(f"$ {shlex.join(simulate)} &", flush=True)
    simulator = subprocess.Popen(simulate, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert simulator.stdout is not None
        banner = simulator.stdout.readline()
        if "listening on" not in banner:
            errors = simulator.stderr.read() if simulator.stderr else ""
            print(f"FAIL the simulator did not start: {banner}{errors}")
            return 1
        with tempfile.TemporaryDirectory(prefix="first-hour-") as work:
            runner = Runner(bin_dir, endpoint, Path(work))
            python = str(bin_dir / "python")
            for index, block in enumerate(readme_python_blocks(readme), 1):
                first_line = next(line for line in block.splitlines() if line.strip())
                if "pytiktoklive.fleet" in block:  # needs a Redis server: tests/test_fleet.py runs it
                    print(f"skip        README python block {index}: {first_line[:60]} (needs Redis)")
                    continue
                runner.run(f"README python block {index}: {first_line[:60]}", [python, "-c", block])
            for command in readme_example_commands(readme, port):
                runner.run(f"README: {command}", [command], shell=True)
            for command in command_line_section(readme, Path(work)):
                runner.run(f"README command line: {command}", [command], shell=True)
            for command in example_commands(port):
                runner.run(f"example: {command}", [command], shell=True)
            print(f"{len(runner.steps)} steps against one simulator, all with status 0", flush=True)
    finally:
        simulator.send_signal(signal.SIGINT)  # Ctrl-C is how a simulator is stopped
        try:
            _, errors = simulator.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            simulator.kill()
            simulator.communicate()
            print("FAIL the simulator did not stop on Ctrl-C")
            return 1
    if simulator.returncode != 0 or "Traceback" in errors:
        print(f"FAIL the simulator ended with status {simulator.returncode}: {errors[-2000:]}")
        return 1
    print("ok        the simulator stopped on Ctrl-C", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
