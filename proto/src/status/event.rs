//! The wire types: the events a run emits, and the signed envelope they
//! travel in. Readers ignore fields they do not know (agents and towers are
//! upgraded at different times); an event never carries config, environment,
//! credentials or file lists.

use super::MAX_ERROR;
use serde::{Deserialize, Serialize};

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A run began.
    Started,
    /// A long run is still going.
    Heartbeat,
    /// A run ended.
    Finished,
    /// A reaper pruned a node's repository (only a principal enrolled with
    /// `bananaui node add NAME --reaper` may send it, and only it).
    Prune,
    /// A drill (`bananactl drill`, `bananadm drill`) or a subset check
    /// (`bananactl check --read-data-subset`) of a node's backups: sent by
    /// the node itself, or by a drill host (a principal enrolled with
    /// `bananaui node add NAME --drill`, which may send only these, for any
    /// node named in `target`).
    Drill,
    /// A copy of a node's repository to its second location (`bananadm
    /// copy`, `bananactl copy --to`): sent by the node itself (key-file
    /// mode), or by a copier (a principal enrolled with `bananaui node add
    /// NAME --copier`, which may send only these, for any node named in
    /// `target`).
    Copy,
}

/// What a `drill` event measured. `result` says whether it passed
/// (`success`) or found damage (`failed`, with `error`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrillFacts {
    /// `drill` (files restored and checked) or `check` (a subset check of
    /// packs; its `job` is empty).
    pub mode: String,
    /// The sample or subset as given (`1%`, `100`, `1G`, `2/5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// Database streams were restored into a throwaway server (`--deep`).
    #[serde(default)]
    pub deep: bool,
    /// Files verified (streams included).
    #[serde(default)]
    pub files: u64,
    /// Bytes verified.
    #[serde(default)]
    pub bytes: u64,
    /// Packs read (a subset check).
    #[serde(default)]
    pub packs: u64,
    /// Database streams checked by their own tool.
    #[serde(default)]
    pub streams: u64,
    /// How long the restore took, milliseconds.
    #[serde(default)]
    pub elapsed_ms: u64,
    /// Restore rate, bytes per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bps: Option<u64>,
    /// Time a full restore of the snapshot would take at that rate, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_secs: Option<u64>,
    /// Logical size of the drilled snapshot.
    #[serde(default)]
    pub snapshot_bytes: u64,
}

/// What a `copy` event reports. `result` says whether every object the
/// destination lacked was copied; `reason` is `source-lost` when
/// [`CopyFacts::source_lost`] is not empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyFacts {
    /// The destination's location (a URL without any secret).
    pub destination: String,
    /// Objects written to the destination by this run.
    #[serde(default)]
    pub objects: u64,
    /// Bytes written to the destination by this run.
    #[serde(default)]
    pub bytes: u64,
    /// Snapshots written to the destination by this run.
    #[serde(default)]
    pub snapshots: u64,
    /// When the source's snapshots were listed (Unix seconds, the
    /// copier's clock): a successful copy holds every snapshot that was in
    /// the source then. `copy-lag` compares it with the node's newest
    /// successful backup.
    pub listed_at: i64,
    /// The newest snapshot at the destination (by storage's date), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
    /// Storage's date of that snapshot (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_at: Option<i64>,
    /// Snapshots the source held when copied before and no longer holds,
    /// with no forget record naming them, hex (at most
    /// [`MAX_LISTED`](super::MAX_LISTED)): the destination keeps them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_lost: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunResult {
    /// Everything done.
    Success,
    /// Snapshot saved without some unreadable sources.
    Partial,
    /// No snapshot.
    Failed,
}

