//! The backends against real servers started by `testkit` (SeaweedFS, Swift,
//! Samba): the conformance suite and what each server does differently. A
//! server that is not installed skips its tests, except under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod s3;
mod samba;
mod swift;
