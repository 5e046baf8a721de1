//! [`RangeReader`]: a `Read + Seek` view of an object fetched in blocks with
//! `read_range`, so age's seekable reader pulls only what a restore needs.

use super::{Backend, Kind};
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A `Read + Seek` view of bytes `[0, len)` of an object, fetched in blocks with
/// `read_range`, so age's seekable reader can pull only what a restore needs.
/// A fetch that starts where the last one ended, or less than a block past
/// it (a large file's chunks, one after the other in their pack) fetches
/// twice as much as the last, up to
/// `MAX_BLOCK` (8 MiB); any other starts again at the first block size. On S3 or
/// Swift a restore of large files so sends one request per 8 MiB, not per
/// 1 MiB. A reader given a switch ([`RangeReader::growing_while`]) grows only
/// while it is on: a restore's reader turns it off for groups of small
/// files, which its workers share, so that each does not fetch 8 MiB ahead.
pub struct RangeReader<'a> {
    backend: &'a dyn Backend,
    kind: Kind,
    name: String,
    len: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    /// The first fetch's size, and the one after a jump.
    base: u64,
    /// The next fetch's size.
    block: u64,
    /// Grow only while this is on (always without one).
    grow: Option<Arc<AtomicBool>>,
}

/// The most one sequential fetch asks for.
const MAX_BLOCK: u64 = 8 << 20;

impl<'a> RangeReader<'a> {
    /// A reader over the first `len` bytes of `name`, fetching `block` bytes at a time.
    pub fn new(backend: &'a dyn Backend, kind: Kind, name: &str, len: u64, block: u64) -> Self {
        RangeReader {
            backend,
            kind,
            name: name.to_owned(),
            len,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            base: block.max(4096),
            block: block.max(4096),
            grow: None,
        }
    }

    /// Grows its fetches only while `switch` is on.
    pub fn growing_while(mut self, switch: Arc<AtomicBool>) -> Self {
        self.grow = Some(switch);
        self
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let in_buf =
            self.pos >= self.buf_start && self.pos < self.buf_start + self.buf.len() as u64;
        if !in_buf {
            let end = self.buf_start + self.buf.len() as u64;
            let may = self.grow.as_ref().is_none_or(|g| g.load(Ordering::Relaxed));
            // Where the last fetch ended, or a little past it (a blob the
            // compression workers packed first, read after this one).
            let onward = self.pos >= end && self.pos - end < self.block;
            self.block = if may && !self.buf.is_empty() && onward {
                self.block.saturating_mul(2).min(MAX_BLOCK.max(self.base))
            } else {
                self.base
            };
            let want = self.block.min(self.len - self.pos);
            // The old block goes before the new one comes: one at a time.
            drop(std::mem::take(&mut self.buf));
            self.buf = self
                .backend
                .read_range(self.kind, &self.name, self.pos, want)
                .map_err(std::io::Error::other)?;
            self.buf_start = self.pos;
            if self.buf.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "{} {} is shorter than recorded",
                        self.kind.noun(),
                        self.name
                    ),
                ));
            }
        }
        let off = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf.len() - off);
        out[..n].copy_from_slice(&self.buf[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RangeReader<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start")
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::LocalBackend;

    #[test]
    fn range_reader_reads_and_seeks() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path());
        b.create().unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let name = "cd".repeat(32);
        b.write(Kind::Data, &name, &data).unwrap();
        let mut r = RangeReader::new(&b, Kind::Data, &name, 90_000, 4096);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, &data[..90_000]);
        r.seek(SeekFrom::Start(50_000)).unwrap();
        let mut five = [0u8; 5];
        r.read_exact(&mut five).unwrap();
        assert_eq!(five, data[50_000..50_005]);
        assert_eq!(r.seek(SeekFrom::End(0)).unwrap(), 90_000);
    }

    #[test]
    fn sequential_reads_fetch_growing_blocks_and_a_jump_starts_small_again() {
        let b = crate::testing::MemoryBackend::default();
        b.create().unwrap();
        let data: Vec<u8> = (0..(39u32 << 20)).map(|i| (i % 251) as u8).collect();
        let name = "ef".repeat(32);
        b.write(Kind::Data, &name, &data).unwrap();
        let mut r = RangeReader::new(&b, Kind::Data, &name, data.len() as u64, 1 << 20);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert!(all == data, "sequential reads return the object");
        // 1 + 2 + 4 + 8 + 8 + 8 + 8 MiB: 7 fetches for 39 MiB, not 39.
        assert_eq!(b.range_reads(), 7);
        // A jump fetches the first block size again, not 8 MiB.
        r.seek(SeekFrom::Start(3)).unwrap();
        let mut one = [0u8; 1];
        r.read_exact(&mut one).unwrap();
        assert_eq!(one[0], data[3]);
        assert_eq!(r.buf.len(), 1 << 20);
        assert_eq!(b.range_reads(), 8);
        // With its switch off, reads through the object stay at 1 MiB.
        let off = Arc::new(AtomicBool::new(false));
        let mut r = RangeReader::new(&b, Kind::Data, &name, data.len() as u64, 1 << 20)
            .growing_while(off.clone());
        let mut head = vec![0u8; 5 << 20];
        r.read_exact(&mut head).unwrap();
        assert_eq!(b.range_reads(), 8 + 5);
        off.store(true, Ordering::Relaxed);
        r.read_exact(&mut head).unwrap();
        assert_eq!(b.range_reads(), 8 + 5 + 2, "2, then 4 MiB");
    }
}
