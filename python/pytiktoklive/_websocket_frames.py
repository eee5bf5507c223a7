"""Websocket frames (RFC 6455), sans I/O: the server's, read from the socket's chunks, and
the client's, written in one go (:func:`client_frames`).

The push connection's hot path: every chunk the socket gives is cut into frames here, and every
complete data message in it comes out at once (``websockets``' own parser, a generator that
takes one frame per step, cost about as much per frame as a tenth of decoding it). Only the
frames a TikTok push server sends in normal operation are handled here: unmasked binary or
text messages, possibly fragmented. Everything else is left to ``websockets``, which then
owns the connection's fate:

* pings and pongs (:attr:`FrameParser.control`): complete frames, raw, in order, for
  ``websockets`` to answer;
* a close frame, and any frame ``websockets`` refuses (masked, reserved bits, unknown opcode,
  a fragmented or long control frame, a continuation without a start, a single frame over
  the size limit): parsing stops, and the raw bytes from that frame on are
  :attr:`FrameParser.rest`, for ``websockets`` to close the connection as it would have.

The few errors ``websockets`` could not see from a single frame (it sees no data frames) are
:attr:`FrameParser.failure`, a close code and reason: a new message inside a fragmented one,
a fragmented message over the size limit, a text message that is not UTF-8.

Memory is bounded: a frame is buffered only after its header says it fits ``max_size``, and
a fragmented message's parts together never exceed it.
"""

from __future__ import annotations

import collections
import os
import struct
import threading
from typing import Deque, Iterable, List, Optional, Tuple, Union

try:
    from websockets.speedups import apply_mask
except ImportError:  # websockets without its C extension
    from websockets.utils import apply_mask

__all__ = ["FrameParser", "client_frames"]

_CONTINUATION, _TEXT, _BINARY = 0x0, 0x1, 0x2
_CLOSE, _PING, _PONG = 0x8, 0x9, 0xA
#: Close codes of the failures found here (RFC 6455 section 7.4.1).
PROTOCOL_ERROR, INVALID_DATA, MESSAGE_TOO_BIG = 1002, 1007, 1009

_unpack_length64 = struct.Struct("!Q").unpack_from
_pack_length16 = struct.Struct("!BBH").pack
_pack_length64 = struct.Struct("!BBQ").pack
#: Bytes of masking keys drawn from the OS at a time: keys for 1024 frames.
_MASK_KEYS_DRAWN = 4096


class _MaskKeys(threading.local):
    """Unused masking-key bytes, per thread (event loops in several threads draw their own)."""

    def __init__(self) -> None:
        self.keys = b""
        self.used = 0


_mask_keys = _MaskKeys()


def client_frames(payloads: Iterable[bytes]) -> bytes:
    """One unfragmented, masked binary frame per payload, concatenated, for one socket write.

    A client masks every frame with a fresh key from a strong source of entropy (RFC 6455
    section 5.3). ``websockets`` draws each key with its own ``os.urandom`` call; here keys
    come from ``os.urandom`` too, but 1024 frames' worth per call: the acks that follow every
    frame read made those calls a fiftieth of a busy room's CPU. Each drawn key masks one frame.
    """
    pool = _mask_keys
    parts: List[bytes] = []
    for payload in payloads:
        if pool.used + 4 > len(pool.keys):
            pool.keys = os.urandom(_MASK_KEYS_DRAWN)
            pool.used = 0
        key = pool.keys[pool.used : pool.used + 4]
        pool.used += 4
        length = len(payload)
        if length < 126:
            parts.append(bytes((0x80 | _BINARY, 0x80 | length)))
        elif length < 1 << 16:
            parts.append(_pack_length16(0x80 | _BINARY, 0x80 | 126, length))
        else:
            parts.append(_pack_length64(0x80 | _BINARY, 0x80 | 127, length))
        parts.append(key)
        parts.append(apply_mask(payload, key))
    return b"".join(parts)


