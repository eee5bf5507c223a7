//! The codec against every real captured message in `shared/captures`.
//!
//! Locates the full set through `$PYTIKTOKLIVE_CAPTURES`, else `<repo>/../shared/captures`;
//! without it, the compact sample shipped in the package (`python/pytiktoklive/sample_captures`:
//! every message type, a few of each) is used, so the tests run on a plain clone too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use _core::codec::model::{EventBody, MethodName};
use _core::codec::{self, Method};
use _core::webcast as pb;
use base64::Engine as _;
use bytes::Bytes;
use prost::Message as _;

const ROOT: &str = "jwdeveloper_TikTokLiveJava";
const COLLECTOR_DIRS: [&str; 3] = [
    "Tools-EventsCollector/src/main/resources",
    "_older_versions/46d5f15/Tools-EventsCollector/src/main/resources",
    "_older_versions/f0d7cb0/Tools-EventsCollector/src/main/resources",
];

/// The capture directory and whether it is the full set (else the shipped sample).
fn captures_with_kind() -> Option<(PathBuf, bool)> {
    let full = std::env::var_os("PYTIKTOKLIVE_CAPTURES")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/captures"),
            PathBuf::from,
        )
        .join(ROOT);
    if full.is_dir() {
        return Some((full, true));
    }
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python/pytiktoklive/sample_captures")
        .join(ROOT);
    if sample.is_dir() {
        Some((sample, false))
    } else {
        eprintln!("skipped: no captures at {} nor {}", full.display(), sample.display());
        None
    }
}

fn captures() -> Option<PathBuf> {
    captures_with_kind().map(|(dir, _)| dir)
}

/// Every `(method, payload)` of the event-collector dumps, in file order.
fn collector_messages(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = COLLECTOR_DIRS
        .iter()
        .filter_map(|dir| std::fs::read_dir(root.join(dir)).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut messages = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable capture");
        let dump: BTreeMap<String, Vec<serde_json::Value>> = serde_json::from_str(&text).expect("a collector dump");
        for (method, records) in dump {
            for record in records {
                let data = record["eventData"].as_str().expect("eventData is base64 text");
                let payload = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .expect("valid base64");
                messages.push((method.clone(), payload));
            }
        }
    }
    messages
}

#[test]
fn every_collector_message_decodes() {
    let Some((root, full)) = captures_with_kind() else {
        return;
    };
    let messages = collector_messages(&root);
    // The full set: 3,703 records (2,303 unique); the sample: 289 unique ones, 113 of known types.
    let (least_messages, least_known) = if full { (3000, 1500) } else { (289, 110) };
    assert!(
        messages.len() >= least_messages,
        "only {} collector messages found",
        messages.len()
    );

    let mut known = 0;
    for (index, (method, payload)) in messages.iter().enumerate() {
        let msg_id = index as i64 + 1;
        let event = codec::decode_message(method, payload, msg_id)
            .unwrap_or_else(|error| panic!("{method} #{index} did not decode: {error}"));
        assert_eq!(event.method.as_str(), method);
        if Method::from_wire(method).is_some() {
            known += 1;
            assert!(!matches!(event.body, EventBody::Unknown(_)));
            assert!(event.msg_id != msg_id, "{method} #{index} has no Common.msg_id");
        } else {
            assert!(matches!(event.method, MethodName::Other(_)));
            let EventBody::Unknown(unknown) = &event.body else {
                panic!("{method} is not unknown")
            };
            assert_eq!(unknown.payload.as_ref(), &payload[..]);
        }
    }
    assert!(known >= least_known, "only {known} messages of known types");
}

#[test]
fn every_collector_message_decodes_in_one_gzip_frame() {
    let Some(root) = captures() else { return };
    let messages = collector_messages(&root);
    let envelopes: Vec<pb::Message> = messages
        .iter()
        .enumerate()
        .map(|(index, (method, payload))| pb::Message {
            method: method.clone(),
            payload: Bytes::copy_from_slice(payload),
            msg_id: index as i64 + 1,
            ..Default::default()
        })
        .collect();
    let body = pb::FetchResult {
        messages: envelopes,
        cursor: "c".to_owned(),
        ..Default::default()
    }
    .encode_to_vec();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &body).unwrap();
    let frame = pb::PushFrame {
        payload_type: "msg".to_owned(),
        headers: vec![pb::PushHeader {
            key: "compress_type".to_owned(),
            value: "gzip".to_owned(),
        }],
        payload: encoder.finish().unwrap().into(),
        ..Default::default()
    }
    .encode_to_vec();

    let batch = codec::decode_frame(&frame, 64 << 20).expect("the frame decodes");
    assert!(batch.skipped.is_empty(), "skipped: {:?}", batch.skipped.first());
    assert_eq!(batch.events.len(), messages.len());
    for (event, (method, _)) in batch.events.iter().zip(&messages) {
        assert_eq!(event.method.as_str(), method);
    }
}

#[test]
fn the_weekly_rank_reward_header_does_not_decode_but_the_event_comes_out() {
    let Some(root) = captures() else { return };
    let weekly: Vec<_> = collector_messages(&root)
        .into_iter()
        .filter(|(method, _)| method == "WebcastWeeklyRankRewardMessage")
        .collect();
    assert!(!weekly.is_empty());
    for (method, payload) in weekly {
        assert!(
            pb::UnknownMessage::decode(&payload[..]).is_err(),
            "field 1 is a varint there"
        );
        let event = codec::decode_message(&method, &payload, 77).unwrap();
        assert_eq!((event.msg_id, event.room_id, event.create_time), (77, 0, 0));
    }
}

