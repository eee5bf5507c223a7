"""Every real captured TikTok message decodes, in each backend, to the event the contract promises.

The expected values are read from the captured bytes with ``tests/wire.py``, a reader that
shares no code with either decoder; the field numbers are those of ``proto/webcast/*.proto``
and the rules those of the docstrings in ``pytiktoklive/events.py``. The captures are real
server output (see ``../shared/captures/MANIFEST.md``): fields out of ascending order, many
fields our schema does not declare, 77 message types.
"""

from __future__ import annotations

import gzip
import json
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Sequence

import pytest
from captures import (
    CORRUPTED_FRAME,
    FULL,
    MESSAGE_COUNT,
    METHOD_COUNT,
    REPAIRED_FRAME,
    Capture,
    messages,
    read,
)
from pytiktoklive.decoding import DEFAULT_MAX_INFLATED_SIZE, FetchResult
from pytiktoklive.errors import DecodeError
from pytiktoklive.events import METHOD_EVENT_TYPES, ChatEvent, Event, LikeEvent, UnknownEvent, User
from wire import LEN, every, field, fields, key, last, numbers, signed, text, varint

LIMIT = DEFAULT_MAX_INFLATED_SIZE
#: The envelope ``msg_id`` passed with every message: an event keeps it only when its own
#: common header has no ``msg_id``.
ENVELOPE_MSG_ID = 1


def int32(payload: bytes, *path: int) -> int:
    return signed(payload, *path, bits=32)


def strings(payload: bytes, *path: int) -> List[str]:
    return [value.decode("utf-8") for value in every(payload, *path)]  # type: ignore[union-attr]


def first_url(payload: bytes, *path: int) -> str:
    urls = strings(payload, *path, 1)
    return urls[0] if urls else ""


def sub_messages(payload: bytes, *path: int) -> List[bytes]:
    return [value for value in every(payload, *path) if isinstance(value, bytes)]


# --------------------------------------------------------------------------- the captures


def test_every_capture_is_loaded() -> None:
    captured = messages()

    assert len(captured) == MESSAGE_COUNT
    assert len({capture.method for capture in captured}) == METHOD_COUNT


def test_many_captures_have_fields_out_of_ascending_order() -> None:
    def out_of_order(capture: Capture) -> bool:
        numbers_in_wire_order = [number for number, _, _ in fields(capture.payload)]
        return numbers_in_wire_order != sorted(numbers_in_wire_order)

    assert sum(map(out_of_order, messages())) > (200 if FULL else 20)  # all of them are checked below


# --------------------------------------------------------------------------- expectations


def check_header(event: Event, capture: Capture) -> None:
    """``method`` from the envelope; ``msg_id``, ``room_id``, ``create_time`` from ``Common``."""
    payload = capture.payload
    if not all(wire == LEN for number, wire, _ in fields(payload) if number == 1):
        # Field 1 is not a common header (only possible for unknown methods): defaults.
        payload = b""
    assert event.method == capture.method
    assert event.msg_id == (signed(payload, 1, 2) or ENVELOPE_MSG_ID)
    assert event.room_id == signed(payload, 1, 3)
    assert event.create_time == signed(payload, 1, 4)


def check_user(user: Optional[User], payload: bytes, *path: int) -> None:
    """A full ``User`` (proto ``User``) at ``path``, or ``None`` when the message has none."""
    if last(payload, *path) is None:
        assert user is None
        return
    assert user is not None
    assert user.id == signed(payload, *path, 1)
    assert user.nickname == text(payload, *path, 3)
    assert user.username == text(payload, *path, 38)
    assert user.sec_uid == text(payload, *path, 46)
    assert user.profile_picture == tuple(strings(payload, *path, 9, 1))
    assert user.follow_role == signed(payload, *path, 22, 3)
    assert user.follower_count == signed(payload, *path, 22, 2)
    assert [badge.scene_type for badge in user.badges] == [
        int32(badge, 3) for badge in sub_messages(payload, *path, 64)
    ]


