//! In-memory backend for unit tests of the format. Never evidence that a real
//! backend works.

use crate::backend::{Backend, Kind, Presence, Written};
use crate::error::{Error, ErrorKind, Result};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// `None` until `create`.
type Objects = Option<BTreeMap<(Kind, String), Vec<u8>>>;

/// Objects in a shared map; clones see the same objects.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    objects: Arc<Mutex<Objects>>,
    /// When each object was written (Unix seconds), for dated listings.
    written: Arc<Mutex<BTreeMap<(Kind, String), i64>>>,
    /// `read_range` calls so far.
    range_reads: Arc<std::sync::atomic::AtomicU64>,
}

impl MemoryBackend {
    /// How many `read_range` calls it answered.
    pub fn range_reads(&self) -> u64 {
        self.range_reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets the time storage says an object was written.
    pub fn set_written(&self, kind: Kind, name: &str, at: i64) {
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((kind, name.to_owned()), at);
    }

    fn map(&self) -> MutexGuard<'_, Objects> {
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, kind: Kind, name: &str) -> Result<Vec<u8>> {
        crate::backend::valid_name(kind, name)?;
        self.map()
            .as_ref()
            .and_then(|m| m.get(&(kind, name.to_owned())).cloned())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("{} {name} not found", kind.noun()),
                )
            })
    }
}

impl Backend for MemoryBackend {
    fn location(&self) -> String {
        "memory:".into()
    }

    fn create(&self) -> Result<()> {
        let mut m = self.map();
        if m.as_ref().is_some_and(|m| !m.is_empty()) {
            return Err(Error::new(ErrorKind::BadInput, "memory repository exists"));
        }
        m.get_or_insert_with(BTreeMap::new);
        Ok(())
    }

    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        Ok(self
            .map()
            .iter()
            .flat_map(|m| m.iter())
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, n), v)| (n.clone(), v.len() as u64))
            .collect())
    }

    fn list_dated(&self, kind: Kind) -> Result<Vec<crate::backend::Listed>> {
        // The objects' lock is taken and released first, as `write` does:
        // one order, no deadlock.
        let listed = self.list(kind)?;
        let written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        Ok(listed
            .into_iter()
            .map(|(name, size)| crate::backend::Listed {
                written: written.get(&(kind, name.clone())).copied(),
                name,
                size,
            })
            .collect())
    }

    fn presence(&self) -> Result<Presence> {
        Ok(match self.map().as_ref() {
            None => Presence::Missing,
            Some(m) if m.is_empty() => Presence::Empty,
            Some(m) if m.keys().any(|(k, _)| *k == Kind::Config) => Presence::Repository,
            Some(_) => Presence::Other,
        })
    }

    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        let v = self.get(kind, name)?;
        if v.len() as u64 > limit {
            return Err(Error::damaged(format!(
                "{} {name} is larger than a {0} may be",
                kind.noun()
            )));
        }
        Ok(v)
    }

    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        self.range_reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let v = self.get(kind, name)?;
        let start = (offset as usize).min(v.len());
        let end = (offset.saturating_add(len) as usize).min(v.len());
        Ok(v[start..end].to_vec())
    }

    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        crate::backend::valid_name(kind, name)?;
        let mut guard = self.map();
        let m = guard.get_or_insert_with(BTreeMap::new);
        let key = (kind, name.to_owned());
        if m.contains_key(&key) {
            return Ok(Written::AlreadyPresent);
        }
        m.insert(key.clone(), data.to_vec());
        drop(guard);
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, crate::unix_now());
        Ok(Written::New)
    }

    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        self.map()
            .as_mut()
            .and_then(|m| m.remove(&(kind, name.to_owned())))
            .map(|_| ())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("{} {name} not found", kind.noun()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn conformance() {
        super::super::conformance(&super::MemoryBackend::default());
        super::super::conformance_many(&super::MemoryBackend::default(), 10_000);
    }
}
