//! Trees: directory listings with full metadata, stored as blobs whose id is the
//! keyed hash of their CBOR encoding (so a tree is authenticated by its id).

use crate::id::Id;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// A point in time: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Timestamp(pub i64, pub u32);

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Named pipe.
    Fifo,
    /// Character device.
    Chardev,
    /// Block device.
    Blockdev,
    /// Unix socket (recorded, not recreated).
    Socket,
}

/// An extended attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Xattr {
    /// Name, e.g. `user.comment`.
    pub name: ByteBuf,
    /// Value.
    pub value: ByteBuf,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// File name, bytes (not necessarily UTF-8).
    pub name: ByteBuf,
    /// Entry type.
    pub kind: NodeKind,
    /// Permission bits including setuid/setgid/sticky (no type bits).
    pub mode: u32,
    /// Numeric owner.
    pub uid: u32,
    /// Numeric group.
    pub gid: u32,
    /// Owner name at backup time, if resolvable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Group name at backup time, if resolvable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Modification time.
    pub mtime: Timestamp,
    /// Access time.
    pub atime: Timestamp,
    /// Status change time (informational; cannot be restored).
    pub ctime: Timestamp,
    /// Size in bytes (regular files).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size: u64,
    /// Inode number at backup time (hard-link groups).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inode: u64,
    /// Device of the filesystem at backup time (hard-link groups).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub device: u64,
    /// Link count at backup time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub links: u64,
    /// Device number of a device node.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rdev: u64,
    /// Symlink target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ByteBuf>,
    /// Extended attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub xattrs: Vec<Xattr>,
    /// Content chunk ids, in order (regular files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<Id>,
    /// Tree id (directories).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtree: Option<Id>,
}

/// A directory listing, entries sorted by name bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tree {
    /// The entries.
    pub nodes: Vec<Node>,
}

impl Node {
    /// A node with empty metadata, for synthetic or test trees.
    pub fn new(name: &[u8], kind: NodeKind) -> Node {
        Node {
            name: ByteBuf::from(name.to_vec()),
            kind,
            mode: 0o755,
            uid: 0,
            gid: 0,
            user: None,
            group: None,
            mtime: Timestamp::default(),
            atime: Timestamp::default(),
            ctime: Timestamp::default(),
            size: 0,
            inode: 0,
            device: 0,
            links: 0,
            rdev: 0,
            target: None,
            xattrs: Vec::new(),
            content: Vec::new(),
            subtree: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{from_cbor, to_cbor};
    use proptest::prelude::*;

    #[test]
    fn a_directory_of_a_million_entries_fits_in_one_tree() {
        // 10,000 realistic entries, scaled: a million must stay under MAX_BLOB.
        let nodes: Vec<Node> = (0..10_000u64)
            .map(|i| {
                let mut n = Node::new(format!("file-{i:08}.log").as_bytes(), NodeKind::File);
                n.mode = 0o644;
                n.uid = 1000;
                n.gid = 1000;
                n.user = Some("www-data".into());
                n.group = Some("www-data".into());
                n.mtime = Timestamp(1_800_000_000 + i as i64, 123_456_789);
                n.atime = n.mtime;
                n.ctime = n.mtime;
                n.size = 4096 + i;
                n.inode = 1_000_000 + i;
                n.device = 2049;
                n.links = 1;
                n.content = vec![Id([7; 32])];
                n
            })
            .collect();
        let per_10k = to_cbor(&Tree { nodes }).len() as u64;
        assert!(
            per_10k * 100 < crate::format::MAX_BLOB,
            "a million entries would take {} bytes",
            per_10k * 100
        );
    }

    proptest! {
        #[test]
        fn tree_round_trip(names in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 0..20),
                           mode in 0u32..0o7777, secs: i64, nsec in 0u32..1_000_000_000, size: u64,
                           xv in proptest::collection::vec(any::<u8>(), 0..64)) {
            let nodes = names.iter().enumerate().map(|(i, n)| {
                let mut node = Node::new(n, if i % 2 == 0 { NodeKind::File } else { NodeKind::Symlink });
                node.mode = mode; node.mtime = Timestamp(secs, nsec); node.size = size;
                node.xattrs = vec![Xattr { name: ByteBuf::from(b"user.x".to_vec()), value: ByteBuf::from(xv.clone()) }];
                if i % 2 == 1 { node.target = Some(ByteBuf::from(n.clone())); }
                node
            }).collect();
            let t = Tree { nodes };
            prop_assert_eq!(from_cbor::<Tree>(&to_cbor(&t), "tree").unwrap(), t);
        }
    }
}
