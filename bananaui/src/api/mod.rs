//! The tower's JSON API: the types are `proto::api` (shared with anything that
//! reads the tower), the HTTP client the TUI and `node list` use is here.

mod client;

pub use client::Client;
pub use proto::api::*;
