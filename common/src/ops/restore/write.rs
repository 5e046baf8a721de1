//! Writing one restored entry: file contents (sparse where the data is
//! zero) under a temporary name, then owner, extended attributes, mode and
//! times, then the rename to its own name; always on an open descriptor or
//! relative to the parent's, never following a symlink. An existing entry is
//! first weighed as `--overwrite` says.

use super::{lock, Ctx, Overwrite};
use crate::error::{Error, ErrorKind, Result};
use crate::format::tree::{Node, NodeKind, Timestamp};
use crate::repo::BlobReader;
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Stat, Timestamps, XattrFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

fn timestamps(n: &Node) -> Timestamps {
    let ts = |t: Timestamp| rustix::fs::Timespec {
        tv_sec: t.0,
        tv_nsec: i64::from(t.1.min(999_999_999)),
    };
    Timestamps {
        last_access: ts(n.atime),
        last_modification: ts(n.mtime),
    }
}

/// Removes a non-directory that stands where an entry goes.
pub(super) fn replace(parent: &OwnedFd, name: &OsStr) {
    let _ = rfs::unlinkat(parent, name, AtFlags::empty());
}

/// What became of a regular file.
pub(super) enum Written {
    /// Its content was written.
    Yes,
    /// An existing file was kept (`--overwrite`).
    Kept,
}

/// The entry at `name` in `parent`, not following a symlink; `None` when
/// there is none (or it cannot be examined: then it is replaced).
pub(super) fn stat_at(parent: &OwnedFd, name: &OsStr) -> Option<Stat> {
    rfs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW).ok()
}

/// An entry's mtime as (seconds, nanoseconds).
#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
fn mtime_of(st: &Stat) -> (i64, i64) {
    // The field types differ between architectures.
    (st.st_mtime as i64, st.st_mtime_nsec as i64)
}

/// A device node's number.
#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
pub(super) fn rdev(st: &Stat) -> u64 {
    st.st_rdev as u64
}

fn node_mtime(node: &Node) -> (i64, i64) {
    (node.mtime.0, i64::from(node.mtime.1.min(999_999_999)))
}

/// Whether the snapshot's entry is newer than the existing one.
pub(super) fn newer(node: &Node, st: &Stat) -> bool {
    node_mtime(node) > mtime_of(st)
}

impl Ctx<'_> {
    /// Whether the existing entry `st` stays instead of `node`: `same` says
    /// whether it already is the snapshot's entry (asked for `if-changed`).
    pub(super) fn keeps(&self, st: &Stat, node: &Node, same: impl FnOnce() -> bool) -> bool {
        match self.overwrite {
            Overwrite::Always => false,
            Overwrite::Never => true,
            Overwrite::IfNewer => !newer(node, st),
            Overwrite::IfChanged => same(),
        }
    }
}

/// Largest data chunk the chunker makes; a longer one in the index is not
/// read to compare.
const MAX_CHUNK: u32 = 16 << 20;

/// The existing regular file `st` at `name`, opened, if it already is the
/// snapshot's: same size and mtime, and every chunk of it, cut at the
/// lengths of the snapshot's chunks, has the snapshot's keyed id.
fn unchanged_file(
    ctx: &Ctx<'_>,
    parent: &OwnedFd,
    name: &OsStr,
    node: &Node,
    st: &Stat,
) -> Option<OwnedFd> {
    let regular = |st: &Stat| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile;
    if !regular(st)
        || u64::try_from(st.st_size).ok() != Some(node.size)
        || mtime_of(st) != node_mtime(node)
    {
        return None;
    }
    // Non-blocking: a FIFO swapped in since the stat is not waited on.
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rfs::openat(parent, name, flags, Mode::empty()).ok()?;
    let now = rfs::fstat(&fd).ok()?;
    if !regular(&now) || now.st_dev != st.st_dev || now.st_ino != st.st_ino {
        return None;
    }
    let mut file = File::from(fd);
    same_chunks(&mut file, node, ctx.index, ctx.keys).ok()?;
    Some(OwnedFd::from(file))
}

