//! The decode budget: how much work one frame may cause, checked before anything is allocated.
//!
//! A few kilobytes of gzip can inflate to millions of tiny protobuf entries (an empty
//! `Message` is 2 bytes on the wire, an empty `Badge` too), and each becomes a Rust value
//! and a Python object hundreds of bytes large. The inflate cap alone does not stop that.
//! So every buffer is first walked with the schema (`rust/generated/schema.rs`, generated
//! from `proto/`), counting what decoding it would build, and refused once a [`Limits`]
//! value is passed:
//!
//! * `max_messages`: entries of `FetchResult.messages` (room messages in one batch);
//! * `max_repeated`: entries of any other repeated field of one record (badges of one
//!   user, headers of one frame, …; map entries count as objects only);
//! * `max_objects`: every message value (at any depth) plus every entry of a repeated
//!   field of numbers or strings, summed over the whole frame.
//!
//! The walk applies the same wire rules as the pure-Python reader (`_pure._merge`), in the
//! same order, so both decoders count the same objects and stop at the same byte: a
//! buffer the walk finds malformed is never handed to prost, and one it accepts is
//! bounded. Counting stops at the first malformed byte of a buffer (what was counted up
//! to there stays counted). Invalid UTF-8 is a wire rule of its own that never changes
//! what is counted: the pure reader notes it, reads on, and fails the buffer at its end.
//! Prost checks the text of the frame and the batch as it decodes them. Room messages are
//! not handed to prost: [`Budget::read_message`] walks one and decodes it in the same pass,
//! filling a value of the read view ([`Fill`]: only the fields the codec reads) as it goes,
//! each sub-message after it was counted, so the bounds hold as before and the bytes are
//! read once instead of twice. It checks the text of every field, the same way (noted,
//! read on, failed at the end).

use super::error::DecodeError;

/// How deep messages and groups may nest (prost's limit, and `_pure._RECURSION_LIMIT`).
const RECURSION_LIMIT: i32 = 100;

/// The most fields one message type of the schema may declare (checked by a test).
const MAX_FIELDS: usize = 32;

/// Bounds on the work of decoding one frame or fetch result. The defaults are far above
/// anything TikTok sends (its busiest frames carry a few hundred messages, a user a
/// handful of badges; 17 objects per message on average in the captures, 121 at most)
/// and keep a hostile frame to the inflate cap plus about 0.6 KB per counted object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest size a gzip payload may inflate to, in bytes.
    pub max_inflated_size: usize,
    /// Most room messages in one batch.
    pub max_messages: usize,
    /// Most entries of one repeated field of one record.
    pub max_repeated: usize,
    /// Most objects (messages at any depth plus repeated entries) in one frame.
    pub max_objects: usize,
}

impl Limits {
    pub const DEFAULT_MAX_INFLATED_SIZE: usize = 64 * 1024 * 1024;
    pub const DEFAULT_MAX_MESSAGES: usize = 10_000;
    pub const DEFAULT_MAX_REPEATED: usize = 10_000;
    pub const DEFAULT_MAX_OBJECTS: usize = 100_000;

    /// The default limits with another inflate cap.
    pub const fn with_max_inflated_size(max_inflated_size: usize) -> Self {
        Self {
            max_inflated_size,
            max_messages: Self::DEFAULT_MAX_MESSAGES,
            max_repeated: Self::DEFAULT_MAX_REPEATED,
            max_objects: Self::DEFAULT_MAX_OBJECTS,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::with_max_inflated_size(Self::DEFAULT_MAX_INFLATED_SIZE)
    }
}

/// How a field is read on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireKind {
    /// `int32`, `int64`, `bool`: a varint, or packed varints when repeated.
    Varint,
    /// UTF-8 text.
    String,
    Bytes,
    /// A sub-message: the index of its schema in [`schema::MESSAGES`].
    Message(usize),
    /// A map entry message (`key` = 1, `value` = 2).
    Map(usize),
}

/// One declared field of a message type.
#[derive(Clone, Copy, Debug)]
pub struct FieldSchema {
    pub number: u32,
    pub kind: WireKind,
    pub repeated: bool,
}

/// A message type: its fields, sorted by number.
#[derive(Debug)]
pub struct MessageSchema {
    pub name: &'static str,
    pub fields: &'static [FieldSchema],
}

/// Field numbers below this are found by a table lookup (real messages are full of
/// fields the schema does not declare; each would otherwise be a scan of all fields).
const TABLE_NUMBERS: usize = 128;
/// "Not declared" in a lookup table.
const UNDECLARED: u8 = u8::MAX;

