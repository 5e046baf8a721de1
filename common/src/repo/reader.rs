//! [`BlobReader`]: reads blobs for restore, dump, ls and check, verified
//! against their keyed ids; needs the restore half of the key.

use super::groups::Groups;
use super::pack;
use super::{Index, Repository};
use crate::backend::RangeReader;
use crate::crypto::age::{Identity, Plain};
use crate::crypto::keyfile::RestoreKey;
use crate::error::{Error, ErrorKind, Result};
use crate::format::tree::{Node, NodeKind, Tree};
use crate::format::{from_cbor, BlobKind};
use crate::id::Id;
use std::collections::HashMap;

/// Reads blobs for restore, dump and check: needs the restore half.
pub struct BlobReader<'a> {
    repo: &'a Repository,
    index: &'a Index,
    identities: &'a [Identity],
    open: HashMap<u32, Plain<RangeReader<'a>>>,
    /// Decompressed groups: this reader's own, or shared by a restore's
    /// workers ([`BlobReader::sharing`]).
    groups: std::sync::Arc<Groups>,
    /// Packs already looked for in storage's history (overwritten ones).
    recovered: std::collections::HashSet<Id>,
    /// On while a blob compressed alone is read: its pack's range reads
    /// may grow (a large file's chunks follow each other); off for a group.
    grow: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

const OPEN_PACKS: usize = 4;
/// Decoded groups a reader of its own keeps (trees and data interleave).
const OWN_GROUPS_BYTES: usize = 8 << 20;

impl<'a> BlobReader<'a> {
    /// A reader; fails with a clear message when the key has no identity.
    pub fn new(
        repo: &'a Repository,
        index: &'a Index,
        restore: &'a RestoreKey,
    ) -> Result<BlobReader<'a>> {
        if restore.identities.is_empty() {
            return Err(Error::new(
                ErrorKind::NoIdentity,
                "this key holds only the backup half (no identity): it can write backups but not read them",
            )
            .hint("restore with the full key file, a restore grant, or --identity-file"));
        }
        Ok(BlobReader {
            repo,
            index,
            identities: &restore.identities,
            open: HashMap::new(),
            groups: Groups::new(OWN_GROUPS_BYTES),
            recovered: std::collections::HashSet::new(),
            grow: Default::default(),
        })
    }

    /// Shares `groups` with other readers (a restore's workers).
    pub fn sharing(mut self, groups: std::sync::Arc<Groups>) -> Self {
        self.groups = groups;
        self
    }

    /// Where each of `ids` lies, `(pack, offset in it)`, and its plaintext
    /// length; `None` when one is not in the index (its read will say so).
    pub fn places(&self, ids: &[Id]) -> Option<Vec<((u32, u32), u64)>> {
        ids.iter()
            .map(|id| {
                let (_, l) = self.index.get(id)?;
                Some(((l.pack, l.offset), u64::from(l.raw_length)))
            })
            .collect()
    }

    /// (groups decoded, distinct groups) by the readers sharing this cache.
    pub fn group_counts(&self) -> (u64, u64) {
        self.groups.counts()
    }

    /// The plaintext of a blob, verified against its id. A pack that fails
    /// (overwritten in storage) is looked for once in storage's history; if
    /// an older version holds the original, the blob is read from it.
    pub fn read(&mut self, id: &Id) -> Result<Vec<u8>> {
        match self.read_once(id) {
            Err(e) if e.kind() == ErrorKind::Damaged => {
                let Some((pack, _)) = self.index.entry(id) else {
                    return Err(e);
                };
                if !self.recovered.insert(pack.id) {
                    return Err(e);
                }
                let limit = self.repo.limit(crate::backend::Kind::Data);
                if self.repo.backend().recover(
                    crate::backend::Kind::Data,
                    &pack.id.to_hex(),
                    limit,
                )? {
                    self.open.clear();
                    self.groups.clear();
                    self.read_once(id)
                } else {
                    Err(e)
                }
            }
            r => r,
        }
    }

    fn read_once(&mut self, id: &Id) -> Result<Vec<u8>> {
        let (pack, entry) = self
            .index
            .entry(id)
            .ok_or_else(|| Error::damaged(format!("blob {id} is not in any index")))?;
        let pos = self.index.get(id).map(|(_, l)| l.pack).unwrap_or_default();
        if entry.group_length > 0 {
            let groups = self.groups.clone();
            let budget = if entry.kind == crate::format::BlobKind::Tree {
                super::groups::Budget::Tree
            } else {
                super::groups::Budget::Data
            };
            let plain = groups.get_or_decode(((pack.id, entry.offset), budget), || {
                self.decode(pos, &pack, &entry)
            })?;
            return pack::verify_in(self.repo.keys(), &entry, &plain, &pack.id);
        }
        let plain = self.decode(pos, &pack, &entry)?;
        pack::verify_in(self.repo.keys(), &entry, &plain, &pack.id)
    }

    /// Reads and decompresses one payload (a blob, or a whole group).
    fn decode(
        &mut self,
        pos: u32,
        pack: &crate::repo::index::PackInfo,
        entry: &crate::format::BlobEntry,
    ) -> Result<Vec<u8>> {
        if !self.open.contains_key(&pos) {
            if self.open.len() >= OPEN_PACKS {
                self.open.clear();
            }
            let body = pack::open_body_growing(
                self.repo.backend(),
                &pack.id,
                pack.body_len,
                self.identities,
                Some(self.grow.clone()),
            )?;
            self.open.insert(pos, body);
        }
        self.grow.store(
            entry.group_length == 0,
            std::sync::atomic::Ordering::Relaxed,
        );
        let plain = match self.open.get_mut(&pos) {
            Some(body) => pack::read_payload(body, entry, &pack.id)
                .and_then(|p| pack::decompress(entry, &p, &pack.id)),
            None => Err(Error::new(ErrorKind::Other, "pack cache")),
        };
        if plain.is_err() {
            self.open.remove(&pos);
        }
        plain
    }

    /// The node at `path` (absolute, as in the snapshot) below tree `root`. The
    /// root itself is returned as a directory named `/`.
    pub fn lookup(&mut self, root: &Id, path: &std::path::Path) -> Result<Option<Node>> {
        let mut node = Node::new(b"/", NodeKind::Dir);
        node.subtree = Some(*root);
        for c in path.components() {
            let std::path::Component::Normal(name) = c else {
                continue;
            };
            let Some(sub) = node.subtree else {
                return Ok(None);
            };
            let tree = self.tree(&sub)?;
            let name = std::os::unix::ffi::OsStrExt::as_bytes(name);
            match tree.nodes.into_iter().find(|n| n.name.as_slice() == name) {
                Some(n) => node = n,
                None => return Ok(None),
            }
        }
        Ok(Some(node))
    }

    /// A tree blob, decoded.
    pub fn tree(&mut self, id: &Id) -> Result<Tree> {
        if let Some((_, l)) = self.index.get(id) {
            if l.kind != BlobKind::Tree {
                return Err(Error::damaged(format!("blob {id} is not a tree")));
            }
        }
        let bytes = self.read(id)?;
        from_cbor(&bytes, &format!("tree {id}"))
    }
}
