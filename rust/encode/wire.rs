//! Protobuf wire primitives: varints, keys, fixed-width values, length prefixes.

/// Wire type of varints (ints, bools, enums).
pub const VARINT: u32 = 0;
/// Wire type of 8-byte values (`fixed64`, `sfixed64`, `double`).
pub const FIXED64: u32 = 1;
/// Wire type of length-delimited values (strings, bytes, messages, packed lists).
pub const LEN: u32 = 2;
/// Wire type of 4-byte values (`fixed32`, `sfixed32`, `float`).
pub const FIXED32: u32 = 5;

/// Appends `value` as a varint.
#[inline]
pub fn put_varint(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

/// Appends the key of field `number` with `wire_type`.
#[inline]
pub fn put_key(buf: &mut Vec<u8>, number: u32, wire_type: u32) {
    put_varint(buf, u64::from(number << 3 | wire_type));
}

/// Appends a length-delimited field: key, length, `data`.
#[inline]
pub fn put_len_field(buf: &mut Vec<u8>, number: u32, data: &[u8]) {
    put_key(buf, number, LEN);
    put_varint(buf, data.len() as u64);
    buf.extend_from_slice(data);
}

/// The zigzag form of a signed value (`sint32`, `sint64`).
#[inline]
pub fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Inserts, at `start`, the varint length of everything written after `start`.
///
/// Nested messages are written in place and prefixed afterwards: their size is only known
/// once written, and shifting a few hundred bytes is cheaper than a buffer per message.
pub fn prefix_length(buf: &mut Vec<u8>, start: usize) {
    let mut len = (buf.len() - start) as u64;
    let mut prefix = [0_u8; 10];
    let mut size = 0;
    while len >= 0x80 {
        prefix[size] = (len as u8) | 0x80;
        len >>= 7;
        size += 1;
    }
    prefix[size] = len as u8;
    buf.splice(start..start, prefix[..=size].iter().copied());
}
