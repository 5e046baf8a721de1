//! The size estimate for progress totals: a detached thread counts entries
//! and bytes (it only reads; a backup never waits for it) and streams running
//! totals to the walk.

use super::excludes::Excludes;
use crossbeam_channel::Receiver;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// Running totals: (entries, bytes, done).
pub(super) type Totals = Receiver<(u64, u64, bool)>;

/// Starts counting below `sources`.
pub(super) fn spawn(sources: Vec<PathBuf>, ex: Excludes, one_fs: bool) -> Totals {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        let mut stack: Vec<(PathBuf, Option<u64>)> =
            sources.into_iter().map(|s| (s, None)).collect();
        let (mut files, mut bytes) = (0u64, 0u64);
        while let Some((p, dev)) = stack.pop() {
            let Ok(m) = fs::symlink_metadata(&p) else {
                continue;
            };
            let dev = dev.unwrap_or(m.dev());
            files += 1;
            if m.is_file() {
                bytes += m.len();
            }
            if m.is_dir() && (!one_fs || m.dev() == dev) {
                for e in fs::read_dir(&p).into_iter().flatten().flatten() {
                    let c = e.path();
                    if !ex.excluded(&c) {
                        stack.push((c, Some(dev)));
                    }
                }
            }
            if files % 4096 == 0 && tx.send((files, bytes, false)).is_err() {
                return;
            }
        }
        let _ = tx.send((files, bytes, true));
    });
    rx
}
