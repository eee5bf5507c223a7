//! The encoding core: what pytiktoklive sends, as protobuf bytes. Plain Rust, no pyo3.
//!
//! * [`frames`]: the client's three outbound `PushFrame`s (heartbeat, ack, enter-room),
//!   encoded from the prost structs of [`crate::webcast`]: fixed shapes, so typed code.
//! * [`schema`]: the schema as data (the `FileDescriptorSet` of `proto/`, embedded), compiled
//!   into per-message field tables that drive the simulator's encoder, which writes any
//!   message of the schema from plain Python values (`rust/py/encode.rs`).
//! * [`wire`]: the protobuf wire primitives that encoder writes with.

pub mod frames;
pub mod schema;
pub mod wire;

#[cfg(test)]
mod tests;
