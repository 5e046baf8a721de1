//! The Swift backend (module docs: `backend/swift/mod.rs`).

use super::{SwiftAuth, SwiftCredentials, SwiftLocation};
use crate::backend::{object_path, Backend, Kind, Presence, Written};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

// Children of the client: they reach its private parts.
#[path = "archive.rs"]
mod archive;
#[path = "auth.rs"]
mod auth;
#[cfg(test)]
#[path = "tests.rs"]
mod tests;

/// A token and the storage URL it is good for.
#[derive(Clone)]
struct Session {
    token: Secret,
    storage_url: String,
}

/// A repository under a prefix of a Swift container.
pub struct SwiftBackend {
    loc: SwiftLocation,
    creds: SwiftCredentials,
    client: reqwest::Client,
    session: Mutex<Option<Session>>,
    page: usize,
    timeouts: crate::backend::remote::Timeouts,
    list_budget: Duration,
    requests: AtomicU64,
    auths: AtomicU64,
}

/// Longest listing page read (10,000 names with their JSON).
pub const PAGE_CAP: u64 = 16 << 20;
/// Longest authentication answer read (a Keystone token and catalogue).
const AUTH_CAP: u64 = 4 << 20;

/// What one request asks.
struct Req<'a> {
    method: reqwest::Method,
    /// Below the storage URL: `CONTAINER` or `CONTAINER/KEY`, with a query.
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<&'a [u8]>,
    bytes: usize,
}

impl SwiftBackend {
    /// A backend for `loc` with `creds`; nothing is contacted yet.
    pub fn new(loc: SwiftLocation, creds: SwiftCredentials) -> Result<SwiftBackend> {
        crate::backend::runtime()?;
        let client = crate::bounded::client(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::new(ErrorKind::Other, format!("starting the Swift client: {e}")))?;
        Ok(SwiftBackend {
            loc,
            creds,
            client,
            session: Mutex::new(None),
            page: 10_000,
            timeouts: crate::backend::remote::Timeouts::default(),
            list_budget: crate::backend::retry::Policy::default().budget,
            requests: AtomicU64::new(0),
            auths: AtomicU64::new(0),
        })
    }

