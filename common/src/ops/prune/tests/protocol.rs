//! The protocol: what a prune deletes, the grace period, backups running
//! beside it, and a prune killed anywhere.

use super::*;

#[test]
fn prune_deletes_only_what_no_remaining_snapshot_needs() {
    let f = fixture();
    let shared = content(99, 80_000);
    let mut saved = Vec::new();
    for i in 0..6u64 {
        let mut data = content(i + 1, 200_000);
        if i == 0 || i == 5 {
            data.extend(&shared);
        }
        saved.push((save(&f.repo, "a", data.clone()).unwrap(), data));
    }
    let before = listing(f.repo.backend());
    let now = crate::unix_now();
    let mut dry = opts(1, 0, now);
    dry.dry_run = true;
    let r = prune(&f.repo, f.state.path(), &dry).unwrap();
    assert_eq!(
        r.lines
            .iter()
            .filter(|l| l.verdict == Verdict::Forget)
            .count(),
        3
    );
    assert_eq!(
        listing(f.repo.backend()),
        before,
        "a dry run changes nothing"
    );

    // The reaper: a store opened with the metadata key alone, counted.
    let counted = FaultyBackend::new(f.mem.clone(), 1);
    let pause = counted.pause();
    let reaper = crate::repo::Store::open(
        Box::new(counted),
        &crate::crypto::MetadataKey::derive(&f.key.backup_key().chunk_key),
    )
    .unwrap();
    let r = prune(&reaper, f.state.path(), &opts(1, 0, now)).unwrap();
    assert_eq!(
        pause.count(crate::testing::Op::Read, Kind::Data),
        0,
        "no pack is read"
    );
    assert!(
        pause.count(crate::testing::Op::Write, Kind::Data) > 0,
        "packs are deleted"
    );
    // The newest three are never forgotten.
    assert_eq!(r.forgotten.len(), 3);
    let left: BTreeSet<Id> = f
        .repo
        .snapshots()
        .unwrap()
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(left, saved[3..].iter().map(|(o, _)| o.id).collect());
    assert!(r.deleted_packs > 0 && r.freed_bytes > 400_000, "{r:?}");
    let (records, bad) = f.repo.forgets().unwrap();
    assert!(bad.is_empty());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].1.snapshots.len(), 3);
    assert_sound(&f);
    for (o, data) in &saved[3..] {
        assert_eq!(&restored(&f, &o.snapshot), data);
    }
    // The shared chunk's pack stays: snapshot 5 needs it.
    let again = prune(&f.repo, f.state.path(), &opts(1, 0, now + 1)).unwrap();
    assert_eq!(again.deleted_packs, 0);
    assert_eq!(again.forgotten.len(), 0);
}

#[test]
fn a_sweep_waits_for_the_grace_period_and_backups_avoid_condemned_packs() {
    let f = fixture();
    let first = content(7, 150_000);
    for i in 0..4u64 {
        let data = if i == 0 {
            first.clone()
        } else {
            content(100 + i, 150_000)
        };
        save(&f.repo, "a", data).unwrap();
    }
    let t0 = crate::unix_now();
    // First sight: index files are young, nothing is condemned yet.
    let r = prune(&f.repo, f.state.path(), &opts(1, 100, t0)).unwrap();
    assert_eq!((r.forgotten.len(), r.condemned), (1, 0));
    let r = prune(&f.repo, f.state.path(), &opts(1, 100, t0 + 150)).unwrap();
    assert!(r.condemned > 0 && r.deleted_packs == 0, "{r:?}");
    let loaded = f.repo.load_index().unwrap();
    assert_eq!(loaded.condemned.len() as u64, r.condemned);
    assert_sound(&f);
    // A backup of the forgotten data now stores it again, in a new pack.
    let redo = save(&f.repo, "a", first.clone()).unwrap();
    assert!(
        redo.snapshot.summary.bytes_stored > 100_000,
        "{:?} {r:?}",
        redo.snapshot.summary
    );
    let r = prune(&f.repo, f.state.path(), &opts(1, 100, t0 + 200)).unwrap();
    assert_eq!(r.deleted_packs, 0, "not before the grace period: {r:?}");
    let r = prune(&f.repo, f.state.path(), &opts(1, 100, t0 + 300)).unwrap();
    assert!(r.deleted_packs > 0, "{r:?}");
    assert_sound(&f);
    assert_eq!(restored(&f, &redo.snapshot), first);
}

