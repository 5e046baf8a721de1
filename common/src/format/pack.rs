//! §4 Packs: the blob entries of a pack header, and the trailer that locates
//! the sealed header at the end of a pack:
//! `age body | sealed header | u32 LE header length | "BNP1"`.

use crate::error::{Error, Result};
use crate::id::Id;
use serde::{Deserialize, Serialize};

/// The pack trailer magic.
pub const MAGIC: &[u8; 4] = b"BNP1";
/// Bytes of the trailer: header length and magic.
pub const TRAILER: usize = 8;
/// Largest sealed header a reader accepts: a pack of 4 GiB has at most ~50 M
/// blobs; 256 MiB of header is beyond any real pack.
pub(super) const MAX_HEADER: u64 = 256 << 20;

/// §4 What a blob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum BlobKind {
    /// File content.
    Data,
    /// A directory listing.
    Tree,
}

impl From<BlobKind> for u8 {
    fn from(k: BlobKind) -> u8 {
        match k {
            BlobKind::Data => 0,
            BlobKind::Tree => 1,
        }
    }
}

impl TryFrom<u8> for BlobKind {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        match v {
            0 => Ok(BlobKind::Data),
            1 => Ok(BlobKind::Tree),
            v => Err(format!("unknown blob kind {v}")),
        }
    }
}

fn is_zero32(v: &u32) -> bool {
    *v == 0
}

/// §4 One blob's place inside a pack body's plaintext.
///
/// Small blobs are compressed together: several entries then share one
/// payload (same `offset` and `length`), which decompresses to `group_length`
/// bytes, the blob being `raw_length` bytes at `inner` in it. A blob compressed
/// on its own has `group_length` 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobEntry {
    /// Keyed id of the plaintext.
    pub id: Id,
    /// Data or tree.
    pub kind: BlobKind,
    /// Offset of the payload in the body plaintext.
    pub offset: u32,
    /// Payload length (tag byte included).
    pub length: u32,
    /// Plaintext length of the blob.
    pub raw_length: u32,
    /// Offset of the blob in its group's plaintext (grouped blobs only).
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub inner: u32,
    /// Plaintext length of the whole group; 0 when the payload is this blob alone.
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub group_length: u32,
}

impl BlobEntry {
    /// Plaintext length of the payload.
    pub fn payload_raw_length(&self) -> u32 {
        if self.group_length > 0 {
            self.group_length
        } else {
            self.raw_length
        }
    }

    /// What names the payload an entry reads: its place, its stored length
    /// and the length it decodes to. Entries of a group share it; a lying
    /// entry at the same offset does not.
    pub fn payload_key(&self) -> (u32, u32, u32) {
        (self.offset, self.length, self.payload_raw_length())
    }
}

/// §4 The sealed header at the end of each pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackHeader {
    /// Length of the age body that precedes the header.
    pub body_len: u64,
    /// BLAKE3 of the age body: binds this header to that body.
    pub body_hash: Id,
    /// The blobs, in body order.
    pub blobs: Vec<BlobEntry>,
}

/// The trailer for a sealed header of `header_len` bytes.
pub fn trailer(header_len: u32) -> [u8; TRAILER] {
    let mut t = [0u8; TRAILER];
    t[..4].copy_from_slice(&header_len.to_le_bytes());
    t[4..].copy_from_slice(MAGIC);
    t
}

/// Reads the trailer at the end of `tail` (the last bytes of a pack of
/// `total` bytes) and returns the sealed header's length.
pub fn split_trailer(tail: &[u8], total: u64, what: &str) -> Result<u64> {
    if tail.len() < TRAILER || &tail[tail.len() - 4..] != MAGIC {
        return Err(Error::damaged(format!("{what} has no pack trailer")));
    }
    let n = tail.len();
    let hlen = u64::from(u32::from_le_bytes([
        tail[n - 8],
        tail[n - 7],
        tail[n - 6],
        tail[n - 5],
    ]));
    if hlen + TRAILER as u64 > total || hlen > MAX_HEADER {
        return Err(Error::damaged(format!(
            "{what} has an impossible header length"
        )));
    }
    Ok(hlen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_round_trip_and_bounds() {
        let t = trailer(100);
        assert_eq!(split_trailer(&t, 200, "p").unwrap(), 100);
        assert!(split_trailer(&t, 50, "p").is_err(), "longer than the pack");
        assert!(split_trailer(b"xx", 50, "p").is_err());
        let huge = trailer(u32::MAX);
        assert!(split_trailer(&huge, u64::MAX, "p").is_err());
    }
}
