//! Keeps `rust/generated/webcast.rs` in step with `proto/webcast/*.proto`.
//!
//! The generated code is committed, so building the package never needs `protoc`
//! (or this test's dev-dependencies). This test regenerates it with `protox` (a pure
//! Rust protobuf compiler) and `prost-build` into a temporary directory. When the
//! committed file differs, the test overwrites it and fails: run `cargo test` again
//! (it passes now) and commit the refreshed file. This is prost's own "bootstrap" check.
//!
//! It does the same for `rust/generated/schema.rs`: the field table of every message
//! (number, wire kind, repeated), which the decode budget (`rust/codec/budget.rs`) walks
//! to count objects before prost allocates any.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const PROTO_FILES: [&str; 3] = ["webcast/frame.proto", "webcast/data.proto", "webcast/messages.proto"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn compile() -> protox::prost_reflect::prost_types::FileDescriptorSet {
    let proto_dir = root().join("proto");
    let files: Vec<PathBuf> = PROTO_FILES.iter().map(|file| proto_dir.join(file)).collect();
    protox::compile(&files, [&proto_dir]).expect("proto/ does not compile")
}

/// Compiles the schema and returns the generated Rust source of package `webcast`.
fn generate(out_dir: &Path) -> String {
    prost_code(compile(), out_dir)
}

/// The fields the codec reads (`rust/codec/convert.rs`), by message type. The prost types
/// the codec decodes room messages with (`rust/generated/webcast_read.rs`, module
/// `webcast_read`, filled by the decode budget's walk) declare only these, so everything
/// else is skipped without allocating it: second and third copies of the user in a
/// `MemberMessage`, the avatars in sizes no event shows, every `Image`'s metadata. Types not listed keep all their fields. The
/// decode budget still walks the full schema (counting and checking the text of every
/// field), so limits and errors do not change; a field the codec reads but this table
/// leaves out does not compile.
const READ: &[(&str, &[&str])] = &[
    (
        "Common",
        &["method", "msg_id", "room_id", "create_time", "describe", "display_text"],
    ),
    ("Text", &["key", "default_pattern", "pieces"]),
    ("TextPiece", &["user_value"]),
    ("TextPieceUser", &["user"]),
    ("Image", &["url_list"]),
    (
        "User",
        &[
            "id",
            "nickname",
            "avatar_thumb",
            "follow_info",
            "display_id",
            "sec_uid",
            "badge_list",
        ],
    ),
    ("FollowInfo", &["following_count", "follower_count", "follow_status"]),
    (
        "Badge",
        &["scene_type", "privilege_log_extra", "image", "text", "combine"],
    ),
    ("PrivilegeLogExtra", &["level"]),
    ("ImageBadge", &["image"]),
    ("TextBadge", &["key", "default_pattern"]),
    ("CombineBadge", &["icon", "text", "str"]),
    (
        "ChatMessage",
        &["common", "user", "content", "emotes", "content_language"],
    ),
    ("EmoteWithIndex", &["emote"]),
    (
        "GiftMessage",
        &[
            "common",
            "gift_id",
            "repeat_count",
            "user",
            "repeat_end",
            "group_id",
            "gift",
            "monitor_info",
        ],
    ),
    ("GiftStruct", &["image", "describe", "type", "diamond_count", "name"]),
    ("GiftMonitorInfo", &["send_time", "to_anchor_id"]),
    ("LikeMessage", &["common", "count", "total", "user"]),
    ("MemberMessage", &["common", "user"]),
    ("SocialMessage", &["common", "user", "action"]),
    ("RoomUserSeqMessage", &["common", "ranks", "total", "total_user"]),
    ("Contributor", &["score", "user", "rank"]),
];

/// Fields read through a narrower copy of their type: `(message, field, copy, of, fields)`.
/// `Common.display_text` is read for its key and pattern only; its pieces (each holding a
/// whole user again) are read only where `BarrageMessage.content` needs them.
const NARROWED: &[(&str, &str, &str, &str, &[&str])] = &[(
    "Common",
    "display_text",
    "TextHead",
    "Text",
    &["key", "default_pattern"],
)];

/// The schema as the codec reads it: [`READ`] and [`NARROWED`] applied to `proto/`.
fn read_view() -> protox::prost_reflect::prost_types::FileDescriptorSet {
    let mut descriptors = compile();
    for file in &mut descriptors.file {
        // The comments' locations are field positions, which change: the view has no comments.
        file.source_code_info = None;
        let package = file.package().to_owned();
        let mut copies = Vec::new();
        for &(message, field, copy, of, fields) in NARROWED {
            if let Some(base) = file.message_type.iter().find(|m| m.name() == of) {
                let mut narrowed = base.clone();
                narrowed.name = Some(copy.to_owned());
                narrowed.field.retain(|f| fields.contains(&f.name()));
                assert_eq!(narrowed.field.len(), fields.len(), "{of} lacks a field of {fields:?}");
                copies.push(narrowed);
            }
            for owner in file.message_type.iter_mut().filter(|m| m.name() == message) {
                let target = owner
                    .field
                    .iter_mut()
                    .find(|f| f.name() == field)
                    .unwrap_or_else(|| panic!("{message} has no field {field}"));
                target.type_name = Some(format!(".{package}.{copy}"));
            }
        }
        for message in &mut file.message_type {
            if let Some((_, fields)) = READ.iter().find(|(name, _)| *name == message.name()) {
                message.field.retain(|f| fields.contains(&f.name()));
                assert_eq!(
                    message.field.len(),
                    fields.len(),
                    "{} lacks a field of {fields:?}",
                    message.name()
                );
            }
        }
        file.message_type.extend(copies);
    }
    descriptors
}

