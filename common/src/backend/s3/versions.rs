//! Object versions (a versioned bucket, Object Lock): the original bytes of
//! an overwritten object ([`Backend::recover`]), the date of an object's
//! first version (what a node cannot set by writing it again), and the
//! reaper's purge of the versions of objects it deleted.
//!
//! The purge never touches a live object: only a key whose current version
//! is a delete marker loses its versions, then its markers. A version under
//! retention (`GetObjectRetention` says until when, or the server refuses
//! the delete) is held and tried again by the next prune.
//!
//! [`Backend::recover`]: crate::backend::Backend::recover

use super::wire::{self, Failed};
use super::{S3Backend, PAGE_CAP, SMALL_CAP};
use crate::backend::{Kind, Listed, Purged};
use crate::error::{ErrorKind, Result};
use s3::command::Command;
use std::collections::{BTreeMap, HashMap};

/// One version or delete marker of a key.
#[derive(Debug, Clone)]
pub(super) struct Version {
    pub(super) key: String,
    pub(super) id: String,
    pub(super) modified: Option<i64>,
    pub(super) latest: bool,
    pub(super) marker: bool,
}

fn entries(text: &str, tag: &str, marker: bool) -> Vec<Version> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    text.split(open.as_str())
        .skip(1)
        .filter_map(|v| {
            let v = v.split(close.as_str()).next()?;
            Some(Version {
                key: wire::xml_text(v, "Key")?.to_owned(),
                id: wire::xml_text(v, "VersionId")?.to_owned(),
                modified: wire::xml_text(v, "LastModified")
                    .and_then(crate::backend::remote::parse_time),
                latest: wire::xml_text(v, "IsLatest") == Some("true"),
                marker,
            })
        })
        .collect()
}

impl S3Backend {
    /// Every version and delete marker under `prefix` (needs
    /// `s3:ListBucketVersions`), page by page: each read with a cap, no
    /// marker twice, within the listing budget.
    pub(super) fn list_versions(&self, prefix: &str) -> Result<Vec<Version>> {
        let mut out = Vec::new();
        let mut listing = crate::backend::remote::Listing::new(self.list_budget);
        let mut markers: Option<(String, Option<String>)> = None;
        loop {
            listing.page().map_err(|why| self.endless(prefix, &why))?;
            let mut q = HashMap::from([
                ("versions".to_owned(), String::new()),
                ("prefix".to_owned(), prefix.to_owned()),
                ("max-keys".to_owned(), self.page.to_string()),
            ]);
            if let Some((k, v)) = markers.take() {
                q.insert("key-marker".to_owned(), k);
                if let Some(v) = v {
                    q.insert("version-id-marker".to_owned(), v);
                }
            }
            let b = self
                .bucket
                .with_extra_query(q)
                .map_err(|e| self.fail("configure", prefix, e.into()))?;
            let answer = self
                .block(self.call(&b, "", Command::GetObject, PAGE_CAP, 0))?
                .map_err(|e| self.fail("list versions under", prefix, e))?;
            let text = String::from_utf8_lossy(&answer.body).into_owned();
            out.extend(
                entries(&text, "Version", false)
                    .into_iter()
                    .chain(entries(&text, "DeleteMarker", true))
                    .filter(|v| v.key.starts_with(prefix)),
            );
            if wire::xml_text(&text, "IsTruncated") != Some("true") {
                return Ok(out);
            }
            let next = wire::xml_text(&text, "NextKeyMarker").map(str::to_owned);
            let Some(k) = next else {
                return Err(self.endless(prefix, "a truncated page of versions without a marker"));
            };
            let v = wire::xml_text(&text, "NextVersionIdMarker").map(str::to_owned);
            listing
                .token(&format!("{k}\0{}", v.as_deref().unwrap_or("")))
                .map_err(|why| self.endless(prefix, &why))?;
            markers = Some((k, v));
        }
    }

    /// The versions of exactly `key`, oldest first.
    pub(super) fn versions(&self, key: &str) -> Result<Vec<String>> {
        let mut found: Vec<Version> = self
            .list_versions(key)?
            .into_iter()
            .filter(|v| v.key == key && !v.marker)
            .collect();
        found.sort_by_key(|v| v.modified);
        Ok(found.into_iter().map(|v| v.id).collect())
    }

