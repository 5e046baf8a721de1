//! The entry points of the fuzz targets (`fuzz/fuzz_targets/`), here so that
//! `cargo test` replays every committed corpus and crash case through the
//! same code (`xtask`'s `fuzz_corpora_replay`). Each takes arbitrary bytes
//! and must neither panic nor allocate beyond the format's bounds; what it
//! returns is ignored.

use crate::crypto::envelope;
use crate::crypto::keyfile::KeyFile;
use crate::crypto::{Keys, SealKind};
use crate::format::tree::Tree;
use crate::format::{
    codec, from_cbor, BlobEntry, BlobKind, Config, IndexFile, PackHeader, Refs, Snapshot,
};
use crate::id::Id;
use std::sync::OnceLock;

mod pack_plain;
pub use pack_plain::{pack_plain, PACK_PLAIN_SEP};

/// Fixed keys, so a fuzzer can find inputs that pass authentication once
/// seeded with real objects.
fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| Keys::derive(&[0x42; 32]).bind(&Id([0x24; 32])))
}

/// Every sealed object kind: the first byte picks the kind; the rest is
/// opened with the fixed keys, then (as a compromised node holding the key
/// could write anything) decoded as that kind's plaintext.
pub fn sealed_object(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let kind = match pick % 6 {
        0 => SealKind::Config,
        1 => SealKind::Index,
        2 => SealKind::Snapshot,
        3 => SealKind::Refs,
        4 => SealKind::PackHeader,
        _ => SealKind::Forget,
    };
    let plain = keys()
        .open(kind, rest, "fuzz")
        .unwrap_or_else(|_| rest.to_vec());
    match kind {
        SealKind::Config => drop(from_cbor::<Config>(&plain, "fuzz")),
        SealKind::Index => drop(from_cbor::<IndexFile>(&plain, "fuzz")),
        SealKind::Snapshot => drop(from_cbor::<Snapshot>(&plain, "fuzz")),
        SealKind::Refs => drop(from_cbor::<Refs>(&plain, "fuzz")),
        SealKind::PackHeader => drop(from_cbor::<PackHeader>(&plain, "fuzz")),
        SealKind::Forget => drop(from_cbor::<crate::format::Forget>(&plain, "fuzz")),
    }
}

/// A whole pack: trailer, sealed header, the header's binding to the body.
pub fn pack(data: &[u8]) {
    let id = Id::of_object(data);
    let _ = crate::repo::pack::parse(data, &id, keys());
    let _ = crate::repo::pack::parse_header(data, &id, keys());
    let _ = crate::format::split_trailer(data, data.len() as u64, "fuzz");
}

/// A tree blob.
pub fn tree(data: &[u8]) {
    let _ = from_cbor::<Tree>(data, "fuzz");
}

/// A blob payload: the first four bytes are the recorded length.
pub fn blob(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    // Readers cap a blob at MAX_BLOB; here lower still, so the fuzzer stays fast.
    let want = (u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize).min(16 << 20);
    if let Ok(out) = codec::decompress(&data[4..], want) {
        assert!(out.len() <= want, "decompressed beyond the recorded length");
    }
}

/// A zstd blob payload (tag 2) as a reader meets it: the first four bytes
/// are the blob's recorded length, the rest one frame. Decoded through the
/// reader's checks (the `MAX_BLOB` bound, the exact length, the keyed id),
/// and as sealed metadata (the same decoder, capped at the recorded length).
pub fn zstd(data: &[u8]) {
    let Some((len, frame)) = data.split_first_chunk::<4>() else {
        return;
    };
    // As in `blob`: a recorded length below 16 MiB keeps the fuzzer fast.
    let want = u32::from_le_bytes(*len).min(16 << 20);
    let mut payload = Vec::with_capacity(frame.len() + 1);
    payload.push(codec::ZSTD);
    payload.extend_from_slice(frame);
    let pack = Id([0; 32]);
    let entry = BlobEntry {
        id: Id::of_object(frame),
        kind: BlobKind::Data,
        offset: 0,
        length: u32::try_from(payload.len()).unwrap_or(u32::MAX),
        raw_length: want,
        inner: 0,
        group_length: 0,
    };
    if let Ok(plain) = crate::repo::pack::decompress(&entry, &payload, &pack) {
        assert_eq!(plain.len(), want as usize, "zstd blob of the wrong length");
        let _ = crate::repo::pack::verify_in(keys(), &entry, &plain, &pack);
    }
    if let Ok(plain) = codec::unpack_metadata(frame.to_vec(), u64::from(want)) {
        if frame.starts_with(&codec::ZSTD_MAGIC) {
            assert!(plain.len() <= want as usize, "metadata beyond its cap");
        }
    }
}

