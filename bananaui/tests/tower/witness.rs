//! The tower as witness of each node's snapshot chain (P8): real agents,
//! storage and node state rewound behind their backs, and the evidence
//! (`rollback`, `repository-changed`) that stays until `bananaui alert ack`.

use crate::harness::*;
use std::path::Path;
use std::process::Command;

const TICK: &str = "[alerts]\ninterval = \"1s\"\n";

/// The (rule, node) pairs firing now.
fn firing(t: &Tower) -> Vec<(String, String)> {
    let a = t.get_json("/api/v1/alerts");
    a["firing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_owned(),
                a["node"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn fires(t: &Tower, rule: &str, node: &str) -> bool {
    firing(t).contains(&(rule.to_owned(), node.to_owned()))
}

/// The chain position the tower holds for `node`'s `job`.
fn tower_seq(t: &Tower, node: &str, job: &str) -> Option<u64> {
    let d = t.get_json(&format!("/api/v1/nodes/{node}"));
    d["node"]["jobs"]
        .as_array()?
        .iter()
        .find(|j| j["job"] == job)?["seq"]
        .as_u64()
}

/// The runs the tower holds for `node`.
fn runs(t: &Tower, node: &str) -> usize {
    t.get_json(&format!("/api/v1/nodes/{node}"))["runs"]
        .as_array()
        .map_or(0, Vec::len)
}

fn summary(out: &std::process::Output) -> serde_json::Value {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .rfind(|v| v["message_type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {}", String::from_utf8_lossy(&out.stderr)))
}

fn backup_json(a: &Agent, job: &str) -> std::process::Output {
    let src = a.dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), format!("data {}", rand_u64())).unwrap();
    a.run(&["--json", "backup", src.to_str().unwrap(), "--job", job])
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

fn ack(t: &Tower, node: &str, rule: &str) -> std::process::Output {
    Command::new(bananaui())
        .args(["alert", "ack", node, rule, "--data"])
        .arg(t.data())
        .output()
        .unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success());
}

/// Acceptance 1: storage deletes the newest snapshot. The node exits 3 with
/// reason `rollback`; the tower fires `rollback` once at the webhook, keeps
/// it through a later successful run, and resolves it only when acknowledged.
#[test]
fn a_deleted_snapshot_fires_rollback_until_acknowledged() {
    let hook = testkit::Receiver::start(0).unwrap();
    let t = Tower::start(&format!(
        "{TICK}\n[[notifier]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\ntimeout = \"120s\"\n",
        hook.port()
    ));
    let probe = Probe::new(&t);
    let messages = || -> Vec<String> {
        hook.json()
            .iter()
            .filter(|m| m["alert"]["node"] == "roll-01" && m["alert"]["rule"] == "rollback")
            .map(|m| m["alert"]["state"].as_str().unwrap().to_owned())
            .collect()
    };
    let a = Agent::new(&t, "roll-01");
    let mut ids = Vec::new();
    for _ in 0..3 {
        let out = backup_json(&a, "files");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ids.push(summary(&out)["snapshot_id"].as_str().unwrap().to_owned());
    }
    t.wait_for("the tower acknowledged seq 3", || {
        tower_seq(&t, "roll-01", "files") == Some(3)
    });
    std::fs::remove_file(a.dir.path().join("repo/snapshots").join(&ids[2])).unwrap();
    let out = backup_json(&a, "files");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(summary(&out)["reason"], "rollback");
    t.wait_for("rollback fires at the webhook", || messages() == ["firing"]);
    // The next run is clean, and the evidence stays.
    let out = backup_json(&a, "files");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.wait_for("the clean run is acknowledged", || {
        tower_seq(&t, "roll-01", "files") == Some(5)
    });
    // Ticks evaluated after the clean run, their notifications sent.
    probe.settle(&t, Some(&hook));
    assert!(fires(&t, "rollback", "roll-01"), "{:?}", firing(&t));
    assert_eq!(messages(), ["firing"]);
    assert_eq!(t.metric("banana_alerts_firing{rule=\"rollback\"}"), 1.0);
    let detail: bananaui::api::Detail = t.exact("/api/v1/nodes/roll-01");
    assert!(detail
        .alerts
        .iter()
        .any(|a| a.rule == "rollback" && a.message.contains("went back")));
    // Only the witness's rules can be acknowledged; then it resolves once.
    let bad = ack(&t, "roll-01", "failed");
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let ok = ack(&t, "roll-01", "rollback");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    t.wait_for("rollback resolves at the webhook", || {
        messages() == ["firing", "resolved"]
    });
    assert!(!fires(&t, "rollback", "roll-01"));
    // And a normal run after the acknowledgement fires nothing.
    assert!(backup_json(&a, "files").status.success());
    t.wait_for("the run is acknowledged", || {
        tower_seq(&t, "roll-01", "files") == Some(6)
    });
    probe.settle(&t, Some(&hook));
    assert_eq!(messages(), ["firing", "resolved"]);
}

/// Acceptance 2: storage and node state rewound together. The node sees
/// nothing wrong; the tower, which acknowledged seq 4, does.
#[test]
fn storage_and_state_rewound_together_fool_the_node_not_the_tower() {
    let t = Tower::start(TICK);
    let a = Agent::new(&t, "rewind-01");
    let (repo, state) = (a.dir.path().join("repo"), a.dir.path().join("state"));
    let saved = tempfile::tempdir().unwrap();
    for i in 0..4 {
        assert!(backup_json(&a, "files").status.success());
        if i == 1 {
            copy_dir(&repo, &saved.path().join("repo"));
            copy_dir(&state, &saved.path().join("state"));
        }
    }
    t.wait_for("the tower acknowledged seq 4", || {
        tower_seq(&t, "rewind-01", "files") == Some(4)
    });
    assert!(firing(&t).is_empty(), "{:?}", firing(&t));
    std::fs::remove_dir_all(&repo).unwrap();
    std::fs::remove_dir_all(&state).unwrap();
    copy_dir(&saved.path().join("repo"), &repo);
    copy_dir(&saved.path().join("state"), &state);
    let out = backup_json(&a, "files");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out);
    assert!(s["reason"].is_null(), "the node cannot tell: {s}");
    assert_eq!(s["seq"], 3);
    t.wait_for("rollback fires", || fires(&t, "rollback", "rewind-01"));
    // One more run goes on from there without firing anything new (in the
    // ticks after the tower got it).
    assert!(backup_json(&a, "files").status.success());
    t.wait_for("the run is stored", || runs(&t, "rewind-01") == 6);
    Probe::new(&t).settle(&t, None);
    assert_eq!(
        firing(&t),
        [("rollback".to_owned(), "rewind-01".to_owned())]
    );
}