/// Per message type, the position of each field by number (below [`TABLE_NUMBERS`]).
static LOOKUP: std::sync::LazyLock<Vec<[u8; TABLE_NUMBERS]>> = std::sync::LazyLock::new(|| {
    schema::MESSAGES
        .iter()
        .map(|message| {
            let mut table = [UNDECLARED; TABLE_NUMBERS];
            for (position, field) in message.fields.iter().enumerate() {
                if (field.number as usize) < TABLE_NUMBERS {
                    table[field.number as usize] = position as u8;
                }
            }
            table
        })
        .collect()
});

impl MessageSchema {
    /// The field numbered `number` and its position, with `table` the type's [`LOOKUP`].
    #[inline]
    fn field(&self, table: &[u8; TABLE_NUMBERS], number: u32) -> Option<(usize, &FieldSchema)> {
        match table.get(number as usize) {
            Some(&UNDECLARED) => None,
            Some(&position) => Some((usize::from(position), &self.fields[usize::from(position)])),
            None => self.fields.iter().enumerate().find(|(_, field)| field.number == number),
        }
    }
}

/// The wire schema of `proto/webcast/*.proto`, generated by `cargo test --test codegen`.
#[allow(clippy::all, clippy::pedantic)]
#[rustfmt::skip]
pub mod schema {
    include!("../generated/schema.rs");
}

/// A value the walk fills as it goes: a type of the read view (`crate::webcast_read`),
/// whose impl is generated with it (`rust/generated/webcast_read_fill.rs`). The walk hands
/// over every declared field it accepts, with prost's rules: a varint as read (the impl
/// truncates it to its field's type), text already checked to be UTF-8, and the value a
/// sub-message is merged into (the existing one for a singular field, a new entry for a
/// repeated one); the impl keeps the fields it declares. So a room message is counted,
/// checked and decoded in one pass instead of a walk and then a prost decode.
pub trait Fill {
    /// A varint field (one entry of a repeated one).
    fn varint(&mut self, _number: u32, _value: u64) {}
    /// A string field (one entry of a repeated one).
    fn text(&mut self, _number: u32, _text: &str) {}
    /// The value a message field `number` is read into, `None` when it is not kept.
    fn child(&mut self, _number: u32) -> Option<&mut dyn Fill> {
        None
    }
}

/// Keeps nothing: a walk that only counts and checks.
pub struct Skip;

impl Fill for Skip {}

/// The value a singular message field is merged into (made when the field first appears).
pub fn singular<T: Fill + Default>(slot: &mut Option<T>) -> &mut dyn Fill {
    slot.get_or_insert_with(T::default)
}

/// A new entry of a repeated message field.
pub fn new_entry<T: Fill + Default>(list: &mut Vec<T>) -> &mut dyn Fill {
    list.push(T::default());
    let newest = list.len() - 1;
    &mut list[newest]
}

/// Why a walk stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// The bytes break a wire rule; the reason is for logs.
    Malformed(String),
    /// A limit was passed: the whole frame is refused.
    Limit(DecodeError),
}

/// The counts of one frame, shared by every buffer walked for it.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    objects: usize,
    /// Whether string fields are checked for UTF-8 ([`Budget::walk_message`]).
    check_text: bool,
    /// The first string field found not UTF-8 by this walk: `(message name, field number)`.
    bad_text: Option<(&'static str, u32)>,
}

const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_GROUP_START: u8 = 3;
const WIRE_GROUP_END: u8 = 4;
const WIRE_FIXED32: u8 = 5;

fn malformed<T>(reason: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Malformed(reason.into()))
}

/// A varint at `*pos` (at most 10 bytes, the tenth 0 or 1). One- and two-byte varints (most
/// keys and lengths) are read inline; the walk spends most of its time here (with plain
/// `#[inline]` the compiler kept these three out of line: 4% of a busy room's decode).
#[allow(clippy::inline_always)]
#[inline(always)]
fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, Stop> {
    match buf.get(*pos..) {
        Some([first, ..]) if *first < 0x80 => {
            *pos += 1;
            Ok(u64::from(*first))
        }
        Some([first, second, ..]) if *second < 0x80 => {
            *pos += 2;
            Ok(u64::from(first & 0x7f) | (u64::from(*second) << 7))
        }
        _ => varint_long(buf, pos),
    }
}

