//! Retention (docs/retention.md): which snapshots a policy forgets, and the
//! mark-and-sweep that deletes the packs nothing needs any more, with only
//! the metadata key ([`Store`]): the reaper never decrypts a pack.
//!
//! One run, under the repository's prune lock:
//! 1. read everything (a snapshot, reference list or index file that does
//!    not open stops the run before anything is deleted: exit 13);
//! 2. date each snapshot by storage's write time, fixed in the reaper's
//!    state at first sight ([`state`]); apply the policies ([`policy`]);
//! 3. write the forget record, delete the forgotten snapshots and their
//!    reference lists;
//! 4. mark and sweep ([`mark`]): condemn unreferenced indexed packs, delete
//!    those condemned at least the grace period ago that nothing names now.
//!
//! Backups run beside it: a backup never uses a condemned pack, and checks
//! under its commit lock that the packs it names are still indexed and not
//! condemned (`Store::refs_live`), so a sweep never deletes what a snapshot
//! that commits later needs.

mod mark;
pub mod policy;
mod report;
pub mod state;

pub use policy::{Guards, Policy, Verdict};

use crate::backend::Kind;
use crate::crypto::SealKind;
use crate::error::{Error, Result};
use crate::format::{Forget, RunStatus, Snapshot};
use crate::id::Id;
use crate::repo::{parse_name, Store};
use policy::Dated;
use state::ReaperState;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The shortest grace period a reaper beside running backups may use.
pub const MIN_GRACE: i64 = 3600;
/// The default grace period: a day.
pub const DEFAULT_GRACE: i64 = 86_400;
/// The default largest gap between a snapshot's date and the time it claims.
pub const DEFAULT_MAX_SKEW: i64 = 3600;
/// The default share of a job's snapshots one run may forget without `force`.
pub const DEFAULT_MAX_FORGET: f64 = 0.2;
/// The first agent release that checks its packs at commit (§10): no sweep
/// while a job's newest snapshot was written by an older one.
pub const COMMIT_CHECK_SINCE: (u64, u64, u64) = (0, 2, 0);

/// Which policy each job gets.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// For jobs without their own; `None` keeps them whole.
    pub default: Option<Policy>,
    /// Per job name (`backup` is an ad-hoc run's).
    pub jobs: BTreeMap<String, Policy>,
}

impl Policies {
    /// The policy of `job`, if any.
    pub fn of(&self, job: &str) -> Option<&Policy> {
        self.jobs.get(job).or(self.default.as_ref())
    }
}

/// What a prune does.
#[derive(Debug, Clone)]
pub struct PruneOptions {
    /// The policies.
    pub policies: Policies,
    /// Only this job's snapshots are considered for forgetting.
    pub job: Option<String>,
    /// Seconds between condemning a pack and deleting it (0 only when no
    /// backup can run meanwhile: the node's own `forget --prune`).
    pub grace: i64,
    /// Report, change nothing.
    pub dry_run: bool,
    /// Forget beyond `max_forget`.
    pub force: bool,
    /// Share of a job's snapshots one run may forget.
    pub max_forget: f64,
    /// Largest gap between a snapshot's date and the time it claims, seconds.
    pub max_skew: i64,
    /// Forget only; leave packs to a later prune.
    pub forget_only: bool,
    /// Who prunes (recorded in forget records).
    pub by: String,
    /// Earlier dates for snapshots from elsewhere (the tower's `received_at`).
    pub witnessed: HashMap<Id, i64>,
    /// The reaper's clock (Unix seconds); `None` is the system clock. Tests
    /// move it instead of sleeping through grace periods.
    pub now: Option<i64>,
}

impl Default for PruneOptions {
    fn default() -> Self {
        PruneOptions {
            policies: Policies::default(),
            job: None,
            grace: DEFAULT_GRACE,
            dry_run: false,
            force: false,
            max_forget: DEFAULT_MAX_FORGET,
            max_skew: DEFAULT_MAX_SKEW,
            forget_only: false,
            by: String::new(),
            witnessed: HashMap::new(),
            now: None,
        }
    }
}

/// One snapshot and what became of it.
#[derive(Debug, Clone)]
pub struct Line {
    /// The snapshot.
    pub id: Id,
    /// Its job (`backup` for an ad-hoc run).
    pub job: String,
    /// Its host.
    pub host: String,
    /// The date the reaper trusts.
    pub date: i64,
    /// The time it claims.
    pub claimed: i64,
    /// Its place in the chain.
    pub seq: Option<u64>,
    /// How its run ended.
    pub status: RunStatus,
    /// The verdict.
    pub verdict: Verdict,
}

/// Something kept back, and why (exit 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The object: `snapshot <id>`, `pack <id>`, `sweep`.
    pub object: String,
    /// Why: `skew`, `max-forget`, `old-agent`, `locked`.
    pub reason: String,
}

