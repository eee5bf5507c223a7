"""The Rust core and the pure-Python decoder give equal results for the same bytes.

Both implement one contract (the docstrings of ``pytiktoklive/events.py``), so for any input
they must agree: equal events (``==`` and ``to_dict()``) for every real capture and for
hand-made messages that exercise each rule of the contract, equal batches for frames and
fetch results, and a ``DecodeError`` from both for malformed bytes. The one thing allowed
to differ is the wording of error messages (``SkippedMessage.reason``, exception text).
"""

from __future__ import annotations

import gzip
from typing import Any, Callable, List, Tuple

import pytest
from captures import REPAIRED_FRAME, messages, read
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pytiktoklive._records import Record
from pytiktoklive.decoding import DEFAULT_MAX_INFLATED_SIZE, FetchResult
from pytiktoklive.errors import DecodeError
from pytiktoklive.events import METHOD_EVENT_TYPES
from wire import LEN, field, key, varint

_core = pytest.importorskip("pytiktoklive._core", reason="the Rust core is not built")
_pure = pytest.importorskip("pytiktoklive._pure", reason="the pure-Python decoder needs betterproto2")

from pytiktoklive._proto import webcast as pb  # noqa: E402

LIMIT = DEFAULT_MAX_INFLATED_SIZE


def outcome(decode: Callable[[], Any]) -> Any:
    """What a decode gave: the result (skip reasons blanked), or ``DecodeError``.

    Any other exception propagates and fails the test: bad bytes must give DecodeError.
    """
    try:
        result = decode()
    except DecodeError:
        return DecodeError
    if isinstance(result, FetchResult):
        return result.replace(skipped=tuple(skip.replace(reason="") for skip in result.skipped))
    return result


def assert_same(rust: Any, pure: Any) -> None:
    assert type(rust) is type(pure)
    assert rust == pure
    if isinstance(rust, Record):
        assert rust.to_dict() == pure.to_dict()


def assert_agree(function: str, *args: Any) -> Any:
    """Calls ``function`` of both backends with ``args`` and checks they agree."""
    rust = outcome(lambda: getattr(_core, function)(*args))
    pure = outcome(lambda: getattr(_pure, function)(*args))
    assert_same(rust, pure)
    return rust


# --------------------------------------------------------------------------- real captures


def test_every_capture_decodes_equally() -> None:
    for n, capture in enumerate(messages(), 1):
        rust = _core.decode_message(capture.method, capture.payload, n)
        pure = _pure.decode_message(capture.method, capture.payload, n)
        try:
            assert_same(rust, pure)
        except AssertionError as error:
            raise AssertionError(f"{capture!r}: {error}") from error


def test_the_real_push_frame_decodes_equally() -> None:
    frame = read(REPAIRED_FRAME)

    result = assert_agree("decode_frame", frame, LIMIT)

    assert len(result.events) == 1


def test_every_truncation_of_the_real_fetch_result_decodes_equally() -> None:
    """Cut short at every byte: the fetch result, its gzip stream, and its one message."""
    body = pb.PushFrame.parse(read(REPAIRED_FRAME)).payload
    packed = gzip.compress(body)
    (message,) = pb.FetchResult.parse(body).messages

    for cut in range(len(body)):
        assert_agree("decode_frame", push_frame(body[:cut]), LIMIT)
        assert_agree("decode_message", message.method, message.payload[:cut], 1)
    for cut in range(len(packed)):
        assert_agree("decode_frame", push_frame(packed[:cut], gzip_header=True), LIMIT)


# --------------------------------------------------------------------------- hand-made messages


def user(user_id: int = 7, **fields: Any) -> pb.User:
    return pb.User(id=user_id, nickname=f"user {user_id}", display_id=f"user{user_id}", **fields)


def image(*urls: str) -> pb.Image:
    return pb.Image(url_list=list(urls))


def common(msg_id: int = 0, method: str = "", **fields: Any) -> pb.Common:
    return pb.Common(msg_id=msg_id, method=method, room_id=42, create_time=1_700_000_000_000, **fields)


