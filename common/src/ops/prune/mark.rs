//! Mark and sweep (docs/retention.md, "The protocol"). Roots are the
//! reference lists of the remaining snapshots and those no snapshot names
//! yet that the reaper first saw less than the grace period ago (a backup
//! writing its snapshot). An indexed pack no root names, covered only by
//! index files older than the grace period, is condemned: listed in the
//! index's `condemned`, its condemnation time kept in the reaper's state.
//! At least the grace period later, if still no root names it, a new index
//! file drops it from `packs`, the files it supersedes are deleted, then the
//! pack. Every step leaves a repository `check` passes, so a run killed
//! anywhere is finished by the next one.

use super::state::ReaperState;
use super::{remove_recorded, PruneReport};
use crate::backend::Kind;
use crate::crypto::SealKind;
use crate::error::Result;
use crate::format::{IndexFile, MAX_INDEX_BLOBS};
use crate::id::Id;
use crate::repo::{parse_name, FileMarks, Marks, Store};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

/// What keeps packs alive.
pub(super) struct Roots<'a> {
    /// Reference lists the remaining snapshots name.
    pub named: HashSet<Id>,
    /// Index files the remaining snapshots name (`indexes`).
    pub indexes: HashSet<Id>,
    /// Every reference list read at the start, by id.
    pub refs: &'a HashMap<Id, Vec<Id>>,
    /// Reference lists of the snapshots forgotten now.
    pub forgotten: HashSet<Id>,
}

/// The index as the reaper sees it.
struct View {
    files: HashMap<Id, FileMarks>,
    marks: Marks,
    /// When each file's packs were indexed, as far as the reaper knows.
    age: HashMap<Id, i64>,
    /// Pack sizes in storage.
    packs: HashMap<Id, u64>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    store: &Store,
    dir: &Path,
    st: &mut ReaperState,
    roots: &Roots<'_>,
    grace: i64,
    now: i64,
    sweep_ok: bool,
    report: &mut PruneReport,
) -> Result<()> {
    let old = now - grace;
    let rooted = rooted(roots, st, now, old);
    let view = view(store, st, now)?;
    // Un-condemn what a root names again; forget packs already gone.
    let before = st.condemned.len();
    st.condemned.retain(|hex, _| {
        hex.parse::<Id>()
            .is_ok_and(|p| view.packs.contains_key(&p) && !rooted.contains(&p))
    });
    report.uncondemned = (before - st.condemned.len()) as u64;
    condemn(&view, &rooted, st, now, old, report);
    let replace = replaceable(&view, old);
    // A pack is swept only when every live file listing it is replaced now.
    let kept_listed: HashSet<Id> = view
        .files
        .iter()
        .filter(|(f, _)| !view.marks.superseded.contains(f) && !replace.contains(f))
        .flat_map(|(_, m)| m.packs.iter().copied())
        .collect();
    let sweep: BTreeSet<Id> = if sweep_ok {
        st.condemned
            .iter()
            .filter(|(_, &t)| t <= old)
            .filter_map(|(hex, _)| hex.parse().ok())
            .filter(|p| !kept_listed.contains(p))
            .collect()
    } else {
        BTreeSet::new()
    };
    report.pending = (st.condemned.len() - sweep.len()) as u64;
    let wanted: HashSet<Id> = st.condemned.keys().filter_map(|h| h.parse().ok()).collect();
    let shown: HashSet<Id> = view
        .marks
        .condemned
        .iter()
        .filter(|p| view.packs.contains_key(p))
        .copied()
        .collect();
    let mut superseded: BTreeSet<Id> = view.marks.superseded.iter().copied().collect();
    let mut written = Vec::new();
    if wanted != shown || !sweep.is_empty() {
        let new = Rewrite {
            replace: &replace,
            sweep: &sweep,
            condemned: &wanted,
        };
        written = write_index(store, dir, st, &view, roots, &new, old, report)?;
        superseded.extend(replace.iter().copied());
    }
    for f in &superseded {
        remove_recorded(store, st, (Kind::Index, f), now)?;
        report.index_deleted += 1;
    }
    for p in &sweep {
        remove_recorded(store, st, (Kind::Data, p), now)?;
        report.deleted_packs += 1;
        report.freed_bytes += view.packs.get(p).copied().unwrap_or(0);
        st.condemned.remove(&p.to_hex());
    }
    // The state keeps only what is still in storage.
    st.seen.retain(|hex, _| {
        hex.parse::<Id>()
            .is_ok_and(|id| roots.refs.contains_key(&id) || view.files.contains_key(&id))
    });
    st.own.retain(|hex, _| {
        hex.parse::<Id>()
            .is_ok_and(|id| view.files.contains_key(&id) || written.contains(&id))
    });
    st.save(dir)
}

/// Packs a root names: the remaining snapshots' reference lists, and the
/// unnamed ones first seen within the grace period.
fn rooted(roots: &Roots<'_>, st: &mut ReaperState, now: i64, old: i64) -> HashSet<Id> {
    let mut out = HashSet::new();
    for (rid, packs) in roots.refs {
        if roots.forgotten.contains(rid) && !roots.named.contains(rid) {
            continue;
        }
        let seen = st.first_seen(*rid, now);
        if roots.named.contains(rid) || seen > old {
            out.extend(packs.iter().copied());
        }
    }
    out
}

