//! Output contract: JSON lines everywhere with --json, one-line summaries,
//! and the embedded default on first use.

use crate::util::*;

#[test]
fn json_lines_on_every_command() {
    let e = Env::new();
    write(&e.path("src/f"), b"x");
    let src = e.path("src").display().to_string();
    let t = e.path("t").display().to_string();
    for args in [
        vec!["backup", src.as_str()],
        vec!["snapshots"],
        vec!["ls", "latest"],
        vec!["restore", "latest", "--target", t.as_str()],
        vec!["check", "--read-data"],
    ] {
        let mut a = vec!["--json"];
        a.extend(args.iter().copied());
        let r = e.run(&a).ok();
        let lines = r.json();
        assert!(
            lines.iter().all(|l| l["message_type"].is_string()),
            "{args:?}: {}",
            r.stdout
        );
        assert_eq!(lines.last().unwrap()["message_type"], "summary");
    }
    let err = e
        .run(&["--json", "restore", "nope", "--target", &t])
        .code(2);
    assert_eq!(err.json()[0]["message_type"], "error");
}

#[test]
fn quiet_cron_run_prints_one_summary_line() {
    let e = Env::new();
    write(&e.path("src/f"), b"x");
    let r = e.run(&["backup", e.path("src").to_str().unwrap()]).ok();
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("snapshot "));
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let q = e
        .run(&["-q", "backup", e.path("src").to_str().unwrap()])
        .ok();
    assert!(q.stdout.is_empty() && q.stderr.is_empty());
}

#[test]
fn embedded_default_is_created_on_first_use() {
    // As a normal user: repository, key and state appear under $XDG_DATA_HOME/banana.
    let home = tempfile::tempdir().unwrap();
    let src = home.path().join("docs");
    write(&src.join("a.txt"), b"hello");
    let mut c = if is_root() {
        // Run as nobody, so the non-root default applies (root's is /var/lib/banana).
        std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(home.path())
            .status()
            .unwrap();
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin()]);
        c
    } else {
        std::process::Command::new(bin())
    };
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"));
    c.current_dir(home.path());
    let mut backup = c;
    backup.args(["backup", src.to_str().unwrap()]);
    let r = run(backup).ok();
    assert!(r.stderr.contains("first use"), "{}", r.stderr);
    assert!(r.stderr.contains("Keep a copy"), "{}", r.stderr);
    assert!(r.stdout.starts_with("snapshot "), "{}", r.stdout);
    let data = home.path().join("data/banana");
    assert!(
        data.join("key.json").exists()
            && data.join("repo/config").exists()
            && data.join("state").exists()
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(data.join("key.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}