#[test]
fn single_message_fixtures_decode() {
    let Some(root) = captures() else { return };
    let fixtures = [
        ("LikeMessage.bin", "WebcastMemberMessage", 7_270_196_813_217_958_699_i64), // misnamed: a member join
        (
            "MessageWebcastChatMessage.bin",
            "WebcastChatMessage",
            7_270_204_318_916_594_464,
        ),
        (
            "MessageWebcastGiftMessage.bin",
            "WebcastGiftMessage",
            7_270_201_542_891_817_761,
        ),
        (
            "MessageWebcastImDeleteMessage.bin",
            "WebcastImDeleteMessage",
            7_270_208_754_506_189_573,
        ),
        (
            "MessageWebcastSocialMessage.bin",
            "WebcastSocialMessage",
            7_270_211_734_014_528_288,
        ),
        (
            "WebcastMemberMessage.bin",
            "WebcastMemberMessage",
            7_273_941_110_900_738_848,
        ),
    ];
    for (file, method, msg_id) in fixtures {
        let text = std::fs::read_to_string(root.join("Client/src/test/resources").join(file)).unwrap();
        let payload = base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap();
        let event = codec::decode_message(method, &payload, 0).unwrap();
        assert_eq!(event.msg_id, msg_id, "{file}");
        if let EventBody::Gift(gift) = &event.body {
            assert_eq!((gift.id, gift.name.as_str()), (5655, "Rose"));
        }
    }
}

/// A tiny deterministic generator for the mutations below.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The budget's walk filling `M` (one pass) against prost decoding `M` (the read view) after
/// the walk, as the codec did before: what the walk accepts, prost accepts with equal values.
fn fill_matches_prost<M>(schema: usize, payload: &[u8]) -> bool
where
    M: _core::codec::budget::Fill + prost::Message + Default + PartialEq + std::fmt::Debug,
{
    use _core::codec::budget::Budget;
    use _core::codec::Limits;

    let mut filled = M::default();
    let read = Budget::new(&Limits::default()).read_message(schema, payload, &mut filled);
    let walked = Budget::new(&Limits::default()).walk_message(schema, payload);
    assert_eq!(read, walked, "the fill changed what the walk decides");
    if read.is_err() {
        return false;
    }
    let decoded = M::decode(payload).expect("prost decodes what the walk accepts");
    assert_eq!(filled, decoded);
    true
}

#[test]
fn the_walk_fills_what_prost_decodes() {
    use _core::codec::budget::schema;
    use _core::webcast_read as read;

    let Some(root) = captures() else {
        return;
    };
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let (mut accepted, mut mutated_accepted) = (0, 0);
    for (method, payload) in collector_messages(&root) {
        let Some(known) = Method::from_wire(&method) else {
            continue;
        };
        let check = |payload: &[u8]| match known {
            Method::Chat => fill_matches_prost::<read::ChatMessage>(schema::CHAT_MESSAGE, payload),
            Method::EmoteChat => fill_matches_prost::<read::EmoteChatMessage>(schema::EMOTE_CHAT_MESSAGE, payload),
            Method::Gift => fill_matches_prost::<read::GiftMessage>(schema::GIFT_MESSAGE, payload),
            Method::Like => fill_matches_prost::<read::LikeMessage>(schema::LIKE_MESSAGE, payload),
            Method::Member => fill_matches_prost::<read::MemberMessage>(schema::MEMBER_MESSAGE, payload),
            Method::Social => fill_matches_prost::<read::SocialMessage>(schema::SOCIAL_MESSAGE, payload),
            Method::RoomUserSeq => {
                fill_matches_prost::<read::RoomUserSeqMessage>(schema::ROOM_USER_SEQ_MESSAGE, payload)
            }
            Method::LinkMicBattle => {
                fill_matches_prost::<read::LinkMicBattleMessage>(schema::LINK_MIC_BATTLE_MESSAGE, payload)
            }
            Method::LinkMicArmies => {
                fill_matches_prost::<read::LinkMicArmiesMessage>(schema::LINK_MIC_ARMIES_MESSAGE, payload)
            }
            Method::GoalUpdate => fill_matches_prost::<read::GoalUpdateMessage>(schema::GOAL_UPDATE_MESSAGE, payload),
            Method::Poll => fill_matches_prost::<read::PollMessage>(schema::POLL_MESSAGE, payload),
            Method::Barrage => fill_matches_prost::<read::BarrageMessage>(schema::BARRAGE_MESSAGE, payload),
            Method::RoomPin => fill_matches_prost::<read::RoomPinMessage>(schema::ROOM_PIN_MESSAGE, payload),
            Method::ImDelete => fill_matches_prost::<read::ImDeleteMessage>(schema::IM_DELETE_MESSAGE, payload),
            // The other methods: their common header, as the unknown-method path reads it.
            _ => fill_matches_prost::<read::UnknownMessage>(schema::UNKNOWN_MESSAGE, payload),
        };
        accepted += usize::from(check(&payload));
        // Mutations: flipped bytes reach other fields, wire types, lengths and text.
        for _ in 0..4 {
            let mut mutated = payload.clone();
            for _ in 0..=(rng.next() % 3) {
                if mutated.is_empty() {
                    break;
                }
                let at = (rng.next() as usize) % mutated.len();
                mutated[at] = rng.next().to_le_bytes()[0];
            }
            mutated_accepted += usize::from(check(&mutated));
        }
    }
    assert!(accepted >= 100, "only {accepted} captured messages were read");
    assert!(
        mutated_accepted >= 100,
        "only {mutated_accepted} mutated messages were read"
    );
}
