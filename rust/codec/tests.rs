//! Codec tests: plain Rust, no Python. Tests that read the real captures use the full set
//! (`shared/captures`) when present, else the sample shipped in the package.

use std::path::PathBuf;

use bytes::Bytes;
use prost::Message as _;

use super::model::{DecimalInt, EventBody, MethodName, UserEventType};
use super::*;
use crate::webcast as pb;

// ------------------------------------------------------------------ helpers

/// `$PYTIKTOKLIVE_CAPTURES`, else `<repo>/../shared/captures`, when it holds the captures;
/// else the sample shipped in the package (the same layout, the same real frames).
fn captures_dir() -> Option<PathBuf> {
    let full = std::env::var_os("PYTIKTOKLIVE_CAPTURES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/captures"),
        PathBuf::from,
    );
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/pytiktoklive/sample_captures");
    [full, sample]
        .into_iter()
        .find(|dir| dir.join("jwdeveloper_TikTokLiveJava").is_dir())
}

fn capture(relative: &str) -> Option<Vec<u8>> {
    let path = captures_dir()?.join("jwdeveloper_TikTokLiveJava").join(relative);
    let Ok(data) = std::fs::read(&path) else {
        eprintln!("skipped: capture {} is absent", path.display());
        return None;
    };
    Some(data)
}

/// `convert::user` of a full `User`, through its bytes (the codec reads the read view).
fn read_user(user: &pb::User) -> model::User {
    let bytes = user.encode_to_vec();
    convert::user(crate::webcast_read::User::decode(bytes.as_slice()).expect("a User encodes"))
}

fn common(method: &str, msg_id: i64) -> pb::Common {
    pb::Common {
        method: method.to_owned(),
        msg_id,
        room_id: 7,
        create_time: 1_700_000_000_000,
        ..Default::default()
    }
}

fn text(key: &str, pattern: &str) -> pb::Text {
    pb::Text {
        key: key.to_owned(),
        default_pattern: pattern.to_owned(),
        ..Default::default()
    }
}

fn image(urls: &[&str]) -> pb::Image {
    pb::Image {
        url_list: urls.iter().map(|&url| url.to_owned()).collect(),
        ..Default::default()
    }
}

fn envelope(method: &str, payload: Vec<u8>, msg_id: i64) -> pb::Message {
    pb::Message {
        method: method.to_owned(),
        payload: payload.into(),
        msg_id,
        ..Default::default()
    }
}

fn fetch_result(messages: Vec<pb::Message>) -> pb::FetchResult {
    pb::FetchResult {
        messages,
        cursor: "c1".to_owned(),
        fetch_interval: 1000,
        now: 42,
        internal_ext: "ext".to_owned(),
        route_params: [("b".to_owned(), "2".to_owned()), ("a".to_owned(), "1".to_owned())].into(),
        need_ack: true,
        push_server: "wss://push".to_owned(),
        heartbeat_duration: 10_000,
        is_first: true,
        ..Default::default()
    }
}

fn push_frame(payload: Vec<u8>, compress: Option<&str>) -> Vec<u8> {
    let headers = compress
        .map(|value| pb::PushHeader {
            key: "compress_type".to_owned(),
            value: value.to_owned(),
        })
        .into_iter()
        .collect();
    pb::PushFrame {
        seq_id: 3,
        log_id: 99,
        payload_type: "msg".to_owned(),
        payload_encoding: "pb".to_owned(),
        headers,
        payload: payload.into(),
        ..Default::default()
    }
    .encode_to_vec()
}

