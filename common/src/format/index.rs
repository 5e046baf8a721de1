//! §5 Index files: which pack holds which blob, sealed with the metadata key.

use super::BlobEntry;
use crate::id::Id;
use serde::{Deserialize, Serialize};

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
