//! The sans-I/O codec: WebCast bytes in, Rust values out. No Python here.
//!
//! * [`decode_frame`]: one binary websocket message (`PushFrame`); a `"msg"` frame's
//!   payload is gunzipped when its `compress_type` header is `"gzip"` or it starts with
//!   the gzip magic, then decoded as a `FetchResult`.
//! * [`decode_fetch_result`]: the body of `webcast/im/fetch` (gunzipped when it starts
//!   with the gzip magic).
//! * [`decode_message`]: one room message, given its envelope method name.
//!
//! Frame-level failures are a [`DecodeError`]. Inside a batch, a message whose payload
//! does not decode (or whose method name is not UTF-8) becomes a [`Skipped`] entry and the
//! rest of the batch is delivered.
//!
//! Every buffer is walked by the decode [`budget`] before prost decodes it, and room messages
//! are decoded by that walk itself as it counts them: a frame that would build more than its
//! [`Limits`] allow is refused whole, having built no more than they allow.

pub mod budget;
mod convert;
mod error;
pub mod gzip;
mod methods;
pub mod model;

use std::collections::BTreeMap;

use bytes::Bytes;
use prost::Message as _;

use budget::{schema, Budget, Stop};

pub use budget::Limits;
pub use convert::social_event_type;
pub use error::DecodeError;
pub use methods::Method;
pub use model::{Batch, Event, EventBody, Skipped};

use crate::webcast as pb;

/// The `PushFrame.payload_type` of frames that carry a `FetchResult`.
pub const MSG_PAYLOAD_TYPE: &str = "msg";

/// Decodes one binary websocket message with the default [`Limits`] and an inflate cap
/// of `max_inflated_size` bytes.
pub fn decode_frame(data: &[u8], max_inflated_size: usize) -> Result<Batch, DecodeError> {
    decode_frame_with(data, &Limits::with_max_inflated_size(max_inflated_size))
}

/// Decodes one binary websocket message. Only `"msg"` frames carry a batch; other frames
/// (`"hb"`, `"im_enter_room_resp"`, …) give a [`Batch`] with their `payload_type`,
/// `log_id` and `seq_id` and everything else at its default.
pub fn decode_frame_with(data: &[u8], limits: &Limits) -> Result<Batch, DecodeError> {
    let mut budget = Budget::new(limits);
    walk(&mut budget, schema::PUSH_FRAME, data, "PushFrame")?;
    let frame = FrameHead::decode(data).map_err(DecodeError::MalformedFrame)?;
    let mut batch = if frame.payload_type == MSG_PAYLOAD_TYPE {
        let gzip_header = frame
            .headers
            .iter()
            .any(|header| header.key == "compress_type" && header.value == "gzip");
        // The walk accepted the frame, so finding its payload cannot fail.
        let payload = budget::last_len_field(data, 8).map_err(|_| DecodeError::Malformed {
            what: String::from("PushFrame"),
            reason: String::from("the payload cannot be found"),
        })?;
        let body = if gzip_header || gzip::is_gzip(payload) {
            Bytes::from(gzip::inflate(payload, limits.max_inflated_size)?)
        } else {
            Bytes::copy_from_slice(payload)
        };
        decode_body(&body, &mut budget)?
    } else {
        Batch::default()
    };
    batch.payload_type = frame.payload_type;
    batch.log_id = frame.log_id;
    batch.seq_id = frame.seq_id;
    Ok(batch)
}

/// Decodes a `webcast/im/fetch` response body with the default [`Limits`] and an inflate
/// cap of `max_inflated_size` bytes.
pub fn decode_fetch_result(data: &[u8], max_inflated_size: usize) -> Result<Batch, DecodeError> {
    decode_fetch_result_with(data, &Limits::with_max_inflated_size(max_inflated_size))
}

/// Decodes a `webcast/im/fetch` response body (`payload_type` is `"msg"`, `log_id` and
/// `seq_id` are 0).
pub fn decode_fetch_result_with(data: &[u8], limits: &Limits) -> Result<Batch, DecodeError> {
    let body = if gzip::is_gzip(data) {
        Bytes::from(gzip::inflate(data, limits.max_inflated_size)?)
    } else {
        Bytes::copy_from_slice(data)
    };
    let mut batch = decode_body(&body, &mut Budget::new(limits))?;
    batch.payload_type = String::from(MSG_PAYLOAD_TYPE);
    Ok(batch)
}

/// Decodes one room message (within the default [`Limits`]). `msg_id` is the envelope's
/// (used when the message's common header has none). Unknown methods give an `Unknown`
/// event holding a copy of `payload`; a payload that does not decode as its method's type
/// is an error.
pub fn decode_message(method: &str, payload: &[u8], msg_id: i64) -> Result<Event, DecodeError> {
    let mut budget = Budget::new(&Limits::default());
    match Method::from_wire(method) {
        Some(known) => convert::decode_known(known, payload, msg_id, &mut budget).map_err(|stop| match stop {
            Stop::Limit(error) => error,
            Stop::Malformed(reason) => DecodeError::Malformed {
                what: format!("{method} payload"),
                reason,
            },
        }),
        None => match budget.walk_message(schema::UNKNOWN_MESSAGE, payload) {
            Err(Stop::Limit(error)) => Err(error),
            walked => Ok(convert::decode_unknown(
                method,
                Bytes::copy_from_slice(payload),
                msg_id,
                walked.is_ok(),
            )),
        },
    }
}

