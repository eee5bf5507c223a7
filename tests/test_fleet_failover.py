"""The fleet across failures: worker processes on a real redis-server, rooms on the simulator.

Each test starts its own Redis (no persistence unless it restarts Redis with its data) and a
simulator in this process; the workers are ``pytiktoklive fleet worker`` processes reaching the
simulator through ``--endpoint``. Every check compares the streams with what the simulator emitted:
every ``msg_id`` once, in the room's order, with ``seq`` 1, 2, 3…
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Dict, List

import pytest

pytest.importorskip("betterproto2", reason="the simulator needs Python >= 3.10")
pytest.importorskip("redis", reason="the fleet needs the redis package (the test extra has it)")

from fleet_support import WorkerProcess, all_events, eventually, held_by, since
from pytiktoklive.fleet import Fleet
from pytiktoklive.simulator import LivelyScenario, SimRoom, Simulator
from redis_server import RedisServer, redis_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.skipif(not redis_available(), reason="needs redis-server (scripts/test.sh installs it)"),
    pytest.mark.timeout(400),
]

SHARDS = 8


def assert_exactly_once(rooms: List[SimRoom], streams: Dict[str, list]) -> None:
    """Every message each room emitted is in the streams once, in order, numbered 1, 2, 3…"""
    for room in rooms:
        emitted = [entry.msg_id for entry in room.log]
        written = streams.get(room.username, [])
        got = [event.msg_id for event in written]
        assert len(got) == len(set(got)), f"@{room.username}: {len(got) - len(set(got))} events written twice"
        missing = set(emitted) - set(got)
        assert not missing, f"@{room.username}: {len(missing)} of {len(emitted)} events missing"
        assert got == emitted, f"@{room.username}: events out of order"
        assert [event.seq for event in written] == list(range(1, len(written) + 1))
        assert all(event.room_id == room.room_id for event in written)


async def all_written(redis_url: str, rooms: List[SimRoom]) -> bool:
    """Every room has ended and its last message (the control message) is in the streams."""
    streams = await all_events(redis_url, SHARDS)
    return all(
        room.ended and streams.get(room.username) and streams[room.username][-1].msg_id == room.log[-1].msg_id
        for room in rooms
    )


def endless_rooms(sim: Simulator, count: int, prefix: str) -> List[SimRoom]:
    return sim.add_rooms(count, prefix=prefix, scenario=LivelyScenario(duration=None, rate=0.5))


async def all_live(fleet: Fleet, count: int, workers: int) -> bool:
    status = await fleet.status()
    live = [room for room in status.rooms if room.state == "live" and room.events > 0]
    return len(live) == count and len(status.workers) == workers


async def test_sigkill_mid_live_loses_and_repeats_nothing(tmp_path: Path) -> None:
    """3 workers, 30 rooms, one worker SIGKILLed mid-LIVE: its rooms are resumed by the others
    within the lease TTL (plus one renewal tick), every event lands once, in order."""
    lease_ttl = 3.0
    redis = RedisServer(tmp_path / "redis").start()
    workers: List[WorkerProcess] = []
    try:
        async with Simulator(speed=2, builtin_rooms=False) as sim, Fleet(redis.url, shards=SHARDS) as fleet:
            rooms = endless_rooms(sim, 30, "kill_user")
            await fleet.add(*(room.username for room in rooms))
            workers = [
                WorkerProcess(f"w{index}", redis.url, sim.url, tmp_path, lease_ttl=lease_ttl)
                for index in range(3)
            ]
            await eventually(lambda: all_live(fleet, 30, 3), "30 live rooms on 3 workers")
            owners = await held_by(fleet)
            victim = max(
                workers, key=lambda worker: sum(1 for name in owners.values() if name == worker.name)
            )
            orphans = sorted(room for room, name in owners.items() if name == victim.name)
            assert orphans, owners
            victim.kill()
            killed_ms = time.time() * 1000

            async def orphans_taken() -> bool:
                owners = await held_by(fleet)
                return all(owners[room] not in (None, victim.name) for room in orphans)

            await eventually(orphans_taken, "the killed worker's rooms taken over")
            taken_after = {
                room: (ms - killed_ms) / 1000 for room, ms in (await since(fleet)).items() if room in orphans
            }
            # A lease expires lease_ttl after its last renewal; a free room is claimed at the next
            # tick (lease_ttl / 3). The slack is for this shared, busy machine.
            assert max(taken_after.values()) < 2 * lease_ttl + 5.0, taken_after
            await eventually(lambda: all_live(fleet, 30, 2), "the orphans live again")
            for room in rooms:
                room.end()
            await eventually(lambda: all_written(redis.url, rooms), "every room's last message written")
            for worker in workers[:]:
                if worker is not victim:
                    assert await worker.terminate() == 0, worker.log[-3000:]
            assert_exactly_once(rooms, await all_events(redis.url, SHARDS))
            assert any("resumed room" in worker.log for worker in workers if worker is not victim)
    finally:
        for worker in workers:
            worker.close()
        redis.stop()


async def test_redis_restart_mid_run_workers_wait_and_go_on(tmp_path: Path) -> None:
    """Redis killed and restarted (with its append-only file) mid-LIVE: the workers wait, then go
    on from the checkpoints; nothing is lost or written twice."""
    redis = RedisServer(tmp_path / "redis", appendonly=True).start()
    workers: List[WorkerProcess] = []
    try:
        async with Simulator(speed=2, builtin_rooms=False) as sim, Fleet(redis.url, shards=SHARDS) as fleet:
            rooms = endless_rooms(sim, 10, "restart_user")
            await fleet.add(*(room.username for room in rooms))
            workers = [
                WorkerProcess(f"w{index}", redis.url, sim.url, tmp_path, lease_ttl=3.0) for index in range(2)
            ]
            await eventually(lambda: all_live(fleet, 10, 2), "10 live rooms on 2 workers")
            redis.stop()  # SIGKILL: what is not in the append-only file is gone
            await asyncio.sleep(2.0)  # the LIVEs go on meanwhile
            redis.start()
            for room in rooms:
                await room.wait_for_messages(len(room.log) + 5)
            await eventually(lambda: all_live(fleet, 10, 2), "the rooms live again after the restart")
            for room in rooms:
                room.end()
            await eventually(lambda: all_written(redis.url, rooms), "every room's last message written")
            for worker in workers:
                assert worker.process.poll() is None, f"worker {worker.name} died:\n{worker.log[-3000:]}"
                assert await worker.terminate() == 0
            assert_exactly_once(rooms, await all_events(redis.url, SHARDS))
            assert any("Redis" in worker.log and "unavailable" in worker.log for worker in workers)
    finally:
        for worker in workers:
            worker.close()
        redis.stop()


async def test_redis_losing_its_data_stops_writes_and_nothing_crashes(tmp_path: Path) -> None:
    """Without persistence a Redis restart loses everything (rooms, leases, checkpoints, streams):
    the workers stop writing (their leases are gone), keep running, and track what is added again."""
    redis = RedisServer(tmp_path / "redis").start()
    workers: List[WorkerProcess] = []
    try:
        async with Simulator(speed=2, builtin_rooms=False) as sim:
            rooms = endless_rooms(sim, 4, "amnesia_user")
            async with Fleet(redis.url, shards=SHARDS) as fleet:
                await fleet.add(*(room.username for room in rooms))
                workers = [WorkerProcess("w0", redis.url, sim.url, tmp_path, lease_ttl=3.0)]
                await eventually(lambda: all_live(fleet, 4, 1), "4 live rooms")
            redis.restart()
            async with Fleet(redis.url, shards=SHARDS) as fleet:
                assert await fleet.rooms() == []
                await eventually(
                    lambda: _log_has(workers[0], "lease lost"), "the worker noticing its leases are gone"
                )
                await fleet.add(*(room.username for room in rooms))
                await eventually(lambda: all_live(fleet, 4, 1), "the rooms tracked again")
            assert workers[0].process.poll() is None
            assert await workers[0].terminate() == 0
    finally:
        for worker in workers:
            worker.close()
        redis.stop()


async def _log_has(worker: WorkerProcess, text: str) -> bool:
    return text in worker.log


async def test_sigterm_hands_over_at_once_and_fair_share(tmp_path: Path) -> None:
    """A joining worker takes half of the rooms from the first (fair share); SIGTERM then hands
    every room of the first over (its leases are deleted, not left to expire): no gap, no repeat."""
    lease_ttl = 6.0
    redis = RedisServer(tmp_path / "redis").start()
    workers: List[WorkerProcess] = []
    try:
        async with Simulator(speed=2, builtin_rooms=False) as sim, Fleet(redis.url, shards=SHARDS) as fleet:
            rooms = endless_rooms(sim, 12, "term_user")
            await fleet.add(*(room.username for room in rooms))
            first = WorkerProcess("first", redis.url, sim.url, tmp_path, lease_ttl=lease_ttl)
            workers.append(first)
            await eventually(lambda: all_live(fleet, 12, 1), "12 live rooms on one worker")
            second = WorkerProcess("second", redis.url, sim.url, tmp_path, lease_ttl=lease_ttl)
            workers.append(second)

            async def fair() -> bool:
                owners = list((await held_by(fleet)).values())
                return owners.count("first") == 6 and owners.count("second") == 6

            await eventually(fair, "6 rooms each")
            await eventually(lambda: all_live(fleet, 12, 2), "12 live rooms on two workers")
            assert await first.terminate() == 0, first.log[-3000:]
            # The first worker returned only after deleting its leases: none is left to expire.
            owners = await held_by(fleet)
            assert "first" not in owners.values(), owners
            await eventually(lambda: all_live(fleet, 12, 1), "every room live on the second worker")
            assert set((await held_by(fleet)).values()) == {"second"}
            for room in rooms:
                room.end()
            await eventually(lambda: all_written(redis.url, rooms), "every room's last message written")
            assert await second.terminate() == 0
            assert_exactly_once(rooms, await all_events(redis.url, SHARDS))
            assert "handed over" in first.log
    finally:
        for worker in workers:
            worker.close()
        redis.stop()
