"""The Rust core (``pytiktoklive._core``) itself: what it builds, what it raises, how it behaves.

The decoding contract is tested against the pure-Python decoder elsewhere (the
differential test); these tests cover what is specific to the native module: it is the
backend in use, its stub matches it, its errors are typed, it releases the GIL while it
decodes, and the objects it allocates behave exactly like Python-made ones.
"""

from __future__ import annotations

import base64
import gc
import gzip
import json
import pickle
import subprocess
import sys
import threading
import typing
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

_core = pytest.importorskip("pytiktoklive._core", reason="the Rust core is not built")

from captures import CORRUPTED_FRAME, JW, REPAIRED_FRAME  # noqa: E402
from pytiktoklive import decoding  # noqa: E402
from pytiktoklive._proto import webcast as pb  # noqa: E402
from pytiktoklive._records import Record  # noqa: E402
from pytiktoklive.decoding import DEFAULT_MAX_INFLATED_SIZE, FetchResult  # noqa: E402
from pytiktoklive.errors import DecodeError  # noqa: E402
from pytiktoklive.events import (  # noqa: E402
    ChatEvent,
    EnvelopeEvent,
    Event,
    LikeEvent,
    RoomBannerEvent,
    SkippedMessage,
    UnknownEvent,
    User,
    UserEvent,
)

REPO = Path(__file__).resolve().parents[1]
LIMIT = DEFAULT_MAX_INFLATED_SIZE


# --------------------------------------------------------------------------- wire builders


def chat_message(msg_id: int, text: str = "hello") -> pb.Message:
    payload = pb.ChatMessage(
        common=pb.Common(
            method="WebcastChatMessage", msg_id=msg_id, room_id=42, create_time=1_700_000_000_000
        ),
        user=pb.User(id=7, nickname="Seven", display_id="seven"),
        content=text,
    )
    return pb.Message(method="WebcastChatMessage", payload=bytes(payload), msg_id=msg_id)


def fetch_result(messages: List[pb.Message], **fields: Any) -> bytes:
    return bytes(pb.FetchResult(messages=messages, **fields))


def push_frame(
    payload: bytes, *, gzip_header: bool = False, payload_type: str = "msg", **fields: Any
) -> bytes:
    headers = [pb.PushHeader(key="compress_type", value="gzip")] if gzip_header else []
    return bytes(pb.PushFrame(payload_type=payload_type, headers=headers, payload=payload, **fields))


def read_capture(path: Path) -> bytes:
    if not path.is_file():
        pytest.skip(f"no capture at {path}")
    return path.read_bytes()


def collector_messages() -> Iterator[Tuple[str, bytes]]:
    """Every ``(method, payload)`` of the real event-collector dumps."""
    files = sorted(JW.glob("**/Tools-EventsCollector/src/main/resources/*.json"))
    if not files:
        pytest.skip(f"no collector captures under {JW}")
    for file in files:
        for method, records in json.loads(file.read_text(encoding="utf-8")).items():
            for record in records:
                yield method, base64.b64decode(record["eventData"])


# --------------------------------------------------------------------------- the module


def test_the_rust_core_is_the_decoding_backend() -> None:
    if decoding._pure_requested():
        pytest.skip("PYTIKTOKLIVE_PURE is set")
    assert decoding.backend() == "rust"


def test_the_stub_matches_the_native_module() -> None:
    pytest.importorskip("mypy.stubtest", reason="mypy is not installed")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "pytiktoklive._core"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_module_has_a_version() -> None:
    assert isinstance(_core.__version__, str)
    assert _core.__version__


# --------------------------------------------------------------------------- real frames


