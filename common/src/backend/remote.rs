//! What the remote backends share: one tokio runtime for the process, request
//! timeouts, and errors on one line.

use crate::error::{Error, ErrorKind, Result};
use std::sync::OnceLock;
use std::time::Duration;

/// Timeouts of one request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// The whole of a request with a small body (listings, small objects).
    pub request: Duration,
    /// Added per MiB of body: a large upload or read is given time to flow,
    /// and a stalled one still ends.
    pub per_mib: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            request: Duration::from_secs(30),
            per_mib: Duration::from_secs(2),
        }
    }
}

/// The tokio runtime every remote backend of the process shares.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("banana-storage")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!("starting the storage client: {e}"),
        )
    })
}

pub use crate::bounded::error_chain;

/// Why `create` refuses a prefix that is not free (`presence` was neither
/// empty nor missing).
pub(crate) fn prefix_taken(location: &str, presence: super::Presence) -> Error {
    if presence == super::Presence::Repository {
        Error::new(
            ErrorKind::BadInput,
            format!("a repository already exists at {location}"),
        )
        .hint("use it as it is, or choose another prefix")
    } else {
        Error::new(ErrorKind::BadInput, format!("{location} is not empty"))
            .hint("a repository is created under an empty prefix")
    }
}

/// The run's timeouts.
pub(crate) fn timeouts(opts: &super::OpenOptions) -> Timeouts {
    let mut t = Timeouts::default();
    if let Some(r) = opts.request_timeout {
        t.request = r;
    }
    t
}

/// How long one listing may take: the run's retry budget.
pub(crate) fn list_budget(opts: &super::OpenOptions) -> std::time::Duration {
    opts.retry_budget
        .unwrap_or_else(|| super::retry::Policy::default().budget)
}

/// `backend` behind the retry layer with the run's budget.
pub(crate) fn retrying<B: super::Backend + 'static>(
    backend: B,
    opts: &super::OpenOptions,
) -> Box<dyn super::Backend> {
    let mut policy = super::retry::Policy::default();
    if let Some(b) = opts.retry_budget {
        policy.budget = b;
    }
    Box::new(super::retry::Retrying::new(backend, policy))
}

/// What to list for `kind`, relative to the repository: `config`, or the
/// kind's directory with a trailing `/`.
pub(crate) fn listed(kind: super::Kind) -> String {
    if kind == super::Kind::Config {
        "config".to_owned()
    } else {
        format!("{}/", kind.dir())
    }
}

/// The name of the object of `kind` a listed `key` (a full key, below
/// `root`) is, if it is exactly where that name puts it.
pub(crate) fn name_of<'k>(kind: super::Kind, root: &str, key: &'k str) -> Option<&'k str> {
    let rest = key.strip_prefix(root)?;
    let name = rest.rsplit('/').next().unwrap_or_default();
    (super::valid_name(kind, name).is_ok()
        && super::object_path(kind, name).ok().as_deref() == Some(rest))
    .then_some(name)
}

/// The objects of `kind` among listed `keys` (full keys, below `root`,
/// with sizes and write times): only those exactly where their name puts
/// them count; sorted by name.
pub(crate) fn names_of(kind: super::Kind, root: &str, keys: Vec<Key>) -> Vec<super::Listed> {
    let mut out: Vec<super::Listed> = keys
        .iter()
        .filter_map(|k| {
            Some(super::Listed {
                name: name_of(kind, root, &k.0)?.to_owned(),
                size: k.1,
                written: k.2,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A listed key: full key, size, write time (Unix seconds) if given.
pub(crate) type Key = (String, u64, Option<i64>);

/// Names and sizes of a dated listing.
pub(crate) fn undated(listed: Vec<super::Listed>) -> Vec<(String, u64)> {
    listed.into_iter().map(|l| (l.name, l.size)).collect()
}

/// S3's `LastModified` (RFC 3339) or Swift's `last_modified` (ISO 8601
/// without a zone, UTC) as Unix seconds; `None` when it is neither.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// Why a listing must stop, if it must: a page that does not advance
/// past the last name seen, or the listing's time is spent. One rule for
/// every remote backend.
pub(crate) struct Listing {
    start: std::time::Instant,
    budget: std::time::Duration,
    last: Option<String>,
    seen: std::collections::HashSet<String>,
}

impl Listing {
    /// A listing that may take `budget`.
    pub(crate) fn new(budget: std::time::Duration) -> Listing {
        Listing {
            start: std::time::Instant::now(),
            budget,
            last: None,
            seen: Default::default(),
        }
    }

    /// Before each page: the time left.
    pub(crate) fn page(&self) -> std::result::Result<(), String> {
        if self.start.elapsed() > self.budget {
            return Err(format!("not done within {} s", self.budget.as_secs()));
        }
        Ok(())
    }

    /// Each name listed, in order: strictly after the one before.
    pub(crate) fn name(&mut self, name: &str) -> std::result::Result<(), String> {
        if self.last.as_deref().is_some_and(|l| name <= l) {
            return Err("names that do not advance".into());
        }
        self.last = Some(name.to_owned());
        Ok(())
    }

    /// Each continuation token or marker: never one seen before.
    pub(crate) fn token(&mut self, token: &str) -> std::result::Result<(), String> {
        if !self.seen.insert(token.to_owned()) {
            return Err("a continuation token or marker seen before".into());
        }
        Ok(())
    }
}
