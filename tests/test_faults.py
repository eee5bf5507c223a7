"""Fault injection over real sockets: the client against a misbehaving simulator.

Every test ends in one of two ways, never in a hang or an untyped crash:

* the client recovers, and the events it delivers are exactly the messages the
  room emitted, in order, each once (compared by ``msg_id`` with ``room.messages``);
* it fails with a typed :mod:`pytiktoklive.errors` exception, after delivering a
  gap-free, repeat-free prefix of the room's messages.

Rooms play at ``speed=20`` and reconnects back off by hundredths of a second, so
each test runs in well under a second or two. ``HANG_GUARD`` only turns a hang into
a failure with a message; no assertion depends on time.

HTTP faults on the endpoints the client uses are in ``test_faults_http.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Callable, List, Optional, Tuple

import pytest
import pytest_asyncio

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive import TikTok
from pytiktoklive._retry import ReconnectPolicy
from pytiktoklive.errors import (
    BackpressureError,
    ConnectionFailedError,
    DecodeError,
    TikTokLiveError,
    WebsocketRejectedError,
)
from pytiktoklive.events import ChatEvent, ControlEvent, UnknownEvent
from pytiktoklive.live import Live
from pytiktoklive.simulator import (
    LivelyScenario,
    RoomSpec,
    ScriptedScenario,
    SimRoom,
    Simulator,
    WSFault,
)

#: Seconds after which a stuck test fails with a clear message instead of the 120 s pytest timeout.
HANG_GUARD = 30.0
#: Reconnect quickly: tests wait for outcomes, never for clocks.
FAST = ReconnectPolicy(max_attempts=6, initial_delay=0.01, max_delay=0.05, jitter=0.0)

LIVELY = LivelyScenario(duration=6.0, battle=False)


def _script() -> ScriptedScenario:
    """Five chats at once, five more later, the end much later: frame boundaries tests can count on.

    The first five make the first websocket frame; the LIVE is still on (for ``room/check_alive``)
    while a test breaks the connection. "Later" is 3 s at the tests' speed: a test has broken the
    connection by then even when its websocket took half a second to open (a loaded machine)."""
    first = [(0.0, lambda f: [f.chat(text=f"early {n}") for n in range(5)])]
    later = [(60.0, lambda f: [f.chat(text=f"late {n}") for n in range(5)])]
    return ScriptedScenario([*first, *later, (200.0, lambda f: f.control(3))])


def _tail_script() -> ScriptedScenario:
    """Five chats, then (1.5 s later at the tests' speed, beyond a slow websocket open) five more
    and the end at the same moment."""
    first = [(0.0, lambda f: [f.chat(text=f"early {n}") for n in range(5)])]
    tail = [(30.0, lambda f: [*(f.chat(text=f"last {n}") for n in range(5)), f.control(3)])]
    return ScriptedScenario([*first, *tail])


ROOMS = [
    RoomSpec("fault_ws", scenario=LIVELY),
    # Live until a test ends it: for outcomes that must come before the end, whatever the load.
    RoomSpec("fault_endless", scenario=LivelyScenario(duration=None, end=False, battle=False)),
    RoomSpec("fault_poll", scenario=LIVELY, websocket=False, fetch_interval_ms=50),
    RoomSpec("fault_script", scenario=_script()),
    RoomSpec("fault_tail", scenario=_tail_script()),
    RoomSpec("fault_unknown", scenario=LivelyScenario(duration=6.0, battle=False, unknown_messages=True)),
]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(ROOMS, builtin_rooms=False, seed=3, speed=20.0) as simulator:
        yield simulator


class Client:
    """A :class:`TikTok` for one test, recording what it reports."""

    def __init__(self, sim: Simulator, **options: Any) -> None:
        options.setdefault("reconnect", FAST)
        self.tiktok = TikTok(sim.endpoints, **options)
        self.errors: List[BaseException] = []
        self.warnings: List[str] = []
        self.tiktok.set_error_handler(self.errors.append)
        self.tiktok.set_warn_handler(self.warnings.append)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.tiktok.aclose()


async def consume(live: Live) -> Tuple[List[int], Optional[TikTokLiveError]]:
    """Every event's msg_id until the stream ends; the typed error that ended it, if any.

    Any other exception propagates and fails the test (an untyped crash)."""

    async def run() -> Tuple[List[int], Optional[TikTokLiveError]]:
        ids: List[int] = []
        try:
            async for event in live.events:
                ids.append(event.msg_id)
        except TikTokLiveError as exc:
            return ids, exc
        return ids, None

    try:
        return await asyncio.wait_for(run(), HANG_GUARD)
    except asyncio.TimeoutError:
        pytest.fail(f"{live!r}: the event stream hung (stats {live.stats})")


def emitted(room: SimRoom) -> List[int]:
    return [message.msg_id for message in room.messages]


def assert_exactly_once(ids: List[int], room: SimRoom) -> None:
    """The client delivered every message the room emitted, in order, none twice."""
    assert ids, "no event at all"
    assert len(set(ids)) == len(ids), "an event was delivered twice"
    assert ids == emitted(room)


def assert_prefix(ids: List[int], room: SimRoom) -> None:
    """What the client delivered before failing is the room's messages from the start, without a gap."""
    assert len(set(ids)) == len(ids), "an event was delivered twice"
    assert ids == emitted(room)[: len(ids)]


async def track_and_consume(client: Client, room: SimRoom, **options: Any) -> Tuple[Live, List[int]]:
    live = await client.tiktok.track_user(room.username, **options)
    ids, error = await consume(live)
    assert error is None, f"the room failed: {error!r}"
    assert live.ended
    return live, ids


def struck(room: SimRoom, *faults: WSFault, then: int = 10) -> Callable[[Live], bool]:
    """True once every fault fired and the room emitted ``then`` messages more."""
    emitted_then: List[int] = []

    def done(_live: Live) -> bool:
        if not all(fault.fired for fault in faults):
            return False
        if not emitted_then:
            emitted_then.append(len(room.messages))
        return len(room.messages) >= emitted_then[0] + then

    return done


async def track_and_consume_until(
    client: Client, room: SimRoom, done: Callable[[Live], bool], **options: Any
) -> Tuple[Live, List[int]]:
    """Like :func:`track_and_consume` on a LIVE that goes on until ``done(live)``, then ends.

    A fault due after N frames needs a LIVE that lasts until the connection sent them: a LIVE
    of fixed length can be over first (all of it in the first fetch and one frame) when the
    client connects slowly, as on a loaded two-core machine."""
    live = await client.tiktok.track_user(room.username, **options)
    consuming = asyncio.ensure_future(consume(live))
    deadline = asyncio.get_running_loop().time() + HANG_GUARD
    while not done(live):
        assert not consuming.done(), f"the stream ended first: {consuming.result()!r}, {live.stats}"
        assert asyncio.get_running_loop().time() < deadline, f"never done: {live.stats}"
        await asyncio.sleep(0.01)
    room.end()
    ids, error = await consuming
    assert error is None, f"the room failed: {error!r}"
    assert live.ended
    return live, ids


# --------------------------------------------------------------------------- websocket faults


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda room: room.faults.drop_after(2), id="drop"),
        pytest.param(lambda room: room.faults.drop_after(2, mid_frame=True), id="drop-mid-frame"),
        pytest.param(lambda room: room.faults.close_after(2, code=1011), id="close-1011"),
        pytest.param(lambda room: room.faults.close_after(2, code=1000), id="close-normal-before-end"),
        pytest.param(lambda room: room.faults.stall_after(2), id="stall-forever"),
        pytest.param(lambda room: room.faults.unknown_frame_after(2), id="unknown-payload-type"),
        pytest.param(lambda room: room.faults.reject(), id="handshake-rejected"),
    ],
)
async def test_websocket_fault_loses_nothing(sim: Simulator, inject: Any) -> None:
    room = sim.room("fault_endless")
    fault = inject(room)
    # idle_timeout: a silent push server (the stall) is noticed and left; the simulator never
    # ends a stall by itself, so without it the client would wait for ever.
    async with Client(sim, idle_timeout=0.3) as client:
        live, ids = await track_and_consume_until(client, room, struck(room, fault))
        assert fault.fired == 1
        assert_exactly_once(ids, room)
        assert not client.errors
        if fault.kind == "reject":
            assert live.transport == "polling"
        else:
            assert live.stats["reconnects"] >= 1 or fault.kind == "unknown_frame"


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda room: room.faults.malformed_after(2), id="garbage-frame"),
        pytest.param(lambda room: room.faults.truncated_after(2), id="truncated-frame"),
    ],
)
async def test_undecodable_frame_is_reported_and_loses_nothing(sim: Simulator, inject: Any) -> None:
    room = sim.room("fault_endless")
    fault = inject(room)
    async with Client(sim) as client:
        _live, ids = await track_and_consume_until(client, room, struck(room, fault))
    assert fault.fired == 1
    assert_exactly_once(ids, room)
    assert client.errors and all(isinstance(error, DecodeError) for error in client.errors)


