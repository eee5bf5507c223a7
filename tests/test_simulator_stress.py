"""The simulator stays bounded and well-behaved when it runs for a long time or meets rude clients.

An endless room forgets its oldest messages beyond ``RoomSpec.log_limit`` (so its memory
stays flat), while a client that keeps up still receives every message exactly once, and a
client that comes back with a cursor older than the kept log resumes at the oldest kept one.
"""

from __future__ import annotations

import sys
from typing import AsyncIterator, List

import httpx
import pytest

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive.decoding import decode_fetch_result, decode_frame
from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator
from pytiktoklive.simulator.push import PushServer, PushSession
from pytiktoklive.simulator.rooms import LoggedMessage, MessageLog, RecentList
from pytiktoklive.simulator.testing import ack_frame, connect_push, fetch

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="the simulator needs Python >= 3.10")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(builtin_rooms=False, seed=5, speed=50.0) as simulator:
        yield simulator


def entry(position: int) -> LoggedMessage:
    return LoggedMessage(position, "WebcastChatMessage", 1000 + position, b"", b"", False)


def test_a_message_log_keeps_the_newest_and_counts_every_position() -> None:
    log = MessageLog(limit=3)
    for position in range(10):
        log.append(entry(position))
    assert len(log) == 10 and log.first_position == 7
    assert [e.position for e in log] == [7, 8, 9]
    assert log[-1].position == 9 and log[8].position == 8
    assert [e.position for e in log[0:9]] == [7, 8]  # forgotten positions are absent
    assert log[10:20] == [] and log[9:9] == []
    with pytest.raises(IndexError):
        log[6]


def test_room_stats_lists_stay_bounded() -> None:
    recent = RecentList(limit=4)
    for number in range(100):
        recent.append(number)
    assert len(recent) <= 8 and recent[-1] == 99
    assert recent.dropped + len(recent) == 100
    assert recent == list(range(100 - len(recent), 100))  # still in order, newest kept


def test_log_limit_below_the_history_size_is_refused() -> None:
    with pytest.raises(ValueError, match="log_limit"):
        RoomSpec("tiny", history_size=20, log_limit=10)


async def test_an_endless_room_forgets_old_messages_but_a_client_keeping_up_loses_none(
    sim: Simulator,
) -> None:
    room = sim.add_room(
        RoomSpec("endless", scenario=LivelyScenario(duration=None, rate=4.0), log_limit=40, history_size=5)
    )
    received: List[int] = []
    async with httpx.AsyncClient(timeout=10.0) as http:
        first = await fetch(http, sim, room)
        received.extend(event.msg_id for event in first.events)
        async with connect_push(first, room) as ws:
            while len(room.log) < 300:
                frame = decode_frame(await ws.recv())  # type: ignore[arg-type]
                if frame.payload_type == "msg":
                    received.extend(event.msg_id for event in frame.events)
                    if frame.need_ack:
                        await ws.send(ack_frame(frame.log_id, frame.internal_ext))
        kept = list(room.log)
        assert len(kept) <= 40 < len(room.log)
        # Every message from the first fetch on arrived, once, in order.
        assert received == sorted(set(received))
        assert received[-1] - received[0] + 1 == len(received)

        # A client whose cursor is older than the kept log resumes at the oldest kept message.
        room.end()  # freeze the log
        old_cursor = room.cursor_at(1)
        oldest = room.log.first_position
        response = await http.get(
            f"{sim.endpoints.webcast}/im/fetch/", params={"room_id": room.room_id, "cursor": old_cursor}
        )
        resumed = decode_fetch_result(response.content)
        assert resumed.events and resumed.events[0].msg_id == room.log[oldest].msg_id


async def test_a_room_behind_schedule_does_not_starve_the_others(sim: Simulator) -> None:
    # 6 * 200 messages a second at speed 50 is far more than the simulator can make: it falls
    # behind, but keeps yielding, so the other room's requests are still answered.
    busy = sim.add_room(RoomSpec("flooded", scenario=LivelyScenario(duration=None, rate=200.0)))
    quiet = sim.add_room(RoomSpec("quiet", scenario=LivelyScenario(duration=None)))
    busy.start()
    async with httpx.AsyncClient(timeout=10.0) as http:
        for _ in range(3):
            await fetch(http, sim, quiet)
    assert quiet.stats.first_fetches + quiet.stats.polls == 3 and len(busy.log) > 0


async def test_cutting_a_frame_after_the_client_closed_does_not_raise(sim: Simulator) -> None:
    room = sim.add_room(RoomSpec("rude", scenario=LivelyScenario(duration=None)))
    async with httpx.AsyncClient(timeout=10.0) as http:
        first = await fetch(http, sim, room)
    async with connect_push(first, room) as ws:
        await ws.recv()
        assert sim._server is not None
        [connection] = sim._server.connections
        session = PushSession(room, len(room.log), compress=True)
        # What the server's websocket does once the client's close frame arrived: half-close.
        connection.transport.write_eof()
        await PushServer()._drop_mid_frame(connection, session)  # before the fix: RuntimeError
    assert connection.transport.is_closing()
