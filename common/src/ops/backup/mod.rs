//! Backup, in four steps: recover the index (and the packs an interrupted
//! run left), read the [`Source`] through the storage pipeline, commit, and
//! record what this node wrote.
//!
//! Write order: packs, then the index file, then the reference list, then the
//! snapshot. A run killed at any point leaves only unreferenced objects; the
//! next run finds the packs no index covers, reads their sealed headers and
//! reuses their chunks.

mod catalogue;
mod estimate;
mod excludes;
mod pipeline;
mod readahead;
mod recover;
mod source;
mod walk;

#[cfg(test)]
mod tests;

use super::chain;
pub use excludes::Excludes;
pub use source::{Run, Source, StreamSource};
pub use walk::FsSource;

use crate::backend::Kind;
use crate::crypto::SealKind;
use crate::error::{Error, ErrorKind, Result};
use crate::format::codec::Codec;
use crate::format::{IndexFile, IndexPack, Refs, RunInfo, RunStatus, Snapshot, MAX_INDEX_BLOBS};
use crate::id::Id;
use crate::progress::{Observer, Progress, WarningKind};
use crate::repo::{FileMarks, Repository};
use serde_bytes::ByteBuf;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// §10 How long a commit check stays valid: from it to the snapshot write
/// takes longer, and it is done again. A reaper's grace period must be far
/// longer (it is at least an hour).
pub const COMMIT_CHECK_VALID: Duration = Duration::from_secs(60);

/// What to back up and how.
pub struct BackupOptions {
    /// What is read.
    pub source: Box<dyn Source>,
    /// Tags for the snapshot.
    pub tags: Vec<String>,
    /// Node-local state directory (catalogue); `None` disables incremental reuse.
    pub state_dir: Option<PathBuf>,
    /// Compression workers (0: one per core).
    pub threads: usize,
    /// Host name to record.
    pub hostname: String,
    /// Count the sources first so progress can show totals.
    pub estimate: bool,
    /// Packs uploaded at the same time (0: 2, enough for a small node; each
    /// one in flight holds a pack in memory).
    pub uploads: usize,
    /// Upload rate limit in bytes per second, averaged over packs.
    pub limit_upload: Option<u64>,
    /// The codec for new blobs; `None`: the repository's default.
    pub codec: Option<Codec>,
    /// The job and plugin recorded in the snapshot.
    pub job: Option<String>,
    /// The plugin's name (`fs`, `stdin`, `command`, ...).
    pub plugin: Option<String>,
    /// The run fails (nothing committed) once it has taken this long.
    pub timeout: Option<std::time::Duration>,
    /// §10 How long the commit check stays valid, and the clock that
    /// measures it (`None`: the monotonic clock). Tests of retention put it
    /// on the reaper's simulated clock.
    pub commit_check: (Duration, Option<CommitClock>),
}

/// A clock for the commit check: time since some fixed point.
pub type CommitClock = std::sync::Arc<dyn Fn() -> Duration + Send + Sync>;

impl BackupOptions {
    /// Options for `source` with no tags, no state and default threads.
    pub fn new(source: Box<dyn Source>) -> BackupOptions {
        BackupOptions {
            source,
            tags: Vec::new(),
            state_dir: None,
            threads: 0,
            hostname: String::new(),
            estimate: false,
            uploads: 0,
            limit_upload: None,
            codec: None,
            job: None,
            plugin: None,
            timeout: None,
            commit_check: (COMMIT_CHECK_VALID, None),
        }
    }
}

/// What a finished backup produced.
#[derive(Debug)]
pub struct BackupOutcome {
    /// The new snapshot's id.
    pub id: Id,
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Some sources were unreadable and are missing from the snapshot.
    pub partial: bool,
    /// The first of those warnings, `path: message` (why it is partial).
    pub partial_because: Option<String>,
    /// Its place in the chain, and whether storage lost what this node wrote.
    pub link: chain::Link,
    /// The codec new blobs got.
    pub codec: Codec,
    /// The source failed after reading (a command exited non-zero, was
    /// killed or timed out): the snapshot is saved with status `failed`.
    pub failed: Option<String>,
}

