//! `bananactl copy --to` against real storage: a directory to SeaweedFS,
//! SeaweedFS to Swift, Swift back to a directory, each end checked and
//! restored from; a copy with nothing new (its requests counted); a damaged
//! object not copied; `kill -9` at twenty points; a snapshot the source
//! lost. The engine's own cases (a crash at every operation, retention
//! told from loss) are `common/src/ops/copy/tests.rs`.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A key-file source with two backups of its `src` (1 MiB packs: many
/// objects).
fn source() -> (Env, PathBuf) {
    let e = Env::with_init(&["--pack-size", "1"]);
    let src = e.path("src");
    for i in 0..6u64 {
        write(
            &src.join(format!("d{}/f{i}", i % 2)),
            &random_bytes(i, 1_500_000),
        );
    }
    write(&src.join("small"), b"first");
    e.backup(&[&src]);
    write(&src.join("small"), b"second");
    write(&src.join("d0/new"), &random_bytes(99, 700_000));
    e.backup(&[&src]);
    (e, src)
}

/// The same key, another repository location and storage credentials.
fn at(e: &Env, repo: &str, vars: Vec<(String, String)>) -> Env {
    let mut other = Env::bare();
    std::fs::copy(&e.key, &other.key).unwrap();
    other.repo = PathBuf::from(repo);
    other.vars = vars;
    other
}

