//! The bytes of a repository, no I/O: on-disk types mirroring
//! `docs/repository-format.md` section by section, the CBOR encoding every
//! structured object uses, chunking parameters and the payload codecs.
//! Metadata objects are then sealed by [`crate::crypto`].

pub mod chunker;
pub mod codec;
mod config;
mod index;
mod limits;
mod pack;
mod snapshot;
pub mod tree;

pub use codec::Codec;
pub use config::{Config, FORMAT_VERSION, OLDEST_VERSION};
pub use index::{IndexFile, IndexPack};
pub use limits::*;
pub use pack::{split_trailer, trailer, BlobEntry, BlobKind, PackHeader, MAGIC, TRAILER};
pub use snapshot::{Forget, Refs, RunInfo, RunStatus, Snapshot, Summary};
pub use tree::{Node, NodeKind, Timestamp, Tree, Xattr};

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// CBOR-encodes a value.
pub fn to_cbor<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail and our types always serialize.
    let _ = ciborium::into_writer(v, &mut out);
    out
}

/// Decodes CBOR, naming the object in the error; sealed metadata of a
/// version-2 repository is a zstd frame of the CBOR (§3.5), decoded as a
/// stream (never held whole).
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    if bytes.starts_with(&codec::ZSTD_MAGIC) {
        let plain = codec::metadata_reader(bytes, MAX_BLOB)
            .map_err(|e| Error::damaged(format!("{what}: {}", e.message())))?;
        return ciborium::from_reader(plain)
            .map_err(|e| Error::damaged(format!("{what} does not decode: {e}")));
    }
    ciborium::from_reader(bytes).map_err(|e| Error::damaged(format!("{what} does not decode: {e}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::id::Id;
    use proptest::prelude::*;
    use serde_bytes::ByteBuf;

    pub(crate) fn arb_id() -> impl Strategy<Value = Id> {
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
            let idx = IndexFile { packs: packs.into_iter().map(|(id, body_len, blobs)| IndexPack { id, body_len, blobs }).collect(), ..Default::default() };
            prop_assert_eq!(from_cbor::<IndexFile>(&to_cbor(&idx), "index").unwrap(), idx);
        }

        #[test]
        fn snapshot_round_trip(host in ".*", paths in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..5),
                               tags in proptest::collection::vec("[a-z]{0,8}", 0..3), parent in proptest::option::of(arb_id()),
                               tree in arb_id(), secs: i64, files: u64) {
            let s = Snapshot {
                time: (secs, 7), hostname: host.clone(), username: "root".into(),
                paths: paths.into_iter().map(ByteBuf::from).collect(), tags, parent, tree, refs: tree,
                indexes: vec![tree], summary: Summary { files, ..Summary::default() }, program: "t".into(),
                seq: Some(files), prev: parent,
                run: RunInfo { job: Some(host.clone()), plugin: Some("command".into()), status: RunStatus::Failed,
                               error: Some("exit 1".into()), meta: [("exit".to_owned(), "1".to_owned())].into() },
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
