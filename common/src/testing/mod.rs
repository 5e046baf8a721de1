//! What the tests of every crate share (feature `testing`, and `common`'s own
//! unit tests): an in-memory backend, the backend conformance suite as a
//! public function over any [`Backend`], a fault-injecting backend wrapper, a
//! fake HTTP receiver on loopback, and builders of status events.
//!
//! None of this is evidence that a real backend or service works: the
//! conformance suite must also run against the real ones.

// Test support: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod faulty;
pub mod fuzz;
mod memory;
mod receiver;

pub use faulty::{Fault, FaultyBackend, Op};
pub use memory::MemoryBackend;
pub use receiver::Receiver;

use crate::backend::{Backend, Kind, Presence, Written};
use crate::error::ErrorKind;
use crate::status::{Event, EventKind, RunResult};

/// The suite every backend must pass, on an empty location.
pub fn conformance(b: &dyn Backend) {
    assert_eq!(b.presence().expect("presence"), Presence::Missing);
    b.create().expect("create");
    assert!(b.create().is_err(), "create twice must fail");
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
    assert_eq!(b.list(Kind::Data).expect("list"), vec![(name.clone(), 11)]);
    assert!(b.list(Kind::Index).expect("list").is_empty());
    let missing = b
        .read(Kind::Index, &name, 1 << 20)
        .expect_err("missing object");
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    b.write(Kind::Config, "config", b"c").expect("config");
    assert_eq!(b.presence().expect("presence"), Presence::Repository);
    assert_eq!(
        b.list(Kind::Config).expect("list config"),
        vec![("config".to_owned(), 1)]
    );
    b.remove(Kind::Data, &name).expect("remove");
    assert!(b.list(Kind::Data).expect("list").is_empty());
}

/// A `finished` event of `job` that ended at `now`, with a result and a
/// logical size.
pub fn finished(job: &str, result: RunResult, total: u64, now: i64) -> Event {
    let run = hex::encode(rand::random::<[u8; 16]>());
    let mut e = Event::new(EventKind::Finished, &run, job, "fs", now - 5, now);
    e.ended_at = Some(now);
    e.result = Some(result);
    e.bytes_total = total;
    e.files = 3;
    e
}
