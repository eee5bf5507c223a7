//! Frame-level decode failures. A single room message that fails to decode inside a
//! batch is not an error: it becomes a [`super::model::Skipped`] entry.

use std::fmt;

/// Why a frame, fetch result or single message could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes are not a `PushFrame`.
    MalformedFrame(prost::DecodeError),
    /// The (inflated) payload is not a `FetchResult`.
    MalformedFetchResult(prost::DecodeError),
    /// A single message given to [`super::decode_message`] does not decode as its method's type.
    MalformedMessage { method: String, error: prost::DecodeError },
    /// The gzip stream ends early (no end-of-stream marker or trailer).
    GzipTruncated,
    /// The gzip stream is not valid gzip (bad header, bad deflate data, bad checksum).
    GzipCorrupt(String),
    /// The gzip payload inflates to more than the allowed number of bytes.
    TooLarge { limit: usize },
    /// The bytes break a wire rule found by the decode budget's walk (`what` is the
    /// message type: `PushFrame`, `FetchResult`, or a room message's method).
    Malformed { what: String, reason: String },
    /// Decoding would build more than a [`super::Limits`] allows (`what` says which).
    LimitExceeded { what: &'static str, limit: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedFrame(error) => write!(f, "malformed PushFrame: {error}"),
            Self::MalformedFetchResult(error) => write!(f, "malformed FetchResult: {error}"),
            Self::MalformedMessage { method, error } => write!(f, "malformed {method} payload: {error}"),
            Self::GzipTruncated => f.write_str("gzip payload is truncated"),
            Self::GzipCorrupt(detail) => write!(f, "gzip payload is corrupt: {detail}"),
            Self::TooLarge { limit } => write!(f, "payload inflates beyond {limit} bytes"),
            Self::Malformed { what, reason } => write!(f, "malformed {what}: {reason}"),
            Self::LimitExceeded { what, limit } => write!(f, "decode limit exceeded: more than {limit} {what}"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::MalformedFrame(error) | Self::MalformedFetchResult(error) | Self::MalformedMessage { error, .. } => {
                Some(error)
            }
            Self::GzipTruncated
            | Self::GzipCorrupt(_)
            | Self::TooLarge { .. }
            | Self::Malformed { .. }
            | Self::LimitExceeded { .. } => None,
        }
    }
}
