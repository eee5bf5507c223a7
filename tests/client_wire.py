"""Byte builders for the client's tests: WebCast frames and fetch results made from the schema.

Only what the client tests need: room messages with ids, fetch results with
transport state, PushFrames (optionally gzip), and readers for the frames a
client sends.
"""

from __future__ import annotations

import gzip
from typing import Dict, Iterable, Optional, Sequence

from pytiktoklive._proto import webcast as pb


def chat(msg_id: int, text: str = "hi", *, room_id: int = 1, user_id: int = 7) -> pb.Message:
    payload = pb.ChatMessage(
        common=pb.Common(
            method="WebcastChatMessage", msg_id=msg_id, room_id=room_id, create_time=1_700_000_000_000
        ),
        user=pb.User(id=user_id, nickname=f"user{user_id}", display_id=f"user{user_id}"),
        content=text,
    )
    return pb.Message(method="WebcastChatMessage", payload=bytes(payload), msg_id=msg_id)


def gift(
    msg_id: int,
    *,
    gift_id: int = 5655,
    repeat_count: int = 1,
    repeat_end: bool = False,
    gift_type: int = 1,
    user_id: int = 7,
    group_id: int = 1,
    cost: int = 1,
) -> pb.Message:
    payload = pb.GiftMessage(
        common=pb.Common(method="WebcastGiftMessage", msg_id=msg_id, room_id=1),
        gift_id=gift_id,
        repeat_count=repeat_count,
        repeat_end=1 if repeat_end else 0,
        group_id=group_id,
        user=pb.User(id=user_id, nickname=f"user{user_id}"),
        gift=pb.GiftStruct(id=gift_id, name="Rose", type=gift_type, diamond_count=cost),
    )
    return pb.Message(method="WebcastGiftMessage", payload=bytes(payload), msg_id=msg_id)


def control(msg_id: int, action: int = 3) -> pb.Message:
    payload = pb.ControlMessage(
        common=pb.Common(method="WebcastControlMessage", msg_id=msg_id), action=action
    )
    return pb.Message(method="WebcastControlMessage", payload=bytes(payload), msg_id=msg_id)


def unknown(msg_id: int, method: str = "WebcastSomethingNewMessage") -> pb.Message:
    return pb.Message(method=method, payload=b"\x08\x01", msg_id=msg_id)


def fetch_result(
    messages: Iterable[pb.Message] = (),
    *,
    cursor: str = "",
    internal_ext: str = "",
    need_ack: bool = False,
    push_server: str = "",
    route_params: Optional[Dict[str, str]] = None,
    fetch_interval: int = 0,
    heartbeat_duration: int = 0,
) -> bytes:
    return bytes(
        pb.FetchResult(
            messages=list(messages),
            cursor=cursor,
            internal_ext=internal_ext,
            need_ack=need_ack,
            push_server=push_server,
            route_params=route_params or {},
            fetch_interval=fetch_interval,
            heartbeat_duration=heartbeat_duration,
        )
    )


def push_frame(result: bytes, *, log_id: int = 0, compress: bool = False, payload_type: str = "msg") -> bytes:
    headers = [pb.PushHeader(key="compress_type", value="gzip")] if compress else []
    payload = gzip.compress(result) if compress else result
    return bytes(
        pb.PushFrame(
            log_id=log_id, payload_type=payload_type, payload_encoding="pb", headers=headers, payload=payload
        )
    )


def read_frame(data: bytes) -> pb.PushFrame:
    return pb.PushFrame.parse(data)


def frame_types(frames: Sequence[bytes]) -> list[str]:
    return [read_frame(frame).payload_type for frame in frames]