#: Badges of every form the ``Badge`` rules distinguish.
BADGES = [
    pb.Badge(scene_type=1, text=pb.TextBadge(key="moderator", default_pattern="Moderator")),
    pb.Badge(
        scene_type=8,
        combine=pb.CombineBadge(
            icon=image("https://grade"), text=pb.PatternRef(key="k", default_pattern="p"), str="12"
        ),
        privilege_log_extra=pb.PrivilegeLogExtra(level="12"),
    ),
    pb.Badge(scene_type=10, combine=pb.CombineBadge(text=pb.PatternRef(key="fans", default_pattern="Fans"))),
    pb.Badge(scene_type=6, image=pb.ImageBadge(image=image("https://rank", "https://rank2"))),
    pb.Badge(scene_type=6, image=pb.ImageBadge(), combine=pb.CombineBadge(icon=image("https://icon"))),
    pb.Badge(privilege_log_extra=pb.PrivilegeLogExtra(level="7a")),
    pb.Badge(privilege_log_extra=pb.PrivilegeLogExtra(level="\uff11\uff12")),  # not ASCII digits
    pb.Badge(privilege_log_extra=pb.PrivilegeLogExtra(level="123456789012345678901234567890")),
    pb.Badge(),
]

RICH_USER = user(
    9,
    sec_uid="MS4w",
    avatar_thumb=image("https://a", "https://b"),
    follow_info=pb.FollowInfo(following_count=3, follower_count=4, follow_status=2),
    badge_list=BADGES,
)

