//! Acceptance 6: hostile storage. Damage is reported by object id, never
//! restored as data, and the unaffected files still restore.

use crate::util::*;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

fn flip_bit(p: &Path, rng: &mut impl Rng) {
    let mut b = std::fs::read(p).unwrap();
    let i = rng.gen_range(0..b.len());
    b[i] ^= 1 << rng.gen_range(0..8);
    std::fs::write(p, b).unwrap();
}

fn problems(e: &Env, args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut a = vec!["--json", "check"];
    a.extend_from_slice(args);
    let r = e.run(&a);
    let lines = r.json();
    (
        r.code,
        lines
            .into_iter()
            .filter(|l| l["message_type"] == "problem")
            .collect(),
    )
}

fn reported(problems: &[serde_json::Value], id: &str) -> bool {
    problems
        .iter()
        .any(|p| p["object"].as_str().unwrap().ends_with(id))
}

#[test]
fn one_bit_flipped_in_each_of_100_objects_is_reported_by_id() {
    let e = Env::new();
    for i in 0..30u64 {
        write(
            &e.path(&format!("src/f{i}")),
            &random_bytes(100 + i, 20_000),
        );
        e.backup(&[&e.path("src")]);
    }
    let mut objects: Vec<PathBuf> = e
        .objects()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| !p.ends_with("config"))
        .collect();
    assert!(objects.len() >= 100, "only {} objects", objects.len());
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    objects.truncate(100);
    for o in &objects {
        flip_bit(o, &mut rng);
    }
    let (code, found) = problems(&e, &["--read-data"]);
    assert_eq!(code, 13);
    let missed: Vec<_> = objects
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|id| !reported(&found, id))
        .collect();
    println!(
        "check --read-data reported {}/100 damaged objects",
        100 - missed.len()
    );
    assert!(missed.is_empty(), "not reported: {missed:?}");
}

/// A repository with 20 files of 400 KiB in ~1 MiB packs.
fn many_packs() -> (Env, PathBuf) {
    let e = Env::with_init(&["--pack-size", "1"]);
    let src = e.path("src");
    for i in 0..20u64 {
        write(
            &src.join(format!("f{i:02}")),
            &random_bytes(200 + i, 400 << 10),
        );
    }
    e.backup(&[&src]);
    (e, src)
}

fn data_packs(e: &Env) -> Vec<(PathBuf, u64)> {
    e.objects()
        .into_iter()
        .filter(|(p, _)| p.starts_with(e.repo.join("data")))
        .collect()
}

/// Restores and returns (exit code, files restored identical, files absent).
fn restore_and_compare(e: &Env, src: &Path) -> (i32, usize, Vec<String>) {
    let target = e.path(&format!("t{}", rand::random::<u32>()));
    let code = e.restore("latest", &target).code;
    let (mut same, mut absent) = (0, Vec::new());
    for i in 0..20 {
        let name = format!("f{i:02}");
        match std::fs::read(restored(&target, &src.join(&name))) {
            Ok(b) => {
                assert!(
                    b == std::fs::read(src.join(&name)).unwrap(),
                    "{name} restored with wrong content"
                );
                same += 1;
            }
            Err(_) => absent.push(name),
        }
    }
    (code, same, absent)
}

