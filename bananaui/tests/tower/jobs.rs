//! Jobs as the tower sees them: `bananactl run` sends each job's next due
//! time, so `overdue` fires at next-due + grace and not before; a run
//! reports the node's configured jobs, so a job removed from the config is
//! retired instead of overdue forever.

use crate::harness::*;
use std::time::{Duration, Instant};

fn jobs_config(a: &Agent, jobs: &[&str]) -> std::path::PathBuf {
    let mut text = String::new();
    for j in jobs {
        text.push_str(&format!(
            "[[job]]\nname = \"{j}\"\nplugin = \"command\"\ncommand = [\"echo\", \"{j}\"]\nevery = \"{}\"\n\n",
            if *j == "fast" { "4s" } else { "1d" }
        ));
    }
    let p = a.dir.path().join("jobs.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn run(a: &Agent, args: &[&str]) -> std::process::Output {
    let cfg = a.dir.path().join("jobs.toml");
    let out = a
        .cmd_env(args, &[("BANANA_CONFIG", cfg.to_str().unwrap())])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn job<'a>(detail: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    detail["node"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == name)
}

#[test]
fn overdue_fires_at_the_nodes_due_time_plus_grace_and_removed_jobs_retire() {
    let _serial = serial();
    let t = Tower::start("[alerts]\ninterval = \"1s\"\ngrace = \"3s\"\n");
    let a = Agent::new(&t, "sched-01");
    jobs_config(&a, &["fast", "nightly"]);
    run(&a, &["run"]);
    // What the node computed is what the tower holds.
    let listed: Vec<serde_json::Value> = String::from_utf8(run(&a, &["--json", "jobs"]).stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["message_type"] == "job")
        .collect();
    // `jobs --json` gives RFC 3339 times, the tower's API Unix seconds.
    let due_text = listed[0]["next_due_at"].as_str().unwrap().to_owned();
    let mut due = 0;
    t.wait_for("both jobs reported", || {
        let d = t.get_json("/api/v1/nodes/sched-01");
        let at = job(&d, "fast").and_then(|j| j["next_due_at"].as_i64());
        if let Some(at) = at.filter(|&at| proto::humanize::rfc3339(at) == due_text) {
            due = at;
        }
        due != 0 && job(&d, "nightly").is_some()
    });
    // Not late before due + grace (the tower's state is computed when
    // asked: load only makes the answer later); late after, within a
    // bound that leaves a loaded machine room.
    let start = Instant::now();
    loop {
        let d = t.get_json("/api/v1/nodes/sched-01");
        let state = job(&d, "fast").unwrap()["state"]
            .as_str()
            .unwrap()
            .to_owned();
        let now = now();
        if state == "late" {
            assert!(now > due + 3, "late at {now}, due {due} + grace 3");
            break;
        }
        assert!(
            now <= due + 3 + 60,
            "not late at {now}, due {due} + grace 3"
        );
        assert!(start.elapsed() < PATIENCE);
        std::thread::sleep(Duration::from_millis(200));
    }
    // The node drops `nightly` from its config: the next run retires it.
    jobs_config(&a, &["fast"]);
    run(&a, &["backup", "--job", "fast"]);
    t.wait_for("nightly retired", || {
        let d = t.get_json("/api/v1/nodes/sched-01");
        job(&d, "nightly").is_none() && job(&d, "fast").is_some_and(|j| j["state"] == "ok")
    });
}
