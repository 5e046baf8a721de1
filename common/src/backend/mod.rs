//! Storage backends: one [`Backend`] trait, implemented by the local directory
//! (also NFS and Samba mounts, `local.rs`), S3 (`s3/`) and Swift (`swift/`),
//! each remote one a folder with its location, credential and client;
//! [`open_with`] picks one from a [`Location`] and wraps a remote one in the
//! retry layer (`retry.rs`); `cache.rs` keeps a node's copy of a remote
//! repository's metadata objects.
//! The in-memory and fault-injecting backends and the conformance suite every
//! backend must pass are `crate::testing` (feature `testing`); the suite runs
//! against the real servers in `common/tests/backends/`.
//!
//! The contract every backend keeps:
//! - objects are immutable: `write` never replaces an existing object; writing a
//!   name that exists is a no-op that reports [`Written::AlreadyPresent`];
//! - a reader never sees a partial object under its final name;
//! - `list` returns complete objects only, with their sizes.

pub mod cache;
pub mod credentials;
mod local;
pub mod location;
mod range;
#[cfg(any(feature = "s3", feature = "swift"))]
pub mod remote;
pub mod retry;
pub mod s3;
pub mod swift;

#[cfg(any(feature = "s3", feature = "swift"))]
pub use remote::runtime;

pub use credentials::StorageCredentials;
pub use local::LocalBackend;
pub use location::{Location, S3Location, SwiftAuth, SwiftLocation};
pub use range::RangeReader;

use crate::error::{Error, ErrorKind, Result};

/// The kinds of stored objects; each lives in its own namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The single repository config object.
    Config,
    /// Packs of chunks (file contents and trees).
    Data,
    /// Index files.
    Index,
    /// Snapshots.
    Snapshot,
    /// Per-snapshot reference lists.
    Refs,
    /// Signed break-glass key envelopes.
    Key,
    /// Forget records written by retention.
    Forget,
}

impl Kind {
    /// Every kind, in the order `check` walks them.
    pub const ALL: [Kind; 5] = [
        Kind::Config,
        Kind::Data,
        Kind::Index,
        Kind::Snapshot,
        Kind::Refs,
    ];

    /// Directory name of the kind in path-based backends.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Config => "",
            Kind::Data => "data",
            Kind::Index => "index",
            Kind::Snapshot => "snapshots",
            Kind::Refs => "refs",
            Kind::Key => "keys",
            Kind::Forget => "forgets",
        }
    }

    /// Human name, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Config => "config",
            Kind::Data => "pack",
            Kind::Index => "index",
            Kind::Snapshot => "snapshot",
            Kind::Refs => "reference list",
            Kind::Key => "key envelope",
            Kind::Forget => "forget record",
        }
    }
}

/// An object in a dated listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// Its size.
    pub size: u64,
    /// The earliest write time storage knows (Unix seconds).
    pub written: Option<i64>,
}

/// What [`Backend::purge_deleted`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// Versions deleted.
    pub versions: u64,
    /// Delete markers deleted.
    pub markers: u64,
    /// Versions kept (`key@version`, why: `locked until ...`).
    pub held: Vec<(String, String)>,
}

/// Outcome of a write-once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The object was stored.
    New,
    /// An object with that name was already there and was left untouched.
    AlreadyPresent,
}

/// What a location holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Nothing there: the directory, bucket or prefix does not exist.
    Missing,
    /// An empty place.
    Empty,
    /// A repository (its config is there).
    Repository,
    /// Something that is not a repository.
    Other,
}

