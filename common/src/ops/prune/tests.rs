//! Retention: the policy table (docs/retention.md) and the protocol beside
//! running backups, on the in-memory backend (the real backends' part, a
//! dated listing and delete, is tested against the servers).

use super::policy::{decide, Dated, Policy, Verdict};
use super::*;
use crate::backend::Backend;
use crate::crypto::keyfile::KeyFile;
use crate::format::{RunInfo, Summary};
use crate::ops::backup::{backup, BackupOptions, BackupOutcome, StreamSource};
use crate::repo::{BlobReader, RepoOptions, Repository};
use crate::testing::{FaultyBackend, MemoryBackend};
use chrono::Datelike;
use std::collections::BTreeSet;

const DAY: i64 = 86_400;

fn snap(time: i64, job: &str, status: RunStatus, tags: &[&str]) -> Snapshot {
    let mut s = Snapshot::empty();
    s.time = (time, 0);
    s.hostname = "node".into();
    s.tags = tags.iter().map(|t| t.to_string()).collect();
    s.run = RunInfo {
        job: Some(job.into()),
        status,
        ..Default::default()
    };
    s.summary = Summary::default();
    s
}

/// 100 snapshots of 3 jobs over two years: irregular gaps, some partial,
/// some failed, a few tagged.
fn two_years() -> Vec<(Id, Snapshot)> {
    let mut out = Vec::new();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut t = 1_700_000_000i64;
    for i in 0..100u32 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Mostly a few days apart, sometimes hours, sometimes weeks.
        t += match rng % 10 {
            0 => 3 * 3600,
            1..=6 => (rng % 5 + 1) as i64 * DAY,
            7 | 8 => (rng % 10 + 3) as i64 * DAY,
            _ => 20 * DAY,
        };
        let status = match rng % 11 {
            0 | 1 => RunStatus::Failed,
            2 | 3 => RunStatus::Partial,
            _ => RunStatus::Ok,
        };
        let job = ["etc", "db", "home"][(rng % 3) as usize];
        let tags: &[&str] = if i % 17 == 0 { &["keep"] } else { &[] };
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&i.to_be_bytes());
        out.push((Id(id), snap(t, job, status, tags)));
    }
    out
}

