//! OpenStack Swift (feature `swift`): the native object API over reqwest, on
//! the shared tokio runtime, behind the same synchronous [`Backend`].
//!
//! - Authentication: v1 (`GET /auth/v1.0`, `X-Auth-User`/`X-Auth-Key`) or
//!   Keystone v3 (`POST /v3/auth/tokens`, password method, project scope; the
//!   object-store endpoint from the catalog). A 401 re-authenticates once
//!   and repeats the request: an expired token never fails a run.
//! - The repository's layout is the local one under `PREFIX/` in the container.
//! - Every create sends `If-None-Match: *` (412: [`Written::AlreadyPresent`])
//!   and the body's MD5 as `ETag`, so a body corrupted in flight is refused
//!   (422). Packs stay far below Swift's 5 GiB object limit: no manifests.
//! - Every answer is read with a cap ([`crate::bounded`]): an object by its
//!   kind's limit, a range by its length, a listing page, a Keystone token
//!   and an error by theirs. Redirects are never followed, and the storage
//!   URL authentication hands back must be https when the location is.
//! - Listings use markers, `SwiftBackend::with_page_size` names at a time;
//!   a page whose names do not advance stops the listing, as does the
//!   listing budget (the retry budget): an endless listing fails the run.
//! - No retries here: errors are classified for [`crate::backend::retry`].
//!
//! Append-only cannot be expressed with Swift's ACLs (`docs/storage.md`).
//!
//! Everything about Swift is in this folder: the location (`location.rs`),
//! the credentials (`credentials.rs`), authentication (`auth.rs`) and the
//! client (`client.rs`). The location and the credentials build without the
//! `swift` feature (Vault and the config name them); the rest needs it.

mod credentials;
mod location;

pub use credentials::{default_domain, SwiftCredentials, V1Credentials, V3Credentials};
pub use location::{SwiftAuth, SwiftLocation};

#[cfg(feature = "swift")]
mod client;

#[cfg(feature = "swift")]
pub use client::{SwiftBackend, PAGE_CAP};
