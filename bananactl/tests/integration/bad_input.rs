//! Acceptance 8: bad input gives one line naming the object, a distinct
//! non-zero exit, and leaves the repository valid.

use crate::util::*;
use std::path::Path;
use std::process::Command;

struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, opts: &str) -> Mount {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount tmpfs at {}", dir.display());
        Mount(dir.to_owned())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn missing_repository() {
    let e = Env::bare();
    let r = e.run(&["snapshots"]).code(10);
    let line = r.one_line_error();
    assert!(
        line.contains(e.repo.to_str().unwrap()) && line.contains("init"),
        "{line}"
    );
}

#[test]
fn wrong_key() {
    let e = Env::new();
    let other = Env::new();
    let mut c = e.cmd(&["snapshots"]);
    c.arg("--key-file").arg(&other.key);
    let r = run(c).code(12);
    assert!(r.one_line_error().contains("does not open"), "{}", r.stderr);
    let bad = e.path("garbage.json");
    std::fs::write(&bad, "{not json").unwrap();
    let mut c = e.cmd(&["snapshots"]);
    c.arg("--key-file").arg(&bad);
    let r = run(c).code(2);
    assert!(r.one_line_error().contains("garbage.json"));
}

#[test]
fn source_that_does_not_exist() {
    let e = Env::new();
    let before = e.objects();
    let r = e.run(&["backup", "/no/such/path-4711"]).code(2);
    assert!(r.one_line_error().contains("/no/such/path-4711"));
    assert_eq!(e.objects(), before, "nothing written");
}

#[test]
fn unreadable_source_is_a_partial_backup() {
    let e = Env::new();
    write(&e.path("src/ok"), b"ok");
    let unreadable = if is_root() {
        // Root reads everything except a write-only sysctl.
        std::path::PathBuf::from("/proc/sys/vm/drop_caches")
    } else {
        let p = e.path("src/secret");
        write(&p, b"no");
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
        p
    };
    let r = e
        .run(&[
            "--json",
            "backup",
            e.path("src").to_str().unwrap(),
            unreadable.to_str().unwrap(),
        ])
        .code(3);
    let lines = r.json();
    assert!(
        lines.iter().any(|l| l["message_type"] == "warning"
            && l["kind"] == "unreadable"
            && l["path"]
                .as_str()
                .unwrap()
                .contains(unreadable.file_name().unwrap().to_str().unwrap())),
        "{}",
        r.stdout
    );
    assert_eq!(r.summary()["partial"], true);
    e.run(&["check"]).ok();
}

#[test]
fn read_only_target() {
    let e = Env::new();
    write(&e.path("src/f"), b"x");
    e.backup(&[&e.path("src")]);
    let target = e.path("ro");
    let _m = if need_root("read-only mount") {
        Some(Mount::tmpfs(&target, "ro,size=1m"))
    } else {
        std::fs::create_dir_all(&target).unwrap();
        std::fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o555))
            .unwrap();
        None
    };
    let r = e.restore("latest", &target);
    assert!(r.code != 0);
    let line = r.one_line_error();
    assert!(line.contains(target.to_str().unwrap()), "{line}");
}

#[test]
fn full_disk_fails_cleanly_and_keeps_the_repository_valid() {
    if !need_root("tmpfs mount") {
        return;
    }
    let e = Env::bare();
    let _m = Mount::tmpfs(&e.repo, "size=3m");
    e.run(&["init"]).ok();
    write(&e.path("small/a"), b"fits");
    e.backup(&[&e.path("small")]);
    write(&e.path("big/b"), &random_bytes(5, 8 << 20));
    let r = e.run(&["backup", e.path("big").to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let line = r.one_line_error();
    assert!(
        line.contains("No space left") && line.contains("free space"),
        "{line}"
    );
    e.run(&["check"]).ok();
    let target = e.path("t");
    e.restore("latest", &target).ok();
    assert_eq!(
        std::fs::read(restored(&target, &e.path("small/a"))).unwrap(),
        b"fits"
    );
}

#[test]
fn concurrent_backup_is_refused_by_the_lock() {
    let e = Env::new();
    write(&e.path("src/f"), b"x");
    e.backup(&[&e.path("src")]);
    // The default job is `backup`; an ad-hoc run's lock is named by the
    // hash of the job and the repository location.
    let key = format!("adhoc\0{}\0backup", e.repo.display());
    let tag = &blake3::hash(key.as_bytes()).to_hex()[..16];
    let f = std::fs::File::open(e.state.join("jobs").join(format!("{tag}.lock"))).unwrap();
    use std::os::fd::AsFd;
    rustix::fs::flock(f.as_fd(), rustix::fs::FlockOperation::LockExclusive).unwrap();
    let r = e.run(&["backup", e.path("src").to_str().unwrap()]).code(11);
    assert!(
        r.one_line_error().contains("job 'backup'")
            && r.one_line_error().contains("already running"),
        "{}",
        r.stderr
    );
    // Another job runs beside it, and so does the same job to another repository.
    e.run(&["backup", e.path("src").to_str().unwrap(), "--job", "other"])
        .ok();
    let other = |args: &[&str]| {
        let mut c = Command::new(bin());
        c.arg("--repo")
            .arg(e.path("repo2"))
            .arg("--key-file")
            .arg(&e.key);
        c.arg("--state-dir").arg(&e.state).args(args);
        c.env("BANANA_CONFIG", e.path("empty-config.toml"));
        run(c).ok()
    };
    other(&["init"]);
    other(&["backup", e.path("src").to_str().unwrap()]);
}

#[test]
fn unknown_snapshot_and_scheme() {
    let e = Env::new();
    let r = e.run(&["ls", "deadbeef"]).code(2);
    assert!(r.one_line_error().contains("'deadbeef'"));
    let mut c = Command::new(bin());
    c.args(["--repo", "s3://bucket/x", "--key-file"])
        .arg(&e.key)
        .args(["snapshots"]);
    let r = run(c).code(2);
    assert!(r.one_line_error().contains("s3"));
}

#[test]
fn a_file_growing_during_backup_is_reported_as_changed() {
    let e = Env::new();
    let f = e.path("src/growing.log");
    write(&f, &random_bytes(11, 64 << 20));
    let size = std::fs::metadata(&f).unwrap().len();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (f, stop) = (f.clone(), stop.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut h = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
            // Until the backup is over (bounded: ten minutes), a line a
            // millisecond.
            let end = std::time::Instant::now() + std::time::Duration::from_secs(600);
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed)
                && std::time::Instant::now() < end
            {
                writeln!(h, "line {i}").unwrap();
                i += 1;
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    };
    // It grows before the backup starts, and until it has ended.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::fs::metadata(&f).unwrap().len() == size {
        assert!(std::time::Instant::now() < end, "the writer never wrote");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let r = e.run(&["--json", "backup", e.path("src").to_str().unwrap()]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    let r = r.ok();
    assert!(
        r.json()
            .iter()
            .any(|l| l["message_type"] == "warning" && l["kind"] == "changed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.summary()["partial"],
        false,
        "a changed file is a warning, not a partial backup"
    );
}
