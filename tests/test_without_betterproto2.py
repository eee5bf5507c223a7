"""A plain install has no betterproto2 (it is the ``pure`` extra's): everything but the pure decoder works.

Each test runs a real Python subprocess in which ``import betterproto2`` fails, as in a venv
without the extra (or on Python 3.9): the client follows a simulated LIVE over the websocket
(the Rust core encodes its enter-room, heartbeat and ack frames, and the simulator's frames),
the README's ``watch --sim`` command prints events, and ``PYTIKTOKLIVE_PURE=1`` is a clear error
naming the extra.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Dict, Optional

#: Makes ``import betterproto2`` (and so ``pytiktoklive._proto``) fail in the subprocess.
BLOCK = "import sys; sys.modules['betterproto2'] = None\n"

FOLLOW = """
import asyncio
from pytiktoklive import TikTok
from pytiktoklive.simulator import Simulator

async def main():
    async with Simulator(speed=40) as sim, TikTok(sim.endpoints) as tiktok:
        live = await tiktok.track_user("demo_user")
        async with live:
            kinds = [type(event).__name__ async for event in live.events]
        room = sim.room("demo_user")
        print(json.dumps({
            "transport": live.transport, "ended": live.ended, "events": len(kinds),
            "chats": kinds.count("ChatEvent"), "emitted": len(room.log),
            "acks": len(room.stats.acks), "enter_room": [e.room_id for e in room.stats.enter_room],
            "room_id": room.room_id, "betterproto2": sys.modules.get("betterproto2") is not None,
        }))

asyncio.run(main())
"""


def run_blocked(code: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + "import json\n" + code],
        capture_output=True,
        text=True,
        timeout=100,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_the_websocket_client_and_the_simulator_need_no_betterproto2() -> None:
    result = run_blocked(FOLLOW)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["transport"] == "websocket" and report["ended"]
    assert report["events"] == report["emitted"] > 20 and report["chats"] > 0
    assert report["acks"] > 0  # acks, enter-room and heartbeats were encoded by the Rust core
    assert report["enter_room"] == [report["room_id"]]
    assert report["betterproto2"] is False


def test_the_readme_watch_command_needs_no_betterproto2() -> None:
    code = (
        "from pytiktoklive.cli import main\n"
        "sys.exit(main(['--sim', '--speed', '40', 'watch', 'demo_user', '--json']))"
    )
    result = run_blocked(code)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"type"')]
    assert len(events) > 20 and any(event["type"] == "ChatEvent" for event in events)


def test_pure_decoder_without_the_extra_is_a_clear_error() -> None:
    result = run_blocked("import pytiktoklive", env={"PYTIKTOKLIVE_PURE": "1"})
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError") and "pip install 'pytiktoklive[pure]'" in last, last
    # Without the variable, the same environment imports and decodes with the Rust core.
    fine = run_blocked("import pytiktoklive\nprint(pytiktoklive.backend())")
    assert fine.returncode == 0 and fine.stdout.strip() == "rust", fine.stderr
