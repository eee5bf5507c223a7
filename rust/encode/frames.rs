//! The frames a client sends to the push server, each a binary `PushFrame`:
//!
//! * `im_enter_room`: once per connection, join a room as an anonymous audience member;
//! * `hb`: the WebCast heartbeat, a `HeartbeatMessage` with a growing sequence number;
//! * `ack`: for a `msg` frame whose fetch result has `need_ack`, echoing the frame's
//!   `log_id`, with the fetch result's `internal_ext` as payload (`"-"` when it is empty).

use bytes::Bytes;
use prost::Message as _;

use crate::webcast::{HeartbeatMessage, ImEnterRoomMessage, PushFrame};

/// `payload_encoding` of every frame: protobuf.
const PB: &str = "pb";

fn frame(payload_type: &str, log_id: i64, payload: Vec<u8>) -> Vec<u8> {
    PushFrame {
        log_id,
        payload_encoding: PB.to_owned(),
        payload_type: payload_type.to_owned(),
        payload: Bytes::from(payload),
        ..PushFrame::default()
    }
    .encode_to_vec()
}

/// A `hb` frame: `HeartbeatMessage{room_id, send_packet_seq_id: seq}`.
pub fn heartbeat_frame(room_id: i64, seq: i64) -> Vec<u8> {
    let payload = HeartbeatMessage {
        room_id,
        send_packet_seq_id: seq,
    }
    .encode_to_vec();
    frame("hb", 0, payload)
}

/// An `ack` for the `msg` frame with `log_id`; its payload is `internal_ext` (`"-"` if empty).
pub fn ack_frame(log_id: i64, internal_ext: &str) -> Vec<u8> {
    let ext = if internal_ext.is_empty() { "-" } else { internal_ext };
    frame("ack", log_id, ext.as_bytes().to_vec())
}

/// An `im_enter_room` frame: join `room_id` of LIVE `live_id` as an anonymous audience member.
pub fn enter_room_frame(room_id: i64, live_id: i64) -> Vec<u8> {
    let payload = ImEnterRoomMessage {
        room_id,
        live_id,
        identity: "audience".to_owned(),
        filter_welcome_msg: "0".to_owned(),
        ..ImEnterRoomMessage::default()
    }
    .encode_to_vec();
    frame("im_enter_room", 0, payload)
}
