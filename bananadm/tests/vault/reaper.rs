//! Retention by the reaper (issue 25, acceptance 4): the reaper's token reads
//! its secret and the node's policy and nothing that decrypts; the admin's
//! token is refused; `bananadm prune` forgets by the node's policy, condemns
//! and (a grace period later on the reaper's own clock) deletes; the node's
//! backups then pass `check --read-data` and restore with a grant. The
//! reaper reports each prune to a real tower (acceptance 6).

use crate::harness::*;
use common::vault::{Location, Secret, Vault};
use std::process::{Command, Stdio};

fn can_read(v: &Vault, path: &str) -> bool {
    match v.request("GET", path, None, None, None) {
        Ok(_) => true,
        Err(e) => e.kind() != common::ErrorKind::VaultDenied,
    }
}

/// Moves every time in the reaper's state `secs` into the past: the grace
/// period passes on the reaper's clock.
fn age_state(state: &std::path::Path, secs: i64) {
    for entry in walk(state) {
        if entry.file_name().is_some_and(|n| n == "reaper.json") {
            let mut v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
            for field in ["seen", "condemned", "own"] {
                if let Some(m) = v[field].as_object_mut() {
                    for t in m.values_mut() {
                        *t = (t.as_i64().unwrap() - secs).into();
                    }
                }
            }
            std::fs::write(&entry, serde_json::to_vec(&v).unwrap()).unwrap();
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_reaper_prunes_without_any_key_that_decrypts() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web-1", dir.path());
    let _other = bao.enrol(&admin, "web-2", dir.path());
    let data = dir.path().join("data");
    for i in 0..5u8 {
        write(&data.join(format!("f{i}")), &vec![i; 50_000 + i as usize]);
        let o = n.run(&["backup", data.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    for args in [
        vec!["node", "reaper", "web-1"],
        vec!["node", "retention", "web-1", "--keep-last", "1"],
    ] {
        let o = bao.adm(&admin, &args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let o = bao.adm(&admin, &["reaper", "token", "--ttl", "1h"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reaper = stdout(&o);

    // What the reaper's token may read.
    let mut v = Vault::connect(&Location::new(&bao.addr)).unwrap();
    v.set_token(Secret::new(&reaper));
    for (path, allowed) in [
        ("banana/data/nodes/web-1/reaper", true),
        ("banana/data/nodes/web-1/retention", true),
        ("banana/data/nodes/web-2/reaper", true),
        ("banana/data/nodes/web-1/agent", false),
        ("banana/data/nodes/web-1/restore", false),
        ("banana/data/nodes/web-2/restore", false),
        ("banana/data/fleet/signing", false),
        ("banana/data/fleet/recipients", false),
    ] {
        assert_eq!(can_read(&v, path), allowed, "{path}");
    }

    let state = dir.path().join("reaper-state");
    // The tower: the node and the reaper enrolled there.
    let tower = Tower::start();
    let o = n.run(&[
        "enroll",
        "--node",
        "web-1",
        "--collector",
        &tower.url,
        "--collector-code",
        &tower.code("web-1", false),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bao.adm(
        "",
        &[
            "reaper",
            "enroll",
            "--name",
            "reaper-1",
            "--collector",
            &tower.url,
            "--collector-code",
            &tower.code("reaper-1", true),
            "--state-dir",
            state.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // A backup the tower witnesses; later its file's time moves to now (a
    // directory's node can `touch`): the reaper dates it by the tower's
    // `received_at`, the earlier.
    write(&data.join("witnessed"), b"seen by the tower");
    let o = n.run(&["--json", "backup", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let witnessed: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    let witnessed = witnessed["snapshot_id"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let file = std::fs::File::options()
        .write(true)
        .open(n.storage.join("snapshots").join(&witnessed))
        .unwrap();
    file.set_modified(std::time::SystemTime::now()).unwrap();
    let prune = |token: &str, extra: &[&str]| {
        let mut args = vec![
            "--json",
            "prune",
            "--state-dir",
            state.to_str().unwrap(),
            "--grace",
            "1h",
        ];
        args.extend_from_slice(extra);
        bao.adm(token, &args)
    };
    // The admin's token could read restore secrets: refused, nothing done.
    let o = prune(&admin, &["web-1"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a reaper must hold no key that decrypts"),
        "{}",
        stderr(&o)
    );

    let dry = prune(&reaper, &["--all", "--dry-run", "--force"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let snapshots = || {
        std::fs::read_dir(n.storage.join("snapshots"))
            .unwrap()
            .count()
    };
    assert_eq!(snapshots(), 6, "a dry run forgets nothing");

    let o = prune(&reaper, &["--all", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(snapshots(), 3, "{}", stdout(&o));
    let runs = tower.get("/api/v1/nodes/web-1?runs=100");
    let received = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["snapshot"] == witnessed.as_str())
        .and_then(|r| r["received_at"].as_i64())
        .expect("the tower has the run");
    let dated = walk(&state)
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == "reaper.json"))
        .map(|p| serde_json::from_slice::<serde_json::Value>(&std::fs::read(p).unwrap()).unwrap())
        .unwrap()["dates"][witnessed.as_str()]
    .as_i64();
    assert_eq!(dated, Some(received), "dated by the tower, not the file");
    // The tower heard it: the first two of the chain forgotten, by reaper-1.
    let p = &tower.get("/api/v1/nodes/web-1")["node"]["last_prune"];
    assert_eq!(p["reaper"], "reaper-1", "{p}");
    assert_eq!(p["forgotten"], serde_json::json!([1, 2, 3]), "{p}");
    assert!(
        p["error"].is_null() && p["held"] == serde_json::json!([]),
        "{p}"
    );
    // A day later on the reaper's clock: condemn; another day: delete.
    let mut freed = 0;
    for _ in 0..2 {
        age_state(&state, 2 * 86_400);
        let o = prune(&reaper, &["web-1"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let s: serde_json::Value =
            serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
        freed += s["freed_bytes"].as_u64().unwrap();
    }
    assert!(freed > 0, "the forgotten snapshots' trees are deleted");

    // The node backs up on, and a grant reads everything back.
    write(&data.join("later"), b"later");
    let o = n.run(&["backup", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let grant = stdout(&bao.adm(&admin, &["restore", "grant", "web-1", "--uses", "10"]));
    let o = n.run(&["check", "--read-data", "--grant", &grant]);
    assert!(o.status.success(), "{}", stderr(&o));
    let grant = stdout(&bao.adm(&admin, &["restore", "grant", "web-1"]));
    let target = dir.path().join("restored");
    let o = n.run(&[
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--grant",
        &grant,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let restored = target.join(data.strip_prefix("/").unwrap());
    let rel = |root: &std::path::Path| -> Vec<(std::path::PathBuf, Vec<u8>)> {
        tree_bytes(root)
            .into_iter()
            .map(|(p, b)| (p.strip_prefix(root).unwrap().to_owned(), b))
            .collect()
    };
    let (got, want) = (rel(&restored), rel(&data));
    assert_eq!(got.len(), 7);
    assert!(got == want, "the restore differs from the source");
}

/// Acceptance 3, the process half: `kill -9` of `bananadm prune` at 20
/// random points (uniform over a measured run, the reaper's clocks moved a
/// day on each time so that it forgets, condemns and sweeps): after each,
/// the node's `check` exits 0 and its next backup succeeds; then a prune
/// runs to the end and a grant reads every remaining snapshot back.
#[test]
fn kill_9_of_bananadm_prune_at_20_points_leaves_a_sound_repository() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web-1", dir.path());
    let data = dir.path().join("data");
    let backup = |i: usize| {
        write(
            &data.join(format!("f{}", i % 7)),
            &vec![i as u8; 40_000 + i],
        );
        let o = n.run(&["backup", data.to_str().unwrap()]);
        assert!(o.status.success(), "backup {i}: {}", stderr(&o));
    };
    for i in 0..8 {
        backup(i);
    }
    for args in [
        vec!["node", "reaper", "web-1"],
        vec!["node", "retention", "web-1", "--keep-last", "2"],
    ] {
        let o = bao.adm(&admin, &args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let reaper = stdout(&bao.adm(&admin, &["reaper", "token", "--ttl", "1h"]));
    let state = dir.path().join("reaper-state");
    let prune_cmd = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bananadm"));
        c.args(["prune", "web-1", "--force", "--grace", "1h", "--state-dir"])
            .arg(&state)
            .env("VAULT_ADDR", &bao.addr)
            .env("VAULT_TOKEN", &reaper)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    // How long one prune takes here, for the kill points.
    let t0 = std::time::Instant::now();
    let o = prune_cmd().output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // Points inside a run: 90 % of a measured one (the kill lands in the
    // run whether or not the machine is loaded, which slows both alike).
    let span = (t0.elapsed().as_micros() as u64 * 9 / 10).max(1000);
    let mut killed = 0;
    for round in 0..20 {
        backup(100 + round);
        age_state(&state, 2 * 86_400);
        let mut child = prune_cmd().spawn().unwrap();
        let at = rand::random::<u64>() % span;
        std::thread::sleep(std::time::Duration::from_micros(at));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        assert!(
            status.success() || status.code().is_none() || status.code() == Some(3),
            "round {round}: {status:?}"
        );
        let o = n.run(&["check"]);
        assert!(
            o.status.success(),
            "round {round}, killed at {at} µs: {}",
            stderr(&o)
        );
    }
    eprintln!("{killed} of 20 prunes killed while running (kill points over {span} µs)");
    // Most land while it runs; a few may meet a prune that already ended.
    assert!(
        killed >= 5,
        "only {killed} of 20 prunes were killed while running"
    );
    age_state(&state, 2 * 86_400);
    let o = prune_cmd().output().unwrap();
    assert!(
        o.status.success(),
        "the next prune completes: {}",
        stderr(&o)
    );
    backup(999);
    let grant = stdout(&bao.adm(&admin, &["restore", "grant", "web-1", "--uses", "10"]));
    let o = n.run(&["check", "--read-data", "--grant", &grant]);
    assert!(o.status.success(), "{}", stderr(&o));
}
