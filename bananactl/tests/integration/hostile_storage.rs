//! Storage that is hostile, and a repository that disappears: symlinks, FIFOs
//! and special files in the repository are errors naming them, never followed
//! or waited on; a moved, wiped or swapped repository is an alarm (exit 16)
//! where this node wrote before, never a fresh start; missing parents are
//! never created.

use crate::util::*;
use std::time::Duration;

fn src(e: &Env) -> std::path::PathBuf {
    let s = e.path("src");
    write(&s.join("f"), b"payload");
    s
}

fn backup_args(s: &std::path::Path) -> Vec<String> {
    vec!["backup".into(), s.display().to_string()]
}

fn run_args(e: &Env, args: &[String]) -> Run {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    e.run(&a)
}

#[test]
fn symlinked_tmp_and_snapshots_are_refused_and_nothing_lands_outside() {
    let e = Env::new();
    let s = src(&e);
    e.backup(&[&s]);
    let outside = e.path("outside");
    std::fs::create_dir(&outside).unwrap();
    for dir in ["tmp", "snapshots"] {
        let real = e.repo.join(dir);
        let aside = e.path(&format!("{dir}.real"));
        std::fs::rename(&real, &aside).unwrap();
        std::os::unix::fs::symlink(&outside, &real).unwrap();
        write(&s.join("new"), dir.as_bytes());
        let r = run_args(&e, &backup_args(&s));
        assert_ne!(r.code, 0, "{dir}: {}", r.stderr);
        let line = r.one_line_error();
        assert!(
            line.contains(&format!("{dir} is a symbolic link")),
            "{dir}: {line}"
        );
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "{dir}: root wrote outside the repository"
        );
        std::fs::remove_file(&real).unwrap();
        std::fs::rename(&aside, &real).unwrap();
    }
    run_args(&e, &backup_args(&s)).ok();
}

fn fifo(p: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

/// A run that opened a FIFO nobody writes would wait for ever: each run is
/// bounded (killed and failed after a minute, far more than a loaded
/// machine needs for these small runs).
#[test]
fn fifos_named_like_objects_fail_fast_naming_them() {
    let e = Env::new();
    let s = src(&e);
    e.backup(&[&s]);
    let name = "ab".repeat(32);
    fifo(&e.repo.join("index").join(&name));
    for args in [backup_args(&s), vec!["check".to_owned()]] {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run_within(e.cmd(&a), BOUND);
        assert_ne!(r.code, 0, "{args:?}");
        let line = r.one_line_error();
        assert!(line.contains(&format!("index/{name}")), "{args:?}: {line}");
    }
    std::fs::remove_file(e.repo.join("index").join(&name)).unwrap();
    fifo(&e.repo.join("snapshots").join(&name));
    let r = run_within(e.cmd(&["snapshots"]), BOUND);
    assert_ne!(r.code, 0);
    assert!(r.one_line_error().contains(&format!("snapshots/{name}")));
}

/// What a run that must not wait on a FIFO may take on a loaded machine.
const BOUND: Duration = Duration::from_secs(60);

#[test]
fn a_symlink_to_dev_zero_is_a_bounded_error() {
    let e = Env::new();
    let s = src(&e);
    e.backup(&[&s]);
    let name = "cd".repeat(32);
    std::os::unix::fs::symlink("/dev/zero", e.repo.join("index").join(&name)).unwrap();
    let Some((r, rss)) = peak_rss_kib(&e.cmd(&["backup", s.to_str().unwrap()])) else {
        testkit::require("python3", false);
        return;
    };
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains(&format!("index/{name}")), "{}", r.stderr);
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB");
}

#[test]
fn a_moved_repository_is_an_alarm_and_missing_parents_are_never_created() {
    let mut e = Env::bare();
    e.repo = e.path("mnt/backup/repo");
    std::fs::create_dir_all(e.path("mnt/backup")).unwrap();
    e.run(&["init"]).ok();
    let s = src(&e);
    let first = e.backup(&[&s]);
    let snap = first["snapshot_id"].as_str().unwrap()[..8].to_owned();
    // Moved away, an empty directory in its place.
    std::fs::rename(&e.repo, e.path("moved")).unwrap();
    std::fs::create_dir(&e.repo).unwrap();
    let r = run_args(&e, &backup_args(&s)).code(16);
    let line = r.one_line_error();
    assert!(
        line.contains("is empty") && line.contains(&snap),
        "names the last snapshot: {line}"
    );
    assert_eq!(
        std::fs::read_dir(&e.repo).unwrap().count(),
        0,
        "wrote nothing"
    );
    // Another repository there (a different id): also 16.
    std::fs::remove_dir(&e.repo).unwrap();
    std::fs::rename(e.path("moved"), &e.repo).unwrap();
    let other = Env::bare();
    std::fs::copy(&e.key, &other.key).unwrap();
    let mut o = other;
    o.repo = e.path("other-repo");
    o.run(&["init"]).ok();
    std::fs::rename(&e.repo, e.path("moved")).unwrap();
    std::fs::rename(&o.repo, &e.repo).unwrap();
    let line = run_args(&e, &backup_args(&s))
        .code(16)
        .one_line_error()
        .to_owned();
    assert!(line.contains("holds another repository"), "{line}");
    // The mount point and its parent are gone: nothing is created.
    std::fs::remove_dir_all(e.path("mnt")).unwrap();
    run_args(&e, &backup_args(&s)).code(16);
    assert!(!e.path("mnt").exists(), "created a missing parent");
    // A plain init does not silence the alarm; --force-new starts over.
    std::fs::create_dir_all(&e.repo).unwrap();
    e.run(&["init"]).code(16);
    e.run(&["init", "--force-new"]).ok();
    run_args(&e, &backup_args(&s)).ok();
    // The old repository was never touched.
    assert!(e.path("moved/config").exists());
}

#[test]
fn without_state_a_missing_repository_is_exit_10_and_a_listing_error_exit_1() {
    let e = Env::bare();
    e.run(&["snapshots"]).code(10);
    let e = Env::new();
    let s = src(&e);
    e.backup(&[&s]);
    // A regular file where index/ should be: a listing error, never "missing".
    std::fs::remove_dir_all(e.repo.join("index")).unwrap();
    std::fs::write(e.repo.join("index"), b"not a directory").unwrap();
    let r = run_args(&e, &backup_args(&s)).code(1);
    assert!(r.one_line_error().contains("index"), "{}", r.stderr);
}