/// Whether `file`, read from where it stands, cut at the lengths of
/// `node`'s chunks, has each chunk's keyed id and nothing after the last
/// one; else where it differs (used by `--overwrite if-changed` and by a
/// drill's read-back).
pub(crate) fn same_chunks(
    file: &mut impl Read,
    node: &Node,
    index: &crate::repo::Index,
    keys: &crate::crypto::Keys,
) -> std::result::Result<(), String> {
    let (mut offset, mut buf) = (0u64, Vec::new());
    for id in &node.content {
        let Some((_, loc)) = index.get(id) else {
            return Err(format!("chunk {} is in no index", id.short()));
        };
        let len = u64::from(loc.raw_length);
        if loc.raw_length > MAX_CHUNK || offset + len > node.size {
            return Err(format!(
                "its chunks hold more than the {} bytes recorded",
                node.size
            ));
        }
        buf.resize(loc.raw_length as usize, 0);
        file.read_exact(&mut buf)
            .map_err(|e| format!("reading it at byte {offset}: {e}"))?;
        if keys.chunk_id(&buf) != *id {
            return Err(format!(
                "bytes {offset}..{} differ from chunk {}",
                offset + len,
                id.short()
            ));
        }
        offset += len;
    }
    // Nothing after the last chunk.
    let more = file.read(&mut [0u8; 1]).map_err(|e| e.to_string())?;
    if offset != node.size || more != 0 {
        return Err(format!(
            "its chunks hold {offset} bytes, the snapshot records {}",
            node.size
        ));
    }
    Ok(())
}

/// Temporary names are unique within a run.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// A new file under a temporary name in `parent`.
fn temp_file(parent: &OwnedFd) -> rustix::io::Result<(OwnedFd, String)> {
    let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut tries = 0;
    loop {
        let name = temp_name();
        match rfs::openat(parent, &name, flags, Mode::from_raw_mode(0o600)) {
            // A snapshot's entry may have that name: take the next one.
            Err(Errno::EXIST) if tries < 100 => tries += 1,
            r => return r.map(|fd| (fd, name)),
        }
    }
}

/// What a temporary name starts with (then `PID-N`).
pub(super) const TEMP_PREFIX: &str = ".banana-restore-";

