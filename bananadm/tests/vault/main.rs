//! bananadm + bananactl against a real Vault-API server (OpenBao), started per
//! test on a loopback port. Skipped when OpenBao is absent, except under CI=true.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod copy;
mod drill;
mod flows;
mod guides;
mod hostile;
mod job_secrets;
mod matrix;
mod reaper;
mod s3;
mod secrets;
