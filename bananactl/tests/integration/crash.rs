//! Acceptance 7: kill -9 at random points leaves a valid repository; earlier
//! snapshots still restore; the next backup completes and reuses the uploads.

use crate::util::*;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Compressible text, so compression keeps a run busy long enough to be killed.
fn text(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let words = [
        "fn", "let", "match", "banana", "backup", "restore", "pack", "index", "=>", "{", "}", "(",
        ");", "\n    ",
    ];
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        out.extend_from_slice(words[rng.gen_range(0..words.len())].as_bytes());
        out.extend_from_slice(format!("{} ", rng.gen_range(0..100_000u32)).as_bytes());
    }
    out.truncate(len);
    out
}

/// Blob id → packs holding it, from every pack header in storage.
fn blob_homes(e: &Env) -> HashMap<common::Id, Vec<common::Id>> {
    let kf = common::crypto::keyfile::KeyFile::load(&e.key).unwrap();
    let repo = common::repo::Repository::open(
        Box::new(common::backend::LocalBackend::new(&e.repo)),
        &kf.backup_key(),
    )
    .unwrap();
    let mut homes: HashMap<common::Id, Vec<common::Id>> = HashMap::new();
    for (p, size) in e
        .objects()
        .into_iter()
        .filter(|(p, _)| p.starts_with(e.repo.join("data")))
    {
        let id: common::Id = p.file_name().unwrap().to_str().unwrap().parse().unwrap();
        for b in common::repo::pack::read_header(repo.backend(), &id, size, repo.keys())
            .unwrap()
            .blobs
        {
            homes.entry(b.id).or_default().push(id);
        }
    }
    homes
}

/// Packs published in the repository so far.
fn packs(e: &Env) -> usize {
    let mut n = 0;
    walk_files(&e.repo.join("data"), &mut |_| n += 1);
    n
}

fn regenerate(src: &Path, round: u64) {
    for i in 0..6u64 {
        let f = (round * 6 + i) % 24;
        write(
            &src.join(format!("f{f:02}")),
            &text(round * 100 + i, 2 << 20),
        );
    }
}

#[test]
fn kill_9_at_20_random_points() {
    let e = Env::with_init(&["--pack-size", "1"]);
    write(&e.path("first/a"), b"the first snapshot");
    e.backup(&[&e.path("first")]);
    let src = e.path("src");
    for i in 0..24u64 {
        write(&src.join(format!("f{i:02}")), &text(i, 2 << 20));
    }
    // How many packs a round's new data makes (a quarter of all files).
    let probe = Env::with_init(&["--pack-size", "1"]);
    probe.backup(&[&src]);
    let per_round = packs(&probe) / 4;
    drop(probe);
    assert!(per_round >= 2, "a round writes {per_round} packs");
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let mut killed = 0;
    for round in 0..20u64 {
        // Every round brings new data, so every run has work to be killed in.
        regenerate(&src, round + 1);
        let before = packs(&e);
        // Killed on progress, not on a clock: once its nth new pack is
        // published the run still has packs, an index and a snapshot to write.
        let nth = rng.gen_range(1..per_round);
        let mut child = e
            .cmd(&["-q", "backup", src.to_str().unwrap()])
            .spawn()
            .unwrap();
        let bound = Instant::now() + Duration::from_secs(600);
        loop {
            if child.try_wait().unwrap().is_some() {
                break; // ended first: not counted
            }
            if packs(&e) >= before + nth {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
                break;
            }
            assert!(
                Instant::now() < bound,
                "round {round}: no pack in 10 minutes"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        child.wait().unwrap();
        e.run(&["check"]).ok();
    }
    println!("killed {killed} of 20 runs ({per_round} new packs a round)");
    assert!(killed >= 10, "most runs must really be interrupted");
    e.backup(&[&src]);
    let homes = blob_homes(&e);
    let twice: Vec<_> = homes.iter().filter(|(_, p)| p.len() > 1).collect();
    println!(
        "{} blobs in packs, {} stored more than once",
        homes.len(),
        twice.len()
    );
    assert!(
        twice.is_empty(),
        "uploads of killed runs were not reused: {} blobs stored twice",
        twice.len()
    );
    e.run(&["check", "--read-data"]).ok();
    let target = e.path("t");
    let snaps = e.run(&["--json", "snapshots"]).ok().json();
    let first_id = snaps
        .iter()
        .find(|s| s["message_type"] == "snapshot")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    e.restore(&first_id, &target).ok();
    assert_eq!(
        std::fs::read(restored(&target, &e.path("first/a"))).unwrap(),
        b"the first snapshot"
    );
    e.restore("latest", &target).ok();
    for i in 0..24 {
        let name = format!("f{i:02}");
        assert!(
            std::fs::read(restored(&target, &src.join(&name))).unwrap()
                == std::fs::read(src.join(&name)).unwrap()
        );
    }
}
