"""Every program in examples/, run as a user would: a subprocess whose only link to the simulator
(running in this test's event loop) is ``PYTIKTOKLIVE_ENDPOINT``. Its output is checked against
what the simulator actually sent."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from pytiktoklive import (
    ChatEvent,
    ControlEvent,
    Event,
    GiftEvent,
    GiftStreaks,
    TikTok,
    decode_message,
)

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# Only guards against a hung example; nothing is timed.
HANG_GUARD = 90.0
requires_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg on PATH")


@dataclasses.dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> List[str]:
        return self.stdout.splitlines()


def example_env(sim: Simulator, **extra: str) -> Dict[str, str]:
    """The environment of a user who points the examples at the simulator: one variable."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTIKTOKLIVE_WWW", "PYTIKTOKLIVE_WEBCAST", "SIGN_API_URL")
    }
    return {**env, "PYTIKTOKLIVE_ENDPOINT": sim.url, **extra}


async def run_example(
    sim: Simulator, name: str, *arguments: str, env: Optional[Dict[str, str]] = None
) -> Result:
    # asyncio's subprocess, not subprocess.run: the simulator serves from this very event loop.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env or example_env(sim),
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), HANG_GUARD)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    result = Result(process.returncode or 0, stdout.decode(), stderr.decode())
    assert "Traceback" not in result.stderr, result.stderr
    return result


def sent_events(sim: Simulator, username: str) -> List[Event]:
    """What the simulator sent in a room, decoded: the ground truth the examples are checked against."""
    return [decode_message(m.method, m.payload, m.msg_id) for m in sim.room(username).messages]


def endless_room(sim: Simulator, username: str) -> None:
    sim.add_room(RoomSpec(username, scenario=LivelyScenario(duration=None)))


TESTED = {
    "chat_and_gifts.py",
    "json_to_stdout.py",
    "many_rooms.py",
    "record.py",
    "shard_processes.py",
    "feed_and_prices.py",
    "fleet_consumer.py",
}


def test_every_example_is_tested() -> None:
    assert {path.name for path in EXAMPLES.glob("*.py")} == TESTED


# --------------------------------------------------------------------------- one room


async def test_chat_and_gifts_prints_every_chat_and_each_finished_streak(tiktok_simulator: Simulator) -> None:
    result = await run_example(tiktok_simulator, "chat_and_gifts.py", "demo_user")
    assert result.returncode == 0, result.stderr
    assert result.lines[0] == "Watching @demo_user: Simulated LIVE: every event type"
    assert result.lines[-1] == "The LIVE has ended."

    sent = sent_events(tiktok_simulator, "demo_user")
    chats = [f"chat  @{e.user.username}: {e.comment}" for e in sent if isinstance(e, ChatEvent) and e.user]
    streaks = GiftStreaks()
    gifts = []
    for event in sent:
        streak = streaks.feed(event) if isinstance(event, GiftEvent) else None
        if streak is not None and streak.user is not None:
            sender, coins = streak.user.username, streak.total_cost
            gifts.append(f"gift  @{sender} sent {streak.count} x {streak.name} ({coins} coins)")
    # a streak is one line with its final count, not one line per GiftEvent
    assert len(gifts) < sum(isinstance(e, GiftEvent) for e in sent)
    assert chats and gifts
    assert [line for line in result.lines if line.startswith("chat  ")] == chats
    assert [line for line in result.lines if line.startswith("gift  ")] == gifts


async def test_json_to_stdout_prints_every_event_as_one_json_line(tiktok_simulator: Simulator) -> None:
    result = await run_example(tiktok_simulator, "json_to_stdout.py", "demo_user")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.lines]  # stdout is nothing but JSON
    sent = sent_events(tiktok_simulator, "demo_user")
    assert [record["data"]["msg_id"] for record in records] == [event.msg_id for event in sent]
    assert [record["type"] for record in records] == [type(event).__name__ for event in sent]
    assert all(record["username"] == "demo_user" for record in records)
    assert records[-1]["type"] == ControlEvent.__name__ and records[-1]["data"]["action"] == 3


async def test_json_to_stdout_ends_quietly_when_the_reader_goes_away(tiktok_simulator: Simulator) -> None:
    endless_room(tiktok_simulator, "endless_user")  # it never stops writing: the pipe must break
    script = f'"{sys.executable}" "{EXAMPLES / "json_to_stdout.py"}" endless_user | head -n 3'
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script + "; exit ${PIPESTATUS[0]}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=example_env(tiktok_simulator),
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), HANG_GUARD)
    assert process.returncode == 0, stderr.decode()
    assert stderr.decode() == ""
    assert [json.loads(line)["username"] for line in stdout.decode().splitlines()] == ["endless_user"] * 3


async def test_an_offline_user_is_one_error_line(tiktok_simulator: Simulator) -> None:
    for name in ("chat_and_gifts.py", "json_to_stdout.py"):
        result = await run_example(tiktok_simulator, name, "offline_user")
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.strip() == "error: @offline_user is not live"


# --------------------------------------------------------------------------- many rooms


