//! What the tests of every crate share about the engine (feature `testing`,
//! and `common`'s own unit tests): an in-memory backend, the backend
//! conformance suite as a public function over any [`Backend`], a
//! fault-injecting backend wrapper, and the fuzz targets' entry points.
//! Real servers for tests (SeaweedFS, Swift, databases, …) are the `testkit`
//! crate, a dev-dependency only.
//!
//! None of this is evidence that a real backend or service works: the
//! conformance suite must also run against the real ones (`common/tests/`).

// Test support: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod faulty;
pub mod fuzz;
mod memory;

pub use faulty::{Fault, FaultyBackend, Op, Pause};
pub use memory::MemoryBackend;

use crate::backend::{Backend, Kind, Presence, Written};
use crate::error::ErrorKind;

/// Runs a backup with no observer, progress or commit callback.
pub fn quiet_backup(
    repo: &crate::repo::Repository,
    opts: crate::ops::backup::BackupOptions,
) -> crate::Result<crate::ops::backup::BackupOutcome> {
    crate::ops::backup::backup(
        repo,
        opts,
        &crate::progress::Silent,
        &crate::progress::Progress::default(),
        &mut |_| {},
    )
}

/// `len` bytes that do not compress or deduplicate, the same for a seed
/// (xorshift).
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The contract every backend keeps (module docs of [`crate::backend`]),
/// from an empty location: presence, create, write-once, whole and ranged
/// reads with their bounds, listings, every character a name may hold and
/// names that must be refused.
pub fn conformance(b: &dyn Backend) {
    let p = b.presence().expect("presence");
    assert!(matches!(p, Presence::Missing | Presence::Empty), "{p:?}");
    b.create().expect("create");
    assert!(b.list(Kind::Data).expect("list").is_empty());
    let name = "ab".repeat(32);
    assert_eq!(
        b.write(Kind::Data, &name, b"hello world").expect("write"),
        Written::New
    );
    assert_eq!(
        b.write(Kind::Data, &name, b"other").expect("write again"),
        Written::AlreadyPresent
    );
    assert_eq!(b.read(Kind::Data, &name, 11).expect("read"), b"hello world");
    let over = b.read(Kind::Data, &name, 10).expect_err("over the limit");
    assert_eq!(over.kind(), ErrorKind::Damaged);
    assert_eq!(
        b.read_range(Kind::Data, &name, 6, 5).expect("range"),
        b"world"
    );
    assert_eq!(
        b.read_range(Kind::Data, &name, 6, 50)
            .expect("range past end"),
        b"world"
    );
    assert!(b
        .read_range(Kind::Data, &name, 11, 5)
        .expect("range at the end")
        .is_empty());
    assert_eq!(b.list(Kind::Data).expect("list"), vec![(name.clone(), 11)]);
    // Retention dates snapshots by storage's write time: every backend gives one.
    let dated = b.list_dated(Kind::Data).expect("dated list");
    assert_eq!(dated.len(), 1);
    assert_eq!((dated[0].name.as_str(), dated[0].size), (name.as_str(), 11));
    let written = dated[0].written.expect("a write time");
    assert!(
        (written - crate::unix_now()).abs() < 600,
        "write time {written} is not now"
    );
    assert!(b.list(Kind::Index).expect("list").is_empty());
    let missing = b
        .read(Kind::Index, &name, 1 << 20)
        .expect_err("missing object");
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    names(b);
    b.write(Kind::Config, "config", b"c").expect("config");
    assert_eq!(b.presence().expect("presence"), Presence::Repository);
    assert!(b.create().is_err(), "create over a repository must fail");
    assert_eq!(
        b.list(Kind::Config).expect("list config"),
        vec![("config".to_owned(), 1)]
    );
    b.remove(Kind::Data, &name).expect("remove");
    assert!(!b
        .list(Kind::Data)
        .expect("list")
        .iter()
        .any(|(n, _)| *n == name));
}

/// Every character a name may hold, in every kind's namespace; names that
/// must be refused.
fn names(b: &dyn Backend) {
    let all = "0123456789abcdef".repeat(4);
    for kind in [
        Kind::Data,
        Kind::Index,
        Kind::Snapshot,
        Kind::Refs,
        Kind::Key,
        Kind::Forget,
    ] {
        assert_eq!(
            b.write(kind, &all, kind.noun().as_bytes()).expect("write"),
            Written::New
        );
        assert_eq!(
            b.read(kind, &all, 100).expect("read"),
            kind.noun().as_bytes()
        );
        assert!(b
            .list(kind)
            .expect("list")
            .contains(&(all.clone(), kind.noun().len() as u64)));
    }
    for bad in [
        "AB".repeat(32),
        "ab".repeat(31),
        format!("../{}", "a".repeat(61)),
        String::new(),
    ] {
        let e = b.write(Kind::Data, &bad, b"x").expect_err("bad name");
        assert_eq!(e.kind(), ErrorKind::BadInput, "{bad}");
        assert_eq!(
            b.read(Kind::Index, &bad, 10).expect_err("bad name").kind(),
            ErrorKind::BadInput
        );
    }
}

/// Listing at scale: `n` index objects written from 8 threads, then listed
/// back exactly (a remote backend pages through them).
pub fn conformance_many(b: &dyn Backend, n: usize) {
    let names: Vec<String> = (0..n)
        .map(|i| blake3::hash(&i.to_le_bytes()).to_hex().to_string())
        .collect();
    std::thread::scope(|s| {
        for part in names.chunks(n.div_ceil(8).max(1)) {
            s.spawn(move || {
                for name in part {
                    b.write(Kind::Index, name, &name.as_bytes()[..8])
                        .expect("write");
                }
            });
        }
    });
    let mut want: Vec<(String, u64)> = names.into_iter().map(|n| (n, 8)).collect();
    want.sort();
    let got = b.list(Kind::Index).expect("list");
    assert_eq!(got.len(), want.len());
    assert!(got == want, "the listing differs from what was written");
}
