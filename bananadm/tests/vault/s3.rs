//! A node whose storage is S3 or Swift, with its credential in Vault: it backs up and
//! (with a grant) restores without any credential on its disk, and the
//! secret key appears nowhere it should not.

use crate::harness::*;
use testkit::{seaweed, swift};

#[test]
fn an_s3_node_gets_its_storage_credential_from_vault_and_never_keeps_it() {
    let Some(bao) = Bao::start() else { return };
    let Some(s3) = seaweed::server() else { return };
    let admin = bao.setup();
    let secret = s3.admin.secret_key.expose().to_owned();
    let toml = format!(
        "access_key = \"{}\"\nsecret_key = \"{secret}\"\n",
        s3.admin.access_key
    );
    let location = s3.location(&s3.bucket("vaultnode"), "nodes/s3node");
    // A location carrying a secret is refused before anything is stored.
    let bad = location.replace("s3://", "s3://AKIA:oops@");
    let out = bao.adm(&admin, &["node", "add", "leaky", "--storage", &bad]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!stderr(&out).contains("oops"), "{}", stderr(&out));
    node_on_remote_storage(&bao, &admin, "s3node", &location, &toml, &secret);
}

#[test]
fn a_swift_node_gets_its_user_and_key_from_vault_and_never_keeps_them() {
    let Some(bao) = Bao::start() else { return };
    let Some(sw) = swift::server() else { return };
    let admin = bao.setup();
    let secret = sw.canary_key.clone();
    let toml = format!("user = \"banana:canary\"\nkey = \"{secret}\"\n");
    let location = sw.location("vaultnode", "nodes/swiftnode");
    node_on_remote_storage(&bao, &admin, "swiftnode", &location, &toml, &secret);
}

