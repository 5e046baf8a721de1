//! The tower's JSON API as types (`docs/api.md`): the collector writes these
//! structs, the TUI and `bananaui node list` read them. Every field is always
//! written (`null` when absent), so a renamed or retyped field fails a test
//! that decodes real answers and compares them with what it decoded.
//!
//! Readers ignore fields they do not know, and a state, result or alert state
//! a newer tower sends decodes as `Unknown`: the tower, its agents and its
//! viewers are upgraded at different times (upgrade order in
//! `docs/ARCHITECTURE.md`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A job's or node's state, worst first.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Last run failed or was partial.
    Failed,
    /// No success within the job's interval plus grace.
    Late,
    /// The node sent nothing for `silent_after`.
    Silent,
    /// Never succeeded.
    Never,
    /// A run is going.
    Running,
    /// Fine.
    Ok,
    /// A state this reader does not know (a newer tower).
    #[default]
    #[serde(other)]
    Unknown,
}

impl State {
    /// Every known state, worst first.
    pub const ALL: [State; 6] = [
        State::Failed,
        State::Late,
        State::Silent,
        State::Never,
        State::Running,
        State::Ok,
    ];

    /// Its name in the API.
    pub fn name(self) -> &'static str {
        match self {
            State::Failed => "failed",
            State::Late => "late",
            State::Silent => "silent",
            State::Never => "never",
            State::Running => "running",
            State::Ok => "ok",
            State::Unknown => "unknown",
        }
    }

    /// A symbol that reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            State::Failed => "✗",
            State::Late => "!",
            State::Silent => "…",
            State::Never => "∅",
            State::Running => "▶",
            State::Ok => "✓",
            State::Unknown => "?",
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Everything done.
    Success,
    /// Snapshot saved without some sources.
    Partial,
    /// No snapshot.
    Failed,
    /// A result this reader does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

impl From<crate::status::RunResult> for Outcome {
    fn from(r: crate::status::RunResult) -> Outcome {
        match r {
            crate::status::RunResult::Success => Outcome::Success,
            crate::status::RunResult::Partial => Outcome::Partial,
            crate::status::RunResult::Failed => Outcome::Failed,
        }
    }
}

impl Outcome {
    /// Its name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }
}

/// Firing or resolved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The condition holds.
    Firing,
    /// It held and no longer does.
    Resolved,
    /// A state this reader does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

/// `GET /api/v1/fleet`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fleet {
    /// When the answer was made (Unix seconds).
    pub generated_at: i64,
    /// Nodes known.
    pub nodes: u64,
    /// Jobs known.
    pub jobs: u64,
    /// Nodes by state name.
    pub states: BTreeMap<String, u64>,
    /// Firing alerts.
    pub alerts_firing: u64,
    /// The collector itself.
    pub collector: Collector,
}

/// The collector's own health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Collector {
    /// Version.
    pub version: String,
    /// Start time.
    pub started_at: i64,
    /// Events stored since start.
    pub ingested: u64,
    /// Requests refused since start, of every kind (see `/metrics` by reason).
    pub rejected: u64,
    /// Status events refused since start (`POST /api/v1/status` not stored:
    /// forged, malformed, unknown node, rate-limited, ...).
    #[serde(default)]
    pub statuses_refused: u64,
    /// Enrolment requests refused since start (wrong or used code, already
    /// enrolled, bad proof).
    #[serde(default)]
    pub enrolments_refused: u64,
}

/// `GET /api/v1/nodes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Nodes {
    /// When the answer was made.
    pub generated_at: i64,
    /// Nodes, worst first.
    pub nodes: Vec<Node>,
}