/// A key file.
pub fn key_file(data: &[u8]) {
    let _ = KeyFile::parse(data, "fuzz");
}

/// A break-glass key envelope, with a fixed trusted key and identity.
pub fn key_envelope(data: &[u8]) {
    let (vk, id) = envelope_keys();
    let _ = envelope::open(data, std::slice::from_ref(vk), std::slice::from_ref(id));
}

/// A public, test-only identity (printed here on purpose: fuzzing only).
const FUZZ_IDENTITY: &str =
    "AGE-SECRET-KEY-1N6DA48PJK4Z2GPRZ3D4W2TTNUWPRE6K9H8RYR283827VV9E9SVTQC05LA7";

fn envelope_keys() -> &'static (envelope::VerifyingKey, crate::crypto::age::Identity) {
    static T: OnceLock<(envelope::VerifyingKey, crate::crypto::age::Identity)> = OnceLock::new();
    T.get_or_init(|| {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let id = crate::crypto::age::parse_identity(FUZZ_IDENTITY).expect("a valid identity");
        (sk.verifying_key(), id)
    })
}

/// A status envelope and an enrolment request, verified at a fixed time.
pub fn status(data: &[u8]) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    if let Ok(env) = serde_json::from_slice::<crate::status::Envelope>(data) {
        let _ = crate::status::verify(&env, &key, 1_800_000_000);
    }
    if let Ok(req) = serde_json::from_slice::<crate::status::EnrolRequest>(data) {
        let _ = crate::status::verify_enrol(&req, 1_800_000_000);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::status::parse_public(text);
    }
}

/// Valid inputs for each target, built with the fixed keys: where a fuzzer
/// starts (`cargo run -p xtask --features fuzz -- fuzz-seeds` writes them under
/// `fuzz/corpus/`).
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    use crate::format::to_cbor;
    let k = keys();
    let tree = Tree {
        nodes: vec![crate::format::tree::Node::new(
            b"etc",
            crate::format::tree::NodeKind::Dir,
        )],
    };
    let mut out = sealed_seeds(k);
    let id = crate::crypto::age::generate();
    let mut w = crate::repo::pack::PackWriter::new(&[id.to_public()]).expect("pack");
    let data = b"hello hello hello hello hello hello hello hello hello hello hello".to_vec();
    w.add(
        k.chunk_id(&data),
        BlobKind::Data,
        &codec::compress(&data, codec::Codec::Xz(0)),
        data.len(),
    )
    .expect("add");
    let p = w.finish(k, false).expect("finish");
    out.push(("pack", p.bytes));
    out.push(("tree", to_cbor(&tree)));
    let mut blob = (data.len() as u32).to_le_bytes().to_vec();
    blob.extend(codec::compress(&data, codec::Codec::Xz(0)));
    out.push(("blob", blob));
    out.extend(key_and_status_seeds());
    out.extend(zstd_seeds());
    out.extend(pack_plain::seeds());
    out
}

/// Seeds for `sealed_object`: a snapshot with its chain link, a reference
/// list, a forget record.
fn sealed_seeds(k: &Keys) -> Vec<(&'static str, Vec<u8>)> {
    use crate::format::{to_cbor, Summary};
    let mut out = Vec::new();
    let snap = Snapshot {
        time: (1_800_000_000, 0),
        hostname: "web-01".into(),
        username: "root".into(),
        paths: vec![serde_bytes::ByteBuf::from(b"/etc".to_vec())],
        tags: vec!["daily".into()],
        parent: None,
        tree: Id([1; 32]),
        refs: Id([2; 32]),
        indexes: vec![Id([3; 32])],
        summary: Summary::default(),
        program: "bananactl".into(),
        seq: Some(7),
        prev: Some(Id([4; 32])),
        run: Default::default(),
    };
    let mut sealed = |pick: u8, kind: SealKind, plain: Vec<u8>| {
        let mut v = vec![pick];
        v.extend(k.seal(kind, &plain).expect("seal"));
        out.push(("sealed_object", v));
    };
    sealed(2, SealKind::Snapshot, to_cbor(&snap));
    sealed(
        3,
        SealKind::Refs,
        to_cbor(&Refs {
            packs: vec![Id([5; 32])],
        }),
    );
    sealed(
        5,
        SealKind::Forget,
        to_cbor(&crate::format::Forget {
            snapshots: vec![(Id([6; 32]), Some(3)), (Id([7; 32]), None)],
            by: "reaper".into(),
            at: 1_800_000_000,
            reason: "keep-daily 7".into(),
        }),
    );
    out
}

