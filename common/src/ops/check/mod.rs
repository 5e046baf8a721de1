//! `check`: verifies the repository's structure and, with `--read-data`, every
//! byte of it. Reports each damaged object by id and, when trees can be read,
//! the files each damage affects. Checking never modifies the repository.

use super::chain::{gaps, Forgotten};
use crate::backend::Kind;
use crate::crypto::keyfile::RestoreKey;
use crate::crypto::SealKind;
use crate::error::{Error, ErrorKind, Result};
use crate::format::tree::NodeKind;
use crate::format::{Forget, IndexFile, Refs, Snapshot};
use crate::id::Id;
use crate::progress::{Observer, Progress};
use crate::repo::{parse_name, BlobReader, FileMarks, Index, Marks, Repository};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

mod read_data;
mod subset;
#[cfg(test)]
mod tests;
use read_data::check_pack;
pub use subset::Subset;

/// One problem, on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The object: `pack <id>`, `index <id>`, `snapshot <id>`...
    pub object: String,
    /// What is wrong.
    pub message: String,
    /// Files affected (snapshot paths), when known.
    pub files: Vec<String>,
    /// Each affected file with the snapshot it is in (short id), sorted.
    pub affected: Vec<(String, String)>,
}

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Damage and inconsistencies; empty means the repository is sound.
    pub problems: Vec<Problem>,
    /// Packs no index covers: left by an interrupted backup, reused by the next.
    pub unindexed_packs: u64,
    /// Packs no snapshot references.
    pub unreferenced_packs: u64,
    /// Snapshots checked.
    pub snapshots: u64,
    /// Packs listed.
    pub packs: u64,
    /// Blobs whose content was verified (with `read_data`).
    pub blobs_verified: u64,
    /// Trees walked (needs an identity).
    pub trees_checked: u64,
    /// Whether trees could be walked (the key has an identity).
    pub trees_walked: bool,
    /// Chain gaps no forget record explains (each is also a problem).
    pub gaps: u64,
    /// Forget records read.
    pub forget_records: u64,
    /// Packs retention condemned (§5.1): readable until the reaper deletes them.
    pub condemned_packs: u64,
    /// Packs read and verified (`read_data`: all; a subset: its packs).
    pub packs_read: u64,
    /// Their bytes.
    pub bytes_read: u64,
}

/// What to check.
#[derive(Debug, Default)]
pub struct CheckOptions {
    /// Decrypt and verify every blob.
    pub read_data: bool,
    /// Decrypt and verify the blobs of these packs only (`--read-data-subset`).
    pub subset: Option<Subset>,
    /// Node-local state, to detect a rolled-back snapshot.
    pub state_dir: Option<PathBuf>,
}

struct Checker<'a> {
    repo: &'a Repository,
    report: CheckReport,
    damaged_objects: BTreeMap<String, usize>,
    /// Index files a present one supersedes (§5.1), present or deleted.
    replaced: HashSet<Id>,
}

impl Checker<'_> {
    /// Records an error on `object`, without repeating the object's name.
    fn damage(&mut self, object: String, e: &Error) {
        let msg = e.message();
        let msg = msg
            .strip_prefix(&format!("{object}: "))
            .unwrap_or(msg)
            .to_owned();
        self.problem(object, msg);
    }

    fn problem(&mut self, object: String, message: impl Into<String>) {
        if let Some(&i) = self.damaged_objects.get(&object) {
            let p = &mut self.report.problems[i];
            p.message = format!("{}; {}", p.message, message.into());
            return;
        }
        self.damaged_objects
            .insert(object.clone(), self.report.problems.len());
        self.report.problems.push(Problem {
            object,
            message: message.into(),
            files: Vec::new(),
            affected: Vec::new(),
        });
    }
}

