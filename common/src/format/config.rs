//! §2 The config object: written once at `init`, sealed.

use super::chunker::ChunkerParams;
use super::codec::Codec;
use crate::error::{Error, Result};
use crate::id::Id;
use serde::{Deserialize, Serialize};

/// Repository format version written by this code (§16: 1 had xz only;
/// 2 names its codec).
pub const FORMAT_VERSION: u32 = 2;
/// The oldest version this code reads (and writes into).
pub const OLDEST_VERSION: u32 = 1;

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
    /// Version 1: the xz preset (0–9) for new chunks; version 2: unused
    /// (0), [`Config::codec`] says.
    pub compression: u32,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// Version 2: the default codec for new chunks, e.g. `zstd:3`, `xz:0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
}

impl Config {
    /// The codec new chunks get unless a run says otherwise.
    pub fn codec(&self) -> Result<Codec> {
        match (&self.codec, self.version) {
            (None, 1) => Ok(Codec::Xz(self.compression.min(9))),
            (Some(c), v) if v >= 2 => c
                .parse()
                .map_err(|_| Error::damaged(format!("config names an unknown codec '{c}'"))),
            _ => Err(Error::damaged(format!(
                "a version {} config {} a codec",
                self.version,
                if self.codec.is_some() {
                    "names"
                } else {
                    "lacks"
                }
            ))),
        }
    }
}
