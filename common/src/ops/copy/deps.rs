//! What the copy decides with the metadata key: which snapshots go (and
//! what they need), which the source lost, and whether an index file or a
//! reference list may be written (every pack it names is at the
//! destination, or copied by this run).

use super::transfer::{fetch, Fetched};
use super::{CopyReport, CopyState, Listing};
use crate::backend::{Backend, Kind};
use crate::crypto::SealKind;
use crate::error::{ErrorKind, Result};
use crate::format::{Forget, IndexFile, Refs, Snapshot};
use crate::id::Id;
use crate::ops::chain::Forgotten;
use crate::repo::{parse_name, Store};
use std::collections::{BTreeSet, HashSet};

/// A snapshot to copy, read and checked, with what it names.
pub(super) struct WantedSnapshot {
    pub(super) name: String,
    pub(super) bytes: Vec<u8>,
    refs: String,
    indexes: Vec<String>,
    /// Chain order: `seq`, then time (a crash between two leaves no gap).
    order: (Option<u64>, (i64, u32)),
}

/// The snapshots to copy.
#[derive(Default)]
pub(super) struct Wanted {
    pub(super) snapshots: Vec<WantedSnapshot>,
    /// Other jobs' snapshots left out by `--job` that no earlier copy
    /// explained at the destination: a forget record there names them, so
    /// the holes they leave in the chain are not alarms.
    pub(super) skipped: Vec<(Id, Option<u64>)>,
}

impl Wanted {
    /// The reference lists they name, sorted, once each.
    pub(super) fn refs(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self.snapshots.iter().map(|s| &s.refs).collect();
        set.into_iter().cloned().collect()
    }
}

/// Snapshots the state or the destination holds, the source no longer
/// does, and no forget record of the source names (read only when some
/// snapshot is gone): lost by the source. Those a record names, and with
/// `accept` the lost ones too, are remembered as explained.
pub(super) fn source_lost(
    src: &Store,
    from: &Listing,
    to: &Listing,
    state: &mut CopyState,
    accept: bool,
) -> Result<Vec<Id>> {
    let gone: BTreeSet<String> = state
        .copied
        .iter()
        .chain(to.names(Kind::Snapshot))
        .filter(|n| !from.has(Kind::Snapshot, n) && !state.explained.contains(*n))
        .cloned()
        .collect();
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    let (records, _) = src.forgets()?;
    let forgotten = Forgotten::from(&records);
    let mut lost = Vec::new();
    for name in gone {
        let id = parse_name(&name, Kind::Snapshot)?;
        if accept || forgotten.ids.contains(&id) {
            state.explained.insert(name);
        } else {
            lost.push(id);
        }
    }
    Ok(lost)
}

