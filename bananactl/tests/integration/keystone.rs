//! `bananactl` on a real Swift behind a real Keystone (identity v3, both
//! started by the tests): the round trip, tokens revoked between operations
//! and renewed, the catalog's regions, a wrong password.

use crate::util::*;
use common::backend::swift::{SwiftBackend, SwiftCredentials};
use common::backend::{Backend, Kind, Location, Written};
use common::secret::Secret;
use testkit::keystone::{self, PASSWORD};
use testkit::swift::{self, KeystoneSwift};

/// A fresh repository (`init` run, which creates the container) in a new
/// container of Swift behind Keystone, as user `agent`, with `region=`.
fn env_v3(hint: &str, region: Option<&str>) -> Option<(Env, &'static KeystoneSwift)> {
    let s = swift::behind_keystone()?;
    let mut e = Env::bare();
    e.repo = s.location(hint, "fleet/node-01", region).into();
    e.vars = s.env("agent", PASSWORD);
    let r = e.run(&["init"]).ok();
    assert!(
        r.stderr.contains("creating Swift container"),
        "{}",
        r.stderr
    );
    Some((e, s))
}

/// `CONTAINER` of `swift://HOST/CONTAINER/PREFIX?…`.
fn container_of(location: &str) -> String {
    location.split('/').nth(3).unwrap().to_owned()
}

#[test]
fn every_kind_of_entry_round_trips_on_swift_through_keystone_v3() {
    let Some((e, s)) = env_v3("v3roundtrip", Some("RegionOne")) else {
        return;
    };
    crate::roundtrip::round_trip_leaving_no_plaintext(&e, &s.devices);
}

/// The token is revoked in Keystone between operations (no token expires
/// by time here): the next request is refused, the backend authenticates
/// once more and the operation goes through, each time.
#[test]
fn a_revoked_keystone_token_is_renewed_once_and_the_operation_goes_through() {
    let Some(s) = swift::behind_keystone() else {
        return;
    };
    let k = s.keystone;
    let location = s.tapped_location("v3renew", "fleet/node-01", Some("RegionOne"));
    let Location::Swift(loc) = Location::parse(&location).unwrap() else {
        unreachable!()
    };
    let creds = SwiftCredentials::V3(common::backend::swift::V3Credentials {
        user: "renew".into(),
        password: Secret::new(PASSWORD),
        project: keystone::PROJECT.into(),
        user_domain: "Default".into(),
        project_domain: "Default".into(),
    });
    let b = SwiftBackend::new(loc, creds).unwrap();
    let before = k.issued().len();
    b.create().unwrap();
    let name = "cd".repeat(32);
    assert_eq!(b.write(Kind::Data, &name, b"before").unwrap(), Written::New);
    assert_eq!(b.authentications(), 1);
    assert_eq!(k.issued().len(), before + 1, "one token so far");
    for round in 1..=3u64 {
        let token = k.issued().last().unwrap().clone();
        s.revoke(&token);
        match round {
            1 => assert_eq!(b.read(Kind::Data, &name, 100).unwrap(), b"before"),
            2 => assert_eq!(b.list(Kind::Data).unwrap(), vec![(name.clone(), 6)]),
            _ => assert_eq!(
                b.write(Kind::Data, &"ef".repeat(32), b"after").unwrap(),
                Written::New
            ),
        }
        assert_eq!(b.authentications(), 1 + round, "renewed once, on the 401");
        let issued = k.issued();
        assert_eq!(issued.len(), before + 1 + round as usize);
        assert_ne!(issued.last(), Some(&token), "a new token");
    }
    assert_eq!(b.read(Kind::Data, &"ef".repeat(32), 100).unwrap(), b"after");
    assert_eq!(b.authentications(), 4, "a valid token is kept");
}

/// RegionOne's and RegionTwo's public endpoints reach the same storage by
/// different addresses: `region=` picks one; a region whose only
/// object-store endpoint is internal, or which does not exist, is one line.
#[test]
fn each_keystone_region_uses_its_own_endpoint_and_one_without_is_a_one_line_error() {
    let Some((two, s)) = env_v3("regiontwo", Some("RegionTwo")) else {
        return;
    };
    let (one, _) = env_v3("regionone", Some("RegionOne")).unwrap();
    let src = two.path("src");
    write(&src.join("f"), &random_bytes(1, 50_000));
    two.backup(&[&src]);
    one.backup(&[&src]);
    let (c1, c2) = (
        container_of(one.repo.to_str().unwrap()),
        container_of(two.repo.to_str().unwrap()),
    );
    let seen_two = s.region_two.seen(&c2);
    assert!(
        seen_two >= 5,
        "RegionTwo's endpoint saw {seen_two} requests"
    );
    assert_eq!(
        s.region_two.seen(&c1),
        0,
        "RegionOne went through RegionTwo"
    );
    // The same repository through the other region.
    let mut via_two = Env::bare();
    via_two.repo = one
        .repo
        .to_str()
        .unwrap()
        .replace("region=RegionOne", "region=RegionTwo")
        .into();
    via_two.key.clone_from(&one.key);
    via_two.vars = s.env("agent", PASSWORD);
    let snaps = via_two.run(&["--json", "snapshots"]).ok();
    assert!(s.region_two.seen(&c1) > 0);
    let listed = snaps.json();
    let n = listed
        .iter()
        .filter(|v| v["message_type"] == "snapshot")
        .count();
    assert_eq!(n, 1, "{}", snaps.stdout);
    for region in ["RegionThree", "Nowhere"] {
        let mut e = Env::bare();
        e.repo = s.location("noregion", "x", Some(region)).into();
        e.vars = s.env("agent", PASSWORD);
        let r = e.run(&["init"]).code(2);
        let line = r.one_line_error();
        assert!(
            line.contains(&format!(
                "no public object-store endpoint in region {region}"
            )),
            "{line}"
        );
    }
}

#[test]
fn a_wrong_keystone_password_is_one_line_and_exit_18() {
    let Some(s) = swift::behind_keystone() else {
        return;
    };
    let wrong = "canary-wrong-keystone-password";
    let mut e = Env::bare();
    e.repo = s.location("wrongpassword", "x", Some("RegionOne")).into();
    for (user, password) in [("agent", wrong), ("nobody", PASSWORD)] {
        e.vars = s.env(user, password);
        for args in [&["init"][..], &["snapshots"]] {
            let r = e.run(args).code(18);
            let line = r.one_line_error();
            assert!(line.contains("refused (401)"), "{line}");
            assert!(line.contains(&s.keystone.addr), "{line}");
            assert!(!r.stderr.contains(wrong) && !r.stdout.contains(wrong));
        }
    }
}
