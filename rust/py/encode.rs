//! The encoder at the pyo3 boundary.
//!
//! * `encode_*_frame`: the client's outbound frames ([`crate::encode::frames`]).
//! * `encode_message(name, fields)`: any message of the schema from plain Python values,
//!   walked along the schema's field tables ([`crate::encode::schema`]) and written straight
//!   to protobuf bytes. A message value is a `dict` of field values or any object whose
//!   `__dict__` is one (the simulator's `pb.X(...)` field holders); lists for repeated
//!   fields, dicts for maps, ints for enums; `None` and absent fields are not written, nor
//!   are default scalars (proto3) outside lists and map entries. Fields are written in declaration order, as prost and
//!   betterproto2 write them, so the bytes are the same.
//! * `decode_message_fields(name, data, build)`: the other way, for the simulator's
//!   parsing of client frames and captures (`prost-reflect`'s `DynamicMessage`).

use prost_reflect::{DynamicMessage, MapKey, Value};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple, PyType};

use crate::encode::frames;
use crate::encode::schema::{schema, Scalar, Schema, Shape, ValueType};
use crate::encode::wire::{prefix_length, put_key, put_len_field, put_varint, zigzag, LEN};

/// How deep messages may nest (the schema has no recursive message: this only bounds the walk).
const MAX_DEPTH: usize = 64;

/// A `hb` frame: ``HeartbeatMessage{room_id, send_packet_seq_id=seq}``.
#[pyfunction]
#[pyo3(signature = (room_id, seq, /))]
pub fn encode_heartbeat_frame(py: Python<'_>, room_id: i64, seq: i64) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &frames::heartbeat_frame(room_id, seq))
}

/// An ``ack`` for the ``msg`` frame with ``log_id``; payload ``internal_ext`` (``"-"`` if empty).
#[pyfunction]
#[pyo3(signature = (log_id, internal_ext, /))]
pub fn encode_ack_frame<'py>(py: Python<'py>, log_id: i64, internal_ext: &str) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &frames::ack_frame(log_id, internal_ext))
}

/// An ``im_enter_room`` frame: join ``room_id`` of LIVE ``live_id`` as an audience member.
#[pyfunction]
#[pyo3(signature = (room_id, live_id, /))]
pub fn encode_enter_room_frame(py: Python<'_>, room_id: i64, live_id: i64) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &frames::enter_room_frame(room_id, live_id))
}

/// Encode message ``name`` of the schema from ``fields`` (a mapping of field name to value).
#[pyfunction]
#[pyo3(signature = (name, fields, /))]
pub fn encode_message<'py>(py: Python<'py>, name: &str, fields: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let schema = schema();
    let index = find(schema, name)?;
    let encoder = Encoder {
        schema,
        names: field_names(py, schema),
    };
    let mut buf = Vec::with_capacity(256);
    encoder
        .message(&mut buf, index, fields, 0)
        .map_err(|failure| failure.into_py(name))?;
    Ok(PyBytes::new(py, &buf))
}

/// The default value of every field of message ``name`` (``[]`` for lists, ``None`` for messages).
#[pyfunction]
#[pyo3(signature = (name, /))]
pub fn message_defaults<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let schema = schema();
    let defaults = PyDict::new(py);
    for field in &schema.messages[find(schema, name)?].fields {
        let value = match (field.shape, field.value) {
            (Shape::Repeated { .. }, _) => PyList::empty(py).into_any(),
            (Shape::Map { .. }, _) => PyDict::new(py).into_any(),
            (Shape::Single { .. }, ValueType::Message(_)) => py.None().into_bound(py),
            (Shape::Single { .. }, ValueType::Scalar(scalar)) => scalar_default(py, scalar),
        };
        defaults.set_item(&field.name, value)?;
    }
    Ok(defaults)
}

/// The names of the schema's messages (without the ``webcast.`` package).
#[pyfunction]
pub fn message_names(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
    PyTuple::new(py, schema().top_level_names().collect::<Vec<_>>())
}