async def test_a_decode_bomb_is_a_reported_bad_frame_and_a_resume(sim: Simulator) -> None:
    """A gzip frame of 4 million empty messages (8 KB on the wire; 1.7 GB when decoded whole):
    refused by the decode limits, logged, and the room resumes from its last cursor."""
    room = sim.room("fault_endless")
    fault = room.faults.bomb_after(2)
    async with Client(sim) as client:
        live, ids = await track_and_consume_until(client, room, struck(room, fault))
    assert fault.fired == 1
    assert live.stats["reconnects"] >= 1
    assert_exactly_once(ids, room)
    assert client.errors and all(isinstance(error, DecodeError) for error in client.errors)
    assert any("decode limit exceeded" in str(error) for error in client.errors)


async def test_truncated_gzip_payload_of_a_real_frame_loses_nothing(sim: Simulator) -> None:
    """The third ``msg`` frame carries real messages, but its gzip payload is cut in half.

    Unlike ``truncated_after`` (a broken copy, then the real frame), nothing re-sends those
    messages on this connection: the client must resume from its last good cursor."""
    room = sim.room("fault_endless")
    fault = room.faults.truncated_gzip_after(2)
    fault_struck = struck(room, fault)
    async with Client(sim) as client:
        live, ids = await track_and_consume_until(
            client, room, lambda live: fault_struck(live) and room.stats.frames_sent > 3
        )
    assert fault.fired == 1
    assert room.stats.frames_sent > 3
    assert live.stats["reconnects"] >= 1
    assert_exactly_once(ids, room)
    assert client.errors and all(isinstance(error, DecodeError) for error in client.errors)


