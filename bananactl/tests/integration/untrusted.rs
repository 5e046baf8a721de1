//! Snapshots from a compromised node: `restore --untrusted` drops privileges a
//! snapshot claims; trees that nest without end, contain themselves or expand
//! exponentially are refused by every walk; names with escape sequences are
//! printed inert.

use crate::util::*;
use common::format::tree::{Node, NodeKind, Xattr};
use serde_bytes::ByteBuf;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// A valid `security.capability` (v2): cap_net_raw permitted and effective.
fn cap_net_raw() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(0x0200_0000u32 | 1).to_le_bytes());
    v.extend_from_slice(&(1u32 << 13).to_le_bytes());
    v.extend_from_slice(&[0u8; 12]);
    v
}

#[test]
fn an_untrusted_restore_drops_setuid_capabilities_and_devices() {
    if !need_root("restoring a setuid root file and a device") {
        return;
    }
    let e = Env::new();
    write(&e.path("src/ok"), b"fine");
    e.backup(&[&e.path("src")]);
    let mut c = Crafter::open(&e);
    let content = c.data(b"#!/bin/sh\nid\n");
    let mut suid = Node::new(b"suid", NodeKind::File);
    suid.mode = 0o4755;
    suid.uid = 4321;
    suid.gid = 4321;
    suid.size = 12;
    suid.content = vec![content];
    suid.xattrs = vec![Xattr {
        name: ByteBuf::from(b"security.capability".to_vec()),
        value: ByteBuf::from(cap_net_raw()),
    }];
    let mut dev = Node::new(b"null", NodeKind::Chardev);
    dev.mode = 0o666;
    dev.rdev = libc_makedev(1, 3);
    let mut fifo = Node::new(b"pipe", NodeKind::Fifo);
    fifo.mode = 0o666;
    let root = c.tree(vec![dev, fifo, suid]);
    let snap = c.snapshot(root);
    let target = e.path("forensics");
    let r = e
        .run(&[
            "restore",
            &snap,
            "--untrusted",
            "--target",
            target.to_str().unwrap(),
        ])
        .ok();
    let m = std::fs::metadata(target.join("suid")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o755, "setuid dropped");
    assert_eq!(m.uid(), 0, "owned by the restoring user");
    assert!(
        xattr::get(target.join("suid"), "security.capability")
            .unwrap()
            .is_none(),
        "capability dropped"
    );
    assert!(!target.join("null").exists(), "no device node");
    assert!(!target.join("pipe").exists(), "no FIFO");
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for what in [
        "1 setuid/setgid/sticky bits",
        "1 device nodes",
        "1 FIFOs",
        "1 security.*/trusted.* extended attributes",
    ] {
        assert_eq!(
            r.stderr.matches(what).count(),
            1,
            "reported once: {what}\n{}",
            r.stderr
        );
    }
    // Without the flag the same snapshot is restored faithfully.
    let faithful = e.path("faithful");
    e.restore(&snap, &faithful).ok();
    let m = std::fs::metadata(faithful.join("suid")).unwrap();
    assert_eq!((m.mode() & 0o7777, m.uid()), (0o4755, 4321));
    assert!(xattr::get(faithful.join("suid"), "security.capability")
        .unwrap()
        .is_some());
    assert!(faithful.join("null").exists() && faithful.join("pipe").exists());
}

fn libc_makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfffff000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffffff00) << 12)
        | (minor & 0xff)
}

/// A chain of `depth` nested directories ending in a file.
fn chain(c: &mut Crafter, depth: usize) -> common::Id {
    let content = c.data(b"bottom");
    let mut f = Node::new(b"f", NodeKind::File);
    f.size = 6;
    f.content = vec![content];
    let mut id = c.tree(vec![f]);
    for _ in 0..depth {
        let mut d = Node::new(b"d", NodeKind::Dir);
        d.subtree = Some(id);
        id = c.tree(vec![d]);
    }
    id
}

#[test]
fn endless_and_exponential_trees_are_refused_by_every_walk() {
    let e = Env::new();
    write(&e.path("src/ok"), b"fine");
    e.backup(&[&e.path("src")]);
    let mut c = Crafter::open(&e);
    // 5,000 levels: deeper than any reader walks.
    let root = chain(&mut c, 5000);
    let deep = c.snapshot(root);
    // 60 levels of two names for the same subtree: 2^60 entries.
    let mut id = chain(&mut c, 0);
    for _ in 0..60 {
        let mut a = Node::new(b"a", NodeKind::Dir);
        a.subtree = Some(id);
        let mut b = a.clone();
        b.name = ByteBuf::from(b"b".to_vec());
        id = c.tree(vec![a, b]);
    }
    let wide = c.snapshot(id);
    for (snap, why) in [(&deep, "deeper than 4096"), (&wide, "more than")] {
        let short = &snap[..8];
        let target = e.path(&format!("t-{short}"));
        for args in [
            vec!["ls", snap.as_str()],
            vec![
                "restore",
                snap.as_str(),
                "--target",
                target.to_str().unwrap(),
            ],
        ] {
            let r = e.run(&args).code(13);
            let line = r.one_line_error();
            assert!(
                line.contains(short) && line.contains(why),
                "{args:?}: {line}"
            );
        }
    }
    // check walks each distinct tree once (no expansion), and refuses the
    // endless one, naming it.
    let r = e.run(&["check"]).code(13);
    assert!(
        r.stderr.contains(&deep[..8]) && r.stderr.contains("deeper than 4096"),
        "{}",
        r.stderr
    );
}

#[test]
fn escape_sequences_in_names_are_printed_inert() {
    let e = Env::new();
    let evil = "\u{1b}]0;owned\u{7}";
    let dir = e.path(&format!("src/{evil}dir"));
    write(&dir.join(evil), b"x");
    e.backup(&[&dir]);
    let ls = e.run(&["ls", "latest"]).ok();
    let snaps = e.run(&["snapshots"]).ok();
    // A restore warning naming the file: its content is missing.
    let mut c = Crafter::open(&e);
    let mut f = Node::new(evil.as_bytes(), NodeKind::File);
    f.size = 3;
    f.content = vec![common::Id([7; 32])];
    let root = c.tree(vec![f]);
    let snap = c.snapshot(root);
    let t = e.path("t");
    let restore = e.restore(&snap, &t).code(13);
    for (what, r) in [("ls", &ls), ("snapshots", &snaps), ("restore", &restore)] {
        assert!(
            !r.stdout.contains('\u{1b}') && !r.stderr.contains('\u{1b}'),
            "{what} printed an escape: {:?} {:?}",
            r.stdout,
            r.stderr
        );
    }
    assert!(ls.stdout.contains("\\x1b]0;owned\\x07"), "{}", ls.stdout);
    assert!(
        restore.stderr.contains("\\x1b]0;owned\\x07"),
        "{}",
        restore.stderr
    );
    // JSON keeps the exact name (escaped by JSON, decoded back).
    let lines = e.run(&["--json", "ls", "latest"]).ok().json();
    assert!(lines.iter().any(|l| l["path"]
        .as_str()
        .is_some_and(|p| p.ends_with(&format!("/{evil}")))));
}
