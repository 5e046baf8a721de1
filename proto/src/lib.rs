//! `proto`: what a node and the watch tower share, and nothing that reaches
//! storage, keys or Vault. The tower (`bananaui`) depends on this crate only,
//! so no route of it can open a repository or ask Vault for a secret: the
//! code to do so is not linked in (tested: `xtask/tests/deps.rs`).
//!
//! - [`status`]: the node's identity, the events a run emits, their signed
//!   envelope, enrolment and the node-local spool (`docs/collector.md`);
//! - [`api`]: the tower's JSON API as types (`docs/api.md`);
//! - [`error`] and [`exit`]: the error every Banana crate returns and the one
//!   table of exit codes its kinds map to (`docs/exit-codes.md`);
//! - [`names`], [`humanize`], [`fsutil`]: node and job names, how numbers and
//!   times are shown, private files written atomically.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub mod error;
pub mod exit;
pub mod fsutil;
pub mod humanize;
pub mod names;
pub mod status;

pub use error::{Error, ErrorKind, Result};

/// Now, as Unix seconds and nanoseconds.
pub fn now() -> (i64, u32) {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_nanos())
}

/// Now, as Unix seconds.
pub fn unix_now() -> i64 {
    now().0
}