/// Decode ``data`` as message ``name``: ``build(name, fields)`` makes each message (nested
/// ones first) from the dict of its fields present on the wire. Raises ``DecodeError``.
#[pyfunction]
#[pyo3(signature = (name, data, build, /))]
pub fn decode_message_fields<'py>(
    py: Python<'py>,
    name: &str,
    data: &[u8],
    build: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let schema = schema();
    let index = find(schema, name)?;
    let message = py
        .detach(|| DynamicMessage::decode(schema.descriptor(index).clone(), data))
        .map_err(|error| decode_error(py, &format!("malformed {name}: {error}")))?;
    Decoder {
        py,
        schema,
        names: field_names(py, schema),
        build,
    }
    .message(index, &message)
}

fn find(schema: &Schema, name: &str) -> PyResult<usize> {
    schema
        .find(name)
        .ok_or_else(|| PyValueError::new_err(format!("the WebCast schema has no message named {name:?}")))
}

fn scalar_default(py: Python<'_>, scalar: Scalar) -> Bound<'_, PyAny> {
    match scalar {
        Scalar::Bool => PyBool::new(py, false).to_owned().into_any(),
        Scalar::String => PyString::new(py, "").into_any(),
        Scalar::Bytes => PyBytes::new(py, b"").into_any(),
        Scalar::Float | Scalar::Double => 0.0_f64
            .into_pyobject(py)
            .map_or_else(|never| match never {}, Bound::into_any),
        _ => 0_i64
            .into_pyobject(py)
            .map_or_else(|never| match never {}, Bound::into_any),
    }
}

static DECODE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn decode_error(py: Python<'_>, message: &str) -> PyErr {
    match DECODE_ERROR.import(py, "pytiktoklive.errors", "DecodeError") {
        Ok(class) => PyErr::from_type(class.clone(), message.to_owned()),
        Err(import_error) => import_error,
    }
}

// ------------------------------------------------------------------ encoding

/// The field names of every message as interned Python strings: dict lookups by identity.
fn field_names<'a>(py: Python<'_>, schema: &Schema) -> &'a [Vec<Py<PyString>>] {
    static NAMES: PyOnceLock<Vec<Vec<Py<PyString>>>> = PyOnceLock::new();
    NAMES.get_or_init(py, || {
        schema
            .messages
            .iter()
            .map(|message| {
                message
                    .fields
                    .iter()
                    .map(|field| PyString::intern(py, &field.name).unbind())
                    .collect()
            })
            .collect()
    })
}

/// Why a value could not be encoded, and where (field names, innermost first).
struct Failure {
    kind: FailureKind,
    message: String,
    path: Vec<String>,
}

enum FailureKind {
    Type,
    Value,
    Overflow,
}

impl Failure {
    fn new(kind: FailureKind, message: String) -> Self {
        Self {
            kind,
            message,
            path: Vec::new(),
        }
    }

    fn wrong_type(expected: &str, value: &Bound<'_, PyAny>) -> Self {
        let got = value
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |name| name.to_string());
        Self::new(FailureKind::Type, format!("expected {expected}, got {got}"))
    }

    fn at(mut self, field: &str) -> Self {
        self.path.push(field.to_owned());
        self
    }

    /// `TypeError("ChatMessage.user.nickname: expected str, got int")`, `…badge_list[2]…`.
    fn into_py(self, message_name: &str) -> PyErr {
        let mut place = message_name.to_owned();
        for field in self.path.iter().rev() {
            if !field.starts_with('[') {
                place.push('.');
            }
            place.push_str(field);
        }
        let text = format!("{place}: {}", self.message);
        match self.kind {
            FailureKind::Type => PyTypeError::new_err(text),
            FailureKind::Value => PyValueError::new_err(text),
            FailureKind::Overflow => PyOverflowError::new_err(text),
        }
    }
}

type Encoded = Result<(), Failure>;

struct Encoder<'a> {
    schema: &'a Schema,
    names: &'a [Vec<Py<PyString>>],
}

