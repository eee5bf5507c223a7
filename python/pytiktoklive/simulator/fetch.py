"""Encoding of what the push server and ``im/fetch`` send: fetch results and PushFrames.

A fetch result is the room's messages plus the transport state (cursor,
``internal_ext``, ``fetch_interval``, ``now``, ``route_params``,
``push_server``, ``need_ack``, ``heartbeat_duration``, ``is_first``). The
messages are already encoded in the room's log, so they are written as
length-delimited field-1 entries next to the encoded header fields — the
same bytes the schema classes would produce, without encoding every message
again for every client.

A ``msg`` PushFrame wraps a fetch result, gzip-compressed when the client
asked for it (header ``compress_type``), with the field values of real frames
(``service`` 8888, ``method`` 8, ``payload_encoding`` "pb").
"""

from __future__ import annotations

import gzip
from typing import Dict, Optional, Sequence

from pytiktoklive.simulator.proto import pb
from pytiktoklive.simulator.rooms import LoggedMessage

__all__ = ["encode_fetch_result", "encode_push_frame", "length_delimited"]

# Field values of real server frames (a captured PushFrame: service 8888, method 8).
_SERVICE = 8888
_METHOD = 8


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(number: int, data: bytes) -> bytes:
    """One length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def encode_fetch_result(
    entries: Sequence[LoggedMessage],
    *,
    cursor: str,
    internal_ext: str,
    now_ms: int,
    fetch_interval_ms: int,
    heartbeat_duration: int,
    push_server: str = "",
    route_params: Dict[str, str] | None = None,
    need_ack: bool = False,
    is_first: bool = False,
    fetch_type: Optional[int] = None,
) -> bytes:
    """A ``FetchResult``: the log entries as ``messages``, then the transport state.

    ``fetch_type`` defaults to what ``im/fetch`` answers: 1 when a push server is
    offered, 2 for polling only (research §3.3). Push frames pass 0: the real
    captured frame carries no ``fetch_type``."""
    if fetch_type is None:
        fetch_type = 1 if push_server else 2
    header = pb.FetchResult(
        cursor=cursor,
        fetch_interval=fetch_interval_ms,
        now=now_ms,
        internal_ext=internal_ext,
        fetch_type=fetch_type,
        route_params=dict(route_params or {}),
        heartbeat_duration=heartbeat_duration,
        need_ack=need_ack,
        push_server=push_server,
        is_first=is_first,
    )
    return b"".join(length_delimited(1, entry.envelope) for entry in entries) + bytes(header)


def encode_push_frame(
    payload: bytes,
    *,
    log_id: int,
    seq_id: int,
    payload_type: str = "msg",
    compress: bool = False,
    cursor: str = "",
    truncate_gzip: bool = False,
) -> bytes:
    """A server PushFrame; ``compress`` gzips the payload and says so in ``compress_type``.

    ``truncate_gzip`` (a fault; implies ``compress``): the frame is a valid PushFrame, but its
    gzip payload stops halfway.
    """
    compress = compress or truncate_gzip
    body = gzip.compress(payload, compresslevel=5, mtime=0) if compress else payload
    if truncate_gzip:
        body = body[: len(body) // 2]
    headers = [pb.PushHeader(key="compress_type", value="gzip" if compress else "none")]
    if cursor:
        headers.append(pb.PushHeader(key="im_cursor", value=cursor))
    return bytes(
        pb.PushFrame(
            seq_id=seq_id,
            log_id=log_id,
            service=_SERVICE,
            method=_METHOD,
            headers=headers,
            payload_encoding="pb",
            payload_type=payload_type,
            payload=body,
        )
    )