/// Acceptance 3: the repository moved away and the node's state lost with
/// it: the embedded default starts a new repository on first use, and the
/// tower sees another repository id.
#[test]
fn a_fresh_repository_after_lost_state_fires_repository_changed() {
    let t = Tower::start(TICK);
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("banana");
    std::fs::write(home.path().join("empty.toml"), LOADED).unwrap();
    // As a normal user, so the embedded default is under $XDG_DATA_HOME
    // (root's is /var/lib/banana, never touched by tests).
    let root = nix::unistd::geteuid().is_root();
    if root {
        let st = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(home.path())
            .status()
            .unwrap();
        assert!(st.success());
    }
    let ctl = |args: &[&str]| {
        let mut c = if root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(bananactl());
            c
        } else {
            Command::new(bananactl())
        };
        c.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path())
            .env("BANANA_CONFIG", home.path().join("empty.toml"))
            .current_dir(home.path())
            .output()
            .unwrap()
    };
    let code = t.code("moved-01", &[]);
    let out = ctl(&[
        "enroll",
        "--node",
        "moved-01",
        "--collector",
        &t.url(),
        "--collector-code",
        &code,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let src = home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), "x").unwrap();
    if root {
        let st = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(&src)
            .status()
            .unwrap();
        assert!(st.success());
    }
    let backup = || ctl(&["--json", "backup", src.to_str().unwrap(), "--job", "files"]);
    let first = backup();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    t.wait_for("first report", || {
        tower_seq(&t, "moved-01", "files") == Some(1)
    });
    // Lose the repository and what the node knew of it; keep its identity.
    std::fs::rename(data.join("repo"), home.path().join("repo.moved")).unwrap();
    let mut lost = 0;
    for d in std::fs::read_dir(data.join("state")).unwrap().flatten() {
        let name = d.file_name().to_string_lossy().into_owned();
        let per_repo = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if per_repo || name == "locations" {
            std::fs::remove_dir_all(d.path()).unwrap();
            lost += 1;
        }
    }
    assert_eq!(lost, 2, "the repository's state and the location record");
    let again = backup();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    // First use made a new repository where the old one was.
    let config = |dir: &Path| std::fs::read(dir.join("config")).unwrap();
    assert_ne!(
        config(&data.join("repo")),
        config(&home.path().join("repo.moved"))
    );
    assert_eq!(summary(&again)["seq"], 1);
    t.wait_for("repository-changed fires", || {
        fires(&t, "repository-changed", "moved-01")
    });
    assert!(!fires(&t, "rollback", "moved-01"), "{:?}", firing(&t));
}

