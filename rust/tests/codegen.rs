//! Keeps `rust/generated/webcast.rs` in step with `proto/webcast/*.proto`.
//!
//! The generated code is committed, so building the package never needs `protoc`
//! (or this test's dev-dependencies). This test regenerates it with `protox` (a pure
//! Rust protobuf compiler) and `prost-build` into a temporary directory. When the
//! committed file differs, the test overwrites it and fails: run `cargo test` again
//! (it passes now) and commit the refreshed file. This is prost's own "bootstrap" check.

use std::fs;
use std::path::{Path, PathBuf};

const PROTO_FILES: [&str; 3] = ["webcast/frame.proto", "webcast/data.proto", "webcast/messages.proto"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles the schema and returns the generated Rust source of package `webcast`.
fn generate(out_dir: &Path) -> String {
    let proto_dir = root().join("proto");
    let files: Vec<PathBuf> = PROTO_FILES.iter().map(|file| proto_dir.join(file)).collect();
    let descriptors = protox::compile(&files, [&proto_dir]).expect("proto/ does not compile");

    fs::create_dir_all(out_dir).expect("cannot create the output directory");
    prost_build::Config::new()
        // Every `bytes` field is a `bytes::Bytes`: decoding from a `Bytes` buffer then
        // slices message payloads out of the frame instead of copying them.
        .bytes(["."])
        // Deterministic map order (FetchResult.route_params).
        .btree_map(["."])
        .out_dir(out_dir)
        .compile_fds(descriptors)
        .expect("prost-build failed");
    fs::read_to_string(out_dir.join("webcast.rs")).expect("prost-build wrote no webcast.rs")
}

#[test]
fn generated_code_is_fresh() {
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("codegen");
    let fresh = generate(&out_dir);
    assert!(
        fresh.contains("@generated"),
        "the generated file lost its @generated header"
    );

    let committed_path = root().join("rust/generated/webcast.rs");
    let committed = fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != fresh {
        fs::write(&committed_path, &fresh).expect("cannot refresh rust/generated/webcast.rs");
        panic!(
            "rust/generated/webcast.rs was stale and has been regenerated from proto/; \
             rebuild, re-run the tests and commit it"
        );
    }
}
