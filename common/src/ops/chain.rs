//! §6.1 The snapshot chain: each commit gets `seq` = max(this node's last
//! `seq` for the repository, the newest `seq` in storage) + 1, and `prev` =
//! the newest snapshot in storage. Assigned under the node's commit lock.
//!
//! The node compares storage with what it last wrote: its last snapshot gone
//! from storage, or a newest snapshot older than it, is a rollback (the
//! backup still completes; the run is partial with reason `rollback`).

use crate::error::Result;
use crate::format::Snapshot;
use crate::id::Id;
use crate::progress::{Observer, WarningKind};
use crate::repo::Repository;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// Where a new snapshot goes in the chain, and what the node noticed.
#[derive(Debug, Clone, Default)]
pub struct Link {
    /// Its `seq`.
    pub seq: u64,
    /// The newest snapshot in storage.
    pub prev: Option<Id>,
    /// That snapshot's `seq` (none for one written before the chain).
    pub prev_seq: Option<u64>,
    /// Storage lost what this node wrote: the warning's text.
    pub rollback: Option<String>,
}

/// The next link of `repo`'s chain, from storage and this node's state.
pub fn next(repo: &Repository, state_dir: Option<&Path>, obs: &dyn Observer) -> Result<Link> {
    let snaps = repo.snapshots()?;
    // The newest: the highest seq; snapshots without one (older agents)
    // count by time, before any with one.
    let newest = snaps
        .iter()
        .max_by(|a, b| (a.1.seq, a.1.time).cmp(&(b.1.seq, b.1.time)));
    let (prev, prev_seq) = match newest {
        Some((id, s)) => (Some(*id), s.seq),
        None => (None, None),
    };
    let mine = state_dir.and_then(|d| super::state::last_written(d, &repo.config().id));
    let mut rollback = None;
    if let Some((last, last_seq)) = mine {
        let forgotten = || {
            repo.forgets()
                .map(|(f, _)| Forgotten::from(&f).ids.contains(&last))
                .unwrap_or(false)
        };
        let gone = !snaps.iter().any(|(id, _)| *id == last) && !forgotten();
        let older = matches!((prev_seq, last_seq), (Some(p), Some(l)) if p < l);
        if gone || older {
            let msg = format!(
                "storage lost snapshot {}{} that this node wrote (newest there now: {}): deleted or rolled back; this backup is saved, check the storage",
                last.short(),
                last_seq.map(|s| format!(" (seq {s})")).unwrap_or_default(),
                match (prev, prev_seq) {
                    (Some(p), Some(s)) => format!("{} (seq {s})", p.short()),
                    (Some(p), None) => p.short(),
                    (None, _) => "none".to_owned(),
                }
            );
            obs.warn(WarningKind::Rollback, &repo.backend().location(), &msg);
            rollback = Some(msg);
        }
    }
    let seq = prev_seq
        .unwrap_or(0)
        .max(mine.and_then(|(_, s)| s).unwrap_or(0))
        + 1;
    Ok(Link {
        seq,
        prev,
        prev_seq,
        rollback,
    })
}

/// What the forget records explain: forgotten snapshot ids and `seq`s.
#[derive(Debug, Default)]
pub struct Forgotten {
    /// Forgotten snapshot ids.
    pub ids: HashSet<Id>,
    /// Their `seq`s.
    pub seqs: HashSet<u64>,
}

impl From<&crate::repo::ForgetRecords> for Forgotten {
    fn from(records: &crate::repo::ForgetRecords) -> Forgotten {
        let mut f = Forgotten::default();
        for (id, seq) in records.iter().flat_map(|(_, r)| &r.snapshots) {
            f.ids.insert(*id);
            f.seqs.extend(*seq);
        }
        f
    }
}

/// A hole in the chain that no forget record explains: snapshots deleted
/// from storage, or never there although a later one was committed after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The snapshot after the hole.
    pub snapshot: Id,
    /// Its `seq`.
    pub seq: Option<u64>,
    /// The `seq`s missing before it (first, last), if any.
    pub missing: Option<(u64, u64)>,
    /// Its `prev`, when that is missing from storage.
    pub prev: Option<Id>,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain gap before snapshot {}", self.snapshot.short())?;
        if let Some(s) = self.seq {
            write!(f, " (seq {s})")?;
        }
        let mut what = Vec::new();
        match self.missing {
            Some((a, b)) if a == b => what.push(format!("seq {a} is missing")),
            Some((a, b)) => what.push(format!("seqs {a} to {b} are missing")),
            None => {}
        }
        if let Some(p) = self.prev {
            what.push(format!(
                "its previous snapshot {} is not in storage",
                p.short()
            ));
        }
        if !what.is_empty() {
            write!(f, ": {}", what.join(", and "))?;
        }
        write!(
            f,
            "; no forget record explains it (deleted from storage, or rolled back)"
        )
    }
}