/// The table in docs/retention.md, written as sets: a second reading of
/// the rules, independent of `policy::decide`'s loop.
fn reference(p: &Policy, group: &[Dated<'_>]) -> BTreeSet<Id> {
    let good: Vec<&Dated<'_>> = group
        .iter()
        .filter(|d| !d.skewed && d.snap.run.status != RunStatus::Failed)
        .collect();
    let newest_first = |v: &mut Vec<&Dated<'_>>| {
        v.sort_by_key(|d| std::cmp::Reverse((d.date, d.snap.time, d.snap.seq, d.id)))
    };
    let mut good = good;
    newest_first(&mut good);
    let mut keep = BTreeSet::new();
    keep.extend(good.iter().take(3).map(|d| d.id));
    keep.extend(good.iter().take(p.keep_last as usize).map(|d| d.id));
    let date = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap().date_naive();
    type Key = Box<dyn Fn(i64) -> String>;
    let rules: [(u32, Key); 5] = [
        (p.keep_hourly, Box::new(move |t| format!("{}", t / 3600))),
        (p.keep_daily, Box::new(move |t| date(t).to_string())),
        (
            p.keep_weekly,
            Box::new(move |t| {
                let w = date(t).iso_week();
                format!("{}-{}", w.year(), w.week())
            }),
        ),
        (
            p.keep_monthly,
            Box::new(move |t| format!("{}-{}", date(t).year(), date(t).month())),
        ),
        (p.keep_yearly, Box::new(move |t| date(t).year().to_string())),
    ];
    for (n, key) in &rules {
        let mut keys: Vec<String> = Vec::new();
        for d in &good {
            let k = key(d.date);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        for k in keys.iter().take(*n as usize) {
            let in_bucket: Vec<&&Dated<'_>> = good.iter().filter(|d| key(d.date) == *k).collect();
            let pick = in_bucket
                .iter()
                .find(|d| d.snap.run.status == RunStatus::Ok)
                .or(in_bucket.first())
                .unwrap();
            keep.insert(pick.id);
        }
    }
    if let (Some(w), Some(newest)) = (p.keep_within, good.first()) {
        keep.extend(
            good.iter()
                .filter(|d| d.date >= newest.date - w as i64)
                .map(|d| d.id),
        );
    }
    for d in group {
        if !d.skewed && d.snap.tags.iter().any(|t| p.keep_tag.contains(t)) {
            keep.insert(d.id);
        }
        let newer_good = good.iter().any(|g| {
            (g.date, g.snap.time, g.snap.seq, g.id) > (d.date, d.snap.time, d.snap.seq, d.id)
        });
        if d.snap.run.status == RunStatus::Failed && !newer_good && !d.skewed {
            keep.insert(d.id);
        }
    }
    keep
}

fn policies() -> Vec<Policy> {
    let p = |f: &dyn Fn(&mut Policy)| {
        let mut p = Policy::default();
        f(&mut p);
        p
    };
    vec![
        p(&|p| p.keep_last = 1),
        p(&|p| p.keep_last = 10),
        p(&|p| p.keep_hourly = 48),
        p(&|p| p.keep_daily = 7),
        p(&|p| p.keep_daily = 30),
        p(&|p| p.keep_weekly = 8),
        p(&|p| p.keep_monthly = 12),
        p(&|p| p.keep_yearly = 5),
        p(&|p| p.keep_within = Some(60 * DAY as u64)),
        p(&|p| p.keep_tag = vec!["keep".into()]),
        p(&|p| {
            p.keep_daily = 7;
            p.keep_weekly = 4;
            p.keep_monthly = 12;
            p.keep_yearly = 3
        }),
        p(&|p| {
            p.keep_last = 2;
            p.keep_within = Some(10 * DAY as u64);
            p.keep_tag = vec!["keep".into()]
        }),
    ]
}

#[test]
fn policies_keep_what_the_table_says() {
    let all = two_years();
    let mut jobs: BTreeMap<&str, Vec<Dated<'_>>> = BTreeMap::new();
    for (i, (id, s)) in all.iter().enumerate() {
        jobs.entry(s.run.job.as_deref().unwrap())
            .or_default()
            .push(Dated {
                id: *id,
                snap: s,
                date: s.time.0,
                // Two snapshots whose storage date disagrees with their claim.
                skewed: i == 40 || i == 97,
            });
    }
    let mut forgotten_somewhere = 0;
    for p in policies() {
        for (job, group) in &jobs {
            let verdicts = decide(&p, group);
            let kept: BTreeSet<Id> = verdicts
                .iter()
                .filter(|(_, v)| matches!(v, Verdict::Keep(_)))
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(
                kept,
                reference(&p, group),
                "policy {} job {job}",
                p.describe()
            );
            for d in group.iter().filter(|d| d.skewed) {
                assert_eq!(verdicts[&d.id], Verdict::Hold("skew"));
            }
            forgotten_somewhere += verdicts.values().filter(|v| **v == Verdict::Forget).count();
        }
    }
    assert!(
        forgotten_somewhere > 200,
        "the policies must forget something"
    );
    // A hand-checked case: daily 2 over one day of three runs (ok at 01:00,
    // partial at 05:00, failed at 09:00) and one the day before.
    let day = 1_700_006_400; // 2023-11-15 00:00 UTC
    let s = [
        snap(day - 3600, "j", RunStatus::Ok, &[]),
        snap(day + 3600, "j", RunStatus::Ok, &[]),
        snap(day + 5 * 3600, "j", RunStatus::Partial, &[]),
        snap(day + 9 * 3600, "j", RunStatus::Failed, &[]),
        snap(day - 3 * DAY, "j", RunStatus::Ok, &[]),
        snap(day - 4 * DAY, "j", RunStatus::Ok, &[]),
    ];
    let group: Vec<Dated<'_>> = s
        .iter()
        .enumerate()
        .map(|(i, s)| Dated {
            id: Id([i as u8; 32]),
            snap: s,
            date: s.time.0,
            skewed: false,
        })
        .collect();
    let v = decide(
        &Policy {
            keep_daily: 2,
            ..Default::default()
        },
        &group,
    );
    // Newest 3 that did not fail: 2, 1, 0. Daily: today's newest ok (1), the
    // day before's (0). The failure is the newest run: kept. 4 and 5 go.
    assert!(matches!(v[&Id([1; 32])], Verdict::Keep(ref w) if w.contains(&"daily")));
    assert!(matches!(v[&Id([3; 32])], Verdict::Keep(ref w) if w == &["failed-newest"]));
    assert_eq!(v[&Id([4; 32])], Verdict::Forget);
    assert_eq!(v[&Id([5; 32])], Verdict::Forget);
}

struct Fixture {
    mem: MemoryBackend,
    key: KeyFile,
    repo: Repository,
    state: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let mem = MemoryBackend::default();
    let key = KeyFile::generate(&[]).unwrap();
    let opts = RepoOptions {
        pack_size: 64 << 10,
        ..Default::default()
    };
    let repo = Repository::init(Box::new(mem.clone()), &key.backup_key(), &opts).unwrap();
    Fixture {
        mem,
        key,
        repo,
        state: tempfile::tempdir().unwrap(),
    }
}

fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn save(repo: &Repository, job: &str, data: Vec<u8>) -> crate::Result<BackupOutcome> {
    let source = StreamSource::new(Box::new(std::io::Cursor::new(data)), "data").unwrap();
    let mut opts = BackupOptions::new(Box::new(source));
    opts.job = Some(job.into());
    opts.hostname = "node".into();
    backup(
        repo,
        opts,
        &crate::progress::Silent,
        &crate::progress::Progress::default(),
        &mut |_| {},
    )
}

/// Reads a snapshot's stream back with the full key.
fn restored(f: &Fixture, snapshot: &Snapshot) -> Vec<u8> {
    let loaded = f.repo.load_index().unwrap();
    let restore = f.key.restore_key().unwrap();
    let mut reader = BlobReader::new(&f.repo, &loaded.index, &restore).unwrap();
    let nodes = reader.tree(&snapshot.tree).unwrap().nodes;
    let mut body = Vec::new();
    for c in &nodes[0].content {
        body.extend(reader.read(c).unwrap());
    }
    body
}

/// `check --read-data` with the full key finds nothing wrong.
fn assert_sound(f: &Fixture) {
    let report = crate::ops::check::check(
        &f.repo,
        &f.key.restore_key().unwrap(),
        &crate::ops::check::CheckOptions {
            read_data: true,
            state_dir: None,
        },
        &crate::progress::Silent,
        &crate::progress::Progress::default(),
    )
    .unwrap();
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}

fn opts(keep_last: u32, grace: i64, now: i64) -> PruneOptions {
    PruneOptions {
        policies: Policies {
            default: Some(Policy {
                keep_last,
                ..Default::default()
            }),
            jobs: BTreeMap::new(),
        },
        grace,
        force: true,
        max_skew: i64::MAX / 4,
        by: "test".into(),
        now: Some(now),
        ..Default::default()
    }
}

fn listing(b: &dyn Backend) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for k in [
        Kind::Data,
        Kind::Index,
        Kind::Snapshot,
        Kind::Refs,
        Kind::Forget,
    ] {
        out.extend(b.list(k).unwrap().into_iter().map(|(n, _)| (k, n)));
    }
    out
}

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
            let source =
                StreamSource::new(Box::new(std::io::Cursor::new(data.clone())), "data").unwrap();
            let mut o = BackupOptions::new(Box::new(source));
            o.job = Some("a".into());
            o.hostname = "node".into();
            let c = clock.clone();
            o.commit_check = (
                std::time::Duration::from_secs(1),
                Some(std::sync::Arc::new(move || {
                    std::time::Duration::from_secs(c.load(SeqCst) as u64)
                })),
            );
            let r = backup(
                &node,
                o,
                &crate::progress::Silent,
                &crate::progress::Progress::default(),
                &mut |_| {},
            );
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
    let refused = match &outcome {
        Ok(_) => false,
        Err(e) => {
            assert!(
                e.message().contains("nothing was committed"),
                "seed {seed}: {e}"
            );
            true
        }
    };
    assert_sound(&f);
    for (_, s) in f.repo.snapshots().unwrap() {
        let body = restored(&f, &s);
        assert!(body.len() >= 100_000, "seed {seed}");
    }
    if let Ok(o) = &outcome {
        assert_eq!(restored(&f, &o.snapshot), data, "seed {seed}");
    } else {
        let o = save(&f.repo, "a", data.clone()).unwrap();
        assert_eq!(restored(&f, &o.snapshot), data, "seed {seed}");
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

/// A snapshot as a node could write it: any time it likes, storage dating
/// it `written`.
fn forge(f: &Fixture, time: i64, written: i64, seq: u64, tag: &str) -> Id {
    let mut s = snap(time, "a", RunStatus::Ok, &[tag]);
    s.seq = Some(seq);
    s.summary.duration_ms = 5_000;
    let id = f
        .repo
        .save(Kind::Snapshot, crate::crypto::SealKind::Snapshot, &s)
        .unwrap();
    f.mem.set_written(Kind::Snapshot, &id.to_hex(), written);
    id
}

fn daily(keep_daily: u32, force: bool, now: i64) -> PruneOptions {
    PruneOptions {
        policies: Policies {
            default: Some(Policy {
                keep_daily,
                ..Default::default()
            }),
            jobs: BTreeMap::new(),
        },
        grace: 0,
        force,
        forget_only: true,
        by: "test".into(),
        now: Some(now),
        ..Default::default()
    }
}

/// 60 real dailies, pruned to 30; then the node, compromised, writes 20
/// snapshots claiming times a year off, re-uploads 5 real ones (storage
/// dates them now) and floods today with 500 tiny ones. Forced, the prune
/// keeps every real snapshot an honest day (one real backup today) keeps;
/// the 20 are held and kept; unforced, it stops at max_forget (exit 3).
#[test]
fn a_compromised_node_cannot_steer_retention() {
    let start = 1_780_000_000 - 1_780_000_000 % DAY;
    let real_day = |d: i64| start + d * DAY + 2 * 3600;
    let world = |attack: bool| {
        let f = fixture();
        let mut real = Vec::new();
        for d in 0..60 {
            real.push(forge(
                &f,
                real_day(d),
                real_day(d) + 5,
                d as u64 + 1,
                "real",
            ));
        }
        let first = prune(
            &f.repo,
            f.state.path(),
            &daily(30, true, real_day(59) + 3600),
        )
        .unwrap();
        assert_eq!(first.forgotten.len(), 30);
        let now = real_day(60) + 3600;
        let mut seq = 61;
        if attack {
            for i in 0..20i64 {
                let off = if i % 2 == 0 { 365 * DAY } else { -365 * DAY };
                forge(&f, now + off + i, now - 60 + i, seq, "forged");
                seq += 1;
            }
            for id in &real[50..55] {
                f.mem.set_written(Kind::Snapshot, &id.to_hex(), now - 30);
            }
            for i in 0..500 {
                let t = now - 3600 + i * 7;
                forge(&f, t, t + 5, seq, "tiny");
                seq += 1;
            }
        } else {
            forge(&f, real_day(60), real_day(60) + 5, seq, "real");
        }
        (f, real, now)
    };
    let kept_real = |f: &Fixture| -> BTreeSet<Id> {
        f.repo
            .snapshots()
            .unwrap()
            .into_iter()
            .filter(|(_, s)| s.tags == ["real"])
            .map(|(id, _)| id)
            .collect()
    };
    let (honest, honest_real, now) = world(false);
    prune(&honest.repo, honest.state.path(), &daily(30, true, now)).unwrap();
    let honest_kept: BTreeSet<Id> = kept_real(&honest)
        .into_iter()
        .filter(|id| honest_real.contains(id))
        .collect();
    assert_eq!(
        honest_kept.len(),
        29,
        "one real day makes way for today's backup"
    );

    let (f, real, now) = world(true);
    let capped = prune(&f.repo, f.state.path(), &daily(30, false, now)).unwrap();
    let group = 30 + 20 + 500;
    assert_eq!(
        capped.forgotten.len(),
        (group as f64 * DEFAULT_MAX_FORGET).ceil() as usize
    );
    assert!(capped.held.iter().any(|h| h.reason == "max-forget"));
    let forced = prune(&f.repo, f.state.path(), &daily(30, true, now)).unwrap();
    let skewed: Vec<&Held> = forced.held.iter().filter(|h| h.reason == "skew").collect();
    assert_eq!(skewed.len(), 20, "{:?}", forced.held);
    let left = f.repo.snapshots().unwrap();
    assert_eq!(
        left.iter().filter(|(_, s)| s.tags == ["forged"]).count(),
        20
    );
    let kept: BTreeSet<Id> = kept_real(&f);
    let honest_ids: BTreeSet<usize> = honest_kept
        .iter()
        .map(|id| honest_real.iter().position(|r| r == id).unwrap())
        .collect();
    for i in honest_ids {
        assert!(
            kept.contains(&real[i]),
            "real day {i} forgotten under attack"
        );
    }
    // The re-uploaded ones kept their dates: still days 50–54, kept.
    assert!(real[50..55].iter().all(|id| kept.contains(id)));
}
