//! A fault-injecting [`Backend`] wrapper (kopia's `faulty` storage is the
//! model): each operation fails, or its answer is truncated, at a configured
//! rate, from a seeded generator so a failure is reproducible; it counts the
//! faults it injected so a test can assert that they were hit.

use crate::backend::{Backend, Kind, Presence, Written};
use crate::error::{Error, ErrorKind, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A backend operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `list`.
    List,
    /// `read` and `read_range`.
    Read,
    /// `write`.
    Write,
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The operation returns an I/O error.
    Error,
    /// A read returns fewer bytes than asked (a truncated body).
    Truncate,
    /// The operation fails as a remote backend's transient failure does
    /// (a 503, a reset, a timeout): what the retry layer retries.
    Unavailable,
}

/// A wrapper that injects faults into `inner`.
pub struct FaultyBackend<B> {
    inner: B,
    rules: Vec<(Op, Fault, f64)>,
    rng: Mutex<u64>,
    /// Faults injected so far.
    pub injected: AtomicU64,
    pause: std::sync::Arc<Pause>,
}

/// Stops one operation until released, so a test can run something else
/// at exactly that point of a run (retention beside a backup).
#[derive(Default)]
pub struct Pause {
    /// Operations (list, read, write, remove) seen so far.
    ops: AtomicU64,
    /// Pause before the operation with this number (1-based); 0: never.
    at: AtomicU64,
    /// From the operation with this number on, every one fails, as if the
    /// process had been killed there (0: never).
    crash: AtomicU64,
    state: Mutex<PauseState>,
    cv: std::sync::Condvar,
    /// The operation paused: what and on which kind.
    on: Mutex<Option<(Op, Kind)>>,
    /// Operations seen, by what and on which kind (since creation).
    counts: Mutex<std::collections::HashMap<(Op, Kind), u64>>,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum PauseState {
    #[default]
    Running,
    Paused,
    Released,
}

impl Pause {
    /// Pauses before the `n`-th operation from now on (1-based).
    pub fn arm(&self, n: u64) {
        self.ops.store(0, Ordering::SeqCst);
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = PauseState::Running;
        self.at.store(n, Ordering::SeqCst);
    }

    /// Fails every operation from the `n`-th from now on (1-based).
    pub fn crash_at(&self, n: u64) {
        self.ops.store(0, Ordering::SeqCst);
        self.crash.store(n, Ordering::SeqCst);
    }

