//! Acceptance 3 (P2 end to end), 4 (rotation), 5 (break-glass), 7 (token
//! revoked), 8 (Vault down / sealed / denied), 9 (init idempotent, dry run).

use crate::harness::*;
use common::vault::{RestoreSecret, Secret};

fn backup(n: &Node, dir: &std::path::Path) -> std::process::Output {
    n.run(&["--json", "backup", dir.to_str().unwrap()])
}

fn restore_with_grant(
    bao: &Bao,
    admin: &str,
    n: &Node,
    snap: &str,
    target: &std::path::Path,
) -> std::process::Output {
    let g = stdout(&bao.adm(admin, &["restore", "grant", &n.name]));
    n.run(&[
        "restore",
        snap,
        "--target",
        target.to_str().unwrap(),
        "--grant",
        &g,
    ])
}

#[test]
fn node_writes_backups_it_cannot_read_until_granted() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "db-1", dir.path());
    let data = dir.path().join("data");
    write(
        &data.join("secret.sql"),
        b"INSERT INTO cards VALUES ('4111')",
    );
    let o = backup(&n, &data);
    assert!(o.status.success(), "{}", stderr(&o));
    // Everything the node has (its disk, its own Vault login) does not decrypt.
    let t = dir.path().join("restore");
    for args in [
        vec!["restore", "latest", "--target", t.to_str().unwrap()],
        vec!["dump", "latest", "/x"],
        vec!["check", "--read-data"],
    ] {
        let o = n.run(&args);
        assert_eq!(code(&o), 12, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("backup half"));
    }
    assert!(!t.join("tmp").exists());
    let o = n.run(&["check"]);
    assert!(
        o.status.success(),
        "structure check works with the backup half: {}",
        stderr(&o)
    );
    // With a grant it restores byte-identical.
    let o = restore_with_grant(&bao, &admin, &n, "latest", &t);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = std::fs::read(t.join(data.join("secret.sql").strip_prefix("/").unwrap())).unwrap();
    assert_eq!(got, b"INSERT INTO cards VALUES ('4111')");
}

fn pack_names(repo: &std::path::Path) -> std::collections::BTreeSet<String> {
    tree_bytes(&repo.join("data"))
        .into_iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn opens_with(pack: &[u8], identity: &str) -> bool {
    use common::crypto::age;
    let id = age::parse_identity(identity).unwrap();
    let body_len = {
        let n = pack.len();
        let hlen = u32::from_le_bytes(pack[n - 8..n - 4].try_into().unwrap()) as usize;
        n - 8 - hlen
    };
    age::reader(
        &[id],
        std::io::Cursor::new(&pack[..body_len]),
        body_len as u64,
        "pack",
    )
    .is_ok()
}

#[test]
fn rotation_keeps_old_backups_readable_and_encrypts_new_ones_to_the_new_key() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "app", dir.path());
    let data = dir.path().join("data");
    write(&data.join("v1"), b"before rotation");
    let first = backup(&n, &data);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = pack_names(&n.storage);
    let o = bao.adm(&admin, &["node", "rotate", "app"]);
    assert!(o.status.success(), "{}", stderr(&o));
    write(&data.join("v2"), b"after rotation, new content");
    assert!(backup(&n, &data).status.success());
    let new_packs: Vec<_> = pack_names(&n.storage)
        .difference(&before)
        .cloned()
        .collect();
    assert!(!new_packs.is_empty());
    let (secret, _) = bao
        .root()
        .kv_get::<RestoreSecret>("nodes/app/restore")
        .unwrap()
        .unwrap();
    assert_eq!(secret.identities.len(), 2);
    let (old, new) = (secret.identities[0].expose(), secret.identities[1].expose());
    for p in &new_packs {
        let bytes = std::fs::read(n.storage.join("data").join(&p[..2]).join(p)).unwrap();
        assert!(
            !opens_with(&bytes, old),
            "new pack {p} must not open with the old identity"
        );
        assert!(
            opens_with(&bytes, new),
            "new pack {p} must open with the new identity"
        );
    }
    // Both snapshots restore with a grant.
    let snaps = n.run(&["--json", "snapshots"]);
    let ids: Vec<String> = stdout(&snaps)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message_type"] == "snapshot")
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    for (i, id) in ids.iter().enumerate() {
        let t = dir.path().join(format!("t{i}"));
        let o = restore_with_grant(&bao, &admin, &n, id, &t);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            std::fs::read(t.join(data.join("v1").strip_prefix("/").unwrap())).unwrap(),
            b"before rotation"
        );
    }
}

