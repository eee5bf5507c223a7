"""Write the fuzzers' seed corpora: real captures (when present) and a few synthetic frames.

The synthetic ones include decode bombs just past the codec's default limits (10,001 empty
messages, a user with 10,001 badges, 100,000+ objects in one frame, 10,001 frame headers;
each a few hundred bytes of gzip) and the bad UTF-8 a batch must survive (a method, a cursor).

    python3 fuzz/seeds.py OUT_DIR

writes ``OUT_DIR/decode_frame/*`` and ``OUT_DIR/decode_fetch_result/*``. The captures are
read from ``$PYTIKTOKLIVE_CAPTURES``, else ``<repo>/../shared/captures``, and are never
copied into the repository: the corpora live under ``fuzz/corpus/`` (ignored by git).
Standard library only, so it runs before any virtualenv exists.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

REPO = Path(__file__).resolve().parents[1]
JW = "jwdeveloper_TikTokLiveJava"
REPAIRED_FRAME = "_repaired/WebcastWebsocketMessage.repaired.bin"
PUSH_FRAME_PAYLOAD = 8  # PushFrame.payload
GZIP_HEADER = (b"compress_type", b"gzip")


# -------------------------------------------------------------- protobuf wire format


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values are ten-byte varints
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def number_field(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def bytes_field(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value


def length_delimited_fields(data: bytes) -> Iterator[Tuple[int, bytes]]:
    """The length-delimited top-level fields of a valid message, as ``(number, value)``."""
    pos = 0

    def read_varint() -> int:
        nonlocal pos
        shift = result = 0
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while pos < len(data):
        key = read_varint()
        wire_type = key & 7
        if wire_type == 0:
            read_varint()
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        elif wire_type == 2:
            size = read_varint()
            yield key >> 3, data[pos : pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported wire type {wire_type}")


# -------------------------------------------------------------- WebCast messages


def envelope(method: str, payload: bytes, msg_id: int) -> bytes:
    """A ``Message``: method (1), payload (2), msg_id (3)."""
    return bytes_field(1, method.encode()) + bytes_field(2, payload) + number_field(3, msg_id)


def fetch_result(messages: List[bytes], cursor: str = "c", need_ack: bool = True) -> bytes:
    """A ``FetchResult``: messages (1), cursor (2), fetch_interval (3), need_ack (9)."""
    body = b"".join(bytes_field(1, message) for message in messages)
    return body + bytes_field(2, cursor.encode()) + number_field(3, 1000) + number_field(9, int(need_ack))


def push_frame(payload: bytes, *, payload_type: str = "msg", gzip_header: bool = False) -> bytes:
    """A ``PushFrame``: seq_id (1), log_id (2), headers (5), payload_type (7), payload (8)."""
    header = bytes_field(1, GZIP_HEADER[0]) + bytes_field(2, GZIP_HEADER[1])
    headers = bytes_field(5, header) if gzip_header else b""
    return (
        number_field(1, 1)
        + number_field(2, 2)
        + headers
        + bytes_field(7, payload_type.encode())
        + bytes_field(PUSH_FRAME_PAYLOAD, payload)
    )


# -------------------------------------------------------------- decode bombs and bad UTF-8

#: The codec's default limits (rust/codec/budget.rs, pytiktoklive.decoding).
MAX_MESSAGES = MAX_REPEATED = 10_000
MAX_OBJECTS = 100_000


def chat_with_badges(count: int) -> bytes:
    """A ``ChatMessage`` whose user (2) has ``count`` empty badges (``User.badge_list``, 64)."""
    return bytes_field(2, bytes_field(64, b"") * count)


def limit_seeds() -> List[bytes]:
    """Fetch results (not gzipped) one step past each limit, and with bad UTF-8."""
    over_objects = MAX_OBJECTS // MAX_REPEATED + 1
    return [
        bytes_field(1, b"") * (MAX_MESSAGES + 1),
        fetch_result([envelope("WebcastChatMessage", chat_with_badges(MAX_REPEATED + 1), 1)]),
        fetch_result(
            [envelope("WebcastChatMessage", chat_with_badges(MAX_REPEATED), n) for n in range(over_objects)]
        ),
        # A method that is not UTF-8 (skips one message) and a cursor that is not (replaced).
        bytes_field(1, bytes_field(1, b"Webcast\xffChat") + bytes_field(2, b"") + number_field(3, 7))
        + bytes_field(2, b"17\xff0"),
    ]


# -------------------------------------------------------------- seeds


def captures_root() -> Path:
    """The full capture set when present, else the sample shipped in the package (same layout)."""
    full = Path(os.environ.get("PYTIKTOKLIVE_CAPTURES", REPO.parent / "shared" / "captures")) / JW
    return full if full.is_dir() else REPO / "python" / "pytiktoklive" / "sample_captures" / JW


def one_message_per_method(root: Path) -> Dict[str, bytes]:
    """The first captured payload of every method in the event-collector dumps."""
    found: Dict[str, bytes] = {}
    for file in sorted(root.glob("**/Tools-EventsCollector/src/main/resources/*.json")):
        for method, records in json.loads(file.read_text(encoding="utf-8")).items():
            if records and method not in found:
                found[method] = base64.b64decode(records[0]["eventData"])
    return found


def seeds() -> Tuple[List[bytes], List[bytes]]:
    """``(frames, fetch_results)``."""
    results = [b"", fetch_result([]), fetch_result([envelope("WebcastChatMessage", b"\x0a\x00", 1)])]
    frames = [
        b"",
        push_frame(b"", payload_type="hb"),
        push_frame(gzip.compress(results[-1]), gzip_header=True),
    ]
    for body in limit_seeds():
        packed = gzip.compress(body, compresslevel=9)
        results.append(packed)
        frames.append(push_frame(packed, gzip_header=True))
    header = bytes_field(1, b"k") + bytes_field(2, b"v")
    frames.append(bytes_field(5, header) * (MAX_REPEATED + 1) + push_frame(b""))
    root = captures_root()
    frame_file = root / REPAIRED_FRAME
    if frame_file.is_file():
        frame = frame_file.read_bytes()
        payload = dict(length_delimited_fields(frame))[PUSH_FRAME_PAYLOAD]
        frames += [frame, push_frame(gzip.compress(payload), gzip_header=True)]
        results += [payload, gzip.compress(payload)]
    for index, (method, payload) in enumerate(sorted(one_message_per_method(root).items())):
        result = fetch_result([envelope(method, payload, index + 1)])
        results.append(result)
        frames.append(push_frame(result))
    return frames, results


def write(directory: Path, corpus: List[bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for data in corpus:
        (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "fuzz" / "corpus"
    frames, results = seeds()
    write(out / "decode_frame", frames)
    write(out / "decode_fetch_result", results)
    print(f"seeds: {len(frames)} frames, {len(results)} fetch results in {out}")


if __name__ == "__main__":
    main()
