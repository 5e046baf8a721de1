//! Acceptance 1: a tree with every kind of entry and metadata restores identical.

use crate::util::*;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
struct Meta {
    kind: &'static str,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: (i64, i64),
    atime: Option<(i64, i64)>,
    rdev: u64,
    target: Option<PathBuf>,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

fn kind(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_dir() {
        "dir"
    } else if t.is_symlink() {
        "symlink"
    } else if t.is_file() {
        "file"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_char_device() {
        "chardev"
    } else if t.is_block_device() {
        "blockdev"
    } else {
        "other"
    }
}

/// Metadata of every entry below `root`, keyed by relative path, read without
/// opening files (so atimes are untouched).
fn scan(root: &Path) -> BTreeMap<PathBuf, Meta> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let k = kind(&m);
            let mut xattrs: Vec<(Vec<u8>, Vec<u8>)> = if k == "symlink" {
                vec![]
            } else {
                xattr::list(&p)
                    .unwrap()
                    .map(|n| (n.as_bytes().to_vec(), xattr::get(&p, &n).unwrap().unwrap()))
                    .collect()
            };
            xattrs.sort();
            out.insert(
                p.strip_prefix(root).unwrap().to_owned(),
                Meta {
                    kind: k,
                    mode: if k == "symlink" { 0 } else { m.mode() & 0o7777 },
                    uid: m.uid(),
                    gid: m.gid(),
                    size: if k == "file" { m.len() } else { 0 },
                    mtime: (m.mtime(), m.mtime_nsec()),
                    atime: (k == "file").then(|| (m.atime(), m.atime_nsec())),
                    rdev: m.rdev(),
                    target: (k == "symlink").then(|| std::fs::read_link(&p).unwrap()),
                    xattrs,
                },
            );
            if k == "dir" {
                stack.push(p);
            }
        }
    }
    out
}

