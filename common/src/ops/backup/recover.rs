//! The index a run starts from: every index file, plus the headers of packs
//! an interrupted run uploaded but never indexed (sealed with the metadata
//! key, so a backup-only node can read them). Their chunks are reused, and
//! this run's index file covers them.

use crate::format::IndexPack;
use crate::progress::{Observer, WarningKind};
use crate::repo::{pack, Index, Repository};
use crate::Result;

/// The index, and the packs recovered from their headers.
pub(super) fn index(repo: &Repository, obs: &dyn Observer) -> Result<(Index, Vec<IndexPack>)> {
    let loaded = repo.load_index()?;
    let location = repo.backend().location();
    for p in &loaded.problems {
        obs.warn(
            WarningKind::Repository,
            &location,
            &format!("{p}; run 'bananactl check'"),
        );
    }
    let mut index = loaded.index;
    let mut recovered = Vec::new();
    for (id, size) in &loaded.unindexed {
        match pack::read_header(repo.backend(), id, *size, repo.keys()) {
            Ok(h) => {
                let p = IndexPack {
                    id: *id,
                    body_len: h.body_len,
                    blobs: h.blobs,
                };
                index.add_pack(&p);
                recovered.push(p);
            }
            Err(e) => obs.warn(
                WarningKind::Repository,
                &id.to_hex(),
                &format!("ignoring unreadable pack: {e}"),
            ),
        }
    }
    Ok((index, recovered))
}
