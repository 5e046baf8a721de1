//! §5.1 What index files say about each other and about packs: a file
//! another present one `supersedes` is ignored, and the packs a live file
//! lists as `condemned` are the reaper's to delete. A backup retires them
//! from its dedup index, and checks again just before it commits that every
//! pack its reference list names is still indexed and not condemned.

use super::Store;
use crate::backend::Kind;
use crate::crypto::SealKind;
use crate::error::{Error, ErrorKind, Result};
use crate::format::IndexFile;
use crate::id::Id;
use std::collections::{HashMap, HashSet};

/// One index file, without its blobs: what a commit check needs.
#[derive(Debug, Clone, Default)]
pub struct FileMarks {
    /// The packs it covers.
    pub packs: Vec<Id>,
    /// The files it supersedes.
    pub supersedes: Vec<Id>,
    /// The packs it condemns.
    pub condemned: Vec<Id>,
}

impl FileMarks {
    /// The marks of `file`.
    pub fn of(file: &IndexFile) -> FileMarks {
        FileMarks {
            packs: file.packs.iter().map(|p| p.id).collect(),
            supersedes: file.supersedes.clone(),
            condemned: file.condemned.clone(),
        }
    }
}

/// The live view of a set of present index files.
#[derive(Debug, Default)]
pub struct Marks {
    /// Present index files some other present file supersedes.
    pub superseded: HashSet<Id>,
    /// Packs condemned by a file that is not superseded.
    pub condemned: HashSet<Id>,
}

impl Marks {
    /// From the present (readable) files.
    pub fn of(files: &HashMap<Id, FileMarks>) -> Marks {
        let superseded: HashSet<Id> = files
            .iter()
            .flat_map(|(file, m)| m.supersedes.iter().filter(move |s| *s != file))
            .filter(|s| files.contains_key(s))
            .copied()
            .collect();
        let condemned = files
            .iter()
            .filter(|(file, _)| !superseded.contains(file))
            .flat_map(|(_, m)| m.condemned.iter().copied())
            .collect();
        Marks {
            superseded,
            condemned,
        }
    }

    /// Packs a live (not superseded) file covers.
    pub fn live_packs(&self, files: &HashMap<Id, FileMarks>) -> HashSet<Id> {
        files
            .iter()
            .filter(|(file, _)| !self.superseded.contains(file))
            .flat_map(|(_, m)| m.packs.iter().copied())
            .collect()
    }
}

impl Store {
    /// §10 The commit check: lists `index/` again (loading only files not
    /// in `known`, which it updates) and fails if a pack in `refs` is
    /// condemned or no longer covered by a live index file: retention
    /// raced this run, and committing would name a pack about to go.
    pub fn refs_live(&self, known: &mut HashMap<Id, FileMarks>, refs: &[Id]) -> Result<()> {
        let mut present = HashSet::new();
        for (name, _) in self.backend().list(Kind::Index)? {
            let id = super::parse_name(&name, Kind::Index)?;
            present.insert(id);
            if known.contains_key(&id) {
                continue;
            }
            match self.load::<IndexFile>(Kind::Index, SealKind::Index, &id) {
                Ok(f) => {
                    known.insert(id, FileMarks::of(&f));
                }
                // A damaged file covers nothing; a pack only it covered fails below.
                Err(e) if e.kind() == ErrorKind::Damaged => {}
                Err(e) => return Err(e),
            }
        }
        known.retain(|id, _| present.contains(id));
        let marks = Marks::of(known);
        let live = marks.live_packs(known);
        for p in refs {
            let why = if marks.condemned.contains(p) {
                "was condemned by retention"
            } else if !live.contains(p) {
                "is no longer indexed"
            } else {
                continue;
            };
            return Err(Error::new(
                ErrorKind::Other,
                format!("pack {p} this run uses {why} while it ran; nothing was committed"),
            )
            .hint("run the backup again: it stores that data anew"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Id {
        Id([n; 32])
    }

    #[test]
    fn superseded_files_and_their_condemnations_are_ignored() {
        let mut files = HashMap::new();
        files.insert(
            id(1),
            FileMarks {
                packs: vec![id(10), id(11)],
                ..Default::default()
            },
        );
        files.insert(
            id(2),
            FileMarks {
                packs: vec![id(10), id(11)],
                supersedes: vec![id(1)],
                condemned: vec![id(11)],
            },
        );
        let m = Marks::of(&files);
        assert_eq!(m.superseded, HashSet::from([id(1)]));
        assert_eq!(m.condemned, HashSet::from([id(11)]));
        // The sweep's file: 11 dropped from packs, still condemned; 2 superseded.
        files.insert(
            id(3),
            FileMarks {
                packs: vec![id(10)],
                supersedes: vec![id(2)],
                condemned: vec![id(11)],
            },
        );
        let m = Marks::of(&files);
        assert_eq!(m.superseded, HashSet::from([id(1), id(2)]));
        assert_eq!(m.live_packs(&files), HashSet::from([id(10)]));
        // Un-condemned by a later file: the earlier condemnation no longer counts.
        files.insert(
            id(4),
            FileMarks {
                packs: vec![id(10)],
                supersedes: vec![id(3)],
                condemned: vec![],
            },
        );
        assert!(Marks::of(&files).condemned.is_empty());
        // A file naming itself supersedes nothing.
        let mut one = HashMap::new();
        one.insert(
            id(5),
            FileMarks {
                packs: vec![id(12)],
                supersedes: vec![id(5)],
                condemned: vec![],
            },
        );
        assert!(Marks::of(&one).superseded.is_empty());
    }
}