#: (method, message) pairs that exercise every rule of the contract.
SYNTHETIC: List[Tuple[str, Any]] = [
    ("WebcastChatMessage", pb.ChatMessage()),
    (
        "WebcastChatMessage",
        pb.ChatMessage(
            common=common(1),
            user=RICH_USER,
            content="hello",
            content_language="en",
            emotes=[
                pb.EmoteWithIndex(index=0, emote=pb.Emote(emote_id="e1", image=image("https://e1"))),
                pb.EmoteWithIndex(index=1),  # no emote: left out
                pb.EmoteWithIndex(emote=pb.Emote(emote_id="e2")),
            ],
        ),
    ),
    ("WebcastEmoteChatMessage", pb.EmoteChatMessage(user=user(), emote_list=[pb.Emote(emote_id="x")])),
    ("WebcastGiftMessage", pb.GiftMessage(gift_id=5655, repeat_count=3)),
    (
        "WebcastGiftMessage",
        pb.GiftMessage(
            common=common(2),
            gift_id=5655,
            repeat_count=10,
            repeat_end=1,
            group_id=99,
            user=RICH_USER,
            gift=pb.GiftStruct(
                name="Rose", describe="sent Rose", diamond_count=1, type=1, image=image("https://r")
            ),
            monitor_info=pb.GiftMonitorInfo(to_anchor_id=5, send_time=1_700_000_000_123),
        ),
    ),
    ("WebcastGiftMessage", pb.GiftMessage(repeat_end=2, repeat_count=-1)),
    (
        "WebcastLikeMessage",
        pb.LikeMessage(
            common=common(3, display_text=pb.Text(key="pm_mt_msg_viewer", default_pattern="{0:user} liked")),
            count=15,
            total=14470,
            user=user(),
        ),
    ),
    ("WebcastMemberMessage", pb.MemberMessage(common=common(4), user=user(), action=1)),
    *[
        (
            "WebcastSocialMessage",
            pb.SocialMessage(common=common(5, display_text=pb.Text(key=kind)), action=action),
        )
        for kind in ("pm_main_follow_message_viewer_2", "pm_mt_guidance_share", "other", "")
        for action in (0, 1, 3, 7)
    ],
    (
        "WebcastRoomUserSeqMessage",
        pb.RoomUserSeqMessage(
            total=120,
            total_user=5000,
            ranks=[pb.Contributor(score=10, user=user(1), rank=1), pb.Contributor(score=5, rank=2)],
        ),
    ),
    ("WebcastQuestionNewMessage", pb.QuestionNewMessage(common=common(6))),
    (
        "WebcastQuestionNewMessage",
        pb.QuestionNewMessage(details=pb.Question(question_id=8, content="why?", user=user())),
    ),
    *[("WebcastControlMessage", pb.ControlMessage(action=action, tips="tip")) for action in range(6)],
    (
        "WebcastLinkMicBattle",
        pb.LinkMicBattleMessage(
            battle_id=11,
            action=1,
            anchors=[
                pb.BattleAnchor(
                    user_id=1,
                    info=pb.BattleAnchorInfo(
                        user=pb.LinkUser(id=1, nickname="one", display_id="one", avatar=image("https://1"))
                    ),
                ),
                pb.BattleAnchor(user_id=2, info=pb.BattleAnchorInfo()),  # no user: left out
                pb.BattleAnchor(user_id=3),
            ],
        ),
    ),
    (
        "WebcastLinkMicArmies",
        pb.LinkMicArmiesMessage(
            battle_id=11,
            trigger_reason=2,
            armies=[
                pb.ArmyEntry(
                    host_user_id=1,
                    army=pb.BattleArmy(
                        host_score=30,
                        contributors=[
                            pb.ArmyContributor(user_id=4, score=20, nickname="four", avatar=image("x"))
                        ],
                    ),
                ),
                pb.ArmyEntry(host_user_id=2),  # no army: no groups
            ],
        ),
    ),
    *[
        ("WebcastInRoomBannerMessage", pb.InRoomBannerMessage(json=text))
        for text in ("", "not json", '{"a": [1, 2]}', "null", "[" * 5000, "1" * 5000)
    ],
    ("WebcastLiveIntroMessage", pb.LiveIntroMessage(room_id=42, content="intro", host=user(), language="en")),
    *[
        (method, pb.RoomMessage(common=common(7, method=own), content="notice"))
        for method in ("WebcastRoomMessage", "RoomMessage", "WebcastSystemMessage", "SystemMessage")
        for own in ("", "SystemMessage")
    ],
    ("WebcastBottomMessage", pb.BottomMessage(content="below")),
    ("WebcastEnvelopeMessage", pb.EnvelopeMessage()),
    *[
        (
            "WebcastEnvelopeMessage",
            pb.EnvelopeMessage(
                envelope_info=pb.EnvelopeInfo(
                    envelope_id="env",
                    business_type=1,
                    send_user_name="sender",
                    send_user_id=sender_id,
                    diamond_count=100,
                    people_count=10,
                    unpack_at=1_700_000_000,
                )
            ),
        )
        for sender_id in ("123", "", "12a", "-5", "\uff11\uff12", "123456789012345678901234567890")
    ],
    ("WebcastSubNotifyMessage", pb.SubNotifyMessage(user=user(), sub_month=3, subscribe_type=1)),
    (
        "WebcastRankUpdateMessage",
        pb.RankUpdateMessage(
            updates=[
                pb.RankUpdate(
                    rank_type=1, owner_rank=2, default_content=pb.Text(key="k", default_pattern="p")
                ),
                pb.RankUpdate(rank_type=3),
            ]
        ),
    ),
    ("WebcastHourlyRankMessage", pb.HourlyRankMessage()),
    (
        "WebcastHourlyRankMessage",
        pb.HourlyRankMessage(
            data=pb.HourlyRankData(type=1, rank=5, content=pb.Text(key="k", default_pattern="p"))
        ),
    ),
    (
        "WebcastGoalUpdateMessage",
        pb.GoalUpdateMessage(
            goal=pb.Goal(id=1, description="goal", sub_goals=[pb.SubGoal(type=1, progress=5, target=10)]),
            contributor_id=4,
            contributor_display_id="four",
            contributor_avatar=image("https://4"),
            contribute_count=2,
            contribute_score=3,
        ),
    ),
    ("WebcastGoalUpdateMessage", pb.GoalUpdateMessage(contributor_display_id="nobody")),
    *[
        ("WebcastPollMessage", pb.PollMessage(poll_id=1, message_type=kind, **contents))
        for kind, contents in [
            (
                0,
                {
                    "start_content": pb.PollStartContent(
                        start_time=1,
                        end_time=2,
                        title="Which?",
                        operator=user(),
                        options=[pb.PollOption(votes=1, display_content="a", option_index=0)],
                    ),
                    "end_content": pb.PollEndContent(options=[pb.PollOption(display_content="end")]),
                },
            ),
            (0, {"start_content": pb.PollStartContent(), "update_content": pb.PollUpdateContent()}),
            (1, {"end_content": pb.PollEndContent(options=[pb.PollOption(votes=3, display_content="b")])}),
            (2, {"update_content": pb.PollUpdateContent(options=[pb.PollOption(votes=4, option_index=1)])}),
            (2, {}),
        ]
    ],
    (
        "WebcastCaptionMessage",
        pb.CaptionMessage(
            timestamp_ms=5, duration_ms=6, content=[pb.CaptionContent(language="en", text="hi")]
        ),
    ),
    ("WebcastLinkMessage", pb.LinkMessage(message_type=1, linker_id=2, scene=3)),
    ("WebcastLinkLayerMessage", pb.LinkLayerMessage(message_type=1, channel_id=2, scene=3)),
    *[
        ("WebcastRoomPinMessage", pb.RoomPinMessage(common=common(8), **pin))
        for pin in [
            {
                "chat_message": pb.ChatMessage(
                    common=common(9, method="WebcastChatMessage"), content="pinned", user=user()
                )
            },
            {"chat_message": pb.ChatMessage(content="no header")},
            {
                "pinned_message": pb.PinnedMessage(
                    common=common(10, method="WebcastGiftMessage", describe="gift")
                )
            },
            {"pinned_message": pb.PinnedMessage()},
            {},
        ]
    ],
    *[
        ("WebcastBarrageMessage", pb.BarrageMessage(msg_type=1, duration=5, **barrage))
        for barrage in [
            {
                "content": pb.Text(
                    key="k",
                    default_pattern="p",
                    pieces=[
                        pb.TextPiece(type=11, user_value=pb.TextPieceUser()),  # no user: keep looking
                        pb.TextPiece(type=11, user_value=pb.TextPieceUser(user=user(1))),
                    ],
                ),
                "user_grade_param": pb.BarrageParam(user=user(2)),
            },
            {"content": pb.Text(key="k"), "user_grade_param": pb.BarrageParam(user=user(2))},
            {"user_grade_param": pb.BarrageParam(), "fans_level_param": pb.BarrageParam(user=user(3))},
            {},
        ]
    ],
    ("WebcastImDeleteMessage", pb.ImDeleteMessage(delete_msg_ids=[1, -2, 2**63 - 1], delete_user_ids=[3])),
    (
        "WebcastUnauthorizedMemberMessage",
        pb.UnauthorizedMemberMessage(
            action=1, nick_name="guest", enter_text=pb.Text(default_pattern="joined")
        ),
    ),
    ("WebcastBrandNewMessage", pb.ChatMessage(common=common(11))),
    ("WebcastBrandNewMessage", pb.ChatMessage(content="no header")),
    ("", pb.ChatMessage()),
]


