"""The sans-I/O WebcastProtocol, driven with bytes only: no sockets, no event loop."""

from __future__ import annotations

import gzip
import urllib.parse
from typing import Any

import pytest
from client_wire import chat, control, fetch_result, frame_types, gift, push_frame, read_frame, unknown
from hypothesis import given
from hypothesis import strategies as st
from pytiktoklive._proto import webcast as pb
from pytiktoklive._protocol import RecentIds, WebcastProtocol, new_recent_ids, parse_handshake_options
from pytiktoklive.errors import DecodeError
from pytiktoklive.events import ChatEvent, ControlEvent, GiftEvent, UnknownEvent

ROOM = 7123456789012345678


def ids(events: list) -> list[int]:
    return [event.msg_id for event in events]


# ---------------------------------------------------------------- fetch results (HTTP)


def test_first_fetch_sets_the_transport_state() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(
        fetch_result(
            [chat(1, "hello")],
            cursor="c1",
            internal_ext="ie1",
            push_server="wss://push.example/webcast/im/push/",
            route_params={"imprp": "abc"},
            fetch_interval=1500,
            heartbeat_duration=7000,
        )
    )
    events = protocol.events_received()
    assert [type(event) for event in events] == [ChatEvent]
    assert events[0].comment == "hello"
    assert protocol.cursor == "c1"
    assert protocol.internal_ext == "ie1"
    assert protocol.push_server == "wss://push.example/webcast/im/push/"
    assert protocol.websocket_offered
    assert protocol.route_params == {"imprp": "abc"}
    assert protocol.fetch_interval == 1.5
    assert protocol.heartbeat_interval == 7.0
    assert protocol.events_received() == []  # returned once
    assert protocol.data_to_send() == []  # HTTP results are never acked


def test_fetch_params_resume_from_the_last_cursor() -> None:
    protocol = WebcastProtocol(ROOM)
    assert protocol.fetch_params() == {"room_id": str(ROOM)}
    protocol.receive_fetch_result(fetch_result(cursor="c1", internal_ext="ie1"))
    protocol.receive_fetch_result(fetch_result(cursor="c2"))  # no internal_ext: keep the last one
    assert protocol.fetch_params() == {"room_id": str(ROOM), "cursor": "c2", "internal_ext": "ie1"}


def test_no_push_server_means_polling() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result([chat(1)], cursor="c"))
    assert not protocol.websocket_offered
    with pytest.raises(ValueError):
        protocol.websocket_url({})


def test_gzip_fetch_body_is_decoded() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(gzip.compress(fetch_result([chat(1), chat(2)], cursor="c")))
    assert ids(protocol.events_received()) == [1, 2]


@pytest.mark.parametrize("body", [b"\x0a\xff\xff\xff", gzip.compress(fetch_result([chat(1)]))[:-12]])
def test_malformed_or_truncated_body_raises_and_changes_nothing(body: bytes) -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result(cursor="c1"))
    with pytest.raises(DecodeError):
        protocol.receive_fetch_result(body)
    assert protocol.cursor == "c1"
    assert protocol.events_received() == []


def test_unknown_message_types_are_delivered_as_unknown_events() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result([unknown(5), chat(6)]))
    events = protocol.events_received()
    assert isinstance(events[0], UnknownEvent)
    assert events[0].method == "WebcastSomethingNewMessage"
    assert isinstance(events[1], ChatEvent)


def test_server_intervals_are_clamped() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result(fetch_interval=1, heartbeat_duration=10**9))
    assert protocol.fetch_interval == 0.05
    assert protocol.heartbeat_interval == 60.0


# ---------------------------------------------------------------- dedup


def test_repeated_messages_are_delivered_once() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result([chat(1), chat(2), chat(3)], cursor="c3"))
    assert ids(protocol.events_received()) == [1, 2, 3]
    # A reconnect resumes from an older point: the server repeats 2 and 3.
    protocol.receive_frame(push_frame(fetch_result([chat(2), chat(3), chat(4)], cursor="c4")))
    assert ids(protocol.events_received()) == [4]
    assert protocol.duplicates_dropped == 2


def test_messages_without_ids_are_never_deduplicated() -> None:
    protocol = WebcastProtocol(ROOM)
    anonymous = pb.Message(method="WebcastSomethingNewMessage", payload=b"", msg_id=0)
    protocol.receive_fetch_result(fetch_result([anonymous, anonymous]))
    assert len(protocol.events_received()) == 2


def test_dedup_memory_is_bounded() -> None:
    protocol = WebcastProtocol(ROOM, dedup_window=3)
    protocol.receive_fetch_result(fetch_result([chat(i) for i in range(1, 6)]))
    assert ids(protocol.events_received()) == [1, 2, 3, 4, 5]
    protocol.receive_fetch_result(fetch_result([chat(1), chat(4), chat(5)]))
    # 1 fell out of the window of 3; 4 and 5 are still remembered.
    assert ids(protocol.events_received()) == [1]


