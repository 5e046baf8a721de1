//! The single writer: verified events (runs, prune, drill and copy reports),
//! enrolments, alert changes and pruning go through one thread that applies
//! them in groups, each group one atomic sled batch flushed to disk before
//! any of its requests is answered (group commit: one fsync for many
//! statuses, and no acknowledged status is lost to a crash).

use super::http::Reply;
use super::store::{AlertRec, JobRec, NodeRec, RunRec, Store, Writes};
use super::view;
use crate::config::History;
use proto::status::{Event, EventKind, RunResult};
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;

mod copy;
mod drill;
mod enrol;
mod prune;
use enrol::{apply_enrol, Claim};

/// Most operations waiting for the writer (beyond: 503, retry later).
const QUEUE: usize = 16384;
/// Most operations in one group commit.
const GROUP: usize = 2048;
/// Most jobs a node may report (each is a row, a metric series, alert rules).
const MAX_JOBS: usize = 256;

/// What the writer does.
pub enum Op {
    /// Store a verified event.
    Event(Box<EventOp>),
    /// Enrol a node (its code already checked; the pending file is consumed here).
    Enrol {
        /// The new record.
        rec: Box<NodeRec>,
        /// Whether an existing key may be replaced.
        replace: bool,
        /// The pending enrolment file, claimed before the commit (single use).
        pending: PathBuf,
        /// The hash of the code presented (checked again against the claimed file).
        code_hash: String,
        /// Where the answer goes.
        reply: oneshot::Sender<Reply>,
    },
    /// Store alert changes; the answer says whether they are durable.
    Alerts(Vec<AlertRec>, crossbeam_channel::Sender<bool>),
    /// Forget a node; the answer says whether that is durable.
    Remove(String, crossbeam_channel::Sender<bool>),
    /// Drop the evidence of (node, rule) the tower stored before the given
    /// time (when an operator acknowledged it); the answer says whether that
    /// is durable.
    Ack(String, String, i64, crossbeam_channel::Sender<bool>),
    /// Drop old records.
    Prune {
        /// Nonces before this go.
        nonce_before: i64,
        /// Runs and event ids before this go.
        history_before: Option<i64>,
        /// Resolved alerts before this go.
        resolved_before: i64,
    },
}

/// A verified event to store.
pub struct EventOp {
    /// Node (verified).
    pub node: String,
    /// Envelope timestamp.
    pub ts: i64,
    /// Envelope nonce.
    pub nonce: String,
    /// Envelope body hash.
    pub body_hash: String,
    /// The key its signature was checked against (the writer refuses it if
    /// the node was re-enrolled with another key meanwhile).
    pub key: String,
    /// The event.
    pub event: Event,
    /// Collector time.
    pub now: i64,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Reply>,
}

/// Counters the writer keeps (exported in `/metrics`).
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Events stored.
    pub stored: AtomicU64,
    /// Events already stored (idempotent replays, re-sent events).
    pub duplicates: AtomicU64,
    /// Group commits.
    pub commits: AtomicU64,
    /// Commits that failed (requests answered 503).
    pub failures: AtomicU64,
    /// Statuses the writer refused (re-enrolled key, reused nonce, job limit).
    pub refused_statuses: AtomicU64,
    /// Enrolments the writer refused (already enrolled, code used or replaced).
    pub refused_enrolments: AtomicU64,
}

/// The writer's queue.
#[derive(Clone)]
pub struct Writer {
    tx: crossbeam_channel::Sender<Op>,
    /// Its counters.
    pub stats: Arc<WriterStats>,
}

impl Writer {
    /// Starts the writer thread over `store`.
    pub fn start(store: Store, history: History) -> anyhow::Result<Writer> {
        let (tx, rx) = crossbeam_channel::bounded::<Op>(QUEUE);
        let stats = Arc::new(WriterStats::default());
        let st = stats.clone();
        std::thread::Builder::new()
            .name("bananaui-writer".into())
            .spawn(move || run(store, history, rx, st))?;
        Ok(Writer { tx, stats })
    }

