//! Swift's archive container (`CONTAINER-archive`, the container's
//! `X-History-Location`): where Swift keeps the previous copy of an object
//! overwritten or deleted in the container, named `LLLNAME/TIMESTAMP` (`LLL`
//! the name's length, three hex digits). The reaper reads it to date an
//! object by its oldest copy, and empties it of the objects it deleted, a
//! grace period later. A node's credential reads none of it.

use super::SwiftBackend;
use crate::backend::{object_path, Kind, Listed};
use crate::error::{ErrorKind, Result};
use std::collections::HashMap;

impl SwiftBackend {
    fn archive(&self) -> String {
        format!("{}-archive", self.loc.container)
    }

    /// The archive's prefix of the copies of `key` (a full object name).
    fn archived(key: &str) -> String {
        format!("{:03x}{key}/", key.len())
    }

    /// The object name an archived copy's name is a copy of.
    fn original(archived: &str) -> Option<&str> {
        let len = usize::from_str_radix(archived.get(..3)?, 16).ok()?;
        archived.get(3..3 + len)
    }

    /// The archive's listing under `prefix`: empty where it does not exist
    /// or this credential may not read it.
    fn archive_list(&self, prefix: &str) -> Result<Vec<crate::backend::remote::Key>> {
        match self.list_in(&self.archive(), prefix, None) {
            Ok(keys) => Ok(keys.unwrap_or_default()),
            Err(e) if matches!(e.kind(), ErrorKind::StorageDenied | ErrorKind::NotFound) => {
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// Dates each listed object by its oldest archived copy where older.
    /// Every object of a kind has a name of one length, so one prefix lists
    /// the copies of all of them.
    pub(super) fn date_by_archive(&self, kind: Kind, listed: &mut [Listed]) -> Result<()> {
        let Some(first) = listed.first() else {
            return Ok(());
        };
        let len = self.loc.key(&object_path(kind, &first.name)?).len();
        let dir = self.loc.key(&crate::backend::remote::listed(kind));
        let root = self.loc.key("");
        let mut oldest: HashMap<String, i64> = HashMap::new();
        for (name, _, listed_at) in self.archive_list(&format!("{len:03x}{dir}"))? {
            // The copy's name ends in the original's timestamp; the copy
            // itself was written when it was archived.
            let stamped = name
                .rsplit('/')
                .next()
                .and_then(|t| t.parse::<f64>().ok())
                .filter(|t| (1e9..1e10).contains(t))
                .map(|t| t as i64);
            let at = [listed_at, stamped].into_iter().flatten().min();
            let (Some(key), Some(at)) = (Self::original(&name), at) else {
                continue;
            };
            if let Some(n) = crate::backend::remote::name_of(kind, &root, key) {
                let e = oldest.entry(n.to_owned()).or_insert(at);
                *e = (*e).min(at);
            }
        }
        for l in listed.iter_mut() {
            if let Some(t) = oldest.get(&l.name) {
                l.written = Some(l.written.map_or(*t, |w| w.min(*t)));
            }
        }
        Ok(())
    }

    /// Deletes every archived copy of `objects`; returns how many.
    pub(super) fn empty_archive(&self, objects: &[(Kind, String)]) -> Result<u64> {
        let archive = self.archive();
        let mut n = 0;
        for (kind, name) in objects {
            let key = self.loc.key(&object_path(*kind, name)?);
            let prefix = Self::archived(&key);
            for (copy, _, _) in self.archive_list(&prefix)? {
                // Only `PREFIX/TIMESTAMP` as Swift names copies: a listed
                // name never steers a DELETE elsewhere (`..`, `?`, `#`).
                let stamp = copy.strip_prefix(&prefix).unwrap_or_default();
                let timestamp = stamp.starts_with(|c: char| c.is_ascii_digit())
                    && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if !timestamp {
                    continue;
                }
                self.delete(format!("{archive}/{copy}"), true)?;
                n += 1;
            }
        }
        Ok(n)
    }
}
