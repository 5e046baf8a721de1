//! `bananactl diff`: what changed between two snapshots.

use super::find::push_name;
use super::ls::kind_name;
use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::format::{Node, NodeKind, Xattr};
use common::repo::BlobReader;
use common::repo::Limits;
use common::Id;
use serde_json::json;
use std::cmp::Ordering;

/// Compare two snapshots.
#[derive(Debug, Args)]
pub struct DiffCmd {
    /// The older snapshot: full id, unique prefix, or 'latest'.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::snapshots))]
    pub snapshot1: String,
    /// The newer snapshot: full id, unique prefix, or 'latest'.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::snapshots))]
    pub snapshot2: String,
    /// Which snapshots 'latest' chooses among.
    #[command(flatten)]
    pub filter: super::select::Filter,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

/// How one path differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Only in the newer snapshot.
    Added,
    /// Only in the older snapshot.
    Removed,
    /// Content, size, type, link target or device number differ.
    Modified,
    /// Same content; mode, owner, mtime or xattrs differ.
    Metadata,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Modified => "modified",
            Change::Metadata => "metadata",
        }
    }

    fn letter(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Modified => 'M',
            Change::Metadata => 'U',
        }
    }
}

/// Extended attributes as a set (their order carries no meaning).
fn same_xattrs(a: &[Xattr], b: &[Xattr]) -> bool {
    fn sorted(x: &[Xattr]) -> Vec<(&[u8], &[u8])> {
        let mut v: Vec<(&[u8], &[u8])> = x.iter().map(|x| (&x.name[..], &x.value[..])).collect();
        v.sort_unstable();
        v
    }
    a == b || sorted(a) == sorted(b)
}

/// How `new` differs from `old` (same name), if it does. Access and change
/// times, inode numbers, link counts and owner names are not compared.
fn classify(old: &Node, new: &Node) -> Option<Change> {
    if old.kind != new.kind
        || old.size != new.size
        || old.content != new.content
        || old.target != new.target
        || old.rdev != new.rdev
    {
        Some(Change::Modified)
    } else if old.mode != new.mode
        || old.uid != new.uid
        || old.gid != new.gid
        || old.mtime != new.mtime
        || !same_xattrs(&old.xattrs, &new.xattrs)
    {
        Some(Change::Metadata)
    } else {
        None
    }
}

/// Changes of each kind.
#[derive(Debug, Default)]
struct Counts {
    added: u64,
    removed: u64,
    modified: u64,
    metadata: u64,
}

/// One comparison: the walk bounds of both snapshots and what it found.
struct Differ<'r> {
    out: &'r Output,
    old: Limits,
    new: Limits,
    counts: Counts,
}

impl DiffCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let opened = super::open_read(s, &self.keys)?;
        let (repo, restore) = (&opened.repo, &opened.restore);
        let (id1, snap1) = self.filter.resolve(repo, &self.snapshot1, None)?;
        let (id2, snap2) = self.filter.resolve(repo, &self.snapshot2, None)?;
        let loaded = repo.load_index()?;
        let mut reader = BlobReader::new(repo, &loaded.index, restore)?;
        let mut differ = Differ {
            out,
            old: Limits::for_snapshot(&id1, &snap1),
            new: Limits::for_snapshot(&id2, &snap2),
            counts: Counts::default(),
        };
        // Directories recurse: the walk gets a stack for MAX_DEPTH levels.
        common::repo::deep(|| {
            differ.trees(
                &mut reader,
                Some(&snap1.tree),
                Some(&snap2.tree),
                &mut Vec::new(),
            )
        })??;
        let c = &differ.counts;
        let line = if c.added + c.removed + c.modified + c.metadata == 0 {
            format!("no changes from {} to {}", id1.short(), id2.short())
        } else {
            format!(
                "{} to {}: {} added, {} removed, {} modified, {} metadata only",
                id1.short(),
                id2.short(),
                c.added,
                c.removed,
                c.modified,
                c.metadata
            )
        };
        out.summary(
            json!({
                "command": "diff", "snapshot1": id1.to_hex(), "snapshot2": id2.to_hex(),
                "added": c.added, "removed": c.removed, "modified": c.modified,
                "metadata": c.metadata,
            }),
            &line,
        );
        Ok(Status::Ok)
    }
}

/// A tree's entries sorted by name: the merge below needs the order, and a
/// hostile tree need not keep it.
fn entries(reader: &mut BlobReader<'_>, tree: &Id) -> anyhow::Result<Vec<Node>> {
    let mut nodes = reader.tree(tree)?.nodes;
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(nodes)
}