/// A node with its jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Name.
    pub name: String,
    /// Its worst job's state.
    pub state: State,
    /// Enrolment time.
    pub enrolled_at: i64,
    /// Last event (collector time).
    pub last_seen_at: Option<i64>,
    /// Agent version it last reported.
    pub agent: Option<String>,
    /// Status events the tower refused for good, kept aside on the node
    /// (`STATE/spool/refused/`), as the node last reported.
    pub refused_events: Option<u64>,
    /// A reaper (`bananaui node add NAME --reaper`): it has no jobs.
    #[serde(default)]
    pub reaper: bool,
    /// The newest prune of this node's repository a reaper reported.
    #[serde(default)]
    pub last_prune: Option<Prune>,
    /// A drill host (`bananaui node add NAME --drill`): it has no jobs.
    #[serde(default)]
    pub drill_host: bool,
    /// The newest subset check (`check --read-data-subset`) reported.
    #[serde(default)]
    pub last_check: Option<Drill>,
    /// A copier (`bananaui node add NAME --copier`): it has no jobs.
    #[serde(default)]
    pub copier: bool,
    /// The newest copy of this node's repository to each destination (at
    /// most [`MAX_COPY_DESTINATIONS`], by destination).
    #[serde(default)]
    pub copies: Vec<Copy>,
    /// Jobs, worst first.
    pub jobs: Vec<Job>,
}

/// Most destinations the tower keeps copies of per node (a new one replaces
/// the one reported least recently).
pub const MAX_COPY_DESTINATIONS: usize = 8;

/// A copy of a node's repository to one destination (`bananadm copy`,
/// `bananactl copy --to`), as the tower keeps the newest report per node and
/// destination.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Copy {
    /// Who sent it: the node itself or a copier's name.
    pub by: String,
    /// The destination's location, as the sender named it (a URL without
    /// any secret; client text: sanitise it before showing it).
    pub destination: String,
    /// When the newest report ran (the sender's clock).
    pub at: i64,
    /// When the tower received it.
    pub received_at: i64,
    /// Its result: `success`, `partial` (snapshots lost at the source, but
    /// everything there was copied) or `failed`.
    pub result: Outcome,
    /// Why it failed.
    pub error: Option<String>,
    /// Objects the newest report's run wrote to the destination.
    pub objects: u64,
    /// Bytes it wrote.
    pub bytes: u64,
    /// Snapshots it wrote.
    pub snapshots: u64,
    /// The newest snapshot at the destination (hex), as last reported.
    pub newest: Option<String>,
    /// Storage's date of that snapshot.
    pub newest_at: Option<i64>,
    /// Snapshots the newest report found lost at the source (kept at the
    /// destination), hex, at most 64.
    pub source_lost: Vec<String>,
    /// When the newest successful copy (`success` or `partial`) ran.
    pub copied_at: Option<i64>,
    /// When that copy listed the source: every snapshot the source held
    /// then is at the destination.
    pub listed_at: Option<i64>,
    /// How far the destination is behind: 0 when the newest successful
    /// copy listed the source after the node's newest successful backup,
    /// else the age of the oldest successful backup that ended after that
    /// listing (`copy-lag` fires past `alerts.copy_after`).
    pub lag_secs: i64,
    /// `copy-lag` holds for this destination now.
    pub lagging: bool,
    /// Pieces of `source-lost` evidence about this destination waiting for
    /// `bananaui alert ack NODE source-lost`.
    pub source_lost_held: u64,
}

/// A reaper's report of a prune (`bananadm prune`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prune {
    /// The reaper that sent it.
    pub reaper: String,
    /// When it pruned (the reaper's clock).
    pub at: i64,
    /// When the tower received it.
    pub received_at: i64,
    /// The newest report without an error (`unpruned` counts from it).
    pub pruned_at: Option<i64>,
    /// The repository, hex.
    pub repository: Option<String>,
    /// `seq`s of the snapshots forgotten.
    pub forgotten: Vec<u64>,
    /// Bytes of packs deleted.
    pub freed_bytes: u64,
    /// What was held back, one line each (`prune-held`).
    pub held: Vec<String>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// A node's job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Name.
    pub job: String,
    /// State.
    pub state: State,
    /// Plugin.
    pub plugin: String,
    /// Expected interval.
    pub every_secs: Option<u64>,
    /// Last start.
    pub last_started_at: Option<i64>,
    /// Last end.
    pub last_ended_at: Option<i64>,
    /// Last result.
    pub last_result: Option<Outcome>,
    /// Last success.
    pub last_success_at: Option<i64>,
    /// Last duration.
    pub duration_secs: Option<i64>,
    /// Last file count.
    pub files: Option<u64>,
    /// Last logical size.
    pub bytes_total: Option<u64>,
    /// Last stored bytes.
    pub bytes_stored: Option<u64>,
    /// Next due.
    pub next_due_at: Option<i64>,
    /// Why the last finished run was not a full success: a failed run's
    /// error, or a partial run's first warning.
    pub error: Option<String>,
    /// Warnings of the last finished run (a partial run has some).
    #[serde(default)]
    pub warnings: Option<u64>,
    /// A run is going.
    pub running: bool,
    /// The repository id its last snapshot went to (hex).
    #[serde(default)]
    pub repository: Option<String>,
    /// That snapshot's `seq` in the repository's chain.
    #[serde(default)]
    pub seq: Option<u64>,
    /// The newest drill of this job (`bananactl drill`, `bananadm drill`).
    #[serde(default)]
    pub last_drill: Option<Drill>,
}

