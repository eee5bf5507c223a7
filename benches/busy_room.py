"""Websocket frames of a busy TikTok LIVE room, built from real captured messages.

Every decoder benchmark decodes the same bytes: ``PushFrame`` (gzip) → ``FetchResult`` →
room messages whose payloads are real ones from ``../shared/captures`` (the event-collector
dumps; set ``PYTIKTOKLIVE_CAPTURES`` for another copy). Only the envelopes are made here.

This module uses the standard library only, so the same frames are built, byte for byte,
in the project's venv and in the separate venv that holds TikTokLive (whose pinned
betterproto2 cannot share a process with ours). :func:`frames_digest` proves it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
CAPTURES = Path(os.environ.get("PYTIKTOKLIVE_CAPTURES") or REPO.parent / "shared" / "captures")
_COLLECTOR_GLOB = "jwdeveloper_TikTokLiveJava/**/Tools-EventsCollector/src/main/resources/*.json"

#: A busy room's traffic: relative weights of the message types in a frame. Chats, likes and
#: joins dominate; gifts come in streaks; the viewer count with its top-viewer ranks is the
#: largest message.
MIX = {
    "WebcastChatMessage": 28,
    "WebcastLikeMessage": 24,
    "WebcastMemberMessage": 20,
    "WebcastGiftMessage": 14,
    "WebcastSocialMessage": 8,
    "WebcastRoomUserSeqMessage": 6,
}
FRAMES = 64
MESSAGES_PER_FRAME = 30
SEED = 6


@dataclass(frozen=True)
class FrameSet:
    """The frames one benchmark round decodes, and what they hold."""

    frames: Tuple[bytes, ...]
    messages: int  # room messages in all frames
    methods: Dict[str, int]  # messages per method
    wire_bytes: int  # bytes of the frames as they arrive on the websocket (gzip)
    inflated_bytes: int  # bytes of their FetchResults after gunzip

    @property
    def digest(self) -> str:
        return frames_digest(self.frames)


def frames_digest(frames: Tuple[bytes, ...]) -> str:
    hasher = hashlib.sha256()
    for frame in frames:
        hasher.update(len(frame).to_bytes(4, "big") + frame)
    return hasher.hexdigest()[:16]


def _collector_files() -> List[Path]:
    return sorted(CAPTURES.glob(_COLLECTOR_GLOB))


def captured_messages() -> Optional[Dict[str, List[bytes]]]:
    """Each unique captured payload of the :data:`MIX` methods, by method; None without captures."""
    files = _collector_files()
    if not files:
        return None
    found: Dict[str, List[bytes]] = {method: [] for method in MIX}
    seen = set()
    for file in files:
        for method, records in json.loads(file.read_text(encoding="utf-8")).items():
            if method not in found:
                continue
            for record in records:
                payload = base64.b64decode(record["eventData"], validate=True)
                if payload not in seen:
                    seen.add(payload)
                    found[method].append(payload)
    return found


# --------------------------------------------------------------------- protobuf wire format


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 as ten bytes, as protobuf does
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value) if value else b""


def _bytes(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _str(number: int, value: str) -> bytes:
    return _bytes(number, value.encode("utf-8")) if value else b""


def build_frames(
    messages: Dict[str, List[bytes]],
    *,
    frames: int = FRAMES,
    per_frame: int = MESSAGES_PER_FRAME,
    seed: int = SEED,
) -> FrameSet:
    """``frames`` gzip ``msg`` frames of ``per_frame`` messages each, drawn by :data:`MIX`.

    Deterministic for the same captures and arguments (fixed seed, gzip ``mtime`` 0).
    """
    rng = random.Random(seed)
    methods = [method for method in MIX if messages.get(method)]
    weights = [MIX[method] for method in methods]
    next_index = dict.fromkeys(methods, 0)
    counts = dict.fromkeys(methods, 0)
    msg_id = 7_270_000_000_000_000_000
    now_ms = 1_700_000_000_000
    out: List[bytes] = []
    inflated = 0
    for number in range(frames):
        envelopes = bytearray()
        for method in rng.choices(methods, weights, k=per_frame):
            pool = messages[method]
            payload = pool[next_index[method] % len(pool)]  # cycle through every real message
            next_index[method] += 1
            counts[method] += 1
            msg_id += 1
            envelopes += _bytes(1, _str(1, method) + _bytes(2, payload) + _int(3, msg_id))
        now_ms += 1000
        cursor = f"{now_ms}_{7_267_603_020_139_989_890 + number}_1_1_0_0"
        result = (
            bytes(envelopes)
            + _str(2, cursor)
            + _int(3, 1000)
            + _int(4, now_ms)
            + _str(5, f"fetch_time:{now_ms}|start_time:0|ack_ids:,|flag:0|seq:{number}|next_cursor:{cursor}")
            + _int(8, 15)
            + _int(9, 1)
        )
        inflated += len(result)
        frame = (
            _int(1, number + 1)
            + _int(2, 7_100_000_000_000_000_000 + number)
            + _int(3, 8888)
            + _int(4, 8)
            + _bytes(5, _str(1, "compress_type") + _str(2, "gzip"))
            + _str(6, "pb")
            + _str(7, "msg")
            + _bytes(8, gzip.compress(result, compresslevel=6, mtime=0))
        )
        out.append(frame)
    return FrameSet(
        frames=tuple(out),
        messages=frames * per_frame,
        methods=counts,
        wire_bytes=sum(map(len, out)),
        inflated_bytes=inflated,
    )
