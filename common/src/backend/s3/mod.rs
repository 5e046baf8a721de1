//! S3 (feature `s3`): rust-s3 over tokio and rustls, behind the same
//! synchronous [`Backend`] as the local directory.
//!
//! - The repository's layout is the local one under the location's prefix
//!   (`PREFIX/config`, `PREFIX/data/ab/<name>`, …), so a repository can be
//!   copied between a directory and a bucket object for object.
//! - Every create sends `If-None-Match: *` (an existing object answers 412:
//!   [`Written::AlreadyPresent`], never replaced); rust-s3 adds `Content-MD5`
//!   to every upload, so a body corrupted in flight is refused by the server.
//! - Objects above [`MULTIPART_ABOVE`] go up in parts; the object appears only
//!   at `CompleteMultipartUpload` (also conditional), and a failed upload is
//!   aborted. An interrupted one leaves nothing under a final name.
//! - Reads are streamed and stop at the kind's limit: a hostile server cannot
//!   make a reader allocate more than the format allows.
//! - No retries here: rust-s3's own are switched off, and errors are
//!   classified ([`ErrorKind::StorageUnavailable`] for what may pass: 5xx,
//!   429, 408, timeouts, resets) for the retry layer above
//!   ([`super::retry`]).
//! - Every HTTP request is counted ([`Backend::requests`]).
//!
//! The bucket is the administrator's: nothing here creates or deletes one.

use super::location::S3Location;
use super::remote::{error_chain, runtime, Timeouts};
use super::{object_path, Backend, Kind, Presence, Written};
use crate::error::{Error, ErrorKind, Result};
use futures_util::StreamExt;
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};
use std::sync::atomic::{AtomicU64, Ordering};

/// Objects larger than this are uploaded in parts.
pub const MULTIPART_ABOVE: usize = 32 << 20;
/// Size of each part (S3's minimum is 5 MiB, except the last).
pub const PART_SIZE: usize = 16 << 20;

mod credentials;
#[cfg(test)]
mod tests;

pub use credentials::S3Credentials;