#[test]
fn a_damaged_pack_costs_only_its_files() {
    let (e, src) = many_packs();
    let (victim, _) = data_packs(&e).into_iter().max_by_key(|(_, s)| *s).unwrap();
    flip_bit(&victim, &mut rand::rngs::StdRng::seed_from_u64(7));
    let (code, found) = problems(&e, &["--read-data"]);
    assert_eq!(code, 13);
    let id = victim.file_name().unwrap().to_string_lossy().into_owned();
    let p = found
        .iter()
        .find(|p| p["object"].as_str().unwrap().ends_with(&id))
        .expect("victim reported");
    let affected: Vec<String> = p["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().rsplit('/').next().unwrap().to_owned())
        .collect();
    assert!(!affected.is_empty(), "affected files listed: {p}");
    let (code, same, mut absent) = restore_and_compare(&e, &src);
    assert_eq!(code, 13, "restore reports the damage");
    absent.sort();
    let mut want = affected.clone();
    want.sort();
    want.dedup();
    assert_eq!(absent, want, "exactly the affected files are missing");
    assert_eq!(same + absent.len(), 20);
}

#[test]
fn swapped_packs_are_detected_and_never_restored_as_data() {
    let (e, src) = many_packs();
    let packs = data_packs(&e);
    let (a, b) = (&packs[0].0, &packs[1].0);
    let (ba, bb) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    std::fs::write(a, &bb).unwrap();
    std::fs::write(b, &ba).unwrap();
    let (code, found) = problems(&e, &["--read-data"]);
    assert_eq!(code, 13);
    for p in [a, b] {
        assert!(reported(&found, &p.file_name().unwrap().to_string_lossy()));
    }
    let (code, same, absent) = restore_and_compare(&e, &src);
    assert_eq!(code, 13);
    assert!(!absent.is_empty() && same < 20);
}

#[test]
fn a_forged_pack_to_the_same_recipient_is_rejected() {
    let (e, src) = many_packs();
    let key: serde_json::Value = serde_json::from_slice(&std::fs::read(&e.key).unwrap()).unwrap();
    let recipient =
        common::crypto::age::parse_recipient(key["recipients"][0].as_str().unwrap()).unwrap();
    let packs = data_packs(&e);
    for (victim, _) in &packs {
        // The attacker knows the recipient (every node does) but not the chunk key.
        let mut w = common::repo::pack::PackWriter::new(std::slice::from_ref(&recipient)).unwrap();
        let evil = b"EVIL CONTENT".repeat(1000);
        w.add(
            common::Id([1; 32]),
            common::format::BlobKind::Data,
            &common::format::codec::compress(&evil, common::format::codec::Codec::default()),
            evil.len(),
        )
        .unwrap();
        let forged = w
            .finish(&common::crypto::Keys::derive(&[9; 32]), true)
            .unwrap();
        std::fs::write(victim, &forged.bytes).unwrap();
    }
    let (code, found) = problems(&e, &["--read-data"]);
    assert_eq!(code, 13);
    assert!(packs
        .iter()
        .all(|(p, _)| reported(&found, &p.file_name().unwrap().to_string_lossy())));
    let target = e.path("t");
    assert_ne!(e.restore("latest", &target).code, 0);
    walk_files(&target, &mut |p| {
        assert!(
            !std::fs::read(p).unwrap().starts_with(b"EVIL"),
            "forged data restored"
        )
    });
    let _ = src;
}

#[test]
fn truncated_and_deleted_packs_are_found_without_reading_data() {
    let (e, _src) = many_packs();
    let packs = data_packs(&e);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&packs[0].0)
        .unwrap();
    f.set_len(packs[0].1 / 2).unwrap();
    std::fs::remove_file(&packs[1].0).unwrap();
    let (code, found) = problems(&e, &[]);
    assert_eq!(code, 13);
    for (p, _) in &packs[..2] {
        assert!(
            reported(&found, &p.file_name().unwrap().to_string_lossy()),
            "{found:?}"
        );
    }
}