/// A backup paused at a seeded point while retention marks and sweeps:
/// whatever the interleaving, the repository stays sound, every snapshot
/// restores, and a backup that lost its packs committed nothing.
#[test]
fn retention_beside_paused_backups_keeps_every_snapshot_whole() {
    let seeds: u64 = std::env::var("BANANA_PRUNE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let mut failed_commits = 0;
    for seed in 0..seeds {
        failed_commits += u32::from(interleaving(seed));
    }
    // The point of the exercise: some interleavings must race.
    assert!(
        seeds < 50 || failed_commits > 0,
        "no backup ever lost a race"
    );
}

/// One interleaving; true when the paused backup's commit check refused.
/// Time is the reaper's simulated clock (grace 2 s, each prune one second
/// later), and the backup's commit check measures it too (valid 1 s, as a
/// real one is valid 60 s against a grace of hours). The write of the
/// snapshot itself is bounded (a request and its retries): while it is
/// paused, less than the grace period passes.
fn interleaving(seed: u64) -> bool {
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::SeqCst};
    let f = fixture();
    let old = content(seed * 7 + 1, 120_000);
    for i in 0..4u64 {
        let data = if i == 0 {
            old.clone()
        } else {
            content(seed * 7 + 2 + i, 100_000)
        };
        save(&f.repo, "a", data).unwrap();
    }
    let faulty = FaultyBackend::new(f.mem.clone(), seed);
    let pause = faulty.pause();
    let node = Repository::open(Box::new(faulty), &f.key.backup_key()).unwrap();
    let mut rng = seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1;
    let mut roll = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    pause.arm(1 + roll(30));
    let prunes_during = roll(6);
    let t0 = crate::unix_now();
    let clock = std::sync::Arc::new(AtomicI64::new(0));
    let run_prune = |f: &Fixture| {
        let step = clock.fetch_add(1, SeqCst) + 1;
        prune(&f.repo, f.state.path(), &opts(1, 2, t0 + step)).unwrap();
    };
    let mut data = old.clone();
    data.extend(content(seed + 1000, 30_000));
    let done = AtomicBool::new(false);
    let outcome = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let r = backup_on_clock(&node, &data, clock.clone());
            done.store(true, SeqCst);
            r
        });
        if pause.wait(std::time::Duration::from_secs(60), &|| done.load(SeqCst)) {
            let bounded = pause.paused_on() == Some((crate::testing::Op::Write, Kind::Snapshot));
            let n = if bounded {
                prunes_during.min(1)
            } else {
                prunes_during
            };
            for _ in 0..n {
                run_prune(&f);
            }
        }
        pause.release();
        h.join().unwrap()
    });
    for _ in 0..4 {
        run_prune(&f);
    }
    assert_whole(&f, &outcome, &data, seed)
}

/// A backup of `data` whose commit check runs on the test's clock.
fn backup_on_clock(
    node: &Repository,
    data: &[u8],
    clock: std::sync::Arc<std::sync::atomic::AtomicI64>,
) -> crate::Result<BackupOutcome> {
    let source = StreamSource::new(Box::new(std::io::Cursor::new(data.to_vec())), "data").unwrap();
    let mut o = BackupOptions::new(Box::new(source));
    o.job = Some("a".into());
    o.hostname = "node".into();
    o.commit_check = (
        std::time::Duration::from_secs(1),
        Some(std::sync::Arc::new(move || {
            std::time::Duration::from_secs(clock.load(std::sync::atomic::Ordering::SeqCst) as u64)
        })),
    );
    backup(
        node,
        o,
        &crate::progress::Silent,
        &crate::progress::Progress::default(),
        &mut |_| {},
    )
}

/// After the interleaving: sound, every snapshot restores, the paused
/// backup either committed its data whole or nothing (and the next run
/// succeeds). True when it committed nothing.
fn assert_whole(
    f: &Fixture,
    outcome: &crate::Result<BackupOutcome>,
    data: &[u8],
    seed: u64,
) -> bool {
    let refused = match outcome {
        Ok(_) => false,
        Err(e) => {
            assert!(
                e.message().contains("nothing was committed"),
                "seed {seed}: {e}"
            );
            true
        }
    };
    assert_sound(f);
    for (_, s) in f.repo.snapshots().unwrap() {
        let body = restored(f, &s);
        assert!(body.len() >= 100_000, "seed {seed}");
    }
    if let Ok(o) = outcome {
        assert_eq!(restored(f, &o.snapshot), data, "seed {seed}");
    } else {
        let o = save(&f.repo, "a", data.to_vec()).unwrap();
        assert_eq!(restored(f, &o.snapshot), data, "seed {seed}");
    }
    refused
}

/// A prune that dies at any storage operation leaves a sound repository,
/// and the next one finishes the job.
#[test]
fn a_prune_killed_anywhere_is_finished_by_the_next() {
    for point in 1..=20u64 {
        let f = fixture();
        for i in 0..5u64 {
            save(&f.repo, "a", content(point * 10 + i, 90_000)).unwrap();
        }
        let faulty = FaultyBackend::new(f.mem.clone(), point);
        let pause = faulty.pause();
        let store = crate::repo::Store::open(
            Box::new(faulty),
            &crate::crypto::MetadataKey::derive(&f.key.backup_key().chunk_key),
        )
        .unwrap();
        // Mark and sweep in one run (grace 0), killed at the point-th operation
        // of its deleting half (the reads before it are many and harmless).
        let reads = 5 * 3 + 3;
        pause.crash_at(reads + point);
        let now = crate::unix_now();
        let _ = prune(&store, f.state.path(), &opts(1, 0, now));
        assert_sound(&f);
        let r = prune(&f.repo, f.state.path(), &opts(1, 0, now + 1)).unwrap();
        assert!(r.held.is_empty(), "{r:?}");
        let snaps = f.repo.snapshots().unwrap();
        assert_eq!(snaps.len(), 3, "point {point}");
        assert_sound(&f);
        let loaded = f.repo.load_index().unwrap();
        assert!(
            loaded
                .condemned
                .iter()
                .all(|p| !loaded.pack_sizes.contains_key(p)),
            "point {point}"
        );
        assert_eq!(loaded.superseded.len(), 0, "point {point}");
        assert!(loaded.unindexed.is_empty(), "point {point}");
    }
}