async def test_faults_in_a_row(sim: Simulator) -> None:
    room = sim.room("fault_endless")
    # Each connection counts its own frames, and a fault fires on the first connection that
    # reaches its count: increasing counts make each fault end a connection of its own.
    room.faults.unknown_frame_after(1)
    room.faults.drop_after(2, mid_frame=True)  # ends connection 1
    room.faults.malformed_after(3)  # ends connection 2
    room.faults.truncated_after(4)  # ends connection 3 (when the half frame is undecodable)
    room.faults.close_after(5)  # ends connection 4
    room.faults.stall_after(6)  # ends connection 5 (idle timeout)
    async with Client(sim, idle_timeout=0.3) as client:
        live, ids = await track_and_consume_until(client, room, struck(room, *room.faults.ws))
    assert [fault.fired for fault in room.faults.ws] == [1] * 6
    # Half a frame is sometimes a valid (empty) PushFrame: the truncated copy may pass unnoticed.
    assert live.stats["reconnects"] >= 4
    assert_exactly_once(ids, room)


async def test_websocket_failing_every_time_falls_back_to_polling(sim: Simulator) -> None:
    room = sim.room("fault_endless")
    fault = room.faults.drop_after(0, times=None)  # every connection dies before its first frame
    async with Client(sim) as client:
        # The LIVE goes on until the client has switched (a LIVE that ended first would leave
        # it on the websocket, with its tail fetched by polling).
        live, ids = await track_and_consume_until(client, room, lambda live: live.transport == "polling")
    assert fault.fired >= 1
    assert live.transport == "polling"
    assert_exactly_once(ids, room)