/// [`varint`] beyond two bytes, or cut short.
#[inline(never)]
fn varint_long(buf: &[u8], pos: &mut usize) -> Result<u64, Stop> {
    let mut result = 0u64;
    let mut shift = 0u32;
    while let Some(&byte) = buf.get(*pos) {
        *pos += 1;
        if shift == 63 && byte > 1 {
            return malformed("invalid varint");
        }
        result |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(result);
        }
        shift += 7;
    }
    malformed("invalid varint")
}

/// `text` as a `str` when it is UTF-8. Nearly all WebCast text is ASCII (short: names, keys,
/// URLs), which a word-at-a-time scan checks faster than the full validation (and than
/// `<[u8]>::is_ascii`, whose byte-by-byte tail is most of a short text).
#[inline]
fn utf8(text: &[u8]) -> Option<&str> {
    if is_ascii(text) {
        // SAFETY: ASCII is UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(text) })
    } else {
        std::str::from_utf8(text).ok()
    }
}

/// Whether every byte of `text` is below 0x80, eight bytes at a time.
#[inline]
fn is_ascii(text: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut words = text.chunks_exact(8);
    let mut seen = 0u64;
    for word in &mut words {
        seen |= u64::from_ne_bytes(word.try_into().unwrap_or_default());
    }
    let tail = words.remainder().iter().fold(0u8, |seen, &byte| seen | byte);
    seen & HIGH_BITS == 0 && tail < 0x80
}

/// A field key: `(number, wire type)`.
#[allow(clippy::inline_always)] // see `varint`
#[inline(always)]
fn key(buf: &[u8], pos: &mut usize) -> Result<(u32, u8), Stop> {
    let key = varint(buf, pos)?;
    if key > u64::from(u32::MAX) {
        return malformed(format!("invalid key value: {key}"));
    }
    let wire = (key & 7) as u8;
    if wire > WIRE_FIXED32 {
        return malformed(format!("invalid wire type value: {wire}"));
    }
    let number = (key >> 3) as u32;
    if number == 0 {
        return malformed("invalid tag value: 0");
    }
    Ok((number, wire))
}

/// The end of a length-delimited value starting at `*pos` (after its length).
#[allow(clippy::inline_always)] // see `varint`
#[inline(always)]
fn len_end(buf: &[u8], pos: &mut usize, what: &str) -> Result<usize, Stop> {
    let length = varint(buf, pos)?;
    match usize::try_from(length).ok().and_then(|length| pos.checked_add(length)) {
        Some(stop) if stop <= buf.len() => Ok(stop),
        _ => malformed(format!("{what}: buffer underflow")),
    }
}

/// Skips one unknown field (after its key).
fn skip(buf: &[u8], pos: &mut usize, wire: u8, number: u32, depth: i32) -> Result<(), Stop> {
    if depth == 0 {
        return malformed("recursion limit reached");
    }
    let step = match wire {
        WIRE_VARINT => {
            varint(buf, pos)?;
            return Ok(());
        }
        WIRE_LEN => varint(buf, pos)?,
        WIRE_FIXED64 => 8,
        WIRE_FIXED32 => 4,
        WIRE_GROUP_START => loop {
            if *pos >= buf.len() {
                return malformed("group is not closed");
            }
            let (inner_number, inner_wire) = key(buf, pos)?;
            if inner_wire == WIRE_GROUP_END {
                if inner_number != number {
                    return malformed("unexpected end group tag");
                }
                return Ok(());
            }
            skip(buf, pos, inner_wire, inner_number, depth - 1)?;
        },
        _ => return malformed("unexpected end group tag"),
    };
    match usize::try_from(step).ok().and_then(|step| pos.checked_add(step)) {
        Some(end) if end <= buf.len() => {
            *pos = end;
            Ok(())
        }
        _ => malformed("buffer underflow"),
    }
}

/// The value of the last length-delimited field `number` of `buf` (the one prost keeps for a
/// singular field), empty when there is none. For a buffer the walk accepted.
pub fn last_len_field(buf: &[u8], number: u32) -> Result<&[u8], Stop> {
    let mut found: &[u8] = &[];
    let mut pos = 0;
    while pos < buf.len() {
        let (field, wire) = key(buf, &mut pos)?;
        if field == number && wire == WIRE_LEN {
            let stop = len_end(buf, &mut pos, "field")?;
            found = &buf[pos..stop];
            pos = stop;
        } else {
            skip(buf, &mut pos, wire, field, RECURSION_LIMIT)?;
        }
    }
    Ok(found)
}

