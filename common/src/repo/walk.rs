//! Bounds on walking a snapshot's trees. Trees are named by their content,
//! but a compromised writer can still make a snapshot whose trees nest
//! without end or repeat one subtree so that it expands exponentially: every
//! walk (ls, restore, check) refuses depths over [`MAX_DEPTH`], a tree that
//! contains itself, and more entries than the snapshot recorded.

use crate::error::{Error, Result};
use crate::format::{Snapshot, MAX_DEPTH};
use crate::id::Id;

/// The bounds of one walk of one snapshot.
#[derive(Debug)]
pub struct Limits {
    snapshot: Id,
    max_nodes: u64,
    nodes: u64,
    stack: Vec<Id>,
}

impl Limits {
    /// Limits for walking `snap` (named `id`): at most the entries it
    /// recorded, with slack for the directories on the way to its sources.
    pub fn for_snapshot(id: &Id, snap: &Snapshot) -> Limits {
        let s = &snap.summary;
        let recorded = s.files.saturating_add(s.dirs).saturating_add(s.others);
        Limits {
            snapshot: *id,
            max_nodes: recorded.saturating_add(recorded / 100).saturating_add(4096),
            nodes: 0,
            stack: Vec::new(),
        }
    }

    /// Enters `tree`: refused deeper than [`MAX_DEPTH`] or inside itself.
    pub fn enter(&mut self, tree: &Id) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Error::damaged(format!(
                "snapshot {}: its directories nest deeper than {MAX_DEPTH} levels; refusing to walk it",
                self.snapshot.short()
            )));
        }
        if self.stack.contains(tree) {
            return Err(Error::damaged(format!(
                "snapshot {}: tree {} contains itself; refusing to walk it",
                self.snapshot.short(),
                tree.short()
            )));
        }
        self.stack.push(*tree);
        Ok(())
    }

    /// Leaves the tree entered last.
    pub fn leave(&mut self) {
        self.stack.pop();
    }

    /// Counts one entry.
    pub fn visit(&mut self) -> Result<()> {
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return Err(Error::damaged(format!(
                "snapshot {}: its trees expand to more than {} entries, more than it recorded; refusing to walk it",
                self.snapshot.short(),
                self.max_nodes
            )));
        }
        Ok(())
    }

    /// How deep the walk is.
    pub fn depth(&self) -> usize {
        self.stack.len()
    }
}

/// Stack for a walk that recurses once per directory level: enough for
/// [`MAX_DEPTH`] levels of any walker here (address space, not memory).
pub const WALK_STACK: usize = 512 << 20;

/// Runs `f` on a thread whose stack holds [`MAX_DEPTH`] levels of recursion.
pub fn deep<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("tree-walk".into())
            .stack_size(WALK_STACK)
            .spawn_scoped(s, f)
            .map_err(|e| Error::io("starting the tree walker", e))?
            .join()
            .map_err(|_| Error::new(crate::ErrorKind::Other, "the tree walker panicked"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(entries: u64) -> Snapshot {
        Snapshot {
            summary: crate::format::Summary {
                files: entries,
                ..Default::default()
            },
            ..Snapshot::empty()
        }
    }

    #[test]
    fn depth_cycles_and_expansion_are_refused() {
        let mut l = Limits::for_snapshot(&Id([1; 32]), &snap(10));
        l.enter(&Id([2; 32])).unwrap();
        assert!(l
            .enter(&Id([2; 32]))
            .unwrap_err()
            .to_string()
            .contains("contains itself"));
        l.leave();
        for i in 0..MAX_DEPTH {
            l.enter(&Id::of_object(&i.to_le_bytes())).unwrap();
        }
        assert!(l
            .enter(&Id([3; 32]))
            .unwrap_err()
            .to_string()
            .contains("deeper than 4096"));
        for _ in 0..10 + 4096 {
            l.visit().unwrap();
        }
        assert!(l.visit().unwrap_err().to_string().contains("more than"));
    }
}
