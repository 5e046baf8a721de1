//! `copy` ([copy.md](../../../../docs/copy.md)): a repository's objects to
//! a second location, as stored. Every object's name is the BLAKE3 of its
//! bytes, so each is checked before it is written and no key that decrypts
//! is needed; the metadata key opens the config, the reference lists and
//! index files (what a snapshot needs) and the forget records (what tells
//! retention from loss).
//!
//! The source is listed in the reverse of the order a backup writes
//! (snapshots, forget records, reference lists, index files, key
//! envelopes, packs), so whatever a listed object names was written before
//! it was listed; the destination is written in the backup's order (config,
//! key envelopes, packs, index files, reference lists, forget records,
//! snapshots), so at every moment it is a valid repository: an interrupted
//! copy leaves packs no index covers, which the next copy completes.
//! Nothing is overwritten or deleted at the destination.

mod deps;
mod report;
mod state;
#[cfg(test)]
mod tests;
mod transfer;

pub use report::{failed_event, Outcome};
pub use state::{state_file, CopyState};

use crate::backend::{Backend, Kind, Presence};
use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use crate::repo::{parse_name, Store};
use deps::Wanted;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use transfer::Mover;

/// How to copy.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// List both ends and say what would be copied; write nothing.
    pub dry_run: bool,
    /// Objects moved at the same time.
    pub connections: usize,
    /// Bytes per second written to the destination.
    pub limit: Option<u64>,
    /// The copier's state file for this source and destination
    /// ([`state_file`]); without one, only the destination witnesses.
    pub state: Option<PathBuf>,
    /// Record the snapshots now lost from the source as accepted.
    pub accept_lost: bool,
    /// Copy only this job's snapshots (packs and index files are shared
    /// between jobs: they are copied whole).
    pub job: Option<String>,
}

impl Default for CopyOptions {
    fn default() -> CopyOptions {
        CopyOptions {
            dry_run: false,
            connections: 4,
            limit: None,
            state: None,
            accept_lost: false,
            job: None,
        }
    }
}

/// What a copy did.
#[derive(Debug, Default)]
pub struct CopyReport {
    /// The source's location.
    pub source: String,
    /// The destination's location.
    pub destination: String,
    /// When the source's snapshots were listed (Unix seconds).
    pub listed_at: i64,
    /// Nothing was written (`--dry-run`).
    pub dry_run: bool,
    /// Objects written.
    pub objects: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Snapshots written.
    pub snapshots: u64,
    /// Objects found at the destination when written (a concurrent copy).
    pub present: u64,
    /// What the destination lacks, per kind: objects and bytes.
    pub planned: BTreeMap<Kind, (u64, u64)>,
    /// Objects not copied: damaged in the source, or naming one that is.
    pub damaged: Vec<String>,
    /// Snapshots copied before and gone from the source with no forget
    /// record naming them: the destination keeps them.
    pub source_lost: Vec<Id>,
    /// Snapshots the destination had lost (no forget record of its own),
    /// copied again.
    pub recopied: Vec<Id>,
    /// The newest snapshot at the destination and storage's date of it.
    pub newest: Option<(Id, i64)>,
    /// Requests sent to the source and to the destination.
    pub requests: (u64, u64),
}

/// What one end holds: names and sizes per kind, and snapshots' dates.
#[derive(Debug, Default)]
pub(super) struct Listing {
    objects: HashMap<Kind, BTreeMap<String, u64>>,
    dates: HashMap<String, i64>,
}

impl Listing {
    /// Lists `be`, snapshots first (the reverse of the order writes go in).
    fn of(be: &dyn Backend) -> Result<Listing> {
        let mut l = Listing::default();
        for f in be.list_dated(Kind::Snapshot)? {
            if let Some(t) = f.written {
                l.dates.insert(f.name.clone(), t);
            }
            l.objects
                .entry(Kind::Snapshot)
                .or_default()
                .insert(f.name, f.size);
        }
        for kind in [Kind::Forget, Kind::Refs, Kind::Index, Kind::Key, Kind::Data] {
            l.objects.insert(kind, be.list(kind)?.into_iter().collect());
        }
        Ok(l)
    }

    pub(super) fn has(&self, kind: Kind, name: &str) -> bool {
        self.objects
            .get(&kind)
            .is_some_and(|m| m.contains_key(name))
    }

    pub(super) fn names(&self, kind: Kind) -> impl Iterator<Item = &String> {
        self.objects.get(&kind).into_iter().flat_map(|m| m.keys())
    }