/// The snapshots the destination lacks (of one job, with `--job`), read
/// from the source and opened.
/// One the destination held before (the state says it was copied) is
/// copied again unless a forget record at the destination names it (its
/// own reaper forgot it).
pub(super) fn wanted(
    src: &Store,
    dst: &dyn Backend,
    (from, to): (&Listing, &Listing),
    (state, opts): (&CopyState, &super::CopyOptions),
    report: &mut CopyReport,
) -> Result<Wanted> {
    let mut names: Vec<&String> = from
        .names(Kind::Snapshot)
        .filter(|n| !to.has(Kind::Snapshot, n))
        .collect();
    if names.iter().any(|n| state.copied.contains(*n)) {
        let forgotten = forgotten_at(src, dst, to)?;
        names.retain(|n| {
            !state.copied.contains(*n)
                || !parse_name(n, Kind::Snapshot).is_ok_and(|id| forgotten.contains(&id))
        });
        for n in names.iter().filter(|n| state.copied.contains(**n)) {
            report.recopied.push(parse_name(n, Kind::Snapshot)?);
        }
    }
    let mut wanted = Wanted::default();
    for name in names {
        let id = parse_name(name, Kind::Snapshot)?;
        let bytes = match fetch(src, Kind::Snapshot, name)? {
            Fetched::Good(b) => b,
            Fetched::Damaged(why) => {
                report.damaged.push(why);
                continue;
            }
        };
        match src.open_bytes::<Snapshot>(Kind::Snapshot, SealKind::Snapshot, &id, &bytes) {
            Ok(snap) if opts.job.as_ref().is_some_and(|j| j != snap.job_name()) => {
                if !state.skipped.contains(name) {
                    wanted.skipped.push((id, snap.seq));
                }
            }
            Ok(snap) => wanted.snapshots.push(WantedSnapshot {
                name: name.clone(),
                bytes,
                refs: snap.refs.to_hex(),
                indexes: snap.indexes.iter().map(Id::to_hex).collect(),
                order: (snap.seq, snap.time),
            }),
            Err(e) if e.kind() == ErrorKind::Damaged => report.damaged.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    wanted.snapshots.sort_by_key(|s| s.order);
    Ok(wanted)
}

/// The snapshots the destination's own forget records name (a damaged
/// record names none).
fn forgotten_at(src: &Store, dst: &dyn Backend, to: &Listing) -> Result<HashSet<Id>> {
    let mut out = HashSet::new();
    for name in to.names(Kind::Forget) {
        let id = parse_name(name, Kind::Forget)?;
        let bytes = dst.read(Kind::Forget, name, src.limit(Kind::Forget))?;
        if Id::of_object(&bytes) != id {
            continue;
        }
        if let Ok(f) = src.open_bytes::<Forget>(Kind::Forget, SealKind::Forget, &id, &bytes) {
            out.extend(f.snapshots.iter().map(|(s, _)| *s));
        }
    }
    Ok(out)
}

/// What the destination holds or will: packs, and the index files and
/// reference lists held back.
pub(super) struct Available<'a> {
    to: &'a Listing,
    packs: HashSet<String>,
    damaged_packs: HashSet<String>,
    held_index: HashSet<String>,
    held_refs: HashSet<String>,
}

impl<'a> Available<'a> {
    /// Packs at either end, except the damaged ones.
    pub(super) fn new(
        from: &Listing,
        to: &'a Listing,
        damaged: &[(String, String)],
    ) -> Available<'a> {
        let damaged_packs: HashSet<String> = damaged.iter().map(|(n, _)| n.clone()).collect();
        let packs = from
            .names(Kind::Data)
            .chain(to.names(Kind::Data))
            .filter(|n| !damaged_packs.contains(*n))
            .cloned()
            .collect();
        Available {
            to,
            packs,
            damaged_packs,
            held_index: HashSet::new(),
            held_refs: HashSet::new(),
        }
    }

    /// Why a pack named by `what` cannot be relied on, if it cannot.
    fn pack(&self, what: &str, pack: &Id) -> Option<String> {
        let hex = pack.to_hex();
        if self.packs.contains(&hex) {
            None
        } else if self.damaged_packs.contains(&hex) {
            Some(format!(
                "{what} not copied: it names pack {hex}, which is damaged"
            ))
        } else {
            Some(format!("{what} not copied: it names pack {hex}, which neither the source nor the destination holds"))
        }
    }

    /// An index file may go when every pack it covers is available (a
    /// condemned one may be gone: the reaper deletes those).
    pub(super) fn check_index(
        &self,
        src: &Store,
        name: &str,
        bytes: &[u8],
    ) -> Result<Option<String>> {
        let id = parse_name(name, Kind::Index)?;
        let what = format!("index {name}");
        let f = match src.open_bytes::<IndexFile>(Kind::Index, SealKind::Index, &id, bytes) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::Damaged => return Ok(Some(e.to_string())),
            Err(e) => return Err(e),
        };
        let condemned: HashSet<&Id> = f.condemned.iter().collect();
        Ok(f.packs
            .iter()
            .filter(|p| !condemned.contains(&p.id))
            .find_map(|p| self.pack(&what, &p.id)))
    }

    /// A reference list may go when every pack it names is available.
    pub(super) fn check_refs(
        &self,
        src: &Store,
        name: &str,
        bytes: &[u8],
    ) -> Result<Option<String>> {
        let id = parse_name(name, Kind::Refs)?;
        let what = format!("reference list {name}");
        match src.open_bytes::<Refs>(Kind::Refs, SealKind::Refs, &id, bytes) {
            Ok(r) => Ok(r.packs.iter().find_map(|p| self.pack(&what, p))),
            Err(e) if e.kind() == ErrorKind::Damaged => Ok(Some(e.to_string())),
            Err(e) => Err(e),
        }
    }

    /// Index files held back.
    pub(super) fn index_held(&mut self, held: &[(String, String)]) {
        self.held_index.extend(held.iter().map(|(n, _)| n.clone()));
    }

    /// Reference lists held back.
    pub(super) fn refs_held(&mut self, held: &[(String, String)]) {
        self.held_refs.extend(held.iter().map(|(n, _)| n.clone()));
    }

    /// A snapshot may go when its reference list is at the destination
    /// (or was copied) and no index file it names was held back (one the
    /// reaper has since merged into another is not needed).
    pub(super) fn check_snapshot(&self, s: &WantedSnapshot, from: &Listing) -> Option<String> {
        let what = format!("snapshot {}", s.name);
        if self.held_refs.contains(&s.refs) {
            return Some(format!(
                "{what} not copied: its reference list {} was not",
                s.refs
            ));
        }
        if !self.to.has(Kind::Refs, &s.refs) && !from.has(Kind::Refs, &s.refs) {
            return Some(format!(
                "{what} not copied: its reference list {} is in neither the source nor the destination",
                s.refs
            ));
        }
        s.indexes
            .iter()
            .find(|i| self.held_index.contains(*i))
            .map(|i| format!("{what} not copied: its index file {i} was not"))
    }
}
