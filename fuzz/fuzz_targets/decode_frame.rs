//! Any bytes as a binary websocket message: `decode_frame` returns, never panics or hangs.
#![no_main]

use _core::codec;
use libfuzzer_sys::fuzz_target;

/// Small enough to keep every run fast, large enough for real batches.
const MAX_INFLATED_SIZE: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = codec::decode_frame(data, MAX_INFLATED_SIZE) {
        // Only "msg" frames carry a batch; a skipped message always says why.
        if batch.payload_type != codec::MSG_PAYLOAD_TYPE {
            assert!(batch.events.is_empty() && batch.skipped.is_empty());
        }
        assert!(batch.skipped.iter().all(|skipped| !skipped.reason.is_empty()));
    }
});
