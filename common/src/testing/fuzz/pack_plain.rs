//! The `pack_plain` fuzz target: packs described in plaintext, built into
//! real ones with the fixed keys, then read as `check` and a restore do.

use super::{envelope_keys, keys, payload};
use crate::crypto::{Keys, SealKind};
use crate::format::tree::Tree;
use crate::format::{codec, from_cbor, to_cbor, BlobEntry, BlobKind, Config, PackHeader};
use crate::id::Id;
use std::sync::OnceLock;

/// A payload decoded once for the entries that share it (see
/// [`crate::format::BlobEntry::payload_key`]).
type Decoded = ((u32, u32, u32), crate::Result<Vec<u8>>);

/// Separates the parts of a [`pack_plain`] input.
pub const PACK_PLAIN_SEP: &[u8; 4] = b"\xa5SEG";

/// A pack described in plaintext, built into a real one (age body to the
/// fixed identity, header sealed with the fixed keys), then read as
/// `check --read-data` and a restore read it: mutations reach the header's
/// CBOR, the blob framing, the codecs and the trees behind the age layer and
/// the seal, which reject nearly every mutation of a whole pack (`pack`).
///
/// The input is parts split at [`PACK_PLAIN_SEP`]: a control part, then the
/// blob payloads (tag byte included), concatenated into the body plaintext.
/// The control part is a flags byte (bit 0: the header is compressed, as in
/// version 2; bit 1: read the blobs in reverse order) and one record per
/// header entry: a mode byte (bit 0: a tree blob; bit 1: an id that is not
/// the blob's keyed id; bit 2: literal framing), then either 20 bytes of
/// literal `offset`, `length`, `raw_length`, `inner`, `group_length` (u32
/// LE), or a payload number (u8) and a length hint (u16 LE): entries naming
/// the same payload are a group, each of its hinted length (the last gets
/// the rest), as a writer frames them. Ids are the keyed ids of what the
/// entries frame, as a writer (or a compromised node with the key) makes
/// them, so the trees and blobs pass verification and reach the decoders.
pub fn pack_plain(data: &[u8]) {
    if let Some(pack) = build_pack(data) {
        read_pack(&pack);
    }
}

/// How far an input got: blobs verified by the check path, by the restore
/// path, and trees decoded by the latter (the seeds must reach them all).
#[derive(Debug, Default, PartialEq)]
struct Reached {
    checked: usize,
    restored: usize,
    trees: usize,
}

/// A header entry as described.
struct Record<'a> {
    mode: u8,
    /// Literal framing, or (payload number, length hint).
    framing: Result<[u32; 5], (u8, u16)>,
    raw: &'a [u8],
}

fn records(mut control: &[u8]) -> Vec<Record<'_>> {
    let mut out = Vec::new();
    while let Some(&mode) = control.first() {
        let n = if mode & 4 != 0 { 21 } else { 4 };
        let Some(raw) = control.get(..n) else { break };
        let u32_at = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        let framing = if mode & 4 != 0 {
            Ok([u32_at(1), u32_at(5), u32_at(9), u32_at(13), u32_at(17)])
        } else {
            Err((raw[1], u16::from_le_bytes([raw[2], raw[3]])))
        };
        out.push(Record { mode, framing, raw });
        control = &control[n..];
    }
    out
}

/// Plaintext a writer would have framed in a payload (up to 1 MiB), as
/// the harness's own reference: it names the blobs by their keyed ids.
fn reference_plain(payload: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    const CAP: usize = 1 << 20;
    let (&tag, body) = payload.split_first()?;
    match tag {
        codec::RAW => Some(body.to_vec()),
        codec::XZ => codec::decompress(payload, CAP).ok(),
        codec::ZSTD => {
            let mut d = ::zstd::stream::read::Decoder::with_buffer(body).ok()?;
            d.window_log_max(codec::ZSTD_WINDOW_LOG_MAX).ok()?;
            let mut out = Vec::new();
            d.single_frame()
                .take(CAP as u64 + 1)
                .read_to_end(&mut out)
                .ok()?;
            (out.len() <= CAP).then_some(out)
        }
        _ => None,
    }
}

/// A pack built from a `pack_plain` input.
struct Built {
    flags: u8,
    bytes: Vec<u8>,
}

/// Splits an input into its parts.
fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(4).position(|w| w == PACK_PLAIN_SEP) {
        parts.push(&rest[..i]);
        rest = &rest[i + 4..];
    }
    parts.push(rest);
    parts
}