@pytest.mark.parametrize(
    ("method", "message"),
    SYNTHETIC,
    ids=[f"{n}-{method or 'empty'}" for n, (method, _) in enumerate(SYNTHETIC)],
)
@pytest.mark.parametrize("msg_id", [0, 5, -1])
def test_hand_made_messages_decode_equally(method: str, message: Any, msg_id: int) -> None:
    assert_agree("decode_message", method, bytes(message), msg_id)


def test_every_method_with_an_event_type_has_hand_made_messages() -> None:
    assert set(METHOD_EVENT_TYPES) <= {method for method, _ in SYNTHETIC}


def test_digit_strings_longer_than_python_converts_give_zero_in_both() -> None:
    digits = "9" * 5000  # beyond sys.get_int_max_str_digits() (4300 by default)
    envelope = pb.EnvelopeMessage(envelope_info=pb.EnvelopeInfo(send_user_id=digits))
    badge = pb.Badge(privilege_log_extra=pb.PrivilegeLogExtra(level=digits))
    chat = pb.ChatMessage(user=pb.User(badge_list=[badge]))

    assert assert_agree("decode_message", "WebcastEnvelopeMessage", bytes(envelope), 1).sender_id == 0
    event = assert_agree("decode_message", "WebcastChatMessage", bytes(chat), 1)
    assert event.user.badges[0].level == 0


# --------------------------------------------------------------------------- batches


def envelope(method: str, payload: bytes, msg_id: int) -> pb.Message:
    return pb.Message(method=method, payload=payload, msg_id=msg_id)


#: A batch of every hand-made message plus two that do not decode (skipped, not fatal).
BATCH = [envelope(method, bytes(message), n) for n, (method, message) in enumerate(SYNTHETIC, 1)] + [
    envelope("WebcastChatMessage", b"\x0a\x10abc", 1000),
    envelope("WebcastGiftMessage", field(2, "not a varint"), 0),
]
TRANSPORT = {
    "cursor": "c1",
    "internal_ext": "ext",
    "need_ack": True,
    "fetch_interval": 1000,
    "now": 123,
    "route_params": {"a": "1", "b": "2"},
    "push_server": "wss://push/ws",
    "heartbeat_duration": 10_000,
    "is_first": True,
}


def push_frame(payload: bytes, *, gzip_header: bool = False, **fields: Any) -> bytes:
    headers = [pb.PushHeader(key="compress_type", value="gzip")] if gzip_header else []
    return bytes(pb.PushFrame(headers=headers, payload=payload, **{"payload_type": "msg", **fields}))


