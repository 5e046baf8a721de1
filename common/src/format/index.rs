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
    /// §5.1 Index files this one replaces (written by the reaper: every
    /// pack they cover that is not being deleted is in this one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supersedes: Vec<Id>,
    /// §5.1 Packs the reaper will delete: still readable while listed in
    /// `packs`, never deduplicated against nor recovered by a backup.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condemned: Vec<Id>,
}