    /// Queues an operation; false when the queue is full.
    pub fn send(&self, op: Op) -> bool {
        self.tx.try_send(op).is_ok()
    }

    /// Queues an operation, waiting for room.
    pub fn send_wait(&self, op: Op) {
        let _ = self.tx.send(op);
    }
}

fn run(
    store: Store,
    history: History,
    rx: crossbeam_channel::Receiver<Op>,
    stats: Arc<WriterStats>,
) {
    while let Ok(first) = rx.recv() {
        let mut group = Group::default();
        group.apply(&store, &history, &stats, first);
        while group.ops < GROUP {
            match rx.try_recv() {
                Ok(op) => group.apply(&store, &history, &stats, op),
                Err(_) => break,
            }
        }
        group.commit(&store, &stats);
    }
}

/// One group commit: the writes of many operations, and their answers,
/// sent only once the group is durable.
#[derive(Default)]
struct Group {
    ops: usize,
    w: Writes,
    answers: Vec<(oneshot::Sender<Reply>, Reply)>,
    acks: Vec<crossbeam_channel::Sender<bool>>,
    claims: Vec<Claim>,
    stored: u64,
    dups: u64,
}

impl Group {
    /// One status event, one unit: a refused one leaves nothing behind.
    fn event(
        &mut self,
        store: &Store,
        history: &History,
        stats: &WriterStats,
        e: &EventOp,
    ) -> Reply {
        let before = self.w.savepoint();
        match apply_event(store, &mut self.w, history, e) {
            Ok(true) => {
                self.stored += 1;
                Reply::json(200, &json!({"stored": true}))
            }
            Ok(false) => {
                self.dups += 1;
                Reply::json(200, &json!({"stored": false, "duplicate": true}))
            }
            Err(Refuse(status, msg)) => {
                self.w.rollback(before);
                if status != 503 {
                    stats.refused_statuses.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(
                        "refused a status of node {}: {status} {}",
                        e.node,
                        proto::humanize::printable(&msg)
                    );
                }
                Reply::error(status, &msg)
            }
        }
    }

