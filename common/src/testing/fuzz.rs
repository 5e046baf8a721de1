//! The entry points of the fuzz targets (`fuzz/fuzz_targets/`), here so that
//! `cargo test` replays every committed corpus and crash case through the
//! same code (`xtask`'s `fuzz_corpora_replay`). Each takes arbitrary bytes
//! and must neither panic nor allocate beyond the format's bounds; what it
//! returns is ignored.

use crate::crypto::envelope;
use crate::crypto::keyfile::KeyFile;
use crate::crypto::{Keys, SealKind};
use crate::format::tree::Tree;
use crate::format::{codec, from_cbor, Config, IndexFile, PackHeader, Refs, Snapshot};
use crate::id::Id;
use std::sync::OnceLock;

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
/// starts (`cargo xtask fuzz-seeds` writes them under `fuzz/corpus/`).
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    use crate::format::{to_cbor, BlobKind};
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
    let mut ev =
        crate::testing::finished("files", crate::status::RunResult::Success, 1, 1_800_000_000);
    ev.repository = Some("ab".repeat(32));
    ev.seq = Some(8);
    ev.prev = Some("cd".repeat(32));
    ev.prev_seq = Some(7);
    let envl = node.seal("web-01", &ev, 1_800_000_000);
    out.push(("status", serde_json::to_vec(&envl).expect("json")));
    let req = node.enrol_request("web-01", "bnc-0123", 1_800_000_000);
    out.push(("status", serde_json::to_vec(&req).expect("json")));
    out
}
