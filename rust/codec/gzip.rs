//! Size-capped gzip inflation.
//!
//! Two paths with one result. The fast one (libdeflate) inflates a whole member in one
//! call into a buffer of the size its trailer states (`ISIZE`, refused beyond the cap) and
//! checks its CRC-32 and length. Anything it does not accept (a bigger stream, bytes
//! after the member, truncation, corruption) goes the flate2 way, which decides the
//! result and the error, so errors read the same whichever path saw the bytes first.

use std::cell::RefCell;
use std::io::{self, Read};
use std::ptr::NonNull;

use flate2::read::GzDecoder;

use super::error::DecodeError;

/// The first two bytes of every gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `data` starts with the gzip magic bytes.
pub fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&GZIP_MAGIC)
}

/// Inflates one gzip member (bytes after it are ignored), refusing to produce more than
/// `max_size` bytes. A truncated or corrupt stream is an error; reading from a slice
/// always ends, so no input can make this hang.
pub fn inflate(data: &[u8], max_size: usize) -> Result<Vec<u8>, DecodeError> {
    if let Some(out) = inflate_whole_member(data, max_size) {
        return Ok(out);
    }
    // WebCast batches compress about 4:1; start there and let the vector grow.
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(max_size).min(1 << 20));
    let limit = u64::try_from(max_size).unwrap_or(u64::MAX).saturating_add(1);
    GzDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|error| gzip_error(&error))?;
    if out.len() > max_size {
        return Err(DecodeError::TooLarge { limit: max_size });
    }
    Ok(out)
}

/// Smallest gzip member: a 10-byte header, an empty deflate block, an 8-byte trailer.
const MIN_MEMBER: usize = 20;

/// libdeflate's decompressor state (~30 KB).
struct Decompressor(NonNull<libdeflate_sys::libdeflate_decompressor>);

impl Decompressor {
    fn new() -> Self {
        // SAFETY: no preconditions; it returns a new decompressor or null (out of memory).
        let raw = unsafe { libdeflate_sys::libdeflate_alloc_decompressor() };
        Self(NonNull::new(raw).expect("libdeflate could not allocate a decompressor"))
    }

    /// Inflates the gzip member `data` into exactly `size` new bytes; `None` unless libdeflate
    /// reports success having written all of them.
    fn gzip_exact(&mut self, data: &[u8], size: usize) -> Option<Vec<u8>> {
        let mut out = Vec::<u8>::with_capacity(size);
        let mut written = 0usize;
        // SAFETY: the decompressor is live and used by this thread only (`&mut self`); `data`
        // is readable for its length, `out` writable for `size` bytes (its capacity), and
        // libdeflate writes only within that and sets `written`.
        let result = unsafe {
            libdeflate_sys::libdeflate_gzip_decompress(
                self.0.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                out.as_mut_ptr().cast(),
                size,
                &raw mut written,
            )
        };
        if result != libdeflate_sys::libdeflate_result_LIBDEFLATE_SUCCESS || written != size {
            return None;
        }
        // SAFETY: libdeflate succeeded and wrote `written == size` bytes from the start of `out`.
        unsafe { out.set_len(size) };
        Some(out)
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: made by `libdeflate_alloc_decompressor`, freed once.
        unsafe { libdeflate_sys::libdeflate_free_decompressor(self.0.as_ptr()) };
    }
}

thread_local! {
    /// One decompressor per thread, made on first use.
    static DECOMPRESSOR: RefCell<Decompressor> = RefCell::new(Decompressor::new());
}

/// The fast path: `data` is exactly one valid gzip member whose trailer states its size
/// (at most `max_size`). `None` sends every other input to the flate2 path.
fn inflate_whole_member(data: &[u8], max_size: usize) -> Option<Vec<u8>> {
    if data.len() < MIN_MEMBER {
        return None;
    }
    let trailer: [u8; 4] = data[data.len() - 4..].try_into().ok()?;
    let size = u32::from_le_bytes(trailer) as usize;
    if size > max_size {
        return None;
    }
    DECOMPRESSOR.with(|decompressor| decompressor.borrow_mut().gzip_exact(data, size))
}