def test_the_real_push_frame_decodes_to_its_like_event() -> None:
    result = _core.decode_frame(read_capture(REPAIRED_FRAME), LIMIT)

    assert isinstance(result, FetchResult)
    assert (result.payload_type, result.log_id, result.seq_id) == ("msg", 5092463814493970448, 9)
    assert result.cursor == "1692120689751_7267603020139989890_1_1_0_0"
    assert (result.fetch_interval, result.now, result.heartbeat_duration) == (4200, 1692120689751, 15)
    assert (result.need_ack, result.internal_ext, result.skipped) == (True, "-", ())
    (like,) = result.events
    assert isinstance(like, LikeEvent)
    assert (like.method, like.msg_id) == ("WebcastLikeMessage", 7267603013186423585)
    assert (like.likes, like.total_likes) == (15, 14470)
    assert isinstance(like.user, User)
    assert (like.user.nickname, like.user.username) == ("hulajnoga czek", "hulajnoga.czek5")


def test_the_corrupted_original_frame_raises_decode_error() -> None:
    with pytest.raises(DecodeError, match="PushFrame"):
        _core.decode_frame(read_capture(CORRUPTED_FRAME), LIMIT)


def test_a_fetch_result_body_decodes_like_the_frame_that_carries_it() -> None:
    frame = read_capture(REPAIRED_FRAME)
    from_frame = _core.decode_frame(frame, LIMIT)
    body = pb.PushFrame.parse(frame).payload

    from_body = _core.decode_fetch_result(body, LIMIT)

    assert from_body == from_frame.replace(log_id=0, seq_id=0)
    assert _core.decode_fetch_result(gzip.compress(body), LIMIT) == from_body


def test_every_real_message_builds_objects_that_behave_like_python_made_ones() -> None:
    for index, (method, payload) in enumerate(collector_messages()):
        event = _core.decode_message(method, payload, index + 1)
        assert isinstance(event, Event)
        assert event.method == method
        assert_conforms(event)
        assert type(event)(**{name: getattr(event, name) for name in event._fields}) == event
        assert pickle.loads(pickle.dumps(event)) == event
        json.dumps(event.to_dict())
        hash(event)
        repr(event)


# --------------------------------------------------------------------------- the batch


def test_gzip_frames_decode_like_plain_ones() -> None:
    body = fetch_result([chat_message(1), chat_message(2)], cursor="c1", need_ack=True)
    plain = _core.decode_frame(push_frame(body, log_id=5), LIMIT)

    by_header = _core.decode_frame(push_frame(gzip.compress(body), gzip_header=True, log_id=5), LIMIT)
    by_magic = _core.decode_frame(push_frame(gzip.compress(body), log_id=5), LIMIT)

    assert [event.msg_id for event in plain.events] == [1, 2]
    assert by_header == plain
    assert by_magic == plain


def test_transport_state_is_copied_from_the_fetch_result() -> None:
    body = fetch_result(
        [],
        cursor="cursor",
        internal_ext="ext",
        need_ack=True,
        fetch_interval=1000,
        now=123,
        route_params={"b": "2", "a": "1"},
        push_server="wss://push.example/ws",
        heartbeat_duration=10_000,
        is_first=True,
    )

    result = _core.decode_fetch_result(body, LIMIT)

    assert result == FetchResult(
        payload_type="msg",
        cursor="cursor",
        internal_ext="ext",
        need_ack=True,
        fetch_interval=1000,
        now=123,
        route_params={"a": "1", "b": "2"},
        push_server="wss://push.example/ws",
        heartbeat_duration=10_000,
        is_first=True,
    )
    assert type(result.route_params) is dict
    assert type(result.events) is tuple


def test_frames_other_than_msg_carry_only_their_header() -> None:
    result = _core.decode_frame(push_frame(b"\x08\x01", payload_type="hb", log_id=3, seq_id=4), LIMIT)

    assert result == FetchResult(payload_type="hb", log_id=3, seq_id=4, route_params={})


