//! The reaper's own state per repository (`<state>/<repository id>/
//! reaper.json`, and `prune.lock`): the date it trusts for each snapshot,
//! fixed the first time it saw it; when it first saw each index file and
//! reference list; when it condemned each pack; which index files it wrote.
//! Storage and the node can change none of it, so a sweep waits for the
//! grace period on the reaper's clock. Losing it restarts the clocks
//! (nothing is deleted before the grace period passes again) and forgets
//! the dates: snapshots are dated again from storage.

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Version of `reaper.json`.
const STATE_VERSION: u32 = 1;

/// What the reaper remembers about one repository (keys: hex object names).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReaperState {
    /// Always [`STATE_VERSION`].
    pub version: u32,
    /// Snapshot → the date the reaper trusts (Unix seconds), fixed at first sight.
    #[serde(default)]
    pub dates: BTreeMap<String, i64>,
    /// Index file or reference list → when the reaper first saw it.
    #[serde(default)]
    pub seen: BTreeMap<String, i64>,
    /// Pack → when the reaper condemned it.
    #[serde(default)]
    pub condemned: BTreeMap<String, i64>,
    /// Index files the reaper wrote → the first-sight time of the youngest
    /// file it replaced (its packs are at least that old).
    #[serde(default)]
    pub own: BTreeMap<String, i64>,
    /// Objects the reaper deleted (`KIND-DIR/NAME`) → when: their archived
    /// copies (Swift's archive container) go a grace period later.
    #[serde(default)]
    pub deleted: BTreeMap<String, i64>,
}

impl ReaperState {
    /// The state in `dir`, or an empty one.
    pub fn load(dir: &Path) -> Result<ReaperState> {
        let path = dir.join("reaper.json");
        match std::fs::read(&path) {
            Ok(bytes) => {
                let s: ReaperState = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::new(
                        ErrorKind::BadInput,
                        format!("reaper state {} is not valid: {e}", path.display()),
                    )
                    .hint("move it aside: the next prune starts its clocks again")
                })?;
                if s.version != STATE_VERSION {
                    return Err(Error::new(
                        ErrorKind::BadInput,
                        format!(
                            "reaper state {} has version {} (this reads {STATE_VERSION})",
                            path.display(),
                            s.version
                        ),
                    ));
                }
                Ok(s)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ReaperState {
                version: STATE_VERSION,
                ..Default::default()
            }),
            Err(e) => Err(Error::io(format!("reaper state {}", path.display()), e)),
        }
    }

    /// Writes it atomically (private temporary file, fsync, rename).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join("reaper.json");
        let bytes = serde_json::to_vec(self)
            .map_err(|e| Error::new(ErrorKind::Other, format!("reaper state: {e}")))?;
        crate::fsutil::write_private(&path, &bytes)
            .map_err(|e| Error::io(format!("reaper state {}", path.display()), e))
    }

    /// When `id` (an index file or reference list) was first seen, recording now if never.
    pub fn first_seen(&mut self, id: Id, now: i64) -> i64 {
        *self.seen.entry(id.to_hex()).or_insert(now)
    }
}

/// Held while one prune runs on a repository (`flock`, released on exit).
pub struct PruneLock(#[allow(dead_code)] std::fs::File);

/// The reaper's directory for `repo` under `state_dir`, made private.
pub fn dir(state_dir: &Path, repo: &Id) -> Result<PathBuf> {
    let dir = state_dir.join(repo.to_hex());
    crate::fsutil::private_dir(&dir)
        .map_err(|e| Error::io(format!("state {}", dir.display()), e))?;
    Ok(dir)
}

/// Takes the repository's prune lock, or fails at once (exit 11).
pub fn lock(dir: &Path) -> Result<PruneLock> {
    use std::os::fd::AsFd;
    let path = dir.join("prune.lock");
    let err = |e| Error::io(format!("prune lock {}", path.display()), e);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(err)?;
    match rustix::fs::flock(
        f.as_fd(),
        rustix::fs::FlockOperation::NonBlockingLockExclusive,
    ) {
        Ok(()) => Ok(PruneLock(f)),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(Error::new(
            ErrorKind::Locked,
            format!(
                "another prune of this repository is running ({})",
                path.display()
            ),
        )
        .hint("wait for it to finish")),
        Err(e) => Err(err(e.into())),
    }
}