impl Encoder<'_> {
    /// Writes the fields of message `index`, taken from `value` (a dict or an object's `__dict__`).
    fn message(&self, buf: &mut Vec<u8>, index: usize, value: &Bound<'_, PyAny>, depth: usize) -> Encoded {
        if depth > MAX_DEPTH {
            return Err(Failure::new(
                FailureKind::Value,
                format!("messages nested deeper than {MAX_DEPTH} (a message that contains itself?)"),
            ));
        }
        let owned;
        let fields = if let Ok(dict) = value.cast::<PyDict>() {
            dict
        } else {
            owned = value
                .getattr(intern!(value.py(), "__dict__"))
                .ok()
                .and_then(|attrs| attrs.cast_into::<PyDict>().ok())
                .ok_or_else(|| Failure::wrong_type("a message (a dict or a pb.X(...) object)", value))?;
            &owned
        };
        let table = &self.schema.messages[index];
        let mut present = 0;
        for (field, name) in table.fields.iter().zip(&self.names[index]) {
            let Some(item) = fields
                .get_item(name.bind(value.py()))
                .map_err(|error| Failure::new(FailureKind::Value, error.to_string()))?
            else {
                continue;
            };
            present += 1;
            if item.is_none() {
                continue;
            }
            self.field(buf, field, &item, depth)
                .map_err(|failure| failure.at(&field.name))?;
        }
        if present < fields.len() {
            return Err(self.unknown_field(index, fields));
        }
        Ok(())
    }

    fn unknown_field(&self, index: usize, fields: &Bound<'_, PyDict>) -> Failure {
        let table = &self.schema.messages[index];
        let unknown = fields.keys().iter().find(|key| {
            key.cast::<PyString>()
                .ok()
                .and_then(|key| key.to_cow().ok().map(std::borrow::Cow::into_owned))
                .is_none_or(|key| table.fields.iter().all(|field| field.name != key))
        });
        let key = unknown.map_or_else(String::new, |key| {
            key.repr().map_or_else(|_| "?".to_owned(), |r| r.to_string())
        });
        Failure::new(FailureKind::Type, format!("no field {key} in {}", table.name))
    }

    fn field(
        &self,
        buf: &mut Vec<u8>,
        field: &crate::encode::schema::Field,
        value: &Bound<'_, PyAny>,
        depth: usize,
    ) -> Encoded {
        match field.shape {
            Shape::Single { presence } => self.value(buf, field.number, field.value, value, !presence, depth),
            Shape::Repeated { packed } => {
                let items = sequence(value)?;
                if packed {
                    let ValueType::Scalar(scalar) = field.value else {
                        unreachable!("only scalars are packed")
                    };
                    if items.is_empty() {
                        return Ok(());
                    }
                    put_key(buf, field.number, LEN);
                    let start = buf.len();
                    for (position, item) in items.iter().enumerate() {
                        raw_scalar(buf, scalar, item).map_err(|failure| failure.at(&format!("[{position}]")))?;
                    }
                    prefix_length(buf, start);
                } else {
                    for (position, item) in items.iter().enumerate() {
                        self.value(buf, field.number, field.value, item, false, depth)
                            .map_err(|failure| failure.at(&format!("[{position}]")))?;
                    }
                }
                Ok(())
            }
            Shape::Map { key, value: value_type } => {
                let map = value
                    .cast::<PyDict>()
                    .map_err(|_| Failure::wrong_type("a dict", value))?;
                // Entries carry their key and value even when they are defaults, as Google's
                // encoders and betterproto2 write them.
                for (entry_key, entry_value) in map.iter() {
                    put_key(buf, field.number, LEN);
                    let start = buf.len();
                    self.value(buf, 1, ValueType::Scalar(key), &entry_key, false, depth)
                        .map_err(|failure| failure.at("[<key>]"))?;
                    if !entry_value.is_none() {
                        self.value(buf, 2, value_type, &entry_value, false, depth)
                            .map_err(|failure| failure.at(&format!("[{entry_key}]")))?;
                    }
                    prefix_length(buf, start);
                }
                Ok(())
            }
        }
    }

    /// Writes one value as field `number`; `skip_default`: write nothing for a default scalar.
    fn value(
        &self,
        buf: &mut Vec<u8>,
        number: u32,
        value_type: ValueType,
        value: &Bound<'_, PyAny>,
        skip_default: bool,
        depth: usize,
    ) -> Encoded {
        match value_type {
            ValueType::Message(index) => {
                put_key(buf, number, LEN);
                let start = buf.len();
                self.message(buf, index, value, depth + 1)?;
                prefix_length(buf, start);
                Ok(())
            }
            ValueType::Scalar(Scalar::String) => {
                // `to_cow`: the limited API of Python 3.9 (abi3) has no borrowed UTF-8 view.
                let text = value
                    .cast::<PyString>()
                    .map_err(|_| Failure::wrong_type("str", value))?
                    .to_cow()
                    .map_err(|error| Failure::new(FailureKind::Value, error.to_string()))?;
                if !(skip_default && text.is_empty()) {
                    put_len_field(buf, number, text.as_bytes());
                }
                Ok(())
            }
            ValueType::Scalar(Scalar::Bytes) => {
                let write = |buf: &mut Vec<u8>, data: &[u8]| {
                    if !(skip_default && data.is_empty()) {
                        put_len_field(buf, number, data);
                    }
                };
                if let Ok(data) = value.cast::<PyBytes>() {
                    write(buf, data.as_bytes());
                } else if let Ok(data) = value.cast::<PyByteArray>() {
                    write(buf, &data.to_vec());
                } else {
                    return Err(Failure::wrong_type("bytes", value));
                }
                Ok(())
            }
            ValueType::Scalar(scalar) => {
                // Written, then taken back if it turns out to be a default: one pass over the value.
                let start = buf.len();
                put_key(buf, number, scalar.wire_type());
                if raw_scalar(buf, scalar, value)? && skip_default {
                    buf.truncate(start);
                }
                Ok(())
            }
        }
    }
}