#[test]
fn break_glass_restores_with_vault_stopped() {
    let Some(mut bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let o = bao.adm(&admin, &["breakglass", "keygen"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let identity_file = dir.path().join("offline-breakglass.txt");
    std::fs::write(&identity_file, &o.stdout).unwrap();
    let n = bao.enrol(&admin, "files", dir.path());
    let data = dir.path().join("data");
    write(
        &data.join("a.bin"),
        &(0..200_000u32).map(|i| (i * 7) as u8).collect::<Vec<_>>(),
    );
    assert!(backup(&n, &data).status.success());
    bao.stop();
    // No Vault, no key file: the offline identity and its verify key only.
    let t = dir.path().join("t");
    let out = std::process::Command::new(bananactl())
        .args([
            "--repo",
            n.storage.to_str().unwrap(),
            "--state-dir",
            dir.path().join("elsewhere").to_str().unwrap(),
        ])
        .args([
            "--vault-credentials",
            dir.path().join("none.json").to_str().unwrap(),
        ])
        .args([
            "restore",
            "latest",
            "--target",
            t.to_str().unwrap(),
            "--identity-file",
            identity_file.to_str().unwrap(),
        ])
        .args(["--node", "files"])
        .env("BANANA_CONFIG", n.dir.join("empty.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Storage cannot pass off another node's envelope: the node is named.
    let wrong = std::process::Command::new(bananactl())
        .args([
            "--repo",
            n.storage.to_str().unwrap(),
            "--vault-credentials",
            dir.path().join("none.json").to_str().unwrap(),
        ])
        .args([
            "restore",
            "latest",
            "--target",
            dir.path().join("t2").to_str().unwrap(),
        ])
        .args([
            "--identity-file",
            identity_file.to_str().unwrap(),
            "--node",
            "other",
        ])
        .env("BANANA_CONFIG", n.dir.join("empty.toml"))
        .output()
        .unwrap();
    assert_ne!(code(&wrong), 0);
    assert!(stderr(&wrong).contains("not 'other'"), "{}", stderr(&wrong));
    let rel = data.join("a.bin");
    assert_eq!(
        std::fs::read(t.join(rel.strip_prefix("/").unwrap())).unwrap(),
        std::fs::read(&rel).unwrap()
    );
}

#[test]
fn run_tokens_are_revoked_after_success_and_failure() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "tok", dir.path());
    let data = dir.path().join("data");
    write(&data.join("f"), b"x");
    assert!(backup(&n, &data).status.success());
    assert_eq!(
        live_tokens_with(&bao, "banana-node-tok"),
        0,
        "token revoked after a successful run"
    );
    // A failing run (a source that does not exist) also revokes.
    let o = n.run(&["backup", "/no/such/path"]);
    assert_eq!(code(&o), 2);
    let o = n.run(&[
        "restore",
        "nope",
        "--target",
        dir.path().join("t").to_str().unwrap(),
    ]);
    assert_ne!(code(&o), 0);
    assert_eq!(
        live_tokens_with(&bao, "banana-node-tok"),
        0,
        "token revoked after failed runs"
    );
}

#[test]
fn vault_down_sealed_or_denied_fails_clearly_and_uploads_nothing() {
    let Some(mut bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "edge", dir.path());
    let data = dir.path().join("data");
    write(&data.join("f"), b"first");
    assert!(backup(&n, &data).status.success());
    write(&data.join("g"), b"new data that must not be uploaded");
    let before = tree_bytes(&n.storage);
    let one_line = |o: &std::process::Output| {
        let e = stderr(o);
        assert_eq!(e.lines().count(), 1, "{e}");
        e
    };
    // Denied: the node was removed.
    assert!(bao
        .adm(&admin, &["node", "remove", "edge"])
        .status
        .success());
    let o = n.run(&["backup", data.to_str().unwrap()]);
    assert_eq!(code(&o), 15, "{}", stderr(&o));
    assert!(one_line(&o).contains("refused the node's AppRole credentials"));
    assert_eq!(tree_bytes(&n.storage), before);
    // Sealed.
    bao.root()
        .request("PUT", "sys/seal", None, None, None)
        .unwrap();
    let o = n.run(&["backup", data.to_str().unwrap()]);
    assert_eq!(code(&o), 14, "{}", stderr(&o));
    assert!(one_line(&o).contains("is sealed"));
    assert_eq!(tree_bytes(&n.storage), before);
    // Down.
    bao.stop();
    let o = n.run(&["backup", data.to_str().unwrap()]);
    assert_eq!(code(&o), 14, "{}", stderr(&o));
    assert!(one_line(&o).contains("cannot reach Vault"));
    assert_eq!(
        tree_bytes(&n.storage),
        before,
        "storage unchanged byte for byte"
    );
}

#[test]
fn vault_init_is_idempotent_and_dry_run_changes_nothing() {
    let Some(bao) = Bao::start() else { return };
    let state = |b: &Bao| {
        let r = b.root();
        let get = |p: &str| r.request("GET", p, None, None, None).unwrap().unwrap()["data"].clone();
        let mut mounts = get("sys/mounts");
        let mut auth = get("sys/auth");
        // Drop volatile fields (accessor and uuid are stable; keep everything).
        for v in [&mut mounts, &mut auth] {
            if let Some(o) = v.as_object_mut() {
                o.retain(|k, _| k.starts_with("banana"));
            }
        }
        let policies = r
            .request("LIST", "sys/policies/acl", None, None, None)
            .unwrap()
            .unwrap()["data"]["keys"]
            .clone();
        (mounts.to_string(), auth.to_string(), policies.to_string())
    };
    let empty = state(&bao);
    let o = bao.adm(ROOT, &["vault", "init", "--allow-root", "--dry-run"]);
    assert!(
        o.status.success() && stdout(&o).contains("would"),
        "{}",
        stdout(&o)
    );
    assert_eq!(state(&bao), empty, "dry run changed Vault");
    let o = bao.adm(ROOT, &["vault", "init"]);
    assert_eq!(code(&o), 2, "root token refused without --allow-root");
    assert!(
        stderr(&o).contains("path \"sys/mounts\""),
        "prints the admin policy"
    );
    assert!(bao
        .adm(ROOT, &["vault", "init", "--allow-root"])
        .status
        .success());
    let once = state(&bao);
    assert_ne!(once, empty);
    let o = bao.adm(ROOT, &["--json", "vault", "init", "--allow-root"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["changes"].as_array().unwrap().len(),
        0,
        "second run changes nothing: {v}"
    );
    assert_eq!(state(&bao), once);
    let _ = Secret::new("");
}

#[test]
fn scheduled_jobs_log_in_per_run_and_a_run_with_nothing_due_never_asks_vault() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "sched", dir.path());
    let data = dir.path().join("data");
    write(&data.join("f"), b"x");
    let cfg = n.dir.join("jobs.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[job]]\nname = \"files\"\nplugin = \"fs\"\npaths = [\"{}\"]\nevery = \"1h\"\n\n\
             [[job]]\nname = \"dump\"\nplugin = \"command\"\ncommand = [\"echo\", \"dumped\"]\nevery = \"1h\"\n",
            data.display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut c = n.cmd(args);
        c.env("BANANA_CONFIG", &cfg);
        c.output().unwrap()
    };
    let o = run(&["--json", "run"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("\"ran\":2"), "{}", stdout(&o));
    assert_eq!(
        live_tokens_with(&bao, "banana-node-sched"),
        0,
        "run tokens revoked"
    );
    // Removed from Vault: a run with nothing due does not notice (it asks nothing)…
    assert!(bao
        .adm(&admin, &["node", "remove", "sched"])
        .status
        .success());
    let o = run(&["--json", "run"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("\"ran\":0"), "{}", stdout(&o));
    // …a run with due jobs does: each job fails with Vault's refusal, exit 15.
    std::fs::remove_dir_all(n.state.join("jobs")).unwrap();
    let o = run(&["run"]);
    assert_eq!(code(&o), 15, "{}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(
        e.matches("refused the node's AppRole credentials").count(),
        2,
        "{e}"
    );
}