/// A repository under a prefix of an S3 bucket.
pub struct S3Backend {
    loc: S3Location,
    bucket: Box<Bucket>,
    page: usize,
    timeouts: Timeouts,
    requests: AtomicU64,
    /// Overwritten objects and the version that still holds their original
    /// bytes: reads of them go to that version ([`Backend::recover`]).
    originals: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl S3Backend {
    /// A backend for `loc` with `creds`; nothing is contacted yet.
    pub fn new(loc: S3Location, creds: &S3Credentials) -> Result<S3Backend> {
        runtime()?;
        // Retries belong to the retry layer, which sees every backend alike.
        s3::set_retries(0);
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
        Ok(S3Backend {
            loc,
            bucket,
            page: 1000,
            timeouts: Timeouts::default(),
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

    /// The location.
    pub fn s3_location(&self) -> &S3Location {
        &self.loc
    }

    /// The bucket with the timeout for a request moving `bytes`.
    fn bucket_for(&self, bytes: usize) -> Result<Box<Bucket>> {
        let mib = u32::try_from(bytes >> 20).unwrap_or(u32::MAX);
        let t = self.timeouts.request + self.timeouts.per_mib.saturating_mul(mib);
        self.bucket
            .with_request_timeout(t)
            .map_err(|e| self.fail("configure", "", e))
    }

    /// The bucket for reading `key`: at its original version if it was
    /// overwritten and one was found.
    fn reader_for(&self, key: &str, bytes: usize) -> Result<Box<Bucket>> {
        let b = self.bucket_for(bytes)?;
        let v = self
            .originals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned();
        match v {
            Some(v) => b
                .with_extra_query(std::collections::HashMap::from([(
                    "versionId".to_owned(),
                    v,
                )]))
                .map(Box::new)
                .map_err(|e| self.fail("configure", key, e)),
            None => Ok(b),
        }
    }

    /// The versions of exactly `key`, oldest first (needs
    /// `s3:ListBucketVersions`).
    fn versions(&self, key: &str) -> Result<Vec<String>> {
        let q = std::collections::HashMap::from([
            ("versions".to_owned(), String::new()),
            ("prefix".to_owned(), key.to_owned()),
        ]);
        let b = self
            .bucket_for(0)?
            .with_extra_query(q)
            .map_err(|e| self.fail("configure", key, e))?;
        let body = self
            .run(b.get_object(""))?
            .map_err(|e| self.fail("list versions of", key, e))?;
        let text = String::from_utf8_lossy(body.as_slice()).into_owned();
        // S3 lists the versions of a key newest first.
        let mut found: Vec<String> = text
            .split("<Version>")
            .skip(1)
            .filter_map(|v| {
                let v = v.split("</Version>").next()?;
                (xml_text(v, "Key")? == key).then(|| xml_text(v, "VersionId").map(str::to_owned))?
            })
            .collect();
        found.reverse();
        Ok(found)
    }

    fn run<T>(&self, fut: impl std::future::Future<Output = T>) -> Result<T> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        Ok(runtime()?.block_on(fut))
    }

    fn key(&self, kind: Kind, name: &str) -> Result<String> {
        Ok(self.loc.key(&object_path(kind, name)?))
    }

    /// Maps a failed request on `key` to an error naming the endpoint and
    /// the object, classified for the retry layer.
    fn fail(&self, op: &str, key: &str, e: S3Error) -> Error {
        let at = format!(
            "{} {op} s3://{}/{key}",
            self.loc.endpoint(),
            self.loc.bucket
        );
        match e {
            S3Error::HttpFailWithBody(code, body) => {
                let s3code = xml_tag(&body, "Code").unwrap_or_default();
                match code {
                    404 if s3code == "NoSuchBucket" => Error::new(
                        ErrorKind::BadInput,
                        format!(
                            "S3 bucket '{}' does not exist at {}",
                            self.loc.bucket,
                            self.loc.endpoint()
                        ),
                    )
                    .hint(format!(
                        "buckets are the administrator's: create it (e.g. 'aws --endpoint-url {} s3 mb s3://{}'), then run again",
                        self.loc.endpoint(),
                        self.loc.bucket
                    )),
                    404 => Error::new(ErrorKind::NotFound, format!("{at}: no such object")),
                    401 | 403 => Error::new(
                        ErrorKind::StorageDenied,
                        format!("{at}: refused by the storage ({code} {s3code})"),
                    )
                    .hint("check the node's storage credential and its policy (docs/storage.md)"),
                    408 | 429 | 500..=599 => Error::new(
                        ErrorKind::StorageUnavailable,
                        format!("{at}: the storage answered {code} {s3code}"),
                    ),
                    _ => Error::new(
                        ErrorKind::Io,
                        format!("{at}: the storage answered {code} {s3code}"),
                    ),
                }
            }
            S3Error::Reqwest(r) => {
                let what = if r.is_timeout() {
                    "timed out".to_owned()
                } else if r.is_connect() {
                    "cannot connect".to_owned()
                } else {
                    format!("transport error: {}", error_chain(&r))
                };
                Error::new(ErrorKind::StorageUnavailable, format!("{at}: {what}"))
            }
            // A truncated or garbled answer: may pass on a retry.
            other => Error::new(
                ErrorKind::StorageUnavailable,
                format!("{at}: {}", error_chain(&other)),
            ),
        }
    }

    /// Whether the bucket exists (a listing of the prefix answers).
    fn list_keys(&self, prefix: &str, max: Option<usize>) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let mut token = None;
        let b = self.bucket_for(0)?;
        loop {
            let page = max.unwrap_or(self.page).min(self.page);
            let r =
                self.run(b.list_page(prefix.to_owned(), None, token.take(), None, Some(page)))?;
            let (res, _) = r.map_err(|e| self.fail("list", prefix, e))?;
            out.extend(res.contents.into_iter().map(|o| (o.key, o.size)));
            match res.next_continuation_token {
                Some(t) if res.is_truncated && max.is_none_or(|m| out.len() < m) => token = Some(t),
                _ => break,
            }
        }
        Ok(out)
    }

    fn upload(&self, key: &str, data: &[u8]) -> Result<Written> {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::IF_NONE_MATCH,
            http::HeaderValue::from_static("*"),
        );
        let b = self.bucket_for(data.len())?;
        let r = self.run(b.put_object_with_headers(key, data, Some(h)))?;
        match r {
            Ok(_) => Ok(Written::New),
            Err(S3Error::HttpFailWithBody(412, _)) => Ok(Written::AlreadyPresent),
            Err(e) => Err(self.fail("put", key, e)),
        }
    }

    fn upload_parts(&self, key: &str, data: &[u8]) -> Result<Written> {
        let b = self.bucket_for(0)?;
        let init = self
            .run(b.initiate_multipart_upload(key, "application/octet-stream"))?
            .map_err(|e| self.fail("start multipart upload", key, e))?;
        let id = init.upload_id;
        let done = self.parts_and_complete(key, &id, data);
        if !matches!(done, Ok(Written::New)) {
            // Nothing may linger: abort (best effort; a lifecycle rule on
            // incomplete uploads is the backstop, docs/storage.md).
            if let Ok(Err(e)) = self.run(b.abort_upload(key, &id)) {
                tracing::debug!("aborting the upload of {key}: {e}");
            }
        }
        done
    }

    fn parts_and_complete(&self, key: &str, id: &str, data: &[u8]) -> Result<Written> {
        let b = self.bucket_for(PART_SIZE)?;
        let mut parts = Vec::new();
        for (i, chunk) in data.chunks(PART_SIZE).enumerate() {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let part = self
                .run(b.put_multipart_chunk(chunk.to_vec(), key, n, id, "application/octet-stream"))?
                .map_err(|e| self.fail("upload part", key, e))?;
            parts.push(part);
        }
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::IF_NONE_MATCH,
            http::HeaderValue::from_static("*"),
        );
        let cb = self
            .bucket_for(0)?
            .with_extra_headers(h)
            .map_err(|e| self.fail("complete multipart upload", key, e))?;
        match self.run(cb.complete_multipart_upload(key, id, parts))? {
            Ok(_) => Ok(Written::New),
            Err(S3Error::HttpFailWithBody(412, _)) => Ok(Written::AlreadyPresent),
            Err(e) => Err(self.fail("complete multipart upload", key, e)),
        }
    }

