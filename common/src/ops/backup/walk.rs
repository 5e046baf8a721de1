//! The filesystem source: walks the sources depth-first, names sorted by
//! bytes (the catalogue's merge join depends on that order), records every
//! entry's metadata, and reads a regular file only when the catalogue cannot
//! vouch that it is unchanged. Hard links are read once per run.

use super::catalogue::{self, ts};
use super::estimate::{self, Totals};
use super::excludes::Excludes;
use super::readahead::{open_for_read, Entry, Opened, Window};
use super::source::{Run, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::format::tree::{Node, NodeKind, Xattr};
use crate::id::Id;
use crate::progress::{Progress, WarningKind};
use serde_bytes::ByteBuf;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::fs::{self, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

/// Files and directories to back up.
pub struct FsSource {
    sources: Vec<PathBuf>,
    excludes: Excludes,
    one_fs: bool,
}

impl FsSource {
    /// The sources (absolute after normalising; nested ones dropped; each must
    /// exist), exclude globs, and whether to stay on each source's filesystem.
    pub fn new(paths: &[PathBuf], excludes: &[String], one_fs: bool) -> Result<FsSource> {
        Ok(FsSource {
            sources: prepare_sources(paths)?,
            excludes: Excludes::new(excludes)?,
            one_fs,
        })
    }
}

impl Source for FsSource {
    fn paths(&self) -> Vec<Vec<u8>> {
        self.sources
            .iter()
            .map(|p| p.as_os_str().as_bytes().to_vec())
            .collect()
    }

    fn estimate(&self) -> Option<Totals> {
        Some(estimate::spawn(
            self.sources.clone(),
            self.excludes.clone(),
            self.one_fs,
        ))
    }

    fn read(self: Box<Self>, run: &mut Run<'_, '_, '_>) -> Result<Id> {
        let mut w = Walker {
            read_ahead: !run.catalogue.has_previous(),
            run,
            excludes: self.excludes,
            one_fs: self.one_fs,
            hardlinks: HashMap::new(),
            opened: None,
        };
        w.roots(&self.sources)
    }
}

/// Absolute, normalised sources with nested ones dropped; each must exist.
fn prepare_sources(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if paths.is_empty() {
        return Err(
            Error::new(ErrorKind::BadInput, "nothing to back up").hint("name at least one path")
        );
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io("current directory", e))?;
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        let abs = normalise(&cwd.join(p));
        fs::symlink_metadata(&abs).map_err(|e| {
            let what = format!("source '{}'", p.display());
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::new(ErrorKind::BadInput, format!("{what} does not exist"))
                    .hint("check the path")
            } else {
                Error::io(what, e)
            }
        })?;
        out.push(abs);
    }
    out.sort();
    out.dedup();
    let all = out.clone();
    out.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    Ok(out)
}

fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// uid/gid → name, cached.
#[derive(Default)]
pub(super) struct Names {
    users: HashMap<u32, Option<String>>,
    groups: HashMap<u32, Option<String>>,
}

impl Names {
    pub(super) fn user(&mut self, uid: u32) -> Option<String> {
        self.users
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .clone()
    }

    pub(super) fn group(&mut self, gid: u32) -> Option<String> {
        self.groups
            .entry(gid)
            .or_insert_with(|| {
                nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
                    .ok()
                    .flatten()
                    .map(|g| g.name)
            })
            .clone()
    }
}

struct Walker<'w, 'r, 'a, 'o> {
    run: &'w mut Run<'r, 'a, 'o>,
    excludes: Excludes,
    one_fs: bool,
    hardlinks: HashMap<(u64, u64), Vec<Id>>,
    /// Whether files are read ahead ([`readahead`]: a first backup).
    read_ahead: bool,
    /// The file the window opened for the entry being handled.
    opened: Option<Opened>,
}

/// A directory on the way to a source: real metadata, only the listed children.
#[derive(Default)]
struct Virtual {
    children: BTreeMap<Vec<u8>, Virtual>,
    source: bool,
}

impl Walker<'_, '_, '_, '_> {
    fn roots(&mut self, sources: &[PathBuf]) -> Result<Id> {
        let mut top = Virtual::default();
        for s in sources {
            let mut v = &mut top;
            for c in s.components() {
                if let Component::Normal(n) = c {
                    v = v.children.entry(n.as_bytes().to_vec()).or_default();
                }
            }
            v.source = true;
        }
        if top.source {
            // The source is "/" itself.
            let m = fs::symlink_metadata("/").map_err(|e| Error::io("/", e))?;
            return self.dir_tree(Path::new("/"), m.dev());
        }
        self.virtual_tree(Path::new("/"), &top)
    }

