//! §2 The config object: written once at `init`, sealed.

use super::chunker::ChunkerParams;
use crate::id::Id;
use serde::{Deserialize, Serialize};

/// Repository format version written by this code.
pub const FORMAT_VERSION: u32 = 1;

/// §2 The config object.
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
