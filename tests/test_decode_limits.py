"""Decode limits (issue #10 items 2 and 8): bombs are refused, bad UTF-8 costs at most one message.

Both decoders count the same objects and stop at the same byte, so every case here runs
through both and must agree (``tests/test_differential.py`` holds them together on the rest).
The bombs themselves (millions of entries in a few kilobytes of gzip) are decoded in a child
process with an address-space limit: a decoder that builds them fails the test with a
``MemoryError`` or a crash of the child, not by taking the machine's memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from types import ModuleType
from typing import Any, Callable, List

import pytest
from pytiktoklive.decoding import (
    DEFAULT_MAX_INFLATED_SIZE,
    DEFAULT_MAX_MESSAGES,
    DEFAULT_MAX_OBJECTS,
    DEFAULT_MAX_REPEATED,
    FetchResult,
    decode_fetch_result,
)
from pytiktoklive.errors import DecodeError
from pytiktoklive.events import ChatEvent, UnknownEvent
from wire import field

bombs = pytest.importorskip("pytiktoklive.simulator.bombs", reason="the simulator needs betterproto2")

LIMIT = DEFAULT_MAX_INFLATED_SIZE


def _backends() -> List[Any]:
    found = []
    for name in ("pytiktoklive._core", "pytiktoklive._pure"):
        found.append(pytest.param(name, id=name.rsplit(".", 1)[1].lstrip("_")))
    return found


def _module(name: str) -> ModuleType:
    return pytest.importorskip(name)


def _both(call: Callable[[ModuleType], Any]) -> Any:
    """``call`` with each decoder; both must give the same result, or both DecodeError."""
    outcomes = []
    for name in ("pytiktoklive._core", "pytiktoklive._pure"):
        module = _module(name)
        try:
            result = call(module)
        except DecodeError as error:
            outcomes.append(("error", str(error)))
        else:
            if isinstance(result, FetchResult):
                result = result.replace(skipped=tuple(skip.replace(reason="") for skip in result.skipped))
            outcomes.append(("ok", result))
    assert outcomes[0] == outcomes[1]
    return outcomes[0]


def _empty_messages(count: int) -> bytes:
    return b"".join(bombs.empty_messages(count))


# --------------------------------------------------------------------------- the limits, exactly


def test_the_defaults_are_the_same_in_both_decoders_and_the_docs() -> None:
    pure = _module("pytiktoklive._pure")
    assert (pure._DEFAULT_MAX_MESSAGES, pure._DEFAULT_MAX_REPEATED, pure._DEFAULT_MAX_OBJECTS) == (
        DEFAULT_MAX_MESSAGES,
        DEFAULT_MAX_REPEATED,
        DEFAULT_MAX_OBJECTS,
    )
    core = _module("pytiktoklive._core")
    at_limit = _empty_messages(DEFAULT_MAX_MESSAGES)
    assert len(core.decode_fetch_result(at_limit, LIMIT).events) == DEFAULT_MAX_MESSAGES
    with pytest.raises(DecodeError, match=f"more than {DEFAULT_MAX_MESSAGES} messages in one batch"):
        core.decode_fetch_result(at_limit + field(1, b""), LIMIT)


@pytest.mark.parametrize("count", [0, 1, 4, 5, 6])
def test_messages_per_batch(count: int) -> None:
    body = _empty_messages(count)
    outcome = _both(lambda m: m.decode_fetch_result(body, LIMIT, 5, 100, 100))
    if count <= 5:
        assert outcome[0] == "ok" and len(outcome[1].events) == count
        assert all(isinstance(event, UnknownEvent) for event in outcome[1].events)
    else:
        assert outcome == ("error", "decode limit exceeded: more than 5 messages in one batch")


@pytest.mark.parametrize("count", [2, 3, 4])
def test_repeated_entries_per_record(count: int) -> None:
    body = bombs.fetch_result("WebcastChatMessage", bombs.chat_with_badges(count))
    outcome = _both(lambda m: m.decode_fetch_result(body, LIMIT, 100, 3, 100))
    if count <= 3:
        assert outcome[0] == "ok"
        (event,) = outcome[1].events
        assert isinstance(event, ChatEvent) and event.user is not None and len(event.user.badges) == count
    else:
        assert outcome == ("error", "decode limit exceeded: more than 3 entries in one repeated field")


def test_repeated_entries_count_per_record_not_per_frame() -> None:
    chat = bombs.fetch_result("WebcastChatMessage", bombs.chat_with_badges(3))
    outcome = _both(lambda m: m.decode_fetch_result(chat * 4, LIMIT, 100, 3, 100))
    assert outcome[0] == "ok" and len(outcome[1].events) == 4


def test_packed_numbers_are_entries_too() -> None:
    ids = b"".join(bytes([n]) for n in range(1, 5))  # 4 packed varints
    payload = field(2, ids)  # ImDeleteMessage.delete_msg_ids
    body = bombs.fetch_result("WebcastImDeleteMessage", payload)
    assert _both(lambda m: m.decode_fetch_result(body, LIMIT, 100, 4, 100))[0] == "ok"
    assert _both(lambda m: m.decode_fetch_result(body, LIMIT, 100, 3, 100)) == (
        "error",
        "decode limit exceeded: more than 3 entries in one repeated field",
    )


@pytest.mark.parametrize("max_objects", range(12))
def test_objects_per_frame_are_counted_the_same_way(max_objects: int) -> None:
    """Two chats of one user with two badges: envelope + chat user + 2 badges = 4 objects each
    (the payload root is not a field, so not counted); the two decoders agree at every limit."""
    body = bombs.fetch_result("WebcastChatMessage", bombs.chat_with_badges(2)) * 2
    outcome = _both(lambda m: m.decode_fetch_result(body, LIMIT, 100, 100, max_objects))
    if max_objects >= 8:
        assert outcome[0] == "ok"
    else:
        assert outcome == ("error", f"decode limit exceeded: more than {max_objects} objects in one frame")


def test_frame_headers_are_bounded() -> None:
    headers = field(5, field(1, "k") + field(2, "v")) * 4
    frame = headers + field(7, "hb")
    assert _both(lambda m: m.decode_frame(frame, LIMIT, 100, 4, 100))[0] == "ok"
    assert _both(lambda m: m.decode_frame(frame, LIMIT, 100, 3, 100))[0] == "error"


def test_a_malformed_message_after_the_limit_is_not_reached() -> None:
    """Counting stops with the first malformed byte of a buffer: the message is skipped, the
    frame (whose count stayed within the limit) is delivered."""
    bad_chat = field(2, bombs.chat_with_badges(2)[2:] + b"\x08")  # user: 2 badges, then a cut varint
    body = bombs.fetch_result("WebcastChatMessage", bad_chat) + bombs.fetch_result("WebcastChatMessage", b"")
    outcome = _both(lambda m: m.decode_fetch_result(body, LIMIT, 100, 100, 100))
    assert outcome[0] == "ok"
    assert len(outcome[1].events) == 1 and len(outcome[1].skipped) == 1


def test_limits_are_configured_like_max_inflated_size() -> None:
    body = _empty_messages(3)
    assert len(decode_fetch_result(body, max_messages=3).events) == 3
    with pytest.raises(DecodeError, match="decode limit exceeded"):
        decode_fetch_result(body, max_messages=2)
    with pytest.raises(DecodeError, match="decode limit exceeded"):
        decode_fetch_result(body, max_objects=2)


def test_the_protocol_passes_its_limits_on() -> None:
    from pytiktoklive._protocol import WebcastProtocol

    frame = bombs.gzip_push_frame(bombs.gzip_stream([_empty_messages(3)]))
    WebcastProtocol(1, max_messages=3).receive_frame(frame)
    with pytest.raises(DecodeError, match="more than 2 messages"):
        WebcastProtocol(1, max_messages=2).receive_frame(frame)


@pytest.mark.parametrize("name", _backends())
def test_negative_limits_are_overflow_errors(name: str) -> None:
    module = _module(name)
    with pytest.raises(OverflowError):
        module.decode_fetch_result(b"", LIMIT, -1)
    with pytest.raises(OverflowError):
        module.decode_frame(b"", LIMIT, 1, 1, -1)


# --------------------------------------------------------------------------- bombs, in a child


_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    spec = json.loads(sys.argv[1])
    from pytiktoklive.simulator import bombs
    if spec["kind"] == "messages":
        body = bombs.gzip_stream(bombs.empty_messages(spec["count"]))
    else:
        chat = bombs.chat_with_badges(spec["count"])
        body = bombs.gzip_stream([bombs.fetch_result("WebcastChatMessage", chat)])
    frame = bombs.gzip_push_frame(body)
    import importlib
    decoder = importlib.import_module(spec["decoder"])
    from pytiktoklive.errors import DecodeError
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + spec["budget"], hard))
    try:
        decoder.decode_frame(frame, spec["max_inflated_size"])
    except DecodeError as error:
        print(json.dumps({"frame": len(frame), "error": str(error)}))
    else:
        print(json.dumps({"frame": len(frame), "error": None}))
    """
)