/// The payloads of an input, where they lie in the body, and what each
/// decodes to (found once, when an entry needs it).
struct Payloads<'a> {
    parts: Vec<&'a [u8]>,
    offsets: Vec<u32>,
    plains: Vec<Option<Option<Vec<u8>>>>,
}

impl<'a> Payloads<'a> {
    fn new(parts: Vec<&'a [u8]>) -> Option<Payloads<'a>> {
        let mut offsets = Vec::with_capacity(parts.len());
        let mut at = 0u32;
        for p in &parts {
            offsets.push(at);
            at = at.checked_add(u32::try_from(p.len()).ok()?)?;
        }
        Some(Payloads {
            plains: vec![None; parts.len()],
            parts,
            offsets,
        })
    }

    fn plain(&mut self, s: usize) -> Option<&[u8]> {
        let part = self.parts[s];
        self.plains[s]
            .get_or_insert_with(|| reference_plain(part))
            .as_deref()
    }

    /// The payload that `offset` and `length` frame exactly, if any.
    fn framed_by(&self, offset: u32, length: u32) -> Option<usize> {
        (0..self.parts.len())
            .find(|&s| self.offsets[s] == offset && self.parts[s].len() as u64 == u64::from(length))
    }
}

/// Builds the pack an input describes.
fn build_pack(data: &[u8]) -> Option<Built> {
    let mut parts = split(data);
    let control = parts.remove(0);
    let (&flags, control) = control.split_first()?;
    let records = records(control);
    let mut payloads = Payloads::new(parts)?;
    let framing = framing(&records, &mut payloads)?;
    let blobs = records
        .iter()
        .zip(framing)
        .map(|(r, f)| entry(r, f, &mut payloads))
        .collect();
    let body = payloads.parts.concat();
    Some(Built {
        flags,
        bytes: seal(flags, &body, blobs)?,
    })
}

/// Each record's `offset`, `length`, `raw_length`, `inner`, `group_length`:
/// literal, or as a writer frames the payload it names (a group when
/// several name it).
fn framing(records: &[Record<'_>], payloads: &mut Payloads<'_>) -> Option<Vec<[u32; 5]>> {
    let n = payloads.parts.len();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut framed = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        match r.framing {
            Ok(f) => framed.push(f),
            Err((s, _)) => {
                framed.push([0; 5]);
                if n > 0 {
                    members[usize::from(s) % n].push(i);
                }
            }
        }
    }
    for (s, m) in members.iter().enumerate() {
        if m.is_empty() {
            continue;
        }
        let total = payloads.plain(s).map(|p| p.len() as u32);
        let length = u32::try_from(payloads.parts[s].len()).ok()?;
        let mut inner = 0u32;
        for (k, &i) in m.iter().enumerate() {
            let hint = match records[i].framing {
                Err((_, h)) => u32::from(h),
                Ok(_) => 0,
            };
            let len = match total {
                Some(t) if k + 1 == m.len() => t - inner,
                Some(t) => hint.min(t - inner),
                None => hint,
            };
            framed[i] = [payloads.offsets[s], length, len, inner, 0];
            inner = inner.saturating_add(len);
        }
        if m.len() > 1 {
            for &i in m {
                framed[i][4] = total.unwrap_or(inner);
            }
        }
    }
    Some(framed)
}

/// A record's header entry: the keyed id of what it frames, when it frames
/// a payload exactly and that decodes.
fn entry(r: &Record<'_>, framing: [u32; 5], payloads: &mut Payloads<'_>) -> BlobEntry {
    let [offset, length, raw_length, inner, group_length] = framing;
    let id = match payloads.framed_by(offset, length) {
        Some(s) if r.mode & 2 == 0 => payloads.plain(s).and_then(|plain| {
            let start = if group_length > 0 { inner as usize } else { 0 };
            plain
                .get(start..start.saturating_add(raw_length as usize))
                .map(|b| keys().chunk_id(b))
        }),
        _ => None,
    };
    BlobEntry {
        id: id.unwrap_or_else(|| Id::of_object(r.raw)),
        kind: if r.mode & 1 != 0 {
            BlobKind::Tree
        } else {
            BlobKind::Data
        },
        offset,
        length,
        raw_length,
        inner,
        group_length,
    }
}

/// The pack: the age body, the sealed header, the trailer.
fn seal(flags: u8, body: &[u8], blobs: Vec<BlobEntry>) -> Option<Vec<u8>> {
    let mut bytes = encrypted(body)?;
    let header = PackHeader {
        body_len: bytes.len() as u64,
        body_hash: Id::of_object(&bytes),
        blobs,
    };
    let cbor = to_cbor(&header);
    let plain = if flags & 1 != 0 {
        codec::pack_metadata(&cbor)
    } else {
        cbor
    };
    let sealed = keys().seal(SealKind::PackHeader, &plain).ok()?;
    bytes.extend_from_slice(&sealed);
    bytes.extend_from_slice(&crate::format::trailer(u32::try_from(sealed.len()).ok()?));
    Some(bytes)
}

/// The age body for a plaintext: encrypted to the fixed identity once per
/// distinct plaintext (mutations of the header alone keep the body, and the
/// fuzzer then spends no X25519 on it).
fn encrypted(plain: &[u8]) -> Option<Vec<u8>> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static BODIES: OnceLock<Mutex<HashMap<Id, Vec<u8>>>> = OnceLock::new();
    let key = Id::of_object(plain);
    let bodies = BODIES.get_or_init(Default::default);
    let mut bodies = bodies.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(body) = bodies.get(&key) {
        return Some(body.clone());
    }
    let recipient = envelope_keys().1.to_public();
    let body = crate::crypto::age::encrypt(&[recipient], plain).ok()?;
    if bodies.len() >= 256 {
        bodies.clear();
    }
    bodies.insert(key, body.clone());
    Some(body)
}

