//! The S3 backend (module docs: `backend/s3/mod.rs`).

use super::{S3Credentials, S3Location};
use crate::backend::remote::{runtime, Timeouts};
use crate::backend::{object_path, Backend, Kind, Presence, Written};
use crate::error::{Error, ErrorKind, Result};
use s3::command::{Command, Multipart};
use s3::creds::Credentials;
use s3::serde_types::{CompleteMultipartUploadData, InitiateMultipartUploadResponse, Part};
use s3::{Bucket, Region};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use wire::Failed;

// Children of the client: they reach its private parts.
#[path = "versions.rs"]
mod versions;
#[path = "wire.rs"]
mod wire;

/// Objects larger than this are uploaded in parts.
pub const MULTIPART_ABOVE: usize = 32 << 20;
/// Size of each part (S3's minimum is 5 MiB, except the last).
pub const PART_SIZE: usize = 16 << 20;
/// Longest listing page (or version listing) read: 1,000 keys of at most
/// 1,024 bytes each, with their XML, fit well below it.
pub const PAGE_CAP: u64 = 8 << 20;
/// Longest answer to a small request (initiate, complete, head).
pub(super) const SMALL_CAP: u64 = 1 << 20;

/// A repository under a prefix of an S3 bucket.
pub struct S3Backend {
    loc: S3Location,
    bucket: Box<Bucket>,
    client: reqwest::Client,
    page: usize,
    timeouts: Timeouts,
    /// How long one listing may take before it counts as endless.
    list_budget: Duration,
    requests: AtomicU64,
    /// Overwritten objects and the version that still holds their original
    /// bytes: reads of them go to that version ([`Backend::recover`]).
    originals: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl S3Backend {
    /// A backend for `loc` with `creds`; nothing is contacted yet.
    pub fn new(loc: S3Location, creds: &S3Credentials) -> Result<S3Backend> {
        runtime()?;
        let credentials = Credentials::new(
            Some(&creds.access_key),
            Some(creds.secret_key.expose()),
            None,
            None,
            None,
        )
        .map_err(|e| Error::new(ErrorKind::BadInput, format!("S3 credentials: {e}")))?;
        let region = Region::Custom {
            region: loc.region.clone(),
            endpoint: loc.endpoint(),
        };
        let mut bucket = Bucket::new(&loc.bucket, region, credentials).map_err(|e| {
            Error::new(
                ErrorKind::BadInput,
                format!("S3 bucket {} at {}: {e}", loc.bucket, loc.endpoint()),
            )
        })?;
        if loc.path_style {
            bucket = bucket.with_path_style();
        }
        let client = crate::bounded::client(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::new(ErrorKind::Other, format!("starting the S3 client: {e}")))?;
        Ok(S3Backend {
            loc,
            bucket,
            client,
            page: 1000,
            timeouts: Timeouts::default(),
            list_budget: crate::backend::retry::Policy::default().budget,
            requests: AtomicU64::new(0),
            originals: std::sync::Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// Lists with pages of `n` keys (S3's maximum is 1,000).
    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page = n.clamp(1, 1000);
        self
    }

    /// Sets the request timeouts.
    pub fn with_timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = t;
        self
    }

    /// Sets how long one listing may take (the retry budget).
    pub fn with_list_budget(mut self, d: Duration) -> Self {
        self.list_budget = d;
        self
    }

    /// The location.
    pub fn s3_location(&self) -> &S3Location {
        &self.loc
    }

    fn location_text(&self) -> String {
        crate::backend::Location::S3(self.loc.clone()).to_string()
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// The timeout of a request moving `bytes`.
    fn timeout(&self, bytes: usize) -> Duration {
        let mib = u32::try_from(bytes >> 20).unwrap_or(u32::MAX);
        self.timeouts.request + self.timeouts.per_mib.saturating_mul(mib)
    }

    /// The bucket as rust-s3 itself would send with (tests).
    #[cfg(feature = "testing")]
    fn bucket_for(&self, bytes: usize) -> Result<Box<Bucket>> {
        self.bucket
            .with_request_timeout(self.timeout(bytes))
            .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))
    }

    /// Starts a multipart upload of `name` and sends its first part, never
    /// completing it: what a node killed mid-upload leaves (tests of the
    /// rule that such an upload is never visible).
    #[cfg(feature = "testing")]
    pub fn abandon_multipart(&self, kind: Kind, name: &str, first_part: &[u8]) -> Result<()> {
        const TYPE: &str = "application/octet-stream";
        let key = self.object_key(kind, name)?;
        let bk = self.bucket_for(0)?;
        let failed = |e: s3::error::S3Error| Error::new(ErrorKind::Other, e.to_string());
        self.count();
        let init = self
            .block(bk.initiate_multipart_upload(&key, TYPE))?
            .map_err(failed)?;
        self.count();
        self.block(bk.put_multipart_chunk(first_part.to_vec(), &key, 1, &init.upload_id, TYPE))?
            .map_err(failed)?;
        Ok(())
    }

    fn block<T>(&self, fut: impl std::future::Future<Output = T>) -> Result<T> {
        Ok(runtime()?.block_on(fut))
    }

    /// The bucket for reading `key`: at its original version if it was
    /// overwritten and one was found.
    fn reader_for(&self, key: &str) -> Result<Bucket> {
        let v = self
            .originals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned();
        let q = v.map(|v| ("versionId".to_owned(), v)).into_iter().collect();
        self.bucket
            .with_extra_query(q)
            .map_err(|e| self.fail("configure", key, e.into()))
    }

    /// The key of object `name` of `kind` in the bucket (the location's
    /// prefix, the kind's folder, the name).
    pub fn object_key(&self, kind: Kind, name: &str) -> Result<String> {
        Ok(self.loc.key(&object_path(kind, name)?))
    }

    /// The objects of `kind` as the plain listing gives them (current
    /// versions, dated by their `LastModified`).
    fn list_current(&self, kind: Kind) -> Result<Vec<crate::backend::Listed>> {
        let root = self.loc.key("");
        let keep = |k: &str| crate::backend::remote::name_of(kind, &root, k).is_some();
        let prefix = self.loc.key(&crate::backend::remote::listed(kind));
        let keys = self.list_keys(&prefix, None, &keep)?;
        Ok(crate::backend::remote::names_of(kind, &root, keys))
    }

    /// A listing that goes wrong in a way a retry may mend (or may not: a
    /// hostile endpoint is bounded by the retry budget).
    fn endless(&self, prefix: &str, why: &str) -> Error {
        Error::new(
            ErrorKind::StorageUnavailable,
            format!(
                "{} list s3://{}/{prefix}: {why}; listing stopped",
                self.loc.endpoint(),
                self.loc.bucket
            ),
        )
        .hint("the endpoint does not list like S3: check its address (storage_retry_budget bounds the retries)")
    }

    /// The keys under `prefix` that `keep` accepts (at most `max`), page by
    /// page: each page read with a cap, keys strictly ascending, no
    /// continuation token twice, all within the listing budget.
    fn list_keys(
        &self,
        prefix: &str,
        max: Option<usize>,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<crate::backend::remote::Key>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut listing = crate::backend::remote::Listing::new(self.list_budget);
        loop {
            listing.page().map_err(|why| self.endless(prefix, &why))?;
            let command = Command::ListObjectsV2 {
                prefix: prefix.to_owned(),
                delimiter: None,
                continuation_token: token.take(),
                start_after: None,
                max_keys: Some(max.unwrap_or(self.page).min(self.page)),
            };
            let answer = self
                .block(self.call(&self.bucket, "/", command, PAGE_CAP, 0))?
                .map_err(|e| self.fail("list", prefix, e))?;
            let page: wire::Page =
                quick_xml::de::from_reader(answer.body.as_slice()).map_err(|e| {
                    self.endless(
                        prefix,
                        &format!("a listing page that is not S3's XML ({e})"),
                    )
                })?;
            for o in page.contents {
                listing
                    .name(&o.key)
                    .map_err(|why| self.endless(prefix, &why))?;
                if keep(&o.key) {
                    let at = o
                        .last_modified
                        .as_deref()
                        .and_then(crate::backend::remote::parse_time);
                    out.push((o.key, o.size, at));
                }
            }
            match page.next_continuation_token {
                Some(t) if page.is_truncated && max.is_none_or(|m| out.len() < m) => {
                    listing
                        .token(&t)
                        .map_err(|why| self.endless(prefix, &why))?;
                    token = Some(t);
                }
                None if page.is_truncated => {
                    return Err(
                        self.endless(prefix, "a truncated page without a continuation token")
                    );
                }
                _ => break,
            }
        }
        Ok(out)
    }

    fn if_none_match() -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::IF_NONE_MATCH,
            http::HeaderValue::from_static("*"),
        );
        h
    }

    fn upload(&self, key: &str, data: &[u8]) -> Result<Written> {
        let command = Command::PutObject {
            content: data,
            content_type: "application/octet-stream",
            custom_headers: Some(Self::if_none_match()),
            multipart: None,
        };
        match self.block(self.call(&self.bucket, key, command, SMALL_CAP, data.len()))? {
            Ok(_) => Ok(Written::New),
            Err(Failed::Status(412, _)) => Ok(Written::AlreadyPresent),
            Err(e) => Err(self.fail("put", key, e)),
        }
    }

    fn upload_parts(&self, key: &str, data: &[u8]) -> Result<Written> {
        let init = Command::InitiateMultipartUpload {
            content_type: "application/octet-stream",
        };
        let answer = self
            .block(self.call(&self.bucket, key, init, SMALL_CAP, 0))?
            .map_err(|e| self.fail("start multipart upload", key, e))?;
        let init: InitiateMultipartUploadResponse =
            quick_xml::de::from_reader(answer.body.as_slice()).map_err(|e| {
                self.fail(
                    "start multipart upload",
                    key,
                    Failed::Build(format!("an answer that is not S3's XML ({e})")),
                )
            })?;
        let id = init.upload_id;
        let done = self.parts_and_complete(key, &id, data);
        if !matches!(done, Ok(Written::New)) {
            // Nothing may linger: abort (best effort; a lifecycle rule on
            // incomplete uploads is the backstop, docs/storage.md).
            let abort = Command::AbortMultipartUpload { upload_id: &id };
            if let Ok(Err(e)) = self.block(self.call(&self.bucket, key, abort, SMALL_CAP, 0)) {
                tracing::debug!("aborting the upload of {key}: {e:?}");
            }
        }
        done
    }

    fn parts_and_complete(&self, key: &str, id: &str, data: &[u8]) -> Result<Written> {
        let mut parts = Vec::new();
        for (i, chunk) in data.chunks(PART_SIZE).enumerate() {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let command = Command::PutObject {
                content: chunk,
                content_type: "application/octet-stream",
                custom_headers: None,
                multipart: Some(Multipart::new(n, id)),
            };
            let answer = self
                .block(self.call(&self.bucket, key, command, SMALL_CAP, chunk.len()))?
                .map_err(|e| self.fail("upload part", key, e))?;
            let etag = answer
                .headers
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            parts.push(Part {
                part_number: n,
                etag,
            });
        }
        let cb = self
            .bucket
            .with_extra_headers(Self::if_none_match())
            .map_err(|e| self.fail("complete multipart upload", key, e.into()))?;
        let complete = Command::CompleteMultipartUpload {
            upload_id: id,
            data: CompleteMultipartUploadData { parts },
        };
        match self.block(self.call(&cb, key, complete, SMALL_CAP, 0))? {
            // S3 may answer 200 with an error document.
            Ok(a)
                if !String::from_utf8_lossy(&a.body).contains("CompleteMultipartUploadResult") =>
            {
                Err(self.fail(
                    "complete multipart upload",
                    key,
                    Failed::Status(500, String::from_utf8_lossy(&a.body).into_owned()),
                ))
            }
            Ok(_) => Ok(Written::New),
            Err(Failed::Status(412, _)) => Ok(Written::AlreadyPresent),
            Err(e) => Err(self.fail("complete multipart upload", key, e)),
        }
    }

    /// Reads `key` (from `range` when given, inclusive bounds), at most
    /// `limit` bytes: more is damage.
    fn fetch(
        &self,
        kind: Kind,
        key: &str,
        range: Option<(u64, u64)>,
        limit: u64,
    ) -> Result<Vec<u8>> {
        let want = usize::try_from(limit.min(1 << 40)).unwrap_or(usize::MAX);
        let b = self.reader_for(key)?;
        let (op, command) = match range {
            Some((start, end)) => (
                "get range",
                Command::GetObjectRange {
                    start,
                    end: Some(end),
                },
            ),
            None => ("get", Command::GetObject),
        };
        match self.block(self.call(&b, key, command, limit, want))? {
            Ok(a) => Ok(a.body),
            Err(Failed::TooLarge(_)) => Err(Error::damaged(format!(
                "repository {}: {key} is a {} of more than {limit} bytes (more than the format allows or the range asked)",
                self.location_text(),
                kind.noun()
            ))),
            Err(e) => Err(self.fail(op, key, e)),
        }
    }
}