impl Budget {
    pub fn new(limits: &Limits) -> Self {
        Self {
            limits: *limits,
            objects: 0,
            check_text: false,
            bad_text: None,
        }
    }

    /// Walks `buf` as one message of type `message` (an index of [`schema::MESSAGES`]).
    pub fn walk(&mut self, message: usize, buf: &[u8]) -> Result<(), Stop> {
        self.merge(message, buf, RECURSION_LIMIT, &mut Skip)
    }

    /// Walks a room message's payload as [`Budget::walk`] does, and checks that the text of
    /// every string field is UTF-8. The codec decodes room messages with prost types that
    /// declare only the fields it reads (`crate::webcast_read`), so prost skips the others
    /// unchecked; this is where their text is checked, so that a payload with bad text
    /// anywhere is malformed, as before and as the pure reader says. Bad text does not stop
    /// the walk: counting goes on to the end of the buffer (the pure reader reads on too),
    /// then the payload is malformed.
    pub fn walk_message(&mut self, message: usize, buf: &[u8]) -> Result<(), Stop> {
        self.read_message(message, buf, &mut Skip)
    }

    /// [`Budget::walk_message`] that also decodes the payload into `target` as it walks (a
    /// read-view value of the type `message` describes). When it fails, what `target`
    /// holds is partial and must be dropped.
    pub fn read_message<T: Fill + ?Sized>(&mut self, message: usize, buf: &[u8], target: &mut T) -> Result<(), Stop> {
        self.check_text = true;
        self.bad_text = None;
        let walked = self.merge(message, buf, RECURSION_LIMIT, target);
        self.check_text = false;
        walked?;
        match self.bad_text.take() {
            Some((name, number)) => malformed(format!(
                "{name}: field {number}: invalid string value: data is not UTF-8 encoded"
            )),
            None => Ok(()),
        }
    }

    fn object(&mut self) -> Result<(), Stop> {
        self.objects += 1;
        if self.objects > self.limits.max_objects {
            return Err(Stop::Limit(DecodeError::LimitExceeded {
                what: "objects in one frame",
                limit: self.limits.max_objects,
            }));
        }
        Ok(())
    }

    /// One more entry of a repeated field; `count` is the record's count for that field.
    fn entry(&self, message: usize, number: u32, count: &mut u32) -> Result<(), Stop> {
        *count = count.saturating_add(1);
        let batch = message == schema::FETCH_RESULT && number == 1;
        let (limit, what) = if batch {
            (self.limits.max_messages, "messages in one batch")
        } else {
            (self.limits.max_repeated, "entries in one repeated field")
        };
        if *count as usize > limit {
            return Err(Stop::Limit(DecodeError::LimitExceeded { what, limit }));
        }
        Ok(())
    }