    /// What `self` holds of `kind` and `other` lacks, with sizes.
    fn lacking(&self, other: &Listing, kind: Kind) -> Vec<(String, u64)> {
        let Some(m) = self.objects.get(&kind) else {
            return Vec::new();
        };
        m.iter()
            .filter(|(n, _)| !other.has(kind, n))
            .map(|(n, s)| (n.clone(), *s))
            .collect()
    }

    fn size(&self, kind: Kind, name: &str) -> u64 {
        self.objects
            .get(&kind)
            .and_then(|m| m.get(name))
            .copied()
            .unwrap_or(0)
    }
}

/// Copies what `dst` lacks of `src` (see the module's text).
pub fn copy(src: &Store, dst: &dyn Backend, opts: &CopyOptions) -> Result<CopyReport> {
    let mut report = CopyReport {
        source: src.backend().location(),
        destination: dst.location(),
        listed_at: crate::unix_now(),
        dry_run: opts.dry_run,
        ..CopyReport::default()
    };
    let from = Listing::of(src.backend())?;
    let config = src.config_object();
    let (fresh, presence) = destination_state(dst, config)?;
    let to = match fresh {
        true => Listing::default(),
        false => Listing::of(dst)?,
    };
    let mut state = match &opts.state {
        Some(p) => CopyState::load(p, &report.source, &report.destination)?,
        None => CopyState {
            source: report.source.clone(),
            destination: report.destination.clone(),
            ..CopyState::default()
        },
    };
    report.source_lost = deps::source_lost(src, &from, &to, &mut state, opts.accept_lost)?;
    let mut wanted = deps::wanted(src, dst, (&from, &to), (&state, opts), &mut report)?;
    plan(&from, &to, &wanted, &mut report);
    if opts.dry_run {
        report.requests = (src.backend().requests(), dst.requests());
        return Ok(report);
    }
    let mover = Mover::new(src, dst, opts.limit);
    if fresh {
        if presence != Presence::Other {
            dst.create()?;
        }
        mover.put(Kind::Config, "config", config)?;
    }
    let written = transfer_all(&mover, (&from, &to), &mut wanted, opts, &mut report)?;
    report.objects = mover.objects.load(Ordering::Relaxed);
    report.bytes = mover.bytes.load(Ordering::Relaxed);
    report.present = mover.present.load(Ordering::Relaxed);
    report.newest = newest(&from, &to, &written);
    remember(&mut state, &from, &to, &written);
    state
        .skipped
        .extend(wanted.skipped.iter().map(|(id, _)| id.to_hex()));
    state.skipped.retain(|n| from.has(Kind::Snapshot, n));
    if let Some(p) = &opts.state {
        state.save(p)?;
    }
    report.requests = (src.backend().requests(), dst.requests());
    Ok(report)
}

/// Whether the destination is new (no config yet): missing, empty, or a
/// layout an interrupted first copy made; the same repository otherwise.
/// Another repository, or something that is not one, is refused. With
/// what storage said is there.
fn destination_state(dst: &dyn Backend, config: &[u8]) -> Result<(bool, Presence)> {
    let presence = dst.presence()?;
    let fresh = match presence {
        Presence::Missing | Presence::Empty => true,
        Presence::Repository => {
            let theirs = dst.read(Kind::Config, "config", crate::format::MAX_CONFIG)?;
            if theirs != config {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!(
                        "{} holds another repository (its config is not the source's)",
                        dst.location()
                    ),
                )
                .hint("give each node's copy its own location"));
            }
            false
        }
        Presence::Other => {
            let l = Listing::of(dst)?;
            if !l.objects.values().all(|m| m.is_empty()) {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!("{} is not empty and holds no repository", dst.location()),
                )
                .hint("a copy goes to a new or empty location, or to an earlier copy of the same repository"));
            }
            true
        }
    };
    Ok((fresh, presence))
}

/// Counts what the destination lacks, per kind.
fn plan(from: &Listing, to: &Listing, wanted: &Wanted, report: &mut CopyReport) {
    let mut add = |kind: Kind, size: u64| {
        let e = report.planned.entry(kind).or_default();
        e.0 += 1;
        e.1 += size;
    };
    for kind in [Kind::Key, Kind::Data, Kind::Index, Kind::Forget] {
        for (_, size) in from.lacking(to, kind) {
            add(kind, size);
        }
    }
    for refs in wanted.refs() {
        add(Kind::Refs, from.size(Kind::Refs, &refs));
    }
    for s in &wanted.snapshots {
        add(Kind::Snapshot, from.size(Kind::Snapshot, &s.name));
    }
}

