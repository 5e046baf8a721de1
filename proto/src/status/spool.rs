//! The node-local queue of events not yet delivered: one file per event,
//! named by enqueue time, delivered oldest first, bounded. An event leaves it
//! only when the tower stored it (or already had it); one the tower refuses
//! for good moves to `refused/` (bounded too), which later events count, so
//! an attacker answering 400 cannot make a `failed` event vanish unnoticed.

use super::Event;
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Stored by the collector (or it already had it).
    Accepted,
    /// Refused for good (a 4xx other than the ones worth retrying): moved to
    /// `refused/`.
    Refused,
    /// Not now (down, busy, out of time): kept, with everything after it.
    Retry,
}

/// Events kept in `refused/`, at most.
pub(super) const REFUSED_MAX: usize = 100;

/// The node-local queue of events not yet delivered: one file per event,
/// delivered oldest first, bounded (the oldest are dropped beyond `max`).
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max: usize,
}

impl Spool {
    /// Opens (creating, mode 0700) the spool at `dir`, holding at most `max` events.
    pub fn open(dir: &Path, max: usize) -> Result<Spool> {
        crate::fsutil::private_dir(dir)
            .map_err(|e| Error::io(format!("status spool {}", dir.display()), e))?;
        Ok(Spool {
            dir: dir.to_owned(),
            max: max.max(1),
        })
    }

    /// Queues an event (atomically: temp file, then rename); drops the oldest
    /// beyond the bound and returns how many were dropped.
    pub fn push(&self, event: &Event) -> Result<usize> {
        // Named by the enqueue time in nanoseconds: the spool's order is the
        // order events happened, even within one second.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!("{nanos:024}-{}.json", event.id);
        let err = |e| Error::io(format!("status spool {}", self.dir.display()), e);
        let bytes =
            serde_json::to_vec(event).map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
        crate::fsutil::write_private(&self.dir.join(name), &bytes).map_err(err)?;
        let pending = self.names()?;
        let excess = pending.len().saturating_sub(self.max);
        for old in &pending[..excess] {
            let _ = std::fs::remove_file(self.dir.join(old));
        }
        Ok(excess)
    }

    fn names(&self) -> Result<Vec<String>> {
        let mut v = names_in(&self.dir)?;
        v.sort();
        Ok(v)
    }

    /// Events waiting, oldest first (unreadable files are skipped and removed).
    pub fn pending(&self) -> Result<Vec<(String, Event)>> {
        let mut out = Vec::new();
        for n in self.names()? {
            let p = self.dir.join(&n);
            match std::fs::read(&p)
                .ok()
                .and_then(|b| serde_json::from_slice::<Event>(&b).ok())
            {
                Some(e) => out.push((n, e)),
                None => {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        Ok(out)
    }

    /// Delivers waiting events in order with `send`, until one must be
    /// retried (it is kept, as is everything after it, so order holds).
    /// Returns (delivered, moved to `refused/`).
    pub fn deliver(&self, mut send: impl FnMut(&Event) -> Delivery) -> Result<(usize, usize)> {
        let (mut delivered, mut refused) = (0, 0);
        for (name, event) in self.pending()? {
            match send(&event) {
                Delivery::Retry => break,
                Delivery::Accepted => {
                    let _ = std::fs::remove_file(self.dir.join(&name));
                    delivered += 1;
                }
                Delivery::Refused => {
                    self.keep_refused(&name)?;
                    refused += 1;
                }
            }
        }
        Ok((delivered, refused))
    }

    fn refused_dir(&self) -> PathBuf {
        self.dir.join("refused")
    }

    /// Moves a refused event to `refused/`, dropping the oldest beyond
    /// [`REFUSED_MAX`].
    fn keep_refused(&self, name: &str) -> Result<()> {
        let dir = self.refused_dir();
        let err = |e| Error::io(format!("status spool {}", dir.display()), e);
        crate::fsutil::private_dir(&dir).map_err(err)?;
        std::fs::rename(self.dir.join(name), dir.join(name)).map_err(err)?;
        let mut kept = names_in(&dir)?;
        kept.sort();
        let excess = kept.len().saturating_sub(REFUSED_MAX);
        for old in &kept[..excess] {
            let _ = std::fs::remove_file(dir.join(old));
        }
        Ok(())
    }

    /// Events waiting to be sent (counted by name, none read).
    pub fn pending_count(&self) -> u64 {
        names_in(&self.dir).map_or(0, |v| v.len() as u64)
    }

    /// Events the tower refused, kept in `refused/` (sent with later events).
    pub fn refused_count(&self) -> u64 {
        names_in(&self.refused_dir()).map_or(0, |v| v.len() as u64)
    }
}

/// The event files of a directory (temporary files left out).
fn names_in(dir: &Path) -> Result<Vec<String>> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("status spool {}", dir.display()), e))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect())
}