def test_a_message_that_does_not_decode_is_skipped_and_the_rest_delivered() -> None:
    broken = pb.Message(method="WebcastChatMessage", payload=b"\x0a\x10abc", msg_id=99)
    body = fetch_result([chat_message(1), broken, chat_message(2)])

    result = _core.decode_fetch_result(body, LIMIT)

    assert [event.msg_id for event in result.events] == [1, 2]
    (skipped,) = result.skipped
    assert isinstance(skipped, SkippedMessage)
    assert (skipped.method, skipped.msg_id, skipped.payload) == ("WebcastChatMessage", 99, b"\x0a\x10abc")
    assert isinstance(skipped.reason, str)
    assert skipped.reason


def test_count_frame_messages_counts_what_decode_frame_delivers() -> None:
    frame = push_frame(fetch_result([chat_message(n) for n in range(1, 6)]))

    assert _core.count_frame_messages(frame, LIMIT) == len(_core.decode_frame(frame, LIMIT).events) == 5


# --------------------------------------------------------------------------- single messages


def test_unknown_methods_give_an_unknown_event_with_the_callers_payload() -> None:
    # Any message whose field 1 is the common header; this one has no msg_id of its own.
    payload = bytes(pb.ChatMessage(common=pb.Common(room_id=42, create_time=5)))

    event = _core.decode_message("WebcastBrandNewMessage", payload, 17)

    assert event == UnknownEvent(
        method="WebcastBrandNewMessage", msg_id=17, room_id=42, create_time=5, payload=payload
    )
    assert event.payload is payload


def test_user_event_kind_is_a_plain_string() -> None:
    payload = bytes(pb.MemberMessage(common=pb.Common(msg_id=1)))

    event = _core.decode_message("WebcastMemberMessage", payload, 0)

    assert isinstance(event, UserEvent)
    assert type(event.event) is str
    assert event.event == "join"


def test_digit_strings_beyond_64_bits_become_python_ints() -> None:
    digits = "123456789012345678901234567890"
    payload = bytes(pb.EnvelopeMessage(envelope_info=pb.EnvelopeInfo(send_user_id=digits)))

    event = _core.decode_message("WebcastEnvelopeMessage", payload, 1)

    assert isinstance(event, EnvelopeEvent)
    assert event.sender_id == int(digits)


@pytest.mark.parametrize(
    ("text", "data"),
    [("", None), ("not json", None), ("[" * 100_000, None), ('{"a": [1, 2]}', {"a": [1, 2]})],
    ids=["empty", "invalid", "too-deep", "object"],
)
def test_banner_json_is_parsed_or_none(text: str, data: Any) -> None:
    payload = bytes(pb.InRoomBannerMessage(json=text))

    event = _core.decode_message("WebcastInRoomBannerMessage", payload, 1)

    assert isinstance(event, RoomBannerEvent)
    assert (event.json, event.data) == (text, data)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b"\x42\x10abc", "malformed PushFrame"),
        (push_frame(b"\x0a\xff"), "malformed FetchResult"),
        (push_frame(gzip.compress(b"x" * 1000)[:-12], gzip_header=True), "truncated"),
        (push_frame(b"\x1f\x8bnot gzip at all", gzip_header=True), "corrupt"),
        (push_frame(b"plain bytes", gzip_header=True), "gzip"),
    ],
    ids=["frame", "fetch-result", "truncated-gzip", "corrupt-gzip", "not-gzip"],
)
def test_bad_frames_raise_decode_error(frame: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message) as caught:
        _core.decode_frame(frame, LIMIT)
    assert isinstance(caught.value, ValueError)


def test_payloads_may_inflate_up_to_the_limit_and_no_further() -> None:
    body = fetch_result([chat_message(1)], cursor="x" * 10_000)
    frame = push_frame(gzip.compress(body), gzip_header=True)

    assert _core.decode_frame(frame, len(body)).cursor == "x" * 10_000
    with pytest.raises(DecodeError, match=f"beyond {len(body) - 1} bytes"):
        _core.decode_frame(frame, len(body) - 1)
    with pytest.raises(DecodeError, match="beyond"):
        _core.decode_fetch_result(gzip.compress(body), 100)


