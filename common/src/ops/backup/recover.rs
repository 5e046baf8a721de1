//! The index a run starts from: every index file, plus the headers of packs
//! an interrupted run uploaded but never indexed (sealed with the metadata
//! key, so a backup-only node can read them). Their chunks are reused, and
//! this run's index file covers them. Packs the reaper condemned are
//! neither deduplicated against nor recovered (§5.1).

use crate::format::IndexPack;
use crate::progress::{Observer, WarningKind};
use crate::repo::{pack, FileMarks, Index, Repository};
use crate::{Id, Result};
use std::collections::HashMap;

/// The index, the packs recovered from their headers, and the index files
/// read (for the commit check).
pub(super) fn index(
    repo: &Repository,
    obs: &dyn Observer,
) -> Result<(Index, Vec<IndexPack>, HashMap<Id, FileMarks>)> {
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
    index.retire(&loaded.condemned);
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
    Ok((index, recovered, loaded.file_marks))
}
