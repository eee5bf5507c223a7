"""The simulator's push server (websocket), spoken to frame by frame.

A web client's session, as these tests perform it with ``httpx`` and
``websockets`` directly:

1. ``GET /webcast/im/fetch/`` → a ``FetchResult`` with ``cursor``,
   ``internal_ext``, ``push_server`` and ``route_params``;
2. open ``push_server?<route params>&room_id=…&cursor=…&compress=gzip`` with the
   ``echo-protocol`` subprotocol and the session cookies;
3. send ``im_enter_room`` and a heartbeat (``hb``) every ``ping-interval``;
4. receive ``msg`` PushFrames (gzip payload when asked), ack each one that
   asks for it (``ack`` frame echoing ``log_id`` and ``internal_ext``);
5. the LIVE ends with a ``WebcastControlMessage`` (action 3), then the server closes.
"""

from __future__ import annotations

import gzip
import sys
from typing import AsyncIterator, List

import httpx
import pytest

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive.decoding import FetchResult, decode_frame
from pytiktoklive.errors import DecodeError
from pytiktoklive.events import ControlEvent, UnknownEvent
from pytiktoklive.simulator import LivelyScenario, RoomSpec, SimRoom, Simulator
from pytiktoklive.simulator.proto import pb
from pytiktoklive.simulator.testing import (
    ack_frame,
    connect_push,
    enter_room_frame,
    fetch,
    heartbeat_frame,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="the simulator needs Python >= 3.10")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(builtin_rooms=False, seed=11, speed=20.0) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


def short_room(sim: Simulator, name: str, **spec: object) -> SimRoom:
    """A room whose LIVE lasts 6 scenario seconds (0.3 s at speed 20)."""
    spec.setdefault("scenario", LivelyScenario(duration=6.0, battle=False))
    return sim.add_room(RoomSpec(name, **spec))  # type: ignore[arg-type]


def raw_frame(data: bytes) -> pb.PushFrame:
    """A PushFrame as it came over the wire (headers and payload untouched)."""
    return pb.PushFrame.parse(data)


async def receive_all(ws: ClientConnection, *, ack: bool = True) -> List[FetchResult]:
    """Every ``msg`` frame until the server closes, acking those that ask for it."""
    frames = []
    try:
        async for data in ws:
            assert isinstance(data, bytes)
            frame = decode_frame(data)
            if frame.payload_type == "msg":
                frames.append(frame)
                if ack and frame.need_ack:
                    await ws.send(ack_frame(frame.log_id, frame.internal_ext))
    except ConnectionClosed:
        pass
    return frames


def msg_ids(frames: List[FetchResult]) -> List[int]:
    return [event.msg_id for frame in frames for event in frame.events]