fn gzip_error(error: &io::Error) -> DecodeError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        DecodeError::GzipTruncated
    } else {
        DecodeError::GzipCorrupt(error.to_string())
    }
}

#[cfg(test)]
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    use std::io::Write;

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        (0..100_000u32).flat_map(|n| (n % 251).to_le_bytes()).collect()
    }

    #[test]
    fn round_trip() {
        let data = sample();
        let packed = compress(&data);
        assert!(is_gzip(&packed));
        assert!(packed.len() < data.len());
        assert_eq!(inflate(&packed, data.len()).unwrap(), data);
    }

    #[test]
    fn empty_stream_round_trips() {
        assert_eq!(inflate(&compress(b""), 0).unwrap(), b"");
    }

    #[test]
    fn size_cap_is_inclusive() {
        let data = sample();
        let packed = compress(&data);
        assert_eq!(inflate(&packed, data.len()).unwrap().len(), data.len());
        assert_eq!(
            inflate(&packed, data.len() - 1),
            Err(DecodeError::TooLarge { limit: data.len() - 1 })
        );
        assert_eq!(inflate(&packed, 0), Err(DecodeError::TooLarge { limit: 0 }));
        assert_eq!(inflate(&packed, usize::MAX).unwrap().len(), data.len());
    }

    #[test]
    fn every_truncation_is_an_error() {
        let data: Vec<u8> = sample().into_iter().step_by(37).take(4000).collect();
        let packed = compress(&data);
        for cut in 0..packed.len() {
            let result = inflate(&packed[..cut], usize::MAX);
            assert!(
                result.is_err(),
                "a stream cut at {cut} of {} bytes inflated",
                packed.len()
            );
        }
        assert_eq!(
            inflate(&packed[..packed.len() / 2], usize::MAX),
            Err(DecodeError::GzipTruncated)
        );
        assert_eq!(
            inflate(&packed[..packed.len() - 4], usize::MAX),
            Err(DecodeError::GzipTruncated)
        );
        assert_eq!(inflate(&GZIP_MAGIC, usize::MAX), Err(DecodeError::GzipTruncated));
        assert_eq!(inflate(b"", usize::MAX), Err(DecodeError::GzipTruncated));
    }

    #[test]
    fn corruption_is_an_error() {
        let mut packed = compress(&sample());
        let middle = packed.len() / 2;
        packed[middle] ^= 0xff;
        packed[middle + 1] ^= 0x55;
        assert!(inflate(&packed, usize::MAX).is_err());

        let mut bad_crc = compress(b"hello world");
        let crc_at = bad_crc.len() - 8;
        bad_crc[crc_at] ^= 1;
        assert!(matches!(
            inflate(&bad_crc, usize::MAX),
            Err(DecodeError::GzipCorrupt(_))
        ));

        assert!(matches!(
            inflate(b"\x1f\x8bnot really gzip at all", usize::MAX),
            Err(DecodeError::GzipCorrupt(_))
        ));
        assert!(inflate(b"plain text", usize::MAX).is_err());
    }

    #[test]
    fn both_paths_give_the_same_bytes() {
        let data = sample();
        let packed = compress(&data);
        assert_eq!(inflate_whole_member(&packed, data.len()).unwrap(), data);
        // Over the cap, bytes after the member, a cut: left to flate2.
        assert_eq!(inflate_whole_member(&packed, data.len() - 1), None);
        let mut trailing = packed.clone();
        trailing.extend_from_slice(b"xyz");
        assert_eq!(inflate_whole_member(&trailing, usize::MAX), None);
        assert_eq!(inflate_whole_member(&packed[..packed.len() - 1], usize::MAX), None);
        // A trailer that lies about the size.
        let mut lying = packed;
        let at = lying.len() - 4;
        lying[at] ^= 1;
        assert_eq!(inflate_whole_member(&lying, usize::MAX), None);
        assert!(inflate(&lying, usize::MAX).is_err());
    }

    #[test]
    fn trailing_bytes_after_the_member_are_ignored() {
        let mut packed = compress(b"hello");
        packed.extend_from_slice(b"trailing");
        assert_eq!(inflate(&packed, 100).unwrap(), b"hello");
    }
}
