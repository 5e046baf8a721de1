//! Retention in key-file mode (`bananactl forget` / `prune`,
//! docs/retention.md): a backup-only key suffices, the kept snapshots stay
//! whole and restore, a dry run changes nothing, a snapshot whose storage
//! date disagrees with its claimed time is held, and an enrolled node
//! refuses.

use crate::util::*;

fn backups(e: &Env, n: u64) -> Vec<String> {
    let src = e.path("src");
    (0..n)
        .map(|i| {
            write(&src.join(format!("f{i}")), &random_bytes(i + 1, 200_000));
            e.backup(&[&src])["snapshot_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn forget_and_prune_with_a_backup_only_key_keep_every_remaining_snapshot_whole() {
    let e = Env::new();
    let ids = backups(&e, 6);
    let key = e.backup_only_key();
    let node = |args: &[&str]| {
        let mut c = e.cmd(args);
        c.arg("--key-file").arg(&key);
        run(c)
    };
    let before = e.objects();
    let dry = node(&[
        "--json",
        "forget",
        "--keep-last",
        "1",
        "--dry-run",
        "--force",
    ])
    .ok();
    let verdicts: Vec<(String, String)> = dry.summary()["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_owned(),
                v["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Newest first; the newest three are never forgotten.
    let forget: Vec<&String> = verdicts
        .iter()
        .filter(|(_, v)| v == "forget")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(forget, [&ids[2], &ids[1], &ids[0]], "{verdicts:?}");
    assert_eq!(e.objects(), before, "a dry run changes nothing");

    // Without --force a run forgets at most a fifth of a job's snapshots (exit 3).
    let capped = node(&["--json", "forget", "--keep-last", "1", "--dry-run"]).code(3);
    assert!(capped.stdout.contains("max-forget"), "{}", capped.stdout);
    // --max-forget raises that share: half of six is the three that go.
    node(&[
        "forget",
        "--keep-last",
        "1",
        "--dry-run",
        "--max-forget",
        "50",
    ])
    .ok();

    let done = node(&["--json", "forget", "--keep-last", "1", "--prune", "--force"]).ok();
    let s = done.summary();
    assert_eq!(s["forgotten"].as_array().unwrap().len(), 3, "{s}");
    assert!(s["deleted_packs"].as_u64().unwrap() > 0, "{s}");
    // Only tree packs are free here: each backup adds a file, and the later
    // snapshots still hold the earlier files.
    assert!(e.repo_size() < before.iter().map(|(_, n)| n).sum::<u64>());
    e.run(&["check", "--read-data"]).ok();
    let listed = e.run(&["--json", "snapshots"]).ok();
    assert_eq!(
        listed
            .json()
            .iter()
            .filter(|v| v["message_type"] == "snapshot")
            .count(),
        3
    );
    let target = e.path("t");
    e.restore("latest", &target).ok();
    same_tree(&e.path("src"), &restored(&target, &e.path("src")));
    // The next backup is no rollback: the forget record explains the gap.
    write(&e.path("src/new"), b"new");
    e.backup(&[&e.path("src")]);
    e.run(&["check"]).ok();
    // Nothing left to do.
    let again = node(&["--json", "prune"]).ok().summary();
    assert_eq!(again["deleted_packs"], 0, "{again}");
}

#[test]
fn a_snapshot_dated_far_from_its_claim_is_held_and_kept() {
    let e = Env::new();
    let ids = backups(&e, 5);
    // Storage says the oldest was written a year before the time it claims.
    let obj = e.repo.join("snapshots").join(&ids[0]);
    let ok = std::process::Command::new("touch")
        .args(["-m", "-d", "1 year ago"])
        .arg(&obj)
        .status()
        .unwrap();
    assert!(ok.success());
    let r = e
        .run(&["--json", "forget", "--keep-last", "1", "--prune", "--force"])
        .code(3);
    let s = r.summary();
    let held: Vec<&str> = s["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["reason"].as_str().unwrap())
        .collect();
    assert_eq!(held, ["skew"], "{s}");
    assert!(
        e.repo.join("snapshots").join(&ids[0]).exists(),
        "held, not forgotten"
    );
    assert!(!e.repo.join("snapshots").join(&ids[1]).exists());
    e.run(&["check"]).ok();
    // The date was fixed at first sight: a wider --max-skew lets it go, as
    // dated (a year ago).
    let r = e.json(&["forget", "--keep-last", "1", "--force", "--max-skew", "2y"]);
    assert_eq!(r["held"].as_array().unwrap().len(), 0, "{r}");
    assert!(!e.repo.join("snapshots").join(&ids[0]).exists());
}

#[test]
fn rules_and_the_grace_period_are_checked_and_an_enrolled_node_refuses() {
    let e = Env::new();
    let none = e.run(&["forget"]).code(2);
    assert!(
        none.one_line_error().contains("at least one rule"),
        "{}",
        none.stderr
    );
    let short = e
        .run(&["forget", "--keep-last", "1", "--grace", "10m"])
        .code(2);
    assert!(
        short.one_line_error().contains("shorter than an hour"),
        "{}",
        short.stderr
    );
    // An enrolled node: its Vault credentials file, no key file named.
    let creds = e.path("vault.json");
    std::fs::write(&creds, "{}").unwrap();
    let mut c = std::process::Command::new(bin());
    c.args([
        "--repo",
        e.repo.to_str().unwrap(),
        "--state-dir",
        e.state.to_str().unwrap(),
    ])
    .arg("--vault-credentials")
    .arg(&creds)
    .args(["forget", "--keep-last", "1"])
    .env_remove("BANANA_KEY_FILE")
    .env("BANANA_CONFIG", e.path("empty-config.toml"));
    let r = run(c).code(2);
    assert!(r.one_line_error().contains("enrolled"), "{}", r.stderr);
    assert!(
        r.one_line_error().contains("bananadm prune"),
        "{}",
        r.stderr
    );
}