class FrameParser:
    """Cuts a server's byte stream into websocket messages; see the module's docstring."""

    __slots__ = (
        "_buffer",
        "_fragments",
        "_fragments_size",
        "_need",
        "_part_kind",
        "_parts",
        "_parts_need",
        "_parts_size",
        "_text",
        "control",
        "failure",
        "max_size",
        "messages",
        "rest",
    )

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        #: Complete data messages (payload bytes; a text message's UTF-8), oldest first, for the
        #: owner to take (popleft).
        self.messages: Deque[bytes] = collections.deque()
        #: Complete ping and pong frames, raw, for ``websockets``. The owner takes them out.
        self.control: List[bytes] = []
        #: Once parsing stopped at a close frame or at a frame ``websockets`` refuses: the raw
        #: bytes from that frame on (later chunks are no business of this parser).
        self.rest: Optional[bytes] = None
        #: Once parsing stopped at an error only visible across frames: (close code, reason).
        self.failure: Optional[Tuple[int, str]] = None
        # The start of a frame whose end has not arrived yet, and how many bytes from its
        # start are needed before parsing it again (its header, or the whole frame).
        self._buffer = bytearray()
        self._need = 0
        # The payload of a data frame whose header was read and whose payload has not all come
        # (its parts, joined once when complete: a busy frame spans reads more often than not),
        # the frame's bytes so far and in all (header included), and its (opcode, final bit).
        self._parts: List[Union[bytes, memoryview]] = []
        self._parts_size = 0
        self._parts_need = 0
        self._part_kind = (0, 0)
        # The parts of a fragmented message received so far (none: no message in progress).
        self._fragments: List[bytes] = []
        self._fragments_size = 0
        self._text = False

    @property
    def stopped(self) -> bool:
        return self.rest is not None or self.failure is not None

    @property
    def buffered(self) -> int:
        """Bytes held for frames or messages not complete yet."""
        return len(self._buffer) + self._parts_size + self._fragments_size

    def feed(self, chunk: bytes) -> None:
        """Parse ``chunk``, the next bytes from the server. Nothing to do once :attr:`stopped`."""
        if self.rest is not None or self.failure is not None:
            return
        buffer = self._buffer
        position = 0
        if self._parts:
            position = self._complete_parts(chunk)
            if position < 0:
                return
            data = chunk
        elif buffer:
            buffer += chunk
            if len(buffer) < self._need:
                return  # a frame that spans many chunks is joined once, when complete
            data = bytes(buffer)
            buffer.clear()
        else:
            data = chunk
        end = len(data)
        messages = self.messages
        max_size = self.max_size
        while True:
            available = end - position
            if available < 2:
                need = 2
                break
            first = data[position]
            second = data[position + 1]
            opcode = first & 0x0F
            length = second & 0x7F
            # Masked, reserved bits, or not one of the six opcodes.
            if second & 0x80 or first & 0x70 or (opcode > _BINARY and not _CLOSE <= opcode <= _PONG):
                self.rest = data[position:]
                break
            if length < 126:
                header = 2
            elif length == 126:
                if available < 4:
                    need = 4
                    break
                header = 4
                length = data[position + 2] << 8 | data[position + 3]
            else:
                if available < 10:
                    need = 10
                    break
                header = 10
                length = _unpack_length64(data, position + 2)[0]
            final = first & 0x80
            if opcode >= _CLOSE:
                if opcode == _CLOSE or not final or length > 125:
                    self.rest = data[position:]  # websockets closes, or fails the connection
                    break
            elif length > max_size - self._fragments_size:
                if not self._fragments:
                    self.rest = data[position:]  # websockets fails it with 1009, as before
                else:
                    self._fail(MESSAGE_TOO_BIG, f"fragmented message over {max_size} bytes")
                break
            stop = position + header + length
            # A data frame where it may stand (a continuation inside a fragmented message, a new
            # message outside one): its payload can be collected as it comes (`_complete_parts`).
            in_place = opcode < _CLOSE and (opcode == _CONTINUATION) == bool(self._fragments)
            if stop > end:
                if in_place:
                    self._parts = [data[position + header :]]
                    self._parts_size = end - position
                    self._parts_need = header + length
                    self._part_kind = (opcode, final)
                    position = end
                need = header + length
                break
            start = position
            payload = data[start + header : stop]
            position = stop
            if opcode == _BINARY and final and not self._fragments:
                messages.append(payload)  # the frame every push message comes in
            elif opcode >= _CLOSE:
                self.control.append(data[start:stop])
            elif not in_place:
                if self._fragments:
                    self._fail(PROTOCOL_ERROR, "expected a continuation frame")
                else:
                    self.rest = data[start:]  # websockets: unexpected continuation
                break
            elif not self._data_frame(opcode, final, payload):
                break
        if self.rest is None and self.failure is None and position < end:
            # Only the unfinished frame's own bytes are kept: the chunk is let go.
            buffer += data[position:] if position else data
            self._need = need

    def _complete_parts(self, chunk: bytes) -> int:
        """Add ``chunk`` to the data frame being collected. Once it is complete: handle it, and
        return where the next frame starts in ``chunk``; else (or if the frame stopped the
        parsing) -1."""
        missing = self._parts_need - self._parts_size
        if len(chunk) < missing:
            self._parts.append(chunk)
            self._parts_size += len(chunk)
            return -1
        parts = self._parts
        parts.append(chunk if len(chunk) == missing else memoryview(chunk)[:missing])
        payload = b"".join(parts)  # the one copy of the payload
        opcode, final = self._part_kind
        self._parts = []
        self._parts_size = 0
        return missing if self._data_frame(opcode, final, payload) else -1

    def _data_frame(self, opcode: int, final: int, payload: bytes) -> bool:
        """A data frame where it may stand: a message, or a part of a fragmented one. False if
        it stopped the parsing."""
        if opcode == _CONTINUATION:
            self._fragments.append(payload)
            self._fragments_size += len(payload)
            if final:
                message = b"".join(self._fragments)
                self._fragments = []
                self._fragments_size = 0
                return self._message(message, self._text)
            return True
        if final:
            return self._message(payload, opcode == _TEXT)
        # The first part of a fragmented message. An empty part still counts as started.
        self._fragments = [payload]
        self._fragments_size = len(payload)
        self._text = opcode == _TEXT
        return True

    def _message(self, payload: bytes, text: bool) -> bool:
        if text:
            try:
                payload.decode()
            except UnicodeDecodeError as exc:
                self._fail(INVALID_DATA, f"{exc.reason} at position {exc.start}")
                return False
        self.messages.append(payload)
        return True

    def _fail(self, code: int, reason: str) -> None:
        self.failure = (code, reason)
        self._buffer = bytearray()
        self._parts = []
        self._parts_size = 0
        self._fragments = []
        self._fragments_size = 0