/// Whether the harness reads an entry: a payload that decodes to at most
/// 16 MiB (the fuzzer stays fast) or to more than `MAX_BLOB` (refused
/// before decoding). A payload past the body's end is read too: refused by
/// `pack::read_payload` before it allocates or seeks (the two findings of
/// fuzz/README.md).
fn readable(payload_raw_length: u32) -> bool {
    payload_raw_length <= 16 << 20 || u64::from(payload_raw_length) > crate::format::MAX_BLOB
}

/// Reads a pack as `check --read-data` does (whole, then blob by blob
/// through the seekable age stream) and as a restore does (from storage: the
/// header read like an unindexed pack's, the blobs and trees through
/// [`crate::repo::BlobReader`] and its group cache).
fn read_pack(built: &Built) -> Reached {
    let bytes = &built.bytes[..];
    let readable = |_offset: u32, _length: u32, raw: u32| readable(raw);
    use crate::repo::pack;
    let k = keys();
    let id = Id::of_object(bytes);
    let identity = &envelope_keys().1;
    let mut reached = Reached::default();
    if let Ok(header) = pack::parse(bytes, &id, k) {
        let body = &bytes[..header.body_len as usize];
        let open = || {
            crate::crypto::age::reader(
                std::slice::from_ref(identity),
                std::io::Cursor::new(body),
                body.len() as u64,
                "fuzz",
            )
        };
        if let Ok(mut reader) = open() {
            let mut group: Option<Decoded> = None;
            for entry in &header.blobs {
                if !readable(entry.offset, entry.length, entry.payload_raw_length()) {
                    continue;
                }
                if group
                    .as_ref()
                    .is_none_or(|(at, _)| *at != entry.payload_key())
                {
                    let plain = pack::read_payload(&mut reader, entry, &id)
                        .and_then(|p| pack::decompress(entry, &p, &id));
                    if plain.is_err() {
                        if let Ok(fresh) = open() {
                            reader = fresh;
                        }
                    }
                    group = Some((entry.payload_key(), plain));
                }
                if let Some((_, Ok(plain))) = &group {
                    if let Ok(blob) = pack::verify_in(k, entry, plain, &id) {
                        assert_eq!(blob.len(), entry.raw_length as usize);
                        reached.checked += 1;
                        if entry.kind == BlobKind::Tree {
                            let _ = from_cbor::<Tree>(&blob, "fuzz");
                        }
                    }
                }
            }
        }
    }
    restore_read(bytes, &id, built.flags & 2 != 0, &readable, &mut reached);
    reached
}