@pytest.mark.parametrize("transport", [{}, TRANSPORT], ids=["bare", "transport"])
def test_fetch_results_decode_equally(transport: dict) -> None:
    body = bytes(pb.FetchResult(messages=BATCH, **transport))

    plain = assert_agree("decode_fetch_result", body, LIMIT)
    packed = assert_agree("decode_fetch_result", gzip.compress(body), LIMIT)

    assert plain == packed
    assert len(plain.skipped) == 2
    assert len(plain.events) == len(SYNTHETIC)


@pytest.mark.parametrize(
    "frame",
    [
        push_frame(bytes(pb.FetchResult(messages=BATCH, **TRANSPORT)), log_id=5, seq_id=6),
        push_frame(gzip.compress(bytes(pb.FetchResult(messages=BATCH))), gzip_header=True, log_id=5),
        push_frame(gzip.compress(bytes(pb.FetchResult(messages=BATCH))), log_id=5),  # gzip by magic
        push_frame(b"\x08\x01", payload_type="hb", log_id=3, seq_id=4),
        push_frame(b"\xff\xff", payload_type="im_enter_room_resp"),  # not "msg": payload unread
        push_frame(b""),
        b"",
    ],
    ids=["plain", "gzip-header", "gzip-magic", "heartbeat", "enter-room", "empty-msg", "empty"],
)
def test_frames_decode_equally(frame: bytes) -> None:
    assert_agree("decode_frame", frame, LIMIT)
    assert _core.count_frame_messages(frame, LIMIT) == _pure.count_frame_messages(frame, LIMIT)


def test_the_inflated_size_limit_is_the_same() -> None:
    body = bytes(pb.FetchResult(cursor="x" * 10_000))
    frame = push_frame(gzip.compress(body), gzip_header=True)

    for limit in (0, 100, len(body) - 1, len(body), len(body) + 1):
        assert_agree("decode_frame", frame, limit)
        assert_agree("decode_fetch_result", gzip.compress(body), limit)


# --------------------------------------------------------------------------- malformed input

GZIP_BODY = gzip.compress(bytes(pb.FetchResult(cursor="c" * 100)))

#: Bytes that are not protobuf at all, whatever the message type.
WIRE_ERRORS = {
    "truncated-field": b"\x12\x10abc",
    "truncated-varint": key(3, 0) + b"\xff\xff",
    "varint-of-11-bytes": key(3, 0) + b"\xff" * 10 + b"\x00",
    "varint-beyond-64-bits": key(3, 0) + b"\xff" * 9 + b"\x02",
    "key-beyond-32-bits": varint(1 << 35),
    "field-number-0": b"\x00\x01",
    "wire-type-6": key(20, 6),
    "wire-type-7": key(20, 7),
    "stray-end-group": key(20, 4),
    "unclosed-group": key(20, 3) + field(1, 5),
    "mismatched-end-group": key(20, 3) + key(21, 4),
    "groups-nested-too-deep": key(20, 3) * 101 + key(20, 4) * 101,  # the limit is 100
    "length-beyond-buffer": key(20, LEN) + varint(1 << 40),
    "nested-field-beyond-its-message": field(1, key(1, LEN) + varint(5) + b"ab") + b"xyz",
}
#: Protobuf that does not fit the ``FetchResult`` schema.
FETCH_RESULT_ERRORS = {
    "string-as-varint": field(2, 5),
    "number-as-bytes": field(3, b"ab"),
    "message-as-varint": field(1, 5),
    # Field 10 (push_server): the cursor (field 2) is decoded lossily instead.
    "invalid-utf8": field(10, b"\xff"),
    "utf8-surrogate": field(10, b"\xed\xa0\x80"),
    "map-entry-with-wrong-types": field(7, field(1, 5)),
    "bad-message-envelope": field(1, field(3, b"ab")),
}
GZIP_ERRORS = {
    "gzip-truncated": GZIP_BODY[:-12],
    "gzip-bad-checksum": GZIP_BODY[:-8] + bytes(4) + GZIP_BODY[-4:],
    "gzip-magic-only": b"\x1f\x8b",
    "gzip-bad-deflate": b"\x1f\x8b\x08\x00" + bytes(6) + b"\xff" * 20,
}
BAD_BODIES = {**WIRE_ERRORS, **FETCH_RESULT_ERRORS, **GZIP_ERRORS}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_malformed_fetch_results_are_decode_errors_in_both(body: bytes) -> None:
    assert assert_agree("decode_fetch_result", body, LIMIT) is DecodeError
    assert assert_agree("decode_frame", push_frame(body), LIMIT) is DecodeError