async def test_many_rooms_counts_each_room_and_lists_failures(tiktok_simulator: Simulator) -> None:
    users = ["demo_user", "polling_user", "offline_user", "nobody_here"]
    result = await run_example(tiktok_simulator, "many_rooms.py", *users)
    assert result.returncode == 0, result.stderr
    assert "not tracked  @offline_user: UserOfflineError: @offline_user is not live" in result.lines
    assert any(line.startswith("not tracked  @nobody_here: UserNotFoundError") for line in result.lines)
    counts = {
        match.group(1): (int(match.group(2).replace(",", "")), match.group(3))
        for match in (re.fullmatch(r"@(\S+) +([\d,]+) events  \((.+)\)", line) for line in result.lines)
        if match
    }
    # both rooms ran to their end (one over the websocket, one by polling), every event counted
    assert counts == {
        "demo_user": (len(sent_events(tiktok_simulator, "demo_user")), "ended"),
        "polling_user": (len(sent_events(tiktok_simulator, "polling_user")), "ended"),
    }
    assert result.lines[-1] == "2 rooms tracked, 2 not tracked"


async def test_many_rooms_stops_after_seconds(tiktok_simulator: Simulator) -> None:
    endless_room(tiktok_simulator, "endless_user")
    result = await run_example(tiktok_simulator, "many_rooms.py", "endless_user", "--seconds", "0.5")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"@endless_user +[\d,]+ events  \(still live\)", result.lines[0])
    assert not tiktok_simulator.room("endless_user").ended


async def test_shard_processes_spreads_rooms_over_workers_and_merges_their_events(
    tiktok_simulator: Simulator,
) -> None:
    rooms = [room.username for room in tiktok_simulator.add_rooms(3, prefix="shard_user")]
    result = await run_example(
        tiktok_simulator, "shard_processes.py", *rooms, "offline_user", "--workers", "2"
    )
    assert result.returncode == 0, result.stderr
    workers = {
        match.group(1): match.group(2).split(", ")
        for match in (re.fullmatch(r"worker (\d+): tracked (.+)", line) for line in result.lines)
        if match
    }
    assert len(workers) == 2 and os.getpid() not in map(int, workers)  # two other processes
    assert sorted(name for names in workers.values() for name in names) == rooms
    assert "  not tracked @offline_user: UserOfflineError: @offline_user is not live" in result.lines
    counts = {
        match.group(1): int(match.group(2).replace(",", ""))
        for match in (re.fullmatch(r"@(\S+) +([\d,]+) events", line) for line in result.lines)
        if match
    }
    assert counts == {name: len(sent_events(tiktok_simulator, name)) for name in rooms}


# --------------------------------------------------------------------------- record


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_record_saves_the_stream_with_progress(tiktok_simulator: Simulator, tmp_path: Path) -> None:
    endless_room(tiktok_simulator, "record_user")  # live for longer than the recording
    result = await run_example(
        tiktok_simulator, "record.py", "record_user", "--seconds", "1", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    (path,) = tmp_path.iterdir()
    assert path.name.startswith("record_user-") and path.suffix == ".flv"
    assert path.read_bytes()[:3] == b"FLV"
    assert any(line.startswith(f"recording {path.name}: ") for line in result.lines)
    assert result.lines[-1].startswith(f"Saved {path}: ")
    assert result.lines[-1].endswith(f"{path.stat().st_size:,} bytes (finished)")


async def test_record_without_ffmpeg_is_one_error_line(tiktok_simulator: Simulator, tmp_path: Path) -> None:
    env = example_env(tiktok_simulator, PATH=str(tmp_path))  # no ffmpeg there
    result = await run_example(tiktok_simulator, "record.py", "demo_user", "--out", str(tmp_path), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ffmpeg is not on PATH")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- discovery


async def test_feed_and_prices(tiktok_simulator: Simulator) -> None:
    result = await run_example(tiktok_simulator, "feed_and_prices.py", "--limit", "2")
    assert result.returncode == 0, result.stderr
    assert result.lines[0] == "Recommended LIVEs (2):"
    listed = [int(line.split()[1]) for line in result.lines[1:3]]
    in_feed = {room.room_id for room in tiktok_simulator.rooms if room.live and room.spec.in_feed}
    assert len(set(listed)) == 2 and set(listed) <= in_feed

    async with TikTok(tiktok_simulator.endpoints) as tiktok:
        prices = await tiktok.get_price_list()
    assert result.lines[3] == f"Coin prices ({prices.currency}):"
    shown = [line.split() for line in result.lines[4:]]
    assert [(row[0], row[2], row[4]) for row in shown] == [
        (f"{item.diamond_count:,}", f"{item.price / 100:.2f}", f"{item.exchange_price / 100:.2f}")
        for item in prices.items
    ]


# --------------------------------------------------------------------------- fleet


@pytest.mark.redis
@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server (scripts/test.sh installs it)"
)
async def test_fleet_consumer_reads_every_event_through_a_consumer_group(
    tiktok_simulator: Simulator, tmp_path: Path
) -> None:
    pytest.importorskip("redis", reason="the fleet needs the redis package (the test extra has it)")
    from redis_server import RedisServer

    server = RedisServer(tmp_path / "redis").start()
    try:
        room = tiktok_simulator.add_room(RoomSpec("fleet_user", scenario=LivelyScenario(duration=4.0)))
        result = await run_example(
            tiktok_simulator, "fleet_consumer.py", "fleet_user", "--redis", server.url, "--worker"
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" or "out of order" not in result.stderr
    ended = [line for line in result.lines if line.startswith("@fleet_user ")]
    assert ended == [
        f"@fleet_user (room {room.room_id}) ended: {len(room.log)} events: " + ended[0].split(": ", 2)[2]
    ]
    assert result.lines[-1] == f"{len(room.log)} events read by group 'fleet-example'"
