//! §16 The bounds every reader enforces (and writers respect), so hostile
//! storage or a compromised node cannot make a reader allocate or walk
//! without limit: an object larger than its kind allows is damage, refused
//! before it is read.

use super::pack::{MAX_HEADER, TRAILER};

/// Largest `config` object.
pub const MAX_CONFIG: u64 = 64 << 10;
/// Largest sealed index file, snapshot or reference list.
pub const MAX_SEALED: u64 = 256 << 20;
/// Blob entries per index file: writers split beyond it (≈ 6 MiB of CBOR),
/// so writing or loading one never holds more than that at once.
pub const MAX_INDEX_BLOBS: usize = 1 << 16;
/// Largest key envelope.
pub const MAX_ENVELOPE: u64 = 1 << 20;
/// Largest blob plaintext (and group of small blobs): a tree of about two
/// million entries; data chunks are bounded lower by the chunker (≤ 16 MiB).
pub const MAX_BLOB: u64 = 512 << 20;
/// Deepest directory nesting a reader walks.
pub const MAX_DEPTH: usize = 4096;

/// Largest pack for a repository whose target pack size is `pack_size`: the
/// target, one more payload (a pack is closed after the blob that reaches
/// it), age's overhead (16 bytes per 64 KiB chunk, a header of at most
/// 64 KiB), the sealed header and the trailer.
pub fn max_pack_len(pack_size: u32) -> u64 {
    let body = u64::from(pack_size) + MAX_BLOB + 1;
    body + body / 4096 + (64 << 10) + MAX_HEADER + TRAILER as u64
}