/// The prost code of `descriptors` (package `webcast`).
fn prost_code(descriptors: protox::prost_reflect::prost_types::FileDescriptorSet, out_dir: &Path) -> String {
    fs::create_dir_all(out_dir).expect("cannot create the output directory");
    prost_build::Config::new()
        // Every `bytes` field is a `bytes::Bytes`: decoding from a `Bytes` buffer then
        // slices message payloads out of the frame instead of copying them.
        .bytes(["."])
        // Deterministic map order (FetchResult.route_params).
        .btree_map(["."])
        .out_dir(out_dir)
        .compile_fds(descriptors)
        .expect("prost-build failed");
    fs::read_to_string(out_dir.join("webcast.rs")).expect("prost-build wrote no webcast.rs")
}

/// Writes `fresh` to `path` (relative to the crate) and fails when it differed.
fn check_fresh(path: &str, fresh: &str) {
    let committed_path = root().join(path);
    let committed = fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != fresh {
        fs::write(&committed_path, fresh).unwrap_or_else(|_| panic!("cannot refresh {path}"));
        panic!("{path} was stale and has been regenerated from proto/; rebuild, re-run the tests and commit it");
    }
}

#[test]
fn generated_read_view_is_fresh() {
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("codegen-read");
    let fresh = prost_code(read_view(), &out_dir);
    check_fresh("rust/generated/webcast_read.rs", &fresh);
}

#[test]
fn generated_code_is_fresh() {
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("codegen");
    let fresh = generate(&out_dir);
    assert!(
        fresh.contains("@generated"),
        "the generated file lost its @generated header"
    );

    let committed_path = root().join("rust/generated/webcast.rs");
    let committed = fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != fresh {
        fs::write(&committed_path, &fresh).expect("cannot refresh rust/generated/webcast.rs");
        panic!(
            "rust/generated/webcast.rs was stale and has been regenerated from proto/; \
             rebuild, re-run the tests and commit it"
        );
    }
}

/// Rust's keywords that prost escapes as raw identifiers when a field is named so.
const KEYWORDS: &[&str] = &[
    "type", "match", "ref", "self", "struct", "move", "loop", "fn", "mod", "use",
];

/// The source of `rust/generated/webcast_read_fill.rs`: how the decode budget's walk fills
/// each read-view type of the room messages (`budget::Fill`), field by field, with prost's
/// rules (a varint truncated to its field's type, `bool` is non-zero, the last singular value
/// wins, a singular message merges, repeated fields append).
fn generate_fill() -> String {
    use protox::prost_reflect::{Cardinality, DescriptorPool, Kind};

    let pool = DescriptorPool::from_file_descriptor_set(read_view()).expect("the read view is not a valid pool");
    let mut out = String::from(
        "// This file is @generated by rust/tests/codegen.rs from proto/webcast/*.proto.\n\
         // How the decode budget's walk fills the read view (rust/codec/budget.rs, `Fill`).\n\n\
         use crate::codec::budget::{new_entry, singular, Fill};\n",
    );
    for message in pool.all_messages() {
        // Room messages and what they hold; the frame and the batch are decoded by prost.
        if message.parent_file().name() == "webcast/frame.proto" {
            continue;
        }
        assert!(
            message.parent_message().is_none(),
            "{}: nested types are not supported",
            message.full_name()
        );
        let mut varints = String::new();
        let mut texts = String::new();
        let mut children = String::new();
        let mut fields: Vec<_> = message.fields().collect();
        fields.sort_by_key(protox::prost_reflect::FieldDescriptor::number);
        for field in fields {
            let name = if KEYWORDS.contains(&field.name()) {
                format!("r#{}", field.name())
            } else {
                field.name().to_owned()
            };
            let repeated = field.cardinality() == Cardinality::Repeated;
            assert!(!field.is_map(), "{}: maps are not supported", field.full_name());
            assert!(
                !field.field_descriptor_proto().proto3_optional(),
                "{}: optional scalars are not supported",
                field.full_name()
            );
            let number = field.number();
            let value = match field.kind() {
                Kind::Int64 => Some("value as i64"),
                Kind::Int32 | Kind::Enum(_) => Some("value as i32"),
                Kind::Bool => Some("value != 0"),
                _ => None,
            };
            match (field.kind(), value) {
                (_, Some(value)) if repeated => {
                    writeln!(varints, "            {number} => self.{name}.push({value}),")
                }
                (_, Some(value)) => writeln!(varints, "            {number} => self.{name} = {value},"),
                (Kind::String, None) if repeated => {
                    writeln!(texts, "            {number} => self.{name}.push(text.to_owned()),")
                }
                (Kind::String, None) => writeln!(texts, "            {number} => text.clone_into(&mut self.{name}),"),
                (Kind::Message(_), None) if repeated => {
                    writeln!(children, "            {number} => Some(new_entry(&mut self.{name})),")
                }
                (Kind::Message(_), None) => {
                    writeln!(children, "            {number} => Some(singular(&mut self.{name})),")
                }
                (other, None) => panic!("{}: {other:?} fields are not supported", field.full_name()),
            }
            .expect("writing to a String cannot fail");
        }
        write!(out, "\nimpl Fill for {} {{\n", message.name()).expect("writing to a String cannot fail");
        if !varints.is_empty() {
            write!(
                out,
                "    fn varint(&mut self, number: u32, value: u64) {{\n        match number {{\n{varints}            _ => {{}}\n        }}\n    }}\n"
            )
            .expect("writing to a String cannot fail");
        }
        if !texts.is_empty() {
            write!(
                out,
                "    fn text(&mut self, number: u32, text: &str) {{\n        match number {{\n{texts}            _ => {{}}\n        }}\n    }}\n"
            )
            .expect("writing to a String cannot fail");
        }
        if !children.is_empty() {
            write!(
                out,
                "    fn child(&mut self, number: u32) -> Option<&mut dyn Fill> {{\n        match number {{\n{children}            _ => None,\n        }}\n    }}\n"
            )
            .expect("writing to a String cannot fail");
        }
        out.push_str("}\n");
    }
    out
}

