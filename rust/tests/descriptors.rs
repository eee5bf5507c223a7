//! Keeps `rust/generated/webcast.fds` in step with `proto/webcast/*.proto`.
//!
//! The file is the schema as a binary `FileDescriptorSet` (comments stripped), embedded in
//! the extension for the descriptor-driven encoder (`rust/encode/schema.rs`). Like
//! `rust/generated/webcast.rs` it is committed, so builds never need `protoc`: this test
//! recompiles `proto/` with `protox` and, when the committed file differs, overwrites it
//! and fails (run `cargo test` again and commit the refreshed file).

use std::fs;
use std::path::PathBuf;

use prost::Message as _;

const PROTO_FILES: [&str; 3] = ["webcast/frame.proto", "webcast/data.proto", "webcast/messages.proto"];

#[test]
fn embedded_descriptors_are_fresh() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let proto_dir = root.join("proto");
    let files: Vec<PathBuf> = PROTO_FILES.iter().map(|file| proto_dir.join(file)).collect();
    let mut descriptors = protox::compile(&files, [&proto_dir]).expect("proto/ does not compile");
    for file in &mut descriptors.file {
        file.source_code_info = None; // comments: not needed to encode, and they would bloat the binary
    }
    let fresh = descriptors.encode_to_vec();

    let committed_path = root.join("rust/generated/webcast.fds");
    let committed = fs::read(&committed_path).unwrap_or_default();
    if committed != fresh {
        fs::write(&committed_path, &fresh).expect("cannot refresh rust/generated/webcast.fds");
        panic!(
            "rust/generated/webcast.fds was stale and has been regenerated from proto/; \
             rebuild, re-run the tests and commit it"
        );
    }
}