/// What a prune did (or, dry, would do).
#[derive(Debug, Clone, Default)]
pub struct PruneReport {
    /// Every snapshot considered, newest first per group.
    pub lines: Vec<Line>,
    /// The snapshots forgotten.
    pub forgotten: Vec<(Id, Option<u64>)>,
    /// Kept back.
    pub held: Vec<Held>,
    /// Packs condemned this run.
    pub condemned: u64,
    /// Packs un-condemned (a snapshot names them again).
    pub uncondemned: u64,
    /// Packs deleted.
    pub deleted_packs: u64,
    /// Bytes of packs deleted.
    pub freed_bytes: u64,
    /// Index files written and deleted.
    pub index_written: u64,
    /// Index files deleted.
    pub index_deleted: u64,
    /// Packs condemned and waiting for the grace period.
    pub pending: u64,
    /// Whether it changed nothing (dry run).
    pub dry_run: bool,
    /// Requests sent to remote storage (none for a directory).
    pub requests: u64,
    /// Multipart uploads an interrupted backup left, aborted (S3).
    pub aborted_uploads: u64,
    /// Stored versions and delete markers of deleted objects purged (S3).
    pub purged_versions: u64,
}

/// Everything read at the start of a run; nothing is deleted unless all of
/// it opened.
struct Loaded {
    snapshots: Vec<(Id, Snapshot, Option<i64>)>,
    refs: HashMap<Id, Vec<Id>>,
}

