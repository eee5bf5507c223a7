"""HTTP/1.1 read and written without I/O (``pytiktoklive._http11``): what the client's direct
connections parse, fed byte by byte and all at once, and what they refuse."""

from __future__ import annotations

import gzip
import zlib
from typing import List, Optional, Tuple

import pytest
from pytiktoklive._http11 import (
    MAX_HEAD_BYTES,
    MAX_INTERIM_HEADS,
    ContentDecoder,
    DecodingError,
    ProtocolError,
    ResponseReader,
    request_bytes,
)


def read(
    wire: bytes, *, method: str = "GET", step: Optional[int] = None, eof: bool = False
) -> ResponseReader:
    """``wire`` fed to a reader whole, or ``step`` bytes at a time; then the end of the stream."""
    reader = ResponseReader(method)
    reader.collected = b""  # type: ignore[attr-defined]
    parts = [wire] if step is None else [wire[i : i + step] for i in range(0, len(wire), step)]
    for part in parts:
        if not part:
            continue
        reader.feed(part)
        reader.collected += reader.body()  # type: ignore[attr-defined]
    if eof:
        reader.feed(b"")
        reader.collected += reader.body()  # type: ignore[attr-defined]
    return reader


def body_of(reader: ResponseReader) -> bytes:
    return reader.collected  # type: ignore[attr-defined,no-any-return]


CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
    b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: yes\r\n\r\n"
)


@pytest.mark.parametrize("step", [None, 1, 3, 7])
@pytest.mark.parametrize(
    ("wire", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
        (CHUNKED, b"hello world"),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", b"ok"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", b""),
        (b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", b"ok"),  # bare LF, as h11 takes it
    ],
)
def test_bodies_framed_by_length_or_chunks_read_the_same_however_they_arrive(
    wire: bytes, body: bytes, step: Optional[int]
) -> None:
    reader = read(wire, step=step)
    assert reader.done and reader.keep_alive
    assert body_of(reader) == body
    assert reader.head is not None and reader.head.status in (200, 204)


def test_the_head_keeps_names_as_sent_and_values_trimmed() -> None:
    reader = read(
        b"HTTP/1.1 404 Not Found\r\nX-Thing:  spaced \t\r\nSet-Cookie: a=b\r\nContent-Length: 0\r\n\r\n"
    )
    assert reader.head is not None
    assert (reader.head.status, reader.head.reason, reader.head.http_version) == (
        404,
        b"Not Found",
        b"HTTP/1.1",
    )
    assert reader.head.headers == [
        (b"X-Thing", b"spaced"),
        (b"Set-Cookie", b"a=b"),
        (b"Content-Length", b"0"),
    ]


def test_a_body_until_the_connection_closes_ends_with_it_and_is_not_reused() -> None:
    reader = read(b"HTTP/1.1 200 OK\r\n\r\nall of it", step=4)
    assert not reader.done
    reader.feed(b"")
    assert reader.done and not reader.keep_alive
    assert body_of(reader) + reader.body() == b"all of it"


@pytest.mark.parametrize(
    ("wire", "method"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", "GET"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive, Close\r\n\r\nok", "GET"),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", "GET"),  # bytes past the end
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            "GET",
        ),
    ],
)
def test_connections_are_not_reused_after_an_answer_that_forbids_it(wire: bytes, method: str) -> None:
    reader = read(wire, method=method)
    assert reader.done and body_of(reader) == b"ok"
    assert not reader.keep_alive


def test_a_reused_connection_that_receives_anything_unasked_is_not_reused() -> None:
    reader = read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert reader.keep_alive
    reader.feed(b"HTTP/1.1 200 OK\r\n")
    assert not reader.keep_alive


def test_head_requests_and_304s_have_no_body_whatever_the_length_says() -> None:
    head = read(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", method="HEAD")
    not_modified = read(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n")
    for reader in (head, not_modified):
        assert reader.done and reader.keep_alive and body_of(reader) == b""


@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/2 200 OK\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokay\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ],
)
def test_malformed_answers_are_protocol_errors(wire: bytes) -> None:
    with pytest.raises(ProtocolError):
        read(wire)


def test_interim_answers_are_skipped_up_to_a_bound() -> None:
    interim = b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    final = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    assert body_of(read(interim * MAX_INTERIM_HEADS + final)) == b"ok"
    with pytest.raises(ProtocolError, match="interim"):
        read(interim * (MAX_INTERIM_HEADS + 1) + final)


def test_equal_content_lengths_repeated_are_one_length() -> None:
    reader = read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")
    assert reader.done and body_of(reader) == b"ok"