def test_a_malformed_single_message_raises_decode_error() -> None:
    with pytest.raises(DecodeError, match="WebcastGiftMessage"):
        _core.decode_message("WebcastGiftMessage", b"\x0a\x10abc", 1)


def test_bad_arguments_raise_ordinary_python_errors() -> None:
    with pytest.raises(TypeError):
        _core.decode_frame("not bytes", LIMIT)
    with pytest.raises(OverflowError):
        _core.decode_frame(b"", -1)
    with pytest.raises(OverflowError):
        _core.decode_message("WebcastChatMessage", b"", 2**63)


# --------------------------------------------------------------------------- threads


def big_frame(messages: int) -> bytes:
    return push_frame(
        gzip.compress(fetch_result([chat_message(n, "x" * 200) for n in range(1, messages + 1)]))
    )


def test_decoding_releases_the_gil() -> None:
    """Another thread runs while a frame decodes.

    With a switch interval far longer than the test, the interpreter never takes the
    GIL away from this thread, and nothing in the loop blocks: the other thread can only
    run when a decode lets go of the GIL. (Held for the whole loop, it would run only at
    ``join``, after the check.)
    """
    frame = big_frame(2000)
    go, ran = threading.Event(), threading.Event()

    def other_thread() -> None:
        go.wait()
        ran.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    previous = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        go.set()  # `other_thread` can now run, once it gets the GIL
        for _ in range(200):
            _core.count_frame_messages(frame, LIMIT)
            if ran.is_set():
                break
        ran_while_decoding = ran.is_set()
    finally:
        sys.setswitchinterval(previous)
        go.set()
        thread.join()
    assert ran_while_decoding


def test_concurrent_decodes_agree() -> None:
    frame = big_frame(300)
    expected = _core.decode_frame(frame, LIMIT)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: _core.decode_frame(frame, LIMIT), range(16)))

    assert all(result == expected for result in results)


# --------------------------------------------------------------------------- immutability


def test_built_objects_are_immutable() -> None:
    event = _core.decode_message("WebcastChatMessage", chat_message(1).payload, 1)

    assert isinstance(event, ChatEvent)
    with pytest.raises(AttributeError):
        event.comment = "changed"
    with pytest.raises(AttributeError):
        del event.comment


# --------------------------------------------------------------------------- garbage collection
#
# Records and tuples are immutable and built only from atoms and other records and tuples, so
# they cannot be on a reference cycle: the core takes them off the cyclic collector's list
# (rust/py/classes.rs, `untrack_if_acyclic`) and reference counting alone frees them. A client
# holding thousands of buffered events then costs the collector nothing at full collections.


def reachable(record: Any) -> Iterator[Any]:
    """``record`` and every record and tuple under it."""
    yield record
    values = record if isinstance(record, tuple) else [getattr(record, name) for name in record._fields]
    for value in values:
        if isinstance(value, (Record, tuple)):
            yield from reachable(value)


def test_decoded_events_and_everything_in_them_are_not_tracked_by_the_cyclic_collector() -> None:
    events = checked = 0
    for index, (method, payload) in enumerate(collector_messages()):
        event = _core.decode_message(method, payload, index + 1)
        if isinstance(event, RoomBannerEvent) and event.data is not None:
            continue  # holds a mutable container: see the next test
        events += 1
        for value in reachable(event):
            assert not gc.is_tracked(value), f"{method}: {type(value).__name__} is tracked"
            checked += 1
    # Users, gifts, images... were looked at too, not only the events themselves: over twice as
    # many records and tuples as events, with the shipped sample (~2.7x) or the full set (~5x).
    assert checked > 2 * events

    batch = _core.decode_fetch_result(fetch_result([chat_message(1), chat_message(2)]), LIMIT)
    assert isinstance(batch.events[0], ChatEvent)
    assert batch.events[0].user is not None
    assert not any(gc.is_tracked(value) for value in reachable(batch.events))


