//! Any bytes as a `webcast/im/fetch` body: `decode_fetch_result` returns, never panics or hangs.
#![no_main]

use _core::codec;
use libfuzzer_sys::fuzz_target;

/// Small enough to keep every run fast, large enough for real batches.
const MAX_INFLATED_SIZE: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = codec::decode_fetch_result(data, MAX_INFLATED_SIZE) {
        assert_eq!(batch.payload_type, codec::MSG_PAYLOAD_TYPE);
        assert!(batch.skipped.iter().all(|skipped| !skipped.reason.is_empty()));
    }
});
