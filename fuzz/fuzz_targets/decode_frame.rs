//! Any bytes as a binary websocket message: `decode_frame` returns, never panics or hangs,
//! and never builds more than its limits allow (the seeds include bombs just past them).
#![no_main]

use _core::codec::{self, Limits};
use libfuzzer_sys::fuzz_target;

/// The default decode limits with a 1 MiB inflate cap: small enough to keep every run fast,
/// large enough for real batches and for bombs past the other limits.
const LIMITS: Limits = Limits::with_max_inflated_size(1 << 20);

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = codec::decode_frame_with(data, &LIMITS) {
        // Only "msg" frames carry a batch; a skipped message always says why.
        if batch.payload_type != codec::MSG_PAYLOAD_TYPE {
            assert!(batch.events.is_empty() && batch.skipped.is_empty());
        }
        assert!(batch.skipped.iter().all(|skipped| !skipped.reason.is_empty()));
        assert!(batch.events.len() + batch.skipped.len() <= LIMITS.max_messages);
    }
});