def test_records_holding_a_mutable_container_stay_tracked() -> None:
    banner = _core.decode_message(
        "WebcastInRoomBannerMessage", bytes(pb.InRoomBannerMessage(json='{"a": 1}')), 1
    )
    empty_banner = _core.decode_message("WebcastInRoomBannerMessage", bytes(pb.InRoomBannerMessage()), 1)
    batch = _core.decode_fetch_result(fetch_result([chat_message(1)]), LIMIT)

    # A dict holding only atoms is untracked by CPython itself, yet it could be filled later.
    assert isinstance(banner, RoomBannerEvent)
    assert gc.is_tracked(banner)
    assert not gc.is_tracked(empty_banner)
    assert isinstance(batch.route_params, dict)
    assert gc.is_tracked(batch)
    assert not gc.is_tracked(batch.events)


class Marker:
    """A tracked object whose death a weak reference can see (records have no ``__weakref__``)."""


def test_a_cycle_through_a_mutable_container_holding_events_is_still_collected() -> None:
    gc.collect()
    batch = _core.decode_fetch_result(fetch_result([chat_message(1), chat_message(2)]), LIMIT)
    marker = Marker()
    dead = weakref.ref(marker)
    holder = {"events": list(batch.events), "marker": marker}
    holder["self"] = holder  # a cycle that only the collector can free

    del batch, marker, holder
    assert dead() is not None
    gc.collect()

    assert dead() is None


def test_a_cycle_through_a_decoded_banner_dict_is_still_collected() -> None:
    gc.collect()
    banner = _core.decode_message(
        "WebcastInRoomBannerMessage", bytes(pb.InRoomBannerMessage(json='{"a": 1}')), 1
    )
    assert isinstance(banner, RoomBannerEvent)
    marker = Marker()
    dead = weakref.ref(marker)
    banner.data["event"] = banner  # the event's own dict now leads back to the event
    banner.data["marker"] = marker

    del banner, marker
    assert dead() is not None
    gc.collect()

    assert dead() is None


def test_untracked_events_pickle_compare_and_replace_as_before() -> None:
    event = _core.decode_fetch_result(fetch_result([chat_message(1, "hi")]), LIMIT).events[0]
    assert isinstance(event, ChatEvent)
    assert not gc.is_tracked(event)

    copy = pickle.loads(pickle.dumps(event))
    changed = event.replace(comment="changed")

    assert copy == event
    assert hash(copy) == hash(event)
    assert isinstance(changed, ChatEvent)
    assert (changed.comment, changed.user) == ("changed", event.user)
    assert changed != event
    assert event.comment == "hi"


# --------------------------------------------------------------------------- shared strings


def badged_chat(msg_id: int, nickname: str) -> pb.Message:
    badge = pb.Badge(
        scene_type=8,
        text=pb.TextBadge(key="user_grade", default_pattern="Level 12"),
        image=pb.ImageBadge(image=pb.Image(url_list=["https://example.com/grade_12.png"])),
    )
    payload = pb.ChatMessage(
        common=pb.Common(msg_id=msg_id, display_text=pb.Text(key="pm_mt_chat", default_pattern="{0:user}")),
        user=pb.User(id=msg_id, nickname=nickname, badge_list=[badge]),
        content=f"message {msg_id}",
        content_language="en",
    )
    return pb.Message(method="WebcastChatMessage", payload=bytes(payload), msg_id=msg_id)


def test_texts_of_small_vocabularies_are_one_string_shared_by_every_event() -> None:
    # Badge names and images, labels, languages repeat in thousands of buffered events.
    first = _core.decode_frame(push_frame(fetch_result([badged_chat(1, "ann")])), LIMIT).events[0]
    second = _core.decode_frame(push_frame(fetch_result([badged_chat(2, "bob")])), LIMIT).events[0]
    assert isinstance(first, ChatEvent)
    assert isinstance(second, ChatEvent)
    assert first.user is not None
    assert second.user is not None

    (badge_a,), (badge_b,) = first.user.badges, second.user.badges
    assert (badge_b.type, badge_b.name, badge_b.image_url) == (
        "user_grade",
        "Level 12",
        "https://example.com/grade_12.png",
    )
    assert badge_a.name is badge_b.name
    assert badge_a.image_url is badge_b.image_url
    assert first.language is second.language
    # Text of the user's own is not shared: it is the user's.
    assert (first.user.nickname, second.user.nickname) == ("ann", "bob")