async def test_unanswered_heartbeats_do_not_matter(sim: Simulator) -> None:
    room = sim.room("fault_endless")
    room.faults.ignore_heartbeats = True
    async with Client(sim) as client:
        _live, ids = await track_and_consume_until(client, room, lambda _live: bool(room.stats.heartbeats))
    assert room.stats.heartbeats and not room.stats.heartbeats_answered
    assert_exactly_once(ids, room)


# --------------------------------------------------------------------------- unknown messages


async def test_unknown_message_types_arrive_as_unknown_events(sim: Simulator) -> None:
    room = sim.room("fault_unknown")
    room.faults.unknown_frame_after(1)
    async with Client(sim) as client:
        live = await client.tiktok.track_user(room.username)
        await sim.wait_until(lambda: len(room.log) > 0)
        room.emit(room.factory.unknown("WebcastBrandNewMessage"))
        events = []
        async for event in live.events:
            events.append(event)
    assert [event.msg_id for event in events] == emitted(room)
    unknown = [event for event in events if isinstance(event, UnknownEvent)]
    assert "WebcastBrandNewMessage" in {event.method for event in unknown}
    assert all(event.payload for event in unknown)
    assert isinstance(events[-1], ControlEvent)
    assert not client.errors


# --------------------------------------------------------------------------- slow consumers


async def test_slow_consumer_blocks_the_reader_and_loses_nothing(sim: Simulator) -> None:
    room = sim.room("fault_ws")
    async with Client(sim, max_buffered_events=2) as client:
        stalled = asyncio.Event()
        client.tiktok.set_warn_handler(
            lambda message: stalled.set() if "consumer is slow" in message else None
        )
        live = await client.tiktok.track_user(room.username)
        # Consume nothing until the reader had to stop, and the LIVE is over on the server.
        await asyncio.wait_for(stalled.wait(), HANG_GUARD)
        await asyncio.wait_for(room.wait_ended(), HANG_GUARD)
        ids, error = await consume(live)
    assert error is None
    assert live.stats["backpressure_stalls"] >= 1
    assert_exactly_once(ids, room)


async def test_slow_consumer_with_overflow_error_fails_typed(sim: Simulator) -> None:
    room = sim.room("fault_ws")
    async with Client(sim, max_buffered_events=2, overflow="error") as client:
        live = await client.tiktok.track_user(room.username)
        await asyncio.wait_for(live.wait_finished(), HANG_GUARD)
        ids, error = await consume(live)
    assert isinstance(error, BackpressureError)
    assert len(ids) == 2
    assert_prefix(ids, room)


# --------------------------------------------------------------------------- giving up


async def test_reconnects_exhausted_fail_typed_after_every_delivered_event(sim: Simulator) -> None:
    room = sim.room("fault_script")
    async with Client(sim, polling=False) as client:
        live = await client.tiktok.track_user(room.username)
        early = [await live.events.__anext__() for _ in range(5)]  # the first frame
        room.faults.close_after(0, times=None)  # from now on, every connection closes at once
        ids, error = await consume(live)
    assert isinstance(error, ConnectionFailedError)
    assert "gave up" in str(error)
    ids = [event.msg_id for event in early] + ids
    assert_prefix(ids, room)
    assert len(ids) == 5
    assert all(isinstance(event, ChatEvent) for event in early)


