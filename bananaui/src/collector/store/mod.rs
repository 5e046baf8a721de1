//! The collector's database: one sled tree, typed records, keys by prefix.
//!
//! | key | value |
//! |---|---|
//! | `n\0{node}` | [`NodeRec`] |
//! | `j\0{node}\0{job}` | [`JobRec`] |
//! | `r\0{node}\0{job}\0{ended_at:be64}{run}` | [`RunRec`] (history, oldest first) |
//! | `e\0{node}\0{event id}` | event time (dedup) |
//! | `t\0{time:be64}\0{node}\0{event id}` | (index of event ids by time, for pruning) |
//! | `x\0{timestamp:be64}\0{node}\0{nonce}` | body hash (replays, pruned after the window) |
//! | `a\0{rule}\0{node}\0{job}[\0{evidence}]` | [`AlertRec`] (a witness alert per piece of evidence) |
//! | `c\0{node}\0{repository}` | [`ChainRec`]: the highest `seq` acknowledged |
//! | `w\0{node}\0{rule}\0{job}\0{repository}\0{event id}` | [`WitnessRec`]: a piece of evidence (rollback, repository change, witness lost; source lost, with job `copy` and the destination for repository) until acknowledged |
//! | `w\0{node}\0{rule}` | [`WitnessRec`] as older towers kept it (one per node and rule): still read, fired and acknowledged |
//!
//! Only the writer thread ([`super::writer`]) and the housekeeper's alert
//! updates (sent through it) write; a group of writes is one atomic sled batch,
//! flushed to disk before anyone is told it is stored.

use anyhow::Context;
use proto::status::RunResult;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

mod reports;
mod writes;
pub use reports::{CopyRec, DrillRec, PruneRec, MAX_LOST_KEPT};
pub use writes::Writes;

/// An enrolled node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeRec {
    /// Node name.
    pub name: String,
    /// Its Ed25519 status key, hex.
    pub public_key: String,
    /// When it enrolled.
    pub enrolled_at: i64,
    /// Last accepted event (collector time).
    pub last_seen_at: Option<i64>,
    /// Agent version it last reported.
    pub agent: Option<String>,
    /// Events the tower refused that the node keeps aside (its last report).
    #[serde(default)]
    pub refused_events: Option<u64>,
    /// A reaper (`bananaui node add NAME --reaper`): it may send only
    /// `prune` events, a node only the others.
    #[serde(default)]
    pub reaper: bool,
    /// The newest prune of this node's repository a reaper reported.
    #[serde(default)]
    pub last_prune: Option<PruneRec>,
    /// A drill host (`bananaui node add NAME --drill`): it may send only
    /// `drill` events, about the nodes it names.
    #[serde(default)]
    pub drill_host: bool,
    /// The newest drill of each of this node's jobs, by job name (kept
    /// beside the jobs: a drill never makes a job appear).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub drills: BTreeMap<String, DrillRec>,
    /// The newest subset check of the node's repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<DrillRec>,
    /// When the tower received the node's first drill or check: `undrilled`
    /// counts from it (unless `alerts.drill_required`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drilled_since: Option<i64>,
    /// A copier (`bananaui node add NAME --copier`): it may send only
    /// `copy` events, about the nodes it names.
    #[serde(default)]
    pub copier: bool,
    /// The newest copy of this node's repository to each destination (at
    /// most [`crate::api::MAX_COPY_DESTINATIONS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copies: Vec<CopyRec>,
}

/// The tower's witness of one repository's chain: the highest `seq` a node
/// reported in it, acknowledged (stored) by this tower.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainRec {
    /// Highest `seq` acknowledged.
    pub seq: u64,
    /// The snapshot that had it.
    pub snapshot: Option<String>,
    /// When it was reported (tower time).
    pub at: i64,
    /// The job that reported it last.
    #[serde(default)]
    pub job: Option<String>,
    /// No job of the node reports this repository any more and the tower
    /// said so (`witness-lost`); cleared when a job reports it again.
    #[serde(default)]
    pub lost: bool,
}