/// Walks `data` as a `message`; a malformed buffer is a [`DecodeError::Malformed`].
fn walk(budget: &mut Budget, message: usize, data: &[u8], what: &str) -> Result<(), DecodeError> {
    budget.walk(message, data).map_err(|stop| match stop {
        Stop::Limit(error) => error,
        Stop::Malformed(reason) => DecodeError::Malformed {
            what: what.to_owned(),
            reason,
        },
    })
}

/// `PushFrame` (`proto/webcast/frame.proto`) without its `payload` (field 8), which prost
/// skips instead of copying: the gzip payload is inflated from the frame's own bytes
/// ([`budget::last_len_field`]). The other fields are those of `PushFrame`, so prost checks
/// the same text and gives the same errors.
#[derive(Clone, PartialEq, prost::Message)]
struct FrameHead {
    #[prost(int64, tag = "1")]
    seq_id: i64,
    #[prost(int64, tag = "2")]
    log_id: i64,
    #[prost(int64, tag = "3")]
    service: i64,
    #[prost(int64, tag = "4")]
    method: i64,
    #[prost(message, repeated, tag = "5")]
    headers: Vec<pb::PushHeader>,
    #[prost(string, tag = "6")]
    payload_encoding: String,
    #[prost(string, tag = "7")]
    payload_type: String,
}

/// `FetchResult` (`proto/webcast/frame.proto`) as the codec reads it: `cursor` and each
/// envelope's `method` are bytes, so invalid UTF-8 in them costs one replacement character
/// (cursor) or one skipped message (method), never the batch. Every field is declared,
/// read or not, so that prost checks the text of all of them.
#[derive(Clone, PartialEq, prost::Message)]
struct FetchBody {
    #[prost(message, repeated, tag = "1")]
    messages: Vec<Envelope>,
    #[prost(bytes = "bytes", tag = "2")]
    cursor: Bytes,
    #[prost(int64, tag = "3")]
    fetch_interval: i64,
    #[prost(int64, tag = "4")]
    now: i64,
    #[prost(string, tag = "5")]
    internal_ext: String,
    #[prost(int32, tag = "6")]
    fetch_type: i32,
    #[prost(btree_map = "string, string", tag = "7")]
    route_params: BTreeMap<String, String>,
    #[prost(int64, tag = "8")]
    heartbeat_duration: i64,
    #[prost(bool, tag = "9")]
    need_ack: bool,
    #[prost(string, tag = "10")]
    push_server: String,
    #[prost(bool, tag = "11")]
    is_first: bool,
    #[prost(string, tag = "12")]
    history_comment_cursor: String,
    #[prost(bool, tag = "13")]
    history_no_more: bool,
}

/// `Message`, the envelope of one room message, with its method as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct Envelope {
    #[prost(bytes = "bytes", tag = "1")]
    method: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    payload: Bytes,
    #[prost(int64, tag = "3")]
    msg_id: i64,
    #[prost(int32, tag = "4")]
    msg_type: i32,
    #[prost(int64, tag = "5")]
    offset: i64,
    #[prost(bool, tag = "6")]
    is_history: bool,
}

/// Decodes a `FetchResult`. Message payloads are slices of `body`, not copies.
fn decode_body(body: &Bytes, budget: &mut Budget) -> Result<Batch, DecodeError> {
    walk(budget, schema::FETCH_RESULT, body, "FetchResult")?;
    // Decoding from a `Bytes` makes every `bytes` field a zero-copy slice of it.
    let fetch = FetchBody::decode(body.clone()).map_err(DecodeError::MalformedFetchResult)?;
    let mut events = Vec::with_capacity(fetch.messages.len());
    let mut skipped = Vec::new();
    for message in fetch.messages {
        let Ok(method) = std::str::from_utf8(&message.method) else {
            skipped.push(Skipped {
                method: String::from_utf8_lossy(&message.method).into_owned(),
                msg_id: message.msg_id,
                payload: message.payload,
                reason: String::from("the method name is not valid UTF-8"),
            });
            continue;
        };
        let decoded = match Method::from_wire(method) {
            Some(known) => match convert::decode_known(known, &message.payload, message.msg_id, budget) {
                Err(Stop::Limit(error)) => return Err(error),
                Err(Stop::Malformed(reason)) => Err(format!("malformed {method} payload: {reason}")),
                Ok(event) => Ok(event),
            },
            None => match budget.walk_message(schema::UNKNOWN_MESSAGE, &message.payload) {
                Err(Stop::Limit(error)) => return Err(error),
                walked => Ok(convert::decode_unknown(
                    method,
                    message.payload.clone(),
                    message.msg_id,
                    walked.is_ok(),
                )),
            },
        };
        match decoded {
            Ok(event) => events.push(event),
            Err(reason) => skipped.push(Skipped {
                method: method.to_owned(),
                msg_id: message.msg_id,
                payload: message.payload,
                reason,
            }),
        }
    }
    Ok(Batch {
        payload_type: String::new(),
        log_id: 0,
        seq_id: 0,
        events,
        skipped,
        cursor: String::from_utf8_lossy(&fetch.cursor).into_owned(),
        internal_ext: fetch.internal_ext,
        need_ack: fetch.need_ack,
        fetch_interval: fetch.fetch_interval,
        now: fetch.now,
        route_params: fetch.route_params.into_iter().collect(),
        push_server: fetch.push_server,
        heartbeat_duration: fetch.heartbeat_duration,
        is_first: fetch.is_first,
    })
}

#[cfg(test)]
mod tests;
