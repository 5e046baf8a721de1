//! The watch tower end to end: a real `bananaui serve` per test, on a free
//! loopback port with its own data directory, fed by real `bananactl` agents
//! and by signed test identities.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod auth;
mod completion;
mod copy;
mod drill;
mod durability;
mod e2e;
mod evidence;
mod harness;
mod jobs;
mod limits;
mod partial;
mod prune;
mod rules;
mod tls;
mod tui;
mod witness;