/// Runs retention on the repository in `store`; the reaper's state lives in
/// `state_dir/<repository id>/`.
pub fn prune(store: &Store, state_dir: &Path, opts: &PruneOptions) -> Result<PruneReport> {
    if opts.grace < 0 || !(0.0..=1.0).contains(&opts.max_forget) {
        return Err(Error::new(
            crate::error::ErrorKind::BadInput,
            "grace must not be negative and max_forget must be within 0–1",
        ));
    }
    let dir = state::dir(state_dir, &store.config().id)?;
    let _lock = state::lock(&dir)?;
    let mut st = ReaperState::load(&dir)?;
    let now = opts.now.unwrap_or_else(crate::unix_now);
    let requests = store.backend().requests();
    let loaded = load(store)?;
    let mut report = PruneReport {
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let forget = decide(&loaded, &mut st, opts, now, &mut report);
    if opts.dry_run {
        report.requests = store.backend().requests().saturating_sub(requests);
        return Ok(report);
    }
    st.save(&dir)?;
    let remaining: Vec<&(Id, Snapshot, Option<i64>)> = loaded
        .snapshots
        .iter()
        .filter(|(id, _, _)| !forget.contains_key(id))
        .collect();
    if !forget.is_empty() {
        forget_snapshots(store, &loaded, &forget, (&remaining, &mut st), opts, now)?;
        report.forgotten = forget.iter().map(|(id, seq)| (*id, *seq)).collect();
    }
    let kept: std::collections::HashSet<String> =
        remaining.iter().map(|(id, _, _)| id.to_hex()).collect();
    st.dates.retain(|hex, _| kept.contains(hex));
    if opts.forget_only {
        st.save(&dir)?;
        return Ok(report);
    }
    let old = old_agent(&remaining);
    let sweep_ok = old.is_none();
    if let Some(program) = old {
        report.held.push(Held {
            object: "sweep".into(),
            reason: format!("old-agent: a job's newest snapshot was written by {program}"),
        });
    }
    let roots = mark::Roots {
        named: remaining.iter().map(|(_, s, _)| s.refs).collect(),
        indexes: remaining
            .iter()
            .flat_map(|(_, s, _)| s.indexes.iter().copied())
            .collect(),
        refs: &loaded.refs,
        forgotten: loaded
            .snapshots
            .iter()
            .filter(|(id, _, _)| forget.contains_key(id))
            .map(|(_, s, _)| s.refs)
            .collect(),
    };
    mark::run(
        store,
        &dir,
        &mut st,
        &roots,
        opts.grace,
        now,
        sweep_ok,
        &mut report,
    )?;
    // Uploads an interrupted backup left: at least an hour old, so a
    // backup of another writer still uploading keeps its own.
    report.aborted_uploads = store
        .backend()
        .abort_stale_uploads(now - opts.grace.max(MIN_GRACE))?;
    purge_archive(store, &dir, &mut st, (now, opts.grace), &mut report)?;
    report.requests = store.backend().requests().saturating_sub(requests);
    Ok(report)
}

/// The stored versions of what was deleted (this run or before): gone,
/// but a version under retention is held until it expires.
fn purge_versions(store: &Store, now: i64, report: &mut PruneReport) -> Result<()> {
    let purged = store.backend().purge_deleted(now)?;
    report.purged_versions = purged.versions + purged.markers;
    report
        .held
        .extend(purged.held.into_iter().map(|(object, reason)| Held {
            object: format!("version {object}"),
            reason,
        }));
    Ok(())
}

/// The stored versions of deleted objects (S3), then the archived copies
/// (Swift's archive container) of what the reaper deleted at least a grace
/// period ago; then forgets those.
fn purge_archive(
    store: &Store,
    dir: &Path,
    st: &mut ReaperState,
    (now, grace): (i64, i64),
    report: &mut PruneReport,
) -> Result<()> {
    purge_versions(store, now, report)?;
    let before = now - grace;
    let due: Vec<(Kind, String)> = st
        .deleted
        .iter()
        .filter(|(_, at)| **at <= before)
        .filter_map(|(path, _)| {
            let (d, name) = path.split_once('/')?;
            let kind = [Kind::Snapshot, Kind::Refs, Kind::Index, Kind::Data]
                .into_iter()
                .find(|k| k.dir() == d)?;
            Some((kind, name.to_owned()))
        })
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    report.purged_versions += store.backend().purge_archive(&due)?;
    st.deleted.retain(|_, at| *at > before);
    st.save(dir)
}

/// Reads every snapshot and reference list; one that does not open stops
/// the run (exit 13) before anything is deleted.
fn load(store: &Store) -> Result<Loaded> {
    let be = store.backend();
    let mut snapshots = Vec::new();
    for l in be.list_dated(Kind::Snapshot)? {
        let id = parse_name(&l.name, Kind::Snapshot)?;
        let snap = store.load::<Snapshot>(Kind::Snapshot, SealKind::Snapshot, &id)?;
        snapshots.push((id, snap, l.written));
    }
    let mut refs = HashMap::new();
    for (name, _) in be.list(Kind::Refs)? {
        let id = parse_name(&name, Kind::Refs)?;
        let r = store.load::<crate::format::Refs>(Kind::Refs, SealKind::Refs, &id)?;
        refs.insert(id, r.packs);
    }
    Ok(Loaded { snapshots, refs })
}

/// Dates the snapshots, applies the policies, the never-forget rules and
/// the cap: the snapshots to forget, with their `seq`s.
fn decide(
    loaded: &Loaded,
    st: &mut ReaperState,
    opts: &PruneOptions,
    now: i64,
    report: &mut PruneReport,
) -> BTreeMap<Id, Option<u64>> {
    let groups = dated_groups(loaded, st, opts, now);
    let highest = loaded
        .snapshots
        .iter()
        .filter_map(|(id, s, _)| s.seq.map(|q| (q, *id)))
        .max()
        .map(|(_, id)| id);
    let mut forget = BTreeMap::new();
    for ((host, job), group) in &groups {
        let policy = match opts.policies.of(job) {
            Some(p) if opts.job.as_ref().is_none_or(|j| j == job) => p,
            _ => &Policy::default(),
        };
        let mut verdicts = if policy.is_empty() {
            group
                .iter()
                .map(|d| (d.id, Verdict::Keep(vec!["no-policy"])))
                .collect()
        } else {
            policy::decide(policy, group)
        };
        if let Some(h) = highest {
            if let Some(v @ Verdict::Forget) = verdicts.get_mut(&h) {
                *v = Verdict::Keep(vec!["highest-seq"]);
            }
        }
        cap(group, &mut verdicts, opts);
        let mut sorted: Vec<&Dated<'_>> = group.iter().collect();
        sorted.sort_by(|a, b| policy::newest_first(a, b));
        for d in sorted {
            let verdict = verdicts.remove(&d.id).unwrap_or(Verdict::Keep(vec![]));
            match &verdict {
                Verdict::Forget => {
                    forget.insert(d.id, d.snap.seq);
                }
                Verdict::Hold(why) => report.held.push(Held {
                    object: format!("snapshot {}", d.id),
                    reason: (*why).into(),
                }),
                Verdict::Keep(_) => {}
            }
            report.lines.push(Line {
                id: d.id,
                job: job.clone(),
                host: host.clone(),
                date: d.date,
                claimed: d.snap.time.0,
                seq: d.snap.seq,
                status: d.snap.run.status,
                verdict,
            });
        }
    }
    forget
}

/// Every snapshot with the date the reaper trusts (fixed at first sight:
/// the earliest of storage's write time, a witness's and now), grouped by
/// host and job.
fn dated_groups<'a>(
    loaded: &'a Loaded,
    st: &mut ReaperState,
    opts: &PruneOptions,
    now: i64,
) -> BTreeMap<(String, String), Vec<Dated<'a>>> {
    let mut groups: BTreeMap<(String, String), Vec<Dated<'_>>> = BTreeMap::new();
    for (id, snap, written) in &loaded.snapshots {
        let date = *st.dates.entry(id.to_hex()).or_insert_with(|| {
            [Some(now), *written, opts.witnessed.get(id).copied()]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(now)
        });
        let claimed = snap.time.0 + (snap.summary.duration_ms / 1000) as i64;
        groups
            .entry((snap.hostname.clone(), snap.job_name().to_owned()))
            .or_default()
            .push(Dated {
                id: *id,
                snap,
                date,
                skewed: (date - claimed).abs() > opts.max_skew,
            });
    }
    groups
}

