"""The end of a LIVE is never lost (issue #10, item 1).

When the websocket keeps failing and ``room/check_alive`` says the room has ended, what the
LIVE said since the last cursor (its "tail") is still on the server, in batches of at most
``MAX_BATCH`` messages. The client polls it batch by batch until the end control event; a
tail it cannot read ends the stream with :class:`EventsMissingError`, never silently.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, List, Optional, Tuple

import pytest
import pytest_asyncio

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive import TikTok
from pytiktoklive._retry import ReconnectPolicy
from pytiktoklive.errors import ConnectionFailedError, EventsMissingError, TikTokLiveError
from pytiktoklive.events import ControlEvent
from pytiktoklive.live import Live
from pytiktoklive.simulator import RoomSpec, ScriptedScenario, SimRoom, Simulator
from pytiktoklive.simulator.push import MAX_BATCH

HANG_GUARD = 60.0
#: Enough attempts for the (scripted) end to come before the client would give up.
PATIENT = ReconnectPolicy(max_attempts=200, initial_delay=0.01, max_delay=0.05, jitter=0.0)
TAIL = 390  # almost four batches, then the end


def _long_tail() -> ScriptedScenario:
    first = [(0.0, lambda f: [f.chat(text=f"early {n}") for n in range(5)])]
    tail = [(10.0, lambda f: [*(f.chat(text=f"last {n}") for n in range(TAIL)), f.control(3)])]
    return ScriptedScenario([*first, *tail])


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    rooms = [RoomSpec("long_tail", scenario=_long_tail())]
    async with Simulator(rooms, builtin_rooms=False, seed=3, speed=20.0) as simulator:
        yield simulator


async def consume(live: Live) -> Tuple[List[Any], Optional[TikTokLiveError]]:
    async def run() -> Tuple[List[Any], Optional[TikTokLiveError]]:
        events: List[Any] = []
        try:
            async for event in live.events:
                events.append(event)
        except TikTokLiveError as exc:
            return events, exc
        return events, None

    try:
        return await asyncio.wait_for(run(), HANG_GUARD)
    except asyncio.TimeoutError:
        pytest.fail(f"{live!r}: the event stream hung (stats {live.stats})")


def emitted(room: SimRoom) -> List[int]:
    return [message.msg_id for message in room.messages]


async def test_a_tail_longer_than_one_batch_is_delivered_to_the_end(sim: Simulator) -> None:
    room = sim.room("long_tail")
    async with TikTok(sim.endpoints, reconnect=PATIENT) as tiktok:
        live = await tiktok.track_user(room.username)
        early = [await live.events.__anext__() for _ in range(5)]
        room.faults.close_after(0, times=None)  # no websocket ever delivers the tail
        events, error = await consume(live)
    assert error is None
    assert TAIL + 1 > MAX_BATCH  # the tail really needs several polls
    assert [event.msg_id for event in early + events] == emitted(room)
    assert isinstance(events[-1], ControlEvent) and events[-1].ended
    assert live.ended


async def test_a_tail_that_cannot_be_read_ends_with_events_missing(sim: Simulator) -> None:
    room = sim.room("long_tail")
    async with TikTok(sim.endpoints, reconnect=PATIENT) as tiktok:
        live = await tiktok.track_user(room.username)
        early = [await live.events.__anext__() for _ in range(5)]
        room.faults.close_after(0, times=None)
        fault = sim.faults.fail("im/fetch", 503, times=None)  # polls fail, the tail included
        events, error = await consume(live)
    assert isinstance(error, EventsMissingError), repr(error)
    assert isinstance(error, ConnectionFailedError)
    assert "may be missing" in str(error)
    assert fault.fired >= 1
    assert [event.msg_id for event in early + events] == emitted(room)[: len(early) + len(events)]
    assert live.ended


async def test_without_polling_a_lost_tail_is_reported_not_hidden(sim: Simulator) -> None:
    room = sim.room("long_tail")
    async with TikTok(sim.endpoints, reconnect=PATIENT, polling=False) as tiktok:
        live = await tiktok.track_user(room.username)
        early = [await live.events.__anext__() for _ in range(5)]
        room.faults.close_after(0, times=None)
        events, error = await consume(live)
    assert isinstance(error, EventsMissingError), repr(error)
    assert "polling is disabled" in str(error)
    assert [event.msg_id for event in early + events] == emitted(room)[:5]