async def test_rejected_websocket_without_polling_fails_typed(sim: Simulator) -> None:
    room = sim.room("fault_script")
    async with Client(sim, polling=False) as client:
        live = await client.tiktok.track_user(room.username)
        early = [await live.events.__anext__() for _ in range(5)]  # the first frame
        room.faults.close_after(0)  # before the next frame
        room.faults.reject(times=None, handshake_status=403, message="forbidden")
        ids, error = await consume(live)
    assert isinstance(error, WebsocketRejectedError)
    assert "forbidden" in str(error)
    assert [event.msg_id for event in early] + ids == emitted(room)[:5]


@pytest.mark.parametrize(
    "check_fault",
    [
        pytest.param(lambda sim: sim.faults.fail("room/check_alive", 503), id="check-503"),
        pytest.param(lambda sim: sim.faults.fail("room/check_alive", 429, retry_after=0.01), id="check-429"),
        pytest.param(lambda sim: sim.faults.stall("room/check_alive"), id="check-stall"),
        pytest.param(lambda sim: sim.faults.malformed("room/check_alive"), id="check-garbage"),
    ],
)
async def test_host_vanishing_without_a_control_message_ends_the_stream(
    sim: Simulator, check_fault: Any
) -> None:
    """The push server goes away and the LIVE is over; the first liveness check fails too."""
    room = sim.room("fault_script")
    fault = check_fault(sim)
    async with Client(sim, timeout=0.5) as client:
        live = await client.tiktok.track_user(room.username)
        early = [await live.events.__anext__() for _ in range(5)]
        room.end(control=False)
        ids, error = await consume(live)
    assert error is None
    assert live.ended
    assert [event.msg_id for event in early] + ids == emitted(room)
    assert fault.fired == 1
    assert sum(request.endpoint == "room/check_alive" for request in sim.requests) >= 2


async def test_live_ending_while_disconnected_still_delivers_its_last_messages(sim: Simulator) -> None:
    """The connection breaks just before the last messages; when the client learns (from
    ``room/check_alive``) that the LIVE is over, the messages it missed are still on TikTok."""
    room = sim.room("fault_tail")
    async with Client(sim) as client:
        live = await client.tiktok.track_user(room.username)
        early = [await live.events.__anext__() for _ in range(5)]
        room.faults.close_after(0, times=None)  # the tail is never sent on a websocket
        ids, error = await consume(live)
    assert error is None
    assert room.stats.messages_sent == 5
    assert [event.msg_id for event in early] + ids == emitted(room)


# --------------------------------------------------------------------------- polling transport faults


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda sim: sim.faults.fail("im/fetch", 429, retry_after=0.05), id="429"),
        pytest.param(lambda sim: sim.faults.fail("im/fetch", 500, times=2), id="500"),
        pytest.param(lambda sim: sim.faults.fail("im/fetch", 503), id="503"),
        pytest.param(lambda sim: sim.faults.drop("im/fetch"), id="drop"),
        pytest.param(lambda sim: sim.faults.truncate("im/fetch"), id="truncated"),
        pytest.param(lambda sim: sim.faults.malformed("im/fetch"), id="garbage"),
        pytest.param(lambda sim: sim.faults.empty("im/fetch"), id="empty"),
        pytest.param(lambda sim: sim.faults.stall("im/fetch"), id="stall-forever"),
    ],
)
async def test_poll_fault_loses_nothing(sim: Simulator, inject: Any) -> None:
    room = sim.room("fault_poll")
    async with Client(sim, timeout=0.5) as client:
        live = await client.tiktok.track_user(room.username)
        fault = inject(sim)  # after the first fetch: it hits a poll
        ids, error = await consume(live)
    assert error is None, repr(error)
    assert fault.fired >= 1
    assert live.transport == "polling"
    assert_exactly_once(ids, room)