/// A piece of evidence the tower saw: it stays (and its alert fires) until
/// an operator acknowledges it with `bananaui alert ack`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WitnessRec {
    /// `rollback`, `repository-changed`, `witness-lost` or `source-lost`.
    pub rule: String,
    /// Node.
    pub node: String,
    /// The job that reported it (`copy` for `source-lost`).
    pub job: String,
    /// The repository it concerns (hex id; for `source-lost`, the copy's
    /// destination).
    pub repository: String,
    /// Human text.
    pub message: String,
    /// When the tower stored it.
    pub since: i64,
    /// The event that brought it: one piece per event, job, repository and
    /// rule. `None` for a record of an older tower (one per node and rule),
    /// whose alert keeps its old identity (no job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl WitnessRec {
    /// The store key of this piece.
    pub fn key(&self) -> Vec<u8> {
        match &self.id {
            Some(id) => key(&[
                b"w",
                self.node.as_bytes(),
                self.rule.as_bytes(),
                self.job.as_bytes(),
                self.repository.as_bytes(),
                id.as_bytes(),
            ]),
            None => key(&[b"w", self.node.as_bytes(), self.rule.as_bytes()]),
        }
    }

    /// What tells its alert apart from the other pieces of the same rule
    /// and job: `{repository}/{event id}` (none for an older record).
    pub fn evidence(&self) -> Option<String> {
        let id = self.id.as_deref()?;
        Some(format!("{}/{id}", self.repository))
    }
}

/// The rules whose evidence stays until acknowledged: the witness's, and a
/// copy's report of snapshots lost at the source (`source-lost`).
pub const WITNESS_RULES: [&str; 4] = [
    "rollback",
    "repository-changed",
    "witness-lost",
    "source-lost",
];

/// Most pieces of unacknowledged evidence kept per node; more are logged and
/// dropped (only a node that lies, or storage rolled back that many times
/// without anyone acknowledging, gets there).
pub const MAX_EVIDENCE: usize = 64;

/// One finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRec {
    /// Job name.
    pub job: String,
    /// Run id.
    pub run: String,
    /// Start, Unix seconds.
    pub started_at: i64,
    /// End, Unix seconds.
    pub ended_at: i64,
    /// Outcome.
    pub result: RunResult,
    /// Snapshot id.
    pub snapshot: Option<String>,
    /// Files in the snapshot.
    pub files: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Bytes new after dedup.
    pub bytes_added: u64,
    /// Bytes written to storage.
    pub bytes_stored: u64,
    /// Logical size of the snapshot.
    pub bytes_total: u64,
    /// Warnings.
    pub warnings: u64,
    /// One-line error.
    pub error: Option<String>,
    /// Agent version.
    pub agent: String,
    /// When the tower stored it (a late one was spooled on the node).
    #[serde(default)]
    pub received_at: Option<i64>,
    /// Requests the run sent to remote storage.
    #[serde(default)]
    pub storage_requests: Option<u64>,
}

#[cfg(test)]
impl RunRec {
    /// A run for tests: everything zero or empty but what is given.
    pub fn sample(
        job: &str,
        run: &str,
        started_at: i64,
        ended_at: i64,
        result: RunResult,
    ) -> RunRec {
        RunRec {
            job: job.into(),
            run: run.into(),
            started_at,
            ended_at,
            result,
            snapshot: None,
            files: 0,
            bytes_read: 0,
            bytes_added: 0,
            bytes_stored: 0,
            bytes_total: 0,
            warnings: 0,
            error: None,
            agent: "t".into(),
            received_at: None,
            storage_requests: None,
        }
    }
}

/// A node's job: what its last runs said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRec {
    /// Node name.
    pub node: String,
    /// Job name.
    pub job: String,
    /// Plugin.
    pub plugin: String,
    /// Expected interval, seconds.
    pub every_secs: Option<u64>,
    /// First event seen for this job.
    pub first_seen_at: i64,
    /// Last `started` (run start time).
    pub last_started_at: Option<i64>,
    /// Run id of a run started and not finished.
    pub running: Option<String>,
    /// Last event of any kind for this job (collector time).
    pub last_event_at: i64,
    /// Last finished run.
    pub last_run: Option<RunRec>,
    /// End of the last successful run.
    pub last_success_at: Option<i64>,
    /// Logical sizes of recent successful runs, oldest first (for `shrunk`).
    pub recent_totals: Vec<u64>,
    /// Runs kept in the history.
    pub runs_kept: u64,
    /// The repository id this job last reported a snapshot in.
    #[serde(default)]
    pub repository: Option<String>,
    /// That snapshot's `seq` in the repository's chain.
    #[serde(default)]
    pub seq: Option<u64>,
    /// When the node says the job is next due (from its last success, or
    /// any event before the first success).
    #[serde(default)]
    pub next_due_at: Option<i64>,
}

