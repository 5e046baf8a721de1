//! What others report about a node and the node keeps in its record: the
//! newest drill of each job and its subset check ([`DrillRec`]), the newest
//! prune ([`PruneRec`]), the newest copy to each destination ([`CopyRec`]).

use proto::status::{DrillFacts, RunResult};
use serde::{Deserialize, Serialize};

/// A drill (or a subset check): the newest report per node and job
/// (`drill-failed`, `undrilled`, the VERIFIED column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillRec {
    /// Who sent it: the node itself or a drill host.
    pub by: String,
    /// When it ran (the sender's clock, within the envelope window).
    pub at: i64,
    /// When the tower received it.
    pub received_at: i64,
    /// It passed.
    pub passed: bool,
    /// When the newest passing drill ran (kept across later failures).
    pub verified_at: Option<i64>,
    /// The snapshot drilled, hex.
    pub snapshot: Option<String>,
    /// What it measured.
    pub facts: DrillFacts,
    /// What failed.
    pub error: Option<String>,
}

/// A reaper's report of one prune of a node's repository (`unpruned`,
/// `prune-held`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PruneRec {
    /// The reaper that sent it.
    pub reaper: String,
    /// When it pruned (the reaper's clock, within the envelope window).
    pub at: i64,
    /// When the tower received it.
    pub received_at: i64,
    /// The newest report without an error (this one's `at` if it has none):
    /// what `unpruned` measures from.
    pub pruned_at: Option<i64>,
    /// The repository, hex.
    pub repository: Option<String>,
    /// `seq`s of the snapshots it forgot.
    pub forgotten: Vec<u64>,
    /// Bytes of packs it deleted.
    pub freed_bytes: u64,
    /// What it held back (one line each).
    pub held: Vec<String>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// A copy of a node's repository to one destination: the newest report per
/// node and destination (`copy-lag`, the COPY column; a report's lost
/// snapshots are `source-lost` evidence, kept apart until acknowledged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyRec {
    /// Who sent it: the node itself or a copier.
    pub by: String,
    /// The destination (checked: 1-512 bytes, no control characters).
    pub destination: String,
    /// When it ran (the sender's clock, within the envelope window).
    pub at: i64,
    /// When the tower received it.
    pub received_at: i64,
    /// How it ended (`partial`: snapshots lost at the source, all else copied).
    pub result: RunResult,
    /// Why it failed.
    pub error: Option<String>,
    /// Objects written by its run.
    pub objects: u64,
    /// Bytes written by its run.
    pub bytes: u64,
    /// Snapshots written by its run.
    pub snapshots: u64,
    /// The newest snapshot at the destination, hex.
    pub newest: Option<String>,
    /// Storage's date of it.
    pub newest_at: Option<i64>,
    /// Snapshots it found lost at the source (at most [`MAX_LOST_KEPT`]).
    pub source_lost: Vec<String>,
    /// When the newest successful copy (success or partial) ran.
    pub copied_at: Option<i64>,
    /// The latest listing of the source by a successful copy.
    pub listed_at: Option<i64>,
    /// The oldest successful backup of the node that ended after
    /// `listed_at` (`None`: none known): `copy-lag` measures from it.
    #[serde(default)]
    pub uncopied_since: Option<i64>,
}

/// Most lost snapshots a copy record keeps (the evidence names them all).
pub const MAX_LOST_KEPT: usize = 64;
