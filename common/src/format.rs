//! On-disk types, mirroring `docs/repository-format.md` section by section. Every
//! structured object is CBOR (RFC 8949); metadata objects are then sealed
//! (see [`crate::crypto`]).

use crate::chunker::ChunkerParams;
use crate::error::{Error, Result};
use crate::id::Id;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// Repository format version written by this code.
pub const FORMAT_VERSION: u32 = 1;

/// §2 The config object: written once at `init`, sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Format version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// Random repository id; names the node-local state.
    pub id: Id,
    /// Chunk size bounds.
    pub chunker: ChunkerParams,
    /// Target pack size in bytes.
    pub pack_size: u32,
    /// xz preset (0–9) for new chunks.
    pub compression: u32,
    /// Creation time, Unix seconds.
    pub created: i64,
}

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

/// §5 One pack's entries in an index file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexPack {
    /// The pack's object name.
    pub id: Id,
    /// Length of its age body.
    pub body_len: u64,
    /// Its blobs.
    pub blobs: Vec<BlobEntry>,
}

/// §5 An index file, sealed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IndexFile {
    /// Packs covered.
    pub packs: Vec<IndexPack>,
}

/// §7 A per-snapshot reference list, sealed: every pack the snapshot needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Refs {
    /// Pack ids, sorted.
    pub packs: Vec<Id>,
}

/// §6 What a backup run did, recorded in its snapshot.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Regular files in the snapshot.
    pub files: u64,
    /// Directories.
    pub dirs: u64,
    /// Other entries (symlinks, devices, fifos, sockets).
    pub others: u64,
    /// Sum of regular file sizes.
    pub total_bytes: u64,
    /// Bytes read from files this run (zero for an unchanged incremental).
    pub bytes_read: u64,
    /// Plaintext bytes of data chunks new to the repository.
    pub bytes_added: u64,
    /// Bytes of packs written to storage.
    pub bytes_stored: u64,
    /// Data chunks new to the repository.
    pub chunks_added: u64,
    /// Tree blobs new to the repository (metadata, e.g. a changed atime).
    #[serde(default)]
    pub trees_added: u64,
    /// Files reused from the previous snapshot's catalogue without reading.
    pub files_unchanged: u64,
    /// Warnings (unreadable or changed files).
    pub warnings: u64,
    /// Wall time, milliseconds.
    pub duration_ms: u64,
}

/// §6 A snapshot, sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Time the backup started: Unix seconds and nanoseconds.
    pub time: (i64, u32),
    /// Host name of the node.
    pub hostname: String,
    /// User that ran the backup.
    pub username: String,
    /// The backed-up paths (absolute, as bytes).
    pub paths: Vec<ByteBuf>,
    /// Tags given with `--tag`.
    pub tags: Vec<String>,
    /// The snapshot this one was made incrementally from.
    pub parent: Option<Id>,
    /// Root tree blob id.
    pub tree: Id,
    /// Name of the reference-list object.
    pub refs: Id,
    /// Index files written by this run.
    pub indexes: Vec<Id>,
    /// Run statistics.
    pub summary: Summary,
    /// Agent version that wrote it.
    pub program: String,
}

/// CBOR-encodes a value.
pub fn to_cbor<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail and our types always serialize.
    let _ = ciborium::into_writer(v, &mut out);
    out
}

/// Decodes CBOR, naming the object in the error.
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    ciborium::from_reader(bytes).map_err(|e| Error::damaged(format!("{what} does not decode: {e}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub fn arb_id() -> impl Strategy<Value = Id> {
        any::<[u8; 32]>().prop_map(Id)
    }

    fn arb_blob() -> impl Strategy<Value = BlobEntry> {
        (
            arb_id(),
            any::<bool>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<(u32, u32)>(),
        )
            .prop_map(|(id, t, o, l, r, (inner, group_length))| BlobEntry {
                id,
                kind: if t { BlobKind::Tree } else { BlobKind::Data },
                offset: o,
                length: l,
                raw_length: r,
                inner,
                group_length,
            })
    }

    proptest! {
        #[test]
        fn index_round_trip(packs in proptest::collection::vec((arb_id(), any::<u64>(), proptest::collection::vec(arb_blob(), 0..20)), 0..10)) {
            let idx = IndexFile { packs: packs.into_iter().map(|(id, body_len, blobs)| IndexPack { id, body_len, blobs }).collect() };
            prop_assert_eq!(from_cbor::<IndexFile>(&to_cbor(&idx), "index").unwrap(), idx);
        }

        #[test]
        fn snapshot_round_trip(host in ".*", paths in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..5),
                               tags in proptest::collection::vec("[a-z]{0,8}", 0..3), parent in proptest::option::of(arb_id()),
                               tree in arb_id(), secs: i64, files: u64) {
            let s = Snapshot {
                time: (secs, 7), hostname: host, username: "root".into(),
                paths: paths.into_iter().map(ByteBuf::from).collect(), tags, parent, tree, refs: tree,
                indexes: vec![tree], summary: Summary { files, ..Summary::default() }, program: "t".into(),
            };
            prop_assert_eq!(from_cbor::<Snapshot>(&to_cbor(&s), "snapshot").unwrap(), s);
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = from_cbor::<Snapshot>(&bytes, "x");
            let _ = from_cbor::<IndexFile>(&bytes, "x");
            let _ = from_cbor::<PackHeader>(&bytes, "x");
        }
    }
}