    /// Dates each listed object of `kind` by its first version's
    /// `LastModified` where that is older (a node writing an object again
    /// cannot make it younger). What is live comes from the plain listing;
    /// the versions only date it. Unchanged where the credential may not
    /// list versions.
    pub(super) fn date_by_versions(&self, kind: Kind, listed: &mut [Listed]) -> Result<()> {
        let root = self.loc.key("");
        let prefix = self.loc.key(&crate::backend::remote::listed(kind));
        let all = match self.list_versions(&prefix) {
            Ok(v) => v,
            Err(e) if matches!(e.kind(), ErrorKind::StorageDenied | ErrorKind::NotFound) => {
                return Ok(())
            }
            Err(e) => return Err(e),
        };
        let mut first: HashMap<&str, i64> = HashMap::new();
        for v in all.iter().filter(|v| !v.marker) {
            let (Some(name), Some(t)) = (
                crate::backend::remote::name_of(kind, &root, &v.key),
                v.modified,
            ) else {
                continue;
            };
            let e = first.entry(name).or_insert(t);
            *e = (*e).min(t);
        }
        for l in listed.iter_mut() {
            if let Some(t) = first.get(l.name.as_str()) {
                l.written = Some(l.written.map_or(*t, |w| w.min(*t)));
            }
        }
        Ok(())
    }

    /// When version `id` of `key` is retained until, if it is (Unix seconds).
    fn retained_until(&self, key: &str, id: &str) -> Result<Option<i64>> {
        let q = HashMap::from([
            ("retention".to_owned(), String::new()),
            ("versionId".to_owned(), id.to_owned()),
        ]);
        let b = self
            .bucket
            .with_extra_query(q)
            .map_err(|e| self.fail("configure", key, e.into()))?;
        match self.block(self.call(&b, key, Command::GetObject, SMALL_CAP, 0))? {
            Ok(a) => Ok(
                wire::xml_text(&String::from_utf8_lossy(&a.body), "RetainUntilDate")
                    .and_then(crate::backend::remote::parse_time),
            ),
            // No retention set, no lock on the bucket, or not allowed to ask:
            // the delete will tell.
            Err(Failed::Status(400 | 403 | 404 | 501, _)) => Ok(None),
            Err(e) => Err(self.fail("read the retention of", key, e)),
        }
    }

    /// Deletes version `id` of `key`; `Ok(false)` when the server refuses
    /// (a lock).
    fn delete_version(&self, key: &str, id: &str) -> Result<bool> {
        let q = HashMap::from([("versionId".to_owned(), id.to_owned())]);
        let b = self
            .bucket
            .with_extra_query(q)
            .map_err(|e| self.fail("configure", key, e.into()))?;
        match self.block(self.call(&b, key, Command::DeleteObject, SMALL_CAP, 0))? {
            Ok(_) | Err(Failed::Status(404, _)) => Ok(true),
            Err(Failed::Status(403, _)) => Ok(false),
            Err(e) => Err(self.fail("delete a version of", key, e)),
        }
    }

    /// Deletes every version, then every delete marker, of each key under
    /// the repository whose current version is a delete marker; holds a
    /// version retained past `now`.
    pub(super) fn purge(&self, now: i64) -> Result<Purged> {
        let prefix = self.loc.key("");
        // Live by the plain listing too: a server that calls a live
        // object's marker its latest version does not lose it its versions.
        let live: std::collections::HashSet<String> = self
            .list_keys(&prefix, None, &|_| true)?
            .into_iter()
            .map(|k| k.0)
            .collect();
        let mut by_key: BTreeMap<String, Vec<Version>> = BTreeMap::new();
        for v in self.list_versions(&prefix)? {
            by_key.entry(v.key.clone()).or_default().push(v);
        }
        let mut out = Purged::default();
        for (key, versions) in by_key {
            if live.contains(&key) || !versions.iter().any(|v| v.latest && v.marker) {
                continue;
            }
            let mut kept = false;
            for v in versions.iter().filter(|v| !v.marker) {
                let until = self.retained_until(&key, &v.id)?.filter(|t| *t > now);
                if let Some(t) = until {
                    out.held.push((format!("{key}@{}", v.id), locked_until(t)));
                    kept = true;
                } else if self.delete_version(&key, &v.id)? {
                    out.versions += 1;
                } else {
                    out.held
                        .push((format!("{key}@{}", v.id), "locked".to_owned()));
                    kept = true;
                }
            }
            // The markers go last, once nothing is left behind them.
            for m in versions.iter().filter(|v| v.marker && !kept) {
                if self.delete_version(&key, &m.id)? {
                    out.markers += 1;
                }
            }
        }
        Ok(out)
    }
}

fn locked_until(t: i64) -> String {
    let when = chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| t.to_string());
    format!("locked until {when}")
}