/// Writes everything in order; returns the snapshots written.
fn transfer_all(
    mover: &Mover<'_>,
    (from, to): (&Listing, &Listing),
    wanted: &mut Wanted,
    opts: &CopyOptions,
    report: &mut CopyReport,
) -> Result<Vec<String>> {
    let conns = opts.connections;
    let keys: Vec<String> = from
        .lacking(to, Kind::Key)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut bad = mover.copy_all(Kind::Key, &keys, conns, &|_, _| Ok(None))?;
    let packs: Vec<String> = from
        .lacking(to, Kind::Data)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let damaged_packs = mover.copy_all(Kind::Data, &packs, conns, &|_, _| Ok(None))?;
    let mut avail = deps::Available::new(from, to, &damaged_packs);
    bad.extend(damaged_packs);
    let index: Vec<String> = from
        .lacking(to, Kind::Index)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let held = mover.copy_all(Kind::Index, &index, conns, &|n, b| {
        avail.check_index(mover.src, n, b)
    })?;
    avail.index_held(&held);
    bad.extend(held);
    let refs: Vec<String> = wanted
        .refs()
        .into_iter()
        .filter(|r| !to.has(Kind::Refs, r) && from.has(Kind::Refs, r))
        .collect();
    let held = mover.copy_all(Kind::Refs, &refs, conns, &|n, b| {
        avail.check_refs(mover.src, n, b)
    })?;
    avail.refs_held(&held);
    bad.extend(held);
    // Forget records before the snapshots: they explain the holes that
    // the source's retention left in the chain the snapshots continue.
    let forgets: Vec<String> = from
        .lacking(to, Kind::Forget)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    bad.extend(mover.copy_all(Kind::Forget, &forgets, conns, &|_, _| Ok(None))?);
    if !wanted.skipped.is_empty() {
        explain_skipped(mover, &wanted.skipped, opts)?;
    }
    let mut written = Vec::new();
    for s in std::mem::take(&mut wanted.snapshots) {
        match avail.check_snapshot(&s, from) {
            Some(why) => bad.push((s.name.clone(), why)),
            None => {
                mover.put(Kind::Snapshot, &s.name, &s.bytes)?;
                written.push(s.name);
            }
        }
    }
    report.snapshots = written.len() as u64;
    report.damaged.extend(bad.into_iter().map(|(_, why)| why));
    Ok(written)
}

/// Writes the forget record that explains the holes a `--job` copy
/// leaves in the destination's chain (written before the snapshots after
/// them, so no moment shows a gap).
fn explain_skipped(
    mover: &Mover<'_>,
    skipped: &[(Id, Option<u64>)],
    opts: &CopyOptions,
) -> Result<()> {
    let record = crate::format::Forget {
        snapshots: skipped.to_vec(),
        by: "copy".into(),
        at: crate::unix_now(),
        reason: format!(
            "not copied: a copy of job {} only",
            opts.job.as_deref().unwrap_or_default()
        ),
    };
    let (id, bytes) = mover
        .src
        .seal_object(crate::crypto::SealKind::Forget, &record)?;
    mover.put(Kind::Forget, &id.to_hex(), &bytes)
}

/// The newest snapshot at the destination, by storage's date.
fn newest(from: &Listing, to: &Listing, written: &[String]) -> Option<(Id, i64)> {
    let dated = to
        .dates
        .iter()
        .chain(written.iter().filter_map(|n| Some((n, from.dates.get(n)?))));
    let (name, at) = dated.max_by_key(|(n, t)| (**t, (*n).clone()))?;
    Some((parse_name(name, Kind::Snapshot).ok()?, *at))
}

/// What the state keeps after a copy: every snapshot at both ends; those
/// whose absence from the source is explained, while the destination
/// still holds them.
fn remember(state: &mut CopyState, from: &Listing, to: &Listing, written: &[String]) {
    let dest: BTreeSet<&String> = to.names(Kind::Snapshot).chain(written).collect();
    for n in to.names(Kind::Snapshot).chain(written) {
        if from.has(Kind::Snapshot, n) {
            state.copied.insert(n.clone());
        }
    }
    let explained = state.explained.clone();
    state
        .copied
        .retain(|n| dest.contains(n) || !explained.contains(n));
    let copied = state.copied.clone();
    state
        .explained
        .retain(|n| dest.contains(n) || copied.contains(n));
}
