//! `bananadm drill` against OpenBao (issue 26, acceptance 4): a node whose
//! key holds only the backup half is drilled from the drill host under a
//! restore grant that is revoked afterwards; no identity lands on the drill
//! host's disk; the tower shows the drill, fires `drill-failed` on damage
//! with the failure's text, and resolves it when a later drill passes.

use crate::harness::*;
use common::vault::Vault;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&p, out),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

fn last_json(o: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn accessor_alive(root: &Vault, accessor: &str) -> bool {
    root.request(
        "POST",
        "auth/token/lookup-accessor",
        Some(&serde_json::json!({ "accessor": accessor })),
        None,
        None,
    )
    .is_ok()
}

#[test]
fn the_drill_host_drills_a_backup_only_node_under_a_grant_it_revokes() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web-1", dir.path());
    let data = dir.path().join("data");
    for i in 0..6u8 {
        write(
            &data.join(format!("f{i}")),
            &vec![i; 40_000 + usize::from(i)],
        );
    }
    let o = n.run(&["backup", "--job", "files", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The node cannot read its own backups: it is told where drills come from.
    let o = n.run(&["drill"]);
    assert_eq!(code(&o), 12, "{}", stderr(&o));
    assert!(stderr(&o).contains("bananadm drill"), "{}", stderr(&o));

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
    // The drill host's token: restore grants, and no secret of its own.
    let o = bao.adm(&admin, &["drill-host", "token", "--ttl", "1h"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let token = stdout(&o);
    let mut v = Vault::connect(&common::vault::Location::new(&bao.addr)).unwrap();
    v.set_token(common::vault::Secret::new(&token));
    for path in [
        "banana/data/nodes/web-1/restore",
        "banana/data/nodes/web-1/agent",
        "banana/data/nodes/web-1/reaper",
        "banana/data/fleet/signing",
    ] {
        assert!(v.request("GET", path, None, None, None).is_err(), "{path}");
    }
    // A backup the tower sees: the job exists there.
    let o = n.run(&["backup", "--job", "files", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let state = dir.path().join("drill-state");
    let o = bao.adm(
        "",
        &[
            "drill-host",
            "enroll",
            "--name",
            "drill-1",
            "--collector",
            &tower.url,
            "--collector-code",
            &tower.code_as("drill-1", &["--drill"]),
            "--state-dir",
            state.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let drill = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "drill",
            "web-1",
            "--sample",
            "100%",
            "--state-dir",
        ];
        args.push(state.to_str().unwrap());
        args.extend_from_slice(extra);
        bao.adm(&token, &args)
    };
    let o = drill(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d = last_json(&o)
        .into_iter()
        .find(|l| l["message_type"] == "drill")
        .unwrap();
    assert_eq!(
        (
            d["passed"].as_bool(),
            d["files"].as_u64(),
            d["job"].as_str()
        ),
        (Some(true), Some(6), Some("files")),
        "{d}"
    );
    // The grant's token is refused afterwards; no restore token lives on.
    let accessor = d["grant_accessor"].as_str().unwrap();
    let root = bao.root();
    assert!(!accessor_alive(&root, accessor), "the grant is revoked");
    assert_eq!(live_tokens_with(&bao, "banana-restore-web-1"), 0);
    // No identity on the drill host's disk (the node's, read as root here).
    let secret = root
        .request("GET", "banana/data/nodes/web-1/restore", None, None, None)
        .unwrap()
        .unwrap();
    let identity = secret["data"]["data"]["identities"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(identity.starts_with("AGE-SECRET-KEY-"), "{secret}");
    let mut files = Vec::new();
    files_under(&state, &mut files);
    for f in &files {
        let b = std::fs::read(f).unwrap();
        assert!(
            !String::from_utf8_lossy(&b).contains(&identity),
            "identity in {}",
            f.display()
        );
    }
    assert!(
        !files.iter().any(|f| f.to_string_lossy().contains("/run-")),
        "no scratch directory left: {files:?}"
    );
    // The tower shows it, by the drill host.
    let node = &tower.get("/api/v1/nodes/web-1")["node"];
    let job = node["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "files")
        .unwrap();
    let last = &job["last_drill"];
    assert_eq!(
        (last["by"].as_str(), last["passed"].as_bool()),
        (Some("drill-1"), Some(true)),
        "{node}"
    );
    assert_eq!(last["facts"]["files"], 6, "{last}");

    // Damage in every pack: exit 13 naming the snapshot and a file; the
    // tower fires drill-failed with that text, until a drill passes.
    let mut packs = Vec::new();
    files_under(&n.storage.join("data"), &mut packs);
    let pristine: Vec<(PathBuf, Vec<u8>)> = packs
        .iter()
        .map(|p| (p.clone(), std::fs::read(p).unwrap()))
        .collect();
    for (p, b) in &pristine {
        let mut b = b.clone();
        let mid = b.len() / 2;
        b[mid] ^= 1;
        std::fs::write(p, b).unwrap();
    }
    let o = drill(&[]);
    assert_eq!(code(&o), 13, "{}", stderr(&o));
    let d = last_json(&o)
        .into_iter()
        .find(|l| l["message_type"] == "drill")
        .unwrap();
    let first = d["failures"][0].as_str().unwrap().to_owned();
    assert!(first.contains("snapshot "), "{first}");
    assert!(!accessor_alive(
        &root,
        d["grant_accessor"].as_str().unwrap()
    ));
    let firing = |rule: &str| {
        tower.get("/api/v1/alerts")["firing"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == rule && a["node"] == "web-1")
            .cloned()
    };
    let mut alert = None;
    for _ in 0..600 {
        alert = firing("drill-failed");
        if alert.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let alert = alert.expect("drill-failed fires");
    assert!(
        alert.to_string().contains(&first[..40.min(first.len())]),
        "{alert}"
    );
    for (p, b) in &pristine {
        std::fs::write(p, b).unwrap();
    }
    let o = drill(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut resolved = false;
    for _ in 0..600 {
        if firing("drill-failed").is_none() {
            resolved = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(resolved, "drill-failed resolves when a drill passes");
}
