"""A minimal, strict protobuf wire reader.

The simulator reads captured messages and the frames clients send with it,
independently of the decoders it is used to test. Unlike the schema classes
(betterproto2 reads garbage leniently), it raises :class:`ValueError` for any
byte string that is not a well-formed protobuf message.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Tuple

__all__ = ["check_wire_types", "fields"]


def _varint(data: bytes, pos: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated or overlong varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields_with_types(data: bytes) -> Iterator[Tuple[int, int, Any]]:
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0")
        value: Any
        if wire_type == 0:
            value, pos = _varint(data, pos)
        elif wire_type == 1:
            value, pos = int.from_bytes(data[pos : pos + 8], "little"), pos + 8
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire_type == 5:
            value, pos = int.from_bytes(data[pos : pos + 4], "little"), pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
        if pos > len(data):
            raise ValueError("truncated field")
        yield number, wire_type, value


def fields(data: bytes) -> Iterator[Tuple[int, Any]]:
    """Top-level ``(field number, value)`` pairs: an int for varints/fixed, bytes for length-delimited."""
    for number, _, value in _fields_with_types(data):
        yield number, value


def check_wire_types(data: bytes, expected: Dict[int, int]) -> None:
    """Raise :class:`ValueError` unless ``data`` parses and its known fields have the expected wire types."""
    for number, wire_type, _ in _fields_with_types(data):
        if number in expected and expected[number] != wire_type:
            raise ValueError(f"field {number} has wire type {wire_type}, expected {expected[number]}")