async def test_a_whole_session_from_fetch_to_live_end(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = short_room(sim, "whole")
    first = await fetch(http, sim, room)
    cookies = {"Cookie": "ttwid=simttwid1; tt-target-idc=useast1a"}
    async with connect_push(first, room, additional_headers=cookies, user_agent_header="test-browser") as ws:
        assert ws.subprotocol == "echo-protocol"
        assert ws.response is not None
        assert ws.response.headers["Handshake-Options"] == "ping-interval=10"
        await ws.send(enter_room_frame(room.room_id))
        await ws.send(heartbeat_frame(room.room_id, seq=1))
        control_frames = []
        frames = []
        async for data in ws:
            assert isinstance(data, bytes)
            raw = raw_frame(data)
            if raw.payload_type != "msg":
                control_frames.append(raw)
                continue
            headers = {header.key: header.value for header in raw.headers}
            assert headers["compress_type"] == "gzip" and raw.payload[:3] == b"\x1f\x8b\x08"
            assert (raw.service, raw.method, raw.payload_encoding) == (8888, 8, "pb")
            frame = decode_frame(data)
            assert headers["im_cursor"] == frame.cursor
            assert frame.need_ack
            await ws.send(ack_frame(frame.log_id, frame.internal_ext))
            frames.append(frame)
        assert ws.close_code == 1000  # the server closes after the LIVE ended

    # Heartbeats come back with the same payload; im_enter_room is answered.
    kinds = [frame.payload_type for frame in control_frames]
    assert sorted(kinds) == ["hb", "im_enter_room_resp"]
    hb = next(frame for frame in control_frames if frame.payload_type == "hb")
    assert pb.HeartbeatMessage.parse(hb.payload).send_packet_seq_id == 1

    # Every message after the resume point arrived once, in order, ending with the control message.
    assert msg_ids(frames) == [entry.msg_id for entry in room.log]
    last = frames[-1].events[-1]
    assert isinstance(last, ControlEvent) and last.action == 3

    # What the push server saw: the URL parameters, cookies and headers, heartbeats, acks.
    handshake = room.stats.handshakes[-1]
    assert handshake.accepted and handshake.cookies == {"ttwid": "simttwid1", "tt-target-idc": "useast1a"}
    assert handshake.query["imprp"] == first.route_params["imprp"]
    assert handshake.query["compress"] == "gzip" and handshake.query["cursor"] == first.cursor
    assert handshake.headers["User-Agent"] == "test-browser"
    assert room.stats.heartbeats == [1] and room.stats.heartbeats_answered == 1
    assert room.stats.enter_room[0].room_id == room.room_id
    assert len(room.stats.acks) == len(frames) and room.stats.bad_acks == 0
    assert room.stats.acks[0] == (frames[0].log_id, frames[0].internal_ext.encode())


async def test_payloads_are_plain_unless_gzip_is_asked_for_and_allowed(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    plain_room = short_room(sim, "plain")
    first = await fetch(http, sim, plain_room)
    async with connect_push(first, plain_room, compress=False) as ws:
        data = await ws.recv()
    assert isinstance(data, bytes)
    raw = raw_frame(data)
    assert {header.key: header.value for header in raw.headers}["compress_type"] == "none"
    assert pb.FetchResult.parse(raw.payload).cursor  # the payload is the FetchResult itself

    no_gzip_room = short_room(sim, "no_gzip", gzip=False)  # asks for gzip, the room does not do it
    first = await fetch(http, sim, no_gzip_room)
    async with connect_push(first, no_gzip_room, compress=True) as ws:
        data = await ws.recv()
    assert isinstance(data, bytes)
    assert raw_frame(data).payload[:2] != b"\x1f\x8b"
    assert decode_frame(data).events  # decoders take both forms


async def test_frames_ask_for_no_ack_when_the_room_needs_none(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = short_room(sim, "no_acks", need_ack=False)
    async with connect_push(await fetch(http, sim, room), room) as ws:
        frames = await receive_all(ws, ack=False)
    assert frames and not any(frame.need_ack for frame in frames)
    assert msg_ids(frames) == [entry.msg_id for entry in room.log]


async def test_a_client_that_never_acks_is_disconnected(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = short_room(sim, "strict_acks", close_on_missing_acks=2, scenario=LivelyScenario(duration=None))
    async with connect_push(await fetch(http, sim, room), room) as ws:
        frames = await receive_all(ws, ack=False)
        assert (ws.close_code, ws.close_reason) == (1008, "acks missing")
    assert len(frames) == 3  # the third unacknowledged frame was one too many


async def test_a_silent_client_is_disconnected(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = short_room(sim, "silent", heartbeat_timeout=0.2, scenario=LivelyScenario(duration=None))
    async with connect_push(await fetch(http, sim, room), room) as ws:
        await receive_all(ws)
        assert (ws.close_code, ws.close_reason) == (1001, "no heartbeat")


async def test_handshakes_are_refused_the_way_tiktok_refuses_them(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = short_room(sim, "refuser")
    first = await fetch(http, sim, room)

    async def refusal(result: FetchResult, target: SimRoom) -> tuple[int, str, str]:
        with pytest.raises(InvalidStatus) as caught:
            async with connect_push(result, target):
                pass
        response = caught.value.response
        return response.status_code, response.headers["Handshake-Status"], response.headers["Handshake-Msg"]

    # A foreign app id: HTTP 200 (not 101) with Handshake-Status 417 "illegal app_id" (TLC#290).
    foreign = first.replace(route_params={**first.route_params, "aid": "1233"})
    status, handshake_status, message = await refusal(foreign, room)
    assert (status, handshake_status, message) == (200, "417", "illegal app_id")
    # A refusal on demand ("illegal secret key", as for a bad signature), then acceptance.
    fault = room.faults.reject()
    assert (await refusal(first, room))[1:] == ("417", "illegal secret key")
    assert fault.fired == 1
    async with connect_push(first, room) as ws:
        assert ws.subprotocol == "echo-protocol"
    # Without any route parameter: served (nothing shows TikTok refusing that).
    async with connect_push(first.replace(route_params={}), room) as ws:
        assert ws.subprotocol == "echo-protocol"
    # A polling-only room offers no push server; an unknown room is not found.
    poller = short_room(sim, "poller", websocket=False)
    poller_first = await fetch(http, sim, poller)
    assert poller_first.push_server == ""
    assert (await refusal(first.replace(route_params=dict(first.route_params)), poller))[1] == "403"
    stranger = RoomSpec("stranger")
    ghost = SimRoom(stranger, sim.world)  # never added: its id is unknown to the server
    assert (await refusal(first, ghost))[1] == "404"
    assert [record.accepted for record in room.stats.handshakes] == [False, False, True, True]


async def test_reconnecting_with_the_last_cursor_loses_nothing_and_repeats_nothing(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = short_room(sim, "reconnect", scenario=LivelyScenario(duration=None))
    room.faults.drop_after(3)  # the first connection is cut after three frames
    first = await fetch(http, sim, room)
    async with connect_push(first, room) as ws:
        before = await receive_all(ws)
    assert len(before) == 3
    last = before[-1]
    resume = first.replace(cursor=last.cursor, internal_ext=last.internal_ext)
    async with connect_push(resume, room) as ws:  # where the last frame said to go on
        after = [decode_frame(await ws.recv())]
        room.end()
        after += await receive_all(ws)
    assert msg_ids(before) + msg_ids(after) == [entry.msg_id for entry in room.log]
    assert room.stats.connections == 2


async def test_resuming_with_internal_ext_only(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = short_room(sim, "ext_only")
    first = await fetch(http, sim, room)
    await room.wait_for_messages(3)
    # An empty cursor: the server falls back to internal_ext's next_cursor.
    async with connect_push(first.replace(cursor=""), room) as ws:
        frames = await receive_all(ws)
    assert msg_ids(frames) == [entry.msg_id for entry in room.log]


# --------------------------------------------------------------------------- websocket faults


async def test_drop_closes_without_a_close_frame(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = short_room(sim, "dropper")
    room.faults.drop_after(1)
    async with connect_push(await fetch(http, sim, room), room) as ws:
        await ws.recv()
        with pytest.raises(ConnectionClosedError) as caught:
            await ws.recv()
    assert caught.value.rcvd is None  # no close frame: the TCP connection just went away


async def test_drop_in_the_middle_of_a_frame(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = short_room(sim, "half_frame")
    room.faults.drop_after(1, mid_frame=True)
    async with connect_push(await fetch(http, sim, room), room) as ws:
        await ws.recv()
        with pytest.raises(ConnectionClosedError):
            await ws.recv()
    assert room.stats.frames_sent == 1  # the half frame is not counted as sent


async def test_close_with_an_error_code(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = short_room(sim, "closer", scenario=LivelyScenario(duration=None))
    room.faults.close_after(2, code=1011)
    async with connect_push(await fetch(http, sim, room), room) as ws:
        frames = await receive_all(ws)
        assert ws.close_code == 1011
    assert len(frames) == 2


async def test_a_stalled_server_sends_nothing_and_answers_no_heartbeat(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = short_room(sim, "staller", scenario=LivelyScenario(duration=None))
    room.faults.stall_after(1)
    async with connect_push(await fetch(http, sim, room), room) as ws:
        assert decode_frame(await ws.recv()).payload_type == "msg"
        await ws.send(heartbeat_frame(room.room_id, seq=1))
        await room.wait_for_messages(room.stats.messages_sent + 5)  # there is more to send
        await sim.wait_until(lambda: room.stats.heartbeats == [1])
        await ws.send(enter_room_frame(room.room_id))
        # Frames are answered in order: had the heartbeat been answered, or a msg frame been
        # sent, it would come before the enter-room answer.
        assert decode_frame(await ws.recv()).payload_type == "im_enter_room_resp"
    assert room.stats.heartbeats_answered == 0


async def test_heartbeats_can_go_unanswered_while_frames_flow(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = short_room(sim, "deaf")
    room.faults.ignore_heartbeats = True
    async with connect_push(await fetch(http, sim, room), room) as ws:
        await ws.send(heartbeat_frame(room.room_id, seq=1))
        await ws.send(heartbeat_frame(room.room_id, seq=2))
        kinds = set()
        async for data in ws:
            assert isinstance(data, bytes)
            kinds.add(decode_frame(data).payload_type)
    assert kinds == {"msg"} and room.stats.heartbeats == [1, 2]


async def test_garbage_truncated_and_unknown_frames_lose_no_message(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = short_room(sim, "garbage", scenario=LivelyScenario(duration=None))
    room.faults.malformed_after(1)
    room.faults.truncated_after(2)
    room.faults.unknown_frame_after(3)
    frames: List[FetchResult] = []
    undecodable = 0
    other_kinds = []
    async with connect_push(await fetch(http, sim, room), room) as ws:
        async for data in ws:
            assert isinstance(data, bytes)
            try:
                frame = decode_frame(data)
            except DecodeError:
                undecodable += 1
                continue
            if frame.payload_type == "msg":
                frames.append(frame)
                await ws.send(ack_frame(frame.log_id, frame.internal_ext))
            else:
                other_kinds.append(frame.payload_type)
                room.end()  # every fault has struck: let the LIVE end
    assert undecodable == 2  # the garbage frame and the truncated copy
    assert other_kinds == ["sim_unknown"]
    assert msg_ids(frames) == [entry.msg_id for entry in room.log]  # nothing lost
    assert room.stats.bad_acks == 0  # the truncated copy asked for no ack


async def test_messages_of_an_unknown_type(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = short_room(sim, "unknowns", scenario=LivelyScenario(duration=None))
    first = await fetch(http, sim, room)
    async with connect_push(first, room) as ws:
        emitted = room.emit(room.factory.unknown("WebcastBrandNewMessage"))
        found = None
        while found is None:
            frame = decode_frame(await ws.recv())
            found = next((event for event in frame.events if event.msg_id == emitted.msg_id), None)
    assert isinstance(found, UnknownEvent) and found.method == "WebcastBrandNewMessage"


async def test_client_frames_that_are_not_push_frames_are_counted(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    room = short_room(sim, "noisy", scenario=LivelyScenario(duration=None))
    async with connect_push(await fetch(http, sim, room), room) as ws:
        await ws.send(b"\x0a\xff\xff\xff\xff\x0f")  # field 1 with a length no frame has
        await ws.send(bytes(pb.PushFrame(payload_type="what_is_this")))
        await ws.send(ack_frame(12345, "-"))  # an ack for a frame never sent
        await sim.wait_until(lambda: room.stats.bad_acks == 1)
    assert room.stats.client_frames_undecodable == 1
    assert room.stats.client_frames_unknown == 1


async def test_a_live_that_ends_without_control_message(sim: Simulator, http: httpx.AsyncClient) -> None:
    """The host's app died: no control message, the server just goes away (1001)."""
    room = short_room(sim, "vanished", scenario=LivelyScenario(duration=None))
    async with connect_push(await fetch(http, sim, room), room) as ws:
        await ws.recv()
        room.end(control=False)
        frames = await receive_all(ws)
        assert ws.close_code == 1001
    assert not any(isinstance(event, ControlEvent) for frame in frames for event in frame.events)
    assert room.ended


def test_gzip_payload_is_a_plain_gzip_stream() -> None:
    """What ``compress_type: gzip`` means: the payload is one gzip member (RFC 1952)."""
    from pytiktoklive.simulator.fetch import encode_push_frame

    frame = raw_frame(encode_push_frame(b"fetch-result-bytes", log_id=1, seq_id=1, compress=True))
    assert gzip.decompress(frame.payload) == b"fetch-result-bytes"


@pytest.mark.parametrize("compress", [True, False], ids=["gzip-asked", "plain-asked"])
async def test_a_valid_frame_whose_gzip_payload_is_cut(
    sim: Simulator, http: httpx.AsyncClient, compress: bool
) -> None:
    """``truncated_gzip_after``: a real frame (its messages are not sent again) with a cut payload."""
    room = short_room(sim, f"cut_gzip_{compress}", scenario=LivelyScenario(duration=None))
    fault = room.faults.truncated_gzip_after(1)
    good: List[FetchResult] = []
    cut: List[pb.PushFrame] = []
    async with connect_push(await fetch(http, sim, room), room, compress=compress) as ws:
        try:
            async for data in ws:
                assert isinstance(data, bytes)
                try:
                    frame = decode_frame(data)
                except DecodeError:
                    cut.append(raw_frame(data))  # still a well-formed PushFrame
                    continue
                if frame.payload_type == "msg":
                    good.append(frame)
                    await ws.send(ack_frame(frame.log_id, frame.internal_ext))
                    if len(good) == 3:
                        room.end()
        except ConnectionClosed:
            pass
    assert fault.fired == 1 and len(cut) == 1
    headers = {header.key: header.value for header in cut[0].headers}
    assert cut[0].payload_type == "msg" and headers["compress_type"] == "gzip"
    assert cut[0].payload[:2] == b"\x1f\x8b"
    with pytest.raises(EOFError):
        gzip.decompress(cut[0].payload)
    # The messages of the cut frame never came again on this connection: a gap after frame 1.
    received = msg_ids(good)
    logged = [entry.msg_id for entry in room.log]
    logged = logged[logged.index(received[0]) :]  # the first fetch's history is not pushed
    gap = logged[logged.index(msg_ids(good[:1])[-1]) + 1 : logged.index(msg_ids(good[1:2])[0])]
    assert gap, "the cut frame carried messages"
    assert received == [msg_id for msg_id in logged if msg_id not in gap]
    assert room.stats.bad_acks == 0  # the cut frame asked for no ack