#[test]
fn generated_fill_is_fresh() {
    check_fresh("rust/generated/webcast_read_fill.rs", &generate_fill());
}

/// `ChatMessage` -> `CHAT_MESSAGE`; nested types join with `_`.
fn constant_name(full_name: &str) -> String {
    let name = full_name.strip_prefix("webcast.").unwrap_or(full_name);
    let mut out = String::new();
    let mut previous_lower = false;
    for ch in name.chars() {
        if ch == '.' {
            out.push('_');
            previous_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && previous_lower {
            out.push('_');
        }
        previous_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// The source of `rust/generated/schema.rs`: one `MessageSchema` per message type, in
/// the descriptor pool's order, fields sorted by number.
fn generate_schema() -> String {
    use protox::prost_reflect::{DescriptorPool, Kind};

    let pool = DescriptorPool::from_file_descriptor_set(compile()).expect("proto/ is not a valid pool");
    let messages: Vec<_> = pool.all_messages().collect();
    let index_of = |full_name: &str| {
        messages
            .iter()
            .position(|message| message.full_name() == full_name)
            .expect("a field names a message of the pool")
    };
    let mut out = String::from(
        "// This file is @generated by rust/tests/codegen.rs from proto/webcast/*.proto.\n\
         // The wire schema walked by the decode budget (rust/codec/budget.rs).\n\n\
         use super::{FieldSchema, MessageSchema, WireKind};\n\n",
    );
    for (index, message) in messages.iter().enumerate() {
        writeln!(
            out,
            "pub const {}: usize = {index};",
            constant_name(message.full_name())
        )
        .expect("writing to a String cannot fail");
    }
    out.push_str("\npub static MESSAGES: &[MessageSchema] = &[\n");
    for message in &messages {
        let mut fields: Vec<_> = message.fields().collect();
        fields.sort_by_key(protox::prost_reflect::FieldDescriptor::number);
        writeln!(
            out,
            "    MessageSchema {{\n        name: \"{}\",\n        fields: &[",
            message.name()
        )
        .expect("writing to a String cannot fail");
        for field in fields {
            let kind = match field.kind() {
                Kind::Int32 | Kind::Int64 | Kind::Bool | Kind::Enum(_) => String::from("WireKind::Varint"),
                Kind::String => String::from("WireKind::String"),
                Kind::Bytes => String::from("WireKind::Bytes"),
                Kind::Message(sub) if sub.is_map_entry() => format!("WireKind::Map({})", index_of(sub.full_name())),
                Kind::Message(sub) => format!("WireKind::Message({})", index_of(sub.full_name())),
                other => panic!(
                    "{}: {other:?} fields are not supported by the decoders",
                    field.full_name()
                ),
            };
            writeln!(
                out,
                "            FieldSchema {{ number: {}, kind: {kind}, repeated: {} }}, // {}",
                field.number(),
                field.is_list() || field.is_map(),
                field.name()
            )
            .expect("writing to a String cannot fail");
        }
        out.push_str("        ],\n    },\n");
    }
    out.push_str("];\n");
    out
}

#[test]
fn generated_schema_is_fresh() {
    let fresh = generate_schema();
    let committed_path = root().join("rust/generated/schema.rs");
    let committed = fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != fresh {
        fs::write(&committed_path, &fresh).expect("cannot refresh rust/generated/schema.rs");
        panic!(
            "rust/generated/schema.rs was stale and has been regenerated from proto/; \
             rebuild, re-run the tests and commit it"
        );
    }
}
