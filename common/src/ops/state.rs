//! Node-local state per repository (`STATE_DIR/<repository id>/`): what this
//! node last wrote there, so a rollback or deletion by storage is noticed.
//! Losing it costs a check, never data.

use crate::error::{Error, Result};
use crate::id::Id;
use std::path::Path;

/// Remembers the newest snapshot this node wrote to `repo`, and its place in
/// the chain (`seq`).
pub fn record_last_snapshot(
    state_dir: &Path,
    repo: &Id,
    snap: &Id,
    seq: Option<u64>,
) -> Result<()> {
    let dir = state_dir.join(repo.to_hex());
    let err = |e| Error::io(format!("state {}", dir.display()), e);
    crate::fsutil::private_dir(&dir).map_err(err)?;
    let mut text = format!("{snap}\n");
    if let Some(seq) = seq {
        text.push_str(&format!("{seq}\n"));
    }
    crate::fsutil::write_private(&dir.join("last-snapshot"), text.as_bytes()).map_err(err)
}

/// The newest snapshot this node recorded for `repo`, with its `seq` when
/// it had one (the file holds the id, then the seq, one per line).
pub fn last_written(state_dir: &Path, repo: &Id) -> Option<(Id, Option<u64>)> {
    let text = std::fs::read_to_string(state_dir.join(repo.to_hex()).join("last-snapshot")).ok()?;
    let mut lines = text.lines();
    let id = lines.next()?.trim().parse().ok()?;
    let seq = lines.next().and_then(|l| l.trim().parse().ok());
    Some((id, seq))
}

/// The newest snapshot this node recorded for `repo`, if any.
pub fn last_snapshot(state_dir: &Path, repo: &Id) -> Option<Id> {
    last_written(state_dir, repo).map(|(id, _)| id)
}

/// Held while one job commits a snapshot to `repo`: the jobs of a node run
/// concurrently, their commits one at a time, so each gets its own `seq`.
pub struct CommitLock(#[allow(dead_code)] std::fs::File);

/// Waits for and takes the node's commit lock of `repo` (`flock`, released
/// when dropped, also when the process dies).
pub fn commit_lock(state_dir: &Path, repo: &Id) -> Result<CommitLock> {
    use std::os::fd::AsFd;
    let dir = state_dir.join(repo.to_hex());
    let err = |e| Error::io(format!("commit lock in {}", dir.display()), e);
    crate::fsutil::private_dir(&dir).map_err(err)?;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("commit.lock"))
        .map_err(err)?;
    rustix::fs::flock(f.as_fd(), rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| err(e.into()))?;
    Ok(CommitLock(f))
}

/// What this node last did at a repository location: kept per location (a
/// hash of it names the file), so a location that went missing, empty or
/// changed its repository is noticed even though the repository is gone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LocationRecord {
    /// The location, as the node names it.
    pub location: String,
    /// The repository id there, hex.
    pub repository: String,
    /// The newest snapshot this node wrote there, hex (none right after init).
    pub snapshot: Option<String>,
    /// When (Unix seconds).
    pub at: i64,
}

fn location_file(state_dir: &Path, location: &str) -> std::path::PathBuf {
    let h = blake3::hash(location.as_bytes());
    state_dir
        .join("locations")
        .join(format!("{}.json", &h.to_hex()[..32]))
}

/// Records that this node created or wrote `repo` at `location`.
pub fn record_location(
    state_dir: &Path,
    location: &str,
    repo: &Id,
    snapshot: Option<&Id>,
) -> Result<()> {
    let p = location_file(state_dir, location);
    let err = |e| Error::io(format!("state {}", p.display()), e);
    if let Some(dir) = p.parent() {
        crate::fsutil::private_dir(dir).map_err(err)?;
    }
    let rec = LocationRecord {
        location: location.to_owned(),
        repository: repo.to_hex(),
        snapshot: snapshot.map(Id::to_hex),
        at: crate::unix_now(),
    };
    let bytes = serde_json::to_vec_pretty(&rec)
        .map_err(|e| Error::new(crate::ErrorKind::Other, e.to_string()))?;
    crate::fsutil::write_private(&p, &bytes).map_err(err)
}

/// What this node last recorded for `location`, if anything.
pub fn location_record(state_dir: &Path, location: &str) -> Option<LocationRecord> {
    let bytes = std::fs::read(location_file(state_dir, location)).ok()?;
    serde_json::from_slice::<LocationRecord>(&bytes)
        .ok()
        .filter(|r| r.location == location)
}

impl LocationRecord {
    /// "snapshot 1a2b3c4d written 2026-12-01T02:00:00Z" or "repository … created …".
    pub fn last_write(&self) -> String {
        let when = crate::humanize::rfc3339(self.at);
        match &self.snapshot {
            Some(s) => format!(
                "this node last wrote snapshot {} there at {when}",
                s.get(..8).unwrap_or(s)
            ),
            None => format!(
                "this node created repository {} there at {when}",
                self.repository.get(..8).unwrap_or(&self.repository)
            ),
        }
    }
}