#: Address space a decode may add: the inflated buffer (at most 66 MB here) and the capped
#: objects fit; building the bombs (1.7 GB and more before the limits) does not.
_BUDGET = 400 * 1024 * 1024


@pytest.mark.parametrize("decoder", _backends())
@pytest.mark.parametrize(
    ("kind", "count", "expected"),
    [
        pytest.param("messages", 4_000_000, "messages in one batch", id="4M-empty-messages"),
        pytest.param("messages", 33_000_000, "messages in one batch", id="33M-empty-messages"),
        pytest.param("badges", 1_000_000, "entries in one repeated field", id="1M-badges-in-one-user"),
    ],
)
def test_bombs_are_refused_within_a_memory_limit(decoder: str, kind: str, count: int, expected: str) -> None:
    _module(decoder)
    spec = {
        "kind": kind,
        "count": count,
        "decoder": decoder,
        "budget": _BUDGET,
        "max_inflated_size": LIMIT,
    }
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(spec)], capture_output=True, text=True, timeout=600
    )
    assert child.returncode == 0, f"the decoder died (exit {child.returncode}): {child.stderr[-2000:]}"
    report = json.loads(child.stdout)
    assert report["frame"] < 70_000  # a small frame on the wire
    assert report["error"] is not None and expected in report["error"]