@pytest.mark.parametrize("make_filter", [RecentIds, new_recent_ids], ids=["python", "client"])
def test_recent_ids(make_filter: Any) -> None:
    recent = make_filter(2)
    assert recent.add(1) and recent.add(2)
    assert not recent.add(1)
    assert recent.add(3)  # evicts 1
    assert 1 not in recent and 2 in recent and 3 in recent
    assert "3" not in recent and None not in recent
    assert len(recent) == 2
    with pytest.raises(ValueError):
        make_filter(0)


@pytest.mark.parametrize("make_filter", [RecentIds, new_recent_ids], ids=["python", "client"])
def test_recent_ids_key_ids_by_their_low_64_bits(make_filter: Any) -> None:
    recent = make_filter(8)
    assert recent.add(-1)
    assert not recent.add(2**64 - 1)  # the same 64 bits
    assert recent.add(2**64 + 5) and not recent.add(5)
    assert recent.add(0) and recent.add(0) and 0 not in recent  # 0 is "no id"


@pytest.mark.parametrize("make_filter", [RecentIds, new_recent_ids], ids=["python", "client"])
def test_recent_ids_admit_a_batch(make_filter: Any) -> None:
    recent = make_filter(4)
    recent.add(2)
    batch = [ChatEvent(msg_id=msg_id) for msg_id in (1, 2, 0, 3, 1, 0)]
    fresh = recent.admit(batch)
    assert [event.msg_id for event in fresh] == [1, 0, 3, 0]
    assert all(kept is batch[index] for kept, index in zip(fresh, (0, 2, 3, 5)))
    assert recent.admit(()) == []


@given(st.lists(st.integers(min_value=1, max_value=40), max_size=200))
def test_each_id_is_delivered_at_most_once_within_the_window(msg_ids: list[int]) -> None:
    protocol = WebcastProtocol(ROOM, dedup_window=64)
    for start in range(0, len(msg_ids), 7):
        protocol.receive_fetch_result(fetch_result([chat(i) for i in msg_ids[start : start + 7]]))
    delivered = ids(protocol.events_received())
    assert delivered == list(dict.fromkeys(msg_ids))


# ---------------------------------------------------------------- websocket frames


def test_msg_frame_with_need_ack_queues_an_ack_echoing_log_id_and_internal_ext() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_frame(push_frame(fetch_result([chat(1)], internal_ext="ie-7", need_ack=True), log_id=42))
    (ack,) = protocol.data_to_send()
    frame = read_frame(ack)
    assert frame.payload_type == "ack"
    assert frame.log_id == 42
    assert frame.payload == b"ie-7"
    assert ids(protocol.events_received()) == [1]


def test_ack_bytes_match_the_web_client() -> None:
    # The web client's ack for log_id 42 / internal_ext "ie" (research §2.5).
    protocol = WebcastProtocol(ROOM)
    protocol.receive_frame(push_frame(fetch_result(internal_ext="ie", need_ack=True), log_id=42))
    assert protocol.data_to_send() == [bytes.fromhex("102a320270623a0361636b42026965")]


def test_no_ack_without_need_ack() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_frame(push_frame(fetch_result([chat(1)], internal_ext="ie"), log_id=42))
    assert protocol.data_to_send() == []


def test_duplicate_only_frames_are_still_acked() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result([chat(1)]))
    protocol.events_received()
    protocol.receive_frame(push_frame(fetch_result([chat(1)], need_ack=True, internal_ext="x"), log_id=9))
    assert frame_types(protocol.data_to_send()) == ["ack"]
    assert protocol.events_received() == []


def test_gzip_frames_are_decoded() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_frame(push_frame(fetch_result([chat(1), gift(2)], cursor="c"), compress=True))
    assert [type(event) for event in protocol.events_received()] == [ChatEvent, GiftEvent]
    assert protocol.cursor == "c"


def test_truncated_gzip_frame_raises_decode_error() -> None:
    protocol = WebcastProtocol(ROOM)
    frame = pb.PushFrame(
        payload_type="msg",
        headers=[pb.PushHeader(key="compress_type", value="gzip")],
        payload=gzip.compress(fetch_result([chat(1)]))[:-10],
    )
    with pytest.raises(DecodeError):
        protocol.receive_frame(bytes(frame))
    assert protocol.data_to_send() == []


def test_garbage_frame_raises_decode_error() -> None:
    with pytest.raises(DecodeError):
        # field 8 (payload) claims 16 bytes; 3 follow
        WebcastProtocol(ROOM).receive_frame(b"\x42\x10abc")


def test_server_heartbeats_and_enter_room_responses_carry_no_events() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_frame(push_frame(b"", payload_type="hb"))
    protocol.receive_frame(push_frame(b"", payload_type="im_enter_room_resp"))
    assert protocol.events_received() == []
    assert protocol.data_to_send() == []
    assert protocol.frames_received == 2
    assert protocol.batches_received == 0