    /// Lists `n` names a page (Swift's default maximum is 10,000).
    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page = n.clamp(1, 10_000);
        self
    }

    /// Sets the request timeouts.
    pub fn with_timeouts(mut self, t: crate::backend::remote::Timeouts) -> Self {
        self.timeouts = t;
        self
    }

    /// Sets how long one listing may take (the retry budget).
    pub fn with_list_budget(mut self, d: Duration) -> Self {
        self.list_budget = d;
        self
    }

    /// Authentications so far (a token renewed counts one more).
    pub fn authentications(&self) -> u64 {
        self.auths.load(Ordering::Relaxed)
    }

    fn timeout(&self, bytes: usize) -> Duration {
        let mib = u32::try_from(bytes >> 20).unwrap_or(u32::MAX);
        self.timeouts.request + self.timeouts.per_mib.saturating_mul(mib)
    }

    fn unavailable(&self, what: &str, e: &reqwest::Error) -> Error {
        let why = if e.is_timeout() {
            "timed out".to_owned()
        } else if e.is_connect() {
            "cannot connect".to_owned()
        } else {
            crate::backend::remote::error_chain(e)
        };
        Error::new(ErrorKind::StorageUnavailable, format!("{what}: {why}"))
    }

    fn status_error(&self, what: &str, status: u16) -> Error {
        match status {
            300..=399 => Error::new(
                ErrorKind::Io,
                format!("{what}: the storage answered {status}, a redirect (never followed)"),
            ),
            401 | 403 => Error::new(
                ErrorKind::StorageDenied,
                format!("{what}: refused by the storage ({status})"),
            )
            .hint("check the node's Swift credential and the container's ACLs (docs/storage.md)"),
            404 => Error::new(ErrorKind::NotFound, format!("{what}: not found")),
            408 | 429 | 498 | 500..=599 => Error::new(
                ErrorKind::StorageUnavailable,
                format!("{what}: the storage answered {status}"),
            ),
            _ => Error::new(
                ErrorKind::Io,
                format!("{what}: the storage answered {status}"),
            ),
        }
    }

    async fn session(&self, renew: bool) -> Result<Session> {
        if !renew {
            if let Some(s) = self
                .session
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
            {
                return Ok(s);
            }
        }
        let s = self.authenticate().await?;
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(s.clone());
        Ok(s)
    }

    /// Sends `r` with a token; a 401 renews the token once.
    async fn send(&self, r: &Req<'_>) -> Result<(reqwest::Response, String)> {
        let mut renew = false;
        loop {
            let s = self.session(renew).await?;
            let url = format!("{}/{}", s.storage_url, r.path);
            let mut b = self
                .client
                .request(r.method.clone(), &url)
                .header("X-Auth-Token", s.token.expose())
                .timeout(self.timeout(r.bytes));
            for (k, v) in &r.headers {
                b = b.header(*k, v);
            }
            if let Some(body) = r.body {
                b = b.body(body.to_vec());
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let what = format!("{} {url}", r.method);
            let resp = b.send().await.map_err(|e| self.unavailable(&what, &e))?;
            if resp.status().as_u16() == 401 && !renew {
                renew = true;
                continue;
            }
            return Ok((resp, what));
        }
    }

    fn run<T>(&self, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        crate::backend::runtime()?.block_on(fut)
    }

    fn object(&self, kind: Kind, name: &str) -> Result<String> {
        Ok(format!(
            "{}/{}",
            self.loc.container,
            self.loc.key(&object_path(kind, name)?)
        ))
    }

    /// DELETE of `path` (`CONTAINER/NAME`); with `gone_ok`, a 404 is done.
    fn delete(&self, path: String, gone_ok: bool) -> Result<()> {
        self.run(async {
            let r = Req {
                method: reqwest::Method::DELETE,
                path,
                headers: Vec::new(),
                body: None,
                bytes: 0,
            };
            let (resp, what) = self.send(&r).await?;
            match resp.status().as_u16() {
                s if (200..300).contains(&s) || (gone_ok && s == 404) => Ok(()),
                s => Err(self.status_error(&what, s)),
            }
        })
    }

    /// The objects of `kind` as the container lists them.
    fn list_current(&self, kind: Kind) -> Result<Vec<crate::backend::Listed>> {
        let rel = crate::backend::remote::listed(kind);
        let Some(keys) = self.list_names(&self.loc.key(&rel), None)? else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("Swift container '{}' does not exist", self.loc.container),
            ));
        };
        Ok(crate::backend::remote::names_of(
            kind,
            &self.loc.key(""),
            keys,
        ))
    }

    fn list_names(
        &self,
        prefix: &str,
        max: Option<usize>,
    ) -> Result<Option<Vec<crate::backend::remote::Key>>> {
        self.list_in(&self.loc.container, prefix, max)
    }

    /// The names under `prefix` in `container` (at most `max`), page by
    /// page, each read with a cap, within the listing budget; `None` when
    /// the container does not exist.
    fn list_in(
        &self,
        container: &str,
        prefix: &str,
        max: Option<usize>,
    ) -> Result<Option<Vec<crate::backend::remote::Key>>> {
        let endless = |why: String| {
            Error::new(
                ErrorKind::StorageUnavailable,
                format!(
                    "Swift listing of {}/{prefix} at {}: {why}; listing stopped",
                    container,
                    self.loc.endpoint()
                ),
            )
            .hint("the endpoint does not list like Swift: check its address (storage_retry_budget bounds the retries)")
        };
        self.run(async {
            let mut out = Vec::new();
            let mut marker = String::new();
            let mut listing = crate::backend::remote::Listing::new(self.list_budget);
            loop {
                listing.page().map_err(endless)?;
                let limit = max.unwrap_or(self.page).min(self.page);
                let r = Req {
                    method: reqwest::Method::GET,
                    path: format!(
                        "{}?format=json&limit={limit}&prefix={}&marker={}",
                        container,
                        encode(prefix),
                        encode(&marker)
                    ),
                    headers: Vec::new(),
                    body: None,
                    bytes: 0,
                };
                let (resp, what) = self.send(&r).await?;
                match resp.status().as_u16() {
                    404 => return Ok(None),
                    s if !(200..300).contains(&s) => return Err(self.status_error(&what, s)),
                    _ => {}
                }
                let body = crate::bounded::body(resp, PAGE_CAP)
                    .await
                    .map_err(|e| endless(format!("a page: {e}")))?;
                let page: Vec<serde_json::Value> = serde_json::from_slice(&body)
                    .map_err(|e| endless(format!("a page that is not Swift's JSON ({e})")))?;
                let n = page.len();
                for o in page {
                    let (Some(name), Some(bytes)) = (o["name"].as_str(), o["bytes"].as_u64())
                    else {
                        continue;
                    };
                    listing.name(name).map_err(endless)?;
                    marker = name.to_owned();
                    let at = o["last_modified"]
                        .as_str()
                        .and_then(crate::backend::remote::parse_time);
                    out.push((marker.clone(), bytes, at));
                }
                if n < limit || max.is_some_and(|m| out.len() >= m) {
                    return Ok(Some(out));
                }
                listing.token(&marker).map_err(endless)?;
            }
        })
    }

    /// Streams an object (or a range), failing as damage past `limit` bytes.
    fn fetch(&self, path: String, range: Option<(u64, u64)>, limit: u64) -> Result<Vec<u8>> {
        let bytes = usize::try_from(limit.min(1 << 40)).unwrap_or(usize::MAX);
        self.run(async {
            let headers = match range {
                Some((a, b)) => vec![("Range", format!("bytes={a}-{b}"))],
                None => Vec::new(),
            };
            let r = Req {
                method: reqwest::Method::GET,
                path,
                headers,
                body: None,
                bytes,
            };
            let (resp, what) = self.send(&r).await?;
            match resp.status().as_u16() {
                416 => return Ok(Vec::new()),
                s if !(200..300).contains(&s) => return Err(self.status_error(&what, s)),
                _ => {}
            }
            crate::bounded::body(resp, limit)
                .await
                .map_err(|e| match e {
                    crate::bounded::BodyError::TooLarge { .. } => Error::damaged(format!(
                        "{what}: more bytes than the format allows or the range asked ({limit})"
                    )),
                    crate::bounded::BodyError::Transport(t) => self.unavailable(&what, &t),
                })
        })
    }
}