impl Backend for S3Backend {
    fn location(&self) -> String {
        crate::backend::Location::S3(self.loc.clone()).to_string()
    }

    fn presence(&self) -> Result<Presence> {
        let root = self.loc.key("");
        let keys = self.list_keys(&root, Some(2), &|_| true)?;
        let config = self.loc.key("config");
        Ok(if keys.is_empty() {
            Presence::Empty
        } else if keys.iter().any(|(k, _, _)| *k == config) {
            Presence::Repository
        } else {
            // The config may sort after other keys: ask for it by name.
            match self.block(self.call(&self.bucket, &config, Command::HeadObject, 0, 0))? {
                Ok(_) => Presence::Repository,
                Err(Failed::Status(404, _)) => Presence::Other,
                Err(e) => return Err(self.fail("head", &config, e)),
            }
        })
    }

    fn create(&self) -> Result<()> {
        // Object storage has no directories: the prefix only has to be free.
        match self.presence()? {
            Presence::Empty | Presence::Missing => Ok(()),
            taken => Err(crate::backend::remote::prefix_taken(
                &self.location(),
                taken,
            )),
        }
    }

    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        Ok(crate::backend::remote::undated(self.list_current(kind)?))
    }

    /// Dated by the first version's `LastModified` where versions can be
    /// listed, else the current version's.
    fn list_dated(&self, kind: Kind) -> Result<Vec<crate::backend::Listed>> {
        let mut listed = self.list_current(kind)?;
        self.date_by_versions(kind, &mut listed)?;
        Ok(listed)
    }

    fn purge_deleted(&self, now: i64) -> Result<crate::backend::Purged> {
        self.purge(now)
    }

    /// Aborts the multipart uploads under the prefix started before `before`
    /// (an interrupted backup's, after the reaper's grace period).
    fn abort_stale_uploads(&self, before: i64) -> Result<u64> {
        let prefix = self.loc.key("");
        let mut aborted = 0;
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        let mut listing = crate::backend::remote::Listing::new(self.list_budget);
        loop {
            listing.page().map_err(|why| self.endless(&prefix, &why))?;
            let command = Command::ListMultipartUploads {
                prefix: Some(&prefix),
                delimiter: None,
                key_marker: key_marker.take(),
                upload_id_marker: id_marker.take(),
                max_uploads: Some(self.page),
            };
            let answer = self
                .block(self.call(&self.bucket, "/", command, PAGE_CAP, 0))?
                .map_err(|e| self.fail("list uploads under", &prefix, e))?;
            let text = String::from_utf8_lossy(&answer.body).into_owned();
            for u in text.split("<Upload>").skip(1) {
                let u = u.split("</Upload>").next().unwrap_or_default();
                let (Some(key), Some(id)) =
                    (wire::xml_text(u, "Key"), wire::xml_text(u, "UploadId"))
                else {
                    continue;
                };
                let started =
                    wire::xml_text(u, "Initiated").and_then(crate::backend::remote::parse_time);
                if !key.starts_with(&prefix) || started.is_none_or(|t| t >= before) {
                    continue;
                }
                let abort = Command::AbortMultipartUpload { upload_id: id };
                match self.block(self.call(&self.bucket, key, abort, SMALL_CAP, 0))? {
                    Ok(_) | Err(Failed::Status(404, _)) => aborted += 1,
                    Err(e) => return Err(self.fail("abort the upload of", key, e)),
                }
            }
            if wire::xml_text(&text, "IsTruncated") != Some("true") {
                return Ok(aborted);
            }
            let next = (
                wire::xml_text(&text, "NextKeyMarker").map(str::to_owned),
                wire::xml_text(&text, "NextUploadIdMarker").map(str::to_owned),
            );
            match next {
                (Some(k), i) => {
                    listing
                        .token(&format!("{k}\0{}", i.as_deref().unwrap_or("")))
                        .map_err(|why| self.endless(&prefix, &why))?;
                    key_marker = Some(k);
                    id_marker = i;
                }
                (None, _) => {
                    return Err(
                        self.endless(&prefix, "a truncated page of uploads without a marker")
                    )
                }
            }
        }
    }

    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        let key = self.object_key(kind, name)?;
        self.fetch(kind, &key, None, limit)
    }

    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        let key = self.object_key(kind, name)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        match self.fetch(kind, &key, Some((offset, offset + len - 1)), len) {
            // Past the end: S3 answers 416 where a file read returns nothing.
            Err(e) if e.message().contains(" 416 ") => Ok(Vec::new()),
            // Never more than `len`: the read stops there.
            r => r,
        }
    }

    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        let key = self.object_key(kind, name)?;
        if data.len() > MULTIPART_ABOVE {
            self.upload_parts(&key, data)
        } else {
            self.upload(&key, data)
        }
    }

    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        let key = self.object_key(kind, name)?;
        self.block(self.call(&self.bucket, &key, Command::DeleteObject, SMALL_CAP, 0))?
            .map(|_| ())
            .map_err(|e| self.fail("delete", &key, e))
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn recover(&self, kind: Kind, name: &str, limit: u64) -> Result<bool> {
        if kind == Kind::Config {
            return Ok(false);
        }
        let key = self.object_key(kind, name)?;
        let versions = match self.versions(&key) {
            Ok(v) => v,
            // A node's credential may not list versions (or the server
            // keeps none): nothing to fall back to.
            Err(e) if matches!(e.kind(), ErrorKind::StorageDenied | ErrorKind::NotFound) => {
                return Ok(false)
            }
            Err(e) => return Err(e),
        };
        for v in versions {
            self.originals
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key.clone(), v.clone());
            let got = self.fetch(kind, &key, None, limit);
            if let Err(e) = &got {
                tracing::debug!("version {v} of {key}: {e}");
            }
            match got {
                Ok(bytes) if crate::id::Id::of_object(&bytes).to_hex() == name => {
                    tracing::warn!(
                        "{} {name} was overwritten in storage; reading its original version {v}",
                        kind.noun()
                    );
                    return Ok(true);
                }
                _ => {}
            }
        }
        self.originals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
        Ok(false)
    }
}
