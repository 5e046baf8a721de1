//! [`BlobReader`]: reads blobs for restore, dump, ls and check, verified
//! against their keyed ids; needs the restore half of the key.

use super::pack;
use super::{Index, Repository};
use crate::backend::RangeReader;
use crate::crypto::age::{Identity, StreamReader};
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
    open: HashMap<u32, StreamReader<RangeReader<'a>>>,
    /// Recently decompressed groups, newest last: (pack position, payload
    /// offset) → plaintext. Trees and data interleave during a restore, so
    /// one slot per kind is not enough; a few cover both.
    groups: Vec<((u32, u32), Vec<u8>)>,
    /// Packs already looked for in storage's history (overwritten ones).
    recovered: std::collections::HashSet<Id>,
}

const OPEN_PACKS: usize = 4;
const GROUP_CACHE: usize = 8;

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
            groups: Vec::new(),
            recovered: std::collections::HashSet::new(),
        })
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
            if let Some((_, plain)) = self.groups.iter().find(|(k, _)| *k == (pos, entry.offset)) {
                return pack::verify_in(self.repo.keys(), &entry, plain, &pack.id);
            }
        }
        if !self.open.contains_key(&pos) {
            if self.open.len() >= OPEN_PACKS {
                self.open.clear();
            }
            let body = pack::open_body(
                self.repo.backend(),
                &pack.id,
                pack.body_len,
                self.identities,
            )?;
            self.open.insert(pos, body);
        }
        let plain = match self.open.get_mut(&pos) {
            Some(body) => pack::read_payload(body, &entry, &pack.id)
                .and_then(|p| pack::decompress(&entry, &p, &pack.id)),
            None => Err(Error::new(ErrorKind::Other, "pack cache")),
        };
        let result = plain.and_then(|plain| {
            let blob = pack::verify_in(self.repo.keys(), &entry, &plain, &pack.id);
            if entry.group_length > 0 {
                if self.groups.len() >= GROUP_CACHE {
                    self.groups.remove(0);
                }
                self.groups.push(((pos, entry.offset), plain));
            }
            blob
        });
        if result.is_err() {
            self.open.remove(&pos);
        }
        result
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
