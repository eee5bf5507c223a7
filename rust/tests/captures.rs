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
