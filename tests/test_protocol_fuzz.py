"""The sans-I/O session fed random sequences of inputs: good, duplicated, garbage and mangled.

``test_decoding_fuzz.py`` fuzzes the decoders one input at a time; this fuzzes the
state machine on top of them (:class:`~pytiktoklive._protocol.WebcastProtocol`), the
way a hostile or broken server would drive it: websocket frames and fetch results,
valid or not, gzip or not, ids repeated, controls in between, odd handshake options.

After every step, whatever happened:

* a bad input raised :class:`~pytiktoklive.errors.DecodeError` and nothing else;
* no event id is ever delivered twice, and nothing follows the event that ended the LIVE;
* the frames to send are PushFrames; intervals stay within sane bounds;
* the resume state still makes a poll's parameters and, when offered, a websocket URL.
"""

from __future__ import annotations

import gzip
from typing import Any, List, Set, Tuple

from client_wire import chat, control, fetch_result, push_frame, read_frame, unknown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytiktoklive._proto import webcast as pb
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive.errors import DecodeError
from pytiktoklive.events import ControlEvent

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROOM = 7_300_000_000_000_000_001

# Few distinct ids, so that repeats (across frames, polls and reconnects) are common.
MSG_IDS = st.integers(0, 12)
MESSAGES = st.lists(
    st.one_of(
        st.builds(chat, MSG_IDS),
        st.builds(unknown, MSG_IDS),
        st.builds(control, MSG_IDS, st.sampled_from([1, 2, 3, 4])),
    ),
    max_size=5,
)
# What a server may put in the transport fields, sane or not.
TEXT = st.one_of(st.just(""), st.text(max_size=30))
PUSH_SERVERS = st.one_of(
    st.just(""),
    st.just("wss://push.example/webcast/im/push/"),
    st.just("wss://push.example/webcast/im/push/?a=1&b="),
    st.just("http://[broken"),
    st.text(max_size=30),
)
INTERVALS = st.one_of(st.integers(-(2**40), 2**40), st.sampled_from([0, 1, 50, 1000, 10**9]))


@st.composite
def fetch_results(draw: st.DrawFn) -> bytes:
    return fetch_result(
        draw(MESSAGES),
        cursor=draw(TEXT),
        internal_ext=draw(TEXT),
        need_ack=draw(st.booleans()),
        push_server=draw(PUSH_SERVERS),
        route_params=draw(st.dictionaries(TEXT, TEXT, max_size=3)),
        fetch_interval=draw(INTERVALS),
        heartbeat_duration=draw(INTERVALS),
    )


@st.composite
def mangled(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` cut short, with bytes flipped, or with a gzip stream cut in half."""
    how = draw(st.sampled_from(["cut", "flip", "as-is"]))
    if how == "cut":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if how == "flip" and data:
        position = draw(st.integers(0, len(data) - 1))
        return data[:position] + bytes([data[position] ^ draw(st.integers(1, 255))]) + data[position + 1 :]
    return data


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    result = draw(fetch_results())
    compress = draw(st.booleans())
    payload_type = draw(st.sampled_from(["msg", "msg", "msg", "hb", "im_enter_room_resp", "sim_unknown", ""]))
    frame = push_frame(
        result, log_id=draw(st.integers(0, 2**64 - 1)), compress=compress, payload_type=payload_type
    )
    if compress and draw(st.booleans()):  # a valid PushFrame whose gzip payload is cut short
        parsed = read_frame(frame)
        parsed.payload = parsed.payload[: draw(st.integers(0, len(parsed.payload)))]
        frame = bytes(parsed)
    return draw(mangled(frame))


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    body = draw(fetch_results())
    if draw(st.booleans()):
        body = gzip.compress(body)
    return draw(mangled(body))


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("frame"), st.one_of(frames(), st.binary(max_size=64))),
        st.tuples(st.just("fetch"), st.one_of(bodies(), st.binary(max_size=64))),
        st.tuples(st.just("open"), st.just(b"")),
        st.tuples(st.just("heartbeat"), st.just(b"")),
        st.tuples(st.just("options"), st.text(max_size=40).map(str.encode)),
    ),
    max_size=12,
)


def check_outputs(protocol: WebcastProtocol) -> None:
    for frame in protocol.data_to_send():
        assert read_frame(frame).payload_type in ("ack", "hb", "im_enter_room")
    assert 0.05 <= protocol.heartbeat_interval <= 60.0
    assert 0.05 <= protocol.fetch_interval <= 30.0
    params = protocol.fetch_params()
    assert params["room_id"] == str(ROOM)
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in params.items())
    if protocol.websocket_offered:
        assert protocol.websocket_url({"aid": "1988"})  # never raises for what the server sent


@FUZZ
@given(steps=STEPS, dedup_window=st.sampled_from([1, 4, 2048]), limit=st.sampled_from([64, 1 << 20]))
def test_protocol_survives_any_input_sequence(
    steps: List[Tuple[str, bytes]], dedup_window: int, limit: int
) -> None:
    protocol = WebcastProtocol(ROOM, dedup_window=dedup_window, max_inflated_size=limit)
    delivered: List[Any] = []
    ended_at = None
    for kind, data in steps:
        try:
            if kind == "frame":
                protocol.receive_frame(data)
            elif kind == "fetch":
                protocol.receive_fetch_result(data)
            elif kind == "open":
                protocol.connection_opened()
            elif kind == "heartbeat":
                protocol.heartbeat()
            else:
                protocol.apply_handshake_options(data.decode())
        except DecodeError:
            assert kind in ("frame", "fetch")
        events = protocol.events_received()
        if ended_at is not None:
            assert not events, "events after the LIVE ended"
        delivered.extend(events)
        for event in events:
            if isinstance(event, ControlEvent) and event.ended:
                assert event is events[-1]
                ended_at = len(delivered)
                assert protocol.ended
        check_outputs(protocol)
    # Ids repeat only when the window forgot them (a window of 2048 never forgets here).
    seen: Set[int] = set()
    for event in delivered:
        if event.msg_id and dedup_window > 12:
            assert event.msg_id not in seen, f"msg_id {event.msg_id} delivered twice"
            seen.add(event.msg_id)


@FUZZ
@given(messages=MESSAGES, cuts=st.lists(st.integers(0, 10_000), max_size=3))
def test_acks_only_for_frames_that_decoded(messages: List[pb.Message], cuts: List[int]) -> None:
    """A frame that fails to decode is neither acked nor delivered; its events come with the retry."""
    good = push_frame(fetch_result(messages, cursor="c", need_ack=True), log_id=42, compress=True)
    protocol = WebcastProtocol(ROOM)
    for cut in cuts:
        broken = good[: cut % max(len(good), 1)]
        try:
            protocol.receive_frame(broken)
        except DecodeError:
            assert not protocol.data_to_send()
            assert not protocol.events_received()
        else:
            protocol.data_to_send()
            protocol.events_received()
    # The retry (a reconnect re-sending the frame) is acked, unless a partial frame that did
    # decode (cut at a field boundary) already ended the LIVE.
    ended_before = protocol.ended
    protocol.receive_frame(good)
    acks = [read_frame(frame) for frame in protocol.data_to_send()]
    assert [ack.log_id for ack in acks if ack.payload_type == "ack"] == ([] if ended_before else [42])