@pytest.mark.parametrize(
    ("start", "filler"),
    [
        (b"HTTP/1.1 200 OK\r\nX-Long: ", b"a"),  # a head that never ends
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1", b"0"),  # a chunk size line
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", b"T: x\r\n"),  # trailers
    ],
)
def test_heads_chunk_lines_and_trailers_are_bounded(start: bytes, filler: bytes) -> None:
    reader = ResponseReader("GET")
    reader.feed(start)
    with pytest.raises(ProtocolError, match="longer than"):
        for _ in range(2 * MAX_HEAD_BYTES // len(filler) + 10):
            reader.feed(filler)  # (a byte or a few at a time: the reader must not search all again)
            reader.body()


@pytest.mark.parametrize(
    "wire",
    [
        b"",
        b"HTTP/1.1 200 OK\r\nContent-Le",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    ],
)
def test_a_server_closing_too_early_is_a_protocol_error_not_a_short_body(wire: bytes) -> None:
    reader = read(wire)
    with pytest.raises(ProtocolError, match="closed the connection"):
        reader.feed(b"")


# ---------------------------------------------------------------------------- requests


def test_a_request_is_its_line_headers_and_a_blank_line() -> None:
    wire = request_bytes(b"GET", b"/a?b=c", [(b"Host", b"example.com"), (b"X-A", b"1")])
    assert wire == b"GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\n\r\n"


@pytest.mark.parametrize(
    ("method", "target", "headers"),
    [
        (b"GET", b"/", [(b"X-A", b"1\r\nInjected: yes")]),
        (b"GET", b"/", [(b"X-A", b"1\nInjected: yes")]),
        (b"GET", b"/", [(b"X-A", b"1\r")]),
        (b"GET", b"/", [(b"X-A", b"nul\0")]),
        (b"GET", b"/", [(b"X A", b"1")]),
        (b"GET", b"/", [(b"X-A:", b"1")]),
        (b"GET", b"/ HTTP/1.1\r\nInjected: yes\r\nX:", []),
        (b"GET", b"/with space", []),
        (b"GE T", b"/", []),
    ],
)
def test_requests_with_line_breaks_nul_or_bad_names_are_refused(
    method: bytes, target: bytes, headers: List[Tuple[bytes, bytes]]
) -> None:
    with pytest.raises(ProtocolError):
        request_bytes(method, target, headers)


# ---------------------------------------------------------------------------- content codings


def decode_all(decoder: ContentDecoder, data: bytes, step: int = 1000) -> bytes:
    out = b"".join(decoder.decode(data[i : i + step]) for i in range(0, len(data), step))
    return out + decoder.flush()


TEXT = b"".join(b"line %d of a body\n" % index for index in range(5000))


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        (b"gzip", gzip.compress(TEXT)),
        (b"x-gzip", gzip.compress(TEXT)),
        (b"deflate", zlib.compress(TEXT)),
        (b"deflate", zlib.compress(TEXT)[2:-4]),  # raw deflate, without the zlib wrapper
        (b"gzip, deflate", zlib.compress(gzip.compress(TEXT))),
        (b"identity", TEXT),
        (b"br", TEXT),  # not asked for, not decoded: passed through as httpx does
        (b"", TEXT),
    ],
)
def test_content_codings_are_undone(encoding: bytes, encoded: bytes) -> None:
    decoder = ContentDecoder(encoding, limit=len(TEXT))
    assert decode_all(decoder, encoded) == TEXT
    assert not decoder.too_large


def test_a_body_inflating_past_the_limit_stops_one_byte_past_it() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # ~64 KB that would inflate to 64 MiB
    decoder = ContentDecoder(b"gzip", limit=1000)
    out = decode_all(decoder, bomb, step=len(bomb))
    assert decoder.too_large
    assert len(out) == 1001


def test_a_body_exactly_at_the_limit_is_not_too_large() -> None:
    decoder = ContentDecoder(b"gzip", limit=len(TEXT))
    assert decode_all(decoder, gzip.compress(TEXT)) == TEXT and not decoder.too_large
    smaller = ContentDecoder(b"gzip", limit=len(TEXT) - 1)
    decode_all(smaller, gzip.compress(TEXT))
    assert smaller.too_large


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        (b"gzip", gzip.compress(TEXT)[:-20]),  # truncated
        (b"gzip", b"not gzip at all"),
        (b"deflate", b"not deflate either, no"),
        (b"gzip", gzip.compress(TEXT)[:10] + b"\xff" * 50),
    ],
)
def test_a_truncated_or_corrupt_body_is_a_decoding_error(encoding: bytes, encoded: bytes) -> None:
    with pytest.raises(DecodingError):
        decode_all(ContentDecoder(encoding, limit=10 * len(TEXT)), encoded)