/// Runs a backup. `committed` is called with the outcome while the commit
/// lock is still held, so what it records (the run's `finished` status
/// event) is ordered like the chain.
pub fn backup(
    repo: &Repository,
    opts: BackupOptions,
    obs: &dyn Observer,
    progress: &Progress,
    committed: &mut dyn FnMut(&BackupOutcome),
) -> Result<BackupOutcome> {
    let started = Instant::now();
    let time = crate::now();
    let paths = opts.source.paths();
    let (index, recovered, known) = recover::index(repo, obs)?;
    let repo_id = repo.config().id;
    let mut cat = catalogue::Session::open(opts.state_dir.as_deref(), &repo_id, &paths, obs);
    let parent = cat.parent();
    let mut ctx = source::Ctx::new(
        obs,
        progress,
        opts.estimate.then(|| opts.source.estimate()).flatten(),
    );
    ctx.deadline = opts.timeout.map(|t| (started + t, t));
    let (threads, codec, upload) = pipeline_settings(repo, &opts)?;
    let source = opts.source;
    let done = pipeline::run(repo, &index, (threads, codec), upload, |sink| {
        let mut run = Run {
            sink,
            catalogue: &mut cat,
            ctx: &mut ctx,
            names: walk::Names::default(),
        };
        source.read(&mut run)
    });
    // The packer's error (a full disk, say) is the cause of a walker error.
    let new_packs = done.packs?;
    let root = done.root?;
    let mut summary = std::mem::take(&mut ctx.summary);
    (
        summary.chunks_added,
        summary.bytes_added,
        summary.trees_added,
    ) = done.added;
    summary.bytes_stored = done.stored;
    let (indexes, refs, refs_packs) = commit_index(repo, recovered, new_packs, done.used)?;
    summary.duration_ms = started.elapsed().as_millis() as u64;
    let draft = Snapshot {
        time,
        hostname: opts.hostname,
        username: walk::Names::default()
            .user(nix::unistd::geteuid().as_raw())
            .unwrap_or_default(),
        paths: paths.into_iter().map(ByteBuf::from).collect(),
        tags: opts.tags,
        parent,
        tree: root,
        refs,
        indexes,
        summary,
        program: format!("bananactl {}", env!("CARGO_PKG_VERSION")),
        seq: None,
        prev: None,
        run: run_info(opts.job, opts.plugin, &ctx),
    };
    let state_dir = opts.state_dir.as_deref();
    commit(
        repo,
        draft,
        state_dir,
        CommitCheck {
            known,
            refs: &refs_packs,
            clock: opts.commit_check,
        },
        (cat, codec),
        (ctx.partial, ctx.first_unreadable, ctx.failed),
        obs,
        committed,
    )
}

/// The job, plugin and outcome recorded in the snapshot.
fn run_info(job: Option<String>, plugin: Option<String>, ctx: &source::Ctx<'_>) -> RunInfo {
    RunInfo {
        job,
        plugin,
        status: match (&ctx.failed, ctx.partial) {
            (Some(_), _) => RunStatus::Failed,
            (None, true) => RunStatus::Partial,
            (None, false) => RunStatus::Ok,
        },
        error: ctx.failed.clone(),
        meta: ctx.meta.clone(),
    }
}

/// Compression threads, the codec of new blobs, and the uploads.
fn pipeline_settings(
    repo: &Repository,
    opts: &BackupOptions,
) -> Result<(usize, Codec, pipeline::Upload)> {
    let codec = match opts.codec {
        Some(c) => c,
        None => repo.config().codec()?,
    };
    let upload = pipeline::Upload {
        connections: if opts.uploads == 0 {
            2
        } else {
            opts.uploads.min(64)
        },
        limit: opts.limit_upload,
    };
    Ok((crate::worker_threads(opts.threads), codec, upload))
}

/// What the commit check needs: the index files the run read, the packs
/// its reference list names, and how long a check stays valid.
struct CommitCheck<'a> {
    known: HashMap<Id, FileMarks>,
    refs: &'a [Id],
    clock: (Duration, Option<CommitClock>),
}