/// Acceptance 4: two jobs of one node committing at once get distinct
/// `seq`s, and the tower raises nothing.
#[test]
fn concurrent_jobs_of_one_node_raise_nothing() {
    let t = Tower::start(TICK);
    let a = Agent::new(&t, "busy-01");
    let src = a.dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), vec![7u8; 2 << 20]).unwrap();
    let mut seqs = Vec::new();
    for _ in 0..3 {
        let kids: Vec<_> = ["etc", "home"]
            .iter()
            .map(|job| {
                a.cmd(&["--json", "backup", src.to_str().unwrap(), "--job", job])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for k in kids {
            let out = k.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            seqs.push(summary(&out)["seq"].as_u64().unwrap());
        }
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=6).collect::<Vec<u64>>());
    t.wait_for("both jobs reported", || {
        let (e, h) = (
            tower_seq(&t, "busy-01", "etc"),
            tower_seq(&t, "busy-01", "home"),
        );
        e.is_some() && h.is_some() && e.max(h) == Some(6)
    });
    // Ticks evaluated after both jobs' last runs.
    Probe::new(&t).settle(&t, None);
    assert!(firing(&t).is_empty(), "{:?}", firing(&t));
}

/// Retention (docs/retention.md) forgets middle snapshots, never the newest:
/// the node's next backup is no rollback (exit 0), the tower acknowledges
/// it and raises nothing.
#[test]
fn forgetting_middle_snapshots_is_no_rollback_at_the_tower() {
    let t = Tower::start(TICK);
    let probe = Probe::new(&t);
    let a = Agent::new(&t, "keep-01");
    for _ in 0..6 {
        let out = backup_json(&a, "files");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    t.wait_for("the tower acknowledged seq 6", || {
        tower_seq(&t, "keep-01", "files") == Some(6)
    });
    let out = a.run(&["--json", "forget", "--keep-last", "1", "--prune", "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The newest three are never forgotten: seqs 1 to 3 go.
    let forgotten: Vec<u64> = summary(&out)["forgotten"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(forgotten.len(), 3, "{forgotten:?}");
    assert!(forgotten.iter().all(|s| *s <= 3), "{forgotten:?}");
    let out = backup_json(&a, "files");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(summary(&out)["reason"].is_null(), "{}", summary(&out));
    t.wait_for("the next run is acknowledged", || {
        tower_seq(&t, "keep-01", "files") == Some(7)
    });
    probe.settle(&t, None);
    let mine: Vec<(String, String)> = firing(&t)
        .into_iter()
        .filter(|(_, n)| n == "keep-01")
        .collect();
    assert!(mine.is_empty(), "{mine:?}");
}
