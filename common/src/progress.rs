//! What long operations tell their caller while they run: progress and
//! warnings. The binaries turn these into a progress bar, JSON lines or nothing.

use std::sync::atomic::{AtomicU64, Ordering};

/// Kinds of warning, so scripts can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningKind {
    /// A source could not be read; it is missing from the snapshot.
    Unreadable,
    /// A file changed while it was being read.
    Changed,
    /// Something in the repository or the local state needs attention.
    Repository,
    /// A restored entry could not be created exactly (owner, device, xattr...).
    Restore,
    /// Storage lost a snapshot this node wrote (deleted or rolled back).
    Rollback,
    /// A stream (`--stdin`) gave no bytes.
    Empty,
}

impl WarningKind {
    /// Stable lowercase name for JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Unreadable => "unreadable",
            WarningKind::Changed => "changed",
            WarningKind::Repository => "repository",
            WarningKind::Restore => "restore",
            WarningKind::Rollback => "rollback",
            WarningKind::Empty => "empty",
        }
    }
}

/// Counters of a running operation.
#[derive(Debug, Default)]
pub struct Progress {
    /// Entries done.
    pub files: AtomicU64,
    /// Bytes done.
    pub bytes: AtomicU64,
    /// Entries expected (0 while unknown).
    pub total_files: AtomicU64,
    /// Bytes expected (0 while unknown).
    pub total_bytes: AtomicU64,
    /// Set when the estimate is complete.
    pub total_known: AtomicU64,
}

impl Progress {
    /// Adds to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Receives warnings and progress. Implementations must be cheap: they are
/// called from the hot path.
pub trait Observer: Sync {
    /// A warning about `path` (or the repository).
    fn warn(&self, kind: WarningKind, path: &str, message: &str);
    /// Called every few hundred milliseconds with the live counters.
    fn progress(&self, _p: &Progress) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn warn(&self, _: WarningKind, _: &str, _: &str) {}
}