fn restore_read(
    bytes: &[u8],
    id: &Id,
    reverse: bool,
    readable: &dyn Fn(u32, u32, u32) -> bool,
    reached: &mut Reached,
) {
    use crate::backend::{Backend, Kind};
    use crate::repo::{pack, BlobReader, Repository};
    let storage = crate::testing::MemoryBackend::default();
    let stored = storage
        .create()
        .and_then(|_| storage.write(Kind::Config, "config", config_object()))
        .and_then(|_| storage.write(Kind::Data, &id.to_hex(), bytes));
    let Ok(repo) = stored.and_then(|_| Repository::open(Box::new(storage), backup_key())) else {
        return;
    };
    let Ok(loaded) = repo.load_index() else {
        return;
    };
    let mut index = loaded.index;
    let mut entries = Vec::new();
    for (pack_id, size) in &loaded.unindexed {
        if let Ok(h) = pack::read_header(repo.backend(), pack_id, *size, repo.keys()) {
            entries.extend(h.blobs.iter().map(|b| b.id));
            index.add_pack(&crate::format::IndexPack {
                id: *pack_id,
                body_len: h.body_len,
                blobs: h.blobs,
            });
        }
    }
    if reverse {
        entries.reverse();
    }
    // A walk may read any indexed tree: only when all are readable.
    let walk = index
        .iter()
        .all(|(_, l)| readable(l.offset, l.length, l.group_length.max(l.raw_length)));
    let restore = crate::crypto::keyfile::RestoreKey {
        identities: vec![envelope_keys().1.clone()],
    };
    let Ok(mut reader) = BlobReader::new(&repo, &index, &restore) else {
        return;
    };
    for blob in &entries {
        let Some((_, at)) = index.entry(blob) else {
            continue;
        };
        if !readable(at.offset, at.length, at.payload_raw_length()) {
            continue;
        }
        if let Ok(plain) = reader.read(blob) {
            assert_eq!(
                plain.len(),
                at.raw_length as usize,
                "blob of the wrong length"
            );
            assert_eq!(keys().chunk_id(&plain), *blob, "blob not verified");
            reached.restored += 1;
        }
        if at.kind == BlobKind::Tree && walk && reader.tree(blob).is_ok() {
            reached.trees += 1;
            let _ = crate::repo::groups::reads(&mut reader, &index, blob, 16);
        }
    }
}

/// The config of the repository `pack_plain` reads from: the fixed keys'.
fn config_object() -> &'static [u8] {
    static C: OnceLock<Vec<u8>> = OnceLock::new();
    C.get_or_init(|| {
        let config = Config {
            version: crate::format::FORMAT_VERSION,
            id: Id([0x24; 32]),
            chunker: crate::format::chunker::ChunkerParams::default(),
            pack_size: 16 << 20,
            compression: 0,
            created: 1_800_000_000,
            codec: Some("zstd:3".into()),
        };
        Keys::derive(&[0x42; 32])
            .seal(SealKind::Config, &crate::format::to_cbor(&config))
            .expect("seal")
    })
}

fn backup_key() -> &'static crate::crypto::keyfile::BackupKey {
    static B: OnceLock<crate::crypto::keyfile::BackupKey> = OnceLock::new();
    B.get_or_init(|| crate::crypto::keyfile::BackupKey {
        recipients: vec![envelope_keys().1.to_public()],
        chunk_key: zeroize::Zeroizing::new([0x42; 32]),
    })
}

/// Three trees: a root with `etc` (the second) and `var` (the third).
pub(super) fn seed_trees() -> Vec<Tree> {
    use crate::format::tree::{Node, NodeKind, Timestamp, Xattr};
    use serde_bytes::ByteBuf;
    let k = keys();
    let mut passwd = Node::new(b"passwd", NodeKind::File);
    passwd.mode = 0o644;
    passwd.size = 1800;
    passwd.mtime = Timestamp(1_800_000_000, 5);
    passwd.content = vec![k.chunk_id(b"root:x:0:0::/root:/bin/sh\n")];
    passwd.xattrs = vec![Xattr {
        name: ByteBuf::from(b"user.note".to_vec()),
        value: ByteBuf::from(b"kept".to_vec()),
    }];
    let mut localtime = Node::new(b"localtime", NodeKind::Symlink);
    localtime.target = Some(ByteBuf::from(b"/usr/share/zoneinfo/UTC".to_vec()));
    let etc = Tree {
        nodes: vec![localtime, passwd],
    };
    let mut log = Node::new(b"log", NodeKind::File);
    log.user = Some("syslog".into());
    log.group = Some("adm".into());
    log.size = 3;
    log.inode = 77;
    log.device = 2049;
    log.links = 2;
    log.content = vec![k.chunk_id(b"abc"), k.chunk_id(b"def")];
    let var = Tree {
        nodes: vec![log, Node::new(b"run", NodeKind::Fifo)],
    };
    let mut e = Node::new(b"etc", NodeKind::Dir);
    e.subtree = Some(k.chunk_id(&crate::format::to_cbor(&etc)));
    let mut v = Node::new(b"var", NodeKind::Dir);
    v.subtree = Some(k.chunk_id(&crate::format::to_cbor(&var)));
    let root = Tree { nodes: vec![e, v] };
    vec![root, etc, var]
}

