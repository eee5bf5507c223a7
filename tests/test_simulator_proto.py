"""The Rust core's encoder (``_core.encode_message`` behind the simulator's ``pb.X(...)``, and the
client's frames) against the generated betterproto2 classes: the same bytes, the same values back.

* every message a lively room emits is byte-identical to what the betterproto2 classes made of it;
* the client's ack, heartbeat and enter-room frames are byte-identical to the betterproto2 ones;
* random messages (scalars of every range, strings, bytes, lists, packed ints, maps) encode to the
  same bytes and parse back to equal values;
* a wrong value is a clear TypeError / OverflowError naming the field; bad bytes a DecodeError.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytiktoklive import _core, _frames
from pytiktoklive.errors import DecodeError
from pytiktoklive.simulator import factory, fetch, rooms
from pytiktoklive.simulator.gifts import GiftCatalogue, generated_gift_list
from pytiktoklive.simulator.proto import SchemaMessage, pb
from pytiktoklive.simulator.rooms import RoomSpec, Signal, SimRoom, World
from pytiktoklive.simulator.scenarios import LivelyScenario, ScenarioContext

bp = pytest.importorskip(
    "pytiktoklive._proto.webcast", reason="the reference needs betterproto2 (pure extra)"
)

INT64 = st.integers(-(2**63), 2**63 - 1)
INT32 = st.integers(-(2**31), 2**31 - 1)


def room_log(schema: Any, monkeypatch: pytest.MonkeyPatch) -> List[Tuple[str, bytes, bytes]]:
    """What a lively room (battle and unknown messages included) emits, encoded with ``schema``."""
    with monkeypatch.context() as patch:
        for module in (factory, rooms, fetch):
            patch.setattr(module, "pb", schema)
        patch.setattr(rooms, "epoch_ms", lambda: 1_700_000_000_123)
        patch.setattr(factory.time, "time", lambda: 1_700_000_000.5)  # banner documents hold the time
        world = World(
            seed=5,
            speed=1.0,
            base_url="http://127.0.0.1:1",
            gifts=GiftCatalogue(generated_gift_list("http://127.0.0.1:1", 1_700_000_000_000)),
            changed=Signal(),
        )
        room = SimRoom(RoomSpec("proto_room"), world)
        scenario = LivelyScenario(duration=60.0, unknown_messages=True)
        context = ScenarioContext(rng=room.rng, factory=room.factory, title=room.title, initial_viewers=50)
        for _, outgoing in scenario.timeline(context):
            room.emit(outgoing)
        header = fetch.encode_fetch_result(
            room.log[:3],
            cursor="c",
            internal_ext="ext",
            now_ms=1,
            fetch_interval_ms=1000,
            heartbeat_duration=10,
            route_params={"imprp": "token", "wrss": "x"},
            need_ack=True,
        )
        frame = fetch.encode_push_frame(header, log_id=1, seq_id=2, compress=False, cursor="c")
        return [(e.method, e.payload, e.envelope) for e in room.log] + [("frame", header, frame)]


def test_every_simulated_message_is_byte_identical_to_betterproto2(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = room_log(pb, monkeypatch)
    reference = room_log(bp, monkeypatch)
    assert len({method for method, _, _ in ours}) >= 12  # chats, gifts, likes, battles, unknown…
    assert [method for method, _, _ in ours] == [method for method, _, _ in reference]
    for (method, payload, envelope), (_, bp_payload, bp_envelope) in zip(ours, reference):
        assert payload == bp_payload, method
        assert envelope == bp_envelope, method


def test_client_frames_are_byte_identical_to_betterproto2() -> None:
    ext = "fetch_time:1|seq:2|next_cursor:1_2_1_1_0_0"
    assert _frames.ack_frame(2**63 - 1, ext) == bytes(
        bp.PushFrame(log_id=2**63 - 1, payload_encoding="pb", payload_type="ack", payload=ext.encode())
    )
    assert bp.PushFrame.parse(_frames.ack_frame(5, "")).payload == b"-"
    beat = bytes(bp.HeartbeatMessage(room_id=7_300_000_000_000_000_001, send_packet_seq_id=9))
    assert _frames.heartbeat_frame(7_300_000_000_000_000_001, 9) == bytes(
        bp.PushFrame(payload_encoding="pb", payload_type="hb", payload=beat)
    )
    enter = bp.ImEnterRoomMessage(room_id=77, live_id=12, identity="audience", filter_welcome_msg="0")
    assert _frames.enter_room_frame(77) == bytes(
        bp.PushFrame(payload_encoding="pb", payload_type="im_enter_room", payload=bytes(enter))
    )


texts = st.text(max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    room_id=INT64,
    live_id=INT64,
    identity=texts,
    flag=st.booleans(),
    cursor=texts,
    fetch_type=INT32,
    routes=st.dictionaries(texts, texts, max_size=4),
    deleted=st.lists(INT64, max_size=5),
    urls=st.lists(texts, max_size=3),
    payload=st.binary(max_size=30),
)
def test_random_messages_match_betterproto2_and_parse_back(
    room_id: int,
    live_id: int,
    identity: str,
    flag: bool,
    cursor: str,
    fetch_type: int,
    routes: Dict[str, str],
    deleted: List[int],
    urls: List[str],
    payload: bytes,
) -> None:
    cases: List[Tuple[str, Dict[str, Any]]] = [
        (
            "ImEnterRoomMessage",
            {
                "room_id": room_id,
                "live_id": live_id,
                "identity": identity,
                "is_anchor_continue_keep_msg": flag,
            },
        ),
        (
            "FetchResult",
            {
                "cursor": cursor,
                "fetch_type": fetch_type,
                "route_params": routes,
                "need_ack": flag,
                "now": live_id,
            },
        ),
        (
            "ImDeleteMessage",
            {"common": {"msg_id": room_id}, "delete_msg_ids": deleted, "delete_user_ids": deleted[:1]},
        ),
        ("Message", {"method": identity, "payload": payload, "msg_id": room_id}),
        ("User", {"id": room_id, "nickname": identity, "avatar_thumb": {"url_list": urls, "uri": cursor}}),
    ]
    for name, fields in cases:
        reference = getattr(bp, name)(**with_classes(bp, fields))
        encoded = _core.encode_message(name, fields)
        assert encoded == bytes(reference), name
        parsed = getattr(pb, name).parse(encoded)
        assert getattr(pb, name).parse(bytes(parsed)) == parsed  # (a map's entries may change order)
        assert getattr(pb, name)(**with_classes(pb, fields)) == parsed


def with_classes(schema: Any, fields: Dict[str, Any]) -> Dict[str, Any]:
    """``fields`` with its nested dicts (``common``, ``avatar_thumb``) as ``schema``'s classes."""
    nested = {"common": schema.Common, "avatar_thumb": schema.Image}
    return {key: nested[key](**value) if key in nested else value for key, value in fields.items()}