/// A temporary name (`.banana-restore-PID-N`) for an entry made, then
/// renamed to its own.
fn temp_name() -> String {
    format!(
        "{TEMP_PREFIX}{}-{}",
        std::process::id(),
        TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Makes `name` in `parent` a hard link to `first` in `dir`, replacing
/// whatever non-directory stands there in one rename.
pub(super) fn link_replacing(
    dir: &OwnedFd,
    first: &OsStr,
    parent: &OwnedFd,
    name: &OsStr,
) -> rustix::io::Result<()> {
    let temp = temp_name();
    rfs::linkat(dir, first, parent, temp.as_str(), AtFlags::empty())?;
    let r = rfs::renameat(parent, temp.as_str(), parent, name);
    // Gone after a rename; still there after a failed one, or when both
    // names were already links to the same file.
    let _ = rfs::unlinkat(parent, temp.as_str(), AtFlags::empty());
    r
}

/// A regular file: kept if `--overwrite` says so, else written whole under
/// a temporary name and renamed over whatever non-directory stands at its
/// name (a file, a symlink: replaced, never followed).
pub(super) fn write_file(
    reader: &mut BlobReader<'_>,
    ctx: &Ctx<'_>,
    parent: &OwnedFd,
    node: &Node,
    path: &Path,
) -> Result<Written> {
    let name = OsStr::from_bytes(&node.name);
    if let Some(st) = stat_at(parent, name) {
        if ctx.overwrite == Overwrite::IfChanged {
            if let Some(fd) = unchanged_file(ctx, parent, name, node, &st) {
                ctx.progress.bytes.fetch_add(node.size, Ordering::Relaxed);
                finish_fd(ctx, &fd, node, path);
                return Ok(Written::Kept);
            }
        } else if ctx.keeps(&st, node, || false) {
            return Ok(Written::Kept);
        }
    }
    let io = |e: Errno| Error::io(format!("restore {}", path.display()), e.into());
    let (fd, temp) = temp_file(parent).map_err(io)?;
    let mut file = File::from(fd);
    if let Err(e) = write_content(reader, ctx, &mut file, node, path) {
        drop(file);
        let _ = rfs::unlinkat(parent, temp.as_str(), AtFlags::empty());
        return Err(e);
    }
    finish_fd(ctx, &OwnedFd::from(file), node, path);
    if let Err(e) = rfs::renameat(parent, temp.as_str(), parent, name) {
        let _ = rfs::unlinkat(parent, temp.as_str(), AtFlags::empty());
        return Err(match e {
            Errno::ISDIR | Errno::NOTEMPTY | Errno::EXIST => Error::new(
                ErrorKind::BadInput,
                format!(
                    "cannot restore {}: a directory stands where the snapshot has a file",
                    path.display()
                ),
            )
            .hint("remove that directory, or restore into an empty one"),
            e => io(e),
        });
    }
    Ok(Written::Yes)
}

/// The order to read a file's chunks in, and where each goes in the file.
/// By their place in their packs: two compression workers may have packed
/// a file's chunks out of order, and a pack read front to back lets its
/// range reads grow (on S3 a restore of the bench's large corpus went from
/// 916 requests to 232). Without every chunk in the index, in file order
/// (the missing one's read fails with its own message); so too a file of
/// one chunk, which has no order to find (no index lookup for it).
fn read_order(reader: &BlobReader<'_>, node: &Node) -> (Vec<usize>, Option<Vec<u64>>) {
    let in_file_order = || ((0..node.content.len()).collect(), None);
    if node.content.len() < 2 {
        return in_file_order();
    }
    let Some(places) = reader.places(&node.content) else {
        return in_file_order();
    };
    let mut offsets = Vec::with_capacity(places.len());
    let mut at = 0u64;
    for (_, len) in &places {
        offsets.push(at);
        at += len;
    }
    let mut order: Vec<usize> = (0..places.len()).collect();
    order.sort_by_key(|&i| (places[i].0, i));
    (order, Some(offsets))
}

fn write_content(
    reader: &mut BlobReader<'_>,
    ctx: &Ctx<'_>,
    file: &mut File,
    node: &Node,
    path: &Path,
) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let io = |e: std::io::Error| Error::io(format!("restore {}", path.display()), e);
    let (order, offsets) = read_order(reader, node);
    // Bytes read so far, and the end of the last byte written: a file
    // whose end is a hole has its length set.
    let (mut total, mut written) = (0u64, 0u64);
    for i in order {
        let data = reader.read(&node.content[i])?;
        let at = offsets.as_ref().map_or(total, |o| o[i]);
        // Sparse: all-zero 4 KiB blocks stay holes; each run of other
        // blocks is one write.
        let mut run = 0;
        for (b, block) in data.chunks(4096).enumerate() {
            let start = b * 4096;
            if block.iter().all(|&x| x == 0) {
                if run < start {
                    file.write_all_at(&data[run..start], at + run as u64)
                        .map_err(io)?;
                    written = written.max(at + start as u64);
                }
                run = start + block.len();
            }
        }
        if run < data.len() {
            file.write_all_at(&data[run..], at + run as u64)
                .map_err(io)?;
            written = written.max(at + data.len() as u64);
        }
        total += data.len() as u64;
        lock(&ctx.out).bytes += data.len() as u64;
        ctx.progress
            .bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        // The bytes advance as they are written, not only between entries.
        ctx.obs.progress(ctx.progress);
    }
    if total != node.size {
        ctx.warn(
            path,
            format!(
                "restored {total} bytes, the snapshot recorded {}",
                node.size
            ),
        );
    }
    if written < total {
        file.set_len(total).map_err(io)?;
    }
    Ok(())
}

/// The permission bits to apply: without setuid, setgid and sticky in an
/// untrusted restore.
fn mode(ctx: &Ctx<'_>, node: &Node) -> u32 {
    let mode = node.mode & 0o7777;
    if mode & 0o7000 != 0 && ctx.drop_untrusted("setuid/setgid/sticky bits") {
        return mode & 0o777;
    }
    mode
}

/// Owner, xattrs, mode and times on an open file or directory.
pub(super) fn finish_fd(ctx: &Ctx<'_>, fd: &OwnedFd, node: &Node, path: &Path) {
    if ctx.root_owner {
        let (uid, gid) = ctx.owner(node);
        if let Err(e) = rfs::fchown(fd, Some(uid), Some(gid)) {
            ctx.warn(path, format!("cannot set owner: {e}"));
        }
    }
    for x in &node.xattrs {
        let privileged = x.name.starts_with(b"security.") || x.name.starts_with(b"trusted.");
        if privileged && ctx.drop_untrusted("security.*/trusted.* extended attributes") {
            continue;
        }
        if let Err(e) = rfs::fsetxattr(
            fd,
            OsStr::from_bytes(&x.name),
            &x.value,
            XattrFlags::empty(),
        ) {
            ctx.warn(
                path,
                format!(
                    "cannot set extended attribute {}: {e}",
                    String::from_utf8_lossy(&x.name)
                ),
            );
        }
    }
    if let Err(e) = rfs::fchmod(fd, Mode::from_raw_mode(mode(ctx, node))) {
        ctx.warn(path, format!("cannot set mode: {e}"));
    }
    if let Err(e) = rfs::futimens(fd, &timestamps(node)) {
        ctx.warn(path, format!("cannot set times: {e}"));
    }
}

/// Owner, mode and times of a symlink or device node, without following it.
pub(super) fn finish_at(ctx: &Ctx<'_>, parent: &OwnedFd, node: &Node, path: &Path) {
    let name = OsStr::from_bytes(&node.name);
    if ctx.root_owner {
        let (uid, gid) = ctx.owner(node);
        if let Err(e) = rfs::chownat(
            parent,
            name,
            Some(uid),
            Some(gid),
            AtFlags::SYMLINK_NOFOLLOW,
        ) {
            ctx.warn(path, format!("cannot set owner: {e}"));
        }
    }
    if node.kind != NodeKind::Symlink {
        if let Err(e) = rfs::chmodat(
            parent,
            name,
            Mode::from_raw_mode(mode(ctx, node)),
            AtFlags::empty(),
        ) {
            ctx.warn(path, format!("cannot set mode: {e}"));
        }
    }
    if let Err(e) = rfs::utimensat(parent, name, &timestamps(node), AtFlags::SYMLINK_NOFOLLOW) {
        ctx.warn(path, format!("cannot set times: {e}"));
    }
}

impl Ctx<'_> {
    /// Numeric ids; a name that exists on this machine wins over the number.
    fn owner(&self, node: &Node) -> (rfs::Uid, rfs::Gid) {
        let mut names = lock(&self.names);
        let mut look = |group: bool, name: &Option<String>| -> Option<u32> {
            let name = name.as_ref()?;
            *names.entry((group, name.clone())).or_insert_with(|| {
                if group {
                    nix::unistd::Group::from_name(name)
                        .ok()
                        .flatten()
                        .map(|g| g.gid.as_raw())
                } else {
                    nix::unistd::User::from_name(name)
                        .ok()
                        .flatten()
                        .map(|u| u.uid.as_raw())
                }
            })
        };
        let uid = look(false, &node.user).unwrap_or(node.uid);
        let gid = look(true, &node.group).unwrap_or(node.gid);
        (rfs::Uid::from_raw(uid), rfs::Gid::from_raw(gid))
    }
}

