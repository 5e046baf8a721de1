//! Issue 23 item 3: restore into a non-empty target. `--overwrite
//! always|if-changed|if-newer|never` (default if-changed: a file whose size,
//! mtime and content already match is kept as it is) and `--delete` (what the
//! snapshot does not have goes, below the restored paths only).

use crate::util::*;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};

fn ino(p: &Path) -> u64 {
    std::fs::symlink_metadata(p).unwrap().ino()
}

/// Sets `p`'s mtime (and atime) to `(sec, nsec)`.
fn set_mtime(p: &Path, (sec, nsec): (i64, i64)) {
    use rustix::fs::{utimensat, AtFlags, Timespec, Timestamps, CWD};
    let t = Timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    };
    let times = Timestamps {
        last_access: t,
        last_modification: t,
    };
    utimensat(CWD, p, &times, AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

fn mtime(p: &Path) -> (i64, i64) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.mtime(), m.mtime_nsec())
}

/// A source of four files, backed up; the restore target; where the source
/// lands in it.
fn setup() -> (Env, PathBuf, PathBuf) {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("a.txt"), b"alpha alpha");
    write(&src.join("b.txt"), b"bravo bravo");
    write(&src.join("c.txt"), b"charlie");
    write(&src.join("sub/d.txt"), &random_bytes(7, 300_000));
    e.backup(&[&src]);
    let target = e.path("target");
    let out = restored(&target, &src);
    (e, target, out)
}

fn restore_json(e: &Env, target: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["restore", "latest", "--target", target.to_str().unwrap()];
    args.extend_from_slice(extra);
    e.json(&args)
}

/// No temporary name of a restore is left anywhere below `dir`.
fn no_leftovers(dir: &Path) {
    walk_files(dir, &mut |p| {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(
            !name.starts_with(".banana-"),
            "left behind: {}",
            p.display()
        );
    });
}

#[test]
fn if_changed_is_the_default_and_keeps_only_files_that_match() {
    let (e, target, out) = setup();
    e.restore("latest", &target).ok();
    let src = e.path("src");
    let (a, b, c, d) = (
        out.join("a.txt"),
        out.join("b.txt"),
        out.join("c.txt"),
        out.join("sub/d.txt"),
    );
    let a_ino = ino(&a);
    // Same size and mtime, other content: only the hash tells.
    let b_mtime = mtime(&b);
    std::fs::write(&b, b"BRAVO BRAVO").unwrap();
    set_mtime(&b, b_mtime);
    // Another size.
    std::fs::write(&c, b"charlie, longer").unwrap();
    // Gone.
    std::fs::remove_file(&d).unwrap();

    let s = restore_json(&e, &target, &[]);
    assert_eq!(s["skipped"], 1, "{s}");
    assert_eq!(s["files"], 3, "{s}");
    assert_eq!(ino(&a), a_ino, "a matching file is not rewritten");
    same_tree(&src, &out);
    assert_eq!(mtime(&b), b_mtime);
    no_leftovers(&target);

    // An explicit --overwrite if-changed is the same; all four now match.
    let s = restore_json(&e, &target, &["--overwrite", "if-changed"]);
    assert_eq!(
        (s["files"].as_u64(), s["skipped"].as_u64()),
        (Some(0), Some(4)),
        "{s}"
    );
    assert_eq!(ino(&a), a_ino);
    let r = e.restore("latest", &target).ok();
    assert!(
        r.stdout.contains("4 existing entries skipped"),
        "{}",
        r.stdout
    );
}

#[test]
fn if_changed_rewrites_a_matching_file_with_another_mtime() {
    let (e, target, out) = setup();
    e.restore("latest", &target).ok();
    let a = out.join("a.txt");
    let (a_ino, a_mtime) = (ino(&a), mtime(&a));
    // Content and size as in the snapshot, mtime not (a file an
    // interrupted restore of another tool left behind).
    set_mtime(&a, (a_mtime.0 - 3600, 0));
    let s = restore_json(&e, &target, &[]);
    assert_eq!(
        (s["files"].as_u64(), s["skipped"].as_u64()),
        (Some(1), Some(3)),
        "{s}"
    );
    assert_ne!(ino(&a), a_ino, "rewritten under a new name, then renamed");
    assert_eq!(mtime(&a), a_mtime);
}

#[test]
fn never_leaves_existing_files_as_they_are() {
    let (e, target, out) = setup();
    let a = out.join("a.txt");
    write(&a, b"mine, not the snapshot's");
    let a_ino = ino(&a);
    let r = e
        .run(&[
            "restore",
            "latest",
            "--target",
            target.to_str().unwrap(),
            "--overwrite",
            "never",
        ])
        .ok();
    assert!(
        r.stdout.contains("3 files") && r.stdout.contains("1 existing entry skipped"),
        "{}",
        r.stdout
    );
    assert_eq!(std::fs::read(&a).unwrap(), b"mine, not the snapshot's");
    assert_eq!(ino(&a), a_ino);
    assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"bravo bravo");
    assert_eq!(std::fs::read(out.join("c.txt")).unwrap(), b"charlie");
}