def display_text(payload: bytes) -> Sequence[str]:
    """``Common.display_text`` as ``(key, default_pattern)``."""
    return text(payload, 1, 8, 1), text(payload, 1, 8, 2)


def check_chat(event: Any, payload: bytes) -> None:
    assert event.comment == text(payload, 3)
    assert event.timestamp == signed(payload, 1, 4)
    assert event.language == text(payload, 14)
    check_user(event.user, payload, 2)
    with_emote = [entry for entry in sub_messages(payload, 13) if last(entry, 2) is not None]
    assert [emote.id for emote in event.emotes] == [text(entry, 2, 1) for entry in with_emote]
    assert [emote.image_url for emote in event.emotes] == [first_url(entry, 2, 2) for entry in with_emote]


def check_emote_chat(event: Any, payload: bytes) -> None:
    check_user(event.user, payload, 2)
    assert [emote.id for emote in event.emotes] == strings(payload, 3, 1)


def check_gift(event: Any, payload: bytes) -> None:
    assert event.id == signed(payload, 2)
    assert event.repeat_count == int32(payload, 5)
    assert event.repeat_end == (int32(payload, 9) == 1)
    assert event.group_id == signed(payload, 11)
    assert event.name == text(payload, 15, 16)
    assert event.describe == text(payload, 15, 2)
    assert event.cost == int32(payload, 15, 12)
    assert event.type == int32(payload, 15, 11)
    assert event.image_url == first_url(payload, 15, 1)
    assert event.to_user_id == signed(payload, 23, 8)
    assert event.timestamp == signed(payload, 23, 6)
    check_user(event.user, payload, 7)


def check_like(event: Any, payload: bytes) -> None:
    assert event.likes == int32(payload, 2)
    assert event.total_likes == signed(payload, 3)
    assert (event.display_type, event.label) == display_text(payload)
    check_user(event.user, payload, 5)


def check_member(event: Any, payload: bytes) -> None:
    assert event.event == "join"
    assert (event.display_type, event.label) == display_text(payload)
    check_user(event.user, payload, 2)


def check_social(event: Any, payload: bytes) -> None:
    display_type, label = display_text(payload)
    action = signed(payload, 4)
    if "follow" in display_type:
        expected = "follow"
    elif "share" in display_type:
        expected = "share"
    else:
        expected = {1: "follow", 3: "share"}.get(action, "other")
    assert event.event == expected
    assert (event.display_type, event.label) == (display_type, label)
    check_user(event.user, payload, 2)


def check_viewers(event: Any, payload: bytes) -> None:
    assert event.viewers == signed(payload, 3)
    assert event.total_viewers == signed(payload, 7)
    ranks = sub_messages(payload, 2)
    assert [(viewer.score, viewer.rank) for viewer in event.top_viewers] == [
        (signed(rank, 1), signed(rank, 3)) for rank in ranks
    ]
    for viewer, rank in zip(event.top_viewers, ranks):
        check_user(viewer.user, rank, 2)


def check_question(event: Any, payload: bytes) -> None:
    assert event.question == text(payload, 2, 2)
    assert event.question_id == signed(payload, 2, 1)
    assert event.timestamp == signed(payload, 1, 4)
    check_user(event.user, payload, 2, 5)


def check_control(event: Any, payload: bytes) -> None:
    assert (event.action, event.tips) == (int32(payload, 2), text(payload, 3))


def check_mic_battle(event: Any, payload: bytes) -> None:
    assert (event.battle_id, event.action) == (signed(payload, 2), int32(payload, 4))
    link_users = sub_messages(payload, 10, 2, 1)
    assert [(user.id, user.nickname, user.username) for user in event.users] == [
        (signed(user, 1), text(user, 2), text(user, 4)) for user in link_users
    ]


