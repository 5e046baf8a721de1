//! [`RangeReader`]: a `Read + Seek` view of an object fetched in blocks with
//! `read_range`, so age's seekable reader pulls only what a restore needs.

use super::{Backend, Kind};
use std::io::{Read, Seek, SeekFrom};

/// A `Read + Seek` view of bytes `[0, len)` of an object, fetched in blocks with
/// `read_range`, so age's seekable reader can pull only what a restore needs.
pub struct RangeReader<'a> {
    backend: &'a dyn Backend,
    kind: Kind,
    name: String,
    len: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    block: u64,
}

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
            block: block.max(4096),
        }
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
            let want = self.block.min(self.len - self.pos);
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
}
