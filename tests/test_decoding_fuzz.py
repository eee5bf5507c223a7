"""Any bytes at all: each decoder returns a result or raises DecodeError, nothing else.

Hypothesis feeds each backend random bytes, random protobuf-shaped bytes (valid wire
format, random field numbers and values, so the schema's own fields get hit), and real
captures with bytes changed, inserted, removed or cut off. Every answer must be a
``FetchResult`` or an ``Event`` whose events are well-formed and JSON-ready, or a
``DecodeError``; any other exception, or a hang, fails. (Whether the two backends give
the *same* answer is ``test_differential.py``.)
"""

from __future__ import annotations

import gzip
import json
from types import ModuleType
from typing import Any, Callable, List

import pytest
from captures import REPAIRED_FRAME, messages, read
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytiktoklive.decoding import FetchResult
from pytiktoklive.errors import DecodeError
from pytiktoklive.events import METHOD_EVENT_TYPES, Event, SkippedMessage
from wire import field, last

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LIMITS = st.sampled_from([0, 64, 4096, 1 << 20])
METHODS = st.sampled_from([*sorted(METHOD_EVENT_TYPES), "WebcastBrandNewMessage", ""])


def check_event(event: Any, method: str) -> None:
    assert isinstance(event, Event)
    assert event.method == method
    json.dumps(event.to_dict())


def decodes_or_raises_decode_error(decode: Callable[[], Any]) -> Any:
    """The result of ``decode``, checked; ``None`` when it raised DecodeError."""
    try:
        result = decode()
    except DecodeError:
        return None
    if isinstance(result, FetchResult):
        for event in result.events:
            assert isinstance(event, Event)
            json.dumps(event.to_dict())
        assert all(isinstance(skip, SkippedMessage) and skip.reason for skip in result.skipped)
        assert isinstance(result.route_params, dict)
    else:
        assert isinstance(result, Event)
    return result


# --------------------------------------------------------------------------- inputs

#: Valid wire format with random content: varints, strings and nested messages under the
#: field numbers the schema uses most (1-16), plus a few it does not declare.
FIELD_NUMBERS = st.one_of(st.integers(1, 16), st.sampled_from([21, 22, 23, 38, 46, 64, 100, 101, 999]))
SCALARS = st.one_of(st.integers(-(2**63), 2**64 - 1), st.text(max_size=20), st.binary(max_size=20))
PROTOBUF = st.recursive(
    st.lists(st.builds(field, FIELD_NUMBERS, SCALARS), max_size=6).map(b"".join),
    lambda inner: st.lists(
        st.one_of(st.builds(field, FIELD_NUMBERS, SCALARS), st.builds(field, FIELD_NUMBERS, inner)),
        max_size=6,
    ).map(b"".join),
    max_leaves=30,
)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few bytes changed, inserted or removed, or cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        how = draw(st.sampled_from(["change", "insert", "delete", "cut"]))
        if how == "change" and data:
            data[position] = draw(st.integers(0, 255))
        elif how == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif how == "delete":
            del data[position : position + draw(st.integers(1, 8))]
        else:
            del data[position:]
    return bytes(data)


def msg_frame(payload: bytes, *, gzip_header: bool = False) -> bytes:
    """A ``"msg"`` PushFrame: headers (5), payload_type (7), payload (8)."""
    header = field(5, field(1, "compress_type") + field(2, "gzip")) if gzip_header else b""
    return field(1, 1) + field(2, 2) + header + field(7, "msg") + field(8, payload)


def real_fetch_results() -> List[bytes]:
    """The fetch result of the real PushFrame, and one holding a capture of every message type."""
    sample = {capture.method: capture for capture in messages()}.values()
    every_type = b"".join(
        field(1, field(1, c.method) + field(2, c.payload) + field(3, n)) for n, c in enumerate(sample)
    )
    real = last(read(REPAIRED_FRAME), 8)
    assert isinstance(real, bytes)
    return [real, every_type]


@pytest.fixture(scope="module")
def fetch_results() -> List[bytes]:
    return real_fetch_results()


@pytest.fixture(scope="module")
def frames(fetch_results: List[bytes]) -> List[bytes]:
    every_type = fetch_results[1]
    return [read(REPAIRED_FRAME), msg_frame(gzip.compress(every_type), gzip_header=True)]


# --------------------------------------------------------------------------- frames


@FUZZ
@given(data=st.binary(max_size=1024), limit=LIMITS)
def test_random_bytes(decoder: ModuleType, data: bytes, limit: int) -> None:
    decodes_or_raises_decode_error(lambda: decoder.decode_frame(data, limit))
    decodes_or_raises_decode_error(lambda: decoder.decode_fetch_result(data, limit))
    decodes_or_raises_decode_error(lambda: decoder.decode_frame(msg_frame(data), limit))
    decodes_or_raises_decode_error(lambda: decoder.decode_frame(msg_frame(data, gzip_header=True), limit))


@FUZZ
@given(body=PROTOBUF, packed=st.booleans(), limit=LIMITS)
def test_random_protobuf(decoder: ModuleType, body: bytes, packed: bool, limit: int) -> None:
    payload = gzip.compress(body) if packed else body
    decodes_or_raises_decode_error(lambda: decoder.decode_frame(body, limit))
    decodes_or_raises_decode_error(lambda: decoder.decode_fetch_result(payload, limit))
    decodes_or_raises_decode_error(
        lambda: decoder.decode_frame(msg_frame(payload, gzip_header=packed), limit)
    )


@FUZZ
@given(data=st.data(), limit=LIMITS)
def test_mutated_real_frames(
    decoder: ModuleType, frames: List[bytes], data: st.DataObject, limit: int
) -> None:
    frame = data.draw(mutated(data.draw(st.sampled_from(frames))))

    decodes_or_raises_decode_error(lambda: decoder.decode_frame(frame, limit))


@FUZZ
@given(data=st.data(), packed=st.booleans())
def test_mutated_real_fetch_results(
    decoder: ModuleType, fetch_results: List[bytes], data: st.DataObject, packed: bool
) -> None:
    body = data.draw(mutated(data.draw(st.sampled_from(fetch_results))))

    decodes_or_raises_decode_error(
        lambda: decoder.decode_fetch_result(gzip.compress(body) if packed else body, 1 << 20)
    )


# --------------------------------------------------------------------------- single messages


@FUZZ
@given(method=METHODS, payload=st.one_of(st.binary(max_size=512), PROTOBUF))
def test_random_messages(decoder: ModuleType, method: str, payload: bytes) -> None:
    event = decodes_or_raises_decode_error(lambda: decoder.decode_message(method, payload, 1))

    if event is not None:
        check_event(event, method)
    if method not in METHOD_EVENT_TYPES:
        assert event is not None  # unknown methods never fail


@FUZZ
@given(data=st.data())
def test_mutated_real_messages(decoder: ModuleType, data: st.DataObject) -> None:
    capture = data.draw(st.sampled_from(messages()))
    payload = data.draw(mutated(capture.payload))

    event = decodes_or_raises_decode_error(lambda: decoder.decode_message(capture.method, payload, 1))

    if event is not None:
        check_event(event, capture.method)