def check_battles(event: Any, payload: bytes) -> None:
    assert (event.status, event.battle_id) == (int32(payload, 7), signed(payload, 2))
    armies = sub_messages(payload, 3)
    assert [battle.host for battle in event.battles] == [signed(army, 1) for army in armies]
    for battle, army in zip(event.battles, armies):
        assert [group.points for group in battle.groups] == [int32(side, 2) for side in sub_messages(army, 2)]
        assert [
            (c.user.id, c.user.nickname, c.score) for group in battle.groups for c in group.contributors
        ] == [(signed(c, 1), text(c, 3), signed(c, 2)) for c in sub_messages(army, 2, 1)]


def check_room_banner(event: Any, payload: bytes) -> None:
    document = text(payload, 2)
    assert event.json == document
    assert event.data == (json.loads(document) if document else None)


def check_intro(event: Any, payload: bytes) -> None:
    assert (event.id, event.title, event.language) == (signed(payload, 2), text(payload, 4), text(payload, 8))
    check_user(event.user, payload, 5)


def check_room(event: Any, payload: bytes) -> None:
    assert event.type == (text(payload, 1, 1) or event.method)
    assert event.message == text(payload, 2)


def check_envelope(event: Any, payload: bytes) -> None:
    sender_id = text(payload, 2, 8)
    assert event.envelope_id == text(payload, 2, 1)
    assert event.business_type == int32(payload, 2, 2)
    assert event.sender_name == text(payload, 2, 4)
    assert event.sender_id == (int(sender_id) if sender_id.isdigit() else 0)
    assert event.diamond_count == int32(payload, 2, 5)
    assert event.people_count == int32(payload, 2, 6)
    assert event.unpack_at == int32(payload, 2, 7)


def check_subscribe(event: Any, payload: bytes) -> None:
    assert (event.sub_month, event.subscribe_type) == (signed(payload, 4), int32(payload, 5))
    check_user(event.user, payload, 2)


def check_rank_update(event: Any, payload: bytes) -> None:
    assert [(u.rank_type, u.owner_rank, u.key, u.label) for u in event.updates] == [
        (signed(update, 1), signed(update, 2), text(update, 3, 1), text(update, 3, 2))
        for update in sub_messages(payload, 2)
    ]


def check_hourly_rank(event: Any, payload: bytes) -> None:
    assert (event.rank_type, event.rank) == (signed(payload, 2, 1), signed(payload, 2, 6))
    assert (event.key, event.label) == (text(payload, 2, 4, 1), text(payload, 2, 4, 2))


def check_goal_update(event: Any, payload: bytes) -> None:
    assert (event.goal_id, event.description) == (signed(payload, 3, 1), text(payload, 3, 14))
    assert [(goal.type, goal.progress, goal.target) for goal in event.sub_goals] == [
        (int32(goal, 1), signed(goal, 3), signed(goal, 4)) for goal in sub_messages(payload, 3, 4)
    ]
    contributor_id = signed(payload, 4)
    if contributor_id:
        assert event.contributor == User(
            id=contributor_id,
            username=text(payload, 6),
            profile_picture=tuple(strings(payload, 5, 1)),
        )
    else:
        assert event.contributor is None
    assert (event.contribute_count, event.contribute_score) == (signed(payload, 9), signed(payload, 10))


def check_poll(event: Any, payload: bytes) -> None:
    assert (event.poll_id, event.status) == (signed(payload, 3), int32(payload, 2))
    assert (event.title, event.start_time, event.end_time) == (
        text(payload, 4, 4),
        signed(payload, 4, 1),
        signed(payload, 4, 2),
    )
    # The options of the first content present: start (options = 3), end or update (2).
    if last(payload, 4) is not None:
        options = sub_messages(payload, 4, 3)
    elif last(payload, 5) is not None:
        options = sub_messages(payload, 5, 2)
    else:
        options = sub_messages(payload, 6, 2)
    assert [(o.index, o.text, o.votes) for o in event.options] == [
        (int32(o, 3), text(o, 2), int32(o, 1)) for o in options
    ]
    check_user(event.operator, payload, 4, 5)


