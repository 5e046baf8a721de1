//! The Swift backend against a real Swift (started by the tests).

use super::*;
use crate::testing::swift;

fn backend(s: &swift::SwiftServer, hint: &str, user: &str) -> SwiftBackend {
    let Ok(super::super::Location::Swift(loc)) =
        super::super::Location::parse(&s.location(hint, "fleet/node-01"))
    else {
        panic!("location")
    };
    let creds = SwiftCredentials::V1 {
        user: format!("banana:{user}"),
        key: Secret::new(swift::KEY),
    };
    SwiftBackend::new(loc, creds).unwrap()
}

#[test]
fn conformance_on_a_real_swift() {
    let Some(s) = swift::server() else { return };
    crate::testing::conformance(&backend(s, "conformance", "agent"));
    // 10,000 objects listed back in pages of 100.
    let many = backend(s, "many", "agent").with_page_size(100);
    many.create().unwrap();
    crate::testing::conformance_many(&many, 10_000);
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
    let Ok(super::super::Location::Swift(loc)) =
        super::super::Location::parse(&s.location("denied", "x"))
    else {
        panic!()
    };
    let wrong = SwiftCredentials::V1 {
        user: "banana:agent".into(),
        key: Secret::new("canary-wrong-swift-key"),
    };
    let b = SwiftBackend::new(loc.clone(), wrong).unwrap();
    let e = b.list(Kind::Data).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StorageDenied, "{e}");
    assert!(!format!("{e:?}").contains("canary-wrong-swift-key"));
    let good = backend(s, "created", "agent");
    assert_eq!(good.presence().unwrap(), Presence::Missing);
    good.create().unwrap();
    assert_eq!(good.presence().unwrap(), Presence::Empty);
}

/// Issue 22, item 8: a storage URL from authentication must be https when
/// the location is (a token would otherwise cross the network in clear).
#[test]
fn the_storage_url_from_authentication_must_be_https_when_the_location_is() {
    let backend = |url: &str| {
        let Ok(super::super::Location::Swift(loc)) = super::super::Location::parse(url) else {
            panic!("{url}")
        };
        let creds = SwiftCredentials::V1 {
            user: "a:b".into(),
            key: Secret::new("k"),
        };
        SwiftBackend::new(loc, creds).unwrap()
    };
    let tls = backend("swift://swift.example/c?auth=v1");
    let e = tls
        .storage_url("auth", "http://swift.example/v1/AUTH_x")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadInput);
    assert!(e.to_string().contains("not https"), "{e}");
    assert!(tls.storage_url("auth", "javascript:alert(1)").is_err());
    assert_eq!(
        tls.storage_url("auth", "https://swift.example/v1/AUTH_x/")
            .unwrap(),
        "https://swift.example/v1/AUTH_x"
    );
    let plain = backend("swift://127.0.0.1:8080/c?auth=v1&tls=false");
    assert!(plain
        .storage_url("auth", "http://127.0.0.1:8080/v1/AUTH_x")
        .is_ok());
}
