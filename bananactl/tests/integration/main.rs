//! bananactl's integration tests: each runs the real binary against a local
//! repository in a temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;
mod watch;

mod acl;
mod bad_input;
mod chain;
mod codecs;
mod completion;
mod copy;
mod crash;
mod dedup;
mod drill;
mod etcd;
mod find_diff;
mod first_week;
mod hostile;
mod hostile_db;
mod hostile_endpoints;
mod hostile_storage;
mod incremental;
mod jobs;
mod keys;
mod keystone;
mod mysql;
mod output;
mod overwrite;
mod plugins;
mod postgres;
mod retention;
mod roundtrip;
mod s3;
mod s3_versions;
mod samba;
mod stats;
mod status;
mod swift;
mod units;
mod untrusted;