def check_caption(event: Any, payload: bytes) -> None:
    assert (event.timestamp, event.duration) == (signed(payload, 2), signed(payload, 3))
    assert [(c.language, c.text) for c in event.captions] == [
        (text(line, 1), text(line, 2)) for line in sub_messages(payload, 4)
    ]


def check_link(event: Any, payload: bytes) -> None:
    assert (event.message_type, event.linker_id, event.scene) == (
        int32(payload, 2),
        signed(payload, 3),
        int32(payload, 4),
    )


def check_link_layer(event: Any, payload: bytes) -> None:
    assert (event.message_type, event.channel_id, event.scene) == (
        int32(payload, 2),
        signed(payload, 3),
        int32(payload, 4),
    )


def check_room_pin(event: Any, payload: bytes) -> None:
    if last(payload, 2) is not None:  # a pinned chat message
        assert event.pinned_method == (text(payload, 2, 1, 1) or "WebcastChatMessage")
        assert event.pinned_msg_id == signed(payload, 2, 1, 2)
        assert event.text == text(payload, 2, 3)
        check_user(event.user, payload, 2, 2)
    else:
        assert event.pinned_method == text(payload, 4, 1, 1)
        assert event.pinned_msg_id == signed(payload, 4, 1, 2)
        assert event.text == text(payload, 4, 1, 7)
        assert event.user is None


def check_barrage(event: Any, payload: bytes) -> None:
    assert (event.msg_type, event.duration) == (int32(payload, 3), int32(payload, 6))
    assert (event.key, event.label) == (text(payload, 5, 1), text(payload, 5, 2))
    # The first user of the text's pieces, else of the grade, else of the fans-level parameter.
    candidates = [
        *[(piece, (21, 1)) for piece in sub_messages(payload, 5, 4)],
        (payload, (100, 4)),
        (payload, (101, 4)),
    ]
    source = next(((data, path) for data, path in candidates if last(data, *path) is not None), None)
    if source is None:
        assert event.user is None
    else:
        check_user(event.user, source[0], *source[1])


def check_im_delete(event: Any, payload: bytes) -> None:
    assert event.deleted_msg_ids == tuple(numbers(payload, 2))
    assert event.deleted_user_ids == tuple(numbers(payload, 3))


def check_unauthorized_member(event: Any, payload: bytes) -> None:
    assert (event.action, event.nickname, event.label) == (
        int32(payload, 2),
        text(payload, 4),
        text(payload, 5, 2),
    )


#: Envelope method -> the checks of its event's own fields.
CHECKS: Dict[str, Callable[[Any, bytes], None]] = {
    "WebcastChatMessage": check_chat,
    "WebcastEmoteChatMessage": check_emote_chat,
    "WebcastGiftMessage": check_gift,
    "WebcastLikeMessage": check_like,
    "WebcastMemberMessage": check_member,
    "WebcastSocialMessage": check_social,
    "WebcastRoomUserSeqMessage": check_viewers,
    "WebcastQuestionNewMessage": check_question,
    "WebcastControlMessage": check_control,
    "WebcastLinkMicBattle": check_mic_battle,
    "WebcastLinkMicArmies": check_battles,
    "WebcastInRoomBannerMessage": check_room_banner,
    "WebcastLiveIntroMessage": check_intro,
    "WebcastRoomMessage": check_room,
    "RoomMessage": check_room,
    "WebcastSystemMessage": check_room,
    "SystemMessage": check_room,
    "WebcastBottomMessage": check_room,
    "WebcastEnvelopeMessage": check_envelope,
    "WebcastSubNotifyMessage": check_subscribe,
    "WebcastRankUpdateMessage": check_rank_update,
    "WebcastHourlyRankMessage": check_hourly_rank,
    "WebcastGoalUpdateMessage": check_goal_update,
    "WebcastPollMessage": check_poll,
    "WebcastCaptionMessage": check_caption,
    "WebcastLinkMessage": check_link,
    "WebcastLinkLayerMessage": check_link_layer,
    "WebcastRoomPinMessage": check_room_pin,
    "WebcastBarrageMessage": check_barrage,
    "WebcastImDeleteMessage": check_im_delete,
    "WebcastUnauthorizedMemberMessage": check_unauthorized_member,
}


