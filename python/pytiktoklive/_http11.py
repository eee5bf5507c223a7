"""HTTP/1.1 on the wire, sans I/O: a request's bytes, and a response read from bytes.

The client's own direct connections (:mod:`pytiktoklive._direct`) speak HTTP/1.1 with this
instead of httpx's stack (httpx → httpcore → h11), which cost ~1 ms of CPU per request, most
of a room's connect. It does what TikTok's and a sign server's answers need, strictly:

* a request line and headers, refusing CR, LF and NUL in any of them (no header injection);
* a response head of at most :data:`MAX_HEAD_BYTES` (after at most :data:`MAX_INTERIM_HEADS`
  1xx interim heads, skipped), with a status line, ``name: value`` lines and no obsolete line
  folding;
* the body framed as RFC 9112 §6.3 says: none (``HEAD``, 1xx, 204, 304), chunked (sizes,
  extensions and trailers bounded too), ``Content-Length`` (one value, or equal ones), or
  until the connection closes;
* whether the connection can carry another request afterwards.

Malformed input raises :class:`ProtocolError`; nothing here blocks or grows without bound.
"""

from __future__ import annotations

import re
import zlib
from typing import List, NamedTuple, Optional, Sequence, Set, Tuple

__all__ = [
    "MAX_HEAD_BYTES",
    "ContentDecoder",
    "DecodingError",
    "Head",
    "ProtocolError",
    "ResponseReader",
    "request_bytes",
]

#: Bytes a response head (status line and headers, or a chunked body's trailers) may take.
MAX_HEAD_BYTES = 100 * 1024
#: Interim (1xx) heads a response may start with.
MAX_INTERIM_HEADS = 8
#: Bytes a chunk-size line may take (size, extensions, CRLF).
MAX_CHUNK_LINE_BYTES = 4096

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_STATUS_LINE = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: (.*))?")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;.*)?")

Headers = List[Tuple[bytes, bytes]]


class ProtocolError(Exception):
    """The peer broke HTTP/1.1 (or a request would have): a malformed or oversized head,
    chunk or framing."""


class Head(NamedTuple):
    status: int
    reason: bytes
    #: Names and values as received (names keep their case).
    headers: Headers
    http_version: bytes


def request_bytes(method: bytes, target: bytes, headers: Sequence[Tuple[bytes, bytes]]) -> bytes:
    """``METHOD target HTTP/1.1``, the headers, and the blank line; :class:`ProtocolError` for a
    CR, LF or NUL anywhere in them (header injection) or a name that is not a token."""
    lines = [method + b" " + target + b" HTTP/1.1"]
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise ProtocolError(f"invalid header name {name[:40]!r}")
        lines.append(name + b": " + value)
    text = b"\r\n".join(lines)
    # Each of the len(headers) separators holds one CR and one LF; any other is injected.
    if b"\0" in text or text.count(b"\r") != len(headers) or text.count(b"\n") != len(headers):
        raise ProtocolError("a request line or header contains a line break or NUL")
    if not _TOKEN.fullmatch(method) or b" " in target:
        raise ProtocolError(f"invalid request line {lines[0][:60]!r}")
    return text + b"\r\n\r\n"


class ContentDecoder:
    """A body's ``Content-Encoding`` undone: ``gzip``, ``x-gzip`` and ``deflate`` (with or without
    its zlib wrapper); other codings, ``identity`` among them, are passed through as httpx does.

    It gives at most ``limit`` bytes in all, never inflating more than one byte past them (a
    small body that inflates to gigabytes costs nothing): past the limit it sets
    :attr:`too_large`. A body that ends inside its compressed stream is a :class:`DecodingError`.
    """

    def __init__(self, content_encoding: bytes, limit: int) -> None:
        self.limit = limit
        self.given = 0
        self.too_large = False
        # Codings are listed in the order they were applied: undone last to first.
        codings = [coding.strip() for coding in reversed(content_encoding.lower().split(b","))]
        self._stages = [_Inflater(coding) for coding in codings if coding in _INFLATED]

    def decode(self, data: bytes) -> bytes:
        return self._bounded(data, last=False)

    def flush(self) -> bytes:
        """The rest, at the end of the body."""
        return self._bounded(b"", last=True)

    def _bounded(self, data: bytes, *, last: bool) -> bytes:
        room = self.limit + 1 - self.given
        if room <= 0:
            return b""
        for stage in self._stages:
            data, overflowed = stage.inflate(data, room, last=last)
            # (Also for an inner coding: what it gives the next is at least as large as the body.)
            if overflowed:
                self.too_large = True
        data = data[:room]
        self.given += len(data)
        if self.given > self.limit:
            self.too_large = True
        return data