/// At most `max_forget` of a group's snapshots go in one run (the oldest
/// first), unless forced; the rest are held.
fn cap(group: &[Dated<'_>], verdicts: &mut BTreeMap<Id, Verdict>, opts: &PruneOptions) {
    if opts.force {
        return;
    }
    let allowed = (group.len() as f64 * opts.max_forget).ceil() as usize;
    let mut going: Vec<&Dated<'_>> = group
        .iter()
        .filter(|d| verdicts.get(&d.id) == Some(&Verdict::Forget))
        .collect();
    if going.len() <= allowed {
        return;
    }
    going.sort_by(|a, b| policy::newest_first(b, a));
    for d in &going[allowed..] {
        verdicts.insert(d.id, Verdict::Hold("max-forget"));
    }
}

/// Writes the forget record, then deletes the snapshots and the reference
/// lists no remaining snapshot names.
fn forget_snapshots(
    store: &Store,
    loaded: &Loaded,
    forget: &BTreeMap<Id, Option<u64>>,
    (remaining, st): (&[&Row], &mut ReaperState),
    opts: &PruneOptions,
    now: i64,
) -> Result<()> {
    let record = Forget {
        snapshots: forget.iter().map(|(id, seq)| (*id, *seq)).collect(),
        by: opts.by.clone(),
        at: now,
        reason: reason(&opts.policies, opts.job.as_deref()),
    };
    store.save(Kind::Forget, SealKind::Forget, &record)?;
    let still_named: std::collections::HashSet<Id> =
        remaining.iter().map(|(_, s, _)| s.refs).collect();
    for (id, snap, _) in &loaded.snapshots {
        if !forget.contains_key(id) {
            continue;
        }
        remove_recorded(store, st, (Kind::Snapshot, id), now)?;
        if !still_named.contains(&snap.refs) {
            remove_recorded(store, st, (Kind::Refs, &snap.refs), now)?;
        }
    }
    Ok(())
}

/// The rules, for the forget record.
fn reason(p: &Policies, job: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &p.default {
        parts.push(d.describe());
    }
    for (j, pol) in &p.jobs {
        if job.is_none_or(|only| only == j) {
            parts.push(format!("job {j}: {}", pol.describe()));
        }
    }
    format!("retention: {}", parts.join("; "))
}

/// Deletes `id` of `kind` (if present) and remembers it did, at `now`.
pub(super) fn remove_recorded(
    store: &Store,
    st: &mut ReaperState,
    (kind, id): (Kind, &Id),
    now: i64,
) -> Result<()> {
    remove_if_present(store, kind, id)?;
    st.deleted
        .insert(format!("{}/{}", kind.dir(), id.to_hex()), now);
    Ok(())
}

/// A snapshot as loaded: id, snapshot, storage's date.
type Row = (Id, Snapshot, Option<i64>);

/// Deletes an object; one already gone (an earlier, interrupted run) is fine.
fn remove_if_present(store: &Store, kind: Kind, id: &Id) -> Result<()> {
    match store.backend().remove(kind, &id.to_hex()) {
        Err(e) if e.kind() == crate::error::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// The program of a job's newest snapshot, if older than
/// [`COMMIT_CHECK_SINCE`] (it may use a pack the sweep deletes).
fn old_agent(remaining: &[&(Id, Snapshot, Option<i64>)]) -> Option<String> {
    let mut newest: BTreeMap<(String, Option<String>), &Snapshot> = BTreeMap::new();
    for (_, s, _) in remaining {
        let key = (s.hostname.clone(), s.run.job.clone());
        if newest.get(&key).is_none_or(|n| n.time < s.time) {
            newest.insert(key, s);
        }
    }
    newest
        .values()
        .find(|s| program_version(&s.program).is_none_or(|v| v < COMMIT_CHECK_SINCE))
        .map(|s| s.program.clone())
}

/// `bananactl 1.2.3` → (1, 2, 3).
fn program_version(program: &str) -> Option<(u64, u64, u64)> {
    let v = program.strip_prefix("bananactl ")?;
    let mut it = v.split(['.', '-', '+']).map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

#[cfg(test)]
mod tests;
