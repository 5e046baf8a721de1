//! The Swift backend against a real Swift (started by the tests).

use common::backend::swift::{SwiftBackend, SwiftCredentials};
use common::backend::{Backend, Kind, Location, Presence};
use common::secret::Secret;
use common::ErrorKind;
use testkit::swift;

fn backend(s: &swift::SwiftServer, hint: &str, user: &str) -> SwiftBackend {
    let Ok(Location::Swift(loc)) = Location::parse(&s.location(hint, "fleet/node-01")) else {
        panic!("location")
    };
    let creds = SwiftCredentials::V1(common::backend::swift::V1Credentials {
        user: format!("banana:{user}"),
        key: Secret::new(swift::KEY),
    });
    SwiftBackend::new(loc, creds).unwrap()
}

#[test]
fn conformance_on_a_real_swift() {
    let Some(s) = swift::server() else { return };
    common::testing::conformance(&backend(s, "conformance", "agent"));
    // 10,000 objects listed back in pages of 100.
    let many = backend(s, "many", "agent").with_page_size(100);
    many.create().unwrap();
    common::testing::conformance_many(&many, 10_000);
    assert!(many.requests() >= 10_000 + 100, "{}", many.requests());
}

#[test]
fn an_expired_token_is_renewed_without_failing_anything() {
    let Some(s) = swift::server() else { return };
    let b = backend(s, "token", "renew");
    b.create().unwrap();
    let name = "ab".repeat(32);
    b.write(Kind::Data, &name, b"before").unwrap();
    let first = b.authentications();
    // The token dies (as at its expiry), whatever the clock says.
    s.expire_token("renew");
    assert_eq!(b.read(Kind::Data, &name, 100).unwrap(), b"before");
    assert_eq!(b.authentications(), first + 1, "renewed once, on the 401");
}

#[test]
fn a_wrong_key_is_denied_without_showing_it_and_a_container_is_made_once() {
    let Some(s) = swift::server() else { return };
    let Ok(Location::Swift(loc)) = Location::parse(&s.location("denied", "x")) else {
        panic!()
    };
    let wrong = SwiftCredentials::V1(common::backend::swift::V1Credentials {
        user: "banana:agent".into(),
        key: Secret::new("canary-wrong-swift-key"),
    });
    let b = SwiftBackend::new(loc.clone(), wrong).unwrap();
    let e = b.list(Kind::Data).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StorageDenied, "{e}");
    assert!(!format!("{e:?}").contains("canary-wrong-swift-key"));
    let good = backend(s, "created", "agent");
    assert_eq!(good.presence().unwrap(), Presence::Missing);
    good.create().unwrap();
    assert_eq!(good.presence().unwrap(), Presence::Empty);
}
