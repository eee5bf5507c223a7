"""Taking events by the batch: ``live.batches()`` and ``group.batches()``.

The same promise as event by event: every event of every room, in the room's order, each once,
handlers run on each; plus the batch's own: never empty, never over ``max_events``, and rooms
take turns.
"""

from __future__ import annotations

import asyncio
import collections
from typing import AsyncIterator, Dict, List

import pytest
import pytest_asyncio
from client_sim import Recorder, emitted, guarded
from pytiktoklive import TikTok
from pytiktoklive.events import ChatEvent
from pytiktoklive.live import Live
from pytiktoklive.simulator import LivelyScenario, RoomSpec, ScriptedScenario, Simulator

pytest.importorskip("betterproto2")


def burst(count: int) -> ScriptedScenario:
    """``count`` chats at once, then the end."""
    return ScriptedScenario([(0.0, lambda f: [f.chat(text=f"chat {n}") for n in range(count)])])


async def until_buffered(live: Live, count: int) -> None:
    async def wait() -> None:
        while live.stats["buffered_events"] < count:
            await asyncio.sleep(0.01)

    await guarded(wait(), f"{count} events buffered")


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=9, speed=20.0, builtin_rooms=False) as simulator:
        yield simulator


async def test_a_rooms_batches_hold_every_event_once_in_order(sim: Simulator) -> None:
    room = sim.add_room(RoomSpec("batch_user", scenario=LivelyScenario(duration=3.0, battle=False)))
    async with TikTok(sim.endpoints) as tiktok:
        live = await tiktok.track_user("batch_user", fetch_gift_info=False)
        chats: List[ChatEvent] = []
        live.on(ChatEvent, chats.append)
        batches = [batch async for batch in live.batches(max_events=5)]
    assert all(1 <= len(batch) <= 5 for batch in batches)
    events = [event for batch in batches for event in batch]
    assert [event.msg_id for event in events] == emitted(room)
    assert chats == [event for event in events if isinstance(event, ChatEvent)] and chats
    assert live.ended


async def test_a_batch_is_what_is_buffered_up_to_the_limit(sim: Simulator) -> None:
    room = sim.add_room(RoomSpec("pile_user", scenario=burst(40)))
    async with TikTok(sim.endpoints) as tiktok:
        live = await tiktok.track_user("pile_user", fetch_gift_info=False)
        await until_buffered(live, 40)
        room.end()
        iterator = live.batches(max_events=16)
        first, second, third = [await guarded(iterator.__anext__()) for _ in range(3)]
        rest = [event async for batch in iterator for event in batch]
    assert (len(first), len(second)) == (16, 16)  # the limit, with more waiting
    assert len(third) == 8 or len(third) == 9  # what was left (with the end's control event)
    ids = [event.msg_id for event in [*first, *second, *third, *rest]]
    assert ids == emitted(room)


async def test_a_resume_point_taken_mid_frame_covers_what_was_consumed(sim: Simulator) -> None:
    room = sim.add_room(RoomSpec("handover_user", scenario=burst(40)))
    async with TikTok(sim.endpoints) as first:
        live = await first.track_user("handover_user", fetch_gift_info=False)
        await until_buffered(live, 40)  # one frame of 40
        iterator = live.batches(max_events=7)
        before = [event for _ in range(3) for event in await guarded(iterator.__anext__())]
        point = live.resume_point()  # 21 of the frame's 40 consumed: their ids go with the point
        await live.close()
    room.end()
    async with TikTok(sim.endpoints) as second:
        resumed = await second.track_room(room.room_id, resume=point, fetch_gift_info=False)
        after = [event async for batch in resumed.batches() for event in batch]
    assert len(before) == 21
    assert [event.msg_id for event in before + after] == emitted(room)


async def test_a_resume_point_taken_mid_turn_of_a_group_covers_what_was_consumed(sim: Simulator) -> None:
    # A group takes a room's turn (up to 64 events) from its buffer at once and hands it out
    # one event at a time: the point counts the events handed out, not those taken.
    room = sim.add_room(RoomSpec("group_handover_user", scenario=burst(40)))
    async with TikTok(sim.endpoints) as first:
        group = await first.track_many([room.username], fetch_gift_info=False)
        (live,) = group.lives.values()
        await until_buffered(live, 40)  # one frame of 40: one turn
        before: List[ChatEvent] = []
        async for _live, event in group:
            assert isinstance(event, ChatEvent)
            before.append(event)
            if len(before) == 21:
                break
        point = live.resume_point()
        await group.close()  # the turn's other 19 events go with the room
    room.end()
    async with TikTok(sim.endpoints) as second:
        resumed = await second.track_room(room.room_id, resume=point, fetch_gift_info=False)
        after = [event async for batch in resumed.batches() for event in batch]
    assert [event.msg_id for event in before + after] == emitted(room)


