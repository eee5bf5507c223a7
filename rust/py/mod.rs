//! The pyo3 boundary: the codec's entry points as Python functions.
//!
//! Every function decodes in two phases. First the byte work (`PushFrame` parse, gzip
//! inflate, `FetchResult` parse, message decode) runs on plain Rust values with the
//! GIL released, so other Python threads keep running. Then the Python objects are
//! built in one pass ([`objects`]). Codec errors become `pytiktoklive.errors.DecodeError`
//! here and nowhere else ([`errors`]).

mod classes;
pub mod encode;
mod errors;
mod objects;
pub mod recent;
mod vocabulary;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::codec;
use crate::codec::model::EventBody;
use crate::codec::Limits;

use objects::Builder;

/// The limits of one call: the inflate cap, then the decode budget's bounds.
fn limits(max_inflated_size: usize, max_messages: usize, max_repeated: usize, max_objects: usize) -> Limits {
    Limits {
        max_inflated_size,
        max_messages,
        max_repeated,
        max_objects,
    }
}

/// Decode one binary websocket message (a ``PushFrame``) into a ``FetchResult``.
///
/// Raises ``pytiktoklive.errors.DecodeError`` when the frame, its gzip payload or its
/// fetch result is malformed, the payload inflates beyond ``max_inflated_size`` bytes, or
/// decoding would pass ``max_messages``, ``max_repeated`` or ``max_objects``.
#[pyfunction]
#[pyo3(signature = (
    data,
    max_inflated_size,
    max_messages = Limits::DEFAULT_MAX_MESSAGES,
    max_repeated = Limits::DEFAULT_MAX_REPEATED,
    max_objects = Limits::DEFAULT_MAX_OBJECTS,
    /
))]
pub fn decode_frame<'py>(
    py: Python<'py>,
    data: &[u8],
    max_inflated_size: usize,
    max_messages: usize,
    max_repeated: usize,
    max_objects: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = limits(max_inflated_size, max_messages, max_repeated, max_objects);
    let batch = py
        .detach(|| codec::decode_frame_with(data, &limits))
        .map_err(|error| errors::to_py(py, &error))?;
    Builder::new(py)?.batch(&batch)
}

/// Decode a ``webcast/im/fetch`` body (gunzipped first if it starts with the gzip magic).
#[pyfunction]
#[pyo3(signature = (
    data,
    max_inflated_size,
    max_messages = Limits::DEFAULT_MAX_MESSAGES,
    max_repeated = Limits::DEFAULT_MAX_REPEATED,
    max_objects = Limits::DEFAULT_MAX_OBJECTS,
    /
))]
pub fn decode_fetch_result<'py>(
    py: Python<'py>,
    data: &[u8],
    max_inflated_size: usize,
    max_messages: usize,
    max_repeated: usize,
    max_objects: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = limits(max_inflated_size, max_messages, max_repeated, max_objects);
    let batch = py
        .detach(|| codec::decode_fetch_result_with(data, &limits))
        .map_err(|error| errors::to_py(py, &error))?;
    Builder::new(py)?.batch(&batch)
}

/// Decode one room message by its envelope method name; raises ``DecodeError`` if it is malformed.
#[pyfunction]
#[pyo3(signature = (method, payload, msg_id, /))]
pub fn decode_message<'py>(
    py: Python<'py>,
    method: &str,
    payload: &Bound<'py, PyBytes>,
    msg_id: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let data = payload.as_bytes();
    let event = py
        .detach(|| codec::decode_message(method, data, msg_id))
        .map_err(|error| errors::to_py(py, &error))?;
    let builder = Builder::new(py)?;
    match &event.body {
        // The raw message is the caller's own bytes object: hand that back, not a copy.
        EventBody::Unknown(_) => builder.unknown_event(&event, payload.as_any().clone()),
        _ => builder.event(&event),
    }
}

/// Decode a frame entirely in Rust, build no Python objects, and return how many messages
/// decoded. For benchmarks: the cost of decoding without the cost of Python objects.
#[pyfunction]
#[pyo3(signature = (
    data,
    max_inflated_size,
    max_messages = Limits::DEFAULT_MAX_MESSAGES,
    max_repeated = Limits::DEFAULT_MAX_REPEATED,
    max_objects = Limits::DEFAULT_MAX_OBJECTS,
    /
))]
pub fn count_frame_messages(
    py: Python<'_>,
    data: &[u8],
    max_inflated_size: usize,
    max_messages: usize,
    max_repeated: usize,
    max_objects: usize,
) -> PyResult<usize> {
    let limits = limits(max_inflated_size, max_messages, max_repeated, max_objects);
    py.detach(|| codec::decode_frame_with(data, &limits).map(|batch| batch.events.len()))
        .map_err(|error| errors::to_py(py, &error))
}