/// One status event. Never config, environment, credentials or file lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Random id: the collector stores each once.
    pub id: String,
    /// When it happened (Unix seconds).
    pub at: i64,
    /// Started, heartbeat or finished.
    pub kind: EventKind,
    /// Random id shared by the events of one run.
    pub run: String,
    /// Job name.
    pub job: String,
    /// Plugin (`fs`, `stdin`, ...).
    pub plugin: String,
    /// Expected interval between runs, seconds (for `overdue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_secs: Option<u64>,
    /// When the job is next due by its schedule (Unix seconds, jitter
    /// included): the tower's `overdue` fires at this plus its grace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due_at: Option<i64>,
    /// Every job configured on the node (sent by `bananactl run` and
    /// `backup --job`): the tower retires the node's jobs not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Vec<String>>,
    /// Run start (Unix seconds).
    pub started_at: i64,
    /// Run end, for `finished`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// Outcome, for `finished`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<RunResult>,
    /// Snapshot written, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Files in the snapshot.
    #[serde(default)]
    pub files: u64,
    /// Bytes read.
    #[serde(default)]
    pub bytes_read: u64,
    /// Bytes new after deduplication.
    #[serde(default)]
    pub bytes_added: u64,
    /// Bytes written to storage.
    #[serde(default)]
    pub bytes_stored: u64,
    /// Logical size of the snapshot (sum of file sizes): what `shrunk` watches.
    #[serde(default)]
    pub bytes_total: u64,
    /// Warnings.
    #[serde(default)]
    pub warnings: u64,
    /// Why a run is partial: `unreadable` (sources missing from the
    /// snapshot) or `rollback` (storage lost what this node wrote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The repository's id, hex (for the tower's witness of the chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The new snapshot's place in the repository's chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The newest snapshot in storage when it was committed, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// That snapshot's `seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_seq: Option<u64>,
    /// Requests the run sent to remote storage (none for a directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_requests: Option<u64>,
    /// Events of this node the tower refused (kept in its spool's `refused/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<u64>,
    /// One-line error, secret-free, at most [`MAX_ERROR`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `prune`: the node whose repository was pruned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `prune`: the `seq`s of the snapshots forgotten (at most [`MAX_LISTED`](super::MAX_LISTED)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forgotten: Option<Vec<u64>>,
    /// `prune`: bytes of packs deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freed_bytes: Option<u64>,
    /// `prune`: what was held back, one line each (at most [`MAX_LISTED`](super::MAX_LISTED)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Vec<String>>,
    /// `drill`: what was verified (`target` names the node when a drill
    /// host sends it; `job` the job, empty for a subset check; `snapshot`
    /// the snapshot drilled; `result` and `error` the outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<DrillFacts>,
    /// `copy`: what was copied (`target` names the node when a copier
    /// sends it; `result`, `reason` and `error` the outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<CopyFacts>,
    /// Agent version.
    pub agent: String,
}

impl Event {
    /// A new event of a run.
    pub fn new(
        kind: EventKind,
        run: &str,
        job: &str,
        plugin: &str,
        started_at: i64,
        now: i64,
    ) -> Event {
        Event {
            id: hex::encode(rand::random::<[u8; 16]>()),
            at: now,
            kind,
            run: run.to_owned(),
            job: job.to_owned(),
            plugin: plugin.to_owned(),
            every_secs: None,
            next_due_at: None,
            jobs: None,
            started_at,
            ended_at: None,
            result: None,
            snapshot: None,
            files: 0,
            bytes_read: 0,
            bytes_added: 0,
            bytes_stored: 0,
            bytes_total: 0,
            warnings: 0,
            reason: None,
            repository: None,
            seq: None,
            prev: None,
            prev_seq: None,
            storage_requests: None,
            refused: None,
            error: None,
            target: None,
            forgotten: None,
            freed_bytes: None,
            held: None,
            drill: None,
            copy: None,
            agent: format!("bananactl {}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// Sets the error, reduced to one bounded line.
    pub fn with_error(mut self, msg: &str) -> Event {
        let line: String = msg
            .split(['\n', '\r'])
            .next()
            .unwrap_or_default()
            .chars()
            .take(MAX_ERROR)
            .collect();
        self.error = Some(line);
        self
    }
}

/// The signed envelope an event travels in (its framing is fixed: unknown
/// fields are refused; new fields go in the event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Format version, 1.
    pub v: u32,
    /// Node name (must match the key that signed).
    pub node: String,
    /// Send time, Unix seconds.
    pub timestamp: i64,
    /// 128-bit random nonce, hex.
    pub nonce: String,
    /// BLAKE3 of `body`, hex.
    pub body_hash: String,
    /// The event, JSON.
    pub body: String,
    /// Ed25519 signature, hex, over domain, node, timestamp, nonce, body hash.
    pub signature: String,
}
