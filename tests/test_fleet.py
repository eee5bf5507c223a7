"""The fleet in one process: watching, the next LIVE, sinks, consumer groups, trimming, bad input,
the command line, Redis Cluster. Every test has its own real redis-server (no persistence)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional

import pytest

pytest.importorskip("betterproto2", reason="the simulator needs Python >= 3.10")
pytest.importorskip("redis", reason="the fleet needs the redis package (the test extra has it)")

import shutil

from fleet_support import all_events, eventually
from pytiktoklive import TikTok
from pytiktoklive.errors import InvalidUsernameError
from pytiktoklive.fleet import (
    Fleet,
    FleetEvent,
    RedisUnavailableError,
    RedisURLError,
    StreamGap,
    Worker,
)
from pytiktoklive.simulator import LivelyScenario, RoomSpec, SimRoom, Simulator
from redis_server import RedisCluster, RedisServer, free_port, redis_available

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not redis_available(), reason="needs redis-server (scripts/test.sh installs it)"),
    pytest.mark.timeout(300),
]

SHARDS = 4


@pytest.fixture
def redis_server(tmp_path: Path) -> RedisServer:
    server = RedisServer(tmp_path / "redis").start()
    yield server  # type: ignore[misc]
    server.stop()


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(speed=4, builtin_rooms=False) as simulator:
        yield simulator


class RunningWorker:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.task = asyncio.ensure_future(worker.run())

    async def stop(self) -> None:
        self.worker.stop()
        await asyncio.wait_for(self.task, 60)


async def start_worker(redis_url: str, tiktok: TikTok, **options: object) -> RunningWorker:
    defaults: Dict[str, object] = {"lease_ttl": 3.0, "watch_interval": 0.2, "lookups_per_second": 100.0}
    return RunningWorker(Worker(redis_url, tiktok=tiktok, **{**defaults, **options}))  # type: ignore[arg-type]


def msg_ids(room: SimRoom) -> List[int]:
    return [entry.msg_id for entry in room.log]


async def room_state(fleet: Fleet, name: str) -> str:
    for room in (await fleet.status()).rooms:
        if room.room == name:
            return f"{room.state}: {room.error}" if room.error else room.state
    return ""


# --------------------------------------------------------------------------- watching


async def test_watches_offline_users_and_tracks_each_new_live(
    redis_server: RedisServer, sim: Simulator
) -> None:
    """A user who is not live is watched; each LIVE they start is tracked, start to end; a user who
    never goes live waits; an unknown user fails with a clear reason, without a crash loop."""
    sim.add_room(RoomSpec("later_user", live=False))
    sim.add_room(RoomSpec("never_user", live=False))
    batches: List[List[FleetEvent]] = []
    async with Fleet(redis_server.url, shards=SHARDS) as fleet, TikTok(sim.endpoints) as tiktok:
        await fleet.add("later_user", "never_user", "nobody_here")
        worker = await start_worker(redis_server.url, tiktok, sink=batches.append)
        try:
            await eventually(lambda: _is(fleet, "later_user", "waiting"), "later_user waiting")
            await eventually(
                lambda: _is(fleet, "nobody_here", "failing: unknown user"), "nobody_here failing"
            )
            lives = []
            for _ in range(2):  # this LIVE, then the next one
                room = sim.start_new_live("later_user", scenario=LivelyScenario(duration=3.0, rate=1.0))
                lives.append(room)
                await room.wait_ended()
                await eventually(
                    lambda room=room: _written_up_to(redis_server.url, "later_user", room), "the LIVE written"
                )
                await eventually(lambda: _is(fleet, "later_user", "waiting"), "later_user waiting again")
            assert await room_state(fleet, "never_user") == "waiting"
        finally:
            await worker.stop()
    written = (await all_events(redis_server.url, SHARDS))["later_user"]
    assert [event.msg_id for event in written] == msg_ids(lives[0]) + msg_ids(lives[1])
    assert [event.room_id for event in written] == [lives[0].room_id] * len(lives[0].log) + [
        lives[1].room_id
    ] * len(lives[1].log)
    # The sink saw the same events, in order (at least once: here exactly, nothing failed).
    assert [event.msg_id for batch in batches for event in batch] == [event.msg_id for event in written]
    assert all(event.event is not None for batch in batches for event in batch)


async def _is(fleet: Fleet, name: str, state: str) -> bool:
    return (await room_state(fleet, name)).startswith(state)


async def _written_up_to(redis_url: str, name: str, room: SimRoom) -> bool:
    written = (await all_events(redis_url, SHARDS)).get(name, [])
    return bool(written) and written[-1].msg_id == room.log[-1].msg_id


async def test_sink_only_sees_every_event_in_order_and_retries_a_failed_batch(
    redis_server: RedisServer, sim: Simulator
) -> None:
    """streams=False: an async sink is the only destination; a batch it refuses is offered again."""
    room = sim.add_room(RoomSpec("sink_user", scenario=LivelyScenario(duration=3.0, rate=1.0)))
    received: List[FleetEvent] = []
    refused = []

    async def sink(batch: List[FleetEvent]) -> None:
        if not refused:
            refused.append(len(batch))
            raise ConnectionError("the warehouse is down")
        received.extend(batch)

    async with Fleet(redis_server.url, shards=SHARDS) as fleet, TikTok(sim.endpoints) as tiktok:
        await fleet.add("sink_user")
        worker = await start_worker(redis_server.url, tiktok, sink=sink, streams=False)
        try:
            await room.wait_ended()
            await eventually(lambda: _received_all(received, room), "the sink received the LIVE")
        finally:
            await worker.stop()
        assert (await fleet.status()).streams == {key: 0 for key in await fleet.stream_keys()}
    assert refused
    assert [event.msg_id for event in received] == msg_ids(room)
    assert [event.seq for event in received] == list(range(1, len(received) + 1))


async def _received_all(received: List[FleetEvent], room: SimRoom) -> bool:
    return bool(received) and received[-1].msg_id == room.log[-1].msg_id


@pytest.mark.ffmpeg
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg on PATH")
async def test_worker_records_each_live_to_its_own_disk(
    redis_server: RedisServer, sim: Simulator, tmp_path: Path
) -> None:
    room = sim.add_room(RoomSpec("rec_user", scenario=LivelyScenario(duration=None, rate=0.5)))
    recordings = tmp_path / "recordings"
    async with Fleet(redis_server.url, shards=SHARDS) as fleet, TikTok(sim.endpoints) as tiktok:
        await fleet.add("rec_user")
        worker = await start_worker(redis_server.url, tiktok, record_dir=recordings)
        try:
            await eventually(lambda: _recorded_some(recordings), "a recording with some video in it")
            room.end()  # the recording stops by itself with the LIVE
            await eventually(lambda: _written_up_to(redis_server.url, "rec_user", room), "the LIVE written")
            await eventually(lambda: _is(fleet, "rec_user", "waiting"), "the recording finished")
        finally:
            await worker.stop()
    (path,) = recordings.iterdir()
    assert path.name.startswith(f"rec_user-{room.room_id}-") and path.suffix == ".flv"
    assert path.read_bytes()[:3] == b"FLV"


async def _recorded_some(directory: Path) -> bool:
    return directory.is_dir() and any(path.stat().st_size > 10_000 for path in directory.iterdir())


# --------------------------------------------------------------------------- consumers


async def test_consumer_group_reads_every_event_and_reports_trimmed_ones(
    tmp_path: Path, sim: Simulator
) -> None:
    """Fleet.events in a consumer group: every entry once, per-room order; then a consumer too slow
    for MAXLEN gets a StreamGap where entries were trimmed, never a silent hole."""
    # Small stream nodes, so that MAXLEN ~ trims at this small scale.
    server = RedisServer(tmp_path / "redis", extra=["--stream-node-max-entries", "4"]).start()
    try:
        room = sim.add_room(RoomSpec("group_user", scenario=LivelyScenario(duration=12.0, rate=1.0)))
        async with Fleet(server.url, shards=1, maxlen=30) as fleet, TikTok(sim.endpoints) as tiktok:
            await fleet.add("group_user")
            worker = await start_worker(server.url, tiktok)
            reader = fleet.events("slow-group", "c1")
            first = await asyncio.wait_for(reader.__anext__(), 60)  # one read, then a long pause
            try:
                await room.wait_ended()
                await eventually(lambda: _written_up_to(server.url, "group_user", room), "the LIVE written")
            finally:
                await worker.stop()
            assert len(room.log) > 60  # far more than MAXLEN: most entries are trimmed away
            items: List[object] = [first]
            while not (isinstance(items[-1], FleetEvent) and items[-1].msg_id == room.log[-1].msg_id):
                items.append(await asyncio.wait_for(reader.__anext__(), 30))
            await reader.aclose()
            gaps = [item for item in items if isinstance(item, StreamGap)]
            events = [item for item in items if isinstance(item, FleetEvent)]
            assert gaps, "trimmed entries must be reported"
            assert len(events) < len(room.log)
            seqs = [event.seq for event in events]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            # A group created now, "from the start", is told first that the start is gone, then
            # reads what is left without a hole.
            fast = fleet.events("late-group", "c1")
            opening = await asyncio.wait_for(fast.__anext__(), 30)
            assert isinstance(opening, StreamGap) and opening.after_id == "0-0"
            kept: List[FleetEvent] = []
            while not kept or kept[-1].msg_id != room.log[-1].msg_id:
                item = await asyncio.wait_for(fast.__anext__(), 30)
                assert isinstance(item, FleetEvent)
                kept.append(item)
            await fast.aclose()
            assert [event.seq for event in kept] == list(range(kept[0].seq, kept[-1].seq + 1))
            assert [event.position for event in kept] == list(range(kept[0].position, kept[-1].position + 1))
    finally:
        server.stop()


async def test_consumer_group_shares_and_acknowledges(redis_server: RedisServer, sim: Simulator) -> None:
    """Two consumers of one group split the entries; together: all of them, once; acked as read."""
    room = sim.add_room(RoomSpec("share_user", scenario=LivelyScenario(duration=3.0, rate=1.0)))
    async with Fleet(redis_server.url, shards=SHARDS) as fleet, TikTok(sim.endpoints) as tiktok:
        await fleet.add("share_user")
        worker = await start_worker(redis_server.url, tiktok)
        try:
            await room.wait_ended()
            await eventually(lambda: _written_up_to(redis_server.url, "share_user", room), "the LIVE written")
        finally:
            await worker.stop()
        got: Dict[str, List[FleetEvent]] = {"a": [], "b": []}

        async def consume(name: str) -> None:
            reader = fleet.events("shared", name, count=5)
            try:
                while sum(len(events) for events in got.values()) < len(room.log):
                    item = await asyncio.wait_for(reader.__anext__(), 5)
                    assert isinstance(item, FleetEvent)
                    got[name].append(item)
            except asyncio.TimeoutError:
                pass
            finally:
                await reader.aclose()

        await asyncio.gather(consume("a"), consume("b"))
        together = sorted(got["a"] + got["b"], key=lambda event: event.seq)
        assert [event.msg_id for event in together] == msg_ids(room)
        # A third consumer of the group finds nothing left: everything read was acknowledged
        # (each consumer acks an entry when it asks for the next one; the last one stays pending).
        pending = await fleet._client.xpending(*(await fleet.stream_keys())[:1], "shared")  # type: ignore[attr-defined]
        assert pending["pending"] <= 2


# --------------------------------------------------------------------------- bad input


def run_cli(*arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytiktoklive", "fleet", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6379", "redis://127.0.0.1:notaport", "redis://", "not a url", "redis://h:6379/notadb"],
)
def test_malformed_redis_url_is_one_clear_line(url: str) -> None:
    result = run_cli("list", "--redis", url)
    assert result.returncode == 1
    assert "malformed Redis URL" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(RedisURLError):
        Fleet(url)
    with pytest.raises(RedisURLError):
        Worker(url)


def test_password_in_a_redis_url_is_never_shown() -> None:
    result = run_cli("status", "--redis", f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    assert result.returncode == 1
    assert "unavailable" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


async def test_unreachable_redis(tmp_path: Path) -> None:
    """Admin commands fail with one line; a worker waits for Redis (no crash loop), then joins."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    result = run_cli("add", "someone", "--redis", url)
    assert result.returncode == 1 and "unavailable" in result.stderr and "Traceback" not in result.stderr
    async with Fleet(url) as fleet:
        with pytest.raises(RedisUnavailableError):
            await fleet.rooms()
    log = tmp_path / "worker.log"
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "pytiktoklive", "fleet", "worker", "--redis", url, "--lease-ttl", "3"],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
        )
        try:
            await eventually(lambda: _contains(log, "unavailable"), "the worker saying Redis is unavailable")
            assert process.poll() is None
            server = RedisServer(tmp_path / "redis")
            server.port = port
            server.start()
            try:
                await eventually(lambda: _contains(log, "joined the fleet"), "the worker joining")
                process.terminate()
                assert process.wait(60) == 0
            finally:
                server.stop()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert "Traceback" not in log.read_text()