    /// Streams `key` (from `range` when given, inclusive bounds), failing as
    /// damage past `limit` bytes.
    fn fetch(
        &self,
        kind: Kind,
        key: &str,
        range: Option<(u64, u64)>,
        limit: u64,
    ) -> Result<Vec<u8>> {
        let want = usize::try_from(limit.min(1 << 40)).unwrap_or(usize::MAX);
        let b = self.reader_for(key, want)?;
        let op = if range.is_some() { "get range" } else { "get" };
        let fut = async {
            let mut s = match range {
                Some((from, to)) => {
                    // rust-s3 has no streaming range GET: bounded by `to` anyway.
                    let r = b.get_object_range(key, from, Some(to)).await?;
                    return Ok(r.to_vec());
                }
                None => b.get_object_stream(key).await?,
            };
            let mut out = Vec::new();
            while let Some(chunk) = s.bytes().next().await {
                let chunk = chunk?;
                if (out.len() + chunk.len()) as u64 > limit {
                    return Err(S3Error::HttpFailWithBody(
                        0,
                        format!("{} of more than {limit} bytes", kind.noun()),
                    ));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(out)
        };
        match self.run(fut)? {
            Ok(v) => Ok(v),
            Err(S3Error::HttpFailWithBody(0, what)) => Err(Error::damaged(format!(
                "repository {}: {key} is a {what} (more than the format allows)",
                self.location()
            ))),
            Err(e) => Err(self.fail(op, key, e)),
        }
    }
}

/// The text of the first `<tag>` in an S3 XML answer (no entities expected
/// in the keys and ids Banana writes).
fn xml_text<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find("</")? + start;
    Some(&body[start..end])
}

/// [`xml_text`] made safe for a message: printable, at most 64 characters.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    Some(
        xml_text(body, tag)?
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect(),
    )
}

impl Backend for S3Backend {
    fn location(&self) -> String {
        super::Location::S3(self.loc.clone()).to_string()
    }

    fn presence(&self) -> Result<Presence> {
        let root = self.loc.key("");
        let keys = self.list_keys(&root, Some(2))?;
        let config = self.loc.key("config");
        Ok(if keys.is_empty() {
            Presence::Empty
        } else if keys.iter().any(|(k, _)| *k == config) {
            Presence::Repository
        } else {
            // The config may sort after other keys: ask for it by name.
            match self.run(self.bucket_for(0)?.head_object(&config))? {
                Ok(_) => Presence::Repository,
                Err(S3Error::HttpFailWithBody(404, _)) => Presence::Other,
                Err(e) => return Err(self.fail("head", &config, e)),
            }
        })
    }

    fn create(&self) -> Result<()> {
        // Object storage has no directories: the prefix only has to be free.
        match self.presence()? {
            Presence::Empty | Presence::Missing => Ok(()),
            taken => Err(super::remote::prefix_taken(&self.location(), taken)),
        }
    }

    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        let keys = self.list_keys(&self.loc.key(&super::remote::listed(kind)), None)?;
        Ok(super::remote::names_of(kind, &self.loc.key(""), keys))
    }

    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        let key = self.key(kind, name)?;
        self.fetch(kind, &key, None, limit)
    }

    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        let key = self.key(kind, name)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        match self.fetch(kind, &key, Some((offset, offset + len - 1)), len) {
            // Past the end: S3 answers 416 where a file read returns nothing.
            Err(e) if e.message().contains(" 416 ") => Ok(Vec::new()),
            r => {
                let v = r?;
                if v.len() as u64 > len {
                    return Err(Error::damaged(format!(
                        "repository {}: {key} answered {} bytes for a range of {len}",
                        self.location(),
                        v.len()
                    )));
                }
                Ok(v)
            }
        }
    }

    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        let key = self.key(kind, name)?;
        if data.len() > MULTIPART_ABOVE {
            self.upload_parts(&key, data)
        } else {
            self.upload(&key, data)
        }
    }

    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        let key = self.key(kind, name)?;
        self.run(self.bucket_for(0)?.delete_object(&key))?
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
        let key = self.key(kind, name)?;
        let versions = match self.versions(&key) {
            Ok(v) => v,
            // A node's credential may not list versions: nothing to fall back to.
            Err(e) if e.kind() == ErrorKind::StorageDenied => return Ok(false),
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