fn like_payload(count: i32) -> Vec<u8> {
    pb::LikeMessage {
        common: Some(common("WebcastLikeMessage", 11)),
        count,
        total: 100,
        user: Some(pb::User {
            id: 5,
            nickname: "n".to_owned(),
            display_id: "d".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

fn one(method: &str, payload: &[u8]) -> Event {
    decode_message(method, payload, 1).expect("the message decodes")
}

/// A tiny deterministic generator for garbage inputs.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next().to_le_bytes()[0]).collect()
    }
}

// ------------------------------------------------------------------ real captures

#[test]
fn repaired_real_push_frame_decodes() {
    let Some(data) = capture("_repaired/WebcastWebsocketMessage.repaired.bin") else {
        return;
    };
    let batch = decode_frame(&data, 1 << 20).expect("the repaired frame decodes");
    assert_eq!(batch.payload_type, "msg");
    assert_eq!((batch.log_id, batch.seq_id), (5_092_463_814_493_970_448, 9));
    assert_eq!(batch.cursor, "1692120689751_7267603020139989890_1_1_0_0");
    assert_eq!((batch.fetch_interval, batch.now), (4200, 1_692_120_689_751));
    assert_eq!(batch.internal_ext, "-");
    assert!(batch.need_ack);
    assert_eq!(batch.heartbeat_duration, 15);
    assert!(batch.skipped.is_empty());
    assert_eq!(batch.events.len(), 1);

    let event = &batch.events[0];
    assert_eq!(event.method, MethodName::Known(Method::Like));
    assert_eq!(event.method.as_str(), "WebcastLikeMessage");
    let EventBody::Like(like) = &event.body else {
        panic!("not a like: {event:?}")
    };
    assert_eq!((like.likes, like.total_likes), (15, 14470));
    let user = like.user.as_ref().expect("the like has a user");
    assert_eq!(user.nickname, "hulajnoga czek");
    assert_eq!(user.username, "hulajnoga.czek5");
    assert!(event.msg_id != 0 && event.room_id != 0 && event.create_time != 0);
}

#[test]
fn corrupted_real_push_frame_is_an_error() {
    let Some(data) = capture("Client/src/test/resources/WebcastWebsocketMessage.bin") else {
        return;
    };
    let error = decode_frame(&data, 1 << 20).expect_err("the corrupted frame must not decode");
    let text = error.to_string();
    assert!(text.starts_with("malformed "), "{text}");
}

// ------------------------------------------------------------------ frames

#[test]
fn plain_frame_round_trip() {
    let payload = fetch_result(vec![envelope("WebcastLikeMessage", like_payload(3), 11)]).encode_to_vec();
    let batch = decode_frame(&push_frame(payload, Some("none")), 1 << 20).unwrap();
    assert_eq!(
        (batch.payload_type.as_str(), batch.log_id, batch.seq_id),
        ("msg", 99, 3)
    );
    assert_eq!(batch.cursor, "c1");
    assert_eq!(batch.internal_ext, "ext");
    assert!(batch.need_ack && batch.is_first);
    assert_eq!(
        (batch.fetch_interval, batch.now, batch.heartbeat_duration),
        (1000, 42, 10_000)
    );
    assert_eq!(batch.push_server, "wss://push");
    assert_eq!(
        batch.route_params,
        [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]
    );
    assert_eq!(batch.events.len(), 1);
    let EventBody::Like(like) = &batch.events[0].body else {
        panic!()
    };
    assert_eq!(like.likes, 3);
}

#[test]
fn gzip_frames_round_trip_by_header_and_by_magic() {
    let payload = fetch_result(vec![envelope("WebcastLikeMessage", like_payload(4), 11)]).encode_to_vec();
    let packed = gzip::compress(&payload);
    let plain = decode_frame(&push_frame(payload.clone(), None), 1 << 20).unwrap();
    for compress in [Some("gzip"), None, Some("none")] {
        let batch = decode_frame(&push_frame(packed.clone(), compress), 1 << 20).unwrap();
        assert_eq!(batch, plain, "compress_type {compress:?}");
    }
    // Fetch results (HTTP polling) are gunzipped by magic.
    let fetched = decode_fetch_result(&packed, 1 << 20).unwrap();
    assert_eq!(fetched.events, plain.events);
    assert_eq!(
        (fetched.payload_type.as_str(), fetched.log_id, fetched.seq_id),
        ("msg", 0, 0)
    );
    assert_eq!(decode_fetch_result(&payload, 1 << 20).unwrap(), fetched);
}

#[test]
fn the_last_payload_of_a_frame_counts() {
    // A singular field given twice: the last value wins (prost's rule, and the pure reader's);
    // the payload is read from the frame's bytes, after the other fields, wherever it is.
    let payload = fetch_result(vec![envelope("WebcastLikeMessage", like_payload(5), 11)]).encode_to_vec();
    let packed = gzip::compress(&payload);
    let mut frame = push_frame(b"not a fetch result at all".to_vec(), Some("gzip"));
    frame.extend_from_slice(
        &pb::PushFrame {
            payload: packed.clone().into(),
            seq_id: 4,
            ..Default::default()
        }
        .encode_to_vec(),
    );
    let batch = decode_frame(&frame, 1 << 20).unwrap();
    assert_eq!((batch.log_id, batch.seq_id), (99, 4));
    assert_eq!(
        batch,
        decode_frame(&push_frame(packed, Some("gzip")), 1 << 20)
            .map(|b| Batch { seq_id: 4, ..b })
            .unwrap()
    );
    let EventBody::Like(like) = &batch.events[0].body else {
        panic!("{:?}", batch.events[0].body)
    };
    assert_eq!(like.likes, 5);
    // Without a payload: an empty batch, as prost reads a missing field.
    let empty = push_frame(Vec::new(), None);
    assert!(!empty.contains(&(8 << 3 | 2)), "prost wrote the empty payload");
    assert_eq!(decode_frame(&empty, 1 << 20).unwrap().events, []);
}

#[test]
fn gzip_size_cap_and_truncation() {
    let payload = fetch_result(vec![envelope("WebcastLikeMessage", like_payload(4), 11)]).encode_to_vec();
    let packed = gzip::compress(&payload);
    assert!(decode_frame(&push_frame(packed.clone(), Some("gzip")), payload.len()).is_ok());
    let error = decode_frame(&push_frame(packed.clone(), Some("gzip")), payload.len() - 1).unwrap_err();
    assert_eq!(
        error,
        DecodeError::TooLarge {
            limit: payload.len() - 1
        }
    );
    assert_eq!(
        error.to_string(),
        format!("payload inflates beyond {} bytes", payload.len() - 1)
    );
    assert_eq!(
        decode_fetch_result(&packed, 10).unwrap_err(),
        DecodeError::TooLarge { limit: 10 }
    );

    let truncated = push_frame(packed[..packed.len() - 5].to_vec(), Some("gzip"));
    let error = decode_frame(&truncated, 1 << 20).unwrap_err();
    assert_eq!(error, DecodeError::GzipTruncated);
    assert_eq!(error.to_string(), "gzip payload is truncated");
    assert_eq!(
        decode_fetch_result(&packed[..20], 1 << 20).unwrap_err(),
        DecodeError::GzipTruncated
    );

    // The header says gzip but the payload is not.
    let error = decode_frame(&push_frame(payload, Some("gzip")), 1 << 20).unwrap_err();
    assert!(error.to_string().starts_with("gzip payload is"), "{error}");
}

#[test]
fn non_msg_frames_carry_no_batch() {
    let frame = pb::PushFrame {
        seq_id: 1,
        log_id: 2,
        payload_type: "hb".to_owned(),
        payload: Bytes::from_static(b"\x08\x01"),
        ..Default::default()
    }
    .encode_to_vec();
    let batch = decode_frame(&frame, 1 << 20).unwrap();
    assert_eq!(
        batch,
        Batch {
            payload_type: "hb".to_owned(),
            log_id: 2,
            seq_id: 1,
            ..Batch::default()
        },
        "only the frame's own fields are set"
    );
    // An empty input is a valid, empty PushFrame.
    assert_eq!(decode_frame(b"", 1 << 20).unwrap(), Batch::default());
}

#[test]
fn malformed_frames_and_fetch_results_are_errors() {
    let error = decode_frame(b"\x0a\xff\xff", 1 << 20).unwrap_err();
    assert!(matches!(&error, DecodeError::Malformed { what, .. } if what == "PushFrame"));
    assert!(error.to_string().starts_with("malformed PushFrame: "), "{error}");

    let error = decode_frame(&push_frame(b"\x0a\x05abc".to_vec(), None), 1 << 20).unwrap_err();
    assert!(error.to_string().starts_with("malformed FetchResult: "), "{error}");
    let error = decode_fetch_result(b"\x0a\x05abc", 1 << 20).unwrap_err();
    assert!(matches!(&error, DecodeError::Malformed { what, .. } if what == "FetchResult"));
}

#[test]
fn a_bad_message_is_skipped_and_the_batch_continues() {
    let bad = b"\x0a\x03\x08".to_vec(); // `common` claims 3 bytes, 1 follows
    let messages = vec![
        envelope("WebcastLikeMessage", like_payload(1), 11),
        envelope("WebcastChatMessage", bad.clone(), 12),
        envelope("WebcastLikeMessage", like_payload(2), 13),
    ];
    let batch = decode_fetch_result(&fetch_result(messages).encode_to_vec(), 1 << 20).unwrap();
    assert_eq!(batch.events.len(), 2);
    assert_eq!(batch.skipped.len(), 1);
    let skip = &batch.skipped[0];
    assert_eq!(
        (skip.method.as_str(), skip.msg_id, skip.payload.as_ref()),
        ("WebcastChatMessage", 12, &bad[..])
    );
    assert!(!skip.reason.is_empty());

    // The same payload alone is a DecodeError.
    let error = decode_message("WebcastChatMessage", &bad, 12).unwrap_err();
    assert!(
        error.to_string().starts_with("malformed WebcastChatMessage payload: "),
        "{error}"
    );
}

#[test]
fn invalid_utf8_in_a_string_field_skips_the_message() {
    let mut payload = pb::ChatMessage {
        content: "x".to_owned(),
        ..Default::default()
    }
    .encode_to_vec();
    let last = payload.len() - 1;
    payload[last] = 0xff;
    assert!(decode_message("WebcastChatMessage", &payload, 1).is_err());
}

// ------------------------------------------------------------------ wire tolerance

#[test]
fn fields_in_any_order_are_accepted() {
    // Concatenated encodings merge: here `common` (field 1) comes last.
    let mut payload = pb::LikeMessage {
        count: 9,
        total: 90,
        ..Default::default()
    }
    .encode_to_vec();
    payload.extend(
        pb::LikeMessage {
            common: Some(common("WebcastLikeMessage", 77)),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    assert_eq!(payload[0], 0x10, "the first field on the wire is field 2");
    let event = one("WebcastLikeMessage", &payload);
    assert_eq!(event.msg_id, 77);
    let EventBody::Like(like) = event.body else { panic!() };
    assert_eq!((like.likes, like.total_likes), (9, 90));
}

#[test]
fn unknown_fields_are_skipped() {
    let mut payload = Vec::new();
    payload.extend_from_slice(b"\xf8\x06\x2a"); // field 111, varint 42
    payload.extend_from_slice(b"\xfa\x06\x03abc"); // field 111, length-delimited
    payload.extend_from_slice(b"\xfd\x06\x01\x02\x03\x04"); // field 111, fixed32
    payload.extend_from_slice(b"\xf9\x06\x01\x02\x03\x04\x05\x06\x07\x08"); // field 111, fixed64
    payload.extend(like_payload(6));
    payload.extend_from_slice(b"\xa0\x1f\x01"); // field 500, varint
    let event = one("WebcastLikeMessage", &payload);
    let EventBody::Like(like) = event.body else { panic!() };
    assert_eq!(like.likes, 6);
    assert_eq!(like.user.unwrap().username, "d");
}

#[test]
fn garbage_never_panics() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let valid = push_frame(
        fetch_result(vec![envelope("WebcastLikeMessage", like_payload(1), 1)]).encode_to_vec(),
        None,
    );
    for round in 0..3000 {
        let len = (rng.next() % 300) as usize;
        let mut data = rng.bytes(len);
        if round % 3 == 0 {
            // Mutate a valid frame instead: more of these get past the first tags.
            data.clone_from(&valid);
            for _ in 0..=(rng.next() % 4) {
                let at = (rng.next() as usize) % data.len();
                data[at] = rng.bytes(1)[0];
            }
        }
        let _ = decode_frame(&data, 1 << 16);
        let _ = decode_fetch_result(&data, 1 << 16);
        let mut gz = gzip::GZIP_MAGIC.to_vec();
        gz.extend_from_slice(&data);
        let _ = decode_fetch_result(&gz, 1 << 16);
        for &method in Method::ALL {
            let _ = decode_message(method.wire_name(), &data, 1);
        }
    }
}

// ------------------------------------------------------------------ unknown methods

#[test]
fn unknown_methods_keep_their_common_header_and_payload() {
    let payload = pb::UnknownMessage {
        common: Some(common("WebcastNewThing", 55)),
    }
    .encode_to_vec();
    let event = one("WebcastNewThing", &payload);
    assert_eq!(event.method, MethodName::Other("WebcastNewThing".to_owned()));
    assert_eq!(
        (event.msg_id, event.room_id, event.create_time),
        (55, 7, 1_700_000_000_000)
    );
    let EventBody::Unknown(unknown) = event.body else {
        panic!()
    };
    assert_eq!(unknown.payload.as_ref(), &payload[..]);
}

#[test]
fn unknown_methods_whose_header_does_not_decode_still_give_an_event() {
    // Like the real WebcastWeeklyRankRewardMessage: field 1 is a varint, not a Common.
    let payload = b"\x08\x96\x01\x12\x02hi".to_vec();
    let event = decode_message("WebcastWeeklyRankRewardMessage", &payload, 31).unwrap();
    assert_eq!((event.msg_id, event.room_id, event.create_time), (31, 0, 0));
    let EventBody::Unknown(unknown) = event.body else {
        panic!()
    };
    assert_eq!(unknown.payload.as_ref(), &payload[..]);
    // Even garbage.
    assert!(decode_message("Whatever", b"\xff\xff\xff", 2).is_ok());
}

// ------------------------------------------------------------------ contract rules

#[test]
fn msg_id_falls_back_to_the_envelope() {
    let payload = pb::LikeMessage {
        common: Some(common("WebcastLikeMessage", 0)),
        ..Default::default()
    };
    assert_eq!(one("WebcastLikeMessage", &payload.encode_to_vec()).msg_id, 1);
    let event = one("WebcastLikeMessage", b"");
    assert_eq!((event.msg_id, event.room_id, event.create_time), (1, 0, 0));
}

#[test]
fn missing_sub_messages_give_defaults() {
    let EventBody::Gift(gift) = one("WebcastGiftMessage", b"").body else {
        panic!()
    };
    assert_eq!(gift, model::GiftEvent::default());
    let EventBody::Chat(chat) = one("WebcastChatMessage", b"").body else {
        panic!()
    };
    assert_eq!(chat, model::ChatEvent::default());
}

#[test]
fn decimal_ints_follow_python_int() {
    assert_eq!(DecimalInt::parse("42"), DecimalInt::Small(42));
    assert_eq!(DecimalInt::parse("007"), DecimalInt::Small(7));
    for text in ["", "+5", "-5", " 5", "5 ", "1_000", "4.2", "٣", "x"] {
        assert_eq!(DecimalInt::parse(text), DecimalInt::Small(0), "{text:?}");
    }
    assert_eq!(DecimalInt::parse("18446744073709551615"), DecimalInt::Small(u64::MAX));
    assert_eq!(
        DecimalInt::parse("18446744073709551616"),
        DecimalInt::Big("18446744073709551616".to_owned())
    );
}

#[test]
fn badge_rules() {
    let badges = vec![
        pb::Badge {
            scene_type: 8,
            privilege_log_extra: Some(pb::PrivilegeLogExtra {
                level: "23".to_owned(),
                ..Default::default()
            }),
            image: Some(pb::ImageBadge {
                image: Some(image(&["img1", "img2"])),
                ..Default::default()
            }),
            text: Some(pb::TextBadge {
                key: "k".to_owned(),
                default_pattern: "p".to_owned(),
                ..Default::default()
            }),
            combine: Some(pb::CombineBadge {
                icon: Some(image(&["icon"])),
                text: Some(pb::PatternRef {
                    key: "ck".to_owned(),
                    default_pattern: "cp".to_owned(),
                }),
                str: "cs".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        },
        pb::Badge {
            scene_type: 10,
            privilege_log_extra: Some(pb::PrivilegeLogExtra {
                level: "v2".to_owned(),
                ..Default::default()
            }),
            combine: Some(pb::CombineBadge {
                icon: Some(image(&["icon"])),
                text: Some(pb::PatternRef {
                    key: "ck".to_owned(),
                    default_pattern: "cp".to_owned(),
                }),
                str: "cs".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        },
        pb::Badge {
            text: Some(pb::TextBadge::default()),
            combine: Some(pb::CombineBadge {
                text: Some(pb::PatternRef {
                    key: String::new(),
                    default_pattern: "cp".to_owned(),
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
        pb::Badge::default(),
    ];
    let user = read_user(&pb::User {
        badge_list: badges,
        ..Default::default()
    });
    let got: Vec<_> = user
        .badges
        .iter()
        .map(|b| {
            (
                b.scene_type,
                b.r#type.as_str(),
                b.name.as_str(),
                b.level.clone(),
                b.image_url.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (8, "k", "p", DecimalInt::Small(23), "img1"),
            (10, "ck", "cs", DecimalInt::Small(0), "icon"),
            (0, "", "cp", DecimalInt::Small(0), ""),
            (0, "", "", DecimalInt::Small(0), ""),
        ]
    );
}

#[test]
fn user_rules() {
    let raw = pb::User {
        id: 1,
        nickname: "Nick".to_owned(),
        display_id: "handle".to_owned(),
        sec_uid: "MS4w".to_owned(),
        avatar_thumb: Some(image(&["a", "b"])),
        avatar_large: Some(image(&["large"])),
        follow_info: Some(pb::FollowInfo {
            following_count: 3,
            follower_count: 4,
            follow_status: 2,
            push_status: 0,
        }),
        ..Default::default()
    };
    let user = read_user(&raw);
    assert_eq!(
        (
            user.id,
            user.username.as_str(),
            user.nickname.as_str(),
            user.sec_uid.as_str()
        ),
        (1, "handle", "Nick", "MS4w")
    );
    assert_eq!(user.profile_picture, ["a", "b"]);
    assert_eq!((user.follow_role, user.follower_count, user.following_count), (2, 4, 3));
}

#[test]
fn social_rules() {
    assert_eq!(
        social_event_type("pm_main_follow_message_viewer_2", 3),
        UserEventType::Follow
    );
    assert_eq!(social_event_type("pm_mt_guidance_share", 1), UserEventType::Share);
    assert_eq!(social_event_type("follow_and_share", 0), UserEventType::Follow);
    assert_eq!(social_event_type("", 1), UserEventType::Follow);
    assert_eq!(social_event_type("", 3), UserEventType::Share);
    assert_eq!(social_event_type("something", 2), UserEventType::Other);
    assert_eq!(
        social_event_type("FOLLOW", 0),
        UserEventType::Other,
        "the test is case-sensitive"
    );

    let message = pb::SocialMessage {
        common: Some(pb::Common {
            display_text: Some(text("pm_mt_guidance_share", "{0:user} shared")),
            ..Default::default()
        }),
        action: 1,
        ..Default::default()
    };
    let EventBody::User(event) = one("WebcastSocialMessage", &message.encode_to_vec()).body else {
        panic!()
    };
    assert_eq!(event.event, UserEventType::Share);
    assert_eq!(
        (event.display_type.as_str(), event.label.as_str()),
        ("pm_mt_guidance_share", "{0:user} shared")
    );

    let EventBody::User(join) = one("WebcastMemberMessage", b"").body else {
        panic!()
    };
    assert_eq!(join.event, UserEventType::Join);
}

#[test]
fn room_event_type_falls_back_to_the_envelope_method() {
    let with_own = pb::RoomMessage {
        common: Some(common("SystemMessage", 1)),
        content: "hi".to_owned(),
        ..Default::default()
    };
    let event = one("RoomMessage", &with_own.encode_to_vec());
    assert_eq!(event.method.as_str(), "RoomMessage");
    assert_eq!(
        event.body,
        EventBody::Room(model::RoomEvent {
            r#type: "SystemMessage".to_owned(),
            message: "hi".to_owned()
        })
    );

    let bottom = pb::BottomMessage {
        content: "below".to_owned(),
        ..Default::default()
    };
    let event = one("WebcastBottomMessage", &bottom.encode_to_vec());
    assert_eq!(
        event.body,
        EventBody::Room(model::RoomEvent {
            r#type: "WebcastBottomMessage".to_owned(),
            message: "below".to_owned()
        })
    );
}

#[test]
fn room_pin_rules() {
    let chat = pb::ChatMessage {
        content: "pinned!".to_owned(),
        user: Some(pb::User::default()),
        ..Default::default()
    };
    let with_chat = pb::RoomPinMessage {
        chat_message: Some(chat),
        pinned_message: Some(pb::PinnedMessage {
            common: Some(common("X", 5)),
        }),
        ..Default::default()
    };
    let EventBody::RoomPin(pin) = one("WebcastRoomPinMessage", &with_chat.encode_to_vec()).body else {
        panic!()
    };
    assert_eq!(
        (pin.pinned_method.as_str(), pin.pinned_msg_id, pin.text.as_str()),
        ("WebcastChatMessage", 0, "pinned!")
    );
    assert!(pin.user.is_some());

    let mut pinned_common = common("WebcastGiftMessage", 6);
    pinned_common.describe = "sent a gift".to_owned();
    let without_chat = pb::RoomPinMessage {
        pinned_message: Some(pb::PinnedMessage {
            common: Some(pinned_common),
        }),
        ..Default::default()
    };
    let EventBody::RoomPin(pin) = one("WebcastRoomPinMessage", &without_chat.encode_to_vec()).body else {
        panic!()
    };
    assert_eq!(
        pin,
        model::RoomPinEvent {
            pinned_method: "WebcastGiftMessage".to_owned(),
            pinned_msg_id: 6,
            text: "sent a gift".to_owned(),
            user: None
        }
    );
}

#[test]
fn poll_options_come_from_the_first_present_content() {
    let option = |votes| pb::PollOption {
        votes,
        display_content: format!("o{votes}"),
        option_index: votes,
        ..Default::default()
    };
    let message = pb::PollMessage {
        poll_id: 3,
        message_type: 2,
        start_content: Some(pb::PollStartContent {
            title: "t".to_owned(),
            start_time: 1,
            end_time: 2,
            ..Default::default()
        }),
        end_content: Some(pb::PollEndContent {
            options: vec![option(5)],
        }),
        update_content: Some(pb::PollUpdateContent {
            options: vec![option(6)],
        }),
        ..Default::default()
    };
    let EventBody::Poll(poll) = one("WebcastPollMessage", &message.encode_to_vec()).body else {
        panic!()
    };
    assert!(poll.options.is_empty(), "start_content is present (with no options)");
    assert_eq!(
        (poll.title.as_str(), poll.start_time, poll.end_time, poll.status),
        ("t", 1, 2, 2)
    );

    let message = pb::PollMessage {
        start_content: None,
        ..message
    };
    let EventBody::Poll(poll) = one("WebcastPollMessage", &message.encode_to_vec()).body else {
        panic!()
    };
    assert_eq!(
        poll.options,
        [model::PollOption {
            index: 5,
            text: "o5".to_owned(),
            votes: 5
        }]
    );
}

#[test]
fn goal_contributor_is_none_without_an_id() {
    let message = pb::GoalUpdateMessage {
        contributor_display_id: "who".to_owned(),
        goal: Some(pb::Goal {
            id: 4,
            description: "d".to_owned(),
            sub_goals: vec![pb::SubGoal {
                r#type: 1,
                progress: 2,
                target: 3,
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    let EventBody::GoalUpdate(goal) = one("WebcastGoalUpdateMessage", &message.encode_to_vec()).body else {
        panic!()
    };
    assert_eq!(goal.contributor, None);
    assert_eq!(
        goal.sub_goals,
        [model::SubGoal {
            r#type: 1,
            progress: 2,
            target: 3
        }]
    );

    let message = pb::GoalUpdateMessage {
        contributor_id: 8,
        contributor_avatar: Some(image(&["av"])),
        ..message
    };
    let EventBody::GoalUpdate(goal) = one("WebcastGoalUpdateMessage", &message.encode_to_vec()).body else {
        panic!()
    };
    let contributor = goal.contributor.unwrap();
    assert_eq!((contributor.id, contributor.username.as_str()), (8, "who"));
    assert_eq!(contributor.profile_picture, ["av"]);
}

#[test]
fn barrage_user_precedence() {
    let user = |id| pb::User {
        id,
        ..Default::default()
    };
    let param = |id| {
        Some(pb::BarrageParam {
            user: Some(user(id)),
            ..Default::default()
        })
    };
    let piece = |u: Option<pb::User>| pb::TextPiece {
        user_value: Some(pb::TextPieceUser {
            user: u,
            with_colon: false,
        }),
        ..Default::default()
    };
    let message = pb::BarrageMessage {
        content: Some(pb::Text {
            pieces: vec![piece(None), piece(Some(user(1))), piece(Some(user(2)))],
            ..text("k", "l")
        }),
        user_grade_param: param(3),
        fans_level_param: param(4),
        ..Default::default()
    };
    let barrage_user = |message: &pb::BarrageMessage| {
        let EventBody::Barrage(barrage) = one("WebcastBarrageMessage", &message.encode_to_vec()).body else {
            panic!()
        };
        barrage.user.map(|u| u.id)
    };
    assert_eq!(barrage_user(&message), Some(1));
    let message = pb::BarrageMessage {
        content: None,
        ..message
    };
    assert_eq!(barrage_user(&message), Some(3));
    let message = pb::BarrageMessage {
        user_grade_param: None,
        ..message
    };
    assert_eq!(barrage_user(&message), Some(4));
    let message = pb::BarrageMessage {
        fans_level_param: None,
        ..message
    };
    assert_eq!(barrage_user(&message), None);
}

#[test]
fn envelope_sender_id_is_parsed() {
    let message = |id: &str| pb::EnvelopeMessage {
        envelope_info: Some(pb::EnvelopeInfo {
            send_user_id: id.to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let sender = |id| {
        let EventBody::Envelope(envelope) = one("WebcastEnvelopeMessage", &message(id).encode_to_vec()).body else {
            panic!()
        };
        envelope.sender_id
    };
    assert_eq!(
        sender("7012345678901234567"),
        DecimalInt::Small(7_012_345_678_901_234_567)
    );
    assert_eq!(sender("abc"), DecimalInt::Small(0));
}

#[test]
fn battles_and_mic_battles() {
    let armies = pb::LinkMicArmiesMessage {
        battle_id: 9,
        trigger_reason: 2,
        armies: vec![
            pb::ArmyEntry {
                host_user_id: 100,
                army: Some(pb::BattleArmy {
                    host_score: 50,
                    contributors: vec![pb::ArmyContributor {
                        user_id: 7,
                        score: 40,
                        nickname: "fan".to_owned(),
                        avatar: Some(image(&["x"])),
                    }],
                }),
            },
            pb::ArmyEntry {
                host_user_id: 200,
                army: None,
            },
        ],
        ..Default::default()
    };
    let EventBody::Battles(battles) = one("WebcastLinkMicArmies", &armies.encode_to_vec()).body else {
        panic!()
    };
    assert_eq!((battles.status, battles.battle_id), (2, 9));
    assert_eq!(battles.battles.len(), 2);
    assert_eq!(battles.battles[1].groups, []);
    let group = &battles.battles[0].groups[0];
    assert_eq!(group.points, 50);
    let fan = &group.contributors[0];
    assert_eq!((fan.user.id, fan.user.nickname.as_str(), fan.score), (7, "fan", 40));
    assert_eq!(fan.user.profile_picture, ["x"]);

    let battle = pb::LinkMicBattleMessage {
        anchors: vec![
            pb::BattleAnchor {
                user_id: 1,
                info: Some(pb::BattleAnchorInfo {
                    user: Some(pb::LinkUser {
                        id: 1,
                        nickname: "h".to_owned(),
                        display_id: "hh".to_owned(),
                        avatar: None,
                    }),
                }),
            },
            pb::BattleAnchor { user_id: 2, info: None },
        ],
        ..Default::default()
    };
    let EventBody::MicBattle(mic) = one("WebcastLinkMicBattle", &battle.encode_to_vec()).body else {
        panic!()
    };
    assert_eq!(mic.users.len(), 1);
    assert_eq!((mic.users[0].id, mic.users[0].username.as_str()), (1, "hh"));
}