async def _contains(path: Path, text: str) -> bool:
    return text in path.read_text(errors="replace")


async def test_bad_usernames_are_refused_before_anything_is_added(redis_server: RedisServer) -> None:
    async with Fleet(redis_server.url) as fleet:
        with pytest.raises(InvalidUsernameError):
            await fleet.add("fine_name", "not a name!")
        assert await fleet.rooms() == []
    result = run_cli("add", "not a name!", "--redis", redis_server.url)
    assert result.returncode == 1 and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- command line


async def test_cli_add_list_status_tail_remove(redis_server: RedisServer, sim: Simulator) -> None:
    room = sim.add_room(RoomSpec("cli_user", scenario=LivelyScenario(duration=2.0, rate=1.0)))
    url = redis_server.url
    added = await _cli_json("add", "@cli_user", "cli_other", "--redis", url, "--shards", str(SHARDS))
    assert added == {"added": ["cli_user", "cli_other"]}
    assert await _cli_json("add", "cli_user", "--redis", url) == {"added": []}
    assert await _cli_json("list", "--redis", url) == {"rooms": ["cli_other", "cli_user"]}
    async with TikTok(sim.endpoints) as tiktok:
        worker = await start_worker(url, tiktok, name="cli-worker")
        try:
            await room.wait_ended()
            await eventually(lambda: _written_up_to(url, "cli_user", room), "the LIVE written")

            async def status_caught_up() -> bool:  # the worker publishes its rooms' status on a tick
                async with Fleet(url) as fleet:
                    rooms = (await fleet.status()).rooms
                return any(entry.room == "cli_user" and entry.events == len(room.log) for entry in rooms)

            await eventually(status_caught_up, "the room's status published")
            status = await _cli_json("status", "--redis", url)
        finally:
            await worker.stop()
    by_room = {entry["room"]: entry for entry in status["rooms"]}
    assert by_room["cli_user"]["worker"].startswith("cli-worker/")
    assert by_room["cli_user"]["events"] == len(room.log)
    assert [worker["name"] for worker in status["workers"]] == ["cli-worker"]
    assert sum(status["streams"].values()) == len(room.log)
    lines = await _cli_lines("tail", "--redis", url, "--count", str(len(room.log)), "--group", "t")
    assert [json.loads(line)["msg_id"] for line in lines] == msg_ids(room)
    assert json.loads(lines[0])["data"]["msg_id"] == room.log[0].msg_id
    assert await _cli_json("remove", "cli_other", "--redis", url) == {"removed": ["cli_other"]}
    table = await _cli_text("status", "--redis", url)
    assert "cli_user" in table and "cli_other" not in table


