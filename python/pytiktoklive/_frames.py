"""Encode the frames a client sends to the push server.

Three kinds, all binary ``PushFrame`` messages (``proto/webcast/frame.proto``):

* ``im_enter_room`` — once per connection: which room, as an audience member;
* ``hb`` — the WebCast heartbeat, a ``HeartbeatMessage`` with a growing sequence number;
* ``ack`` — for a ``msg`` frame whose fetch result has ``need_ack``: echoes the
  frame's ``log_id`` and carries the result's ``internal_ext`` as payload.

The Rust core encodes them (prost, ``rust/encode/frames.rs``): no Python protobuf
library is involved, so the websocket transport works wherever the wheel installs
(Python 3.9 included).
"""

from __future__ import annotations

from pytiktoklive import _core

__all__ = ["LIVE_ID", "ack_frame", "enter_room_frame", "heartbeat_frame"]

#: ``live_id`` of TikTok LIVE (the web client's constant).
LIVE_ID = 12


def heartbeat_frame(room_id: int, seq: int) -> bytes:
    """A ``hb`` frame: ``HeartbeatMessage{room_id, send_packet_seq_id=seq}``."""
    return _core.encode_heartbeat_frame(room_id, seq)


def ack_frame(log_id: int, internal_ext: str) -> bytes:
    """An ``ack`` for the ``msg`` frame with ``log_id``; payload: ``internal_ext`` (``"-"`` if empty)."""
    return _core.encode_ack_frame(log_id, internal_ext)


def enter_room_frame(room_id: int) -> bytes:
    """An ``im_enter_room`` frame: join ``room_id`` as an anonymous audience member."""
    return _core.encode_enter_room_frame(room_id, LIVE_ID)
