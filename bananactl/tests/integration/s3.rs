//! `bananactl` on a real S3 server (SeaweedFS, started by the tests): faults
//! on the wire below the retry layer, a dead endpoint, credentials that
//! never leak, a missing bucket.

use crate::util::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use testkit::proxy::{FaultProxy, Rates};
use testkit::seaweed;

/// `e`'s repository reached through `proxy` instead of directly.
fn via(e: &Env, proxy: &FaultProxy) -> PathBuf {
    let s = seaweed::server().unwrap();
    let direct = e.repo.to_str().unwrap().to_owned();
    PathBuf::from(direct.replace(&s.addr, &proxy.addr().to_string()))
}

#[test]
fn twenty_backups_survive_a_flaky_network_and_a_dead_endpoint_fails_within_the_budget() {
    let Some(mut e) = Env::s3("faults") else {
        return;
    };
    let s = seaweed::server().unwrap();
    let config = e.path("empty-config.toml");
    std::fs::write(
        &config,
        "storage_timeout = \"1s\"\nstorage_retry_budget = \"60s\"\n",
    )
    .unwrap();
    let proxy = FaultProxy::start(
        s.addr.parse().unwrap(),
        Rates {
            error: 0.05,
            reset: 0.05,
            stall: 0.05,
            truncate: 0.01,
            stall_for: Duration::from_millis(1500),
        },
        42,
    );
    e.repo = via(&e, &proxy);
    let src = e.path("src");
    for i in 0..20u64 {
        write(&src.join(format!("f{i}")), &random_bytes(i, 200_000));
        write(&src.join("changing"), format!("run {i}").as_bytes());
        e.backup(&[&src]);
    }
    assert!(
        proxy.injected() >= 20,
        "faults injected: {}",
        proxy.injected()
    );
    let c = e.json(&["check", "--read-data"]);
    assert_eq!(c["problems"], 0, "{c}");
    let target = e.path("restore");
    e.restore("latest", &target).ok();
    same_tree(&src, &restored(&target, &src));

    // The endpoint dies: the run fails within its budget, on one line
    // naming the endpoint, exit 17; the repository is whole afterwards.
    // The bound tells the 4 s budget from the 2-minute default and leaves a
    // loaded machine room.
    std::fs::write(
        &config,
        "storage_timeout = \"1s\"\nstorage_retry_budget = \"4s\"\n",
    )
    .unwrap();
    proxy.set_down(true);
    let t = Instant::now();
    let r = e.run(&["backup", src.to_str().unwrap()]).code(17);
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    let line = r.one_line_error();
    assert!(line.contains(&proxy.addr().to_string()), "{line}");
    proxy.set_down(false);
    proxy.set_rates(Rates::default());
    // Back to the defaults: what follows has no deadline to meet.
    std::fs::write(&config, "").unwrap();
    assert_eq!(e.json(&["check"])["problems"], 0);
    e.backup(&[&src]);
}

#[test]
fn credentials_come_from_a_private_file_and_never_show() {
    let Some(mut e) = Env::s3("credfile") else {
        return;
    };
    let s = seaweed::server().unwrap();
    let canary = s.admin.secret_key.expose().to_owned();
    let creds = e.path("s3.toml");
    std::fs::write(
        &creds,
        format!(
            "access_key = \"{}\"\nsecret_key = \"{canary}\"\n",
            s.admin.access_key
        ),
    )
    .unwrap();
    std::fs::write(
        e.path("empty-config.toml"),
        format!("storage_credentials = \"{}\"\n", creds.display()),
    )
    .unwrap();
    e.vars.clear();
    // Group-readable: refused, naming the file and the fix.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = e.run(&["snapshots"]).code(2);
    assert!(r.one_line_error().contains("chmod 600"), "{}", r.stderr);
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    write(&e.path("src/a"), b"hello");
    let r = e
        .run(&["--json", "-v", "backup", e.path("src").to_str().unwrap()])
        .ok();
    let out = format!("{}{}", r.stdout, r.stderr);
    assert!(!out.contains(&canary), "the secret key was printed");
    // Nor in the node's state.
    walk_files(&e.state, &mut |p| {
        let b = std::fs::read(p).unwrap();
        assert!(
            !b.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "{}",
            p.display()
        );
    });
    // A wrong secret: exit 18, the secret not shown.
    std::fs::write(
        &creds,
        format!(
            "access_key = \"{}\"\nsecret_key = \"wrong-canary-secret\"\n",
            s.admin.access_key
        ),
    )
    .unwrap();
    let r = e.run(&["snapshots"]).code(18);
    assert!(!r.stderr.contains("wrong-canary-secret"), "{}", r.stderr);
}

