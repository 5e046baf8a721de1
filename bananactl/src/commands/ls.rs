//! `bananactl ls`: list a snapshot's entries, recursively below a path.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::format::{Node, NodeKind};
use common::repo::BlobReader;
use common::repo::Limits;
use serde_json::json;
use std::path::{Path, PathBuf};

/// List entries.
#[derive(Debug, Args)]
pub struct LsCmd {
    /// Snapshot: full id, unique prefix, or 'latest'.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::snapshots))]
    pub snapshot: String,
    /// Path inside the snapshot [default: everything].
    #[arg(default_value = "/")]
    pub path: PathBuf,
    /// Which snapshots 'latest' chooses among.
    #[command(flatten)]
    pub filter: super::select::Filter,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

/// `ls`'s type letter of an entry.
pub(super) fn type_char(k: NodeKind) -> char {
    match k {
        NodeKind::Dir => 'd',
        NodeKind::File => '-',
        NodeKind::Symlink => 'l',
        NodeKind::Fifo => 'p',
        NodeKind::Chardev => 'c',
        NodeKind::Blockdev => 'b',
        NodeKind::Socket => 's',
    }
}

/// `ls -l`'s mode: setuid and setgid as `s`/`S` in the owner's and the
/// group's execute place, sticky as `t`/`T` in the others'.
fn mode_string(n: &Node) -> String {
    mode_text(n.kind, n.mode)
}

fn mode_text(kind: NodeKind, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(type_char(kind));
    for (shift, special, set) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(match (bits & 1 != 0, mode & special != 0) {
            (true, true) => set,
            (false, true) => set.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// The JSON name of an entry's type.
pub(super) fn kind_name(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Dir => "dir",
        NodeKind::File => "file",
        NodeKind::Symlink => "symlink",
        NodeKind::Fifo => "fifo",
        NodeKind::Chardev => "chardev",
        NodeKind::Blockdev => "blockdev",
        NodeKind::Socket => "socket",
    }
}

impl LsCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let opened = super::open_read(s, &self.keys)?;
        let (repo, restore) = (&opened.repo, &opened.restore);
        let (id, snap) = self.filter.resolve(repo, &self.snapshot, None)?;
        let loaded = repo.load_index()?;
        let mut reader = BlobReader::new(repo, &loaded.index, restore)?;
        let node = super::lookup_named(&mut reader, &snap.tree, &self.path)?;
        let mut count = 0u64;
        if self
            .path
            .components()
            .any(|c| matches!(c, std::path::Component::Normal(_)))
        {
            self.print(out, &node, &self.path);
            count += 1;
        }
        let mut limits = Limits::for_snapshot(&id, &snap);
        // Directories recurse: the walk gets a stack for MAX_DEPTH levels.
        common::repo::deep(|| {
            self.walk(&mut reader, out, &node, &self.path, &mut count, &mut limits)
        })??;
        out.summary(
            json!({"command": "ls", "entries": count}),
            &common::humanize::count(count, "entry", "entries"),
        );
        Ok(Status::Ok)
    }

    fn walk(
        &self,
        reader: &mut BlobReader<'_>,
        out: &Output,
        n: &Node,
        path: &Path,
        count: &mut u64,
        limits: &mut Limits,
    ) -> anyhow::Result<()> {
        let Some(sub) = n.subtree else { return Ok(()) };
        limits.enter(&sub)?;
        for child in reader.tree(&sub)?.nodes {
            limits.visit()?;
            let cp = path
                .join(std::os::unix::ffi::OsStrExt::from_bytes(&child.name) as &std::ffi::OsStr);
            self.print(out, &child, &cp);
            *count += 1;
            self.walk(reader, out, &child, &cp, count, limits)?;
        }
        limits.leave();
        Ok(())
    }

    fn print(&self, out: &Output, n: &Node, path: &Path) {
        if out.json {
            let mut v = json!({
                "message_type": "node", "type": kind_name(n.kind), "mode": n.mode,
                "uid": n.uid, "gid": n.gid, "user": n.user, "group": n.group, "size": n.size,
                "mtime": super::when((n.mtime.0, n.mtime.1)),
            });
            super::json_bytes(
                &mut v,
                "path",
                std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()),
            );
            match &n.target {
                Some(t) => super::json_bytes(&mut v, "target", t),
                None => v["target"] = serde_json::Value::Null,
            }
            out.json_line(&v);
        } else {
            let owner = n
                .user
                .as_deref()
                .map(common::humanize::printable)
                .unwrap_or_else(|| n.uid.to_string());
            let group = n
                .group
                .as_deref()
                .map(common::humanize::printable)
                .unwrap_or_else(|| n.gid.to_string());
            let link = n
                .target
                .as_ref()
                .map(|t| format!(" -> {}", super::show(t)))
                .unwrap_or_default();
            out.line(&format!(
                "{} {:<8} {:<8} {:>12} {} {}{}",
                mode_string(n),
                owner,
                group,
                n.size,
                super::when((n.mtime.0, n.mtime.1)),
                super::show_path(path),
                link
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_show_setuid_setgid_and_sticky() {
        assert_eq!(mode_text(NodeKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_text(NodeKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_text(NodeKind::File, 0o2750), "-rwxr-s---");
        assert_eq!(mode_text(NodeKind::File, 0o6644), "-rwSr-Sr--");
        assert_eq!(mode_text(NodeKind::Dir, 0o1700), "drwx-----T");
        assert_eq!(mode_text(NodeKind::Symlink, 0o777), "lrwxrwxrwx");
    }
}