/// A credentials file (mode 0600) of `lines`.
fn credentials(e: &Env, name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = e.path(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

/// Copies `from` to `to`, then checks and restores there, byte-identical.
fn copy_and_prove(from: &Env, to: &Env, creds: &str, src: &Path) -> serde_json::Value {
    let to_repo = to.repo.to_str().unwrap();
    let r = from.json(&["copy", "--to", to_repo, "--to-credentials", creds]);
    assert_eq!(r["snapshots"], 2, "{r}");
    assert_eq!(r["damaged"].as_array().unwrap().len(), 0, "{r}");
    let c = to.json(&["check", "--read-data"]);
    assert_eq!(c["problems"], 0, "{c}");
    let target = to.path(&format!("restore-{}", r["objects"]));
    to.restore("latest", &target).ok();
    same_tree(src, &restored(&target, src));
    // Nothing new: nothing written, a handful of requests.
    let again = from.json(&["copy", "--to", to_repo, "--to-credentials", creds]);
    assert_eq!(
        (again["objects"].as_u64(), again["snapshots"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    assert!(
        again["destination_requests"].as_u64().unwrap() <= 10,
        "{again}"
    );
    again
}

#[test]
fn a_directory_copied_to_seaweedfs_then_swift_then_a_directory_restores_the_same_bytes() {
    let (Some(s3), Some(swift)) = (testkit::seaweed::server(), testkit::swift::server()) else {
        return;
    };
    let (dir, src) = source();
    let s3_vars = vec![
        ("AWS_ACCESS_KEY_ID".to_owned(), s3.admin.access_key.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            s3.admin.secret_key.expose().to_owned(),
        ),
    ];
    let on_s3 = at(
        &dir,
        &s3.location(&s3.bucket("copy"), "second/node-01"),
        s3_vars.clone(),
    );
    let s3_creds = credentials(
        &dir,
        "s3.toml",
        &format!(
            "access_key = \"{}\"\nsecret_key = \"{}\"\n",
            s3.admin.access_key,
            s3.admin.secret_key.expose()
        ),
    );
    let again = copy_and_prove(&dir, &on_s3, &s3_creds, &src);
    assert_eq!(again["source_requests"], 0, "a directory: {again}");

    let on_swift = at(
        &dir,
        &swift.location("copy", "third/node-01"),
        swift.env("agent"),
    );
    let swift_creds = credentials(
        &on_s3,
        "swift.toml",
        &format!(
            "user = \"banana:agent\"\nkey = \"{}\"\n",
            testkit::swift::KEY
        ),
    );
    copy_and_prove(&on_s3, &on_swift, &swift_creds, &src);

    let back = at(&dir, dir.path("fourth").to_str().unwrap(), Vec::new());
    let r = on_swift.json(&["copy", "--to", back.repo.to_str().unwrap()]);
    assert_eq!(r["snapshots"], 2, "{r}");
    let c = back.json(&["check", "--read-data"]);
    assert_eq!(c["problems"], 0, "{c}");
    let target = back.path("restore");
    back.restore("latest", &target).ok();
    same_tree(&src, &restored(&target, &src));
}

#[test]
fn a_damaged_pack_is_not_copied_and_the_copy_exits_13_naming_it() {
    let e = Env::with_init(&["--pack-size", "1"]);
    let src = e.path("src");
    for i in 0..4u64 {
        write(&src.join(format!("f{i}")), &random_bytes(i, 1_200_000));
    }
    e.backup(&[&src]);
    let dest = e.path("second");
    let r = e.json(&["copy", "--to", dest.to_str().unwrap()]);
    assert_eq!(r["snapshots"], 1, "{r}");
    // A new backup, one of whose new packs storage damages.
    let before: Vec<PathBuf> = e.objects().into_iter().map(|(p, _)| p).collect();
    write(&src.join("new"), &random_bytes(50, 1_500_000));
    e.backup(&[&src]);
    let pack = e
        .objects()
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| !before.contains(p) && p.parent().unwrap().parent().unwrap().ends_with("data"))
        .expect("a new pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes[1000] ^= 0x40;
    std::fs::write(&pack, &bytes).unwrap();
    let name = pack.file_name().unwrap().to_str().unwrap().to_owned();

    let run = e.run(&["copy", "--to", dest.to_str().unwrap()]).code(13);
    assert!(run.stderr.contains(&name), "{}", run.stderr);
    assert!(
        !dest.join("data").join(&name[..2]).join(&name).exists(),
        "not copied"
    );
    let second = at(&e, dest.to_str().unwrap(), Vec::new());
    let c = second.json(&["check", "--read-data"]);
    assert_eq!(c["problems"], 0, "what was copied before stays valid: {c}");
    assert_eq!(second.json(&["snapshots"])["count"], 1);
}

#[test]
fn a_copy_killed_at_twenty_points_leaves_a_repository_and_finishes_without_rewriting() {
    let Some(s3) = testkit::seaweed::server() else {
        return;
    };
    let mut e = Env::with_init(&["--pack-size", "1"]);
    let src = e.path("src");
    for i in 0..12u64 {
        write(&src.join(format!("f{i}")), &random_bytes(i, 1_000_000));
    }
    e.backup(&[&src]);
    write(&src.join("f0"), &random_bytes(100, 1_000_000));
    e.backup(&[&src]);
    let vars = vec![
        ("AWS_ACCESS_KEY_ID".to_owned(), s3.admin.access_key.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            s3.admin.secret_key.expose().to_owned(),
        ),
    ];
    let second = at(
        &e,
        &s3.location(&s3.bucket("killed"), "node-01"),
        vars.clone(),
    );
    e.vars = vars;
    let to = second.repo.to_str().unwrap().to_owned();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut interrupted = 0;
    for point in 0..20u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Each round has new objects to copy, slowed to 2 MiB/s, and a
        // kill at a random moment of it.
        write(
            &src.join(format!("round{point}")),
            &random_bytes(1000 + point, 1_500_000),
        );
        e.backup(&[&src]);
        let mut child = e
            .cmd(&["copy", "--to", &to, "--limit-upload", "2048"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(seed % 900));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let listed = second.run(&["--json", "snapshots"]);
        if listed.code == 0 {
            let c = second.json(&["check"]);
            assert_eq!(c["problems"], 0, "after the kill at point {point}: {c}");
            interrupted += usize::from(listed.summary()["count"] != point + 3);
        } else {
            assert!(
                listed.stderr.contains("no repository"),
                "point {point}: {}",
                listed.stderr
            );
            interrupted += 1;
        }
    }
    println!("{interrupted} of 20 kills landed inside a copy");
    assert!(
        interrupted >= 5,
        "only {interrupted} kills landed inside a copy"
    );
    let plan = e.json(&["copy", "--to", &to, "--dry-run"]);
    let lacking: u64 = plan["planned"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["objects"].as_u64().unwrap())
        .sum();
    let done = e.json(&["copy", "--to", &to]);
    assert_eq!(done["already_present"], 0, "nothing written twice: {done}");
    assert!(
        done["objects"].as_u64().unwrap() <= lacking + 1,
        "only what was lacking (and the config): {plan} {done}"
    );
    let c = second.json(&["check", "--read-data"]);
    assert_eq!(c["problems"], 0, "{c}");
    let target = second.path("restore");
    second.restore("latest", &target).ok();
    same_tree(&src, &restored(&target, &src));
}

#[test]
fn a_snapshot_the_source_lost_is_reported_and_restored_from_the_copy() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("a"), b"kept");
    e.backup(&[&src]);
    write(&src.join("a"), b"the newest version");
    let newest = e.backup(&[&src])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dest = e.path("second");
    let itself = e.run(&["copy", "--to", e.repo.to_str().unwrap()]).code(2);
    assert!(
        itself.stderr.contains("is the repository itself"),
        "{}",
        itself.stderr
    );
    e.json(&["copy", "--to", dest.to_str().unwrap()]);
    // Storage loses the newest snapshot, with no forget record.
    std::fs::remove_file(e.repo.join("snapshots").join(&newest)).unwrap();
    let run = e
        .run(&["--json", "copy", "--to", dest.to_str().unwrap()])
        .code(3);
    let r = run.summary();
    assert_eq!(r["source_lost"], serde_json::json!([newest]), "{r}");
    let second = at(&e, dest.to_str().unwrap(), Vec::new());
    let target = second.path("restore");
    second.restore(&newest, &target).ok();
    assert_eq!(
        std::fs::read(restored(&target, &src).join("a")).unwrap(),
        b"the newest version"
    );
    // Once accepted, no longer reported.
    e.run(&["copy", "--to", dest.to_str().unwrap(), "--accept-lost"])
        .ok();
    e.run(&["copy", "--to", dest.to_str().unwrap()]).ok();
}

fn as_(c: &common::backend::s3::S3Credentials) -> Vec<(String, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID".into(), c.access_key.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            c.secret_key.expose().to_owned(),
        ),
    ]
}

/// Acceptance 4 (storage): with the policies `bananadm storage policy
/// node1 --copy-to` prints, the copier copies; the node's credential
/// cannot list, read or write the copy; the copier's deletes nowhere and
/// cannot write the source.
#[test]
fn the_copier_copies_with_its_own_credentials_and_neither_it_nor_the_node_can_harm_the_copy() {
    use common::backend::{open_with, Kind, OpenOptions};
    use testkit::seaweed::{self, COPY_BUCKET, LOCKED_BUCKET};
    let Some(s) = seaweed::server() else { return };
    let mut e = Env::bare();
    let prefix = format!("node1/c{:08x}", rand::random::<u32>());
    e.repo = PathBuf::from(s.location(LOCKED_BUCKET, &prefix));
    e.vars = as_(&s.node);
    e.run(&["init"]).ok();
    let src = e.path("src");
    write(&src.join("a"), &random_bytes(1, 300_000));
    e.backup(&[&src]);
    let to = s.location(COPY_BUCKET, &prefix);
    let creds = credentials(
        &e,
        "copier.toml",
        &format!(
            "access_key = \"{}\"\nsecret_key = \"{}\"\n",
            s.copier.access_key,
            s.copier.secret_key.expose()
        ),
    );
    e.vars = as_(&s.copier);
    let r = e.json(&["copy", "--to", &to, "--to-credentials", &creds]);
    assert_eq!(r["snapshots"], 1, "{r}");

    let open = |loc: &str, c: &common::backend::s3::S3Credentials| {
        let opts = OpenOptions {
            credentials: Some(c.stored()),
            retry_budget: Some(Duration::from_secs(5)),
            ..Default::default()
        };
        open_with(loc, &opts).unwrap()
    };
    let denied = |r: common::Result<()>, what: &str| {
        let err = r.expect_err(what);
        assert_eq!(
            err.kind(),
            common::ErrorKind::StorageDenied,
            "{what}: {err}"
        );
    };
    let admin_view = open(&to, &s.admin);
    let (pack, _) = admin_view.list(Kind::Data).unwrap()[0].clone();
    let node_at_copy = open(&to, &s.node);
    denied(
        node_at_copy.list(Kind::Data).map(|_| ()),
        "the node lists the copy",
    );
    denied(
        node_at_copy.read(Kind::Data, &pack, 64 << 20).map(|_| ()),
        "the node reads the copy",
    );
    denied(
        node_at_copy
            .write(Kind::Data, &"ab".repeat(32), b"x")
            .map(|_| ()),
        "the node writes the copy",
    );
    let copier_at_copy = open(&to, &s.copier);
    denied(
        copier_at_copy.remove(Kind::Data, &pack),
        "the copier deletes at the copy",
    );
    let copier_at_source = open(e.repo.to_str().unwrap(), &s.copier);
    denied(
        copier_at_source.remove(Kind::Data, &pack),
        "the copier deletes at the source",
    );
    denied(
        copier_at_source
            .write(Kind::Data, &"cd".repeat(32), b"x")
            .map(|_| ()),
        "the copier writes the source",
    );
    assert_eq!(
        admin_view.list(Kind::Data).unwrap().len(),
        open(e.repo.to_str().unwrap(), &s.admin)
            .list(Kind::Data)
            .unwrap()
            .len()
    );
}
