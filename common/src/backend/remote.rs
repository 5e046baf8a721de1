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

/// An error with its sources, on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s.replace('\n', " ")
}

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

/// The objects of `kind` among listed `keys` (full keys, below `root`):
/// only those exactly where their name puts them count; sorted.
pub(crate) fn names_of(
    kind: super::Kind,
    root: &str,
    keys: Vec<(String, u64)>,
) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for (key, size) in keys {
        let Some(rest) = key.strip_prefix(root) else {
            continue;
        };
        let name = rest.rsplit('/').next().unwrap_or_default();
        if super::valid_name(kind, name).is_ok()
            && super::object_path(kind, name).ok().as_deref() == Some(rest)
        {
            out.push((name.to_owned(), size));
        }
    }
    out.sort();
    out
}