impl JobRec {
    /// A job first seen at `now`, with nothing reported yet.
    pub fn new(node: &str, job: &str, plugin: &str, now: i64) -> JobRec {
        JobRec {
            node: node.to_owned(),
            job: job.to_owned(),
            plugin: plugin.to_owned(),
            every_secs: None,
            first_seen_at: now,
            last_started_at: None,
            running: None,
            last_event_at: now,
            last_run: None,
            last_success_at: None,
            recent_totals: Vec::new(),
            runs_kept: 0,
            repository: None,
            seq: None,
            next_due_at: None,
        }
    }
}

/// Firing or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The condition holds.
    Firing,
    /// It held and no longer does.
    Resolved,
}

/// One alert (a rule on a node, or a node's job).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRec {
    /// `overdue`, `failed`, `silent`, `shrunk`, `never`, `rollback`,
    /// `repository-changed` or `witness-lost`.
    pub rule: String,
    /// Node.
    pub node: String,
    /// Job, for job rules.
    pub job: Option<String>,
    /// Firing or resolved.
    pub state: AlertState,
    /// When it started firing.
    pub since: i64,
    /// When it resolved.
    pub resolved_at: Option<i64>,
    /// Human text.
    pub message: String,
    /// Last notification sent for the current state.
    pub notified_at: Option<i64>,
    /// The piece of evidence behind a witness alert
    /// ([`WitnessRec::evidence`]): each piece is its own alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

impl AlertRec {
    /// The store key of this alert.
    pub fn key(&self) -> Vec<u8> {
        let mut parts: Vec<&[u8]> = vec![
            b"a",
            self.rule.as_bytes(),
            self.node.as_bytes(),
            self.job.as_deref().unwrap_or("").as_bytes(),
        ];
        if let Some(e) = &self.evidence {
            parts.push(e.as_bytes());
        }
        key(&parts)
    }
}

fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p);
    }
    k
}

/// Key of a node record.
pub fn node_key(node: &str) -> Vec<u8> {
    key(&[b"n", node.as_bytes()])
}
/// Key of a job record.
pub fn job_key(node: &str, job: &str) -> Vec<u8> {
    key(&[b"j", node.as_bytes(), job.as_bytes()])
}
fn runs_prefix(node: &str, job: &str) -> Vec<u8> {
    let mut k = key(&[b"r", node.as_bytes(), job.as_bytes()]);
    k.push(0);
    k
}
/// Key of a run in the history.
pub fn run_key(node: &str, job: &str, ended_at: i64, run: &str) -> Vec<u8> {
    let mut k = runs_prefix(node, job);
    k.extend_from_slice(&(ended_at.max(0) as u64).to_be_bytes());
    k.extend_from_slice(run.as_bytes());
    k
}
/// Key of a chain record.
pub fn chain_key(node: &str, repo: &str) -> Vec<u8> {
    key(&[b"c", node.as_bytes(), repo.as_bytes()])
}
/// The prefix of a node's records with tag `tag` (`j`, `c`, `w`, ...).
pub fn node_prefix(tag: &[u8], node: &str) -> Vec<u8> {
    let mut p = key(&[tag, node.as_bytes()]);
    p.push(0);
    p
}

/// Key recording that an event id was stored.
pub fn event_key(node: &str, id: &str) -> Vec<u8> {
    key(&[b"e", node.as_bytes(), id.as_bytes()])
}
/// Index of event ids by the time they were stored (for pruning).
fn event_time_key(at: i64, node: &str, id: &str) -> Vec<u8> {
    let mut k = b"t\0".to_vec();
    k.extend_from_slice(&(at.max(0) as u64).to_be_bytes());
    k.push(0);
    k.extend_from_slice(node.as_bytes());
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Key recording a nonce seen at envelope time `ts`.
pub fn nonce_key(ts: i64, node: &str, nonce: &str) -> Vec<u8> {
    let mut k = b"x\0".to_vec();
    k.extend_from_slice(&(ts.max(0) as u64).to_be_bytes());
    k.push(0);
    k.extend_from_slice(node.as_bytes());
    k.push(0);
    k.extend_from_slice(nonce.as_bytes());
    k
}

fn decode<T: DeserializeOwned>(k: &[u8], v: &[u8]) -> anyhow::Result<T> {
    serde_json::from_slice(v).with_context(|| {
        format!(
            "store record {} is damaged",
            String::from_utf8_lossy(k).replace('\0', "/")
        )
    })
}

/// The collector's database.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
}