#[test]
fn if_newer_replaces_only_files_older_than_the_snapshots() {
    let (e, target, out) = setup();
    e.restore("latest", &target).ok();
    let (a, b) = (out.join("a.txt"), out.join("b.txt"));
    let snap_mtime = mtime(&a);
    std::fs::write(&a, b"older local edit").unwrap();
    set_mtime(&a, (snap_mtime.0 - 86_400, 0));
    std::fs::write(&b, b"newer local edit").unwrap();
    set_mtime(&b, (mtime(&out.join("b.txt")).0 + 86_400, 0));
    let b_ino = ino(&b);
    let s = restore_json(&e, &target, &["--overwrite", "if-newer"]);
    assert_eq!(
        std::fs::read(&a).unwrap(),
        b"alpha alpha",
        "older: replaced"
    );
    assert_eq!(
        std::fs::read(&b).unwrap(),
        b"newer local edit",
        "newer: kept"
    );
    assert_eq!(ino(&b), b_ino);
    // a replaced; b kept, c and d the same age as the snapshot's: kept.
    assert_eq!(
        (s["files"].as_u64(), s["skipped"].as_u64()),
        (Some(1), Some(3)),
        "{s}"
    );
}

#[test]
fn always_rewrites_files_that_already_match() {
    let (e, target, out) = setup();
    e.restore("latest", &target).ok();
    let a = out.join("a.txt");
    let a_ino = ino(&a);
    let s = restore_json(&e, &target, &["--overwrite", "always"]);
    assert_eq!(
        (s["files"].as_u64(), s["skipped"].as_u64()),
        (Some(4), Some(0)),
        "{s}"
    );
    assert_ne!(ino(&a), a_ino);
    same_tree(&e.path("src"), &out);
    no_leftovers(&target);
}

#[test]
fn delete_removes_what_the_snapshot_lacks_below_the_restored_paths_only() {
    let (e, target, out) = setup();
    e.restore("latest", &target).ok();
    // Extra entries below the backed-up path: a file, a directory tree, a
    // symlink to a directory outside the target (removed, never followed).
    let outside = e.path("outside");
    write(&outside.join("precious"), b"not below the target");
    write(&out.join("extra.txt"), b"x");
    write(&out.join("sub/extra-dir/deeper/inner.txt"), b"x");
    symlink(&outside, out.join("sub/link-out")).unwrap();
    // Beside and above the backed-up path: not the snapshot's business.
    let beside = out.parent().unwrap().join("beside.txt");
    write(&beside, b"keep");
    write(&target.join("top.txt"), b"keep");

    let r = e
        .run(&[
            "restore",
            "latest",
            "--target",
            target.to_str().unwrap(),
            "--delete",
        ])
        .ok();
    assert!(r.stdout.contains(", 5 deleted"), "{}", r.stdout);
    assert!(!out.join("extra.txt").exists());
    assert!(!out.join("sub/extra-dir").exists());
    assert!(std::fs::symlink_metadata(out.join("sub/link-out")).is_err());
    assert_eq!(
        std::fs::read(outside.join("precious")).unwrap(),
        b"not below the target"
    );
    assert!(beside.exists() && target.join("top.txt").exists());
    same_tree(&e.path("src"), &out);

    // Nothing more to delete; the JSON counts it.
    write(&out.join("again.txt"), b"x");
    let s = restore_json(&e, &target, &["--delete"]);
    assert_eq!(
        (s["deleted"].as_u64(), s["skipped"].as_u64()),
        (Some(1), Some(4)),
        "{s}"
    );
}

#[test]
fn delete_with_include_deletes_only_within_the_selection() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("one/a"), b"a");
    write(&src.join("two/b"), b"b");
    e.backup(&[&src]);
    let target = e.path("target");
    e.restore("latest", &target).ok();
    let out = restored(&target, &src);
    write(&out.join("one/extra"), b"x");
    write(&out.join("two/extra"), b"x");
    write(&out.join("extra"), b"x");
    let s = restore_json(
        &e,
        &target,
        &["--include", src.join("one").to_str().unwrap(), "--delete"],
    );
    assert_eq!(s["deleted"], 1, "{s}");
    assert!(!out.join("one/extra").exists());
    assert!(out.join("two/extra").exists(), "not selected: kept");
    assert!(out.join("extra").exists(), "above the selection: kept");
}

#[test]
fn without_delete_extra_files_stay() {
    let (e, target, out) = setup();
    write(&out.join("extra.txt"), b"x");
    let s = restore_json(&e, &target, &[]);
    assert_eq!(s["deleted"], 0, "{s}");
    assert!(out.join("extra.txt").exists());
}