/// The commit, one job at a time per node and repository: the chain link,
/// the snapshot, the node's state and `committed`, all under the lock.
#[allow(clippy::too_many_arguments)] // each is one thing the commit records
fn commit(
    repo: &Repository,
    mut snapshot: Snapshot,
    state_dir: Option<&std::path::Path>,
    mut check: CommitCheck<'_>,
    (cat, codec): (catalogue::Session, Codec),
    (partial, partial_because, failed): (bool, Option<String>, Option<String>),
    obs: &dyn Observer,
    committed: &mut dyn FnMut(&BackupOutcome),
) -> Result<BackupOutcome> {
    let _lock = match state_dir {
        Some(d) => Some(super::state::commit_lock(d, &repo.config().id)?),
        None => None,
    };
    // §10 Retention may have condemned a pack this run uses since it
    // loaded the index; the check is repeated if the chain took long.
    let started = Instant::now();
    let (valid, clock) = check.clock;
    let clock = clock.unwrap_or_else(|| std::sync::Arc::new(move || started.elapsed()));
    let link = loop {
        repo.refs_live(&mut check.known, check.refs)?;
        let checked = clock();
        let link = chain::next(repo, state_dir, obs)?;
        if clock().saturating_sub(checked) <= valid {
            break link;
        }
    };
    snapshot.seq = Some(link.seq);
    snapshot.prev = link.prev;
    let id = repo.save(Kind::Snapshot, SealKind::Snapshot, &snapshot)?;
    if let Some(dir) = state_dir {
        // A failed run's catalogue is not the next run's parent.
        let cat = if failed.is_none() { Some(cat) } else { None };
        record_state(repo, dir, (&id, link.seq), cat, obs);
    }
    let outcome = BackupOutcome {
        id,
        snapshot,
        partial,
        partial_because,
        link,
        codec,
        failed,
    };
    committed(&outcome);
    Ok(outcome)
}

/// What this node wrote, kept in its state: the newest snapshot per
/// repository and per location, and the new catalogue. A failure costs the
/// next run time (and the rollback anchor), never the snapshot just saved.
fn record_state(
    repo: &Repository,
    dir: &std::path::Path,
    (id, seq): (&Id, u64),
    cat: Option<catalogue::Session>,
    obs: &dyn Observer,
) {
    let repo_id = repo.config().id;
    let location = repo.backend().location();
    let published = super::state::record_last_snapshot(dir, &repo_id, id, Some(seq))
        .and_then(|_| super::state::record_location(dir, &location, &repo_id, Some(id)))
        .and_then(|_| cat.map_or(Ok(()), |c| c.commit(id, &repo_id)));
    if let Err(e) = published {
        obs.warn(
            WarningKind::Repository,
            &dir.display().to_string(),
            &format!("local state not updated: {e}"),
        );
    }
}

/// Writes the index files for the recovered packs and this run's new ones
/// (`fresh`, one pack at a time), and the reference list: the packs of the
/// index `used` names, and every new pack (it holds only blobs the
/// snapshot references).
fn commit_index(
    repo: &Repository,
    recovered: Vec<IndexPack>,
    mut fresh: crate::repo::Index,
    used: pipeline::Used,
) -> Result<(Vec<Id>, Id, Vec<Id>)> {
    if let Some(id) = used.unknown {
        return Err(Error::new(
            ErrorKind::Other,
            format!("internal: blob {id} was not stored"),
        ));
    }
    let mut refs = used.packs;
    refs.extend(fresh.packs().iter().map(|p| p.id));
    // One index file per MAX_INDEX_BLOBS blob entries, so each stays within
    // what a reader accepts (MAX_SEALED).
    let mut indexes = Vec::new();
    let mut file = IndexFile::default();
    let mut blobs = 0;
    let mut add = |p: IndexPack| -> Result<()> {
        if blobs + p.blobs.len() > MAX_INDEX_BLOBS && !file.packs.is_empty() {
            indexes.push(repo.save(Kind::Index, SealKind::Index, &file)?);
            file.packs.clear();
            blobs = 0;
        }
        blobs += p.blobs.len();
        file.packs.push(p);
        Ok(())
    };
    for p in recovered {
        add(p)?;
    }
    fresh.each_pack(&mut add)?;
    if !file.packs.is_empty() {
        indexes.push(repo.save(Kind::Index, SealKind::Index, &file)?);
    }
    let mut refs: Vec<Id> = refs.into_iter().collect();
    refs.sort();
    let refs_id = repo.save(
        Kind::Refs,
        SealKind::Refs,
        &Refs {
            packs: refs.clone(),
        },
    )?;
    Ok((indexes, refs_id, refs))
}
