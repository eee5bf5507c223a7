"""The event model: what an event is, how it behaves, and how a decoder fills it.

Events are immutable records: they compare by value, hash, pickle, print only the fields
that are set, and turn into JSON-ready dicts. The last part shows the decoding contract of
``pytiktoklive/events.py`` by example, in each decoding backend.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pytiktoklive import decoding
from pytiktoklive.decoding import FetchResult
from pytiktoklive.events import (
    EVENT_TYPES,
    METHOD_EVENT_TYPES,
    Badge,
    BadgeScene,
    BattleContributor,
    BattleGroup,
    ChatEvent,
    ControlAction,
    ControlEvent,
    Emote,
    Event,
    GiftEvent,
    PollOption,
    RoomBannerEvent,
    UnknownEvent,
    User,
    UserEvent,
    UserEventType,
)
from wire import field

PROTO = Path(__file__).resolve().parents[1] / "proto" / "webcast" / "messages.proto"

SEVEN = User(id=7, username="seven", nickname="Seven", badges=(Badge(scene_type=BadgeScene.FANS, level=3),))
CHAT = ChatEvent(
    method="WebcastChatMessage",
    msg_id=1,
    room_id=42,
    create_time=1_700_000_000_000,
    comment="hello",
    user=SEVEN,
    emotes=(Emote(id="e1", image_url="https://e1"),),
)


# --------------------------------------------------------------------------- records


def test_fields_left_out_take_their_defaults() -> None:
    event = ChatEvent(method="WebcastChatMessage")

    assert (event.msg_id, event.comment, event.user, event.emotes) == (0, "", None, ())


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(TypeError, match="no field"):
        ChatEvent(text="hello")


def test_repr_shows_the_fields_that_are_set() -> None:
    assert repr(ChatEvent(method="WebcastChatMessage", comment="hi")) == (
        "ChatEvent(method='WebcastChatMessage', comment='hi')"
    )
    assert repr(SEVEN) == "User(id=7, username='seven', nickname='Seven')"


def test_events_compare_by_value() -> None:
    assert CHAT.replace(comment="hello") == CHAT
    assert CHAT.replace(comment="bye") != CHAT
    assert ChatEvent() != UserEvent()  # same header, different type


def test_equal_events_hash_equal() -> None:
    assert hash(CHAT) == hash(CHAT.replace())
    assert len({CHAT, CHAT.replace(), CHAT.replace(msg_id=2)}) == 2
    # A banner's parsed JSON may be a dict; the event still hashes (by its header).
    hash(RoomBannerEvent(json="{}", data={}))


def test_fetch_results_are_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(FetchResult(route_params={}))


def test_events_are_immutable() -> None:
    with pytest.raises(AttributeError):
        CHAT.comment = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del CHAT.comment


def test_replace_returns_a_changed_copy() -> None:
    changed = CHAT.replace(comment="bye")

    assert (changed.comment, CHAT.comment) == ("bye", "hello")
    assert changed.user is CHAT.user
    with pytest.raises(TypeError):
        CHAT.replace(text="bye")


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_events_pickle(protocol: int) -> None:
    copy = pickle.loads(pickle.dumps(CHAT, protocol=protocol))

    assert copy == CHAT
    assert type(copy.user) is User


def test_to_dict_is_json_ready() -> None:
    unknown = UnknownEvent(method="WebcastNew", payload=b"\x08\x01")

    assert json.loads(json.dumps(CHAT.to_dict()))["user"]["badges"][0]["level"] == 3
    assert CHAT.to_dict()["emotes"] == [{"id": "e1", "image_url": "https://e1"}]
    assert unknown.to_dict()["payload"] == "CAE="  # bytes become base64 text


# --------------------------------------------------------------------------- helpers


def badge(scene: int, **fields: Any) -> Badge:
    return Badge(scene_type=scene, **fields)


def test_user_roles_come_from_badges_and_follow_role() -> None:
    plain = User(id=1)
    assert not (plain.is_moderator or plain.is_subscriber or plain.is_new_gifter or plain.is_friend)

    assert User(badges=(badge(BadgeScene.ADMIN),)).is_moderator
    assert User(badges=(badge(0, type="pm_mt_moderator_im"),)).is_moderator
    assert User(badges=(badge(BadgeScene.SUBSCRIBER),)).is_subscriber
    assert User(badges=(badge(BadgeScene.NEW_SUBSCRIBER),)).is_subscriber
    assert User(badges=(badge(BadgeScene.NEW_GIFTER),)).is_new_gifter
    assert User(follow_role=2).is_friend
    assert not User(follow_role=1).is_friend


def test_user_levels_and_rank_come_from_badges() -> None:
    user = User(
        badges=(
            badge(BadgeScene.USER_GRADE, level=25),
            badge(BadgeScene.FANS, level=4),
            badge(BadgeScene.RANK_LIST, name="No. 2"),
        )
    )

    assert (user.gifter_level, user.fans_level, user.top_gifter_rank) == (25, 4, 2)
    assert (User().gifter_level, User().fans_level, User().top_gifter_rank) == (0, 0, 0)
    assert User(badges=(badge(BadgeScene.RANK_LIST, name="Top"),)).top_gifter_rank == 0


def test_a_streak_is_acted_on_at_its_end() -> None:
    rose = GiftEvent(id=5655, cost=1, type=1)
    middle, last = rose.replace(repeat_count=4), rose.replace(repeat_count=5, repeat_end=True)

    assert middle.streakable and middle.streaking
    assert last.streakable and not last.streaking
    assert last.total_cost == 5


def test_gifts_that_cannot_streak_arrive_once() -> None:
    universe = GiftEvent(id=1, cost=34_999, type=2)

    assert not universe.streakable
    assert not universe.streaking
    assert universe.total_cost == 34_999  # repeat_count 0 counts as one gift


def test_control_events_tell_when_the_live_ended() -> None:
    assert ControlEvent(action=ControlAction.STREAM_ENDED).ended
    assert ControlEvent(action=ControlAction.STREAM_SUSPENDED).ended
    assert not ControlEvent(action=ControlAction.STREAM_PAUSED).ended


def test_user_event_types_are_strings() -> None:
    assert UserEvent(event="join").event == UserEventType.JOIN
    assert UserEventType.FOLLOW == "follow"


def test_battle_groups_list_their_users() -> None:
    group = BattleGroup(points=3, contributors=(BattleContributor(user=SEVEN, score=3),))

    assert group.users == (SEVEN,)


# --------------------------------------------------------------------------- the method table


def test_every_method_named_in_the_schema_has_an_event_type() -> None:
    comments = [line for line in PROTO.read_text(encoding="utf-8").splitlines() if line.startswith('// "')]
    named = {name for line in comments for name in re.findall(r'"(\w+)"', line.split(":")[0])}

    assert len(named) > 25
    assert named <= set(METHOD_EVENT_TYPES)


def test_event_types_list_every_class_once() -> None:
    assert set(EVENT_TYPES) == {*METHOD_EVENT_TYPES.values(), UnknownEvent}
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES))
    assert all(issubclass(cls, Event) for cls in EVENT_TYPES)


@pytest.mark.parametrize("method", sorted(METHOD_EVENT_TYPES))
def test_each_backend_knows_every_method(decoder: ModuleType, method: str) -> None:
    event = decoder.decode_message(method, b"", 9)

    assert type(event) is METHOD_EVENT_TYPES[method]
    assert (event.method, event.msg_id) == (method, 9)


def test_other_methods_give_unknown_events_with_their_payload(decoder: ModuleType) -> None:
    payload = bytes([0x0A, 4, 0x10, 77, 0x18, 42])  # a common header: msg_id 77, room_id 42

    event = decoder.decode_message("WebcastBrandNewMessage", payload, 9)

    assert event == UnknownEvent(method="WebcastBrandNewMessage", msg_id=77, room_id=42, payload=payload)


def test_the_decoding_module_uses_one_of_the_backends() -> None:
    assert decoding.backend() in ("rust", "pure")
    assert isinstance(decoding.decode_message("WebcastChatMessage", b"", 1), ChatEvent)


# --------------------------------------------------------------------------- the contract by example
# Messages are built field by field (numbers from proto/webcast/*.proto) with tests/wire.py.


def common(msg_id: int = 0, method: str = "") -> bytes:
    return field(1, method) + field(2, msg_id) + field(3, 42) + field(4, 1_700_000_000_000)


def test_a_missing_sub_message_gives_defaults(decoder: ModuleType) -> None:
    event = decoder.decode_message("WebcastGiftMessage", field(2, 5655), 9)

    assert event == GiftEvent(method="WebcastGiftMessage", msg_id=9, id=5655)


def test_msg_id_is_the_headers_else_the_envelopes(decoder: ModuleType) -> None:
    with_id = decoder.decode_message("WebcastChatMessage", field(1, common(msg_id=77)), 9)
    without = decoder.decode_message("WebcastChatMessage", field(1, common()), 9)

    assert (with_id.msg_id, without.msg_id) == (77, 9)
    assert (without.room_id, without.create_time) == (42, 1_700_000_000_000)


def test_badges_by_example(decoder: ModuleType) -> None:
    text_badge = field(3, 8) + field(21, field(2, "grade") + field(3, "Level 12")) + field(12, field(5, "12"))
    combine_badge = field(3, 10) + field(
        23,
        field(2, field(1, "https://icon")) + field(3, field(1, "fans") + field(2, "Fans")) + field(4, "Club"),
    )
    combine_without_str = field(23, field(3, field(1, "k") + field(2, "Pattern")))
    image_badge = field(3, 6) + field(20, field(2, field(1, "https://rank") + field(1, "https://rank2")))
    level_not_digits = field(12, field(5, "7a"))
    badges = (text_badge, combine_badge, combine_without_str, image_badge, level_not_digits)
    user = field(1, 7) + b"".join(field(64, badge) for badge in badges)

    event = decoder.decode_message("WebcastChatMessage", field(2, user), 1)

    assert event.user.badges == (
        Badge(scene_type=8, type="grade", name="Level 12", level=12),
        Badge(scene_type=10, type="fans", name="Club", image_url="https://icon"),
        Badge(type="k", name="Pattern"),
        Badge(scene_type=6, image_url="https://rank"),
        Badge(),
    )
    assert event.user.gifter_level == 12


@pytest.mark.parametrize(
    ("display_type", "action", "expected"),
    [
        ("pm_main_follow_message_viewer_2", 3, "follow"),
        ("pm_mt_guidance_share", 1, "share"),
        ("", 1, "follow"),
        ("", 3, "share"),
        ("", 7, "other"),
    ],
)
def test_follow_or_share_by_example(
    decoder: ModuleType, display_type: str, action: int, expected: str
) -> None:
    header = field(1, "WebcastSocialMessage") + field(8, field(1, display_type) + field(2, "{0:user} did"))

    event = decoder.decode_message("WebcastSocialMessage", field(1, header) + field(4, action), 1)

    assert (event.event, event.display_type, event.label) == (expected, display_type, "{0:user} did")
    assert type(event.event) is str


def test_poll_options_come_from_the_first_content_present(decoder: ModuleType) -> None:
    option = field(1, 3) + field(2, "yes") + field(3, 1)
    ended = field(2, 1) + field(3, 99) + field(5, field(2, option))
    started_without_options = field(4, field(4, "Which?")) + field(5, field(2, option))

    assert decoder.decode_message("WebcastPollMessage", ended, 1).options == (
        PollOption(index=1, text="yes", votes=3),
    )
    started = decoder.decode_message("WebcastPollMessage", started_without_options, 1)
    assert (started.title, started.options) == ("Which?", ())


def test_a_barrage_names_the_first_user_it_carries(decoder: ModuleType) -> None:
    piece_user = field(1, 1) + field(3, "piece")
    grade_user = field(1, 2) + field(3, "grade")
    content = field(1, "key") + field(4, field(1, 11)) + field(4, field(21, field(1, piece_user)))

    from_piece = decoder.decode_message(
        "WebcastBarrageMessage", field(5, content) + field(100, field(4, grade_user)), 1
    )
    from_grade = decoder.decode_message("WebcastBarrageMessage", field(100, field(4, grade_user)), 1)
    nobody = decoder.decode_message("WebcastBarrageMessage", field(5, field(1, "key")), 1)

    assert (from_piece.user.nickname, from_grade.user.nickname, nobody.user) == ("piece", "grade", None)


def test_a_notice_is_typed_by_its_own_method_else_the_envelopes(decoder: ModuleType) -> None:
    own = decoder.decode_message("RoomMessage", field(1, common(method="SystemMessage")) + field(2, "hi"), 1)
    envelope_only = decoder.decode_message("WebcastBottomMessage", field(2, "below"), 1)

    assert (own.type, own.message) == ("SystemMessage", "hi")
    assert (envelope_only.type, envelope_only.message) == ("WebcastBottomMessage", "below")


@pytest.mark.parametrize(
    ("sender_id", "expected"),
    [("123", 123), ("", 0), ("12a", 0), ("-5", 0), ("\uff11\uff12", 0), ("9" * 30, int("9" * 30))],
)
def test_an_envelope_sender_id_is_its_digits(decoder: ModuleType, sender_id: str, expected: int) -> None:
    event = decoder.decode_message(
        "WebcastEnvelopeMessage", field(2, field(4, "sender") + field(8, sender_id)), 1
    )

    assert (event.sender_name, event.sender_id) == ("sender", expected)


@pytest.mark.parametrize(
    ("document", "data"),
    [("", None), ("not json", None), ('{"a": [1, 2]}', {"a": [1, 2]}), ("[" * 10_000, None)],
)
def test_banner_json_is_parsed_when_it_can_be(decoder: ModuleType, document: str, data: Any) -> None:
    event = decoder.decode_message("WebcastInRoomBannerMessage", field(2, document), 1)

    assert (event.json, event.data) == (document, data)