/// Percent-encodes a query value (names and prefixes are plain ASCII).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Backend for SwiftBackend {
    fn location(&self) -> String {
        crate::backend::Location::Swift(self.loc.clone()).to_string()
    }

    fn presence(&self) -> Result<Presence> {
        let Some(keys) = self.list_names(&self.loc.key(""), Some(2))? else {
            return Ok(Presence::Missing);
        };
        let config = self.loc.key("config");
        Ok(if keys.is_empty() {
            Presence::Empty
        } else if keys.iter().any(|(k, _, _)| *k == config) {
            Presence::Repository
        } else {
            match self.fetch(format!("{}/{config}", self.loc.container), Some((0, 0)), 1) {
                Ok(_) => Presence::Repository,
                Err(e) if e.kind() == ErrorKind::NotFound => Presence::Other,
                Err(e) => return Err(e),
            }
        })
    }

    fn create(&self) -> Result<()> {
        match self.presence()? {
            Presence::Empty => Ok(()),
            Presence::Missing => self.run(async {
                let r = Req {
                    method: reqwest::Method::PUT,
                    path: self.loc.container.clone(),
                    headers: Vec::new(),
                    body: Some(&[]),
                    bytes: 0,
                };
                let (resp, what) = self.send(&r).await?;
                match resp.status().as_u16() {
                    s if (200..300).contains(&s) => {
                        tracing::info!("created Swift container {}", self.loc.container);
                        Ok(())
                    }
                    403 => Err(Error::new(
                        ErrorKind::StorageDenied,
                        format!(
                            "Swift container '{}' does not exist at {} and this credential may not create it",
                            self.loc.container,
                            self.loc.endpoint()
                        ),
                    )
                    .hint(format!("create it (e.g. 'swift post {}'), then run again", self.loc.container))),
                    s => Err(self.status_error(&what, s)),
                }
            }),
            taken => Err(crate::backend::remote::prefix_taken(&self.location(), taken)),
        }
    }

    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>> {
        Ok(crate::backend::remote::undated(self.list_current(kind)?))
    }

    /// Dated by `last_modified`, or an archived copy's where older (the
    /// reaper's credential reads the archive; a node's does not).
    fn list_dated(&self, kind: Kind) -> Result<Vec<crate::backend::Listed>> {
        let mut listed = self.list_current(kind)?;
        self.date_by_archive(kind, &mut listed)?;
        Ok(listed)
    }

    fn purge_archive(&self, objects: &[(Kind, String)]) -> Result<u64> {
        self.empty_archive(objects)
    }

    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>> {
        self.fetch(self.object(kind, name)?, None, limit)
    }

    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        self.fetch(
            self.object(kind, name)?,
            Some((offset, offset + len - 1)),
            len,
        )
    }

    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written> {
        let path = self.object(kind, name)?;
        self.run(async {
            let r = Req {
                method: reqwest::Method::PUT,
                path,
                headers: vec![
                    ("If-None-Match", "*".to_owned()),
                    ("ETag", format!("{:x}", md5::compute(data))),
                    ("Content-Type", "application/octet-stream".to_owned()),
                ],
                body: Some(data),
                bytes: data.len(),
            };
            let (resp, what) = self.send(&r).await?;
            match resp.status().as_u16() {
                s if (200..300).contains(&s) => Ok(Written::New),
                412 => Ok(Written::AlreadyPresent),
                // The body did not match its ETag: corrupted on the way.
                422 => Err(Error::new(
                    ErrorKind::StorageUnavailable,
                    format!("{what}: the storage received a corrupted body (422)"),
                )),
                404 => Err(Error::new(
                    ErrorKind::BadInput,
                    format!("Swift container '{}' does not exist", self.loc.container),
                )
                .hint("run 'bananactl init' (it creates the container when the credential may)")),
                s => Err(self.status_error(&what, s)),
            }
        })
    }

    fn remove(&self, kind: Kind, name: &str) -> Result<()> {
        self.delete(self.object(kind, name)?, false)
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
