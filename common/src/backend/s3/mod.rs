//! S3 (feature `s3`): rust-s3 over tokio and rustls, behind the same
//! synchronous [`Backend`] as the local directory.
//!
//! - The repository's layout is the local one under the location's prefix
//!   (`PREFIX/config`, `PREFIX/data/ab/<name>`, …), so a repository can be
//!   copied between a directory and a bucket object for object.
//! - Every create sends `If-None-Match: *` (an existing object answers 412:
//!   [`Written::AlreadyPresent`], never replaced); rust-s3 adds `Content-MD5`
//!   to every upload, so a body corrupted in flight is refused by the server.
//! - Objects above [`MULTIPART_ABOVE`] go up in parts; the object appears only
//!   at `CompleteMultipartUpload` (also conditional), and a failed upload is
//!   aborted. An interrupted one leaves nothing under a final name.
//! - rust-s3 signs each request; the backend's own client sends it
//!   (`wire.rs`): redirects are never followed, and every answer is read
//!   with a cap (an object by its kind's limit, a range by its length, a
//!   listing page, a version listing and an error body by theirs), so a
//!   hostile server cannot make a reader allocate more than the format
//!   allows.
//! - A listing stops on a continuation token seen before or keys that do
//!   not advance, and within the retry budget's time: an endless listing
//!   fails the run (exit 17) instead of growing it.
//! - No retries here: rust-s3's own are switched off, and errors are
//!   classified ([`ErrorKind::StorageUnavailable`] for what may pass: 5xx,
//!   429, 408, timeouts, resets) for the retry layer above
//!   ([`crate::backend::retry`]).
//! - Every HTTP request is counted ([`Backend::requests`]).
//!
//! The bucket is the administrator's: nothing here creates or deletes one.
//!
//! Everything about S3 is in this folder: the location (`location.rs`), the
//! credential (`credentials.rs`), the client (`client.rs`, `wire.rs`). The
//! location and the credential build without the `s3` feature (Vault and the
//! config name them); the client needs it.

mod credentials;
mod location;

pub use credentials::S3Credentials;
pub use location::S3Location;

#[cfg(feature = "s3")]
mod client;

#[cfg(feature = "s3")]
pub use client::{S3Backend, MULTIPART_ABOVE, PAGE_CAP, PART_SIZE};