    /// One enrolment; a refused one is counted and logged.
    fn enrol(
        &mut self,
        store: &Store,
        stats: &WriterStats,
        rec: &NodeRec,
        replace: bool,
        pending: &std::path::Path,
        code_hash: &str,
    ) -> Reply {
        let (r, claim) = apply_enrol(store, &mut self.w, rec, replace, pending, code_hash);
        if let Some(c) = claim {
            self.claims.push(c);
        } else if r.status != 503 {
            stats.refused_enrolments.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                "refused the enrolment of node {}: {} {}",
                rec.name,
                r.status,
                serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(proto::humanize::printable))
                    .unwrap_or_default()
            );
        }
        r
    }

    fn apply(&mut self, store: &Store, history: &History, stats: &WriterStats, op: Op) {
        self.ops += 1;
        match op {
            Op::Event(e) => {
                let r = self.event(store, history, stats, &e);
                self.answers.push((e.reply, r));
            }
            Op::Enrol {
                rec,
                replace,
                pending,
                code_hash,
                reply,
            } => {
                let r = self.enrol(store, stats, &rec, replace, &pending, &code_hash);
                self.answers.push((reply, r));
            }
            Op::Alerts(alerts, ack) => {
                for a in &alerts {
                    if let Err(e) = self.w.put_alert(a) {
                        tracing::error!("alert {}: {e}", a.rule);
                    }
                }
                self.acks.push(ack);
            }
            Op::Remove(node, ack) => {
                match self.w.remove_node(store, &node) {
                    Ok(n) => tracing::info!("removed node {node} ({n} records)"),
                    Err(e) => tracing::error!("removing node {node}: {e:#}"),
                }
                self.acks.push(ack);
            }
            Op::Ack(node, rule, before, ack) => {
                match self.w.remove_witness(store, &node, &rule, before) {
                    Ok(0) => tracing::warn!("{node}: no {rule} evidence to acknowledge"),
                    Ok(n) => tracing::info!("{node}: {rule} acknowledged ({n} piece(s))"),
                    Err(e) => tracing::error!("acknowledging {rule} of {node}: {e:#}"),
                }
                self.acks.push(ack);
            }
            Op::Prune {
                nonce_before,
                history_before,
                resolved_before,
            } => match self
                .w
                .prune(store, nonce_before, history_before, resolved_before)
            {
                Ok(n) if n > 0 => tracing::debug!("pruned {n} records"),
                Ok(_) => {}
                Err(e) => tracing::warn!("pruning: {e:#}"),
            },
        }
    }

    /// Makes the group durable, then answers every request in it.
    fn commit(self, store: &Store, stats: &WriterStats) {
        let committed = store.commit(self.w);
        for c in self.claims {
            if committed.is_ok() {
                tracing::info!(
                    "enrolled node {}{}",
                    c.node,
                    if c.replace { " (its key replaced)" } else { "" }
                );
            }
            c.finish(committed.is_ok());
        }
        let ok = committed.is_ok();
        match committed {
            Ok(()) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.stored.fetch_add(self.stored, Ordering::Relaxed);
                stats.duplicates.fetch_add(self.dups, Ordering::Relaxed);
                for (tx, r) in self.answers {
                    let _ = tx.send(r);
                }
            }
            Err(e) => {
                tracing::error!("storing a group of {} requests: {e:#}", self.answers.len());
                stats.failures.fetch_add(1, Ordering::Relaxed);
                for (tx, _) in self.answers {
                    let _ = tx.send(Reply::error(503, "the store could not be written; retry"));
                }
            }
        }
        for a in self.acks {
            let _ = a.send(ok);
        }
    }
}

/// A request the writer refuses: HTTP status and message.
pub struct Refuse(pub u16, pub String);

impl From<anyhow::Error> for Refuse {
    fn from(e: anyhow::Error) -> Refuse {
        tracing::error!("store: {e:#}");
        Refuse(503, "the store could not be read; retry".into())
    }
}

/// Applies one event; `Ok(false)` when it was already stored.
fn apply_event(
    store: &Store,
    w: &mut Writes,
    history: &History,
    op: &EventOp,
) -> Result<bool, Refuse> {
    let (node, ev, now) = (op.node.as_str(), &op.event, op.now);
    match w.nonce(store, op.ts, node, &op.nonce)? {
        Some(h) if h == op.body_hash => return Ok(false),
        Some(_) => return Err(Refuse(409, "nonce already used for another message".into())),
        None => {}
    }
    if w.has_event(store, node, &ev.id)? {
        w.put_nonce(op.ts, node, &op.nonce, &op.body_hash);
        return Ok(false);
    }
    let Some(mut n) = w.node(store, node)? else {
        return Err(Refuse(403, format!("node '{node}' is not enrolled")));
    };
    if n.public_key != op.key {
        return Err(Refuse(
            401,
            format!("node '{node}' was re-enrolled with another key"),
        ));
    }
    n.last_seen_at = Some(n.last_seen_at.map_or(now, |t| t.max(now)));
    n.agent = Some(ev.agent.clone());
    n.refused_events = ev.refused;
    w.put_node(&n)?;
    if matches!(
        ev.kind,
        EventKind::Prune | EventKind::Drill | EventKind::Copy
    ) {
        match ev.kind {
            EventKind::Prune => prune::apply_prune(store, w, node, ev, now)?,
            EventKind::Drill => drill::apply_drill(store, w, &n, ev, now)?,
            _ => copy::apply_copy(store, w, &n, ev, now)?,
        }
        w.put_event(node, &ev.id, now)?;
        w.put_nonce(op.ts, node, &op.nonce, &op.body_hash);
        return Ok(true);
    }
    let mut j = job_of(store, w, node, ev, now)?;
    retire_jobs(store, w, node, ev)?;
    match ev.kind {
        EventKind::Started => {
            if j.last_started_at.is_none_or(|s| ev.started_at >= s) {
                j.last_started_at = Some(ev.started_at);
                j.running = Some(ev.run.clone());
            }
        }
        EventKind::Heartbeat => {
            let finished = j.last_run.as_ref().is_some_and(|r| r.run == ev.run);
            if j.running.is_none() && !finished {
                j.running = Some(ev.run.clone());
            }
        }
        EventKind::Finished => {
            finish_run(store, w, history, node, &mut j, ev, now)?;
            super::witness::witness(store, w, node, &mut j, ev, now)?;
            let backup = ev.result.is_some_and(counts_as_success) && view::backs_up(&j);
            if backup && !n.copies.is_empty() {
                copy::backed_up(&mut n, ev.ended_at.unwrap_or(ev.at));
                w.put_node(&n)?;
            }
        }
        EventKind::Prune | EventKind::Drill | EventKind::Copy => {}
    }
    w.put_job(&j)?;
    w.put_event(node, &ev.id, now)?;
    w.put_nonce(op.ts, node, &op.nonce, &op.body_hash);
    Ok(true)
}

