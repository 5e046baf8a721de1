//! The operator's commands against a running `serve` (issue 23, 14-16):
//! `node add` asks the collector that holds the data directory or refuses
//! (and refuses an enrolled node without `--replace`, and a `--url` that is
//! not http(s)); a second `serve` on the same data says who holds it;
//! enrolments, refusals and acknowledgements are logged at info; `alert ack`
//! with nothing to acknowledge says so and exits 2.

use crate::harness::*;
use proto::status::RunResult;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn ui(args: &[&str], data: &std::path::Path) -> Output {
    Command::new(bananaui())
        .args(args)
        .arg("--data")
        .arg(data)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Waits until the tower's log has a line holding every one of `parts`.
fn logged(t: &Tower, parts: &[&str]) {
    t.wait_for(&format!("a log line with {parts:?}"), || {
        t.log
            .lock()
            .unwrap()
            .lines()
            .any(|l| parts.iter().all(|p| l.contains(p)))
    });
}

#[test]
fn node_add_asks_the_running_collector_or_refuses() {
    // No collector on this data directory: refused, and nothing written.
    let empty = tempfile::tempdir().unwrap();
    let out = ui(&["node", "add", "web-01"], empty.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(20), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no bananaui serve is running on tower data")
            && err.contains(&empty.path().display().to_string()),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no code without a collector");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);

    // Without --data nor a config: the one default, whoever runs it (not a
    // directory under this user's $XDG_DATA_HOME).
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(bananaui())
        .args(["node", "add", "web-01"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env_remove("BANANAUI_CONFIG")
        .output()
        .unwrap();
    if !std::path::Path::new("/var/lib/banana-tower/admin.sock").exists() {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(20), "{err}");
        assert!(err.contains("tower data /var/lib/banana-tower "), "{err}");
    }
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);

    let t = Tower::start("");
    // --url must be http(s): refused before anything is asked.
    for bad in ["ftp://tower:21", "tower.example.net:8443", "https://"] {
        let out = ui(&["node", "add", "web-01", "--url", bad], &t.data());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("is not an http(s) URL"), "{err}");
    }
    assert!(!t.data().join("pending/web-01.json").exists());

    // The config's data directory is the collector's.
    let cfg = t.dir.path().join("add.toml");
    std::fs::write(
        &cfg,
        format!("data = {:?}\n", t.data().display().to_string()),
    )
    .unwrap();
    let out = Command::new(bananaui())
        .args([
            "node",
            "add",
            "web-01",
            "--url",
            "https://tower.example.net:8443",
        ])
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let code = String::from_utf8(out.stdout.clone()).unwrap();
    let code = code.split_whitespace().nth(1).unwrap().to_owned();
    assert!(
        stderr(&out).contains("--collector https://tower.example.net:8443 --collector-code bnc-"),
        "{}",
        stderr(&out)
    );
    // The code works at that collector.
    let id = proto::status::NodeIdentity::generate();
    let req = id.enrol_request("web-01", &code, now());
    let (s, b) = t.post("/api/v1/enrol", &serde_json::to_vec(&req).unwrap());
    assert_eq!(s, 201, "{b}");

    // Enrolled: refused without --replace, issued with it.
    let out = ui(&["node", "add", "web-01"], &t.data());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("node 'web-01' is already enrolled") && err.contains("--replace"),
        "{err}"
    );
    assert!(!t.data().join("pending/web-01.json").exists());
    let out = ui(&["node", "add", "web-01", "--replace"], &t.data());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(t.data().join("pending/web-01.json").exists());
}

#[test]
fn a_second_serve_on_the_same_data_exits_11_naming_the_pid() {
    let t = Tower::start("");
    let mut second = Command::new(bananaui())
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(t.data())
        .arg("--config")
        .arg(t.dir.path().join("bananaui.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: a second serve that runs instead of exiting is the bug.
    let end = Instant::now() + PATIENCE;
    while second.try_wait().unwrap().is_none() {
        if Instant::now() > end {
            let _ = second.kill();
            panic!("a second serve on the same data kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = second.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(11), "{err}");
    assert_eq!(
        err,
        format!(
            "bananaui: error: tower data {} is in use by PID {}: stop that bananaui serve, or give this one another --data\n",
            t.data().display(),
            t.pid()
        )
    );
    // The first one still serves.
    assert_eq!(t.get("/api/v1/fleet").0, 200);
}

#[test]
fn enrolments_refusals_and_acks_are_logged_and_an_empty_ack_exits_2() {
    let t = Tower::start("[alerts]\ninterval = \"1s\"\n");
    let id = t.enrol("ack-01");
    logged(&t, &["INFO", "enrolment code issued for node ack-01"]);
    logged(&t, &["INFO", "enrolled node ack-01"]);
    // A refused enrolment and a refused status.
    let stranger = proto::status::NodeIdentity::generate();
    let bad = stranger.enrol_request("ack-02", "bnc-00000000000000000000000000000000", now());
    assert_eq!(
        t.post("/api/v1/enrol", &serde_json::to_vec(&bad).unwrap())
            .0,
        403
    );
    logged(&t, &["INFO", "refused POST /api/v1/enrol", "403"]);
    let ev = finished("files", RunResult::Success, 1);
    assert_eq!(
        t.post("/api/v1/status", &signed(&stranger, "ack-02", &ev))
            .0,
        403
    );
    logged(
        &t,
        &[
            "INFO",
            "refused POST /api/v1/status",
            "'ack-02' is not enrolled",
        ],
    );

    // Nothing to acknowledge: said, exit 2, nothing queued.
    let out = ui(&["alert", "ack", "ack-01", "rollback"], &t.data());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("node 'ack-01' has no rollback evidence to acknowledge"),
        "{err}"
    );
    assert!(!t.data().join("pending/ack-01.rollback.ack").exists());
    logged(&t, &["INFO", "has no rollback evidence"]);

    // A rollback: seq 2 acknowledged, then a report back at seq 1.
    let repo = "c".repeat(64);
    for (seq, prev) in [(1, None), (2, Some(1)), (1, None)] {
        let mut e = finished("files", RunResult::Success, 100);
        e.repository = Some(repo.clone());
        e.seq = Some(seq);
        e.prev_seq = prev;
        e.snapshot = Some(format!("{seq:064x}"));
        let (s, b) = t.post("/api/v1/status", &signed(&id, "ack-01", &e));
        assert_eq!(s, 200, "{b}");
    }
    let firing = || -> bool {
        let a: bananaui::api::Alerts = t.exact("/api/v1/alerts");
        a.firing
            .iter()
            .any(|a| a.node == "ack-01" && a.rule == "rollback")
    };
    t.wait_for("rollback fires", firing);
    let out = ui(&["alert", "ack", "ack-01", "rollback"], &t.data());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("rollback acknowledged (1 piece(s) of evidence)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    logged(
        &t,
        &["INFO", "alert ack: rollback of node ack-01 acknowledged"],
    );
    t.wait_for("rollback resolves", || !firing());
    logged(&t, &["INFO", "ack-01: rollback acknowledged (1 piece(s))"]);
}
