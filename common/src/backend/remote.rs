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
