//! §6 Snapshots and §7 reference lists, both sealed.

use crate::id::Id;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

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
    /// §6.1 Position in the repository's chain: strictly increasing per
    /// repository, assigned under the node's commit lock (absent in snapshots
    /// written before the chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// §6.1 The newest snapshot in storage when this one was committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<Id>,
    /// §6.2 Which job made it, with which plugin, and how the run ended
    /// (absent in snapshots written before jobs: an ad-hoc, successful run).
    #[serde(default, skip_serializing_if = "RunInfo::is_default")]
    pub run: RunInfo,
}

/// §6.2 How a snapshot's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Everything the job meant to read is in the snapshot.
    #[default]
    Ok,
    /// Saved without some unreadable sources.
    Partial,
    /// The job failed (its command exited non-zero, was killed or timed
    /// out): the snapshot keeps what it read, and `latest` never picks it.
    Failed,
}

impl RunStatus {
    /// `ok`, `partial` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        }
    }
}

/// §6.2 The job, plugin and outcome recorded in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunInfo {
    /// The job's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The plugin that read it (`fs`, `stdin`, `command`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// How the run ended.
    #[serde(default)]
    pub status: RunStatus,
    /// Why it failed, one line (for `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the plugin records about its run (e.g. `command`, `exit`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub meta: std::collections::BTreeMap<String, String>,
}

impl RunInfo {
    fn is_default(&self) -> bool {
        *self == RunInfo::default()
    }
}

/// §7.1 A forget record, sealed: which snapshots retention removed, by whom
/// and when, so the chain gaps they leave are explained, not alarms.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Forget {
    /// The forgotten snapshots: id, and `seq` where it had one.
    pub snapshots: Vec<(Id, Option<u64>)>,
    /// Who forgot them (the reaper's name).
    pub by: String,
    /// When (Unix seconds).
    pub at: i64,
    /// Why (the retention rule), for humans.
    #[serde(default)]
    pub reason: String,
}

impl Snapshot {
    /// The job that wrote it: `backup` when it names none (an ad-hoc run's
    /// default).
    pub fn job_name(&self) -> &str {
        self.run.job.as_deref().unwrap_or("backup")
    }
}

#[cfg(test)]
impl Snapshot {
    /// An empty snapshot for tests.
    pub(crate) fn empty() -> Snapshot {
        Snapshot {
            time: (0, 0),
            hostname: String::new(),
            username: String::new(),
            paths: Vec::new(),
            tags: Vec::new(),
            parent: None,
            tree: Id::default(),
            refs: Id::default(),
            indexes: Vec::new(),
            summary: Summary::default(),
            program: String::new(),
            seq: None,
            prev: None,
            run: RunInfo::default(),
        }
    }
}
