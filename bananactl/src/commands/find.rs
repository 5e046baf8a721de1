//! `bananactl find`: which snapshots hold paths matching a pattern.

use super::ls::{kind_name, type_char};
use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::format::Node;
use common::format::Snapshot;
use common::repo::BlobReader;
use common::repo::Limits;
use common::{ErrorKind, Id};
use serde_json::json;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Find paths in snapshots.
#[derive(Debug, Args)]
pub struct FindCmd {
    /// A glob: with a '/' it matches the whole path (e.g. '/etc/**/*.conf'),
    /// without one the entry's name (e.g. '*.conf').
    pub pattern: String,
    /// Which snapshots to search.
    #[command(flatten)]
    pub filter: super::select::Filter,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

/// A compiled find pattern: the conventions of backup's exclude globs (a
/// `/` anchors it to the absolute path, `*` stays within one component).
pub struct Pattern {
    glob: globset::GlobMatcher,
    full: bool,
}

impl Pattern {
    /// Compiles `p`; a bad one is a usage error quoting it.
    pub fn new(p: &str) -> anyhow::Result<Pattern> {
        let glob = globset::GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .or_else(|_| globset::Glob::new(p))
            .map_err(|e| {
                common::Error::new(ErrorKind::BadInput, format!("pattern '{p}': {e}"))
                    .hint("quote the pattern so the shell does not expand it, e.g. '*.conf'")
            })?;
        Ok(Pattern {
            glob: glob.compile_matcher(),
            full: p.contains('/'),
        })
    }

    /// Whether the entry named `name` at `path` (absolute) matches.
    pub fn matches(&self, path: &[u8], name: &[u8]) -> bool {
        let subject = if self.full { path } else { name };
        self.glob.is_match(Path::new(OsStr::from_bytes(subject)))
    }
}

/// Appends `/name` to `path` (bytes: a hostile name can never replace the
/// path the way `Path::join` of an absolute name would).
pub(super) fn push_name(path: &mut Vec<u8>, name: &[u8]) {
    path.push(b'/');
    path.extend_from_slice(name);
}

/// One snapshot's search.
struct Search<'r> {
    out: &'r Output,
    pattern: &'r Pattern,
    id: Id,
    snap: &'r Snapshot,
    limits: Limits,
    matches: u64,
}

impl FindCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        let pattern = Pattern::new(&self.pattern)?;
        let opened = super::open_read(s, &self.keys)?;
        let (repo, restore) = (&opened.repo, &opened.restore);
        let snaps = self.filter.apply(repo.snapshots()?);
        let loaded = repo.load_index()?;
        let mut reader = BlobReader::new(repo, &loaded.index, restore)?;
        // Directories recurse: the walk gets a stack for MAX_DEPTH levels.
        let (matches, damaged) =
            common::repo::deep(|| search_all(&mut reader, out, &pattern, &snaps))??;
        let n = snaps.len();
        let in_n = common::humanize::count(n as u64, "snapshot", "snapshots");
        let line = match matches {
            0 => format!("no match in {in_n}"),
            1 => format!("1 match in {in_n}"),
            m => format!("{m} matches in {in_n}"),
        };
        out.summary(
            json!({"command": "find", "snapshots": n, "matches": matches, "damaged": damaged}),
            &line,
        );
        Ok(if damaged > 0 {
            Status::Damaged
        } else {
            Status::Ok
        })
    }
}

/// Searches every snapshot of `snaps` in turn; a damaged (or hostile) one
/// is a warning and the search goes on. Returns (matches, damaged).
fn search_all(
    reader: &mut BlobReader<'_>,
    out: &Output,
    pattern: &Pattern,
    snaps: &[(Id, Snapshot)],
) -> anyhow::Result<(u64, u64)> {
    let (mut matches, mut damaged) = (0, 0);
    for (id, snap) in snaps {
        let mut search = Search {
            out,
            pattern,
            id: *id,
            snap,
            limits: Limits::for_snapshot(id, snap),
            matches: 0,
        };
        let result = search.walk(reader, &snap.tree, &mut Vec::new());
        matches += search.matches;
        match result {
            Ok(()) => {}
            Err(e) if crate::exit::kind(&e) == Some(ErrorKind::Damaged) => {
                damaged += 1;
                out.warn("damaged-snapshot", &id.short(), &format!("{e:#}"));
            }
            Err(e) => return Err(e.context(format!("searching snapshot {}", id.short()))),
        }
    }
    Ok((matches, damaged))
}

impl Search<'_> {
    /// Reports the matches below tree `tree`, at `path`.
    fn walk(
        &mut self,
        reader: &mut BlobReader<'_>,
        tree: &Id,
        path: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        self.limits.enter(tree)?;
        for child in reader.tree(tree)?.nodes {
            self.limits.visit()?;
            let len = path.len();
            push_name(path, &child.name);
            if self.pattern.matches(path, &child.name) {
                self.print(&child, path);
                self.matches += 1;
            }
            if let Some(sub) = &child.subtree {
                self.walk(reader, sub, path)?;
            }
            path.truncate(len);
        }
        self.limits.leave();
        Ok(())
    }

    fn print(&self, n: &Node, path: &[u8]) {
        if self.out.json {
            let mut v = json!({
                "message_type": "match", "snapshot": self.id.to_hex(),
                "snapshot_time": super::when(self.snap.time), "type": kind_name(n.kind),
                "size": n.size, "mtime": super::when((n.mtime.0, n.mtime.1)),
            });
            super::json_bytes(&mut v, "path", path);
            self.out.json_line(&v);
        } else {
            self.out.line(&format!(
                "{} {} {} {:>12} {} {}",
                self.id.short(),
                super::when(self.snap.time),
                type_char(n.kind),
                n.size,
                super::when((n.mtime.0, n.mtime.1)),
                super::show(path),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_the_exclude_conventions() {
        let table: &[(&str, &[u8], bool)] = &[
            ("*.conf", b"/etc/a.conf", true),
            ("*.conf", b"/etc/a.conf.bak", false),
            ("*.conf", b"/etc/ssh/sshd.conf", true),
            ("/etc/*.conf", b"/etc/a.conf", true),
            ("/etc/*.conf", b"/etc/ssh/sshd.conf", false),
            ("/etc/**/*.conf", b"/etc/ssh/sshd.conf", true),
            ("/etc/**/*.conf", b"/etc/a.conf", true),
            ("/etc/**/*.conf", b"/srv/etc/a.conf", false),
            ("**/a.conf", b"/srv/etc/a.conf", true),
            ("etc", b"/etc", true),
            ("etc", b"/srv/etc", true),
            ("/etc", b"/srv/etc", false),
            ("l*", b"/x/latin1-\xe9t\xe9", true),
        ];
        for (p, path, want) in table {
            let name = path.rsplit(|b| *b == b'/').next().unwrap();
            assert_eq!(
                Pattern::new(p).unwrap().matches(path, name),
                *want,
                "{p} on {}",
                String::from_utf8_lossy(path)
            );
        }
        assert!(Pattern::new("a[").is_err());
    }
}