def test_holders_read_defaults_and_keep_what_is_set() -> None:
    user = pb.User(id=5)
    assert (user.id, user.nickname, user.follow_info, user.badge_list) == (5, "", None, [])
    user.badge_list.append(pb.Badge(display_type=1))  # a list read once is the message's own
    user.follow_info = pb.FollowInfo(follower_count=3)
    again = pb.User.parse(bytes(user))
    assert again == user and again.badge_list[0].display_type == 1 and again.follow_info.follower_count == 3
    assert isinstance(again, SchemaMessage) and type(again) is pb.User
    assert repr(pb.Image(uri="u")) == "Image(uri='u')"
    assert pb.User(id=1) != pb.User(id=2) and pb.User(id=1) != pb.Image()


def test_wrong_values_are_clear_errors() -> None:
    with pytest.raises(TypeError, match="User has no field 'nick'"):
        pb.User(nick="x")
    with pytest.raises(AttributeError, match="no message 'NoSuchMessage'"):
        pb.NoSuchMessage  # noqa: B018
    with pytest.raises(AttributeError, match="User has no field 'nick'"):
        pb.User().nick  # noqa: B018
    chat = pb.ChatMessage(user=pb.User(nickname=5))
    with pytest.raises(TypeError, match=r"ChatMessage\.user\.nickname: expected str, got int"):
        bytes(chat)
    chat.user = pb.User(id=2**64)
    with pytest.raises(OverflowError, match=r"ChatMessage\.user\.id: .* out of range for int64"):
        bytes(chat)
    with pytest.raises(TypeError, match=r"FetchResult\.messages: expected a list"):
        bytes(pb.FetchResult(messages=pb.Message()))
    with pytest.raises(TypeError, match=r"FetchResult\.messages\[1\]\.payload: expected bytes"):
        bytes(pb.FetchResult(messages=[pb.Message(), pb.Message(payload="text")]))
    common = pb.Common()
    common.typo = 1  # unknown attributes are caught when encoding
    with pytest.raises(TypeError, match="no field 'typo' in Common"):
        bytes(common)
    with pytest.raises(TypeError, match=r"FetchResult\.route_params\[k\]: expected str, got int"):
        _core.encode_message("FetchResult", {"route_params": {"k": 1}})
    with pytest.raises(ValueError, match='no message named "Nope"'):
        _core.encode_message("Nope", {})
    with pytest.raises(TypeError, match="expected a message"):
        _core.encode_message("ChatMessage", {"user": 5})


def test_bad_bytes_are_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="malformed PushFrame"):
        pb.PushFrame.parse(b"\x0a\xff")  # a length running past the end
    with pytest.raises(DecodeError):
        pb.Message.parse(b"\x12\x02\xff\xfe" + b"\x0a\x02\xff\xfe")  # method is not UTF-8