/// One `pack_plain` input: flags, records, payloads.
fn pack_plain_input(flags: u8, records: &[Vec<u8>], payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![flags];
    v.extend(records.concat());
    for p in payloads {
        v.extend_from_slice(PACK_PLAIN_SEP);
        v.extend_from_slice(p);
    }
    v
}

/// A record framed as a writer frames it: (mode, payload, length hint).
fn auto(mode: u8, seg: u8, hint: usize) -> Vec<u8> {
    let mut v = vec![mode & !4, seg];
    v.extend((hint as u16).to_le_bytes());
    v
}

/// A record with literal framing.
fn literal(mode: u8, f: [u32; 5]) -> Vec<u8> {
    let mut v = vec![mode | 4];
    for x in f {
        v.extend(x.to_le_bytes());
    }
    v
}

/// Seeds for `pack_plain`: tree packs (a zstd group, a raw group, a tree of
/// its own in xz), a data pack (every codec, a group), a header with
/// hostile framing, and an empty pack.
pub(super) fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let t: Vec<Vec<u8>> = seed_trees().iter().map(to_cbor).collect();
    let group = [t[1].clone(), t[2].clone()].concat();
    let text: Vec<u8> = (0..120)
        .flat_map(|i| format!("{i:04} the quick brown banana\n").into_bytes())
        .collect();
    let small: Vec<Vec<u8>> = vec![
        b"root:x:0:0::/root:/bin/sh\n".to_vec(),
        b"abc".to_vec(),
        b"def".to_vec(),
    ];
    let mut zgroup = vec![codec::ZSTD];
    zgroup.extend(::zstd::bulk::compress(&small.concat(), 3).expect("zstd"));
    let mut raw_group = vec![codec::RAW];
    raw_group.extend_from_slice(&group);
    let inputs = [
        pack_plain_input(
            1,
            &[
                auto(1, 0, t[1].len()),
                auto(1, 0, t[2].len()),
                auto(1, 1, 0),
            ],
            &[
                payload(&group, codec::Codec::Zstd(3)),
                payload(&t[0], codec::Codec::None),
            ],
        ),
        pack_plain_input(
            2,
            &[
                auto(1, 1, 0),
                auto(1, 0, t[1].len()),
                auto(1, 0, t[2].len()),
            ],
            &[raw_group, payload(&t[0], codec::Codec::Xz(0))],
        ),
        pack_plain_input(
            1,
            &[
                auto(0, 0, 0),
                auto(0, 1, 0),
                auto(0, 2, small[0].len()),
                auto(0, 2, small[1].len()),
                auto(0, 2, small[2].len()),
                auto(0, 3, 0),
            ],
            &[
                payload(&text, codec::Codec::Zstd(3)),
                payload(&text[..1500], codec::Codec::Xz(0)),
                zgroup.clone(),
                payload(b"incompressible? no, just short", codec::Codec::None),
            ],
        ),
        pack_plain_input(
            1,
            &[
                literal(0, [0, zgroup.len() as u32, 3, 26, 32]),
                literal(0, [0, zgroup.len() as u32, 3, 90, 32]),
                literal(0, [1, zgroup.len() as u32, 3, 0, 0]),
                literal(1, [0, 16 << 20, 3, 26, 32]),
                literal(0, [0, zgroup.len() as u32, 3, 26, u32::MAX]),
                auto(2, 0, 0),
            ],
            &[zgroup],
        ),
        pack_plain_input(0, &[], &[]),
    ];
    inputs.into_iter().map(|v| ("pack_plain", v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds get through both ways: every blob verifies and every tree
    /// decodes. Of the hostile one, a check verifies its well-framed blob
    /// alone: the entry that shares its payload and id but claims a 4 GiB
    /// group decodes on its own there and is refused, while a restore takes
    /// that blob from the group its honest twin decoded, and its id holds.
    #[test]
    fn seeds_reach_the_decoders() {
        let reached: Vec<Reached> = seeds()
            .iter()
            .map(|(_, input)| read_pack(&build_pack(input).expect("a pack")))
            .collect();
        let r = |checked, restored, trees| Reached {
            checked,
            restored,
            trees,
        };
        assert_eq!(
            reached,
            [r(3, 3, 3), r(3, 3, 3), r(6, 6, 0), r(1, 2, 0), r(0, 0, 0)]
        );
        for (_, input) in seeds() {
            pack_plain(&input);
        }
    }
}
