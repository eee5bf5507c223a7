"""Decode bombs: small frames that unfold into millions of protobuf entries.

A hostile push server's weapons, for tests, benchmarks and the ``bomb`` websocket fault.
Each is valid protobuf: an empty ``Message`` is two bytes (``0a 00``), an empty ``Badge``
three, and gzip packs a million of them into a few kilobytes. The decoders refuse them with
``DecodeError`` ("decode limit exceeded") instead of building them
(see :mod:`pytiktoklive.decoding`).

The bytes are written here by hand (no schema classes), and gzip is fed in chunks, so a
bomb of 33 million messages costs its compressed size, not its inflated size, to make.
"""

from __future__ import annotations

import zlib
from typing import Iterable

__all__ = ["chat_with_badges", "empty_messages", "fetch_result", "gzip_push_frame", "gzip_stream"]

_CHUNK = 1 << 16


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _len_field(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _repeat(unit: bytes, count: int) -> Iterable[bytes]:
    per_chunk = max(1, _CHUNK // len(unit))
    block = unit * per_chunk
    full, rest = divmod(count, per_chunk)
    for _ in range(full):
        yield block
    if rest:
        yield unit * rest


def gzip_stream(parts: Iterable[bytes]) -> bytes:
    """One gzip member of ``parts``, compressed as they come (level 9)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [compressor.compress(part) for part in parts]
    out.append(compressor.flush())
    return b"".join(out)


def empty_messages(count: int) -> Iterable[bytes]:
    """A ``FetchResult`` body of ``count`` empty ``Message`` entries (2 bytes each), in chunks."""
    return _repeat(_len_field(1, b""), count)


def chat_with_badges(count: int) -> bytes:
    """A ``WebcastChatMessage`` payload whose user has ``count`` empty badges (3 bytes each)."""
    badge = _len_field(64, b"")  # User.badge_list
    user = badge * count
    return _varint(2 << 3 | 2) + _varint(len(user)) + user  # ChatMessage.user


def fetch_result(method: str, payload: bytes, *, msg_id: int = 1) -> bytes:
    """A ``FetchResult`` body holding one message."""
    message = _len_field(1, method.encode()) + _len_field(2, payload) + _varint(3 << 3) + _varint(msg_id)
    return _len_field(1, message)


def gzip_push_frame(gzipped_body: bytes, *, seq_id: int = 1, log_id: int = 1) -> bytes:
    """A ``msg`` PushFrame with a gzip payload and the ``compress_type: gzip`` header."""
    header = _len_field(1, b"compress_type") + _len_field(2, b"gzip")
    return (
        _varint(1 << 3)
        + _varint(seq_id)
        + _varint(2 << 3)
        + _varint(log_id)
        + _len_field(5, header)
        + _len_field(6, b"pb")
        + _len_field(7, b"msg")
        + _len_field(8, gzipped_body)
    )
