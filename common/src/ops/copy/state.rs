//! What a copier remembers per source and destination: the snapshots it
//! copied (so one that vanishes from the source is noticed even when the
//! destination lost it too), and those whose absence from the source is
//! explained (a forget record, or an operator's `--accept-lost`).

use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The largest state file read (a name is 64 bytes: millions of snapshots).
const MAX_STATE: u64 = 256 << 20;

/// A copier's memory of one source and destination.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyState {
    /// The source's location.
    pub source: String,
    /// The destination's location.
    pub destination: String,
    /// Snapshots seen at both ends (hex names).
    #[serde(default)]
    pub copied: BTreeSet<String>,
    /// Snapshots gone from the source with an explanation: a forget record
    /// names them, or `--accept-lost` accepted their loss.
    #[serde(default)]
    pub explained: BTreeSet<String>,
    /// Other jobs' snapshots a `--job` copy left out, named by a forget
    /// record it wrote at the destination.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub skipped: BTreeSet<String>,
}

/// The state file of `source` → `destination` in the directory `dir`: the
/// first 32 hex of BLAKE3 over both locations names it.
pub fn state_file(dir: &Path, source: &str, destination: &str) -> PathBuf {
    let mut h = blake3::Hasher::new();
    h.update(source.as_bytes());
    h.update(b"\0");
    h.update(destination.as_bytes());
    dir.join(format!("{}.json", &h.finalize().to_hex()[..32]))
}

impl CopyState {
    /// Reads the state at `path`; a missing file is a fresh state.
    pub fn load(path: &Path, source: &str, destination: &str) -> Result<CopyState> {
        let fresh = CopyState {
            source: source.to_owned(),
            destination: destination.to_owned(),
            ..CopyState::default()
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(fresh),
            Err(e) => return Err(Error::io(format!("copy state {}", path.display()), e)),
        };
        if meta.len() > MAX_STATE {
            return Err(bad_state(path, "it is larger than any state this writes"));
        }
        let text = std::fs::read(path)
            .map_err(|e| Error::io(format!("copy state {}", path.display()), e))?;
        let state: CopyState =
            serde_json::from_slice(&text).map_err(|e| bad_state(path, &e.to_string()))?;
        if state.source != source || state.destination != destination {
            return Err(bad_state(path, "it is another copy's"));
        }
        Ok(state)
    }

    /// Writes it atomically (a crash leaves the old or the new state).
    pub fn save(&self, path: &Path) -> Result<()> {
        let err = |e| Error::io(format!("copy state {}", path.display()), e);
        if let Some(dir) = path.parent() {
            crate::fsutil::private_dir(dir).map_err(err)?;
        }
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::new(ErrorKind::Other, format!("copy state: {e}")))?;
        crate::fsutil::write_private(path, &text).map_err(err)
    }
}

fn bad_state(path: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::BadInput,
        format!("copy state {} is unusable: {why}", path.display()),
    )
    .hint("move it aside: the next copy lists both ends again (what it copied stays; losses it had seen are found again only while the destination holds them)")
}