    /// The operation that paused, once one did.
    pub fn paused_on(&self) -> Option<(Op, Kind)> {
        *self.on.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many `op`s on `kind` were sent (a test that must never read a
    /// pack asks for `(Op::Read, Kind::Data)`).
    pub fn count(&self, op: Op, kind: Kind) -> u64 {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(op, kind))
            .copied()
            .unwrap_or(0)
    }

    fn tick(&self, op: Op, kind: Kind) -> Result<()> {
        *self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((op, kind))
            .or_insert(0) += 1;
        let n = self.ops.fetch_add(1, Ordering::SeqCst) + 1;
        let crash = self.crash.load(Ordering::SeqCst);
        if crash > 0 && n >= crash {
            return Err(Error::new(ErrorKind::Io, "crashed (test)"));
        }
        if n != self.at.load(Ordering::SeqCst) {
            return Ok(());
        }
        *self.on.lock().unwrap_or_else(|p| p.into_inner()) = Some((op, kind));
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        *s = PauseState::Paused;
        self.cv.notify_all();
        while *s == PauseState::Paused {
            s = self.cv.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        Ok(())
    }

    /// Waits (at most `limit`) until an operation is paused; false if the
    /// run did not get there (`done` says it finished first).
    pub fn wait(&self, limit: std::time::Duration, done: &dyn Fn() -> bool) -> bool {
        let end = std::time::Instant::now() + limit;
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while *s != PauseState::Paused {
            if done() || std::time::Instant::now() >= end {
                return false;
            }
            s = self
                .cv
                .wait_timeout(s, std::time::Duration::from_millis(20))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// Lets the paused operation go on; no later one pauses.
    pub fn release(&self) {
        self.at.store(0, Ordering::SeqCst);
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = PauseState::Released;
        self.cv.notify_all();
    }
}

impl<B: Backend> FaultyBackend<B> {
    /// No faults yet; `seed` fixes the sequence.
    pub fn new(inner: B, seed: u64) -> FaultyBackend<B> {
        FaultyBackend {
            inner,
            rules: Vec::new(),
            rng: Mutex::new(seed | 1),
            injected: AtomicU64::new(0),
            pause: Default::default(),
        }
    }

    /// The pause control, shared with the test.
    pub fn pause(&self) -> std::sync::Arc<Pause> {
        self.pause.clone()
    }

    /// Injects `fault` into a fraction `rate` (0–1) of `op` calls.
    pub fn with(mut self, op: Op, fault: Fault, rate: f64) -> Self {
        self.rules.push((op, fault, rate));
        self
    }

    /// xorshift64: deterministic, no dependency.
    fn roll(&self) -> f64 {
        let mut s = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }

    fn fault(&self, op: Op) -> Option<Fault> {
        for (o, f, rate) in &self.rules {
            if *o == op && self.roll() < *rate {
                self.injected.fetch_add(1, Ordering::Relaxed);
                return Some(*f);
            }
        }
        None
    }

    fn error(&self, f: Fault, what: &str) -> Error {
        let kind = if f == Fault::Unavailable {
            ErrorKind::StorageUnavailable
        } else {
            ErrorKind::Io
        };
        Error::new(kind, format!("injected fault: {what}"))
    }

    fn read_faulty(&self, op: Op, data: Result<Vec<u8>>) -> Result<Vec<u8>> {
        match self.fault(op) {
            Some(f @ (Fault::Error | Fault::Unavailable)) => Err(self.error(f, "read")),
            Some(Fault::Truncate) => data.map(|mut d| {
                d.truncate(d.len() / 2);
                d
            }),
            None => data,
        }
    }
}

impl<B: Backend> Backend for FaultyBackend<B> {
    fn location(&self) -> String {
        format!("faulty:{}", self.inner.location())
    }
    fn presence(&self) -> Result<Presence> {
        match self.fault(Op::List) {
            Some(f) => Err(self.error(f, "list")),
            None => self.inner.presence(),
        }
    }
    fn create(&self) -> Result<()> {
        self.inner.create()
    }
    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        self.pause.tick(Op::List, kind)?;
        match self.fault(Op::List) {
            Some(f) => Err(self.error(f, "list")),
            None => self.inner.list(kind),
        }
    }
    fn list_dated(&self, kind: Kind) -> Result<Vec<crate::backend::Listed>> {
        self.pause.tick(Op::List, kind)?;
        match self.fault(Op::List) {
            Some(f) => Err(self.error(f, "list")),
            None => self.inner.list_dated(kind),
        }
    }
    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        self.pause.tick(Op::Read, kind)?;
        self.read_faulty(Op::Read, self.inner.read(kind, name, limit))
    }
    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        self.pause.tick(Op::Read, kind)?;
        self.read_faulty(Op::Read, self.inner.read_range(kind, name, offset, len))
    }
    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        self.pause.tick(Op::Write, kind)?;
        match self.fault(Op::Write) {
            Some(f) => Err(self.error(f, "write")),
            None => self.inner.write(kind, name, data),
        }
    }
    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        self.pause.tick(Op::Write, kind)?;
        self.inner.remove(kind, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryBackend;

    #[test]
    fn faults_are_injected_at_about_the_rate_and_counted() {
        let b = FaultyBackend::new(MemoryBackend::default(), 7)
            .with(Op::Read, Fault::Error, 0.25)
            .with(Op::Read, Fault::Truncate, 0.1);
        b.create().unwrap();
        let name = "ab".repeat(32);
        b.write(Kind::Data, &name, &[7u8; 100]).unwrap();
        let (mut errors, mut short) = (0, 0);
        for _ in 0..1000 {
            match b.read(Kind::Data, &name, 1 << 20) {
                Err(_) => errors += 1,
                Ok(d) if d.len() < 100 => short += 1,
                Ok(_) => {}
            }
        }
        assert!((150..350).contains(&errors), "{errors}");
        assert!((30..150).contains(&short), "{short}");
        assert_eq!(b.injected.load(Ordering::Relaxed), errors + short);
    }
}