/// Creates (0700 for an untrusted restore) and opens the target directory,
/// and checks that it can be written.
pub(super) fn open_target(opts: &super::RestoreOptions) -> Result<OwnedFd> {
    let what = || format!("restore target {}", opts.target.display());
    // What is there already, in a sentence (not `File exists (os error 17)`).
    if let Ok(m) = std::fs::metadata(&opts.target) {
        if !m.is_dir() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "restore target {} is a file, not a directory",
                    opts.target.display()
                ),
            )
            .hint("give --target a directory (it is created if missing)"));
        }
    } else if let Some(above) = opts
        .target
        .ancestors()
        .skip(1)
        .find(|a| std::fs::symlink_metadata(a).is_ok())
    {
        if !above.is_dir() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "restore target {}: {} is a file, not a directory",
                    opts.target.display(),
                    above.display()
                ),
            )
            .hint("give --target a path below a directory"));
        }
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    if opts.untrusted {
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    }
    builder
        .create(&opts.target)
        .map_err(|e| Error::io(what(), e))?;
    let root = rfs::open(
        &opts.target,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io(what(), e.into()))?;
    if opts.untrusted {
        rfs::fchmod(&root, Mode::from_raw_mode(0o700)).map_err(|e| Error::io(what(), e.into()))?;
    }
    probe_writable(&root, &opts.target)?;
    Ok(root)
}

fn probe_writable(root: &OwnedFd, target: &Path) -> Result<()> {
    let name = format!(".banana-probe-{}", std::process::id());
    let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC;
    match rfs::openat(root, &name, flags, Mode::from_raw_mode(0o600)) {
        Ok(_) => {
            let _ = rfs::unlinkat(root, &name, AtFlags::empty());
            Ok(())
        }
        Err(e) => Err(Error::io(
            format!("restore target {}", target.display()),
            e.into(),
        )),
    }
}
