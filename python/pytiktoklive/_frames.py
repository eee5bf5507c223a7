"""Encode the frames a client sends to the push server.

Three kinds, all binary ``PushFrame`` messages (``proto/webcast/frame.proto``):

* ``im_enter_room`` — once per connection: which room, as an audience member;
* ``hb`` — the WebCast heartbeat, a ``HeartbeatMessage`` with a growing sequence number;
* ``ack`` — for a ``msg`` frame whose fetch result has ``need_ack``: echoes the
  frame's ``log_id`` and carries the result's ``internal_ext`` as payload.

Encoding uses the betterproto2 classes generated from the schema. betterproto2
needs Python 3.10, so on 3.9 the first encode raises a clear error (decoding
still works there, through the Rust core); HTTP polling needs no outbound frames.
"""

from __future__ import annotations

from types import ModuleType

from pytiktoklive.errors import ConnectionFailedError

__all__ = ["ack_frame", "enter_room_frame", "heartbeat_frame", "require_frame_encoder"]

#: ``live_id`` of TikTok LIVE (the web client's constant).
LIVE_ID = 12

_schema: ModuleType | None = None


def require_frame_encoder() -> ModuleType:
    """Return the generated schema module, or raise a clear error where it cannot load."""
    global _schema
    if _schema is None:
        try:
            from pytiktoklive._proto import webcast
        except ImportError as exc:  # betterproto2 is missing: Python 3.9, or not installed
            raise ConnectionFailedError(
                "the websocket transport needs betterproto2 (Python >= 3.10) to encode its frames "
                f"({exc}); upgrade Python, install betterproto2, or track with websocket=False to poll"
            ) from exc
        _schema = webcast
    return _schema


def heartbeat_frame(room_id: int, seq: int) -> bytes:
    """A ``hb`` frame: ``HeartbeatMessage{room_id, send_packet_seq_id=seq}``."""
    pb = require_frame_encoder()
    payload = bytes(pb.HeartbeatMessage(room_id=room_id, send_packet_seq_id=seq))
    return bytes(pb.PushFrame(payload_encoding="pb", payload_type="hb", payload=payload))


def ack_frame(log_id: int, internal_ext: str) -> bytes:
    """An ``ack`` for the ``msg`` frame with ``log_id``; payload: ``internal_ext`` (``"-"`` if empty)."""
    pb = require_frame_encoder()
    payload = (internal_ext or "-").encode("utf-8")
    return bytes(pb.PushFrame(log_id=log_id, payload_encoding="pb", payload_type="ack", payload=payload))


def enter_room_frame(room_id: int) -> bytes:
    """An ``im_enter_room`` frame: join ``room_id`` as an anonymous audience member."""
    pb = require_frame_encoder()
    payload = bytes(
        pb.ImEnterRoomMessage(
            room_id=room_id,
            live_id=LIVE_ID,
            identity="audience",
            filter_welcome_msg="0",
        )
    )
    return bytes(pb.PushFrame(payload_encoding="pb", payload_type="im_enter_room", payload=payload))