    fn virtual_tree(&mut self, path: &Path, v: &Virtual) -> Result<Id> {
        let mut nodes = Vec::new();
        for (name, child) in &v.children {
            let p = path.join(OsStr::from_bytes(name));
            let meta = match fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    self.run
                        .warn(WarningKind::Unreadable, &p, format!("cannot stat: {e}"));
                    continue;
                }
            };
            if child.source {
                if let Some(n) = self.entry(&p, name, &meta, meta.dev())? {
                    nodes.push(n);
                }
            } else {
                let mut node = self.node(&p, name, &meta, NodeKind::Dir);
                node.subtree = Some(self.virtual_tree(&p, child)?);
                self.run.summary().dirs += 1;
                nodes.push(node);
            }
        }
        self.run.store_tree(nodes)
    }

    fn node(&mut self, path: &Path, name: &[u8], m: &Metadata, kind: NodeKind) -> Node {
        let mut n = self.stat_node(name, m, kind);
        n.xattrs = self.xattrs(path).0;
        n
    }

    /// A node from its stat alone (no extended attributes yet).
    fn stat_node(&mut self, name: &[u8], m: &Metadata, kind: NodeKind) -> Node {
        let mut n = Node::new(name, kind);
        n.mode = m.mode() & 0o7777;
        n.uid = m.uid();
        n.gid = m.gid();
        n.user = self.run.names.user(m.uid());
        n.group = self.run.names.group(m.gid());
        n.mtime = ts(m.mtime(), m.mtime_nsec());
        n.atime = ts(m.atime(), m.atime_nsec());
        n.ctime = ts(m.ctime(), m.ctime_nsec());
        n.inode = m.ino();
        n.device = m.dev();
        n.links = m.nlink();
        n
    }

    /// The extended attributes of `path` that could be read, sorted by
    /// name, and whether that is all of them (not after a warning).
    fn xattrs(&mut self, path: &Path) -> (Vec<Xattr>, bool) {
        let names = match xattr::list(path) {
            Ok(names) => names,
            Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => return (Vec::new(), true),
            Err(e) => {
                self.run.warn(
                    WarningKind::Unreadable,
                    path,
                    format!("cannot list extended attributes: {e}"),
                );
                return (Vec::new(), false);
            }
        };
        let mut out = Vec::new();
        let mut complete = true;
        for xn in names {
            match xattr::get(path, &xn) {
                Ok(Some(value)) => out.push(Xattr {
                    name: ByteBuf::from(xn.as_bytes().to_vec()),
                    value: ByteBuf::from(value),
                }),
                Ok(None) => {} // removed since listed
                Err(_) => complete = false,
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        (out, complete)
    }

    /// One entry below a source (or a source itself); `None` when skipped.
    fn entry(
        &mut self,
        path: &Path,
        name: &[u8],
        m: &Metadata,
        root_dev: u64,
    ) -> Result<Option<Node>> {
        self.run.tick();
        Progress::add(&self.run.ctx.progress.files, 1);
        let ft = m.file_type();
        let node = if ft.is_dir() {
            let mut n = self.node(path, name, m, NodeKind::Dir);
            self.run.summary().dirs += 1;
            n.subtree = Some(if self.one_fs && m.dev() != root_dev {
                self.run.store_tree(Vec::new())?
            } else {
                self.dir_tree(path, root_dev)?
            });
            n
        } else if ft.is_file() {
            match self.file(path, name, m)? {
                Some(n) => n,
                None => return Ok(None),
            }
        } else if ft.is_symlink() {
            let target = match fs::read_link(path) {
                Ok(t) => t,
                Err(e) => {
                    self.run.warn(
                        WarningKind::Unreadable,
                        path,
                        format!("cannot read symlink: {e}"),
                    );
                    return Ok(None);
                }
            };
            let mut n = self.node(path, name, m, NodeKind::Symlink);
            n.target = Some(ByteBuf::from(target.as_os_str().as_bytes().to_vec()));
            self.run.summary().others += 1;
            n
        } else {
            let kind = if ft.is_fifo() {
                NodeKind::Fifo
            } else if ft.is_char_device() {
                NodeKind::Chardev
            } else if ft.is_block_device() {
                NodeKind::Blockdev
            } else {
                NodeKind::Socket
            };
            let mut n = self.node(path, name, m, kind);
            n.rdev = m.rdev();
            self.run.summary().others += 1;
            n
        };
        Ok(Some(node))
    }

    fn dir_tree(&mut self, path: &Path, root_dev: u64) -> Result<Id> {
        let mut listed: Vec<(Vec<u8>, fs::DirEntry)> = Vec::new();
        match fs::read_dir(path) {
            Ok(rd) => {
                for e in rd {
                    match e {
                        Ok(e) => listed.push((e.file_name().as_bytes().to_vec(), e)),
                        Err(err) => {
                            self.run.warn(
                                WarningKind::Unreadable,
                                path,
                                format!("cannot list directory: {err}"),
                            );
                            break;
                        }
                    }
                }
            }
            Err(e) => self.run.warn(
                WarningKind::Unreadable,
                path,
                format!("cannot list directory: {e}"),
            ),
        }
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut entries = Vec::with_capacity(listed.len());
        for (name, de) in listed {
            let p = path.join(OsStr::from_bytes(&name));
            if self.excludes.excluded(&p) {
                continue;
            }
            // Relative to the open directory: one name looked up, not the
            // whole path (a third of an unchanged backup's system time).
            match de.metadata() {
                Ok(meta) => entries.push(Entry {
                    name,
                    path: p,
                    meta,
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {} // vanished
                Err(e) => self
                    .run
                    .warn(WarningKind::Unreadable, &p, format!("cannot stat: {e}")),
            }
        }
        let mut window = Window::default();
        let mut nodes = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            self.opened = if self.read_ahead {
                window.advance(&entries, i)
            } else {
                None
            };
            let node = self.entry(&e.path, &e.name, &e.meta, root_dev);
            self.opened = None;
            if let Some(n) = node? {
                nodes.push(n);
            }
        }
        self.run.store_tree(nodes)
    }

    fn file(&mut self, path: &Path, name: &[u8], m: &Metadata) -> Result<Option<Node>> {
        let mut node = self.stat_node(name, m, NodeKind::File);
        node.size = m.len();
        let key = (m.dev(), m.ino());
        let path_bytes = path.as_os_str().as_bytes();
        let sink = &*self.run.sink;
        let mut unchanged = self
            .run
            .catalogue
            .unchanged(path_bytes, m, |id| sink.known(id));
        // Same ctime: the extended attributes are as listed last time.
        let complete;
        (node.xattrs, complete) = match unchanged.as_mut().and_then(|e| e.xattrs.take()) {
            Some(x) => (x, true),
            None => self.xattrs(path),
        };
        let linked = (m.nlink() > 1)
            .then(|| self.hardlinks.get(&key).cloned())
            .flatten();
        let content = if let Some(c) = linked {
            self.run.summary().files_unchanged += 1;
            c
        } else if let Some(e) = unchanged {
            self.run.summary().files_unchanged += 1;
            Progress::add(&self.run.ctx.progress.bytes, m.len());
            e.content
        } else {
            match self.read_file(path, m)? {
                Some(c) => c,
                None => return Ok(None),
            }
        };
        self.run.sink.use_blobs(&content);
        if m.nlink() > 1 {
            self.hardlinks.insert(key, content.clone());
        }
        self.run.catalogue.record(&catalogue::Entry {
            path: ByteBuf::from(path_bytes.to_vec()),
            size: m.len(),
            mtime: node.mtime,
            ctime: node.ctime,
            inode: m.ino(),
            device: m.dev(),
            content: content.clone(),
            xattrs: complete.then(|| node.xattrs.clone()),
        });
        let s = self.run.summary();
        s.files += 1;
        s.total_bytes += m.len();
        node.content = content;
        Ok(Some(node))
    }

    fn read_file(&mut self, path: &Path, m: &Metadata) -> Result<Option<Vec<Id>>> {
        let file = match self.opened.take() {
            Some(o) if o.key == (m.dev(), m.ino()) => Ok(o.file),
            _ => open_for_read(path),
        };
        let file = match file {
            Ok(f) => f,
            Err(e) => {
                self.run
                    .warn(WarningKind::Unreadable, path, format!("cannot open: {e}"));
                return Ok(None);
            }
        };
        let content = match self.run.chunks(&file, m.len())? {
            Ok(c) => c,
            Err(e) => {
                self.run
                    .warn(WarningKind::Unreadable, path, format!("read error: {e}"));
                return Ok(None);
            }
        };
        if let Ok(after) = file.metadata() {
            if after.len() != m.len()
                || after.mtime() != m.mtime()
                || after.mtime_nsec() != m.mtime_nsec()
                || after.ctime() != m.ctime()
                || after.ctime_nsec() != m.ctime_nsec()
            {
                self.run.warn(
                    WarningKind::Changed,
                    path,
                    "file changed while it was read; the snapshot holds what was read".into(),
                );
            }
        }
        Ok(Some(content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_and_nesting() {
        assert_eq!(normalise(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::create_dir_all(a.join("b")).unwrap();
        assert_eq!(prepare_sources(&[a.join("b"), a.clone()]).unwrap(), vec![a]);
        assert!(prepare_sources(&[dir.path().join("nope")])
            .unwrap_err()
            .to_string()
            .contains("does not exist"));
    }
}