@pytest.mark.parametrize("data", WIRE_ERRORS.values(), ids=WIRE_ERRORS.keys())
def test_malformed_frames_are_decode_errors_in_both(data: bytes) -> None:
    assert assert_agree("decode_frame", data, LIMIT) is DecodeError
    assert assert_agree("decode_frame", push_frame(b"") + data, LIMIT) is DecodeError


@pytest.mark.parametrize("payload", WIRE_ERRORS.values(), ids=WIRE_ERRORS.keys())
def test_malformed_messages_are_decode_errors_or_skips_in_both(payload: bytes) -> None:
    assert assert_agree("decode_message", "WebcastChatMessage", payload, 1) is DecodeError
    batch = bytes(pb.FetchResult(messages=[envelope("WebcastChatMessage", payload, 1)]))
    assert len(assert_agree("decode_fetch_result", batch, LIMIT).skipped) == 1
    # Unknown methods never fail: the header is simply left at its defaults.
    assert assert_agree("decode_message", "WebcastBrandNewMessage", payload, 1).room_id == 0


def test_odd_but_valid_values_decode_equally() -> None:
    cases = [
        field(3, 1 << 40),  # int64 fetch_interval
        field(3, -5),  # negative, as ten bytes
        key(3, 0) + b"\xff" * 9 + b"\x01",  # the largest varint
        field(9, 1 << 40),  # a bool that is not 0 or 1
        field(7, field(3, "z") + field(1, "k") + field(2, "v") + field(1, "k2")),  # map entry odds
        field(7, field(1, "k") + field(2, "v")) + field(7, field(1, "k") + field(2, "w")),  # last wins
        field(7, b""),  # an empty entry: "" -> ""
        key(20, 3) * 100 + key(20, 4) * 100,  # groups nested as deep as allowed
    ]
    for body in cases:
        assert isinstance(assert_agree("decode_fetch_result", body, LIMIT), FetchResult)
    int32_payload = field(2, (1 << 33) + 5) + field(3, -7) + field(4, 1 << 31)
    assert assert_agree("decode_message", "WebcastLinkMessage", int32_payload, 1).message_type == 5


# --------------------------------------------------------------------------- any bytes


FUZZ_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = st.sampled_from([method for method, _ in SYNTHETIC])


@FUZZ_SETTINGS
@given(data=st.binary(max_size=512))
@example(data=b"")
def test_any_bytes_decode_equally_as_frames_and_fetch_results(data: bytes) -> None:
    assert_agree("decode_frame", data, LIMIT)
    assert_agree("decode_fetch_result", data, LIMIT)
    assert_agree("decode_frame", push_frame(data), LIMIT)


@FUZZ_SETTINGS
@given(method=METHODS, data=st.binary(max_size=512))
def test_any_bytes_decode_equally_as_messages(method: str, data: bytes) -> None:
    assert_agree("decode_message", method, data, 1)


@FUZZ_SETTINGS
@given(index=st.integers(min_value=0), position=st.integers(min_value=0), byte=st.integers(0, 255))
def test_mutated_captures_decode_equally(index: int, position: int, byte: int) -> None:
    captured = messages()
    capture = captured[index % len(captured)]
    payload = bytearray(capture.payload)
    payload[position % len(payload)] = byte

    assert_agree("decode_message", capture.method, bytes(payload), 1)


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("function", "args", "error"),
    [
        ("decode_frame", ("not bytes", LIMIT), TypeError),
        ("decode_frame", (bytearray(b""), LIMIT), TypeError),
        ("decode_frame", (b"", -1), OverflowError),
        ("decode_frame", (b"", 1.5), TypeError),
        ("decode_fetch_result", (b"", -1), OverflowError),
        ("count_frame_messages", (None, LIMIT), TypeError),
        ("decode_message", ("WebcastChatMessage", b"", 2**63), OverflowError),
        ("decode_message", ("WebcastChatMessage", b"", -(2**63) - 1), OverflowError),
        ("decode_message", ("WebcastChatMessage", "not bytes", 0), TypeError),
        ("decode_message", (5, b"", 0), TypeError),
    ],
)
def test_bad_arguments_raise_the_same_python_errors(
    function: str, args: Tuple[Any, ...], error: type
) -> None:
    with pytest.raises(error):
        getattr(_core, function)(*args)
    with pytest.raises(error):
        getattr(_pure, function)(*args)
