"""No false reconnects: the idle watchdog counts only silence from the server.

A room's reader is paused while its consumer is behind (backpressure), and nothing runs at
all while the event loop is blocked or starved; neither is the server going quiet, and
neither may make a room reconnect. Each test saturates the consumer for several idle
timeouts and then checks that the room never reconnected and delivered every message once.
(No duration is asserted: the waits only make sure the watchdog had every chance to fire.)
"""

from __future__ import annotations

import asyncio
import time
from typing import List

import pytest
from client_sim import Recorder, collect, emitted, guarded, ids_of
from pytiktoklive._buffer import BufferBudget, EventBuffer
from pytiktoklive._log import Reporter
from pytiktoklive.events import ChatEvent, Event
from pytiktoklive.simulator import LivelyScenario, ScriptedScenario, Simulator

pytest.importorskip("betterproto2")

IDLE = 1.0  # seconds: the client's idle_timeout in these tests


async def test_a_paused_reader_is_not_a_silent_server() -> None:
    """The consumer takes nothing for 4 idle timeouts while the room keeps talking."""
    scenario = LivelyScenario(duration=6.0, rate=4.0, battle=False)
    async with Simulator(seed=3, speed=1.0) as sim:
        room = sim.add_rooms(1, prefix="busy_room", scenario=scenario)[0]
        async with Recorder(sim, idle_timeout=IDLE, max_buffered_events=4) as client:
            live = await guarded(client.tiktok.track_user(room.username, fetch_gift_info=False))
            # The buffer fills and the reader pauses; then nobody reads for a while.
            await guarded(sim.wait_until(lambda: len(live._buffer) == 4), "the buffer filling")
            await asyncio.sleep(4 * IDLE)
            assert live._buffer.stalls >= 1  # the reader really was paused
            events, error = await collect(live)
    assert error is None
    assert live.stats["reconnects"] == 0, client.warnings
    assert ids_of(events) == emitted(room)


async def test_a_blocked_event_loop_is_not_a_silent_server() -> None:
    """A handler blocks the whole loop for 3 idle timeouts (CPU-bound work, a sync call...):
    the server could not be heard meanwhile, so that time is not silence."""
    scenario = LivelyScenario(duration=5.0, rate=4.0, battle=False)
    async with Simulator(seed=4, speed=1.0) as sim:
        room = sim.add_rooms(1, prefix="starved_room", scenario=scenario)[0]
        async with Recorder(sim, idle_timeout=IDLE) as client:
            live = await guarded(client.tiktok.track_user(room.username, fetch_gift_info=False))
            blocked: List[int] = []

            @live.on(ChatEvent)
            def block_once(event: ChatEvent) -> None:
                if not blocked:
                    blocked.append(event.msg_id)
                    time.sleep(3 * IDLE)  # the loop runs nothing at all meanwhile

            events, error = await collect(live)
    assert blocked, "no chat arrived: the loop was never blocked"
    assert error is None
    assert live.stats["reconnects"] == 0, client.warnings
    assert ids_of(events) == emitted(room)


async def test_a_silent_server_is_still_noticed() -> None:
    """The watchdog still works: a push server that stalls for good makes the room reconnect."""
    burst = ScriptedScenario([(0.0, lambda f: [f.chat(text=f"chat {n}") for n in range(5)])])
    async with Simulator(seed=5, speed=1.0) as sim:
        room = sim.add_rooms(1, prefix="stalling_room", scenario=burst)[0]
        room.faults.stall_after(0)
        async with Recorder(sim, idle_timeout=IDLE) as client:
            live = await guarded(client.tiktok.track_user(room.username, fetch_gift_info=False))
            await guarded(
                sim.wait_until(lambda: live.stats["reconnects"] >= 1), "the stalled room reconnecting"
            )
            assert any(f"no frame for {IDLE:g}s" in warning for warning in client.warnings)
            room.end()
            events, error = await collect(live)
    assert error is None
    assert ids_of(events) == emitted(room)


async def test_the_budget_bounds_all_rooms_together_and_wakes_them() -> None:
    """Buffers sharing a budget hold at most the budget between them; taking events lets
    the waiting producers go on, and nothing is lost or reordered."""
    budget = BufferBudget(40)
    buffers = [EventBuffer(100, reporter=Reporter(), label=f"room {n}", budget=budget) for n in range(4)]
    made = [
        [
            Event(method="WebcastChatMessage", msg_id=1000 * room + n, room_id=room, create_time=0)
            for n in range(60)
        ]
        for room in range(4)
    ]

    async def produce(buffer: EventBuffer, events: List[Event]) -> None:
        for start in range(0, len(events), 25):  # a frame's worth at a time, as the reader does
            assert await buffer.put_many(events[start : start + 25])
        buffer.close()

    producers = [asyncio.ensure_future(produce(b, e)) for b, e in zip(buffers, made)]
    await asyncio.sleep(0.05)
    assert budget.used == sum(map(len, buffers)) == 40  # full, and every producer waits
    assert not any(producer.done() for producer in producers)
    received: List[List[Event]] = [[] for _ in buffers]
    highest = 0
    while not all(buffer.exhausted for buffer in buffers):
        for index, buffer in enumerate(buffers):
            if len(buffer):
                received[index].append(buffer.take_nowait())
            highest = max(highest, budget.used)
        await asyncio.sleep(0)
    await guarded(asyncio.gather(*producers), "the producers")
    assert received == made
    assert highest <= 40 and budget.used == 0


async def test_many_readers_share_a_small_budget_without_spinning() -> None:
    """Readers wait for room before each frame (as the websocket reader does). A reader is
    woken when it can read a frame, not once per event taken: a thousand paused rooms woken
    for every event would spin through the loop finding no room, over and over."""
    budget = BufferBudget(64)
    rooms, frames, per_frame = 40, 12, 25
    buffers = [EventBuffer(50, reporter=Reporter(), label=f"room {n}", budget=budget) for n in range(rooms)]
    made = [
        [
            Event(method="WebcastChatMessage", msg_id=100_000 * room + n, room_id=room, create_time=0)
            for n in range(frames * per_frame)
        ]
        for room in range(rooms)
    ]
    waits = [0] * rooms

    async def read(index: int, buffer: EventBuffer, events: List[Event]) -> None:
        wait_for_room = buffer._wait_for_room

        async def counted() -> None:
            waits[index] += 1
            await wait_for_room()

        buffer._wait_for_room = counted  # type: ignore[method-assign]
        for start in range(0, len(events), per_frame):
            assert await buffer.wait_writable()
            await asyncio.sleep(0)  # the frame arrives
            assert await buffer.put_many(events[start : start + per_frame])
        buffer.close()

    readers = [asyncio.ensure_future(read(n, b, e)) for n, (b, e) in enumerate(zip(buffers, made))]
    received: List[List[Event]] = [[] for _ in buffers]
    highest = 0
    while not all(buffer.exhausted for buffer in buffers):
        for index, buffer in enumerate(buffers):
            for _ in range(min(len(buffer), 7)):
                received[index].append(buffer.take_nowait())
            highest = max(highest, budget.used)
        await asyncio.sleep(0)
    await guarded(asyncio.gather(*readers), "the readers")
    assert received == made
    assert budget.used == 0 and budget._promised == 0
    assert highest <= 64 + rooms * per_frame  # a reader hands over the frame it read, at most
    # Each frame costs a reader about two waits (was 6.5 here, when every event taken woke it).
    assert sum(waits) <= 3 * rooms * frames, waits