# ---------------------------------------------------------------- client frames


def test_connection_opened_enters_the_room_then_beats() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.connection_opened()
    enter, beat = (read_frame(frame) for frame in protocol.data_to_send())
    assert enter.payload_type == "im_enter_room"
    entered = pb.ImEnterRoomMessage.parse(enter.payload)
    assert (entered.room_id, entered.live_id, entered.identity) == (ROOM, 12, "audience")
    assert beat.payload_type == "hb"
    assert pb.HeartbeatMessage.parse(beat.payload).send_packet_seq_id == 1


def test_heartbeat_bytes_match_the_web_client() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.heartbeat()
    # Heartbeat seq 1 of room 7123456789012345678 (research §2.5).
    assert protocol.data_to_send() == [bytes.fromhex("320270623a026862420c08cee6b3cfd3c6e6ed621001")]


def test_heartbeat_sequence_grows_and_restarts_per_connection() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.connection_opened()
    protocol.heartbeat()
    protocol.heartbeat()
    beats = [read_frame(frame) for frame in protocol.data_to_send() if read_frame(frame).payload_type == "hb"]
    assert [pb.HeartbeatMessage.parse(beat.payload).send_packet_seq_id for beat in beats] == [1, 2, 3]
    protocol.connection_opened()
    beats = [read_frame(frame) for frame in protocol.data_to_send() if read_frame(frame).payload_type == "hb"]
    assert [pb.HeartbeatMessage.parse(beat.payload).send_packet_seq_id for beat in beats] == [1]


def test_handshake_ping_interval_overrides_heartbeat_duration() -> None:
    protocol = WebcastProtocol(ROOM)
    assert protocol.heartbeat_interval == 10.0
    protocol.receive_fetch_result(fetch_result(heartbeat_duration=8000))
    assert protocol.heartbeat_interval == 8.0
    protocol.apply_handshake_options("ping-interval=3; other=x")
    assert protocol.heartbeat_interval == 3.0
    protocol.apply_handshake_options("ping-interval=nonsense")
    assert protocol.heartbeat_interval == 3.0
    protocol.connection_opened()  # a new connection forgets the old handshake
    assert protocol.heartbeat_interval == 8.0


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [(10000, 10.0), (15, 15.0), (1, 1.0), (999, 60.0), (1500, 1.5), (200, 60.0), (10**9, 60.0)],
)
def test_heartbeat_duration_is_milliseconds_unless_that_would_be_under_a_second(
    duration: int, seconds: float
) -> None:
    # The URL asks for heartbeat_duration=10000 (ms) but a real fetch result carried 15:
    # a heartbeat every 15 ms would flood the server, every 15 s is what it means.
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result(heartbeat_duration=duration))
    assert protocol.heartbeat_interval == seconds


def test_parse_handshake_options() -> None:
    assert parse_handshake_options("ping-interval=10; Foo = bar ;;junk") == {
        "ping-interval": "10",
        "foo": "bar",
    }


# ---------------------------------------------------------------- websocket URL


def test_websocket_url_resumes_and_keeps_server_params() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(
        fetch_result(
            cursor="c 1",
            internal_ext="fetch_time:1|seq:1",
            push_server="wss://push.example/webcast/im/push/?existing=1",
            route_params={"imprp": "a b/c", "empty": "", "room_id": "999"},
        )
    )
    url = protocol.websocket_url({"aid": "1988", "cursor": "ignored"})
    split = urllib.parse.urlsplit(url)
    assert (split.scheme, split.netloc, split.path) == ("wss", "push.example", "/webcast/im/push/")
    query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
    assert query == {
        "existing": "1",
        "aid": "1988",
        "imprp": "a b/c",
        "room_id": str(ROOM),  # the room and the resume point cannot be overridden
        "cursor": "c 1",
        "internal_ext": "fetch_time:1|seq:1",
        "compress": "gzip",
    }
    assert "a%20b%2Fc" in split.query  # route params are percent-encoded


# ---------------------------------------------------------------- live end


def test_control_end_is_the_last_event() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_frame(push_frame(fetch_result([chat(1), control(2, action=3), chat(3)])))
    events = protocol.events_received()
    assert ids(events) == [1, 2]
    assert isinstance(events[-1], ControlEvent) and events[-1].ended
    assert protocol.ended
    protocol.receive_frame(push_frame(fetch_result([chat(4)], need_ack=True)))
    assert protocol.events_received() == []
    assert protocol.data_to_send() == []


@pytest.mark.parametrize("action", [1, 2])
def test_pause_and_unpause_do_not_end_the_live(action: int) -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result([control(1, action=action), chat(2)]))
    assert ids(protocol.events_received()) == [1, 2]
    assert not protocol.ended


def test_suspension_ends_the_live() -> None:
    protocol = WebcastProtocol(ROOM)
    protocol.receive_fetch_result(fetch_result([control(1, action=4)]))
    assert protocol.ended
