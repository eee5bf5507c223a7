"""The first hour of a new user, in a row: every README code block and command and every example
against one standalone ``pytiktoklive simulate`` (``scripts/first_hour.py``; on a fresh clone,
``scripts/first_hour.sh`` runs the same after the README's install command)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "first_hour.py"


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the README records a LIVE: needs ffmpeg")
def test_the_readme_and_every_example_run_in_a_row_against_one_simulator() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--bin", str(Path(sys.executable).parent)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")]
    steps = [line for line in lines if line.startswith("ok ")]
    labels = " | ".join(steps)
    assert "README python block 1" in labels and "README python block 3" in labels
    for example in sorted(path.name for path in (SCRIPT.parents[1] / "examples").glob("*.py")):
        if example.startswith("fleet"):  # needs Redis
            continue
        assert f"examples/{example}" in labels, example
    assert lines[-1].endswith("the simulator stopped on Ctrl-C")
