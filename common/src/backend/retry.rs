//! The one retry layer of every remote backend: what may pass
//! ([`ErrorKind::StorageUnavailable`]: 5xx, 429, 408, timeouts, resets,
//! truncated answers) is tried again with exponential backoff and full
//! jitter, within a number of attempts and a time budget per operation;
//! everything else (a 403, a 404, damage) is returned at once, since
//! asking again will not change it. When the budget is spent the error is
//! one line naming the endpoint, the operation and the last cause.
//!
//! Every operation is safe to repeat: objects are written once under their
//! content's name with `If-None-Match: *` (a write whose answer was lost
//! finds its own object: [`Written::AlreadyPresent`]), and reads change
//! nothing.

use super::{Backend, Kind, Presence, Written};
use crate::error::{Error, ErrorKind, Result};
use std::time::{Duration, Instant};

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts per operation, the first included.
    pub attempts: u32,
    /// First backoff; doubled each time, up to `max_backoff`.
    pub base: Duration,
    /// Longest single wait.
    pub max_backoff: Duration,
    /// Time after which an operation gives up (no new attempt starts past it).
    pub budget: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            attempts: 10,
            base: Duration::from_millis(200),
            max_backoff: Duration::from_secs(15),
            budget: Duration::from_secs(120),
        }
    }
}

impl Policy {
    /// The wait before attempt `n` (1 = the first retry): full jitter over
    /// an exponentially growing window.
    fn backoff(&self, n: u32) -> Duration {
        let window = self
            .base
            .saturating_mul(
                1u32.checked_shl(n.saturating_sub(1).min(20))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_backoff);
        window.mul_f64(rand::random::<f64>())
    }
}

/// A backend whose transient failures are retried.
pub struct Retrying<B> {
    inner: B,
    policy: Policy,
}

impl<B: Backend> Retrying<B> {
    /// Wraps `inner`.
    pub fn new(inner: B, policy: Policy) -> Retrying<B> {
        Retrying { inner, policy }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    fn attempt<T>(&self, op: &str, mut f: impl FnMut(&B) -> Result<T>) -> Result<T> {
        let start = Instant::now();
        let mut n = 0;
        loop {
            n += 1;
            match f(&self.inner) {
                Err(e) if e.kind() == ErrorKind::StorageUnavailable => {
                    let wait = self.policy.backoff(n);
                    let spent = start.elapsed() + wait;
                    if n >= self.policy.attempts || spent >= self.policy.budget {
                        return Err(Error::new(
                            ErrorKind::StorageUnavailable,
                            format!(
                                "storage {} did not answer {op} after {n} attempts in {:.0}s: {}",
                                self.inner.location(),
                                start.elapsed().as_secs_f64(),
                                e.message()
                            ),
                        )
                        .hint("check the endpoint and the network; the repository stays valid and the next run catches up"));
                    }
                    tracing::debug!("{op}: {} (retry {n} in {wait:?})", e.message());
                    std::thread::sleep(wait);
                }
                r => return r,
            }
        }
    }
}

impl<B: Backend> Backend for Retrying<B> {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn presence(&self) -> Result<Presence> {
        self.attempt("a listing", |b| b.presence())
    }
    fn creatable(&self) -> Result<()> {
        self.attempt("a listing", |b| b.creatable())
    }
    fn create(&self) -> Result<()> {
        self.attempt("a listing", |b| b.create())
    }
    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        self.attempt(&format!("the {} listing", kind.noun()), |b| b.list(kind))
    }
    fn list_dated(&self, kind: Kind) -> Result<Vec<super::Listed>> {
        self.attempt(&format!("the {} listing", kind.noun()), |b| {
            b.list_dated(kind)
        })
    }
    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        self.attempt(&format!("a read of {} {name}", kind.noun()), |b| {
            b.read(kind, name, limit)
        })
    }
    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        self.attempt(&format!("a read of {} {name}", kind.noun()), |b| {
            b.read_range(kind, name, offset, len)
        })
    }
    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        self.attempt(&format!("a write of {} {name}", kind.noun()), |b| {
            b.write(kind, name, data)
        })
    }
    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        self.attempt(&format!("a delete of {} {name}", kind.noun()), |b| {
            b.remove(kind, name)
        })
    }
    fn abort_stale_uploads(&self, before: i64) -> Result<u64> {
        self.attempt("aborting stale uploads", |b| b.abort_stale_uploads(before))
    }
    fn purge_archive(&self, objects: &[(Kind, String)]) -> Result<u64> {
        self.attempt("emptying the archive", |b| b.purge_archive(objects))
    }
    fn purge_deleted(&self, now: i64) -> Result<super::Purged> {
        self.attempt("purging deleted objects' versions", |b| {
            b.purge_deleted(now)
        })
    }
    fn requests(&self) -> u64 {
        self.inner.requests()
    }
    fn recover(&self, kind: Kind, name: &str, limit: u64) -> Result<bool> {
        self.attempt(&format!("the versions of {} {name}", kind.noun()), |b| {
            b.recover(kind, name, limit)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fault, FaultyBackend, MemoryBackend, Op};
    use std::sync::atomic::Ordering;

    /// Short waits, many attempts; a budget that only ends a hang (what
    /// ends these operations is the number of attempts).
    fn quick() -> Policy {
        Policy {
            attempts: 50,
            base: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            budget: Duration::from_secs(600),
        }
    }

    #[test]
    fn transient_failures_are_retried_until_the_operation_passes() {
        let faulty = FaultyBackend::new(MemoryBackend::default(), 7)
            .with(Op::Write, Fault::Unavailable, 0.5)
            .with(Op::Read, Fault::Unavailable, 0.5);
        let b = Retrying::new(faulty, quick());
        b.create().unwrap();
        let name = "cd".repeat(32);
        for _ in 0..20 {
            b.write(Kind::Data, &name, b"payload").unwrap();
            assert_eq!(b.read(Kind::Data, &name, 100).unwrap(), b"payload");
        }
        assert!(
            b.inner().injected.load(Ordering::Relaxed) > 10,
            "faults were injected"
        );
    }

    #[test]
    fn a_dead_backend_fails_within_the_budget_naming_it_and_permanent_errors_are_not_retried() {
        // Attempts enough for a minute of backoff: the 300 ms budget, not
        // the attempts, must end it. Counted, not timed: on a loaded
        // machine the waits only get longer, so the attempts fewer.
        let mut p = quick();
        p.attempts = 2000;
        p.budget = Duration::from_millis(300);
        p.base = Duration::from_millis(20);
        p.max_backoff = Duration::from_millis(50);
        let faulty =
            FaultyBackend::new(MemoryBackend::default(), 1).with(Op::List, Fault::Unavailable, 1.0);
        let b = Retrying::new(faulty, p);
        let e = b.list(Kind::Data).unwrap_err();
        let tried = b.inner().injected.load(Ordering::Relaxed);
        assert!(tried < 100, "the budget did not end it: {tried} attempts");
        assert_eq!(e.kind(), ErrorKind::StorageUnavailable);
        assert!(
            e.message()
                .contains("did not answer the pack listing after"),
            "{e}"
        );
        assert!(
            b.inner().injected.load(Ordering::Relaxed) > 1,
            "it was retried"
        );
        // A permanent error is returned at once: one call, one fault.
        let denied =
            FaultyBackend::new(MemoryBackend::default(), 1).with(Op::List, Fault::Error, 1.0);
        let b = Retrying::new(denied, quick());
        assert_eq!(b.list(Kind::Data).unwrap_err().kind(), ErrorKind::Io);
        assert_eq!(b.inner().injected.load(Ordering::Relaxed), 1);
    }
}
