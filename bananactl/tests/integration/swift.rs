//! `bananactl` on a real OpenStack Swift (started by the tests): the round
//! trip, faults on the wire below the retry layer, a dead endpoint, tokens
//! that stop working between operations, and the requests an unchanged
//! backup costs. Keystone v3 in front of it: `keystone.rs`.

use crate::util::*;
use common::backend::swift::{SwiftBackend, SwiftCredentials};
use common::backend::{Backend, Kind, Location, Written};
use common::secret::Secret;
use std::time::{Duration, Instant};
use testkit::proxy::Rates;
use testkit::swift;

#[test]
fn every_kind_of_entry_round_trips_on_swift_and_no_plaintext_lands() {
    let Some(e) = Env::swift("roundtrip", "agent") else {
        return;
    };
    let devices = &swift::server().unwrap().devices;
    crate::roundtrip::round_trip_leaving_no_plaintext(&e, devices);
}

/// A tempauth token is expired between operations (deleted where tempauth
/// keeps it; no token expires by time here): the next request is refused,
/// the backend authenticates once more and the operation goes through.
#[test]
fn an_expired_swift_token_is_renewed_once_and_the_operation_goes_through() {
    let Some(s) = swift::server() else {
        return;
    };
    let Location::Swift(loc) = Location::parse(&s.location("v1renew", "fleet/node-01")).unwrap()
    else {
        unreachable!()
    };
    let creds = SwiftCredentials::V1(common::backend::swift::V1Credentials {
        user: "banana:renew".into(),
        key: Secret::new(swift::KEY),
    });
    let b = SwiftBackend::new(loc, creds).unwrap();
    b.create().unwrap();
    let name = "ab".repeat(32);
    assert_eq!(b.write(Kind::Data, &name, b"before").unwrap(), Written::New);
    assert_eq!(b.authentications(), 1);
    let mut expired = Vec::new();
    for round in 1..=3u64 {
        expired.push(s.expire_token("renew"));
        match round {
            1 => assert_eq!(b.read(Kind::Data, &name, 100).unwrap(), b"before"),
            2 => assert_eq!(b.list(Kind::Data).unwrap(), vec![(name.clone(), 6)]),
            _ => assert_eq!(
                b.write(Kind::Data, &"cd".repeat(32), b"after").unwrap(),
                Written::New
            ),
        }
        assert_eq!(b.authentications(), 1 + round, "renewed once, on the 401");
    }
    let current = s.expire_token("renew");
    assert!(!expired.contains(&current), "a new token each time");
}

#[test]
fn twenty_backups_survive_faults_on_swift_and_a_dead_proxy_fails_within_the_budget() {
    let Some(e) = Env::swift("faults", "faulty") else {
        return;
    };
    let s = swift::server().unwrap();
    let config = e.path("empty-config.toml");
    std::fs::write(
        &config,
        "storage_timeout = \"1s\"\nstorage_retry_budget = \"60s\"\n",
    )
    .unwrap();
    s.faults.set_rates(Rates {
        error: 0.05,
        reset: 0.05,
        stall: 0.05,
        truncate: 0.01,
        stall_for: Duration::from_millis(1500),
    });
    let before = s.faults.injected();
    let src = e.path("src");
    for i in 0..20u64 {
        write(&src.join(format!("f{i}")), &random_bytes(i, 100_000));
        write(&src.join("changing"), format!("run {i}").as_bytes());
        e.backup(&[&src]);
    }
    assert!(
        s.faults.injected() - before >= 20,
        "faults injected: {}",
        s.faults.injected() - before
    );
    s.faults.set_rates(Rates::default());
    let c = e.json(&["check", "--read-data"]);
    assert_eq!(c["problems"], 0, "{c}");
    let target = e.path("restore");
    e.restore("latest", &target).ok();
    let back = restored(&target, &src);
    for i in 0..20u64 {
        assert!(std::fs::read(back.join(format!("f{i}"))).unwrap() == random_bytes(i, 100_000));
    }
    // The proxy dies: one line naming it, exit 17, after the 4 s budget
    // rather than the default 2 minutes (the bound leaves a loaded machine
    // room: it only tells the two apart).
    std::fs::write(
        &config,
        "storage_timeout = \"1s\"\nstorage_retry_budget = \"4s\"\n",
    )
    .unwrap();
    s.faults.set_down(true);
    let t = Instant::now();
    let r = e.run(&["backup", src.to_str().unwrap()]).code(17);
    s.faults.set_down(false);
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    assert!(
        r.one_line_error().contains(&s.faults.addr().to_string()),
        "{}",
        r.stderr
    );
    // Back to the defaults: the check has no deadline to meet.
    std::fs::write(&config, "").unwrap();
    assert_eq!(e.json(&["check"])["problems"], 0);
}