fn sequence<'py>(value: &Bound<'py, PyAny>) -> Result<Vec<Bound<'py, PyAny>>, Failure> {
    if let Ok(list) = value.cast::<PyList>() {
        Ok(list.iter().collect())
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        Ok(tuple.iter().collect())
    } else {
        Err(Failure::wrong_type("a list", value))
    }
}

fn int<'py, T: FromPyObjectOwned<'py>>(value: &Bound<'py, PyAny>, range: &str) -> Result<T, Failure> {
    if value.cast::<pyo3::types::PyInt>().is_err() {
        return Err(Failure::wrong_type("int", value));
    }
    value
        .extract::<T>()
        .map_err(|_| Failure::new(FailureKind::Overflow, format!("{value} is out of range for {range}")))
}

fn float(value: &Bound<'_, PyAny>) -> Result<f64, Failure> {
    value.extract::<f64>().map_err(|_| Failure::wrong_type("float", value))
}

/// Writes the wire form of a numeric or bool `value` (no key); returns whether it is the default.
fn raw_scalar(buf: &mut Vec<u8>, scalar: Scalar, value: &Bound<'_, PyAny>) -> Result<bool, Failure> {
    Ok(match scalar {
        Scalar::Bool => {
            let flag = if let Ok(flag) = value.cast::<PyBool>() {
                flag.is_true()
            } else {
                int::<i64>(value, "bool")? != 0
            };
            buf.push(u8::from(flag));
            !flag
        }
        Scalar::Int32 => {
            let number = i64::from(int::<i32>(value, "int32")?);
            put_varint(buf, number as u64);
            number == 0
        }
        Scalar::Int64 => {
            let number = int::<i64>(value, "int64")?;
            put_varint(buf, number as u64);
            number == 0
        }
        Scalar::UInt32 => {
            let number = int::<u32>(value, "uint32")?;
            put_varint(buf, u64::from(number));
            number == 0
        }
        Scalar::UInt64 => {
            let number = int::<u64>(value, "uint64")?;
            put_varint(buf, number);
            number == 0
        }
        Scalar::SInt32 => {
            let number = int::<i32>(value, "sint32")?;
            put_varint(buf, zigzag(i64::from(number)));
            number == 0
        }
        Scalar::SInt64 => {
            let number = int::<i64>(value, "sint64")?;
            put_varint(buf, zigzag(number));
            number == 0
        }
        Scalar::Fixed32 => {
            let number = int::<u32>(value, "fixed32")?;
            buf.extend_from_slice(&number.to_le_bytes());
            number == 0
        }
        Scalar::SFixed32 => {
            let number = int::<i32>(value, "sfixed32")?;
            buf.extend_from_slice(&number.to_le_bytes());
            number == 0
        }
        Scalar::Fixed64 => {
            let number = int::<u64>(value, "fixed64")?;
            buf.extend_from_slice(&number.to_le_bytes());
            number == 0
        }
        Scalar::SFixed64 => {
            let number = int::<i64>(value, "sfixed64")?;
            buf.extend_from_slice(&number.to_le_bytes());
            number == 0
        }
        Scalar::Float => {
            let number = float(value)? as f32;
            buf.extend_from_slice(&number.to_le_bytes());
            number == 0.0
        }
        Scalar::Double => {
            let number = float(value)?;
            buf.extend_from_slice(&number.to_le_bytes());
            number == 0.0
        }
        Scalar::String | Scalar::Bytes => unreachable!("length-delimited values are written by Encoder::value"),
    })
}

