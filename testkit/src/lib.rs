//! Real servers for Banana's tests, and what tests share around them: one
//! per test process for SeaweedFS (S3), Swift, Keystone, Samba, MariaDB,
//! PostgreSQL and etcd, each started from the installed binaries on loopback
//! and gone when the process ends; a fault-injecting HTTP proxy; a fake HTTP
//! receiver; a port that refuses or holds connections; builders of status
//! events; the offline check of systemd units.
//!
//! A dev-dependency only (`publish = false`): no binary links it
//! (`xtask/tests/deps.rs`). A server that is not installed makes its tests
//! skip on a developer's machine and fail under `CI=true` ([`require`]).

// Test support: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod etcd;
pub mod keystone;
pub mod mariadb;
pub mod postgres;
mod procs;
pub mod proxy;
mod receiver;
pub mod samba;
pub mod seaweed;
pub mod swift;
pub mod systemd;
mod trap;

pub use procs::{free_port, installed};
pub use receiver::{Received, Receiver};
pub use trap::Trap;

use proto::status::{Event, EventKind, RunResult};

/// The one CI gate: whether a test may use `service`. True when it is
/// `present`; when it is not, false (the test skips, saying so) on a
/// developer's machine, and a failure under `CI=true`, where every
/// real-component test must run (`scripts/test.sh` installs them all).
pub fn require(service: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{service} is required in CI (scripts/services.sh install)"
    );
    eprintln!("skipping: {service} is not available here (scripts/services.sh install)");
    false
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
