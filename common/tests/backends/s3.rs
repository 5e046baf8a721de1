//! The S3 backend against a real SeaweedFS (started by the tests).

use common::backend::s3::{S3Backend, S3Credentials, MULTIPART_ABOVE, PART_SIZE};
use common::backend::{Backend, Kind, Written};
use common::secret::Secret;
use common::ErrorKind;
use testkit::seaweed;

fn backend(s: &seaweed::S3Server, hint: &str) -> S3Backend {
    let bucket = s.bucket(hint);
    S3Backend::new(s.s3_location(&bucket, "fleet/node-01"), &s.admin).unwrap()
}

#[test]
fn conformance_on_a_real_s3_server() {
    let Some(s) = seaweed::server() else { return };
    common::testing::conformance(&backend(s, "conformance"));
    // 10,000 objects listed back in pages of 100.
    let many = backend(s, "many").with_page_size(100);
    common::testing::conformance_many(&many, 10_000);
    assert!(many.requests() >= 10_000 + 100, "{}", many.requests());
}

#[test]
fn multipart_uploads_appear_whole_or_not_at_all() {
    let Some(s) = seaweed::server() else { return };
    let b = backend(s, "multipart");
    b.create().unwrap();
    let big: Vec<u8> = (0..MULTIPART_ABOVE + PART_SIZE + 12345)
        .map(|i| (i % 251) as u8)
        .collect();
    let name = "ef".repeat(32);
    assert_eq!(b.write(Kind::Data, &name, &big).unwrap(), Written::New);
    assert_eq!(
        b.write(Kind::Data, &name, b"other").unwrap(),
        Written::AlreadyPresent
    );
    assert_eq!(
        b.write(Kind::Data, &name, &big).unwrap(),
        Written::AlreadyPresent
    );
    assert_eq!(b.read(Kind::Data, &name, big.len() as u64).unwrap(), big);
    assert_eq!(
        b.read_range(Kind::Data, &name, PART_SIZE as u64 - 3, 6)
            .unwrap(),
        &big[PART_SIZE - 3..PART_SIZE + 3]
    );
    // An upload that never completes (a killed node) leaves nothing visible.
    b.abandon_multipart(Kind::Data, &"12".repeat(32), &big[..PART_SIZE])
        .unwrap();
    // The reaper aborts it once it is older than its grace period.
    let now = common::unix_now();
    assert_eq!(b.abort_stale_uploads(now - 3600).unwrap(), 0, "too young");
    assert_eq!(b.abort_stale_uploads(now + 60).unwrap(), 1);
    assert_eq!(b.abort_stale_uploads(now + 60).unwrap(), 0, "gone");
    let listed: Vec<String> = b
        .list(Kind::Data)
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(listed, vec![name]);
    assert_eq!(
        b.read(Kind::Data, &"12".repeat(32), 1 << 30)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn a_missing_bucket_and_a_wrong_secret_are_one_line_errors_naming_them() {
    let Some(s) = seaweed::server() else { return };
    let b = S3Backend::new(s.s3_location("no-such-bucket", "x"), &s.admin).unwrap();
    let e = b.presence().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadInput);
    let text = e.to_string();
    assert!(
        text.contains("'no-such-bucket' does not exist") && text.contains("s3 mb"),
        "{text}"
    );
    let wrong = S3Credentials {
        access_key: s.admin.access_key.clone(),
        secret_key: Secret::new("canary-wrong-secret"),
    };
    let bucket = s.bucket("denied");
    let b = S3Backend::new(s.s3_location(&bucket, "x"), &wrong).unwrap();
    let e = b.list(Kind::Data).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StorageDenied, "{e}");
    assert!(!format!("{e:?}").contains("canary-wrong-secret"));
}

#[test]
fn an_overwritten_object_is_read_from_its_original_version() {
    let Some(s) = seaweed::server() else { return };
    let prefix = format!("node1/h{:08x}", rand::random::<u32>());
    let b = S3Backend::new(s.s3_location(seaweed::LOCKED_BUCKET, &prefix), &s.admin).unwrap();
    let original = b"the original bytes".to_vec();
    let name = common::id::Id::of_object(&original).to_hex();
    b.write(Kind::Index, &name, &original).unwrap();
    let key = b.object_key(Kind::Index, &name).unwrap();
    s.overwrite(&s.node, seaweed::LOCKED_BUCKET, &key, b"forged")
        .unwrap();
    assert_eq!(b.read(Kind::Index, &name, 100).unwrap(), b"forged");
    assert!(b.recover(Kind::Index, &name, 100).unwrap());
    assert_eq!(b.read(Kind::Index, &name, 100).unwrap(), original);
    assert_eq!(
        b.read_range(Kind::Index, &name, 4, 8).unwrap(),
        &original[4..12]
    );
    // The node's credential may not list versions: nothing to fall back to.
    let n = S3Backend::new(s.s3_location(seaweed::LOCKED_BUCKET, &prefix), &s.node).unwrap();
    assert!(!n.recover(Kind::Index, &name, 100).unwrap());
}