/// An event listing the node's configured jobs retires the jobs it no longer
/// has (they would be `overdue` forever); the event's own job stays.
///
/// Only a `started` event's list counts (heartbeats and `finished` of a long
/// run carry the list of when it started), and only jobs last started
/// before that run are retired: a job added to the config since, or an old
/// event delivered late from the spool, retires nothing newer than itself.
fn retire_jobs(store: &Store, w: &mut Writes, node: &str, ev: &Event) -> Result<(), Refuse> {
    let Some(list) = &ev.jobs else {
        return Ok(());
    };
    if ev.kind != EventKind::Started || list.len() > MAX_JOBS {
        return Ok(());
    }
    for j in w.jobs_of(store, node)? {
        let last_start = j
            .last_started_at
            .max(j.last_run.as_ref().map(|r| r.started_at));
        let older = last_start.is_some_and(|t| t < ev.started_at);
        if j.job != ev.job && !list.contains(&j.job) && older {
            w.remove_job(store, node, &j.job)?;
        }
    }
    Ok(())
}

/// The event's job, new if this is its first event (at most [`MAX_JOBS`] per node).
fn job_of(
    store: &Store,
    w: &mut Writes,
    node: &str,
    ev: &Event,
    now: i64,
) -> Result<JobRec, Refuse> {
    let existing = w.job(store, node, &ev.job)?;
    if existing.is_none() && w.jobs_of(store, node)?.len() >= MAX_JOBS {
        return Err(Refuse(
            400,
            format!("node '{node}' already has {MAX_JOBS} jobs; job names must be stable"),
        ));
    }
    let mut j = existing.unwrap_or_else(|| JobRec::new(node, &ev.job, &ev.plugin, now));
    j.plugin.clone_from(&ev.plugin);
    if ev.every_secs.is_some() {
        j.every_secs = ev.every_secs;
    }
    // The due time of a successful run's schedule, so `overdue` means "no
    // success by then"; before any success, whatever the node said last.
    // The newest success decides (a shorter schedule takes effect at once;
    // a job that became by-hand, with no due time, clears it). A partial
    // run counts: it committed a snapshot.
    let success = ev.kind == EventKind::Finished && ev.result.is_some_and(counts_as_success);
    let ended = ev.ended_at.unwrap_or(ev.at);
    let newest_success = success && j.last_success_at.is_none_or(|t| ended >= t);
    let before_any = j.last_success_at.is_none() && ev.next_due_at.is_some();
    if newest_success || before_any {
        j.next_due_at = ev.next_due_at;
    }
    j.last_event_at = now;
    Ok(j)
}