/// A drill's report, as the tower keeps the newest per node and job (and
/// per node for a subset check).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Drill {
    /// Who sent it: the node itself or a drill host's name.
    pub by: String,
    /// When it ran (the sender's clock).
    pub at: i64,
    /// When the tower received it.
    pub received_at: i64,
    /// It passed.
    pub passed: bool,
    /// When the newest passing drill ran (`undrilled` counts from it;
    /// the TUI's VERIFIED column shows its age).
    pub verified_at: Option<i64>,
    /// The snapshot drilled, hex.
    pub snapshot: Option<String>,
    /// What was measured.
    pub facts: crate::status::DrillFacts,
    /// What failed (`drill-failed` carries it).
    pub error: Option<String>,
}

/// `GET /api/v1/nodes/{name}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// When the answer was made.
    pub generated_at: i64,
    /// The node.
    pub node: Node,
    /// Runs of all its jobs, newest first.
    pub runs: Vec<Run>,
    /// Its alerts.
    pub alerts: Vec<Alert>,
}

/// One finished run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Job.
    pub job: String,
    /// Run id.
    pub run: String,
    /// Start.
    pub started_at: i64,
    /// End.
    pub ended_at: i64,
    /// Seconds.
    pub duration_secs: i64,
    /// Result.
    pub result: Outcome,
    /// Snapshot id.
    pub snapshot: Option<String>,
    /// Files.
    pub files: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Bytes new after deduplication.
    pub bytes_added: u64,
    /// Stored bytes.
    pub bytes_stored: u64,
    /// Logical size.
    pub bytes_total: u64,
    /// Warnings.
    pub warnings: u64,
    /// Error.
    pub error: Option<String>,
    /// Agent version.
    pub agent: String,
    /// When the tower received it (absent from older towers).
    pub received_at: Option<i64>,
    /// Requests the run sent to remote storage (`null` for a directory).
    #[serde(default)]
    pub storage_requests: Option<u64>,
}

/// `GET /api/v1/alerts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Alerts {
    /// When the answer was made.
    pub generated_at: i64,
    /// Firing, newest first.
    pub firing: Vec<Alert>,
    /// Recently resolved, newest first.
    pub resolved: Vec<Alert>,
}

/// An alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Rule.
    pub rule: String,
    /// Node.
    pub node: String,
    /// Job, for job rules.
    pub job: Option<String>,
    /// Firing or resolved.
    pub state: AlertState,
    /// Firing since.
    pub since: i64,
    /// Resolved at.
    pub resolved_at: Option<i64>,
    /// Text.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_states_and_fields_from_a_newer_tower_decode() {
        let j: Job = serde_json::from_str(
            r#"{"job":"j","state":"hibernating","plugin":"fs","every_secs":null,
                "last_started_at":null,"last_ended_at":null,"last_result":"skipped",
                "last_success_at":null,"duration_secs":null,"files":null,"bytes_total":null,
                "bytes_stored":null,"next_due_at":null,"error":null,"running":false,
                "a_field_from_the_future":1}"#,
        )
        .unwrap();
        assert_eq!(j.state, State::Unknown);
        assert_eq!(j.last_result, Some(Outcome::Unknown));
        // A missing field is an error, not a silent default.
        assert!(serde_json::from_str::<Alert>(r#"{"rule":"failed","node":"n"}"#).is_err());
    }
}