impl Store {
    /// Opens (creating) the database in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("data directory {}", dir.display()))?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .open()
            .map_err(|e| match e {
                // sled 0.34 reports its lock as ErrorKind::Other with this
                // text; `serve` takes its own lock first (`lock.rs`), so this
                // is another program holding the database.
                sled::Error::Io(ref io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("could not acquire lock") =>
                {
                    super::lock::in_use(dir, None)
                }
                e => anyhow::anyhow!("opening the tower database {}: {e}", dir.display()),
            })?;
        Ok(Store { db })
    }

    fn get<T: DeserializeOwned>(&self, k: &[u8]) -> anyhow::Result<Option<T>> {
        match self.db.get(k)? {
            Some(v) => Ok(Some(decode(k, &v)?)),
            None => Ok(None),
        }
    }

    fn scan<T: DeserializeOwned>(&self, prefix: &[u8]) -> anyhow::Result<Vec<T>> {
        self.db
            .scan_prefix(prefix)
            .map(|kv| {
                let (k, v) = kv?;
                decode(&k, &v)
            })
            .collect()
    }

    /// A node.
    pub fn node(&self, name: &str) -> anyhow::Result<Option<NodeRec>> {
        self.get(&node_key(name))
    }
    /// Every node, by name.
    pub fn nodes(&self) -> anyhow::Result<Vec<NodeRec>> {
        self.scan(b"n\0")
    }
    /// A job.
    pub fn job(&self, node: &str, job: &str) -> anyhow::Result<Option<JobRec>> {
        self.get(&job_key(node, job))
    }
    /// Every job, by node then name.
    pub fn jobs(&self) -> anyhow::Result<Vec<JobRec>> {
        self.scan(b"j\0")
    }
    /// The jobs of one node.
    pub fn jobs_of(&self, node: &str) -> anyhow::Result<Vec<JobRec>> {
        self.scan(&node_prefix(b"j", node))
    }
    /// One job's kept runs, newest first, at most `limit`.
    pub fn runs(&self, node: &str, job: &str, limit: usize) -> anyhow::Result<Vec<RunRec>> {
        self.db
            .scan_prefix(runs_prefix(node, job))
            .rev()
            .take(limit)
            .map(|kv| {
                let (k, v) = kv?;
                decode(&k, &v)
            })
            .collect()
    }
    /// Whether event `id` of `node` is stored.
    pub fn has_event(&self, node: &str, id: &str) -> anyhow::Result<bool> {
        Ok(self.db.contains_key(event_key(node, id))?)
    }
    /// Number of stored event ids (all nodes).
    pub fn event_count(&self) -> usize {
        self.db.scan_prefix(b"e\0").count()
    }
    /// The body hash stored for a nonce, if seen.
    pub fn nonce(&self, ts: i64, node: &str, nonce: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .db
            .get(nonce_key(ts, node, nonce))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
    /// Every alert.
    pub fn alerts(&self) -> anyhow::Result<Vec<AlertRec>> {
        self.scan(b"a\0")
    }
    /// The chain record of `node` in `repo`.
    pub fn chain(&self, node: &str, repo: &str) -> anyhow::Result<Option<ChainRec>> {
        self.get(&chain_key(node, repo))
    }
    /// Every witness record.
    pub fn witnesses(&self) -> anyhow::Result<Vec<WitnessRec>> {
        self.scan(b"w\0")
    }
    /// The witness records about one node.
    pub fn witnesses_of(&self, node: &str) -> anyhow::Result<Vec<WitnessRec>> {
        self.scan(&node_prefix(b"w", node))
    }

    /// Applies a group of writes atomically and makes it durable.
    pub fn commit(&self, w: Writes) -> anyhow::Result<()> {
        // Flushed even when empty: a group of duplicates is answered 200 only
        // once everything before it is durable (an earlier flush may have failed).
        if !w.is_empty() {
            self.db.apply_batch(w.into_batch())?;
        }
        self.db.flush().context("flushing the tower database")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_seen_by_their_group_and_stored_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = Writes::default();
        let n = NodeRec {
            name: "web-01".into(),
            public_key: "00".repeat(32),
            enrolled_at: 1,
            last_seen_at: None,
            agent: None,
            refused_events: None,
            reaper: false,
            last_prune: None,
            ..Default::default()
        };
        w.put_node(&n).unwrap();
        w.put_event("web-01", "e1", 5).unwrap();
        w.put_nonce(100, "web-01", "n1", "h1");
        assert_eq!(w.node(&store, "web-01").unwrap(), Some(n.clone()));
        assert!(w.has_event(&store, "web-01", "e1").unwrap());
        assert!(store.node("web-01").unwrap().is_none(), "not applied yet");
        store.commit(w).unwrap();
        assert_eq!(store.node("web-01").unwrap(), Some(n));
        assert!(store.has_event("web-01", "e1").unwrap());
        assert_eq!(
            store.nonce(100, "web-01", "n1").unwrap().as_deref(),
            Some("h1")
        );
        // Nonces before 101 go; the event (at 5) goes with history before 10.
        let mut w = Writes::default();
        assert_eq!(w.prune(&store, 101, Some(10), 0).unwrap(), 2);
        store.commit(w).unwrap();
        assert!(store.nonce(100, "web-01", "n1").unwrap().is_none());
        assert!(!store.has_event("web-01", "e1").unwrap());
    }

    #[test]
    fn a_rollback_undoes_what_was_written_since_its_savepoint() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let node = |agent: &str| NodeRec {
            name: "n".into(),
            public_key: String::new(),
            enrolled_at: 1,
            last_seen_at: None,
            agent: Some(agent.into()),
            refused_events: None,
            reaper: false,
            last_prune: None,
            ..Default::default()
        };
        let mut w = Writes::default();
        w.put_node(&node("kept")).unwrap();
        w.put_event("n", "e1", 5).unwrap();
        let sp = w.savepoint();
        w.put_node(&node("refused")).unwrap();
        w.put_event("n", "e2", 6).unwrap();
        w.remove_job(&store, "n", "files").unwrap();
        assert!(w.has_event(&store, "n", "e2").unwrap());
        w.rollback(sp);
        assert_eq!(w.node(&store, "n").unwrap(), Some(node("kept")));
        assert!(!w.has_event(&store, "n", "e2").unwrap());
        store.commit(w).unwrap();
        assert_eq!(store.node("n").unwrap(), Some(node("kept")));
        assert!(store.has_event("n", "e1").unwrap());
        assert!(!store.has_event("n", "e2").unwrap());
        // Everything undone: nothing to apply.
        let mut w = Writes::default();
        let sp = w.savepoint();
        w.put_node(&node("x")).unwrap();
        w.rollback(sp);
        assert!(w.is_empty());
    }