/// Seeds for `key_file`, `key_envelope` and `status`.
fn key_and_status_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let kf = KeyFile::generate(&[]).expect("key");
    out.push(("key_file", serde_json::to_vec(&kf).expect("json")));
    let (_, fid) = envelope_keys();
    let content = envelope::Content {
        node: "web-01".into(),
        chunk_key: crate::secret::Secret::new("ab".repeat(32)),
        storage: "/srv/backup/web-01".into(),
    };
    let sk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let env = envelope::seal(&content, &[fid.to_public()], &sk).expect("envelope");
    out.push(("key_envelope", env.into_bytes()));
    let node = crate::status::NodeIdentity::generate();
    let mut ev = crate::status::Event::new(
        crate::status::EventKind::Finished,
        &"0f".repeat(16),
        "files",
        "fs",
        1_799_999_995,
        1_800_000_000,
    );
    ev.ended_at = Some(1_800_000_000);
    ev.result = Some(crate::status::RunResult::Success);
    ev.bytes_total = 1;
    ev.repository = Some("ab".repeat(32));
    ev.seq = Some(8);
    ev.prev = Some("cd".repeat(32));
    ev.prev_seq = Some(7);
    let envl = node.sign("web-01", &ev, 1_800_000_000);
    out.push(("status", serde_json::to_vec(&envl).expect("json")));
    let req = node.enrol_request("web-01", "bnc-0123", 1_800_000_000);
    out.push(("status", serde_json::to_vec(&req).expect("json")));
    out
}

/// A tagged payload made with the writer's codec when it compresses, else
/// one zstd frame as the writer makes it (content size, no checksum).
fn payload(data: &[u8], with: codec::Codec) -> Vec<u8> {
    let c = codec::compress(data, with);
    if c[0] != codec::RAW || with == codec::Codec::None {
        return c;
    }
    let mut out = vec![codec::ZSTD];
    out.extend(::zstd::bulk::compress(data, 3).expect("zstd"));
    out
}

/// Seeds for `zstd`: writer frames of text and of trees, frames without a
/// content size or with a checksum, raw, RLE and many-block frames, and a
/// frame that decodes to more than its recorded length.
fn zstd_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use std::io::Write;
    let text: Vec<u8> = (0..400)
        .flat_map(|i| format!("{i:05} banana split {}\n", i % 7).into_bytes())
        .collect();
    let tree = crate::format::to_cbor(&pack_plain::seed_trees()[2]);
    let random: Vec<u8> = (0..300u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut frames = vec![
        (
            text.len(),
            payload(&text, codec::Codec::Zstd(3))[1..].to_vec(),
        ),
        (tree.len(), ::zstd::bulk::compress(&tree, 19).expect("zstd")),
        (
            random.len(),
            ::zstd::bulk::compress(&random, 3).expect("zstd"),
        ),
        (
            200_000,
            ::zstd::bulk::compress(&[0; 200_000], 3).expect("zstd"),
        ),
        (1000, ::zstd::bulk::compress(&[0; 65_536], 1).expect("zstd")),
        (
            1,
            vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 13 << 3, 9, 0, 0, b'x'],
        ),
    ];
    // Streamed: no content size, with a checksum, blocks of 128 KiB.
    let many: Vec<u8> = (0..300_000u32)
        .map(|i| (i % 251) as u8 ^ (i >> 12) as u8)
        .collect();
    let mut e = ::zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd");
    e.include_checksum(true).expect("zstd");
    e.include_contentsize(false).expect("zstd");
    e.write_all(&many).expect("zstd");
    frames.push((many.len(), e.finish().expect("zstd")));
    frames
        .into_iter()
        .map(|(want, frame)| {
            let mut v = (want as u32).to_le_bytes().to_vec();
            v.extend(frame);
            ("zstd", v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `zstd` seeds decode, but for the frame longer than its recorded
    /// length.
    #[test]
    fn zstd_seeds_decode() {
        for (_, input) in zstd_seeds() {
            let want = u32::from_le_bytes(input[..4].try_into().unwrap());
            let mut payload = vec![codec::ZSTD];
            payload.extend_from_slice(&input[4..]);
            assert_eq!(
                codec::decompress(&payload, want as usize).is_ok(),
                want != 1000,
                "{want}"
            );
            zstd(&input);
        }
    }
}
