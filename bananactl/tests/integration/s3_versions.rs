//! Retention on a versioned S3 bucket with Object Lock (issue 25, acceptance
//! 5), SeaweedFS's `banana-locked` with the node and reaper credentials
//! `bananadm storage policy` prints: the node deletes nothing (exit 18); the
//! reaper's deletes leave delete markers, then it purges the versions behind
//! them, holding one under retention (exit 3) until the retention is lifted;
//! a snapshot the node PUT again keeps its first date; `check --read-data`
//! passes throughout.

use crate::util::*;
use common::backend::s3::S3Backend;
use common::backend::s3::S3Credentials;
use common::backend::{Backend, Kind};
use std::path::PathBuf;
use testkit::seaweed::{self, LOCKED_BUCKET};

fn as_(c: &S3Credentials) -> Vec<(String, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID".into(), c.access_key.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            c.secret_key.expose().to_owned(),
        ),
    ]
}

#[test]
fn the_reaper_purges_what_it_deleted_holds_a_locked_version_and_dates_by_the_first() {
    let Some(s) = seaweed::server() else { return };
    let mut e = Env::bare();
    let prefix = format!("node1/v{:08x}", rand::random::<u32>());
    e.repo = PathBuf::from(s.location(LOCKED_BUCKET, &prefix));
    e.vars = as_(&s.node);
    e.run(&["init"]).ok();
    let src = e.path("src");
    for i in 0..6u64 {
        write(&src.join(format!("f{i}")), &random_bytes(10 + i, 100_000));
        e.backup(&[&src]);
    }
    // The node's credential deletes nothing.
    let r = e.run(&["forget", "--keep-last", "1", "--force"]).code(18);
    assert!(
        r.stderr.contains("denied") || r.stderr.contains("403"),
        "{}",
        r.stderr
    );

    // The oldest snapshot PUT again by the node, same bytes, later: the
    // reaper still dates it by its first version.
    let loc = s.s3_location(LOCKED_BUCKET, &prefix);
    let reaper = S3Backend::new(loc.clone(), &s.reaper).unwrap();
    let plan = e.json(&["forget", "--keep-last", "1", "--dry-run", "--force"]);
    let id_of = |seq: u64| {
        plan["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["seq"] == seq)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = reaper.list_dated(Kind::Snapshot).unwrap();
    let oldest = before.iter().find(|l| l.name == id_of(1)).unwrap().clone();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let key = reaper.object_key(Kind::Snapshot, &oldest.name).unwrap();
    let bytes = reaper.read(Kind::Snapshot, &oldest.name, 1 << 20).unwrap();
    s.overwrite(&s.node, LOCKED_BUCKET, &key, &bytes).unwrap();
    assert_eq!(s.versions(LOCKED_BUCKET, &key).len(), 2);
    let after = reaper.list_dated(Kind::Snapshot).unwrap();
    let again = after.iter().find(|l| l.name == oldest.name).unwrap();
    assert_eq!(again.written, oldest.written, "dated by its first version");

    // The admin locks one version of a snapshot the policy forgets.
    let locked_key = reaper.object_key(Kind::Snapshot, &id_of(2)).unwrap();
    let (version, _) = s.versions(LOCKED_BUCKET, &locked_key)[0].clone();
    let day = common::unix_now() + 86_400;
    s.set_retention(
        LOCKED_BUCKET,
        &locked_key,
        &version,
        "GOVERNANCE",
        day,
        false,
    )
    .unwrap();

    // The reaper (a full key here: key-file mode) forgets three, deletes
    // (delete markers), purges what is behind them but the locked version:
    // held, exit 3.
    e.vars = as_(&s.reaper);
    let r = e
        .run(&["--json", "forget", "--keep-last", "1", "--prune", "--force"])
        .code(3);
    let sum = r.summary();
    assert_eq!(sum["forgotten"].as_array().unwrap().len(), 3, "{sum}");
    let held = sum["held"].to_string();
    assert!(
        held.contains(&version) && held.contains("locked until"),
        "{sum}"
    );
    assert!(sum["purged_versions"].as_u64().unwrap() > 0, "{sum}");
    assert!(
        s.versions(LOCKED_BUCKET, &key).is_empty(),
        "both versions of the re-PUT snapshot and its marker are gone: {:?} {sum}",
        s.versions(LOCKED_BUCKET, &key)
    );
    assert_eq!(
        s.versions(LOCKED_BUCKET, &locked_key),
        vec![(version.clone(), false), (marker_of(s, &locked_key), true)]
    );

    // Lifted (GOVERNANCE, bypassed by the admin): the next prune purges it.
    let soon = common::unix_now() + 2;
    s.set_retention(
        LOCKED_BUCKET,
        &locked_key,
        &version,
        "GOVERNANCE",
        soon,
        true,
    )
    .unwrap();
    poll(
        "the retention to pass",
        std::time::Duration::from_secs(60),
        || (common::unix_now() > soon + 1).then_some(()),
    );
    let sum = e.json(&["prune"]);
    assert_eq!(sum["held"], serde_json::json!([]), "{sum}");
    assert!(s.versions(LOCKED_BUCKET, &locked_key).is_empty(), "{sum}");

    // Nothing live lost a version; everything kept reads back.
    e.vars = as_(&s.admin);
    assert_eq!(e.json(&["check", "--read-data"])["problems"], 0);
}

fn marker_of(s: &seaweed::S3Server, key: &str) -> String {
    s.versions(LOCKED_BUCKET, key)
        .into_iter()
        .find(|v| v.1)
        .map(|v| v.0)
        .unwrap_or_default()
}