    #[test]
    fn runs_come_back_newest_first_and_the_oldest_can_be_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let run = |i: i64| RunRec {
            bytes_total: i as u64,
            ..RunRec::sample("db", &format!("r{i}"), i, i + 1, RunResult::Success)
        };
        let mut w = Writes::default();
        for i in 0..5 {
            w.put_run(&store, "n", &run(i)).unwrap();
        }
        // A job whose name extends another's must not share its history.
        w.put_run(
            &store,
            "n",
            &RunRec {
                job: "db2".into(),
                ..run(9)
            },
        )
        .unwrap();
        store.commit(w).unwrap();
        let got: Vec<_> = store
            .runs("n", "db", 10)
            .unwrap()
            .iter()
            .map(|r| r.started_at)
            .collect();
        assert_eq!(got, vec![4, 3, 2, 1, 0]);
        let mut w = Writes::default();
        w.drop_oldest_runs(&store, "n", "db", 2);
        store.commit(w).unwrap();
        let got: Vec<_> = store
            .runs("n", "db", 10)
            .unwrap()
            .iter()
            .map(|r| r.started_at)
            .collect();
        assert_eq!(got, vec![4, 3, 2]);
        assert_eq!(store.runs("n", "db2", 10).unwrap().len(), 1);
        // By age: runs 2 and 3 ended at 3 and 4; "before 4" drops only run 2.
        let mut w = Writes::default();
        assert_eq!(w.drop_runs_before(&store, "n", "db", 4).unwrap(), 1);
        store.commit(w).unwrap();
        let got: Vec<_> = store
            .runs("n", "db", 10)
            .unwrap()
            .iter()
            .map(|r| r.started_at)
            .collect();
        assert_eq!(got, vec![4, 3]);
    }
}
