//! The hostile-input issue, Vault and network side: `--replace` never leaves
//! a half-done node; a wrapped token made by another path is refused before it
//! is unwrapped; plain http to a remote Vault is refused; a wiped repository
//! of an enrolled node is an alarm (exit 16), not a fresh start.

use crate::harness::*;
use common::vault::Secret;

fn role_id(bao: &Bao, node: &str) -> String {
    bao.root()
        .request(
            "GET",
            &format!("auth/banana-approle/role/{node}/role-id"),
            None,
            None,
            None,
        )
        .unwrap()
        .unwrap()["data"]["role_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn replace_without_the_right_to_delete_the_role_changes_nothing() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web", dir.path());
    let before = role_id(&bao, "web");
    // The admin policy, minus the right to delete AppRole roles.
    let full = stdout(&bao.adm(&admin, &["vault", "policy"]));
    let limited = full.replace(
        "path \"auth/banana-approle/role/*\" {\n  capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\"]",
        "path \"auth/banana-approle/role/*\" {\n  capabilities = [\"create\", \"read\", \"update\", \"list\"]",
    );
    assert_ne!(
        full, limited,
        "the admin policy text changed: update this test"
    );
    let root = bao.root();
    root.request(
        "PUT",
        "sys/policies/acl/no-role-delete",
        Some(&serde_json::json!({ "policy": limited })),
        None,
        None,
    )
    .unwrap();
    let tok = root
        .request(
            "POST",
            "auth/token/create",
            Some(&serde_json::json!({"policies": ["no-role-delete"], "ttl": "1h"})),
            None,
            None,
        )
        .unwrap()
        .unwrap()["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = bao.adm(&tok, &["node", "add", "web", "--replace"]);
    assert_eq!(code(&out), 15, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("old AppRole role could not be deleted"),
        "{}",
        stderr(&out)
    );
    // Nothing half-done: the same role, and the old credentials still log in.
    assert_eq!(role_id(&bao, "web"), before);
    let src = dir.path().join("src");
    write(&src.join("f"), b"still enrolled");
    let b = n.run(&["backup", src.to_str().unwrap()]);
    assert!(b.status.success(), "{}", stderr(&b));
}

#[test]
fn replace_with_a_typo_in_storage_or_its_credentials_changes_nothing() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web", dir.path());
    let before = role_id(&bao, "web");
    let missing = dir.path().join("no-such-credentials.toml");
    let open = dir.path().join("open.toml");
    std::fs::write(&open, "access_key = \"a\"\nsecret_key = \"b\"\n").unwrap();
    for args in [
        vec!["--storage-credentials", missing.to_str().unwrap()],
        // World-readable: refused like any storage credential file.
        vec!["--storage-credentials", open.to_str().unwrap()],
        vec!["--storage", "s3://AKIA:oops@127.0.0.1:1/bucket/p"],
    ] {
        let mut all = vec!["node", "add", "web", "--replace"];
        all.extend(args.iter().copied());
        let out = bao.adm(&admin, &all);
        assert_ne!(code(&out), 0, "{args:?}");
        assert_eq!(
            role_id(&bao, "web"),
            before,
            "{args:?}: the role was replaced"
        );
    }
    let src = dir.path().join("src");
    write(&src.join("f"), b"still enrolled");
    let b = n.run(&["backup", src.to_str().unwrap()]);
    assert!(b.status.success(), "{}", stderr(&b));
}

#[test]
fn a_wrapped_token_from_another_path_is_refused_before_unwrapping() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web", dir.path());
    // Anyone with a token can wrap data of their own choosing.
    let wrap = |data: serde_json::Value| -> String {
        bao.root()
            .request("POST", "sys/wrapping/wrap", Some(&data), Some("300s"), None)
            .unwrap()
            .unwrap()["wrap_info"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let fake_secret = wrap(serde_json::json!({"secret_id": "attacker-chosen"}));
    let other = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bananactl())
        .args(["--vault-credentials"])
        .arg(other.path().join("vault.json"))
        .arg("--state-dir")
        .arg(other.path().join("state"))
        .args([
            "enroll",
            "--vault-addr",
            &bao.addr,
            "--node",
            "web",
            "--role-id",
            "x",
            "--wrapped-secret-id",
            &fake_secret,
        ])
        .env("BANANA_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(code(&out), 15, "{}", stderr(&out));
    assert!(stderr(&out).contains("not created by"), "{}", stderr(&out));
    assert!(!other.path().join("vault.json").exists());
    // Refused before it was unwrapped: the token still unwraps once.
    assert!(bao.root().unwrap(&Secret::new(&fake_secret)).is_ok());
    // The same for a restore grant.
    let fake_grant = wrap(serde_json::json!({"client_token": "s.attacker"}));
    let t = dir.path().join("t");
    let out = n.run(&[
        "restore",
        "latest",
        "--target",
        t.to_str().unwrap(),
        "--grant",
        &fake_grant,
    ]);
    assert_eq!(code(&out), 15, "{}", stderr(&out));
    assert!(stderr(&out).contains("not created by"), "{}", stderr(&out));
    assert!(bao.root().unwrap(&Secret::new(&fake_grant)).is_ok());
}

/// Vault at a plain http:// address of this machine that is not loopback
/// (a listener there counts connections): refused before anything connects.
#[test]
fn plain_http_to_a_remote_vault_is_refused_without_insecure_http() {
    let dir = tempfile::tempdir().unwrap();
    let trap = testkit::Trap::off_loopback();
    if trap.is_none() {
        eprintln!("no address off loopback here: 10.0.0.1, connections not counted");
    }
    let url = trap
        .as_ref()
        .map_or("http://10.0.0.1:8200".to_owned(), |t| t.url());
    let out = std::process::Command::new(bananactl())
        .arg("--vault-credentials")
        .arg(dir.path().join("vault.json"))
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .args([
            "enroll",
            "--vault-addr",
            &url,
            "--node",
            "web",
            "--role-id",
            "x",
            "--wrapped-secret-id",
            "s.x",
        ])
        .env("BANANA_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("plain http"), "{}", stderr(&out));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args(["--vault-addr", &url, "node", "list"])
        .env("VAULT_TOKEN", "s.x")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--insecure-http"), "{}", stderr(&out));
    // Refused before any connection was tried.
    if let Some(t) = &trap {
        assert_eq!(t.connections(), 0, "something connected to {url}");
    }
}

#[test]
fn a_wiped_repository_of_an_enrolled_node_is_an_alarm_not_a_fresh_start() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web", dir.path());
    let src = dir.path().join("src");
    write(&src.join("f"), b"day one");
    let first = n.run(&["--json", "backup", src.to_str().unwrap()]);
    assert!(first.status.success(), "{}", stderr(&first));
    // The mount is wiped (an empty directory remains): exit 16, nothing written.
    std::fs::remove_dir_all(&n.storage).unwrap();
    std::fs::create_dir(&n.storage).unwrap();
    let out = n.run(&["backup", src.to_str().unwrap()]);
    assert_eq!(code(&out), 16, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is empty") && stderr(&out).contains("last wrote snapshot"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(&n.storage).unwrap().count(), 0);
    // The mount point itself is gone: nothing is created.
    std::fs::remove_dir(&n.storage).unwrap();
    let out = n.run(&["backup", src.to_str().unwrap()]);
    assert_eq!(code(&out), 16, "{}", stderr(&out));
    assert!(!n.storage.exists());
    // The operator starts over on purpose.
    std::fs::create_dir(&n.storage).unwrap();
    let out = n.run(&["init", "--force-new"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = n.run(&["backup", src.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}