/// A place to keep immutable, named objects.
pub trait Backend: Send + Sync {
    /// Where it is, for messages (never includes credentials).
    fn location(&self) -> String;
    /// What is at the location; an error only when it cannot be told (a
    /// listing error is never "missing").
    fn presence(&self) -> Result<Presence>;
    /// Creates the empty layout; fails if a repository already exists there.
    /// Never creates the location's missing parents.
    fn create(&self) -> Result<()>;
    /// Whether `create` would make a repository here, asked before anything
    /// is made for it (a key file): the location is missing or empty (and a
    /// directory's parent exists). Creates nothing.
    fn creatable(&self) -> Result<()> {
        creatable(self.presence()?, &self.location())
    }
    /// Names and sizes of all complete objects of a kind.
    fn list(&self, kind: Kind) -> Result<Vec<(String, u64)>>;
    /// As `list`, with the earliest time (Unix seconds) storage says each
    /// object was written, where it keeps one: a file's mtime, an object's
    /// last-modified time. Retention dates snapshots by it (never by what
    /// they claim); `None` where storage gives none.
    fn list_dated(&self, kind: Kind) -> Result<Vec<Listed>> {
        Ok(self
            .list(kind)?
            .into_iter()
            .map(|(name, size)| Listed {
                name,
                size,
                written: None,
            })
            .collect())
    }
    /// The whole object; one larger than `limit` (what the format allows for
    /// the kind) is damage, refused before anything is allocated.
    fn read(&self, kind: Kind, name: &str, limit: u64) -> Result<Vec<u8>>;
    /// `len` bytes from `offset`; shorter only at the end of the object.
    fn read_range(&self, kind: Kind, name: &str, offset: u64, len: u64) -> Result<Vec<u8>>;
    /// Stores an object under `name` unless one exists; never replaces.
    fn write(&self, kind: Kind, name: &str, data: &[u8]) -> Result<Written>;
    /// Deletes an object (tests and retention only: the engine never does).
    fn remove(&self, kind: Kind, name: &str) -> Result<()>;
    /// Aborts the incomplete multipart uploads under the location started
    /// before `before` (Unix seconds), what an interrupted backup left (S3;
    /// nothing elsewhere). Returns how many. The reaper's, after its grace.
    fn abort_stale_uploads(&self, _before: i64) -> Result<u64> {
        Ok(0)
    }
    /// Deletes the stored versions of objects that were deleted (S3
    /// versioning: every version and delete marker of a key whose current
    /// version is a marker), never a live object's; a version retained past
    /// `now` is held. Nothing elsewhere. The reaper's, after each sweep.
    fn purge_deleted(&self, _now: i64) -> Result<Purged> {
        Ok(Purged::default())
    }
    /// Deletes the archived copies of `objects` (Swift's `CONTAINER-archive`,
    /// where the container's history goes); returns how many. Nothing
    /// elsewhere. The reaper's, a grace period after it deleted them.
    fn purge_archive(&self, _objects: &[(Kind, String)]) -> Result<u64> {
        Ok(0)
    }
    /// Requests sent to the storage so far (remote backends; 0 for a directory).
    fn requests(&self) -> u64 {
        0
    }
    /// For an object whose bytes do not hash to its name (overwritten in
    /// storage): looks for an older version that does and, if there is one,
    /// reads of the object return it from then on. False where storage
    /// keeps no history (a directory) or the credential cannot list it.
    fn recover(&self, _kind: Kind, _name: &str, _limit: u64) -> Result<bool> {
        Ok(false)
    }
}

/// A location where a repository can be created, by what is there.
pub(crate) fn creatable(presence: Presence, location: &str) -> Result<()> {
    match presence {
        Presence::Missing | Presence::Empty => Ok(()),
        Presence::Repository => Err(Error::new(
            ErrorKind::BadInput,
            format!("a repository already exists at {location}"),
        )
        .hint("use it with its key file, or choose an empty location")),
        Presence::Other => Err(Error::new(
            ErrorKind::BadInput,
            format!("{location} is not empty and holds no repository"),
        )
        .hint("a repository is created in a new or empty location")),
    }
}

/// The name of the repository's config object.
pub(crate) const CONFIG_NAME: &str = "config";

/// Where an object lives below the repository's root: `config`,
/// `data/ab/<name>`, `<kind dir>/<name>`; a name that is not the kind's is
/// refused.
pub(crate) fn object_path(kind: Kind, name: &str) -> Result<String> {
    valid_name(kind, name)?;
    Ok(match kind {
        Kind::Config => CONFIG_NAME.to_owned(),
        Kind::Data => format!("data/{}/{name}", &name[..2]),
        k => format!("{}/{name}", k.dir()),
    })
}

/// Object names are 64 lowercase hex characters; the config is `config`.
pub(crate) fn valid_name(kind: Kind, name: &str) -> Result<()> {
    let ok = match kind {
        Kind::Config => name == CONFIG_NAME,
        _ => {
            name.len() == 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "invalid {} name '{}'",
                kind.noun(),
                crate::humanize::printable(name)
            ),
        ))
    }
}

/// How to reach a remote repository; defaults for everything not given.
#[derive(Debug, Default, Clone)]
pub struct OpenOptions {
    /// The storage credential (from Vault or a file); else the environment's
    /// (`AWS_*` for S3, python-swiftclient's `ST_*`/`OS_*` for Swift).
    pub credentials: Option<StorageCredentials>,
    /// Timeout of one request with a small body (a large one gets more).
    pub request_timeout: Option<std::time::Duration>,
    /// How long one operation keeps retrying before the run fails.
    pub retry_budget: Option<std::time::Duration>,
    /// A `tls=false` location off loopback is allowed (else refused: the
    /// credential and every object would cross the network in clear).
    pub insecure_storage: bool,
}

