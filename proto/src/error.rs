//! The one public error type of `common`: a kind (which the binaries map to exit
//! codes), the object it concerns, and a guidance line telling the user what to do.

use std::fmt;

/// What went wrong, coarsely: each kind maps to one documented exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// There is no repository at the given location.
    RepoNotFound,
    /// The repository this node wrote to is gone: its location is missing,
    /// empty, or holds another repository.
    RepoMissing,
    /// The key does not open this repository.
    WrongKey,
    /// The key holds only the backup half; this operation needs an identity.
    NoIdentity,
    /// Stored data failed verification (hash, MAC, decryption, structure).
    Damaged,
    /// Another run holds the lock.
    Locked,
    /// A stored object that should exist does not.
    NotFound,
    /// Vault cannot be reached, or is sealed.
    VaultUnavailable,
    /// Vault refused: permission denied, credential revoked, wrapped token used.
    VaultDenied,
    /// The user asked for something that does not exist or is invalid.
    BadInput,
    /// The storage did not answer well enough, after the retries: 5xx,
    /// 429, timeouts, resets, an endpoint that cannot be reached.
    StorageUnavailable,
    /// The storage refused the credential or the operation (401, 403).
    StorageDenied,
    /// An I/O error on the local machine or the storage.
    Io,
    /// Anything else.
    Other,
}

/// `common`'s error: kind, message naming the object, and what to do about it.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Result alias for `common`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a message naming the object.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            source: None,
        }
    }

    /// Adds what the user should do.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attaches the underlying cause.
    pub fn source(mut self, err: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(err));
        self
    }

    /// The message without the guidance line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The kind of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Shorthand for a [`ErrorKind::Damaged`] error.
    pub fn damaged(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Damaged, message)
            .hint("run 'bananactl check --read-data' to list every damaged object")
    }

    /// Wraps an I/O error with the object it happened on.
    pub fn io(what: impl fmt::Display, err: std::io::Error) -> Self {
        let kind = ErrorKind::Io;
        let hint = match err.kind() {
            std::io::ErrorKind::PermissionDenied => Some("check the permissions of that path"),
            std::io::ErrorKind::NotFound => Some("check that the path exists"),
            _ if err.raw_os_error() == Some(libc::ENOSPC) => {
                Some("free space on that filesystem, then run again")
            }
            _ if err.raw_os_error() == Some(libc::EROFS) => {
                Some("that filesystem is read-only; choose a writable location")
            }
            _ => None,
        };
        let mut e = Error::new(kind, format!("{what}: {err}"));
        e.hint = hint.map(str::to_owned);
        e
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
