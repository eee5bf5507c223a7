//! The schema as data: `proto/webcast` compiled into one field table per message.
//!
//! The tables come from the `FileDescriptorSet` embedded at build time
//! (`rust/generated/webcast.fds`, kept fresh by `cargo test --test descriptors`), read
//! once with `prost-reflect`. They drive the descriptor-driven encoder of the simulator
//! (which writes any message from plain values, by message name) and its decoder
//! (`prost-reflect`'s `DynamicMessage`, through [`Schema::descriptor`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, Kind, MessageDescriptor};

/// The binary `FileDescriptorSet` of `proto/webcast/*.proto`.
const DESCRIPTORS: &[u8] = include_bytes!("../generated/webcast.fds");

/// The protobuf package of every message.
const PACKAGE_PREFIX: &str = "webcast.";

/// A scalar value type, as written on the wire (enums are written as `Int32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Int32,
    Int64,
    UInt32,
    UInt64,
    SInt32,
    SInt64,
    Fixed32,
    Fixed64,
    SFixed32,
    SFixed64,
    Float,
    Double,
    Bool,
    String,
    Bytes,
}

impl Scalar {
    /// The wire type of one value (not packed).
    pub fn wire_type(self) -> u32 {
        use super::wire::{FIXED32, FIXED64, LEN, VARINT};
        match self {
            Self::Fixed32 | Self::SFixed32 | Self::Float => FIXED32,
            Self::Fixed64 | Self::SFixed64 | Self::Double => FIXED64,
            Self::String | Self::Bytes => LEN,
            _ => VARINT,
        }
    }
}

/// What one value of a field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    Scalar(Scalar),
    /// A message: the index of its table in [`Schema::messages`].
    Message(usize),
}

/// How many values a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One value; `presence`: written even when it is the default (proto3 `optional`, oneofs).
    Single { presence: bool },
    /// A list; `packed`: numeric values in one length-delimited record (proto3's default).
    Repeated { packed: bool },
    /// A map, written as entries with `key` = 1 and `value` = 2.
    Map { key: Scalar, value: ValueType },
}

/// One field of a message.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub number: u32,
    /// The type of each value (for a map: the entry message, see [`Shape::Map`]).
    pub value: ValueType,
    pub shape: Shape,
}

/// One message: its name without the package (`ChatMessage`, `FetchResult.RouteParamsEntry`)
/// and its fields in declaration order, the order they are written in.
#[derive(Clone, Debug)]
pub struct MessageTable {
    pub name: String,
    pub fields: Vec<Field>,
}

/// Every message of the schema.
pub struct Schema {
    pub messages: Vec<MessageTable>,
    descriptors: Vec<MessageDescriptor>,
    index: HashMap<String, usize>,
}

impl Schema {
    /// The index of message `name` (without the package), if the schema has it.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The reflection descriptor of message `index`.
    pub fn descriptor(&self, index: usize) -> &MessageDescriptor {
        &self.descriptors[index]
    }

    /// The names a caller can encode: top-level messages (map entries are nested).
    pub fn top_level_names(&self) -> impl Iterator<Item = &str> {
        self.messages
            .iter()
            .map(|message| message.name.as_str())
            .filter(|name| !name.contains('.'))
    }

    fn build(pool: &DescriptorPool) -> Self {
        let descriptors: Vec<MessageDescriptor> = pool
            .all_messages()
            .filter(|message| message.full_name().starts_with(PACKAGE_PREFIX))
            .collect();
        let index: HashMap<String, usize> = descriptors
            .iter()
            .enumerate()
            .map(|(position, message)| (short_name(message).to_owned(), position))
            .collect();
        let messages = descriptors
            .iter()
            .map(|message| MessageTable {
                name: short_name(message).to_owned(),
                fields: message.fields().map(|field| field_of(&field, &index)).collect(),
            })
            .collect();
        Self {
            messages,
            descriptors,
            index,
        }
    }
}

fn short_name(message: &MessageDescriptor) -> &str {
    &message.full_name()[PACKAGE_PREFIX.len()..]
}

fn value_type(kind: &Kind, index: &HashMap<String, usize>) -> ValueType {
    ValueType::Scalar(match kind {
        Kind::Message(message) => return ValueType::Message(index[short_name(message)]),
        Kind::Int32 | Kind::Enum(_) => Scalar::Int32,
        Kind::Int64 => Scalar::Int64,
        Kind::Uint32 => Scalar::UInt32,
        Kind::Uint64 => Scalar::UInt64,
        Kind::Sint32 => Scalar::SInt32,
        Kind::Sint64 => Scalar::SInt64,
        Kind::Fixed32 => Scalar::Fixed32,
        Kind::Fixed64 => Scalar::Fixed64,
        Kind::Sfixed32 => Scalar::SFixed32,
        Kind::Sfixed64 => Scalar::SFixed64,
        Kind::Float => Scalar::Float,
        Kind::Double => Scalar::Double,
        Kind::Bool => Scalar::Bool,
        Kind::String => Scalar::String,
        Kind::Bytes => Scalar::Bytes,
    })
}

fn field_of(field: &prost_reflect::FieldDescriptor, index: &HashMap<String, usize>) -> Field {
    let kind = field.kind();
    let shape = if field.is_map() {
        let entry = kind.as_message().expect("a map field's kind is its entry message");
        let key = match value_type(&entry.map_entry_key_field().kind(), index) {
            ValueType::Scalar(key) => key,
            ValueType::Message(_) => unreachable!("map keys are scalars"),
        };
        Shape::Map {
            key,
            value: value_type(&entry.map_entry_value_field().kind(), index),
        }
    } else if field.is_list() {
        Shape::Repeated {
            packed: field.is_packed(),
        }
    } else {
        Shape::Single {
            presence: field.supports_presence() && kind.as_message().is_none(),
        }
    };
    Field {
        name: field.name().to_owned(),
        number: field.number(),
        value: value_type(&kind, index),
        shape,
    }
}

/// The schema, compiled on first use.
///
/// # Panics
///
/// Never in a build that passed `cargo test --test descriptors`, which checks the embedded
/// descriptors against `proto/`.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let pool = DescriptorPool::decode(DESCRIPTORS).expect("the embedded descriptors are checked by cargo test");
        Schema::build(&pool)
    })
}
