"""Raw-protocol helpers for tests and benchmarks that talk to the simulator without the client.

They speak the wire protocol directly (httpx and websockets), the way
TikTok's web client does::

    async with httpx.AsyncClient() as http:
        result = await fetch(http, sim, room)            # the first im/fetch, decoded
        async with connect_push(result, room) as ws:     # the push server, resuming there
            frame = decode_frame(await ws.recv())
            await ws.send(ack_frame(frame.log_id, frame.internal_ext))
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any, Dict, Optional

import httpx
from websockets.asyncio.client import connect

from pytiktoklive.decoding import FetchResult, decode_fetch_result
from pytiktoklive.simulator.proto import pb
from pytiktoklive.simulator.rooms import SimRoom
from pytiktoklive.simulator.server import Simulator

__all__ = [
    "ack_frame",
    "connect_push",
    "enter_room_frame",
    "fetch",
    "heartbeat_frame",
    "page_data",
    "push_url",
]


async def fetch(
    http: httpx.AsyncClient, sim: Simulator, room: SimRoom, *, cursor: str = "", internal_ext: str = ""
) -> FetchResult:
    """One ``im/fetch`` of ``room`` (from ``cursor`` when given), decoded."""
    params: Dict[str, str] = {"room_id": str(room.room_id), "aid": "1988", "resp_content_type": "protobuf"}
    if cursor:
        params["cursor"] = cursor
    if internal_ext:
        params["internal_ext"] = internal_ext
    answer = await http.get(sim.endpoints.webcast + "/im/fetch/", params=params)
    answer.raise_for_status()
    return decode_fetch_result(answer.content)


def push_url(
    result: FetchResult, room: SimRoom, *, compress: bool = True, cursor: Optional[str] = None
) -> str:
    """The websocket URL a web client builds from a fetch result: push server, route params, resume point."""
    query = dict(result.route_params)
    query.update({"room_id": str(room.room_id), "cursor": result.cursor if cursor is None else cursor})
    if result.internal_ext:
        query["internal_ext"] = result.internal_ext
    if compress:
        query["compress"] = "gzip"
    return result.push_server + "?" + urllib.parse.urlencode(query)


def connect_push(result: FetchResult, room: SimRoom, *, compress: bool = True, **options: object) -> connect:
    """``async with connect_push(result, room) as ws``: open the push server like the web client."""
    return connect(
        push_url(result, room, compress=compress),
        subprotocols=["echo-protocol"],  # type: ignore[list-item]  # websockets' Subprotocol is a NewType
        ping_interval=None,
        **options,  # type: ignore[arg-type]
    )


def heartbeat_frame(room_id: int, seq: int = 1) -> bytes:
    payload = bytes(pb.HeartbeatMessage(room_id=room_id, send_packet_seq_id=seq))
    return bytes(pb.PushFrame(payload_encoding="pb", payload_type="hb", payload=payload))


def ack_frame(log_id: int, internal_ext: str) -> bytes:
    payload = (internal_ext or "-").encode()
    return bytes(pb.PushFrame(log_id=log_id, payload_encoding="pb", payload_type="ack", payload=payload))


def enter_room_frame(room_id: int) -> bytes:
    payload = bytes(
        pb.ImEnterRoomMessage(room_id=room_id, live_id=12, identity="audience", filter_welcome_msg="0")
    )
    return bytes(pb.PushFrame(payload_encoding="pb", payload_type="im_enter_room", payload=payload))


def page_data(html: str, script_id: str) -> Any:
    """The JSON a TikTok page carries in ``<script id="{script_id}">`` (``SIGI_STATE``,
    ``__UNIVERSAL_DATA_FOR_REHYDRATION__``); None when the page has no such script."""
    match = re.search(rf'<script id="{re.escape(script_id)}"[^>]*>(.*?)</script>', html, re.DOTALL)
    return json.loads(match.group(1)) if match else None
