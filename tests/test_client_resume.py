"""Handing a room from one tracker to another: ``Live.resume_point()`` and ``track_room(resume=…)``.

What the fleet relies on: a resume point taken right after consuming covers exactly what was
consumed, whatever sits in the room's buffer; a new tracker (another client, as on another
machine) resumes there and delivers every other event once, even when the LIVE ended meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import List

import pytest

pytest.importorskip("betterproto2", reason="the simulator needs Python >= 3.10")

from pytiktoklive import TikTok
from pytiktoklive.errors import LiveEndedError
from pytiktoklive.events import Event
from pytiktoklive.live import Live, ResumePoint
from pytiktoklive.simulator import LivelyScenario, RoomSpec, SimRoom, Simulator


async def take(live: Live, count: int) -> List[Event]:
    events: List[Event] = []
    async for event in live.events:
        events.append(event)
        if len(events) == count:
            break
    return events


def ids(events: List[Event]) -> List[int]:
    return [event.msg_id for event in events]


def emitted(room: SimRoom) -> List[int]:
    return [entry.msg_id for entry in room.log]


async def test_a_second_tracker_resumes_exactly_where_the_first_stopped() -> None:
    async with Simulator(speed=8, builtin_rooms=False) as sim:
        room = sim.add_room(RoomSpec("resume_user", scenario=LivelyScenario(duration=8.0, rate=1.0)))
        async with TikTok(sim.endpoints) as first:
            live = await first.track_user("resume_user", fetch_gift_info=False)
            await room.wait_for_messages(40)
            await asyncio.sleep(0.3)  # let events pile up in the buffer, unconsumed
            before = await take(live, 25)
            point = live.resume_point()
            assert point.room_id == room.room_id and point.cursor
            assert live.stats["buffered_events"] > 0 or len(room.log) > 25  # the cursor ran ahead
            await live.close()  # what was buffered is dropped: the next tracker must deliver it
        async with TikTok(sim.endpoints) as second:
            resumed = await second.track_room(room.room_id, resume=point, fetch_gift_info=False)
            after = [event async for event in resumed.events]
        assert ids(before) + ids(after) == emitted(room)


async def test_resuming_a_live_that_ended_meanwhile_delivers_its_last_events() -> None:
    async with Simulator(speed=8, builtin_rooms=False) as sim:
        room = sim.add_room(RoomSpec("tail_user", scenario=LivelyScenario(duration=None, rate=1.0)))
        async with TikTok(sim.endpoints) as first:
            live = await first.track_user("tail_user", fetch_gift_info=False)
            before = await take(live, 10)
            point = live.resume_point()
            await live.close()
        await room.wait_for_messages(len(room.log) + 10)
        room.end()  # ended while no one tracked it: the control message is after the point
        async with TikTok(sim.endpoints) as second:
            resumed = await second.track_room(room.room_id, resume=point, fetch_gift_info=False)
            after = [event async for event in resumed.events]
            assert resumed.ended
            without_point = ResumePoint(room.room_id, "", "", ())
            with pytest.raises(LiveEndedError):
                await second.track_room(room.room_id, resume=without_point)
        assert ids(before) + ids(after) == emitted(room)


async def test_a_resume_point_of_another_room_is_refused() -> None:
    async with Simulator(speed=8) as sim, TikTok(sim.endpoints) as tiktok:
        with pytest.raises(ValueError, match="resume point of room 1"):
            await tiktok.track_room(sim.room("demo_user").room_id, resume=ResumePoint(1, "c", "", ()))
