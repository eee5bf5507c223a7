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
//! does not decode becomes a [`Skipped`] entry and the rest of the batch is delivered.

mod convert;
mod error;
pub mod gzip;
mod methods;
pub mod model;

use bytes::Bytes;
use prost::Message as _;

pub use convert::social_event_type;
pub use error::DecodeError;
pub use methods::Method;
pub use model::{Batch, Event, EventBody, Skipped};

use crate::webcast as pb;

/// The `PushFrame.payload_type` of frames that carry a `FetchResult`.
pub const MSG_PAYLOAD_TYPE: &str = "msg";

/// Decodes one binary websocket message. Only `"msg"` frames carry a batch; other frames
/// (`"hb"`, `"im_enter_room_resp"`, …) give a [`Batch`] with their `payload_type`,
/// `log_id` and `seq_id` and everything else at its default.
pub fn decode_frame(data: &[u8], max_inflated_size: usize) -> Result<Batch, DecodeError> {
    let frame = pb::PushFrame::decode(data).map_err(DecodeError::MalformedFrame)?;
    let mut batch = if frame.payload_type == MSG_PAYLOAD_TYPE {
        let gzip_header = frame
            .headers
            .iter()
            .any(|header| header.key == "compress_type" && header.value == "gzip");
        let body = if gzip_header || gzip::is_gzip(&frame.payload) {
            Bytes::from(gzip::inflate(&frame.payload, max_inflated_size)?)
        } else {
            frame.payload
        };
        decode_body(&body)?
    } else {
        Batch::default()
    };
    batch.payload_type = frame.payload_type;
    batch.log_id = frame.log_id;
    batch.seq_id = frame.seq_id;
    Ok(batch)
}

/// Decodes a `webcast/im/fetch` response body (`payload_type` is `"msg"`, `log_id` and
/// `seq_id` are 0).
pub fn decode_fetch_result(data: &[u8], max_inflated_size: usize) -> Result<Batch, DecodeError> {
    let body = if gzip::is_gzip(data) {
        Bytes::from(gzip::inflate(data, max_inflated_size)?)
    } else {
        Bytes::copy_from_slice(data)
    };
    let mut batch = decode_body(&body)?;
    batch.payload_type = String::from(MSG_PAYLOAD_TYPE);
    Ok(batch)
}

/// Decodes one room message. `msg_id` is the envelope's (used when the message's common
/// header has none). Unknown methods give an `Unknown` event holding a copy of `payload`;
/// a payload that does not decode as its method's type is an error.
pub fn decode_message(method: &str, payload: &[u8], msg_id: i64) -> Result<Event, DecodeError> {
    match Method::from_wire(method) {
        Some(known) => convert::decode_known(known, payload, msg_id).map_err(|error| DecodeError::MalformedMessage {
            method: method.to_owned(),
            error,
        }),
        None => Ok(convert::decode_unknown(method, Bytes::copy_from_slice(payload), msg_id)),
    }
}

/// Decodes a `FetchResult`. Message payloads are slices of `body`, not copies.
fn decode_body(body: &Bytes) -> Result<Batch, DecodeError> {
    // Decoding from a `Bytes` makes every `bytes` field a zero-copy slice of it.
    let fetch = pb::FetchResult::decode(body.clone()).map_err(DecodeError::MalformedFetchResult)?;
    let mut events = Vec::with_capacity(fetch.messages.len());
    let mut skipped = Vec::new();
    for message in fetch.messages {
        match convert::decode_event(&message.method, &message.payload, message.msg_id) {
            Ok(event) => events.push(event),
            Err(error) => skipped.push(Skipped {
                method: message.method,
                msg_id: message.msg_id,
                payload: message.payload,
                reason: error.to_string(),
            }),
        }
    }
    Ok(Batch {
        payload_type: String::new(),
        log_id: 0,
        seq_id: 0,
        events,
        skipped,
        cursor: fetch.cursor,
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