def test_an_equal_user_in_one_frame_is_one_object() -> None:
    # A gift streak, a like after a chat: the same user, one object per frame.
    renamed = badged_chat(3, "ann")
    payload = pb.ChatMessage.parse(renamed.payload)
    payload.user.id = 1
    payload.user.nickname = "ann (renamed)"
    renamed.payload = bytes(payload)

    events = _core.decode_fetch_result(
        fetch_result([badged_chat(1, "ann"), badged_chat(1, "ann"), renamed]), LIMIT
    ).events

    first, second, third = (event.user for event in events if isinstance(event, ChatEvent))
    assert first is second
    assert third is not None
    assert third.id == 1
    assert third.nickname == "ann (renamed)"
    assert third is not first


def test_the_room_id_and_a_repeated_timestamp_are_one_int_per_frame() -> None:
    # Every event of a frame has the room's id, and neighbours often share a timestamp: big
    # ints are allocations of their own, so equal neighbours share one.
    room = 7_300_000_000_000_000_001

    def chat(msg_id: int, create_time: int) -> pb.Message:
        common = pb.Common(msg_id=msg_id, room_id=room, create_time=create_time)
        payload = pb.ChatMessage(common=common, content=f"message {msg_id}")
        return pb.Message(method="WebcastChatMessage", payload=bytes(payload), msg_id=msg_id)

    at, later = 1_700_000_000_001, 1_700_000_000_002
    events = _core.decode_frame(
        push_frame(fetch_result([chat(1, at), chat(2, at), chat(3, later)])), LIMIT
    ).events
    assert [(e.room_id, e.create_time) for e in events] == [(room, at), (room, at), (room, later)]
    assert events[0].room_id is events[1].room_id is events[2].room_id
    assert events[0].create_time is events[1].create_time
    assert events[2].create_time is not events[1].create_time


def test_the_shared_strings_are_bounded() -> None:
    # Far more distinct labels than the table keeps: each still decodes to its own text.
    labels = [f"label {n}" for n in range(5_000)]
    messages = [
        pb.Message(
            method="WebcastLikeMessage",
            payload=bytes(
                pb.LikeMessage(common=pb.Common(msg_id=n + 1, display_text=pb.Text(default_pattern=label)))
            ),
            msg_id=n + 1,
        )
        for n, label in enumerate(labels)
    ]

    events = _core.decode_fetch_result(fetch_result(messages), LIMIT).events

    assert [event.label for event in events if isinstance(event, LikeEvent)] == labels


# --------------------------------------------------------------------------- helpers


def assert_conforms(record: Record) -> None:
    """Every field of ``record`` (recursively) has the type its annotation names."""
    hints = {}
    for cls in reversed(type(record).__mro__):
        if issubclass(cls, Record) and cls is not Record:
            hints.update(typing.get_type_hints(cls))
    for name in record._fields:
        value = getattr(record, name)
        assert conforms(value, hints[name]), f"{type(record).__name__}.{name} = {value!r}"


def conforms(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin is typing.Union:  # Optional[X]
        return any(conforms(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if origin is tuple:
        return type(value) is tuple and all(conforms(item, args[0]) for item in value)
    if origin is dict:
        return type(value) is dict and all(type(k) is str and type(v) is str for k, v in value.items())
    if isinstance(hint, type) and issubclass(hint, Record):
        if not isinstance(value, hint):
            return False
        assert_conforms(value)
        return True
    return type(value) is hint  # exact: no enum members, no bool for int
