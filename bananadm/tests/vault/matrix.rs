//! Acceptance 1 (permission matrix, with the copier's cells of issue 27)
//! and 2 (single use).

use crate::harness::*;
use common::vault::{NodeCredentials, Secret, Session, Vault};

fn creds(n: &Node) -> NodeCredentials {
    serde_json::from_slice(&std::fs::read(&n.creds).unwrap()).unwrap()
}

/// Whether `v` may GET `path`: anything but a refusal counts as allowed
/// (a permitted path may hold nothing yet).
fn can_read(v: &Vault, path: &str) -> bool {
    match v.request("GET", path, None, None, None) {
        Ok(_) => true,
        Err(e) => e.kind() != common::ErrorKind::VaultDenied,
    }
}

fn grant(bao: &Bao, admin: &str, node: &str, extra: &[&str]) -> Secret {
    let mut args = vec!["restore", "grant", node];
    args.extend_from_slice(extra);
    let out = bao.adm(admin, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    Secret::new(stdout(&out))
}

/// A grant unwrapped into a client holding its token.
fn grant_client(bao: &Bao, g: &Secret) -> Vault {
    let mut v = Vault::connect(&common::vault::Location::new(&bao.addr)).unwrap();
    let u = v.unwrap(g).unwrap();
    v.set_token(Secret::new(u["auth"]["client_token"].as_str().unwrap()));
    v
}

#[test]
fn permission_matrix() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        bao.enrol(&admin, "node-a", dir.path()),
        bao.enrol(&admin, "node-b", dir.path()),
    );
    let _ = &b;
    let node_a = Session::login(&creds(&a)).unwrap();
    let ga = grant_client(&bao, &grant(&bao, &admin, "node-a", &["--uses", "10"]));
    // The copier (issue 27): a token of the banana-copier role.
    let out = bao.adm(
        &admin,
        &[
            "node",
            "copy",
            "node-a",
            "--to",
            dir.path().join("copy-a").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = bao.adm(&admin, &["copier", "token", "--ttl", "1h"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut copier = Vault::connect(&common::vault::Location::new(&bao.addr)).unwrap();
    copier.set_token(Secret::new(stdout(&out)));
    // (who, path, allowed)
    let table: Vec<(&str, &Vault, &str, bool)> = vec![
        (
            "node A",
            node_a.vault(),
            "banana/data/nodes/node-a/agent",
            true,
        ),
        (
            "node A",
            node_a.vault(),
            "banana/data/fleet/recipients",
            true,
        ),
        (
            "node A",
            node_a.vault(),
            "banana/data/nodes/node-a/restore",
            false,
        ),
        (
            "node A",
            node_a.vault(),
            "banana/data/nodes/node-b/agent",
            false,
        ),
        (
            "node A",
            node_a.vault(),
            "banana/data/nodes/node-b/restore",
            false,
        ),
        ("node A", node_a.vault(), "banana/data/fleet/signing", false),
        (
            "node A",
            node_a.vault(),
            "sys/policies/acl/banana-node-a",
            false,
        ),
        ("node A", node_a.vault(), "sys/policies/acl", false),
        ("node A", node_a.vault(), "sys/mounts", false),
        (
            "node A",
            node_a.vault(),
            "auth/banana-approle/role/node-a",
            false,
        ),
        ("node A", node_a.vault(), "auth/token/accessors", false),
        ("grant A", &ga, "banana/data/nodes/node-a/restore", true),
        ("grant A", &ga, "banana/data/nodes/node-a/agent", false),
        ("grant A", &ga, "banana/data/nodes/node-b/restore", false),
        ("grant A", &ga, "banana/data/fleet/signing", false),
        ("grant A", &ga, "sys/policies/acl", false),
        ("grant A", &ga, "sys/mounts", false),
        ("copier", &copier, "banana/data/nodes/node-a/copy", true),
        ("copier", &copier, "banana/data/nodes/node-b/copy", true),
        ("copier", &copier, "banana/data/nodes/node-a/agent", false),
        ("copier", &copier, "banana/data/nodes/node-a/restore", false),
        ("copier", &copier, "banana/data/nodes/node-a/reaper", false),
        (
            "copier",
            &copier,
            "banana/data/nodes/node-a/retention",
            false,
        ),
        ("copier", &copier, "banana/data/fleet/recipients", false),
        ("copier", &copier, "banana/data/fleet/signing", false),
        ("copier", &copier, "sys/policies/acl", false),
        ("copier", &copier, "sys/mounts", false),
        (
            "node A",
            node_a.vault(),
            "banana/data/nodes/node-a/copy",
            false,
        ),
        ("grant A", &ga, "banana/data/nodes/node-a/copy", false),
    ];
    let mut wrong = Vec::new();
    for (who, v, path, want) in &table {
        if can_read(v, path) != *want {
            wrong.push(format!(
                "{who} {path}: expected {}",
                if *want { "allowed" } else { "denied" }
            ));
        }
    }
    println!(
        "permission matrix: {}/{} cells as specified",
        table.len() - wrong.len(),
        table.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");

    // An expired grant and a used-up grant are refused.
    let short = grant(&bao, &admin, "node-a", &["--ttl", "1s"]);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let mut v = Vault::connect(&common::vault::Location::new(&bao.addr)).unwrap();
    assert!(v.unwrap(&short).is_err(), "expired grant must be refused");
    let once = grant_client(&bao, &grant(&bao, &admin, "node-a", &["--uses", "1"]));
    assert!(can_read(&once, "banana/data/nodes/node-a/restore"));
    assert!(
        !can_read(&once, "banana/data/nodes/node-a/restore"),
        "a one-use grant works once"
    );
    v.set_token(Secret::new("not-a-token"));
    assert!(!can_read(&v, "banana/data/nodes/node-a/agent"));
}

#[test]
fn enrolment_secret_and_grants_are_single_use() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web", dir.path());
    // Replaying the printed enroll command on another machine is refused.
    let cmd = n.enroll_cmd.get().unwrap().clone();
    let other = dir.path().join("thief.json");
    let mut words: Vec<&str> = cmd.split_whitespace().skip(1).collect();
    words.extend_from_slice(&["--vault-credentials", other.to_str().unwrap()]);
    let out = std::process::Command::new(bananactl())
        .args(&words)
        .output()
        .unwrap();
    assert_eq!(code(&out), 15, "{}", stderr(&out));
    assert!(stderr(&out).contains("already used"), "{}", stderr(&out));
    assert!(!other.exists());
    // A one-use grant restores once; the second use is refused with a clear message.
    write(&dir.path().join("data/f"), b"x");
    let o = n.run(&["backup", dir.path().join("data").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let g = stdout(&bao.adm(&admin, &["restore", "grant", "web"]));
    let t = dir.path().join("t");
    let o = n.run(&[
        "restore",
        "latest",
        "--target",
        t.to_str().unwrap(),
        "--grant",
        &g,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = n.run(&[
        "restore",
        "latest",
        "--target",
        t.to_str().unwrap(),
        "--grant",
        &g,
    ]);
    assert_eq!(code(&o), 15);
    let lines: Vec<&str> = std::str::from_utf8(&o.stderr).unwrap().lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("already used"), "{}", lines[0]);
}