/// The gaps in `repo`'s chain, given its snapshots, after reading its forget
/// records; also the problems of forget records that could not be read.
pub fn repo_gaps(repo: &Repository, snaps: &[(Id, Snapshot)]) -> Result<(Vec<Gap>, Vec<String>)> {
    let (records, problems) = repo.forgets()?;
    Ok((gaps(snaps, &Forgotten::from(&records)), problems))
}

/// The gaps in `snaps` that `forgotten` does not explain, in chain order:
/// a `prev` missing from storage, or `seq`s missing between two snapshots.
/// Snapshots without a `seq` (written before the chain) have no gaps.
pub fn gaps(snaps: &[(Id, Snapshot)], forgotten: &Forgotten) -> Vec<Gap> {
    let present: HashSet<Id> = snaps.iter().map(|(id, _)| *id).collect();
    let mut chained: Vec<(u64, &Id, &Snapshot)> = snaps
        .iter()
        .filter_map(|(id, s)| Some((s.seq?, id, s)))
        .collect();
    chained.sort_by_key(|(seq, id, _)| (*seq, **id));
    let seqs: BTreeSet<u64> = chained.iter().map(|(s, _, _)| *s).collect();
    let mut out = Vec::new();
    let mut before: Option<u64> = None;
    for (seq, id, snap) in chained {
        let missing = before.and_then(|b| {
            let lost: Vec<u64> = (b + 1..seq)
                .filter(|s| !forgotten.seqs.contains(s) && !seqs.contains(s))
                .collect();
            Some((*lost.first()?, *lost.last()?))
        });
        let prev = snap
            .prev
            .filter(|p| !present.contains(p) && !forgotten.ids.contains(p));
        if missing.is_some() || prev.is_some() {
            out.push(Gap {
                snapshot: *id,
                seq: Some(seq),
                missing,
                prev,
            });
        }
        before = Some(seq);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(seq: Option<u64>, prev: Option<Id>) -> Snapshot {
        Snapshot {
            seq,
            prev,
            ..Snapshot::empty()
        }
    }

    fn id(n: u8) -> Id {
        Id([n; 32])
    }

    #[test]
    fn a_deleted_middle_snapshot_is_a_gap_unless_forgotten() {
        let all = vec![
            (id(1), snap(Some(1), None)),
            (id(2), snap(Some(2), Some(id(1)))),
            (id(3), snap(Some(3), Some(id(2)))),
        ];
        assert!(gaps(&all, &Forgotten::default()).is_empty());
        let holed = vec![all[0].clone(), all[2].clone()];
        let g = gaps(&holed, &Forgotten::default());
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].snapshot, g[0].missing, g[0].prev),
            (id(3), Some((2, 2)), Some(id(2)))
        );
        assert_eq!(
            g[0].to_string(),
            format!(
                "chain gap before snapshot {} (seq 3): seq 2 is missing, and its previous snapshot {} is not in storage; no forget record explains it (deleted from storage, or rolled back)",
                id(3).short(),
                id(2).short()
            )
        );
        let forgot = Forgotten {
            ids: [id(2)].into(),
            seqs: [2].into(),
        };
        assert!(gaps(&holed, &forgot).is_empty());
    }

    #[test]
    fn snapshots_from_before_the_chain_have_no_gaps() {
        let all = vec![(id(1), snap(None, None)), (id(2), snap(None, None))];
        assert!(gaps(&all, &Forgotten::default()).is_empty());
        // The first chained snapshot after them names one of them.
        let mixed = vec![all[0].clone(), (id(3), snap(Some(1), Some(id(2))))];
        assert_eq!(gaps(&mixed, &Forgotten::default())[0].prev, Some(id(2)));
    }

    #[test]
    fn a_skipped_seq_shows_even_when_prev_is_present() {
        // Storage lost seq 3 and the node, remembering it, went on with 4.
        let all = vec![
            (id(1), snap(Some(1), None)),
            (id(2), snap(Some(2), Some(id(1)))),
            (id(4), snap(Some(4), Some(id(2)))),
        ];
        let g = gaps(&all, &Forgotten::default());
        assert_eq!((g.len(), g[0].missing, g[0].prev), (1, Some((3, 3)), None));
    }
}
