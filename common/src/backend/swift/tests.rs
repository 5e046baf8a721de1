//! Unit tests of the Swift backend; those against a real Swift are
//! `common/tests/backends/swift.rs`.

use super::*;

/// Issue 22, item 8: a storage URL from authentication must be https when
/// the location is (a token would otherwise cross the network in clear).
#[test]
fn the_storage_url_from_authentication_must_be_https_when_the_location_is() {
    let backend = |url: &str| {
        let Ok(crate::backend::Location::Swift(loc)) = crate::backend::Location::parse(url) else {
            panic!("{url}")
        };
        let creds = SwiftCredentials::V1(crate::backend::swift::V1Credentials {
            user: "a:b".into(),
            key: Secret::new("k"),
        });
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