// ------------------------------------------------------------------ decoding

struct Decoder<'a, 'py> {
    py: Python<'py>,
    schema: &'a Schema,
    /// The interned field names: decoded dicts share their keys with the encoder's lookups.
    names: &'a [Vec<Py<PyString>>],
    build: &'a Bound<'py, PyAny>,
}

impl<'py> Decoder<'_, 'py> {
    fn message(&self, index: usize, message: &DynamicMessage) -> PyResult<Bound<'py, PyAny>> {
        let table = &self.schema.messages[index];
        let fields = PyDict::new(self.py);
        for (field, name) in table.fields.iter().zip(&self.names[index]) {
            if !message.has_field_by_number(field.number) {
                continue;
            }
            let Some(value) = message.get_field_by_number(field.number) else {
                continue;
            };
            fields.set_item(name.bind(self.py), self.value(field.value, &value)?)?;
        }
        self.build.call1((&table.name, fields))
    }

    fn value(&self, value_type: ValueType, value: &Value) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match value {
            Value::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
            Value::I32(number) | Value::EnumNumber(number) => number.into_pyobject(py)?.into_any(),
            Value::I64(number) => number.into_pyobject(py)?.into_any(),
            Value::U32(number) => number.into_pyobject(py)?.into_any(),
            Value::U64(number) => number.into_pyobject(py)?.into_any(),
            Value::F32(number) => f64::from(*number).into_pyobject(py)?.into_any(),
            Value::F64(number) => number.into_pyobject(py)?.into_any(),
            Value::String(text) => PyString::new(py, text).into_any(),
            Value::Bytes(data) => PyBytes::new(py, data).into_any(),
            Value::Message(message) => {
                let ValueType::Message(index) = value_type else {
                    return Err(decode_error(py, "a message where the schema has a scalar"));
                };
                self.message(index, message)?
            }
            Value::List(items) => {
                let list = PyList::empty(py);
                for item in items {
                    list.append(self.value(value_type, item)?)?;
                }
                list.into_any()
            }
            Value::Map(entries) => {
                // The wire order is lost in the reflection's hash map: sorted keys, so the dict is
                // the same in every process.
                let mut entries: Vec<_> = entries.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let dict = PyDict::new(py);
                for (key, item) in entries {
                    dict.set_item(self.map_key(key)?, self.value(value_type, item)?)?;
                }
                dict.into_any()
            }
        })
    }

    fn map_key(&self, key: &MapKey) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match key {
            MapKey::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
            MapKey::I32(number) => number.into_pyobject(py)?.into_any(),
            MapKey::I64(number) => number.into_pyobject(py)?.into_any(),
            MapKey::U32(number) => number.into_pyobject(py)?.into_any(),
            MapKey::U64(number) => number.into_pyobject(py)?.into_any(),
            MapKey::String(text) => PyString::new(py, text).into_any(),
        })
    }
}