async def test_a_room_closed_mid_turn_hands_out_nothing_more(sim: Simulator) -> None:
    rooms = [sim.add_room(RoomSpec(f"closed_turn_user{n}", scenario=burst(40))) for n in range(2)]
    async with TikTok(sim.endpoints) as tiktok:
        group = await tiktok.track_many([room.username for room in rooms], fetch_gift_info=False)
        for live in group.lives.values():
            await until_buffered(live, 40)
        for room in rooms:
            room.end()
        received: Dict[str, List[int]] = collections.defaultdict(list)
        closed = None
        async for live, event in group:
            assert live is not closed, "an event of a closed room"
            received[live.username].append(event.msg_id)
            if closed is None and len(received[live.username]) == 5:
                closed = live
                await live.close()  # mid-turn: its other 35 events are dropped with its buffer
    assert closed is not None
    assert received[closed.username] == emitted(sim.room(closed.username))[:5]
    (other,) = [room for room in rooms if room.username != closed.username]
    assert received[other.username] == emitted(other)


async def test_a_groups_batches_hold_every_rooms_events_once_and_rooms_take_turns(sim: Simulator) -> None:
    rooms = [sim.add_room(RoomSpec(f"group_batch_user{n}", scenario=burst(150))) for n in range(3)]
    async with Recorder(sim) as client:
        group = await client.tiktok.track_many([room.username for room in rooms], fetch_gift_info=False)
        for live in group.lives.values():
            await until_buffered(live, 150)  # every room could fill the whole stream on its own
        for room in rooms:
            room.end()
        received: Dict[str, List[int]] = collections.defaultdict(list)
        order: List[str] = []
        async for live, events in group.batches(max_events=32):
            assert 1 <= len(events) <= 32
            received[live.username] += [event.msg_id for event in events]
            order.append(live.username)
        assert group.ended
        assert not client.errors
    for room in rooms:
        assert received[room.username] == emitted(room)
    # Turns of 64 events (two batches of 32) while every room has 150 waiting: each room's
    # first turn comes before any room's third batch, none is drained first.
    assert set(order[:6]) == set(received), order


async def test_batches_and_events_of_a_group_continue_each_other(sim: Simulator) -> None:
    rooms = [sim.add_room(RoomSpec(f"mixed_user{n}", scenario=burst(40))) for n in range(2)]
    async with TikTok(sim.endpoints) as tiktok:
        group = await tiktok.track_many([room.username for room in rooms], fetch_gift_info=False)
        received: Dict[str, List[int]] = collections.defaultdict(list)
        async for live, events in group.batches(max_events=10):
            received[live.username] += [event.msg_id for event in events]
            break
        for room in rooms:
            room.end()
        taken = 0
        async for live, event in group:
            received[live.username].append(event.msg_id)
            taken += 1
            if taken == 15:
                break
        async for live, events in group.batches():
            received[live.username] += [event.msg_id for event in events]
    for room in rooms:
        assert received[room.username] == emitted(room)


async def test_one_consumer_at_a_time_and_a_positive_limit(sim: Simulator) -> None:
    sim.add_room(RoomSpec("lonely_user", scenario=burst(5)))
    async with TikTok(sim.endpoints) as tiktok:
        live = await tiktok.track_user("lonely_user", fetch_gift_info=False)
        for bad in (0, -1, 1.5):
            with pytest.raises(ValueError, match="max_events"):
                live.batches(max_events=bad)  # type: ignore[arg-type]
        waiting = asyncio.ensure_future(live.batches().__anext__())
        await asyncio.sleep(0)  # a consumer is now waiting for the first batch
        with pytest.raises(RuntimeError, match="already consuming"):
            await live.events.__anext__()
        first = await guarded(waiting)
        assert first
        await live.close()