# --------------------------------------------------------------------------- item 8: bad UTF-8


def _message(method: bytes, payload: bytes, msg_id: int) -> bytes:
    return field(1, field(1, method) + field(2, payload) + field(3, msg_id))


def test_a_method_that_is_not_utf8_skips_only_that_message() -> None:
    chat = field(3, "hello")
    body = (
        _message(b"WebcastChatMessage", chat, 1)
        + _message(b"Webcast\xffChat", chat, 2)
        + _message(b"WebcastChatMessage", chat, 3)
        + field(2, "cursor-1")
    )
    outcome = _both(lambda m: m.decode_fetch_result(body, LIMIT))
    assert outcome[0] == "ok"
    result = outcome[1]
    assert [event.msg_id for event in result.events] == [1, 3]
    (skip,) = result.skipped
    assert (skip.method, skip.msg_id, skip.payload) == ("Webcast\ufffdChat", 2, chat)
    assert result.cursor == "cursor-1"


def test_the_skip_is_logged_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    body = _message(b"\xc3", b"", 9)
    with caplog.at_level("WARNING", logger="pytiktoklive.decoding"):
        result = decode_fetch_result(body)
    assert result.skipped[0].reason == "the method name is not valid UTF-8"
    assert "msg_id=9" in caplog.text and "not valid UTF-8" in caplog.text


@pytest.mark.parametrize(
    "cursor",
    [b"\xff", b"17\xffab", b"\xed\xa0\x80", b"ok\xf0\x9f\x98", b"\xe2\x82", b"caf\xc3\xa9"],
)
def test_a_cursor_that_is_not_utf8_is_decoded_lossily(cursor: bytes) -> None:
    body = _message(b"WebcastChatMessage", field(3, "hi"), 1) + field(2, cursor)
    outcome = _both(lambda m: m.decode_fetch_result(body, LIMIT))
    assert outcome[0] == "ok"
    assert outcome[1].cursor == cursor.decode("utf-8", "replace")
    assert len(outcome[1].events) == 1


@pytest.mark.parametrize(("badges", "outcome"), [(2, "ok"), (4, "error")])
def test_text_that_is_not_utf8_does_not_stop_the_counting(badges: int, outcome: str) -> None:
    """A nickname that is not UTF-8 skips the message at its end: the badges after it still
    count, in both decoders (the Rust core's walk notes the bad text and walks on)."""
    user = field(3, b"\xff") + field(64, b"") * badges  # User.nickname, then User.badge_list
    body = bombs.fetch_result("WebcastChatMessage", field(2, user))
    result = _both(lambda m: m.decode_fetch_result(body, LIMIT, 100, 3, 100))
    assert result[0] == outcome
    if outcome == "ok":
        assert not result[1].events and len(result[1].skipped) == 1


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        # User.bio_description: a field no event reads.
        ("WebcastChatMessage", field(2, field(5, b"\xff"))),
        # User.avatar_medium.url_list: an image size no event shows.
        ("WebcastLikeMessage", field(5, field(10, field(1, b"https://a/\xc3")))),
        # Common.display_text.pieces[0].user_value.user.nickname: read only by barrages.
        (
            "WebcastMemberMessage",
            field(1, field(8, field(4, field(21, field(1, field(3, b"\xed\xa0\x80")))))),
        ),
        # MemberMessage.anchor_display_text.default_pattern: not read at all.
        ("WebcastMemberMessage", field(18, field(2, b"a\xffb"))),
    ],
    ids=["bio", "avatar-size", "display-text-user", "anchor-text"],
)
def test_text_that_is_not_utf8_skips_the_message_in_fields_no_event_reads(
    method: str, payload: bytes
) -> None:
    """The Rust core decodes only the fields events read; the text of the others is checked
    all the same, so the message is skipped exactly as the pure decoder skips it."""
    body = bombs.fetch_result(method, payload) + _message(b"WebcastChatMessage", field(3, "next"), 2)

    outcome = _both(lambda m: m.decode_fetch_result(body, LIMIT))

    assert outcome[0] == "ok"
    assert [event.msg_id for event in outcome[1].events] == [2]
    (skip,) = outcome[1].skipped
    assert skip.method == method