def test_every_method_with_an_event_type_has_checks() -> None:
    assert set(CHECKS) == set(METHOD_EVENT_TYPES)


# --------------------------------------------------------------------------- single messages


@pytest.mark.parametrize("method", sorted(CHECKS))
def test_captured_messages_decode_to_their_event(decoder: ModuleType, method: str) -> None:
    captured = [capture for capture in messages() if capture.method == method]
    if not captured:
        pytest.skip(f"no capture of {method}")

    for capture in captured:
        event = decoder.decode_message(method, capture.payload, ENVELOPE_MSG_ID)

        assert type(event) is METHOD_EVENT_TYPES[method], capture
        try:
            check_header(event, capture)
            CHECKS[method](event, capture.payload)
        except AssertionError as error:
            raise AssertionError(f"{capture!r}: {error}") from error


def test_captured_messages_of_other_methods_are_unknown_events(decoder: ModuleType) -> None:
    captured = [capture for capture in messages() if capture.method not in METHOD_EVENT_TYPES]
    assert len({capture.method for capture in captured}) > 40

    for capture in captured:
        event = decoder.decode_message(capture.method, capture.payload, ENVELOPE_MSG_ID)

        assert type(event) is UnknownEvent, capture
        assert event.payload == capture.payload
        check_header(event, capture)


def test_captured_gift_and_chat_fixtures(decoder: ModuleType) -> None:
    """The two single-message fixtures named in MANIFEST.md, field by field."""
    by_source = {capture.source.rsplit("/", 1)[-1]: capture for capture in messages()}
    gift_capture = by_source["MessageWebcastGiftMessage.bin"]
    chat_capture = by_source["MessageWebcastChatMessage.bin"]
    # Both start with fields that a protobuf library would write after `common` (field 1).
    assert [number for number, _, _ in fields(gift_capture.payload)][:3] == [15, 32, 2]
    assert [number for number, _, _ in fields(chat_capture.payload)][:2] == [18, 19]

    gift = decoder.decode_message(gift_capture.method, gift_capture.payload, 0)
    chat = decoder.decode_message(chat_capture.method, chat_capture.payload, 0)

    assert (gift.name, gift.id, gift.msg_id, gift.room_id) == (
        "Rose",
        5655,
        7270201542891817761,
        7270193599273683745,
    )
    assert (chat.msg_id, chat.room_id, chat.create_time) == (
        7270204318916594464,
        7270193599273683745,
        1692726385028,
    )


# --------------------------------------------------------------------------- whole frames


def message_envelope(capture: Capture, msg_id: int) -> bytes:
    """A ``Message`` envelope: method (1), payload (2), msg_id (3)."""
    return field(1, capture.method) + field(2, capture.payload) + field(3, msg_id)


def test_every_capture_decodes_in_one_gzip_frame(decoder: ModuleType) -> None:
    captured = messages()
    body = b"".join(field(1, message_envelope(capture, n)) for n, capture in enumerate(captured, 1))
    frame = field(5, field(1, "compress_type") + field(2, "gzip")) + field(7, "msg")
    frame += field(8, gzip.compress(body))

    result = decoder.decode_frame(frame, LIMIT)

    assert result.skipped == ()
    assert len(result.events) == decoder.count_frame_messages(frame, LIMIT) == MESSAGE_COUNT
    assert [type(event) for event in result.events] == [
        METHOD_EVENT_TYPES.get(capture.method, UnknownEvent) for capture in captured
    ]
    assert result.events == tuple(
        decoder.decode_message(capture.method, capture.payload, n) for n, capture in enumerate(captured, 1)
    )


