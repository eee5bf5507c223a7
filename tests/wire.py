"""A tiny protobuf wire-format reader and writer for tests, independent of both decoders.

Tests read expected values straight from captured bytes with it, so a decoder is never
checked against itself, and build by hand the bytes a protobuf library would never write
(fields out of order, unknown fields, odd wire types).

Reading::

    fields(data)                      # [(number, wire_type, value), ...] in wire order
    last(data, 1, 2)                  # field 2 of (the last) field 1, or None
    every(data, 13, 2, 1)             # every field 1 of every field 2 of every field 13
    text(data, 3) / signed(data, 2)   # the same, as str / as a signed 64-bit int
    numbers(data, 2)                  # a repeated int64, packed or not

A path is a list of field numbers; every step but the last must be a length-delimited
sub-message. Varints come back as unsigned ints, fixed fields as raw bytes.

Writing::

    field(3, "text") + field(1, message_bytes) + field(2, 15)   # ints are varints
"""

from __future__ import annotations

from typing import List, Optional, Tuple, Union

__all__ = ["every", "field", "fields", "key", "last", "numbers", "signed", "text", "varint"]

VARINT, FIXED64, LEN, GROUP_START, GROUP_END, FIXED32 = range(6)

Value = Union[int, bytes]


def _read_varint(data: bytes, pos: int) -> Tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError(f"bad varint at {pos}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def fields(data: bytes) -> List[Tuple[int, int, Value]]:
    """Every top-level field of a message, in wire order."""
    found: List[Tuple[int, int, Value]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _read_varint(data, pos)
        number, wire = tag >> 3, tag & 7
        value: Value
        if wire == VARINT:
            value, pos = _read_varint(data, pos)
        elif wire == LEN:
            length, pos = _read_varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == FIXED64:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == FIXED32:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire} at {pos}")
        if pos > len(data):
            raise ValueError("field runs past the end")
        found.append((number, wire, value))
    return found


def every(data: bytes, *path: int) -> List[Value]:
    """Every value at ``path``, following every occurrence of each sub-message."""
    current: List[Value] = [data]
    for step, number in enumerate(path):
        found: List[Value] = []
        for message in current:
            if not isinstance(message, bytes):
                raise ValueError(f"step {step} of {path} is not a sub-message")
            found.extend(value for field_number, _, value in fields(message) if field_number == number)
        current = found
    return current


def last(data: bytes, *path: int) -> Optional[Value]:
    """The value at ``path`` as a decoder sees a singular field (the last occurrence), or None."""
    found = every(data, *path)
    return found[-1] if found else None


def text(data: bytes, *path: int) -> str:
    """The string at ``path``, ``""`` when absent."""
    value = last(data, *path)
    assert not isinstance(value, int), f"{path} is a varint"
    return (value or b"").decode("utf-8")


def signed(data: bytes, *path: int, bits: int = 64) -> int:
    """The varint at ``path`` as a signed ``bits``-bit int, 0 when absent."""
    value = last(data, *path)
    assert not isinstance(value, bytes), f"{path} is not a varint"
    value = (value or 0) & ((1 << bits) - 1)
    return value - (1 << bits) if value >> (bits - 1) else value


def numbers(data: bytes, *path: int) -> List[int]:
    """A repeated int64 at ``path`` as signed ints, whether it was written packed or not."""
    found: List[int] = []
    for value in every(data, *path):
        if isinstance(value, int):
            found.append(value)
            continue
        pos = 0
        while pos < len(value):
            number, pos = _read_varint(value, pos)
            found.append(number)
    return [number - (1 << 64) if number >> 63 else number for number in found]


# --------------------------------------------------------------------------- writing


def varint(value: int) -> bytes:
    """A varint; negative numbers as protobuf writes them (ten bytes, two's complement)."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def field(number: int, value: Union[int, bool, str, bytes]) -> bytes:
    """One field: ints and bools as varints, str and bytes as length-delimited."""
    if isinstance(value, (bool, int)):
        return key(number, VARINT) + varint(int(value))
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return key(number, LEN) + varint(len(raw)) + raw