impl Differ<'_> {
    /// Compares tree `old` with tree `new` at `path`; a missing side is an
    /// empty directory (so everything on the other side is added or
    /// removed), and equal ids are the same subtree, skipped unread.
    fn trees(
        &mut self,
        reader: &mut BlobReader<'_>,
        old: Option<&Id>,
        new: Option<&Id>,
        path: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        if old == new {
            return Ok(());
        }
        let mut left = match old {
            Some(t) => {
                self.old.enter(t)?;
                entries(reader, t)?
            }
            None => Vec::new(),
        }
        .into_iter()
        .peekable();
        let mut right = match new {
            Some(t) => {
                self.new.enter(t)?;
                entries(reader, t)?
            }
            None => Vec::new(),
        }
        .into_iter()
        .peekable();
        loop {
            let order = match (left.peek(), right.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(a), Some(b)) => a.name.cmp(&b.name),
            };
            let a = (order != Ordering::Greater).then(|| left.next()).flatten();
            let b = (order != Ordering::Less).then(|| right.next()).flatten();
            self.entry(reader, a, b, path)?;
        }
        if old.is_some() {
            self.old.leave();
        }
        if new.is_some() {
            self.new.leave();
        }
        Ok(())
    }

    /// Compares the entry `old` with the entry `new` of the same name (one
    /// of them may be missing), and what is below them.
    fn entry(
        &mut self,
        reader: &mut BlobReader<'_>,
        old: Option<Node>,
        new: Option<Node>,
        path: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        let change = match (&old, &new) {
            (Some(a), Some(b)) => {
                self.old.visit()?;
                self.new.visit()?;
                classify(a, b).map(|c| (c, b))
            }
            (Some(a), None) => {
                self.old.visit()?;
                Some((Change::Removed, a))
            }
            (None, Some(b)) => {
                self.new.visit()?;
                Some((Change::Added, b))
            }
            (None, None) => return Ok(()),
        };
        let Some(name) = new.as_ref().or(old.as_ref()).map(|n| &n.name[..]) else {
            return Ok(());
        };
        let len = path.len();
        push_name(path, name);
        if let Some((c, n)) = change {
            self.report(c, path, n.kind);
        }
        let sub = |n: &Option<Node>| n.as_ref().and_then(|n| n.subtree);
        let result = self.trees(reader, sub(&old).as_ref(), sub(&new).as_ref(), path);
        path.truncate(len);
        result
    }

    fn report(&mut self, c: Change, path: &[u8], kind: NodeKind) {
        let count = match c {
            Change::Added => &mut self.counts.added,
            Change::Removed => &mut self.counts.removed,
            Change::Modified => &mut self.counts.modified,
            Change::Metadata => &mut self.counts.metadata,
        };
        *count += 1;
        if self.out.json {
            let mut v = json!({
                "message_type": "change", "change": c.name(), "type": kind_name(kind),
            });
            super::json_bytes(&mut v, "path", path);
            self.out.json_line(&v);
        } else {
            self.out
                .line(&format!("{} {}", c.letter(), super::show(path)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::format::Timestamp;

    fn file(content: u8, size: u64) -> Node {
        let mut n = Node::new(b"f", NodeKind::File);
        n.content = vec![Id([content; 32])];
        n.size = size;
        n
    }

    #[test]
    fn classify_separates_content_from_metadata() {
        let base = file(1, 10);
        let mut other_chunks = base.clone();
        other_chunks.content = vec![Id([2; 32])];
        let mut bigger = base.clone();
        bigger.size = 11;
        let mut link = Node::new(b"f", NodeKind::Symlink);
        link.target = Some(serde_bytes::ByteBuf::from(b"a".to_vec()));
        let mut relinked = link.clone();
        relinked.target = Some(serde_bytes::ByteBuf::from(b"b".to_vec()));
        let mut chmod = base.clone();
        chmod.mode = 0o600;
        let mut touched = base.clone();
        touched.mtime = Timestamp(1, 2);
        let mut chown = base.clone();
        chown.gid = 7;
        let mut read = base.clone();
        read.atime = Timestamp(9, 9);
        read.ctime = Timestamp(9, 9);
        read.user = Some("someone".into());
        let x = |n: &[u8], v: &[u8]| Xattr {
            name: serde_bytes::ByteBuf::from(n.to_vec()),
            value: serde_bytes::ByteBuf::from(v.to_vec()),
        };
        let mut xa = base.clone();
        xa.xattrs = vec![x(b"user.a", b"1"), x(b"user.b", b"2")];
        let mut xa_reordered = base.clone();
        xa_reordered.xattrs = vec![x(b"user.b", b"2"), x(b"user.a", b"1")];
        let table: Vec<(&Node, &Node, Option<Change>)> = vec![
            (&base, &base, None),
            (&base, &other_chunks, Some(Change::Modified)),
            (&base, &bigger, Some(Change::Modified)),
            (&base, &link, Some(Change::Modified)),
            (&link, &relinked, Some(Change::Modified)),
            (&base, &chmod, Some(Change::Metadata)),
            (&base, &touched, Some(Change::Metadata)),
            (&base, &chown, Some(Change::Metadata)),
            (&base, &read, None),
            (&base, &xa, Some(Change::Metadata)),
            (&xa, &xa_reordered, None),
        ];
        for (i, (a, b, want)) in table.into_iter().enumerate() {
            assert_eq!(classify(a, b), want, "row {i}");
        }
    }
}