/// Runs the check. `restore` enables tree walking and (with `read_data`) blob verification.
pub fn check(
    repo: &Repository,
    restore: &RestoreKey,
    opts: &CheckOptions,
    obs: &dyn Observer,
    progress: &Progress,
) -> Result<CheckReport> {
    if (opts.read_data || opts.subset.is_some()) && restore.identities.is_empty() {
        return Err(Error::new(
            ErrorKind::NoIdentity,
            "--read-data and --read-data-subset decrypt packs, and this key holds only the backup half (no identity)",
        )
        .hint("run it with the full key file or a restore grant; plain 'check' works with the backup half"));
    }
    let mut c = Checker {
        repo,
        report: CheckReport::default(),
        damaged_objects: BTreeMap::new(),
        replaced: HashSet::new(),
    };
    let (index, packs) = c.indexes_and_packs()?;
    let snapshots = c.snapshots(&index, &packs, obs)?;
    c.key_envelopes()?;
    let forgotten = c.chain(&snapshots)?;
    if let Some(dir) = &opts.state_dir {
        c.node_state(dir, &snapshots, &forgotten);
    }
    // Every pack's bytes, then every blob in it.
    let mut damaged_blobs: HashMap<Id, Id> = HashMap::new();
    let mut all: Vec<(Id, u64)> = packs.iter().map(|(id, s)| (*id, *s)).collect();
    all.sort();
    let chosen: Vec<Id> = match (opts.subset, opts.read_data) {
        (Some(s), false) => s.pick(&all),
        (_, true) => all.iter().map(|(id, _)| *id).collect(),
        (None, false) => Vec::new(),
    };
    for id in &chosen {
        progress
            .files
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        obs.progress(progress);
        check_pack(&mut c, &index, restore, id, &mut damaged_blobs, progress)?;
        c.report.packs_read += 1;
        c.report.bytes_read += packs.get(id).copied().unwrap_or(0);
    }
    if !restore.identities.is_empty() {
        c.trees(&index, restore, &snapshots, &damaged_blobs)?;
    }
    Ok(c.report)
}

