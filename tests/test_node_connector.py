"""A client no one here wrote, against ``pytiktoklive simulate``: TikTok-Live-Connector 1.x (Node).

The test installs ``tiktok-live-connector`` (pinned, MIT-licensed 1.x) with npm into a cache
directory (``$PYTIKTOKLIVE_NODE_CACHE``, default ``~/.cache/pytiktoklive/node``; npm's own cache
makes reinstalls offline-fast), serves the simulator as its own process with ``--sent-log``, and
runs ``tests/node/tlc_driver.js``, which points the library's hosts at the simulator and prints
every message it receives. Every message the simulator sent that room must arrive (compared by
method and payload digest), and the library must see the end of the LIVE. Skipped, with the
reason, only when ``node`` or ``npm`` is not installed.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

TLC_VERSION = "1.2.3"
DRIVER = Path(__file__).parent / "node" / "tlc_driver.js"
# Seconds the driver may run (the rooms play at --speed 4: demo_user ~5 s, replay_user longer).
DRIVER_TIMEOUT = 120

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are needed to run TikTok-Live-Connector (not installed on this machine)",
)


@pytest.fixture(scope="module")
def connector() -> Path:
    """The directory holding ``node_modules/tiktok-live-connector`` at the pinned version."""
    cache = Path(
        os.environ.get("PYTIKTOKLIVE_NODE_CACHE") or Path.home() / ".cache" / "pytiktoklive" / "node"
    )
    target = cache / f"tiktok-live-connector-{TLC_VERSION}"
    manifest = target / "node_modules" / "tiktok-live-connector" / "package.json"
    if not manifest.is_file() or json.loads(manifest.read_text())["version"] != TLC_VERSION:
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm", "install", "--prefix", str(target), f"tiktok-live-connector@{TLC_VERSION}",
                "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error",
            ],
            check=True,
            timeout=600,
        )  # fmt: skip
    assert json.loads(manifest.read_text())["version"] == TLC_VERSION
    return target


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    """``pytiktoklive simulate`` in its own process: its base URL, sent log and room names."""
    sent_log = tmp_path_factory.mktemp("sim") / "sent.jsonl"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "pytiktoklive", "simulate", "--port", "0", "--speed", "4",
            "--sent-log", str(sent_log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        banner: List[str] = []
        for line in process.stdout:
            banner.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(banner)
        match = re.search(r"listening on (http://\S+)", text)
        assert match, f"the simulator did not start:\n{text}"
        rooms = set(re.findall(r"^\s+@(\w+)", text, re.MULTILINE))
        # Keep reading what it prints, so a full pipe never blocks it.
        threading.Thread(target=banner.extend, args=(process.stdout,), daemon=True).start()
        yield {"url": match.group(1), "sent_log": sent_log, "rooms": rooms}
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _sent_to(sent_log: Path, username: str) -> collections.Counter[tuple[str, str]]:
    sent: collections.Counter[tuple[str, str]] = collections.Counter()
    for line in sent_log.read_text().splitlines():
        record = json.loads(line)
        if record["room"] == username:
            sent[(record["method"], record["digest"])] += 1
    return sent


@pytest.mark.parametrize("username", ["demo_user", "replay_user"])
def test_tiktok_live_connector_receives_everything_the_simulator_sent(
    connector: Path, simulator: Dict[str, Any], username: str
) -> None:
    if username not in simulator["rooms"]:
        pytest.skip(f"{username} needs the real captures (../shared/captures), absent here")
    run = subprocess.run(
        ["node", str(DRIVER), str(connector), simulator["url"], username, str(DRIVER_TIMEOUT)],
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT + 30,
    )
    records = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    kinds = [record["event"] for record in records]
    assert run.returncode == 0 and "connected" in kinds, (
        run.returncode,
        run.stdout[-2000:],
        run.stderr[-2000:],
    )
    connected = next(record for record in records if record["event"] == "connected")
    assert connected["websocket"] is True  # it upgraded to the websocket, as against TikTok
    errors = [record for record in records if record["event"] == "error"]
    assert errors == []
    # The end of the LIVE reached it (streamEnd, action 3), and it disconnected.
    assert {"event": "end", "action": 3} in records and "disconnected" in kinds
    received = collections.Counter(
        (record["type"], record["digest"]) for record in records if record["event"] == "message"
    )
    sent = _sent_to(simulator["sent_log"], username)
    assert sum(sent.values()) > 20  # the room really played
    assert received == sent  # every message sent arrived, once (nothing lost, nothing extra)