/// The backend for a repository location (see [`Location`]), remote ones
/// behind the retry layer.
pub fn open_with(location: &str, opts: &OpenOptions) -> Result<Box<dyn Backend>> {
    #[cfg(not(all(feature = "s3", feature = "swift")))]
    let _ = opts;
    let loc = Location::parse(location)?;
    if let Some(host) = loc.plain_off_loopback() {
        if !opts.insecure_storage {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("{loc}: tls=false to {host}, which is not loopback: the storage credential and every object would cross the network in clear"),
            )
            .hint("use https (leave tls= out), or set insecure_storage = true in the config (--insecure-storage) on a trusted network"));
        }
    }
    match loc {
        Location::Local(path) => Ok(Box::new(LocalBackend::new(path))),
        #[cfg(feature = "s3")]
        Location::S3(loc) => open_s3(loc, opts),
        #[cfg(feature = "swift")]
        Location::Swift(loc) => open_swift(loc, opts),
        #[cfg(not(feature = "swift"))]
        Location::Swift(loc) => Err(Error::new(
            ErrorKind::BadInput,
            format!("{}: this build has no Swift support", Location::Swift(loc)),
        )),
        #[cfg(not(feature = "s3"))]
        Location::S3(loc) => Err(Error::new(
            ErrorKind::BadInput,
            format!("{}: this build has no S3 support", Location::S3(loc)),
        )),
    }
}

/// An S3 backend behind the retry layer.
#[cfg(feature = "s3")]
fn open_s3(loc: S3Location, opts: &OpenOptions) -> Result<Box<dyn Backend>> {
    let given = match &opts.credentials {
        Some(StorageCredentials::S3(c)) => Some(c.clone()),
        Some(other) => return Err(wrong_kind(&Location::S3(loc), other)),
        None => None,
    };
    let creds = match given.or_else(s3::S3Credentials::from_env) {
        Some(c) => c,
        None => {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("no credentials for {}", Location::S3(loc)),
            )
            .hint("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, storage_credentials in the config, or enrol the node with 'bananadm node add --storage-credentials'"))
        }
    };
    let be = s3::S3Backend::new(loc, &creds)?
        .with_timeouts(remote::timeouts(opts))
        .with_list_budget(remote::list_budget(opts));
    Ok(remote::retrying(be, opts))
}

/// A Swift backend behind the retry layer.
#[cfg(feature = "swift")]
fn open_swift(loc: SwiftLocation, opts: &OpenOptions) -> Result<Box<dyn Backend>> {
    let given = match (&opts.credentials, loc.auth) {
        (Some(StorageCredentials::SwiftV1(c)), SwiftAuth::V1) => {
            Some(swift::SwiftCredentials::V1(c.clone()))
        }
        (Some(StorageCredentials::SwiftV3(c)), SwiftAuth::V3) => {
            Some(swift::SwiftCredentials::V3(c.clone()))
        }
        (Some(other), _) => return Err(wrong_kind(&Location::Swift(loc), other)),
        (None, _) => None,
    };
    let creds = match given.or_else(|| swift::SwiftCredentials::from_env(loc.auth)) {
        Some(c) => c,
        None => {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("no credentials for {}", Location::Swift(loc)),
            )
            .hint("set ST_USER and ST_KEY (auth=v1) or OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME (auth=v3), or enrol the node with 'bananadm node add --storage-credentials'"))
        }
    };
    let be = swift::SwiftBackend::new(loc, creds)?
        .with_timeouts(remote::timeouts(opts))
        .with_list_budget(remote::list_budget(opts));
    Ok(remote::retrying(be, opts))
}

/// A credential that does not fit the location, named without its secret.
#[allow(dead_code)]
fn wrong_kind(loc: &Location, c: &StorageCredentials) -> Error {
    Error::new(
        ErrorKind::BadInput,
        format!("{loc}: the storage credential given is {}", c.kind()),
    )
    .hint("give the credential of the location's kind (bananadm node add --storage-credentials)")
}

/// [`open_with`] the defaults (S3 credentials from the environment).
pub fn open(location: &str) -> Result<Box<dyn Backend>> {
    open_with(location, &OpenOptions::default())
}