impl Checker<'_> {
    /// Index files and the packs in storage, cross-checked. A file another
    /// present one supersedes (§5.1) is not held to its packs: the reaper
    /// deletes it, and packs it alone still lists, next.
    fn indexes_and_packs(&mut self) -> Result<(Index, HashMap<Id, u64>)> {
        let be = self.repo.backend();
        let mut index = Index::default();
        let mut files = HashMap::new();
        for (name, _) in be.list(Kind::Index)? {
            let id = parse_name(&name, Kind::Index)?;
            match self
                .repo
                .load::<IndexFile>(Kind::Index, SealKind::Index, &id)
            {
                Ok(f) => {
                    f.packs.iter().for_each(|p| index.add_pack(p));
                    files.insert(id, FileMarks::of(&f));
                }
                Err(e) => self.damage(format!("index {id}"), &e),
            }
        }
        let marks = Marks::of(&files);
        self.replaced = files
            .values()
            .flat_map(|m| m.supersedes.iter().copied())
            .collect();
        let live = marks.live_packs(&files);
        let packs: HashMap<Id, u64> = be
            .list(Kind::Data)?
            .into_iter()
            .map(|(n, s)| parse_name(&n, Kind::Data).map(|id| (id, s)))
            .collect::<Result<_>>()?;
        self.report.packs = packs.len() as u64;
        for p in index.packs() {
            match packs.get(&p.id) {
                None if live.contains(&p.id) => {
                    self.problem(format!("pack {}", p.id), "indexed but missing from storage")
                }
                Some(&size) if size <= p.body_len => self.problem(
                    format!("pack {}", p.id),
                    "shorter than its index entry says",
                ),
                _ => {}
            }
        }
        self.report.unindexed_packs = packs
            .keys()
            .filter(|id| !index.has_pack(id) && !marks.condemned.contains(id))
            .count() as u64;
        self.report.condemned_packs = marks.condemned.len() as u64;
        Ok((index, packs))
    }

    /// Every snapshot and reference list in storage, authenticated; what
    /// each snapshot needs must be there.
    fn snapshots(
        &mut self,
        index: &Index,
        packs: &HashMap<Id, u64>,
        obs: &dyn Observer,
    ) -> Result<Vec<(Id, Snapshot)>> {
        let be = self.repo.backend();
        let mut snapshots = Vec::new();
        for (name, _) in be.list(Kind::Snapshot)? {
            let id = parse_name(&name, Kind::Snapshot)?;
            match self
                .repo
                .load::<Snapshot>(Kind::Snapshot, SealKind::Snapshot, &id)
            {
                Ok(s) => snapshots.push((id, s)),
                Err(e) => self.damage(format!("snapshot {id}"), &e),
            }
        }
        self.report.snapshots = snapshots.len() as u64;
        // Every reference list in storage, referenced or not, is authenticated.
        let mut refs_ok: HashMap<Id, Refs> = HashMap::new();
        for (name, _) in be.list(Kind::Refs)? {
            let id = parse_name(&name, Kind::Refs)?;
            match self.repo.load::<Refs>(Kind::Refs, SealKind::Refs, &id) {
                Ok(r) => {
                    refs_ok.insert(id, r);
                }
                Err(e) => self.damage(format!("reference list {id}"), &e),
            }
        }
        let index_names: HashSet<String> =
            be.list(Kind::Index)?.into_iter().map(|(n, _)| n).collect();
        let snapshot_ids: HashSet<Id> = snapshots.iter().map(|(id, _)| *id).collect();
        // A parent retention forgot is no surprise (`chain` reports bad records).
        let forgotten = Forgotten::from(&self.repo.forgets()?.0);
        let mut referenced = HashSet::new();
        for (sid, snap) in &snapshots {
            self.snapshot_needs(sid, snap, &refs_ok, index, packs, &mut referenced);
            for ix in &snap.indexes {
                // The reaper's consolidated index covers what it supersedes.
                let replaced = self.replaced.contains(ix);
                if !index_names.contains(&ix.to_hex()) && !replaced {
                    self.problem(
                        format!("index {ix}"),
                        format!("missing, written with snapshot {}", sid.short()),
                    );
                }
            }
            if let Some(parent) = snap.parent {
                if !snapshot_ids.contains(&parent)
                    && !forgotten.ids.contains(&parent)
                    && !self
                        .damaged_objects
                        .contains_key(&format!("snapshot {parent}"))
                {
                    obs.warn(
                        crate::progress::WarningKind::Repository,
                        &sid.to_hex(),
                        &format!("parent snapshot {} is gone", parent.short()),
                    );
                }
            }
        }
        self.report.unreferenced_packs =
            packs.keys().filter(|id| !referenced.contains(id)).count() as u64;
        Ok(snapshots)
    }

    /// The packs a snapshot's reference list names must exist and be indexed.
    fn snapshot_needs(
        &mut self,
        sid: &Id,
        snap: &Snapshot,
        refs_ok: &HashMap<Id, Refs>,
        index: &Index,
        packs: &HashMap<Id, u64>,
        referenced: &mut HashSet<Id>,
    ) {
        let Some(r) = refs_ok.get(&snap.refs) else {
            let key = format!("reference list {}", snap.refs);
            if !self.damaged_objects.contains_key(&key) {
                self.problem(key, format!("missing (needed by snapshot {sid})"));
            }
            return;
        };
        for p in &r.packs {
            referenced.insert(*p);
            if !packs.contains_key(p) {
                self.problem(
                    format!("pack {p}"),
                    format!("missing, referenced by snapshot {}", sid.short()),
                );
            } else if !index.has_pack(p) {
                self.problem(
                    format!("pack {p}"),
                    format!(
                        "not covered by any index, referenced by snapshot {}",
                        sid.short()
                    ),
                );
            }
        }
    }

    /// Break-glass key envelopes: named by their hash, well-formed. Their
    /// signatures are checked where they are trusted (a break-glass restore).
    fn key_envelopes(&mut self) -> Result<()> {
        let be = self.repo.backend();
        for (name, _) in be.list(Kind::Key)? {
            let id = parse_name(&name, Kind::Key)?;
            let bytes = self.repo.read(Kind::Key, &name)?;
            if Id::of_object(&bytes) != id {
                self.problem(
                    format!("key envelope {id}"),
                    "content does not match its name",
                );
            } else if serde_json::from_slice::<crate::crypto::envelope::Envelope>(&bytes).is_err() {
                self.problem(format!("key envelope {id}"), "not a key envelope");
            }
        }
        Ok(())
    }

    /// Forget records (authenticated), and the chain gaps they do not explain.
    fn chain(&mut self, snapshots: &[(Id, Snapshot)]) -> Result<Forgotten> {
        let mut records = Vec::new();
        for (name, _) in self.repo.backend().list(Kind::Forget)? {
            let id = parse_name(&name, Kind::Forget)?;
            match self
                .repo
                .load::<Forget>(Kind::Forget, SealKind::Forget, &id)
            {
                Ok(f) => records.push((id, f)),
                Err(e) => self.damage(format!("forget record {id}"), &e),
            }
        }
        self.report.forget_records = records.len() as u64;
        let forgotten = Forgotten::from(&records);
        for g in gaps(snapshots, &forgotten) {
            self.report.gaps += 1;
            self.problem(format!("snapshot {}", g.snapshot), g.to_string());
        }
        Ok(forgotten)
    }

    /// The newest snapshot this node wrote must still be in storage, unless
    /// a forget record says retention removed it.
    fn node_state(&mut self, dir: &Path, snapshots: &[(Id, Snapshot)], forgotten: &Forgotten) {
        let Some(last) = super::state::last_snapshot(dir, &self.repo.config().id) else {
            return;
        };
        if forgotten.ids.contains(&last) {
            return;
        }
        let key = format!("snapshot {last}");
        if !snapshots.iter().any(|(id, _)| *id == last) && !self.damaged_objects.contains_key(&key)
        {
            self.problem(
                key,
                "this node wrote it, but storage no longer has it (deleted or rolled back)",
            );
        }
    }

    /// Walks every snapshot's trees: every referenced blob must be indexed;
    /// damage found in packs is mapped to the files it affects.
    fn trees(
        &mut self,
        index: &Index,
        restore: &RestoreKey,
        snapshots: &[(Id, Snapshot)],
        damaged_blobs: &HashMap<Id, Id>,
    ) -> Result<()> {
        self.report.trees_walked = true;
        let repo = self.repo;
        let mut reader = BlobReader::new(repo, index, restore)?;
        let mut seen = HashSet::new();
        let mut affected: HashMap<Id, Vec<(String, String)>> = HashMap::new();
        for (sid, snap) in snapshots {
            let mut w = TreeWalk {
                reader: &mut reader,
                index,
                snap: *sid,
                seen: &mut seen,
                damaged: damaged_blobs,
                affected: &mut affected,
                limits: crate::repo::walk::Limits::for_snapshot(sid, snap),
            };
            // Directories recurse: the walk gets a stack for MAX_DEPTH levels.
            let walked = crate::repo::walk::deep(|| w.walk(self, &snap.tree, Path::new("/")))?;
            if let Err(e) = walked {
                self.problem(format!("snapshot {sid}"), e.message().to_owned());
            }
        }
        for (pack, files) in affected {
            let key = format!("pack {pack}");
            if let Some(&i) = self.damaged_objects.get(&key) {
                let p = &mut self.report.problems[i];
                p.files.extend(files.iter().map(|(f, _)| f.clone()));
                p.files.sort();
                p.files.dedup();
                p.affected.extend(files);
                p.affected.sort();
                p.affected.dedup();
            }
        }
        Ok(())
    }
}

