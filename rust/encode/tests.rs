use prost::Message as _;

use super::frames::{ack_frame, enter_room_frame, heartbeat_frame};
use super::schema::{schema, Scalar, Shape, ValueType};
use super::wire::{prefix_length, put_varint, zigzag};
use crate::webcast::{HeartbeatMessage, ImEnterRoomMessage, PushFrame};

#[test]
fn heartbeat_frame_carries_room_and_sequence() {
    let frame = PushFrame::decode(heartbeat_frame(7_300_000_000_000_000_123, 42).as_slice()).unwrap();
    assert_eq!(
        (frame.payload_type.as_str(), frame.payload_encoding.as_str()),
        ("hb", "pb")
    );
    let beat = HeartbeatMessage::decode(frame.payload).unwrap();
    assert_eq!((beat.room_id, beat.send_packet_seq_id), (7_300_000_000_000_000_123, 42));
}

#[test]
fn ack_frame_echoes_log_id_and_internal_ext() {
    let frame = PushFrame::decode(ack_frame(-5, "fetch_time:1|seq:2").as_slice()).unwrap();
    assert_eq!((frame.log_id, frame.payload_type.as_str()), (-5, "ack"));
    assert_eq!(&frame.payload[..], b"fetch_time:1|seq:2");
    let empty = PushFrame::decode(ack_frame(9, "").as_slice()).unwrap();
    assert_eq!(&empty.payload[..], b"-");
}

#[test]
fn enter_room_frame_joins_as_audience() {
    let frame = PushFrame::decode(enter_room_frame(77, 12).as_slice()).unwrap();
    assert_eq!(frame.payload_type, "im_enter_room");
    let enter = ImEnterRoomMessage::decode(frame.payload).unwrap();
    assert_eq!((enter.room_id, enter.live_id), (77, 12));
    assert_eq!(
        (enter.identity.as_str(), enter.filter_welcome_msg.as_str()),
        ("audience", "0")
    );
}

#[test]
fn schema_has_every_message_with_its_fields() {
    let schema = schema();
    let frame = &schema.messages[schema.find("PushFrame").unwrap()];
    let numbers: Vec<(&str, u32)> = frame.fields.iter().map(|f| (f.name.as_str(), f.number)).collect();
    assert_eq!(numbers[..3], [("seq_id", 1), ("log_id", 2), ("service", 3)]);
    let headers = &frame.fields[4];
    assert_eq!(headers.shape, Shape::Repeated { packed: false });
    assert_eq!(headers.value, ValueType::Message(schema.find("PushHeader").unwrap()));

    let fetch = &schema.messages[schema.find("FetchResult").unwrap()];
    let routes = fetch.fields.iter().find(|f| f.name == "route_params").unwrap();
    assert_eq!(
        routes.shape,
        Shape::Map {
            key: Scalar::String,
            value: ValueType::Scalar(Scalar::String)
        }
    );
    assert!(schema.find("ChatMessage").is_some() && schema.find("NoSuchMessage").is_none());
    assert!(schema.top_level_names().all(|name| !name.contains('.')));
    assert!(schema.top_level_names().count() >= 70);
}

#[test]
fn wire_primitives() {
    let mut buf = Vec::new();
    put_varint(&mut buf, 300);
    assert_eq!(buf, [0xac, 0x02]);
    assert_eq!(
        (zigzag(0), zigzag(-1), zigzag(1), zigzag(i64::MIN)),
        (0, 1, 2, u64::MAX)
    );
    let mut nested = vec![0x0a];
    nested.extend(std::iter::repeat_n(7_u8, 200));
    prefix_length(&mut nested, 1);
    assert_eq!(nested[..3], [0x0a, 0xc8, 0x01]);
    assert_eq!(nested.len(), 203);
}