#[test]
fn a_file_the_snapshot_cannot_give_leaves_the_existing_one_whole() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("big"), &random_bytes(11, 2 << 20));
    e.backup(&[&src]);
    let target = e.path("target");
    let big = restored(&target, &src).join("big");
    write(&big, b"the version on this machine");
    // Damage the middle of the pack body that holds big's chunks.
    let mut packs: Vec<(PathBuf, u64)> = e
        .objects()
        .into_iter()
        .filter(|(p, _)| p.starts_with(e.repo.join("data")))
        .collect();
    packs.sort_by_key(|(_, s)| *s);
    let (pack, _) = packs.pop().unwrap();
    let mut b = std::fs::read(&pack).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x10;
    std::fs::write(&pack, b).unwrap();

    // The default, if-changed: another size, so it is to be replaced.
    let r = e.restore("latest", &target).code(13);
    assert!(r.stderr.contains("big"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(&big).unwrap(),
        b"the version on this machine",
        "written under a temporary name: the old file stays until the new one is whole"
    );
    no_leftovers(&target);
}

#[test]
fn delete_never_follows_a_symlink_standing_for_a_directory() {
    let (e, target, out) = setup();
    e.restore("latest", &target).ok();
    let outside = e.path("outside");
    write(&outside.join("precious"), b"not below the target");
    std::fs::remove_dir_all(out.join("sub")).unwrap();
    symlink(&outside, out.join("sub")).unwrap();
    let r = e
        .run(&[
            "restore",
            "latest",
            "--target",
            target.to_str().unwrap(),
            "--delete",
        ])
        .code(13);
    assert!(r.stderr.contains("not a directory"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(outside.join("precious")).unwrap(),
        b"not below the target"
    );
    assert!(
        !outside.join("d.txt").exists(),
        "nothing written through it"
    );
    assert!(std::fs::symlink_metadata(out.join("sub"))
        .unwrap()
        .file_type()
        .is_symlink());
}

/// Every directory is made before any file (restore/skeleton.rs); those
/// are this restore's own, not "existing": with `never` and `if-newer` they
/// still get the snapshot's mode and times, while a directory that was in
/// the target before keeps its own.
#[test]
fn directories_made_first_are_new_and_existing_ones_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("one/two/f.txt"), b"deep");
    write(&src.join("mine/g.txt"), b"kept");
    for (d, mode, when) in [
        ("one", 0o751, (1_500_000_000, 1)),
        ("one/two", 0o705, (1_400_000_000, 2)),
        ("mine", 0o755, (1_600_000_000, 3)),
    ] {
        std::fs::set_permissions(src.join(d), std::fs::Permissions::from_mode(mode)).unwrap();
        set_mtime(&src.join(d), when);
    }
    e.backup(&[&src]);
    for mode in ["never", "if-newer"] {
        let target = e.path(&format!("target-{mode}"));
        let out = restored(&target, &src);
        std::fs::create_dir_all(out.join("mine")).unwrap();
        std::fs::set_permissions(out.join("mine"), std::fs::Permissions::from_mode(0o700)).unwrap();
        set_mtime(&out.join("mine"), (1_700_000_000, 4));
        restore_json(&e, &target, &["--overwrite", mode]);
        let mode_of =
            |d: &str| std::fs::metadata(out.join(d)).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode_of("one"), 0o751, "{mode}");
        assert_eq!(mode_of("one/two"), 0o705, "{mode}");
        assert_eq!(mtime(&out.join("one")), (1_500_000_000, 1), "{mode}");
        assert_eq!(mtime(&out.join("one/two")), (1_400_000_000, 2), "{mode}");
        // Already there, and newer than the snapshot's: its mode is left as
        // it was (its mtime moves: a file was added to it).
        assert_eq!(mode_of("mine"), 0o700, "{mode}");
        assert_eq!(std::fs::read(out.join("one/two/f.txt")).unwrap(), b"deep");
        assert_eq!(std::fs::read(out.join("mine/g.txt")).unwrap(), b"kept");
    }
}

/// A restore killed with SIGKILL leaves its temporary file (the file it
/// was writing) under `.banana-restore-PID-N`; the rerun removes it once
/// that process is gone, and leaves a live restore's and a snapshot's own
/// file of such a name alone.
#[test]
fn a_rerun_sweeps_the_temporary_file_a_killed_restore_left() {
    let e = Env::new();
    let src = e.path("src");
    let dead = {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    // The snapshot's own file with a temporary-looking name.
    let own = format!(".banana-restore-{dead}-9");
    write(&src.join("sub/a.txt"), b"alpha");
    write(&src.join("sub").join(&own), b"kept: the snapshot has it");
    e.backup(&[&src]);
    let target = e.path("target");
    let out = restored(&target, &src);
    e.restore("latest", &target).ok();
    // What a killed restore (process `dead`) left, and a live one's file.
    let left = out.join(format!("sub/.banana-restore-{dead}-3"));
    let live = out.join(format!("sub/.banana-restore-{}-1", std::process::id()));
    write(&left, b"half a file");
    write(&live, b"being written");
    let s = restore_json(&e, &target, &[]);
    assert_eq!(s["skipped"], 2, "{s}");
    assert!(!left.exists(), "the killed restore's file is swept");
    assert!(live.exists(), "a live restore's file is left alone");
    assert_eq!(
        std::fs::read(out.join("sub").join(&own)).unwrap(),
        b"kept: the snapshot has it"
    );
}