/// Whether a run counts as a success for `last_success_at`, the due time
/// and `never`: a full success, or a partial run, which committed a
/// snapshot (its `failed` alert says what was left out). `docs/collector.md`.
pub fn counts_as_success(r: RunResult) -> bool {
    matches!(r, RunResult::Success | RunResult::Partial)
}

/// A `finished` event: the run joins the history (which ages out by count
/// and days) and becomes the job's last run if it is the newest.
fn finish_run(
    store: &Store,
    w: &mut Writes,
    history: &History,
    node: &str,
    j: &mut JobRec,
    ev: &Event,
    now: i64,
) -> Result<(), Refuse> {
    let rec = RunRec {
        job: ev.job.clone(),
        run: ev.run.clone(),
        started_at: ev.started_at,
        ended_at: ev.ended_at.unwrap_or(ev.at),
        result: ev.result.unwrap_or(RunResult::Failed),
        snapshot: ev.snapshot.clone(),
        files: ev.files,
        bytes_read: ev.bytes_read,
        bytes_added: ev.bytes_added,
        bytes_stored: ev.bytes_stored,
        bytes_total: ev.bytes_total,
        warnings: ev.warnings,
        error: ev.error.clone(),
        agent: ev.agent.clone(),
        received_at: Some(now),
        storage_requests: ev.storage_requests,
    };
    if w.put_run(store, node, &rec)? {
        j.runs_kept += 1;
    }
    if j.running.as_deref() == Some(ev.run.as_str()) {
        j.running = None;
    }
    if counts_as_success(rec.result) {
        j.last_success_at = Some(
            j.last_success_at
                .map_or(rec.ended_at, |t| t.max(rec.ended_at)),
        );
    }
    // `shrunk` compares whole snapshots only: a partial one left sources out.
    if rec.result == RunResult::Success {
        j.recent_totals.push(rec.bytes_total);
        let extra = j.recent_totals.len().saturating_sub(20);
        j.recent_totals.drain(..extra);
    }
    if j.last_run
        .as_ref()
        .is_none_or(|r| rec.ended_at >= r.ended_at)
    {
        j.last_run = Some(rec);
    }
    if history.days > 0 {
        let days = i64::try_from(history.days.saturating_mul(86400)).unwrap_or(i64::MAX);
        let dropped = w.drop_runs_before(store, node, &ev.job, now.saturating_sub(days))?;
        j.runs_kept = j.runs_kept.saturating_sub(dropped as u64);
    }
    if j.runs_kept > history.runs {
        let excess = (j.runs_kept - history.runs) as usize;
        let dropped = w.drop_oldest_runs(store, node, &ev.job, excess);
        j.runs_kept -= dropped as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_started_list_retires_and_only_jobs_older_than_its_run() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut w = Writes::default();
        for (job, started) in [("old", 100), ("new", 300), ("kept", 100)] {
            let mut j = JobRec::new("n", job, "fs", 0);
            j.last_started_at = Some(started);
            w.put_job(&j).unwrap();
        }
        store.commit(w).unwrap();
        // A run that started at 245 with the list ["kept"].
        let mut ev = testkit::finished("kept", RunResult::Success, 1, 250);
        ev.jobs = Some(vec!["kept".into()]);
        let mut w = Writes::default();
        assert!(retire_jobs(&store, &mut w, "n", &ev).is_ok());
        assert!(w.is_empty(), "a finished event's list retires nothing");
        ev.kind = EventKind::Started;
        assert!(retire_jobs(&store, &mut w, "n", &ev).is_ok());
        store.commit(w).unwrap();
        let left: Vec<String> = store
            .jobs_of("n")
            .unwrap()
            .into_iter()
            .map(|j| j.job)
            .collect();
        // `old` retired; `new` started after that run made its list.
        assert_eq!(left, ["kept", "new"]);
    }
}
