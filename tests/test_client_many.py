"""Many rooms at once against the simulator: ``track_many`` with hundreds of rooms, bounded memory,
backpressure that is reported and loses nothing."""

from __future__ import annotations

import asyncio
import collections
from typing import AsyncIterator, Dict, List

import pytest
import pytest_asyncio
from client_sim import Recorder, emitted, guarded
from pytiktoklive.errors import InvalidUsernameError, UserNotFoundError, UserOfflineError
from pytiktoklive.events import ChatEvent
from pytiktoklive.simulator import LivelyScenario, ScriptedScenario, Simulator

pytest.importorskip("betterproto2")

ROOM_COUNT = 200


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=8, speed=20.0) as simulator:
        yield simulator


async def test_hundreds_of_rooms_every_event_once(sim: Simulator) -> None:
    rooms = sim.add_rooms(ROOM_COUNT, scenario=LivelyScenario(duration=3.0, battle=False))
    names = [room.username for room in rooms]
    async with Recorder(sim) as client:
        group = await guarded(
            # Gift lists are big (~0.5 MB each): leaving them out keeps this test about the rooms.
            client.tiktok.track_many(
                [*names, "offline_user", "nobody_at_all", "not a name"], concurrency=16, fetch_gift_info=False
            ),
            "track_many",
        )
        assert len(group) == ROOM_COUNT and set(group.lives) == set(names)
        assert isinstance(group.failures["offline_user"], UserOfflineError)
        assert isinstance(group.failures["nobody_at_all"], UserNotFoundError)
        assert isinstance(group.failures["not a name"], InvalidUsernameError)
        received: Dict[str, List[int]] = collections.defaultdict(list)
        async for live, event in group:
            received[live.username].append(event.msg_id)
        assert group.ended
        for room in rooms:
            assert received[room.username] == emitted(room), room.username
        # Memory stayed bounded: no room ever held more than its buffer's capacity.
        assert all(live._buffer.high_water <= 256 for live in group.lives.values())
        assert not client.errors
        await group.close()
    assert client.tiktok.lives == []


async def test_a_slow_consumer_of_many_rooms_is_told_and_loses_nothing(sim: Simulator) -> None:
    burst = ScriptedScenario([(0.0, lambda f: [f.chat(text=f"chat {n}") for n in range(60)])])
    rooms = sim.add_rooms(5, prefix="busy_user", scenario=burst)
    async with Recorder(sim) as client:
        all_stalled = asyncio.Event()

        def warn(message: str) -> None:
            client.warnings.append(message)
            if sum("consumer is slow" in warning for warning in client.warnings) == len(rooms):
                all_stalled.set()

        client.tiktok.set_warn_handler(warn)
        group = await client.tiktok.track_many(
            [room.username for room in rooms], max_buffered_events=8, group_buffer=4
        )
        # Nobody consumes yet: every room fills its buffer, stops reading and says so.
        await guarded(all_stalled.wait(), "every room reporting its stall")
        assert all(len(live._buffer) == 8 for live in group.lives.values())
        assert all(live.stats["backpressure_stalls"] == 1 for live in group.lives.values())
        for room in rooms:
            room.end()
        received: Dict[str, List[int]] = collections.defaultdict(list)
        chats = 0

        @group.on(ChatEvent)
        def count(event: ChatEvent) -> None:
            nonlocal chats
            chats += 1

        async for live, event in group:
            received[live.username].append(event.msg_id)
    for room in rooms:
        assert received[room.username] == emitted(room)
    assert chats == 60 * len(rooms)
    assert any("caught up" in message for message in client.info)


async def test_iterating_a_group_again_continues_where_it_stopped(sim: Simulator) -> None:
    rooms = sim.add_rooms(3, prefix="pausing_user", scenario=LivelyScenario(duration=2.0, battle=False))
    async with Recorder(sim) as client:
        group = await client.tiktok.track_many([room.username for room in rooms], group_buffer=2)
        received: Dict[str, List[int]] = collections.defaultdict(list)
        for stop_after in (5, 7):
            async for live, event in group:
                received[live.username].append(event.msg_id)
                if sum(map(len, received.values())) >= stop_after:
                    break
        async for live, event in group:
            received[live.username].append(event.msg_id)
        assert group.ended
        await guarded(group.close(), "closing the group")
        assert [pair async for pair in group] == []
    for room in rooms:
        assert received[room.username] == emitted(room)


async def test_closing_a_group_with_a_full_merged_stream(sim: Simulator) -> None:
    burst = ScriptedScenario([(0.0, lambda f: [f.chat(text=f"chat {n}") for n in range(30)])])
    rooms = sim.add_rooms(4, prefix="flood_user", scenario=burst)
    async with Recorder(sim) as client:
        group = await client.tiktok.track_many([room.username for room in rooms], group_buffer=1)
        await guarded(group.__aiter__().__anext__())  # the forwarders run and fill the merged stream
        await guarded(group.close(), "closing a group whose merged stream is full")
        assert all(live.closed for live in group.lives.values()) and client.tiktok.lives == []
