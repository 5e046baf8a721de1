//! Moving objects: each read whole from the source, checked against its
//! name (the BLAKE3 of its bytes) before anything is written, and written
//! create-only to the destination; several at once, under the bandwidth
//! limit. A damaged object is not written and does not stop the others.

use crate::backend::{Backend, Kind, Written};
use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use crate::ops::limit::{sleep_until, Limiter};
use crate::repo::Store;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// What an object's content must satisfy before it is written: `None`, or
/// why not.
pub(super) type Check<'c> = &'c (dyn Fn(&str, &[u8]) -> Result<Option<String>> + Sync);

/// What the source gave for one object.
pub(super) enum Fetched {
    /// Its bytes, which hash to its name.
    Good(Vec<u8>),
    /// Why it is not copied (one line, naming the object).
    Damaged(String),
}

/// The source, the destination and the counters of one copy.
pub(super) struct Mover<'a> {
    pub(super) src: &'a Store,
    pub(super) dst: &'a dyn Backend,
    limiter: Option<Limiter>,
    /// Objects written.
    pub(super) objects: AtomicU64,
    /// Bytes written.
    pub(super) bytes: AtomicU64,
    /// Objects the destination turned out to hold already.
    pub(super) present: AtomicU64,
}

impl<'a> Mover<'a> {
    pub(super) fn new(src: &'a Store, dst: &'a dyn Backend, limit: Option<u64>) -> Mover<'a> {
        Mover {
            src,
            dst,
            limiter: limit.map(Limiter::new),
            objects: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            present: AtomicU64::new(0),
        }
    }

    /// [`fetch`] from this copy's source.
    pub(super) fn fetch(&self, kind: Kind, name: &str) -> Result<Fetched> {
        fetch(self.src, kind, name)
    }

    /// Writes an object to the destination unless it is there.
    pub(super) fn put(&self, kind: Kind, name: &str, bytes: &[u8]) -> Result<()> {
        let until = self.limiter.as_ref().map(|l| l.reserve(bytes.len()));
        match self.dst.write(kind, name, bytes)? {
            Written::New => {
                self.objects.fetch_add(1, Ordering::Relaxed);
                self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            Written::AlreadyPresent => {
                self.present.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(t) = until {
            sleep_until(t);
        }
        Ok(())
    }

    /// Fetches, checks and writes one object, unless `check` (given its
    /// name and checked bytes) says why not; its damage, if any.
    pub(super) fn copy_one(
        &self,
        kind: Kind,
        name: &str,
        check: Check<'_>,
    ) -> Result<Option<String>> {
        match self.fetch(kind, name)? {
            Fetched::Good(bytes) => match check(name, &bytes)? {
                None => self.put(kind, name, &bytes).map(|_| None),
                Some(why) => Ok(Some(why)),
            },
            Fetched::Damaged(why) => Ok(Some(why)),
        }
    }

    /// Copies `names` of `kind` over `connections` threads; returns those
    /// not copied (damaged, or refused by `check`), with why. The first
    /// storage error stops every thread.
    pub(super) fn copy_all(
        &self,
        kind: Kind,
        names: &[String],
        connections: usize,
        check: Check<'_>,
    ) -> Result<Vec<(String, String)>> {
        let next = AtomicU64::new(0);
        let stop = AtomicBool::new(false);
        let damaged = Mutex::new(Vec::new());
        let failed: Mutex<Option<Error>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..connections.clamp(1, 64) {
                s.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                        let Some(name) = names.get(i) else { break };
                        match self.copy_one(kind, name, check) {
                            Ok(None) => {}
                            Ok(Some(why)) => lock(&damaged).push((name.clone(), why)),
                            Err(e) => {
                                stop.store(true, Ordering::Relaxed);
                                lock(&failed).get_or_insert(e);
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = lock(&failed).take() {
            return Err(e);
        }
        let mut damaged = std::mem::take(&mut *lock(&damaged));
        damaged.sort();
        Ok(damaged)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads an object from the source and checks it against its name;
/// when storage keeps an older version that matches (an overwrite in
/// S3), that one.
pub(super) fn fetch(src: &Store, kind: Kind, name: &str) -> Result<Fetched> {
    let what = format!("{} {name}", kind.noun());
    let limit = src.limit(kind);
    let be = src.backend();
    let bytes = match be.read(kind, name, limit) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Ok(Fetched::Damaged(format!(
                "{what} vanished from the source while it was copied"
            )))
        }
        Err(e) if e.kind() == ErrorKind::Damaged => return Ok(Fetched::Damaged(e.to_string())),
        Err(e) => return Err(e),
    };
    if Id::of_object(&bytes).to_hex() == name {
        return Ok(Fetched::Good(bytes));
    }
    if be.recover(kind, name, limit)? {
        let again = be.read(kind, name, limit)?;
        if Id::of_object(&again).to_hex() == name {
            return Ok(Fetched::Good(again));
        }
    }
    Ok(Fetched::Damaged(format!(
        "{what} in the source: content does not match its name"
    )))
}