    fn merge<T: Fill + ?Sized>(&mut self, message: usize, buf: &[u8], depth: i32, target: &mut T) -> Result<(), Stop> {
        let schema = &schema::MESSAGES[message];
        let mut counts = [0u32; MAX_FIELDS];
        let table = &LOOKUP[message];
        let mut pos = 0;
        while pos < buf.len() {
            let (number, wire) = key(buf, &mut pos)?;
            let Some((slot, field)) = schema.field(table, number) else {
                // Fields the schema does not declare are common (a chat message carries
                // dozens): their two usual wire types are skipped here, as `skip` would.
                match wire {
                    WIRE_VARINT if depth != 0 => {
                        varint(buf, &mut pos)?;
                    }
                    WIRE_LEN if depth != 0 => {
                        let length = varint(buf, &mut pos)?;
                        match usize::try_from(length).ok().and_then(|length| pos.checked_add(length)) {
                            Some(end) if end <= buf.len() => pos = end,
                            _ => return malformed("buffer underflow"),
                        }
                    }
                    _ => skip(buf, &mut pos, wire, number, depth)?,
                }
                continue;
            };
            if wire == WIRE_LEN {
                let stop = len_end(buf, &mut pos, schema.name)?;
                let value = &buf[pos..stop];
                match field.kind {
                    // Bad text is noted and the walk goes on, as the pure reader does (it
                    // reports bad text at the end).
                    WireKind::String => {
                        if self.check_text {
                            match utf8(value) {
                                Some(text) => target.text(number, text),
                                None => {
                                    self.bad_text.get_or_insert((schema.name, number));
                                }
                            }
                        }
                    }
                    WireKind::Bytes => {}
                    WireKind::Message(sub) => {
                        if depth == 0 {
                            return malformed("recursion limit reached");
                        }
                        self.object()?;
                        match target.child(number) {
                            Some(child) => self.merge(sub, value, depth - 1, child)?,
                            None => self.merge(sub, value, depth - 1, &mut Skip)?,
                        }
                        if !field.repeated {
                            pos = stop;
                            continue;
                        }
                    }
                    WireKind::Map(entry) => {
                        self.object()?;
                        self.merge(entry, value, depth - 1, &mut Skip)?;
                        pos = stop;
                        continue;
                    }
                    WireKind::Varint if field.repeated => {
                        // Packed numbers: every one is an entry.
                        let mut inner = 0;
                        while inner < value.len() {
                            let entry = varint(value, &mut inner)?;
                            self.entry(message, number, &mut counts[slot])?;
                            self.object()?;
                            target.varint(number, entry);
                        }
                        pos = stop;
                        continue;
                    }
                    WireKind::Varint => return malformed(format!("{}: invalid wire type {wire}", schema.name)),
                }
                pos = stop;
            } else if wire == WIRE_VARINT && field.kind == WireKind::Varint {
                let value = varint(buf, &mut pos)?;
                target.varint(number, value);
            } else {
                return malformed(format!("{}: invalid wire type {wire}", schema.name));
            }
            if field.repeated {
                self.entry(message, number, &mut counts[slot])?;
                if !matches!(field.kind, WireKind::Message(_)) {
                    self.object()?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_messages: usize, max_repeated: usize, max_objects: usize) -> Limits {
        Limits {
            max_inflated_size: usize::MAX,
            max_messages,
            max_repeated,
            max_objects,
        }
    }

    fn walk(message: usize, buf: &[u8], limits: &Limits) -> Result<usize, Stop> {
        let mut budget = Budget::new(limits);
        budget.walk(message, buf)?;
        Ok(budget.objects)
    }

    #[test]
    fn every_message_type_fits_the_field_table() {
        for message in schema::MESSAGES {
            assert!(
                message.fields.len() <= MAX_FIELDS,
                "{} has too many fields",
                message.name
            );
            assert!(message.fields.windows(2).all(|pair| pair[0].number < pair[1].number));
            assert!(message.fields.len() < usize::from(UNDECLARED));
        }
    }

    #[test]
    fn empty_messages_count_against_the_batch_limit() {
        let body = [0x0a, 0x00].repeat(5);
        assert_eq!(walk(schema::FETCH_RESULT, &body, &limits(5, 0, 5)), Ok(5));
        assert_eq!(
            walk(schema::FETCH_RESULT, &body, &limits(4, 100, 100)),
            Err(Stop::Limit(DecodeError::LimitExceeded {
                what: "messages in one batch",
                limit: 4
            }))
        );
        assert!(matches!(
            walk(schema::FETCH_RESULT, &body, &limits(100, 100, 4)),
            Err(Stop::Limit(DecodeError::LimitExceeded { limit: 4, .. }))
        ));
    }

    #[test]
    fn repeated_entries_count_per_record() {
        // PushFrame.headers (field 5) twice.
        let frame = [0x2a, 0x00, 0x2a, 0x00];
        assert_eq!(walk(schema::PUSH_FRAME, &frame, &limits(0, 2, 2)), Ok(2));
        assert!(matches!(
            walk(schema::PUSH_FRAME, &frame, &limits(0, 1, 100)),
            Err(Stop::Limit(DecodeError::LimitExceeded {
                what: "entries in one repeated field",
                limit: 1
            }))
        ));
    }

    #[test]
    fn counting_stops_at_the_first_malformed_byte() {
        let mut body = [0x0a, 0x00].repeat(3);
        body.push(0x0b); // field 1 as a group: the wrong wire type
        body.extend_from_slice(&[0x0a, 0x00].repeat(10));
        assert!(matches!(
            walk(schema::FETCH_RESULT, &body, &limits(3, 3, 3)),
            Err(Stop::Malformed(_))
        ));
    }

    #[test]
    fn text_is_not_checked_for_utf8() {
        let body = [0x12, 0x01, 0xff, 0x0a, 0x03, 0x0a, 0x01, 0xfe, 0x52, 0x01, 0xff];
        assert_eq!(walk(schema::FETCH_RESULT, &body, &Limits::default()), Ok(1));
    }
}