fn set_times(p: &Path, secs: i64, nsec: i64) {
    use rustix::fs::{utimensat, AtFlags, Timespec, Timestamps, CWD};
    let t = Timestamps {
        last_access: Timespec {
            tv_sec: secs - 1000,
            tv_nsec: nsec / 2,
        },
        last_modification: Timespec {
            tv_sec: secs,
            tv_nsec: nsec,
        },
    };
    utimensat(CWD, p, &t, AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

fn build(src: &Path, root: bool) -> Vec<PathBuf> {
    let f = |rel: &str| src.join(rel);
    write(&f("empty"), b"");
    write(&f("text.txt"), "fn main() {}\n".repeat(500).as_bytes());
    write(&f("dir/big.bin"), &random_bytes(1, 3 << 20));
    let odd = src.join(OsStr::from_bytes(b"latin1-\xe9t\xe9"));
    std::fs::write(&odd, b"non-UTF-8 name").unwrap();
    write(&f(&"L".repeat(255)), b"long name");
    let mut deep = src.join("deep");
    for i in 0..60 {
        deep.push(format!("level{i:04}"));
    }
    write(&deep.join("leaf"), b"deep file");
    std::fs::create_dir_all(f("private")).unwrap();
    std::fs::set_permissions(f("private"), std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::create_dir_all(f("sticky")).unwrap();
    std::fs::set_permissions(f("sticky"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    write(&f("setuid"), b"#!/bin/sh\n");
    std::fs::set_permissions(f("setuid"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    symlink("text.txt", f("rel-link")).unwrap();
    symlink("/nonexistent/target", f("dangling")).unwrap();
    write(&f("hard/a"), b"one inode, two names");
    std::fs::hard_link(f("hard/a"), f("hard/b")).unwrap();
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut sp = std::fs::File::create(f("sparse")).unwrap();
        sp.write_all(b"start").unwrap();
        sp.seek(SeekFrom::Start(9 << 20)).unwrap();
        sp.write_all(b"end").unwrap();
        sp.set_len(10 << 20).unwrap();
    }
    nix::unistd::mkfifo(&f("fifo"), nix::sys::stat::Mode::from_bits_truncate(0o640)).unwrap();
    xattr::set(f("text.txt"), "user.banana", b"yellow").unwrap();
    xattr::set(f("dir"), "user.dir", b"\x00binary\xff").unwrap();
    if root {
        use nix::sys::stat::{makedev, mknod, Mode, SFlag};
        mknod(
            &f("null-like"),
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o644),
            makedev(1, 3),
        )
        .unwrap();
        mknod(
            &f("block"),
            SFlag::S_IFBLK,
            Mode::from_bits_truncate(0o600),
            makedev(7, 200),
        )
        .unwrap();
        nix::unistd::chown(&f("text.txt"), Some(1234.into()), Some(5678.into())).unwrap();
        nix::unistd::fchownat(
            None,
            &f("rel-link"),
            Some(4321.into()),
            Some(8765.into()),
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .unwrap();
    }
    // Times last, deepest first, so creating children does not move them.
    let mut all: Vec<PathBuf> = scan(src).into_keys().map(|p| src.join(p)).collect();
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for (i, p) in all.iter().enumerate() {
        set_times(p, 1_600_000_000 + i as i64, 123_456_789 - i as i64);
    }
    vec![odd]
}

#[test]
fn every_kind_of_entry_round_trips() {
    round_trip(&Env::new());
}

/// The same on S3: byte-identical, `check --read-data` clean, and no
/// plaintext marker anywhere in the server's data directory.
#[test]
fn every_kind_of_entry_round_trips_on_s3() {
    let Some(e) = Env::s3("roundtrip") else {
        return;
    };
    let data = &testkit::seaweed::server().unwrap().data;
    round_trip_leaving_no_plaintext(&e, data);
}

pub fn round_trip(e: &Env) {
    let root = is_root();
    let src = e.path("src");
    build(&src, root);
    let before = scan(&src);
    e.backup(&[&src]);
    let target = e.path("restore");
    e.restore("latest", &target).ok();
    let dst = restored(&target, &src);
    let after = scan(&dst);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (rel, want) in &before {
        let got = &after[rel];
        let mut want_cmp = want.clone();
        if !root {
            want_cmp.uid = got.uid;
            want_cmp.gid = got.gid;
        }
        assert_eq!(&want_cmp, got, "metadata of {}", rel.display());
    }
    // Contents, after metadata (reading moves atimes).
    for (rel, m) in &before {
        if m.kind == "file" {
            assert!(
                std::fs::read(src.join(rel)).unwrap() == std::fs::read(dst.join(rel)).unwrap(),
                "content of {}",
                rel.display()
            );
        }
    }
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
    assert_eq!(
        ino(&dst.join("hard/a")),
        ino(&dst.join("hard/b")),
        "hard links stay linked"
    );
    let sparse = std::fs::metadata(dst.join("sparse")).unwrap();
    assert!(
        sparse.blocks() * 512 < sparse.len() / 2,
        "holes preserved: {} blocks",
        sparse.blocks()
    );
}

#[test]
fn stdin_stream_round_trips_and_dump_works() {
    let e = Env::new();
    let data = random_bytes(7, 3_000_000);
    let mut c = e.cmd(&["--json", "backup", "--stdin", "--stdin-name", "db.sql"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&data).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let dump = e.run(&["dump", "latest", "/db.sql"]).ok();
    assert!(dump.raw == data, "dump returns the stream");
}

#[test]
fn include_restores_only_that_subtree_and_excludes_apply() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("keep/a"), b"a");
    write(&src.join("other/b"), b"b");
    write(&src.join("keep/skip.tmp"), b"tmp");
    let s = src.display().to_string();
    e.run(&["backup", &s, "--exclude", "*.tmp"]).ok();
    let target = e.path("t");
    let inc = src.join("keep").display().to_string();
    e.run(&[
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--include",
        &inc,
    ])
    .ok();
    let dst = restored(&target, &src);
    assert_eq!(std::fs::read(dst.join("keep/a")).unwrap(), b"a");
    assert!(!dst.join("other").exists());
    assert!(!dst.join("keep/skip.tmp").exists());
}

/// [`round_trip`] with a marker in an incompressible file (no server-side
/// compression can hide it), then `check --read-data`, then no byte of the
/// marker in any file below `stored` (the server's own storage), which must
/// hold the backup.
pub fn round_trip_leaving_no_plaintext(e: &Env, stored: &Path) {
    let marker = "BANANA-PLAINTEXT-MARKER-4d1e-7a0c";
    let mut raw = random_bytes(9, 1 << 20);
    raw[4096..4096 + marker.len()].copy_from_slice(marker.as_bytes());
    write(&e.path("src/marker.bin"), &raw);
    round_trip(e);
    let r = e.run(&["--json", "check", "--read-data"]).ok();
    assert_eq!(r.summary()["problems"], 0, "{}", r.stdout);
    let (mut found, mut total) = (Vec::new(), 0);
    walk_files(stored, &mut |p| {
        let bytes = std::fs::read(p).unwrap_or_default();
        total += bytes.len();
        if bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
            found.push(p.to_owned());
        }
    });
    assert!(
        total > 1 << 20,
        "{} holds the backup ({total} bytes)",
        stored.display()
    );
    assert!(
        found.is_empty(),
        "plaintext in the server's files: {found:?}"
    );
}

/// A restore reads a file's chunks in the order they lie in their packs
/// (two compression workers may pack them out of order) and writes each at
/// its place: the file comes back byte for byte, a chunk used twice twice,
/// and the zeros at its end a hole of the right length.
#[test]
fn a_file_whose_chunks_lie_out_of_order_in_their_pack_restores_byte_for_byte() {
    use common::format::tree::Node;
    use common::format::NodeKind;
    use std::os::unix::fs::MetadataExt;
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("seed"), b"seed");
    e.run(&["backup", src.to_str().unwrap()]).ok();
    let mut c = Crafter::open(&e);
    let chunks = [
        random_bytes(1, 300_000),
        random_bytes(2, 5_000),
        random_bytes(3, 70_000),
        vec![0u8; 64 * 4096 + 17],
    ];
    // Packed in that order; the file is the third, the zeros, the first,
    // the third again, the second, and the zeros again at its end.
    let ids: Vec<common::Id> = chunks.iter().map(|b| c.data(b)).collect();
    let order = [2, 3, 0, 2, 1, 3];
    let want: Vec<u8> = order.iter().flat_map(|&i| chunks[i].clone()).collect();
    let mut node = Node::new(b"f", NodeKind::File);
    node.mode = 0o644;
    node.size = want.len() as u64;
    node.content = order.iter().map(|&i| ids[i]).collect();
    let root = c.tree(vec![node]);
    let snap = c.snapshot(root);
    let out = e.path("out");
    e.restore(&snap, &out).ok();
    let got = std::fs::read(out.join("f")).unwrap();
    assert!(
        got == want,
        "restored {} bytes, want {}",
        got.len(),
        want.len()
    );
    let m = std::fs::metadata(out.join("f")).unwrap();
    assert!(
        m.blocks() * 512 < want.len() as u64 - 64 * 4096,
        "the zeros are holes: {} blocks",
        m.blocks()
    );
}