async def _cli(*arguments: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pytiktoklive", "fleet", *arguments,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def _cli_json(*arguments: str) -> Dict[str, object]:
    result = json.loads(await _cli(*arguments, "--json"))
    assert isinstance(result, dict)
    return result


async def _cli_lines(*arguments: str) -> List[str]:
    return (await _cli(*arguments)).splitlines()


async def _cli_text(*arguments: str) -> str:
    return await _cli(*arguments)


# --------------------------------------------------------------------------- Redis Cluster


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="needs redis-cli to create a cluster")
async def test_redis_cluster(tmp_path: Path, sim: Simulator) -> None:
    """Three masters on loopback: the commit script's keys share a hash tag, so it runs on one node;
    every event of rooms spread over shards on different nodes is read back once, in order."""
    cluster = RedisCluster(tmp_path / "cluster")
    try:
        cluster.start()
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        cluster.stop()
        pytest.skip(f"a local Redis Cluster could not be started: {exc}")
    try:
        rooms = sim.add_rooms(4, prefix="cluster_user", scenario=LivelyScenario(duration=3.0, rate=1.0))
        async with Fleet(cluster.url, shards=6) as fleet, TikTok(sim.endpoints) as tiktok:
            await fleet.add(*(room.username for room in rooms))
            worker = await start_worker(cluster.url, tiktok)
            reader = fleet.events("cluster-group")
            got: Dict[str, List[int]] = {}
            try:
                while any(
                    len(got.get(room.username, [])) < len(room.log) or not room.ended for room in rooms
                ):
                    item = await asyncio.wait_for(reader.__anext__(), 60)
                    assert isinstance(item, FleetEvent)
                    got.setdefault(item.room, []).append(item.msg_id)
            finally:
                await reader.aclose()
                await worker.stop()
            for room in rooms:
                assert got[room.username] == msg_ids(room)
            nodes = {await _node_of(fleet, key) for key in await fleet.stream_keys()}
            assert len(nodes) > 1, "the shards should spread over the cluster's nodes"
    finally:
        cluster.stop()


async def _node_of(fleet: Fleet, key: str) -> Optional[str]:
    node = fleet._client.get_node_from_key(key)  # type: ignore[attr-defined]
    return f"{node.host}:{node.port}"