#[test]
fn a_missing_bucket_is_one_line_naming_it_and_init_never_creates_one() {
    let Some(s) = seaweed::server() else { return };
    let mut e = Env::bare();
    e.repo = PathBuf::from(s.location("not-created-here", "n1"));
    e.vars = vec![
        ("AWS_ACCESS_KEY_ID".into(), s.admin.access_key.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            s.admin.secret_key.expose().to_owned(),
        ),
    ];
    let r = e.run(&["init"]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("'not-created-here' does not exist") && line.contains("s3 mb"),
        "{line}"
    );
    // No credentials at all: named, with where to put them.
    e.vars.clear();
    let r = e.run(&["snapshots"]).code(2);
    assert!(
        r.one_line_error().contains("AWS_ACCESS_KEY_ID"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_unchanged_backup_of_twenty_thousand_files_costs_a_handful_of_requests() {
    let Some(e) = Env::s3("requests") else { return };
    let src = e.path("src");
    twenty_thousand_files(&src);
    let first = e.backup(&[&src]);
    assert_eq!(first["files"], 20_000);
    for _ in 0..2 {
        let again = e.backup(&[&src]);
        let n = again["storage_requests"].as_u64().unwrap();
        eprintln!(
            "unchanged re-backup of 20,000 files: {n} requests (first: {})",
            first["storage_requests"]
        );
        assert!(n <= 20, "{n} requests: {again}");
        assert_eq!(again["files_unchanged"], 20_000);
    }
    // Without its cache (lost state) the node rebuilds it from storage.
    std::fs::remove_dir_all(e.state.join("cache")).unwrap();
    let rebuilt = e.backup(&[&src]);
    assert!(rebuilt["storage_requests"].as_u64().unwrap() > 0);
    assert!(e.backup(&[&src])["storage_requests"].as_u64().unwrap() <= 20);
}

/// The repository of `e` opened in-process, with `e`'s key.
fn open_repo(e: &Env, location: &str) -> common::repo::Repository {
    let s = seaweed::server().unwrap();
    let opts = common::backend::OpenOptions {
        credentials: Some(s.admin.stored()),
        ..Default::default()
    };
    let kf = common::crypto::keyfile::KeyFile::load(&e.key).unwrap();
    common::repo::Repository::open(
        common::backend::open_with(location, &opts).unwrap(),
        &kf.backup_key(),
    )
    .unwrap()
}

#[test]
fn kill_9_during_a_multipart_upload_leaves_no_partial_object_and_stores_no_chunk_twice() {
    let Some(mut e) = Env::s3_init("kill", &["--pack-size", "64"]) else {
        return;
    };
    let s = seaweed::server().unwrap();
    let direct = e.repo.to_str().unwrap().to_owned();
    let proxy = FaultProxy::start(s.addr.parse().unwrap(), Rates::default(), 1);
    e.repo = via(&e, &proxy);
    let src = e.path("src");
    write(&src.join("big"), &random_bytes(5, 150 << 20));
    let mut child = e
        .cmd(&["backup", src.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while proxy.seen("partNumber=") < 2 {
        // Bounded (a hang fails), not a deadline: two parts of a 150 MiB
        // upload come long before the backup can end.
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "no multipart upload seen"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backup ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL, in the middle of a multipart upload
    child.wait().unwrap();
    // Only whole objects: every listed pack opens (its header is sealed at its end).
    let repo = open_repo(&e, &direct);
    for (name, size) in repo.backend().list(common::backend::Kind::Data).unwrap() {
        let id: common::Id = name.parse().unwrap();
        common::repo::pack::read_header(repo.backend(), &id, size, repo.keys())
            .unwrap_or_else(|err| panic!("partial pack {name}: {err}"));
    }
    assert!(repo.snapshots().unwrap().is_empty());
    // The next backup completes; no chunk is stored twice.
    e.backup(&[&src]);
    let loaded = repo.load_index().unwrap();
    let mut entries = 0;
    for ix in &loaded.files {
        let f: common::format::IndexFile = repo
            .load(
                common::backend::Kind::Index,
                common::crypto::SealKind::Index,
                ix,
            )
            .unwrap();
        entries += f.packs.iter().map(|p| p.blobs.len()).sum::<usize>();
    }
    assert_eq!(entries, loaded.index.len(), "a chunk was stored twice");
    assert_eq!(e.json(&["check", "--read-data"])["problems"], 0);
    // A prune asks storage (its requests are counted) and leaves the killed
    // upload alone: it is younger than an hour, and could be another
    // writer's still going.
    let p = e.json(&["prune"]);
    assert!(p["requests"].as_u64().unwrap() > 0, "{p}");
    assert_eq!(p["aborted_uploads"], 0, "{p}");
}

/// Acceptance 3: the node's credential is the append-only one `bananadm
/// storage policy` prints, on a versioned bucket with Object Lock.
#[test]
fn an_append_only_node_backs_up_cannot_delete_and_an_overwrite_changes_no_restore() {
    let Some(s) = seaweed::server() else { return };
    let mut e = Env::bare();
    let prefix = format!("node1/r{:08x}", rand::random::<u32>());
    e.repo = PathBuf::from(s.location(seaweed::LOCKED_BUCKET, &prefix));
    let as_node = vec![
        ("AWS_ACCESS_KEY_ID".to_owned(), s.node.access_key.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            s.node.secret_key.expose().to_owned(),
        ),
    ];
    e.vars = as_node.clone();
    e.run(&["init"]).ok();
    let src = e.path("src");
    write(&src.join("a"), &random_bytes(1, 300_000));
    e.backup(&[&src]);
    write(&src.join("b"), &random_bytes(2, 300_000));
    let second = e.backup(&[&src]);
    assert_eq!(second["files_unchanged"], 1, "incremental: {second}");
    // The node's credential cannot delete.
    let node_opts = common::backend::OpenOptions {
        credentials: Some(s.node.stored()),
        ..Default::default()
    };
    let be = common::backend::open_with(e.repo.to_str().unwrap(), &node_opts).unwrap();
    let packs = be.list(common::backend::Kind::Data).unwrap();
    assert!(!packs.is_empty());
    let (victim, size) = packs[0].clone();
    let err = be.remove(common::backend::Kind::Data, &victim).unwrap_err();
    assert_eq!(err.kind(), common::ErrorKind::StorageDenied, "{err}");
    // It can overwrite (no permission refuses that): only a version is added.
    let key = format!("{prefix}/data/{}/{victim}", &victim[..2]);
    s.overwrite(
        &s.node,
        seaweed::LOCKED_BUCKET,
        &key,
        &random_bytes(3, size as usize),
    )
    .unwrap();
    // A restore (full key, a credential that may list versions) is identical...
    e.vars = vec![
        ("AWS_ACCESS_KEY_ID".into(), s.admin.access_key.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            s.admin.secret_key.expose().to_owned(),
        ),
    ];
    let target = e.path("restore");
    e.restore("latest", &target).ok();
    same_tree(&src, &restored(&target, &src));
    // ...and check names the overwritten object.
    let r = e.run(&["check", "--read-data"]).code(13);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains(&victim) && said.contains("overwritten"),
        "{said}"
    );
    // The node goes on backing up.
    e.vars = as_node;
    write(&src.join("c"), b"more");
    e.backup(&[&src]);
}

/// Issue 22, item 17: storage that dies while packs go up fails the run as
/// storage unavailable (exit 17, naming the endpoint), not as the packer's
/// "pipeline stopped" (exit 1).
#[test]
fn storage_dying_mid_upload_is_exit_17_not_a_stopped_pipeline() {
    let Some(mut e) = Env::s3("dies-mid-upload") else {
        return;
    };
    let s = seaweed::server().unwrap();
    std::fs::write(
        e.path("empty-config.toml"),
        "storage_timeout = \"2s\"\nstorage_retry_budget = \"4s\"\n",
    )
    .unwrap();
    let proxy = FaultProxy::start(s.addr.parse().unwrap(), Rates::default(), 7);
    e.repo = via(&e, &proxy);
    let src = e.path("src");
    // About 16 packs: the run is far from done when the storage dies.
    write(&src.join("large"), &random_bytes(17, 256 << 20));
    let mut child = e
        .cmd(&["backup", src.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = proxy.seen("PUT");
    // Two packs up, then the storage goes away (a bounded wait: the run
    // cannot be done after two of its sixteen packs).
    for _ in 0..60_000 {
        if proxy.seen("PUT") >= start + 2 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    proxy.set_down(true);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(17), "{stderr}");
    assert!(stderr.contains(&proxy.addr().to_string()), "{stderr}");
    assert!(!stderr.contains("pipeline stopped"), "{stderr}");
    proxy.set_down(false);
}

/// Issue 22, acceptance 5: with the node's metadata cache warm, one byte
/// flipped in an index object and in a snapshot object in storage: `check`
/// reads storage, not the cache, and names both (exit 13).
#[test]
fn check_sees_storage_damage_behind_a_warm_cache() {
    let Some(e) = Env::s3("warm-cache") else {
        return;
    };
    let s = seaweed::server().unwrap();
    let src = e.path("src");
    write(&src.join("a"), &random_bytes(5, 50_000));
    e.backup(&[&src]);
    write(&src.join("b"), b"second");
    e.backup(&[&src]);
    // The cache is warm: every index and snapshot was read and kept.
    assert_eq!(e.json(&["check"])["problems"], 0);
    let opts = common::backend::OpenOptions {
        credentials: Some(s.admin.stored()),
        ..Default::default()
    };
    let be = common::backend::open_with(e.repo.to_str().unwrap(), &opts).unwrap();
    let location = e.repo.to_str().unwrap().to_owned();
    let (bucket, prefix) = location
        .trim_start_matches("s3://")
        .split_once('?')
        .unwrap()
        .0
        .split_once('/')
        .unwrap()
        .1
        .split_once('/')
        .unwrap();
    let mut flipped = Vec::new();
    for kind in [
        common::backend::Kind::Index,
        common::backend::Kind::Snapshot,
    ] {
        let (name, size) = be.list(kind).unwrap()[0].clone();
        let mut bytes = be.read(kind, &name, size).unwrap();
        bytes[size as usize / 2] ^= 0x40;
        let key = format!("{prefix}/{}/{name}", kind.dir());
        s.overwrite(&s.admin, bucket, &key, &bytes).unwrap();
        flipped.push(name);
    }
    let r = e.run(&["check"]).code(13);
    let said = format!("{}{}", r.stdout, r.stderr);
    for name in &flipped {
        assert!(said.contains(name.as_str()), "{name} not named: {said}");
    }
}
