//! Node-local state per repository (`STATE_DIR/<repository id>/`): what this
//! node last wrote there, so a rollback or deletion by storage is noticed.
//! Losing it costs a check, never data.

use crate::error::{Error, Result};
use crate::id::Id;
use std::path::Path;

/// Remembers the newest snapshot this node wrote to `repo`.
pub fn record_last_snapshot(state_dir: &Path, repo: &Id, snap: &Id) -> Result<()> {
    let dir = state_dir.join(repo.to_hex());
    let err = |e| Error::io(format!("state {}", dir.display()), e);
    crate::fsutil::private_dir(&dir).map_err(err)?;
    crate::fsutil::write_private(&dir.join("last-snapshot"), format!("{snap}\n").as_bytes())
        .map_err(err)
}

/// The newest snapshot this node recorded for `repo`, if any.
pub fn last_snapshot(state_dir: &Path, repo: &Id) -> Option<Id> {
    std::fs::read_to_string(state_dir.join(repo.to_hex()).join("last-snapshot"))
        .ok()?
        .trim()
        .parse()
        .ok()
}