/// One snapshot's tree walk for `check`.
struct TreeWalk<'r, 'a> {
    reader: &'r mut BlobReader<'a>,
    index: &'a Index,
    snap: Id,
    seen: &'r mut HashSet<Id>,
    damaged: &'r HashMap<Id, Id>,
    affected: &'r mut HashMap<Id, Vec<(String, String)>>,
    limits: crate::repo::walk::Limits,
}

impl TreeWalk<'_, '_> {
    /// Every referenced blob must be indexed; damaged ones are mapped to the
    /// files they hold. An error stops this snapshot's walk (refused shape).
    fn walk(&mut self, c: &mut Checker<'_>, tree_id: &Id, path: &Path) -> Result<()> {
        if !self.seen.insert(*tree_id) && self.damaged.is_empty() {
            return Ok(());
        }
        self.limits.enter(tree_id)?;
        c.report.trees_checked += 1;
        let tree = match self.reader.tree(tree_id) {
            Ok(t) => t,
            Err(e) => {
                self.unreadable(c, tree_id, path, &e);
                self.limits.leave();
                return Ok(());
            }
        };
        for node in &tree.nodes {
            self.limits.visit()?;
            let child = path.join(std::ffi::OsStr::from_bytes(&node.name));
            match node.kind {
                NodeKind::Dir => {
                    if let Some(sub) = &node.subtree {
                        self.walk(c, sub, &child)?;
                    }
                }
                NodeKind::File => self.file(c, node, &child),
                _ => {}
            }
        }
        self.limits.leave();
        Ok(())
    }

    fn unreadable(&mut self, c: &mut Checker<'_>, tree_id: &Id, path: &Path, e: &Error) {
        match self.index.get(tree_id).map(|(p, _)| p.id) {
            Some(p) => {
                let dir = format!("{} (directory)", path.display());
                self.affected
                    .entry(p)
                    .or_default()
                    .push((dir, self.snap.short()));
                if !c.damaged_objects.contains_key(&format!("pack {p}")) {
                    c.problem(format!("pack {p}"), format!("tree {tree_id}: {e}"));
                }
            }
            None => c.problem(
                format!("tree {tree_id}"),
                format!("not in any index (snapshot {})", self.snap.short()),
            ),
        }
    }

    fn file(&mut self, c: &mut Checker<'_>, node: &crate::format::tree::Node, child: &Path) {
        for id in &node.content {
            if let Some(p) = self.damaged.get(id) {
                let file = child.display().to_string();
                self.affected
                    .entry(*p)
                    .or_default()
                    .push((file, self.snap.short()));
            } else if !self.index.contains(id) {
                c.problem(
                    format!("blob {id}"),
                    format!(
                        "missing: needed by {} in snapshot {}",
                        child.display(),
                        self.snap.short()
                    ),
                );
            }
        }
    }
}