class DecodingError(ProtocolError):
    """A body that does not decode as its ``Content-Encoding`` says."""


_INFLATED = (b"gzip", b"x-gzip", b"deflate")


class _Inflater:
    def __init__(self, coding: bytes) -> None:
        self.coding = coding.decode()
        self._deflate = coding == b"deflate"
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS if self._deflate else zlib.MAX_WBITS | 16)
        self._started = False

    def inflate(self, data: bytes, room: int, *, last: bool) -> Tuple[bytes, bool]:
        """Up to ``room`` bytes inflated from ``data``, and whether more would have come."""
        try:
            out = self._zlib.decompress(data, room) if data else b""
        except zlib.error as exc:
            if self._deflate and not self._started:
                # deflate without its zlib wrapper, as some servers send it.
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                return self.inflate(data, room, last=last)
            raise DecodingError(f"the body is not valid {self.coding} ({exc})") from None
        self._started = self._started or bool(data)
        overflowed = bool(self._zlib.unconsumed_tail)
        if last and not overflowed and self._started and not self._zlib.eof:
            raise DecodingError(f"the body ends inside its {self.coding} stream")
        return out, overflowed


# The reader's states.
_HEAD, _LENGTH, _CHUNK_SIZE_LINE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DONE = range(8)


class ResponseReader:
    """One response, read from the bytes a connection received (:meth:`feed`).

    After :meth:`feed`, :attr:`head` is set once the head is complete; :meth:`body` takes the
    body bytes decoded from its framing so far; :attr:`done` says the response is complete, and
    :attr:`keep_alive` whether the connection may carry another request after it. Bytes past the
    response's end (which a server must not send unasked) make the connection not reusable.
    """

    def __init__(self, method: str) -> None:
        self._no_body_request = method.upper() == "HEAD"
        self._buffer = bytearray()
        self._state = _HEAD
        self._remaining = 0
        self._trailer_bytes = 0
        self._interim = 0
        #: Bytes of the buffer already searched for the end of a head or line.
        self._scanned = 0
        self._body: List[bytes] = []
        self.head: Optional[Head] = None
        self.done = False
        self.keep_alive = False
        #: Bytes received for this response, framing included.
        self.received = 0

    def feed(self, data: bytes) -> None:
        """Take ``data`` received from the server; ``b""`` means the server closed its side."""
        if self._state == _DONE:
            if data:
                self.keep_alive = False
            return
        if not data:
            self._end_of_stream()
            return
        self.received += len(data)
        if not self._buffer and self._state in (_LENGTH, _UNTIL_CLOSE):
            # The usual case for a body: taken as it came, without a copy through the buffer.
            if self._state == _UNTIL_CLOSE:
                self._body.append(data)
                return
            if len(data) <= self._remaining:
                self._body.append(data)
                self._remaining -= len(data)
                if self._remaining == 0:
                    self._finish()
                return
        self._buffer += data
        self._advance()

    def body(self) -> bytes:
        """Body bytes decoded from the framing since the last call."""
        if not self._body:
            return b""
        chunks, self._body = self._body, []
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    # ------------------------------------------------------------------ states

    def _advance(self) -> None:
        buffer = self._buffer
        while buffer:
            state = self._state
            if state == _HEAD:
                if not self._read_head():
                    return
            elif state == _LENGTH:
                if self._take():
                    self._finish()
            elif state == _UNTIL_CLOSE:
                self._body.append(bytes(buffer))
                buffer.clear()
            elif state == _CHUNK_SIZE_LINE:
                line = self._line(MAX_CHUNK_LINE_BYTES, "chunk size line")
                if line is None:
                    return
                match = _CHUNK_SIZE.fullmatch(line)
                if match is None:
                    raise ProtocolError(f"invalid chunk size line {line[:40]!r}")
                self._remaining = int(match.group(1), 16)
                self._state = _CHUNK_DATA if self._remaining else _TRAILERS
                self._trailer_bytes = 0
            elif state == _CHUNK_DATA:
                if self._take():
                    self._state = _CHUNK_END
            elif state == _CHUNK_END:
                line = self._line(2, "end of a chunk")
                if line is None:
                    return
                if line:
                    raise ProtocolError("a chunk is longer than its size says")
                self._state = _CHUNK_SIZE_LINE
            else:  # _TRAILERS (_DONE leaves no buffer: see _finish)
                line = self._line(MAX_HEAD_BYTES - self._trailer_bytes, "trailers")
                if line is None:
                    return
                self._trailer_bytes += len(line) + 2
                if not line:
                    self._finish()

    def _take(self) -> bool:
        """What the buffer holds of the body's length or the chunk's size; True once all of it came."""
        buffer = self._buffer
        taken = bytes(buffer[: self._remaining])
        del buffer[: len(taken)]
        self._remaining -= len(taken)
        if taken:
            self._body.append(taken)
        return self._remaining == 0

    def _line(self, limit: int, what: str) -> Optional[bytes]:
        """The next line without its line ending (None: not complete yet)."""
        buffer = self._buffer
        end = buffer.find(b"\n", self._scanned, limit + 1)
        if end < 0:
            if len(buffer) > limit:
                raise ProtocolError(f"{what} longer than {limit} bytes")
            self._scanned = len(buffer)  # (a line sent a byte at a time is not searched again and again)
            return None
        self._scanned = 0
        line = bytes(buffer[:end])
        del buffer[: end + 1]
        return line[:-1] if line.endswith(b"\r") else line

    def _read_head(self) -> bool:
        buffer = self._buffer
        # Only what arrived since the last look is searched (a head sent a byte at a time).
        start = max(self._scanned - 3, 0)
        end, separator = buffer.find(b"\r\n\r\n", start, MAX_HEAD_BYTES + 4), 4
        bare = buffer.find(
            b"\n\n", start, min(end + 2, MAX_HEAD_BYTES + 2) if end >= 0 else MAX_HEAD_BYTES + 2
        )
        if bare >= 0:  # bare LF line endings, as h11 accepts them
            end, separator = bare, 2
        if end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise ProtocolError(f"a response head longer than {MAX_HEAD_BYTES} bytes")
            self._scanned = len(buffer)
            return False
        self._scanned = 0
        block = bytes(buffer[:end])
        del buffer[: end + separator]
        lines = [line[:-1] if line.endswith(b"\r") else line for line in block.split(b"\n")]
        match = _STATUS_LINE.fullmatch(lines[0])
        if match is None:
            raise ProtocolError(f"invalid status line {lines[0][:60]!r}")
        minor, status, reason = match.group(1), int(match.group(2)), match.group(3) or b""
        headers: Headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not _TOKEN.fullmatch(name):
                # (A line starting with a space or tab is obsolete line folding: refused too.)
                raise ProtocolError(f"invalid header line {line[:60]!r}")
            headers.append((name, value.strip(b" \t")))
        if 100 <= status < 200:
            if status == 101:
                raise ProtocolError("the server switched protocols unasked (101)")
            self._interim += 1
            if self._interim > MAX_INTERIM_HEADS:
                raise ProtocolError(f"more than {MAX_INTERIM_HEADS} interim (1xx) answers")
            return True  # an interim head: the real one follows
        self.head = Head(status, reason, headers, b"HTTP/1." + minor)
        self._frame(minor == b"1", status, headers)
        return True

    def _frame(self, http11: bool, status: int, headers: Headers) -> None:
        connection = b""
        transfer_encoding: Optional[bytes] = None
        lengths: Set[bytes] = set()
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"connection":
                connection += b"," + value.lower()
            elif lowered == b"transfer-encoding":
                transfer_encoding = (
                    value.lower() if transfer_encoding is None else transfer_encoding + b"," + value.lower()
                )
            elif lowered == b"content-length":
                lengths.update(part.strip() for part in value.split(b","))
        closes = b"close" in (part.strip() for part in connection.split(b","))
        self.keep_alive = http11 and not closes
        if self._no_body_request or status in (204, 304):
            self._finish()
            return
        if transfer_encoding is not None:
            if transfer_encoding.split(b",")[-1].strip() == b"chunked":
                self._state = _CHUNK_SIZE_LINE
                # (Content-Length alongside: a message a proxy could read otherwise; do not reuse.)
                self.keep_alive = self.keep_alive and not lengths
            else:
                self._state, self.keep_alive = _UNTIL_CLOSE, False
            return
        if lengths:
            if len(lengths) != 1:
                raise ProtocolError("conflicting Content-Length values")
            (length,) = lengths
            if not length.isdigit() or len(length) > 18:
                raise ProtocolError(f"invalid Content-Length {length[:20]!r}")
            self._remaining = int(length)
            if self._remaining == 0:
                self._finish()
            else:
                self._state = _LENGTH
            return
        self._state, self.keep_alive = _UNTIL_CLOSE, False

    def _finish(self) -> None:
        self._state = _DONE
        self.done = True
        if self._buffer:
            self.keep_alive = False  # bytes past the response's end: the connection is out of step
            self._buffer.clear()

    def _end_of_stream(self) -> None:
        self.keep_alive = False
        if self._state == _UNTIL_CLOSE:
            self._state = _DONE
            self.done = True
            return
        if self._state == _HEAD:
            raise ProtocolError("the server closed the connection without sending a complete response head")
        raise ProtocolError("the server closed the connection before the end of the body")