#[test]
fn an_unchanged_backup_of_twenty_thousand_files_on_swift_costs_a_handful_of_requests() {
    let Some(e) = Env::swift("requests", "agent") else {
        return;
    };
    let src = e.path("src");
    twenty_thousand_files(&src);
    let first = e.backup(&[&src]);
    assert_eq!(first["files"], 20_000);
    let again = e.backup(&[&src]);
    let n = again["storage_requests"].as_u64().unwrap();
    eprintln!(
        "unchanged re-backup of 20,000 files on Swift: {n} requests (first: {})",
        first["storage_requests"]
    );
    assert!(n <= 20, "{n} requests: {again}");
}

/// The containers `bananadm storage policy` prints for node1 (and the
/// reaper) under a new container, created by the account's owner.
fn printed_containers(
    s: &swift::SwiftServer,
    hint: &str,
) -> (
    String,
    common::backend::SwiftLocation,
    Vec<common::control::storage_policy::SwiftContainer>,
) {
    let location = s.location(hint, "fleet/node1");
    let common::backend::Location::Swift(loc) =
        common::backend::Location::parse(&location).unwrap()
    else {
        unreachable!()
    };
    let containers =
        common::control::storage_policy::swift_containers(&loc, "banana:node1", "banana:reaper");
    for c in &containers {
        let h: Vec<(&str, &str)> = c
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (st, _) = s.request("agent", "PUT", &c.name, &h, b"");
        assert!(st == 201 || st == 202, "creating {}: {st}", c.name);
    }
    (location, loc, containers)
}

/// What `bananadm storage policy` prints for Swift, applied by the account's
/// owner: the node backs up and restores through its ACLs, another node sees
/// and touches nothing, and what the node overwrites or deletes is kept in
/// an archive it cannot reach (and `check` finds the damage).
#[test]
fn the_printed_swift_acls_hide_a_node_and_archive_what_it_destroys() {
    let Some(s) = swift::server() else {
        return;
    };
    let (location, loc, containers) = printed_containers(s, "acl");
    let mut e = Env::bare();
    e.repo = location.clone().into();
    e.vars = s.env("node1");
    let r = e.run(&["init"]).ok();
    assert!(
        !r.stderr.contains("creating Swift container"),
        "{}",
        r.stderr
    );
    crate::roundtrip::round_trip(&e);
    let (container, archive) = (&loc.container, &containers[0].name);
    let list = |user: &str, c: &str| {
        let (st, body) = s.request(user, "GET", c, &[], b"");
        (
            st,
            String::from_utf8(body)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )
    };
    let (st, objects) = list("agent", container);
    assert_eq!(st, 200);
    let snapshot = objects
        .iter()
        .find(|o| o.contains("/snapshots/"))
        .unwrap()
        .clone();
    let index = objects
        .iter()
        .find(|o| o.contains("/index/"))
        .unwrap()
        .clone();
    // Another node: no listing, no read, no write, no delete.
    assert_eq!(list("node2", container).0, 403);
    for (m, body) in [("GET", &b""[..]), ("PUT", b"x"), ("DELETE", b"")] {
        let (st, _) = s.request("node2", m, &format!("{container}/{snapshot}"), &[], body);
        assert_eq!(st, 403, "node2 {m} on node1's container");
    }
    // The node itself can destroy (Swift has no append-only) ...
    let (st, _) = s.request(
        "node1",
        "PUT",
        &format!("{container}/{snapshot}"),
        &[],
        b"garbage",
    );
    assert_eq!(st, 201, "node1 overwrites its snapshot");
    let (st, _) = s.request("node1", "DELETE", &format!("{container}/{index}"), &[], b"");
    assert_eq!(st, 204, "node1 deletes its index");
    // ... but the archive keeps both, out of its reach, and check sees it.
    let (st, kept) = list("agent", archive);
    assert_eq!(st, 200);
    assert!(kept.len() >= 3, "archive: {kept:?}");
    assert_eq!(list("node1", archive).0, 403);
    let (st, _) = s.request(
        "node1",
        "DELETE",
        &format!("{archive}/{}", kept[0]),
        &[],
        b"",
    );
    assert_eq!(st, 403, "node1 deletes from the archive");
    assert_eq!(list("reaper", container).0, 200);
    e.run(&["check"]).code(13);
}