/// Every index file (light: no blobs), with the reaper's idea of its age,
/// and the packs in storage. A file that does not open stops the run.
fn view(store: &Store, st: &mut ReaperState, now: i64) -> Result<View> {
    let mut files = HashMap::new();
    let mut age = HashMap::new();
    for (name, _) in store.backend().list(Kind::Index)? {
        let id = parse_name(&name, Kind::Index)?;
        let f = store.load::<IndexFile>(Kind::Index, SealKind::Index, &id)?;
        files.insert(id, FileMarks::of(&f));
        let a = match st.own.get(&id.to_hex()) {
            Some(&t) => t,
            None => st.first_seen(id, now),
        };
        age.insert(id, a);
    }
    let mut packs = HashMap::new();
    for (name, size) in store.backend().list(Kind::Data)? {
        packs.insert(parse_name(&name, Kind::Data)?, size);
    }
    let marks = Marks::of(&files);
    Ok(View {
        files,
        marks,
        age,
        packs,
    })
}

/// Condemns every indexed pack in storage that no root names and whose
/// live index files are all older than the grace period.
fn condemn(
    view: &View,
    rooted: &HashSet<Id>,
    st: &mut ReaperState,
    now: i64,
    old: i64,
    report: &mut PruneReport,
) {
    let mut youngest: HashMap<Id, i64> = HashMap::new();
    for (file, m) in &view.files {
        if view.marks.superseded.contains(file) {
            continue;
        }
        let a = view.age.get(file).copied().unwrap_or(now);
        for p in &m.packs {
            let e = youngest.entry(*p).or_insert(a);
            *e = (*e).max(a);
        }
    }
    for (p, a) in youngest {
        if a <= old && view.packs.contains_key(&p) && !rooted.contains(&p) {
            if let std::collections::btree_map::Entry::Vacant(e) = st.condemned.entry(p.to_hex()) {
                e.insert(now);
                report.condemned += 1;
            }
        }
    }
}

/// Live index files older than the grace period: what a new index replaces.
fn replaceable(view: &View, old: i64) -> Vec<Id> {
    let mut replace: Vec<Id> = view
        .files
        .keys()
        .filter(|f| !view.marks.superseded.contains(f))
        .filter(|f| view.age.get(f).is_some_and(|&a| a <= old))
        .copied()
        .collect();
    replace.sort();
    replace
}

/// What a new index does.
struct Rewrite<'a> {
    /// The files it replaces.
    replace: &'a [Id],
    /// Packs it drops (swept now).
    sweep: &'a BTreeSet<Id>,
    /// Packs it condemns.
    condemned: &'a HashSet<Id>,
}

/// Writes the index that replaces `new.replace`: their packs but the swept
/// ones, `condemned` as the state says, `supersedes` on its last file only
/// (so a run killed between files leaves the old ones in force). Returns
/// the files written.
#[allow(clippy::too_many_arguments)]
fn write_index(
    store: &Store,
    dir: &Path,
    st: &mut ReaperState,
    view: &View,
    roots: &Roots<'_>,
    new: &Rewrite<'_>,
    old: i64,
    report: &mut PruneReport,
) -> Result<Vec<Id>> {
    let (replace, sweep, condemned) = (new.replace, new.sweep, new.condemned);
    let as_of = replace
        .iter()
        .filter_map(|f| view.age.get(f))
        .max()
        .copied()
        .unwrap_or(old);
    let mut carried: BTreeSet<Id> = replace.iter().copied().collect();
    carried.extend(view.marks.superseded.iter().copied());
    for f in replace {
        if let Some(m) = view.files.get(f) {
            carried.extend(m.supersedes.iter().filter(|s| roots.indexes.contains(s)));
        }
    }
    let mut batches: Vec<IndexFile> = vec![IndexFile::default()];
    let (mut blobs, mut emitted) = (0usize, HashSet::new());
    for f in replace {
        let file = store.load::<IndexFile>(Kind::Index, SealKind::Index, f)?;
        for p in file.packs {
            if sweep.contains(&p.id) || !view.packs.contains_key(&p.id) || !emitted.insert(p.id) {
                continue;
            }
            if blobs + p.blobs.len() > MAX_INDEX_BLOBS && blobs > 0 {
                batches.push(IndexFile::default());
                blobs = 0;
            }
            blobs += p.blobs.len();
            if let Some(b) = batches.last_mut() {
                b.packs.push(p);
            }
        }
    }
    if let Some(last) = batches.last_mut() {
        last.supersedes = carried.into_iter().collect();
        let mut c: Vec<Id> = condemned.iter().copied().collect();
        c.sort();
        last.condemned = c;
    }
    let mut written = Vec::new();
    for batch in &batches {
        let (id, bytes) = store.seal_object(SealKind::Index, batch)?;
        written.push(id);
        // Recorded before it is written: a run killed after the write still
        // knows the file is its own (and how old its packs are).
        st.own.insert(id.to_hex(), as_of);
        st.save(dir)?;
        store.backend().write(Kind::Index, &id.to_hex(), &bytes)?;
        report.index_written += 1;
    }
    Ok(written)
}
