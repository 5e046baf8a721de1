//! Acceptance 3: an unchanged tree is not read again; lost state costs time only.

use crate::util::*;
use std::time::Instant;

#[test]
fn unchanged_20000_files_read_nothing() {
    let e = Env::new();
    let src = e.path("src");
    for i in 0..20_000u32 {
        write(
            &src.join(format!("d{:03}/f{i:05}.txt", i % 200)),
            format!("file {i}\n")
                .repeat(1 + (i % 7) as usize)
                .as_bytes(),
        );
    }
    let t = Instant::now();
    let first = e.backup(&[&src]);
    let t_first = t.elapsed();
    assert_eq!(first["files"], 20_000);
    assert!(first["bytes_read"].as_u64().unwrap() > 0);
    let t = Instant::now();
    let second = e.backup(&[&src]);
    let t_second = t.elapsed();
    println!("first backup {t_first:?}, unchanged backup {t_second:?}");
    assert_eq!(second["bytes_read"], 0, "{second}");
    assert_eq!(second["files_unchanged"], 20_000);
    assert_eq!(
        second["bytes_added"], 0,
        "no new data, only directory metadata (atimes): {second}"
    );

    // One file changes: only it is read.
    write(&src.join("d005/f00005.txt"), b"changed\n");
    let third = e.backup(&[&src]);
    assert_eq!(third["bytes_read"], 8, "{third}");

    // Losing the local state costs a full read, but nothing new is stored.
    std::fs::remove_dir_all(&e.state).unwrap();
    let fourth = e.backup(&[&src]);
    assert!(fourth["bytes_read"].as_u64().unwrap() > 0);
    assert_eq!(
        fourth["chunks_added"], 0,
        "dedup works from the repository's index alone: {fourth}"
    );
}

#[test]
fn changed_file_is_detected_by_ctime_even_with_same_mtime_and_size() {
    let e = Env::new();
    let f = e.path("src/f");
    write(&f, b"aaaa");
    let m = std::fs::metadata(&f).unwrap();
    e.backup(&[&e.path("src")]);
    write(&f, b"bbbb");
    let mtime = filetime_of(&m);
    rustix::fs::utimensat(rustix::fs::CWD, &f, &mtime, rustix::fs::AtFlags::empty()).unwrap();
    let s = e.backup(&[&e.path("src")]);
    assert_eq!(s["bytes_read"], 4, "ctime changed, file must be read: {s}");
    let target = e.path("t");
    e.restore("latest", &target).ok();
    assert_eq!(std::fs::read(restored(&target, &f)).unwrap(), b"bbbb");
}

fn filetime_of(m: &std::fs::Metadata) -> rustix::fs::Timestamps {
    use std::os::unix::fs::MetadataExt;
    let ts = |s, n| rustix::fs::Timespec {
        tv_sec: s,
        tv_nsec: n,
    };
    rustix::fs::Timestamps {
        last_access: ts(m.atime(), m.atime_nsec()),
        last_modification: ts(m.mtime(), m.mtime_nsec()),
    }
}

/// An unchanged file's extended attributes come from the catalogue (no
/// `listxattr`); setting one changes the ctime, so the new value is read.
#[test]
fn extended_attributes_survive_unchanged_backups_and_changes_are_seen() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("kept"), b"kept");
    write(&src.join("changed"), b"changed");
    write(&src.join("plain"), b"plain");
    xattr::set(src.join("kept"), "user.colour", b"yellow").unwrap();
    xattr::set(src.join("changed"), "user.colour", b"green").unwrap();
    e.backup(&[&src]);
    let second = e.backup(&[&src]);
    assert_eq!(second["files_unchanged"], 3, "{second}");
    xattr::set(src.join("changed"), "user.colour", b"brown").unwrap();
    xattr::set(src.join("plain"), "user.new", b"1").unwrap();
    let third = e.backup(&[&src]);
    assert_eq!(third["files_unchanged"], 1, "a new ctime: {third}");
    let target = e.path("t");
    e.restore("latest", &target).ok();
    let dst = restored(&target, &src);
    let get = |f: &str, n: &str| xattr::get(dst.join(f), n).unwrap();
    assert_eq!(get("kept", "user.colour").as_deref(), Some(&b"yellow"[..]));
    assert_eq!(
        get("changed", "user.colour").as_deref(),
        Some(&b"brown"[..])
    );
    assert_eq!(get("plain", "user.new").as_deref(), Some(&b"1"[..]));
}