/// Retention on Swift (issue 25, item 5): the reaper dates a snapshot the
/// node wrote again by its archived copy, and a prune empties the archive of
/// what it deleted (`bananactl forget --prune` with the reaper's user: no
/// grace period in key-file mode).
#[test]
fn the_reaper_dates_by_the_archive_and_empties_it_of_what_it_pruned() {
    let Some(s) = swift::server() else {
        return;
    };
    let (location, loc, containers) = printed_containers(s, "reap");
    let (container, archive) = (loc.container.clone(), containers[0].name.clone());
    let mut e = Env::bare();
    e.repo = location.clone().into();
    e.vars = s.env("node1");
    e.run(&["init"]).ok();
    let src = e.path("src");
    for i in 0..5u64 {
        write(&src.join(format!("f{i}")), &random_bytes(20 + i, 50_000));
        e.backup(&[&src]);
    }
    e.vars = s.env("reaper");
    let plan = |e: &Env| e.json(&["forget", "--keep-last", "1", "--dry-run", "--force"]);
    let date_of = |p: &serde_json::Value, seq: u64| {
        p["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["seq"] == seq)
            .map(|s| {
                (
                    s["id"].as_str().unwrap().to_owned(),
                    s["date"].as_i64().unwrap(),
                )
            })
            .unwrap()
    };
    let (first, dated) = date_of(&plan(&e), 1);
    // The node writes its first snapshot again, later: the archive keeps
    // the copy it replaced, and the reaper dates the snapshot by it.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let key = format!("{}snapshots/{first}", loc.key(""));
    let (st, bytes) = s.request("node1", "GET", &format!("{container}/{key}"), &[], b"");
    assert_eq!(st, 200);
    let (st, _) = s.request("node1", "PUT", &format!("{container}/{key}"), &[], &bytes);
    assert_eq!(st, 201);
    assert_eq!(
        date_of(&plan(&e), 1),
        (first.clone(), dated),
        "dated by the archived copy"
    );

    let sum = e.json(&["forget", "--keep-last", "1", "--prune", "--force"]);
    assert_eq!(sum["forgotten"].as_array().unwrap().len(), 2, "{sum}");
    assert!(sum["purged_versions"].as_u64().unwrap() >= 3, "{sum}");
    let (st, left) = s.request("agent", "GET", &archive, &[], b"");
    assert!(st == 200 || st == 204, "{st}");
    let left = String::from_utf8(left).unwrap();
    assert!(left.trim().is_empty(), "the archive still holds: {left}");
    e.vars = s.env("node1");
    e.run(&["check"]).ok();
}