def test_the_real_push_frame_decodes_to_one_like_event(decoder: ModuleType) -> None:
    result = decoder.decode_frame(read(REPAIRED_FRAME), LIMIT)

    assert isinstance(result, FetchResult)
    assert (result.payload_type, result.log_id, result.seq_id) == ("msg", 5092463814493970448, 9)
    assert result.cursor == "1692120689751_7267603020139989890_1_1_0_0"
    assert (result.fetch_interval, result.need_ack, result.skipped) == (4200, True, ())
    (like,) = result.events
    assert isinstance(like, LikeEvent)
    assert (like.likes, like.total_likes) == (15, 14470)
    assert like.user is not None
    assert (like.user.nickname, like.user.username) == ("hulajnoga czek", "hulajnoga.czek5")


def test_the_corrupted_original_frame_is_a_decode_error(decoder: ModuleType) -> None:
    with pytest.raises(DecodeError, match="PushFrame"):
        decoder.decode_frame(read(CORRUPTED_FRAME), LIMIT)


# --------------------------------------------------------------------------- hand-made bytes


COMMON = field(1, "WebcastChatMessage") + field(2, 77) + field(3, 42) + field(4, 1_700_000_000_000)
USER = field(1, 7) + field(3, "Seven") + field(38, "seven")

#: One of each wire type under field numbers the schema does not declare: a varint, a 64-bit
#: value, a length-delimited blob, a group holding a field, and a 32-bit value.
UNKNOWN_FIELDS = (
    field(900, 123456789)
    + key(901, 1) + bytes(8)
    + field(902, b"\xff\xfe not text")
    + key(903, 3) + field(1, 5) + key(903, 4)
    + key(904, 5) + bytes(4)
)  # fmt: skip


def test_fields_may_come_in_any_order_among_unknown_fields(decoder: ModuleType) -> None:
    in_order = field(1, COMMON) + field(2, USER) + field(3, "hello") + field(14, "en")
    shuffled = field(14, "en") + UNKNOWN_FIELDS + field(3, "hello") + field(2, USER) + field(1, COMMON)

    event = decoder.decode_message("WebcastChatMessage", shuffled, 0)

    assert event == decoder.decode_message("WebcastChatMessage", in_order, 0)
    assert event == ChatEvent(
        method="WebcastChatMessage",
        msg_id=77,
        room_id=42,
        create_time=1_700_000_000_000,
        comment="hello",
        user=User(id=7, nickname="Seven", username="seven"),
        timestamp=1_700_000_000_000,
        language="en",
    )


def test_unknown_fields_are_skipped_inside_nested_messages_too(decoder: ModuleType) -> None:
    payload = field(3, "hi") + field(2, UNKNOWN_FIELDS + USER) + field(1, UNKNOWN_FIELDS + COMMON)

    event = decoder.decode_message("WebcastChatMessage", payload, 0)

    assert (event.comment, event.msg_id, event.user) == (
        "hi",
        77,
        User(id=7, nickname="Seven", username="seven"),
    )


def test_a_repeated_sub_message_field_merges_and_the_last_scalar_wins(decoder: ModuleType) -> None:
    # Protobuf semantics: a singular message seen twice is merged, a scalar seen twice is replaced.
    payload = field(1, field(2, 77)) + field(3, "first") + field(1, field(3, 42)) + field(3, "second")

    event = decoder.decode_message("WebcastChatMessage", payload, 0)

    assert (event.msg_id, event.room_id, event.comment) == (77, 42, "second")


def test_repeated_numbers_may_be_packed_or_not(decoder: ModuleType) -> None:
    packed = key(2, LEN) + varint(2) + varint(5) + varint(6)
    unpacked = field(2, 7) + field(3, 8)

    event = decoder.decode_message("WebcastImDeleteMessage", packed + unpacked, 0)

    assert (event.deleted_msg_ids, event.deleted_user_ids) == ((5, 6, 7), (8,))