/// Enrols `node` on `location` with the credentials file `toml`, backs up
/// (no storage credential in its environment), restores with a grant, and
/// looks for `secret` in everything printed, the agent's /proc and every
/// file but the credentials file.
fn node_on_remote_storage(
    bao: &Bao,
    admin: &str,
    node: &str,
    location: &str,
    toml: &str,
    secret: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("storage.toml");
    std::fs::write(&creds, toml).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    let n = bao.enrol_at(
        admin,
        node,
        dir.path(),
        location,
        &["--storage-credentials", creds.to_str().unwrap()],
    );
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("f"), b"stored remotely through Vault").unwrap();
    let mut transcript = Vec::new();
    let mut child = n
        .cmd(&["--json", "-vv", "backup", data.to_str().unwrap()])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("ST_USER")
        .env_remove("ST_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let proc_seen = watch_proc(&mut child, 100);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    transcript.extend_from_slice(&o.stdout);
    transcript.extend_from_slice(&o.stderr);
    let g = stdout(&bao.adm(admin, &["restore", "grant", node]));
    let target = dir.path().join("t");
    let o = n.run(&[
        "-vv",
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--grant",
        &g,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    transcript.extend_from_slice(&o.stdout);
    transcript.extend_from_slice(&o.stderr);
    let back = std::fs::read(target.join(data.strip_prefix("/").unwrap()).join("f")).unwrap();
    assert_eq!(back, b"stored remotely through Vault");
    let o = bao.adm(admin, &["--json", "node", "show", node]);
    transcript.extend_from_slice(&o.stdout);
    let has = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret.as_bytes());
    assert!(!has(&transcript), "the storage secret was printed");
    assert!(
        !has(&proc_seen),
        "the storage secret is in the agent's /proc"
    );
    for (p, bytes) in tree_bytes(dir.path()) {
        if p == creds {
            continue;
        }
        assert!(!has(&bytes), "{} holds the storage secret", p.display());
    }
}

/// What `bananadm storage policy` prints is what the test server enforces
/// (`common::control::storage_policy`), for the node's own prefix only.
#[test]
fn storage_policy_prints_the_enforced_append_only_policies() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args(["--json", "storage", "policy", "web-01", "--storage"])
        .arg("s3://s3.example.net/backups/fleet/web-01?region=eu-west-1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let loc = match common::backend::Location::parse("s3://s3.example.net/backups/fleet/web-01")
        .unwrap()
    {
        common::backend::Location::S3(l) => l,
        _ => unreachable!(),
    };
    let p = common::control::storage_policy::policies("web-01", &loc);
    assert_eq!(v["node_policy"], p.node);
    assert_eq!(v["reaper_policy"], p.reaper);
    let text = v["node_policy"].to_string();
    assert!(
        text.contains("arn:aws:s3:::backups/fleet/web-01/*"),
        "{text}"
    );
    assert!(
        !text.contains("arn:aws:s3:::backups/*\",\"arn:aws:s3:::backups/fleet"),
        "{text}"
    );
    for denied in common::control::storage_policy::NODE_DENIED {
        assert!(text.contains(denied), "{denied} not denied");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args(["storage", "policy", "web-01", "--storage", "/srv/backup"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("not an S3 or Swift location"),
        "{}",
        stderr(&out)
    );
}

/// For Swift, the containers and ACL headers `common::control::storage_policy` gives
/// (applied to a real Swift by bananactl's tests), as `swift post` commands.
#[test]
fn storage_policy_prints_the_swift_container_acls() {
    let url = "swift://swift.example.net/web-01/fleet?auth=v1";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args(["--json", "storage", "policy", "web-01", "--storage", url])
        .args([
            "--node-user",
            "backups:web-01",
            "--reaper-user",
            "backups:reaper",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let common::backend::Location::Swift(loc) = common::backend::Location::parse(url).unwrap()
    else {
        unreachable!()
    };
    let want =
        common::control::storage_policy::swift_containers(&loc, "backups:web-01", "backups:reaper");
    assert_eq!(v["swift_containers"], serde_json::to_value(&want).unwrap());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args(["storage", "policy", "web-01", "--storage", url])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("cannot make a container append-only"),
        "{text}"
    );
    assert!(
        text.contains(
            "swift post 'web-01' --header 'X-Container-Read: ACCOUNT:web-01,ACCOUNT:reaper'"
        ),
        "{text}"
    );
    assert!(
        text.contains("'X-History-Location: web-01-archive'"),
        "{text}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args([
            "storage",
            "policy",
            "web-01",
            "--storage",
            url,
            "--node-user",
            "a b",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--node-user 'a b' is not a Swift ACL user"),
        "{}",
        stderr(&out)
    );
}

/// `--copy-to`: the copier's policies after the node's and the reaper's,
/// the same `common::control::storage_policy::copier` the test server
/// enforces (bananactl's `copy.rs` tests them there); a Swift end gets
/// ACL commands.
#[test]
fn storage_policy_prints_the_copiers_policies() {
    let src = "s3://s3.dc1.example.net/backups/web-01";
    let dst = "s3://s3.dc2.example.net/copies/web-01";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args([
            "--json",
            "storage",
            "policy",
            "web-01",
            "--storage",
            src,
            "--copy-to",
            dst,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let s3 = |u: &str| match common::backend::Location::parse(u).unwrap() {
        common::backend::Location::S3(l) => l,
        _ => unreachable!(),
    };
    let p = common::control::storage_policy::copier("web-01", Some(&s3(src)), Some(&s3(dst)));
    assert_eq!(lines[1]["copier_source_policy"], p.source.unwrap());
    assert_eq!(
        lines[1]["copier_destination_policy"],
        p.destination.unwrap()
    );
    let source = lines[1]["copier_source_policy"].to_string();
    assert!(
        source.contains("arn:aws:s3:::backups/web-01/*") && source.contains("s3:DeleteObject"),
        "{source}"
    );
    let to_swift = "swift://swift.dc2.example.net/copy-web-01/fleet?auth=v1";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args([
            "storage",
            "policy",
            "web-01",
            "--storage",
            src,
            "--copy-to",
            to_swift,
        ])
        .args(["--copier-user", "dr:copier", "--reaper-user", "dr:reaper"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("swift post 'copy-web-01' --header 'X-Container-Read: dr:copier,dr:reaper'"),
        "{text}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args([
            "storage",
            "policy",
            "web-01",
            "--storage",
            src,
            "--copy-to",
            to_swift,
        ])
        .args(["--copier-user", "x' ; rm -rf /"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stdout(&out));
}
