//! Node status for the watch tower (P4, P7; `docs/collector.md`). The
//! protocol (identity, events, envelopes, signatures, enrolment, the spool)
//! is `proto::status`, shared with the tower; this module adds the HTTP
//! sender (feature `status-http`), which the tower has no use for.

#[cfg(feature = "status-http")]
mod http;

#[cfg(feature = "status-http")]
pub use http::Sender;
pub use proto::status::*;