#[test]
fn rolled_back_snapshot_and_index_are_detected() {
    let e = Env::new();
    write(&e.path("src/a"), b"first");
    e.backup(&[&e.path("src")]);
    write(&e.path("src/b"), &random_bytes(1, 10_000));
    let newest = e.backup(&[&e.path("src")]);
    let id = newest["snapshot_id"].as_str().unwrap();
    // Storage drops the newest snapshot: this node's state remembers it.
    std::fs::remove_file(e.repo.join("snapshots").join(id)).unwrap();
    let (code, found) = problems(&e, &[]);
    assert_eq!(code, 13);
    assert!(reported(&found, id), "{found:?}");
    // An index file rolled back (deleted): the snapshot that wrote it notices.
    let e2 = Env::new();
    write(&e2.path("src/a"), b"x");
    e2.backup(&[&e2.path("src")]);
    let idx = std::fs::read_dir(e2.repo.join("index"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(&idx).unwrap();
    let (code, found) = problems(&e2, &[]);
    assert_eq!(code, 13);
    assert!(
        reported(&found, &idx.file_name().unwrap().to_string_lossy()),
        "{found:?}"
    );
}

#[test]
fn hostile_snapshot_cannot_write_outside_the_target() {
    use common::format::tree::{Node, NodeKind, Tree};
    use common::format::BlobKind;
    // Build, with the real key, a snapshot whose tree holds a symlink "escape"
    // pointing outside, then a directory of the same name with a file below,
    // plus "..": what a malicious or buggy writer could produce.
    let e = Env::new();
    write(&e.path("src/ok"), b"fine");
    e.backup(&[&e.path("src")]);
    let outside = e.path("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let kf = common::crypto::keyfile::KeyFile::load(&e.key).unwrap();
    let repo = common::repo::Repository::open(
        Box::new(common::backend::LocalBackend::new(&e.repo)),
        &kf.backup_key(),
    )
    .unwrap();
    let keys = repo.keys();
    let payload_file = b"pwned".to_vec();
    let file_id = keys.chunk_id(&payload_file);
    let mut file = Node::new(b"passwd", NodeKind::File);
    file.content = vec![file_id];
    file.size = 5;
    file.mode = 0o644;
    let inner = Tree {
        nodes: vec![file.clone()],
    };
    let inner_bytes = common::format::to_cbor(&inner);
    let inner_id = keys.chunk_id(&inner_bytes);
    let mut link = Node::new(b"escape", NodeKind::Symlink);
    link.target = Some(serde_bytes::ByteBuf::from(
        outside.to_str().unwrap().as_bytes().to_vec(),
    ));
    let mut dir = Node::new(b"escape", NodeKind::Dir);
    dir.subtree = Some(inner_id);
    let mut dotdot = Node::new(b"..", NodeKind::Dir);
    dotdot.subtree = Some(inner_id);
    let mut slashy = file.clone();
    slashy.name = serde_bytes::ByteBuf::from(b"../x".to_vec());
    let root = Tree {
        nodes: vec![link, dir, dotdot, slashy],
    };
    let root_bytes = common::format::to_cbor(&root);
    let root_id = keys.chunk_id(&root_bytes);
    let mut w = common::repo::pack::PackWriter::new(&kf.backup_key().recipients).unwrap();
    for (id, kind, raw) in [
        (file_id, BlobKind::Data, &payload_file),
        (inner_id, BlobKind::Tree, &inner_bytes),
        (root_id, BlobKind::Tree, &root_bytes),
    ] {
        w.add(
            id,
            kind,
            &common::format::codec::compress(raw, common::format::codec::Codec::default()),
            raw.len(),
        )
        .unwrap();
    }
    let p = w.finish(keys, true).unwrap();
    use common::backend::Kind;
    repo.backend()
        .write(Kind::Data, &p.id.to_hex(), &p.bytes)
        .unwrap();
    let ip = common::format::IndexPack {
        id: p.id,
        body_len: p.header.body_len,
        blobs: p.header.blobs,
    };
    let ix = repo
        .save(
            Kind::Index,
            common::crypto::SealKind::Index,
            &common::format::IndexFile {
                packs: vec![ip],
                ..Default::default()
            },
        )
        .unwrap();
    let refs = repo
        .save(
            Kind::Refs,
            common::crypto::SealKind::Refs,
            &common::format::Refs { packs: vec![p.id] },
        )
        .unwrap();
    let (_, mut snap) = repo.resolve("latest").unwrap();
    snap.tree = root_id;
    snap.refs = refs;
    snap.indexes = vec![ix];
    snap.time.0 += 10;
    let sid = repo
        .save(Kind::Snapshot, common::crypto::SealKind::Snapshot, &snap)
        .unwrap();
    let target = e.path("target");
    let r = e.restore(&sid.to_hex(), &target).code(13);
    assert!(r.stderr.contains("refusing"), "{}", r.stderr);
    assert!(
        !outside.join("passwd").exists(),
        "wrote through a symlink outside the target"
    );
    assert!(!e.path("x").exists() && !e.dir.path().join("passwd").exists());
}

#[test]
fn a_damaged_key_envelope_is_reported() {
    let e = Env::new();
    write(&e.path("src/a"), b"x");
    e.backup(&[&e.path("src")]);
    let garbage = b"{not an envelope";
    let name = common::Id::of_object(garbage).to_hex();
    write(&e.repo.join("keys").join(&name), garbage);
    let flipped = common::Id::of_object(b"other").to_hex();
    write(&e.repo.join("keys").join(&flipped), b"something else");
    let (code, found) = problems(&e, &[]);
    assert_eq!(code, 13);
    assert!(
        reported(&found, &name) && reported(&found, &flipped),
        "{found:?}"
    );
}

/// `check --read-data-subset` (issue 26, item 1): three groups of packs by
/// name read every pack once between them, and only the group that holds a
/// damaged pack finds it (exit 13); the summary says what was read; a
/// subset that is not K/M, N% or a size is one line, exit 2.
#[test]
fn a_damaged_pack_is_found_by_the_subset_that_holds_it() {
    let (e, _) = many_packs();
    let packs = data_packs(&e).len() as u64;
    let (victim, _) = data_packs(&e).into_iter().max_by_key(|(_, s)| *s).unwrap();
    flip_bit(&victim, &mut rand::rngs::StdRng::seed_from_u64(11));
    let id = victim.file_name().unwrap().to_string_lossy().into_owned();
    let (mut read, mut found_in) = (0, Vec::new());
    for k in 1..=3 {
        let subset = format!("{k}/3");
        let r = e.run(&["--json", "check", "--read-data-subset", &subset]);
        let lines = r.json();
        let sum = lines.last().unwrap();
        assert_eq!(sum["read_data_subset"], subset.as_str(), "{sum}");
        read += sum["packs_read"].as_u64().unwrap();
        let hit = lines.iter().any(|l| {
            l["message_type"] == "problem" && l["object"].as_str().unwrap().ends_with(&id)
        });
        assert_eq!(r.code, if hit { 13 } else { 0 }, "{subset}: {}", r.stderr);
        if hit {
            found_in.push(k);
        }
    }
    assert!(
        read >= packs,
        "every data pack read once ({read} of at least {packs})"
    );
    assert_eq!(
        found_in.len(),
        1,
        "exactly one group holds the damaged pack"
    );
    let r = e.run(&["check", "--read-data-subset", "50%"]);
    assert!(r.code == 0 || r.code == 13, "{}", r.stderr);
    assert!(r.stdout.contains(" read (50%"), "{}", r.stdout);
    let r = e.run(&["check", "--read-data-subset", "0/3"]).code(2);
    assert!(
        r.one_line_error().contains("--read-data-subset '0/3'"),
        "{}",
        r.stderr
    );
}
