//! The copy on the in-memory backend: the order that keeps the destination
//! a repository after a crash at every operation, damage not copied, the
//! source's losses and the destination's, and what a copy with nothing new
//! sends. The real backends' part is `bananactl/tests/integration/copy.rs`.

use super::*;
use crate::backend::Backend;
use crate::crypto::keyfile::KeyFile;
use crate::crypto::MetadataKey;
use crate::ops::backup::{backup, BackupOptions, StreamSource};
use crate::repo::{RepoOptions, Repository};
use crate::testing::{FaultyBackend, MemoryBackend, Op};

struct Fixture {
    src: MemoryBackend,
    key: KeyFile,
    repo: Repository,
}

fn fixture() -> Fixture {
    let src = MemoryBackend::default();
    let key = KeyFile::generate(&[]).unwrap();
    let opts = RepoOptions {
        pack_size: 64 << 10,
        ..Default::default()
    };
    let repo = Repository::init(Box::new(src.clone()), &key.backup_key(), &opts).unwrap();
    let f = Fixture { src, key, repo };
    save(&f, "etc", 1, 3 << 20);
    save(&f, "db", 2, 2 << 20);
    f
}

fn save(f: &Fixture, job: &str, seed: u64, len: usize) -> Id {
    let data = crate::testing::noise(seed, len);
    let source = StreamSource::new(Box::new(std::io::Cursor::new(data)), "data").unwrap();
    let mut opts = BackupOptions::new(Box::new(source));
    opts.job = Some(job.into());
    opts.hostname = "node".into();
    let out = backup(
        &f.repo,
        opts,
        &crate::progress::Silent,
        &crate::progress::Progress::default(),
        &mut |_| {},
    )
    .unwrap();
    out.id
}

fn store(f: &Fixture, be: Box<dyn Backend>) -> Store {
    Store::open(be, &MetadataKey::derive(&f.key.backup_key().chunk_key)).unwrap()
}

fn source(f: &Fixture) -> Store {
    store(f, Box::new(f.src.clone()))
}

/// `check --read-data` of `dst` with the full key: its problems.
fn problems(f: &Fixture, dst: &MemoryBackend) -> Vec<String> {
    let repo = Repository::open(Box::new(dst.clone()), &f.key.backup_key()).unwrap();
    let report = crate::ops::check::check(
        &repo,
        &f.key.restore_key().unwrap(),
        &crate::ops::check::CheckOptions {
            read_data: true,
            ..Default::default()
        },
        &crate::progress::Silent,
        &crate::progress::Progress::default(),
    )
    .unwrap();
    report
        .problems
        .iter()
        .map(|p| format!("{} {}", p.object, p.message))
        .collect()
}

/// Retention that keeps the newest snapshot of each job (and the three
/// newest, always), forgetting only: what a reaper does to `store`.
fn keep_last_one(store: &Store, by: &str) -> crate::ops::prune::PruneReport {
    let po = crate::ops::prune::PruneOptions {
        policies: crate::ops::prune::Policies {
            default: Some(crate::ops::prune::Policy {
                keep_last: 1,
                ..Default::default()
            }),
            jobs: Default::default(),
        },
        force: true,
        max_skew: i64::MAX / 4,
        by: by.into(),
        forget_only: true,
        ..Default::default()
    };
    let state = tempfile::tempdir().unwrap();
    crate::ops::prune::prune(store, state.path(), &po).unwrap()
}

/// Options with a copier's state file (in the directory returned).
fn with_state() -> (tempfile::TempDir, CopyOptions) {
    let dir = tempfile::tempdir().unwrap();
    let opts = CopyOptions {
        state: Some(dir.path().join("s.json")),
        ..Default::default()
    };
    (dir, opts)
}

fn names(b: &dyn Backend, kind: Kind) -> Vec<String> {
    b.list(kind).unwrap().into_iter().map(|(n, _)| n).collect()
}

fn all(b: &dyn Backend) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for k in [
        Kind::Data,
        Kind::Index,
        Kind::Snapshot,
        Kind::Refs,
        Kind::Key,
        Kind::Forget,
    ] {
        out.extend(names(b, k).into_iter().map(|n| (k, n)));
    }
    out
}

#[test]
fn a_copy_is_the_same_repository_and_a_second_one_writes_nothing() {
    let f = fixture();
    let dst = MemoryBackend::default();
    let (_state, opts) = with_state();
    let r = copy(&source(&f), &FaultyBackend::new(dst.clone(), 1), &opts).unwrap();
    assert!(r.damaged.is_empty(), "{:?}", r.damaged);
    assert_eq!(r.snapshots, 2);
    assert_eq!(all(&dst), all(&f.src), "every object is copied");
    assert!(problems(&f, &dst).is_empty(), "{:?}", problems(&f, &dst));
    assert_eq!(r.objects as usize, all(&f.src).len() + 1, "config too");
    assert!(r.newest.is_some());

    let counted = FaultyBackend::new(dst.clone(), 1);
    let pause = counted.pause();
    let again = copy(&source(&f), &counted, &opts).unwrap();
    assert_eq!((again.objects, again.snapshots), (0, 0));
    for k in [
        Kind::Config,
        Kind::Data,
        Kind::Index,
        Kind::Snapshot,
        Kind::Refs,
        Kind::Key,
        Kind::Forget,
    ] {
        assert_eq!(pause.count(Op::Write, k), 0, "no write of {k:?}");
        assert_eq!(
            pause.count(Op::Read, k),
            u64::from(k == Kind::Config),
            "reads of {k:?}"
        );
    }

    let dry = copy(
        &source(&f),
        &MemoryBackend::default(),
        &CopyOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(dry.objects, 0);
    assert_eq!(dry.planned[&Kind::Snapshot].0, 2);
    assert_eq!(
        dry.planned[&Kind::Data].0 as usize,
        names(&f.src, Kind::Data).len()
    );
}

#[test]
fn a_crash_at_any_operation_leaves_a_repository_and_the_next_copy_completes_it() {
    let f = fixture();
    for seed in 3..6 {
        save(&f, "etc", seed, 10 << 10);
    }
    save(&f, "db", 6, 10 << 10);
    // Retention left a hole in the chain that only its forget record
    // explains, at the destination too.
    assert_eq!(keep_last_one(&source(&f), "test").forgotten.len(), 1);
    let total = {
        let counted = FaultyBackend::new(MemoryBackend::default(), 1);
        let pause = counted.pause();
        copy(&source(&f), &counted, &CopyOptions::default()).unwrap();
        [Op::List, Op::Read, Op::Write]
            .iter()
            .flat_map(|op| {
                [
                    Kind::Config,
                    Kind::Data,
                    Kind::Index,
                    Kind::Snapshot,
                    Kind::Refs,
                    Kind::Key,
                    Kind::Forget,
                ]
                .map(|k| pause.count(*op, k))
            })
            .sum::<u64>()
    };
    assert!(total > 20, "{total} operations");
    for n in 1..=total + 3 {
        let dst = MemoryBackend::default();
        let crashing = FaultyBackend::new(dst.clone(), n);
        crashing.pause().crash_at(n);
        let _ = copy(
            &source(&f),
            &crashing,
            &CopyOptions {
                connections: 1,
                ..Default::default()
            },
        );
        if dst.presence().unwrap() == Presence::Repository {
            let p = problems(&f, &dst);
            assert!(p.is_empty(), "after a crash at operation {n}: {p:?}");
        }
        let before = all(&dst).len() + usize::from(dst.presence().unwrap() == Presence::Repository);
        let r = copy(&source(&f), &dst, &CopyOptions::default()).unwrap();
        assert!(r.damaged.is_empty());
        assert_eq!(r.present, 0, "nothing written twice after a crash at {n}");
        assert_eq!(
            r.objects as usize,
            all(&f.src).len() + 1 - before,
            "after a crash at {n}"
        );
        assert_eq!(all(&dst), all(&f.src));
        assert!(problems(&f, &dst).is_empty());
    }
}

#[test]
fn a_damaged_pack_is_not_copied_nor_what_needs_it() {
    let f = fixture();
    let src = source(&f);
    // The db job's packs: those its snapshot's reference list names.
    let db = src
        .snapshots()
        .unwrap()
        .into_iter()
        .find(|(_, s)| s.job_name() == "db")
        .unwrap();
    let refs: crate::format::Refs = src
        .load(Kind::Refs, crate::crypto::SealKind::Refs, &db.1.refs)
        .unwrap();
    let bad = refs.packs[0].to_hex();
    let mut bytes = f.src.read(Kind::Data, &bad, u64::MAX).unwrap();
    bytes[100] ^= 1;
    f.src.remove(Kind::Data, &bad).unwrap();
    f.src.write(Kind::Data, &bad, &bytes).unwrap();

    let dst = MemoryBackend::default();
    let r = copy(&src, &dst, &CopyOptions::default()).unwrap();
    assert!(
        r.damaged
            .iter()
            .any(|d| d.contains(&bad) && d.contains("does not match its name")),
        "{:?}",
        r.damaged
    );
    assert!(!names(&dst, Kind::Data).contains(&bad));
    assert!(
        !names(&dst, Kind::Snapshot).contains(&db.0.to_hex()),
        "the snapshot that needs it stays behind"
    );
    assert_eq!(r.snapshots, 1, "the other job's snapshot is copied");
    assert!(problems(&f, &dst).is_empty(), "{:?}", problems(&f, &dst));
}

#[test]
fn a_snapshot_gone_from_the_source_without_a_forget_record_is_lost() {
    let f = fixture();
    let dst = MemoryBackend::default();
    let (_state, opts) = with_state();
    copy(&source(&f), &dst, &opts).unwrap();
    let newest = save(&f, "etc", 3, 100 << 10);
    copy(&source(&f), &dst, &opts).unwrap();
    f.src.remove(Kind::Snapshot, &newest.to_hex()).unwrap();
    let r = copy(&source(&f), &dst, &opts).unwrap();
    assert_eq!(r.source_lost, vec![newest]);
    assert!(
        names(&dst, Kind::Snapshot).contains(&newest.to_hex()),
        "the copy keeps it"
    );
    // Also when the destination lost it too: the state remembers.
    dst.remove(Kind::Snapshot, &newest.to_hex()).unwrap();
    assert_eq!(
        copy(&source(&f), &dst, &opts).unwrap().source_lost,
        vec![newest]
    );
    // Accepted once, not reported again.
    let accepted = CopyOptions {
        accept_lost: true,
        ..opts.clone()
    };
    assert!(copy(&source(&f), &dst, &accepted)
        .unwrap()
        .source_lost
        .is_empty());
    assert!(copy(&source(&f), &dst, &opts)
        .unwrap()
        .source_lost
        .is_empty());

    // Retention is not loss: the reaper's forget record explains it (the
    // newest three of a job are always kept).
    for seed in 4..7 {
        save(&f, "db", seed, 10 << 10);
    }
    copy(&source(&f), &dst, &opts).unwrap();
    let pr = keep_last_one(&source(&f), "test");
    assert_eq!(pr.forgotten.len(), 1, "the older db snapshot");
    let r = copy(&source(&f), &dst, &opts).unwrap();
    assert!(r.source_lost.is_empty(), "{:?}", r.source_lost);
    assert!(problems(&f, &dst).is_empty(), "{:?}", problems(&f, &dst));
}

#[test]
fn a_snapshot_the_destination_lost_is_copied_again_unless_its_reaper_forgot_it() {
    let f = fixture();
    let dst = MemoryBackend::default();
    let (_state, opts) = with_state();
    for seed in 5..8 {
        save(&f, "etc", seed, 10 << 10);
    }
    copy(&source(&f), &dst, &opts).unwrap();
    let gone = names(&dst, Kind::Snapshot)[0].clone();
    dst.remove(Kind::Snapshot, &gone).unwrap();
    let r = copy(&source(&f), &dst, &opts).unwrap();
    assert_eq!(
        r.recopied.iter().map(Id::to_hex).collect::<Vec<_>>(),
        vec![gone.clone()]
    );
    assert!(names(&dst, Kind::Snapshot).contains(&gone));

    // The destination's reaper forgets the older etc snapshot.
    let pr = keep_last_one(&store(&f, Box::new(dst.clone())), "copy-reaper");
    let forgot: Vec<String> = pr.forgotten.iter().map(|(id, _)| id.to_hex()).collect();
    assert_eq!(forgot.len(), 1, "{pr:?}");
    let r = copy(&source(&f), &dst, &opts).unwrap();
    assert!(r.recopied.is_empty() && r.snapshots == 0, "{r:?}");
    assert!(!names(&dst, Kind::Snapshot).contains(&forgot[0]));
}

#[test]
fn another_repository_at_the_destination_is_refused() {
    let f = fixture();
    let other = MemoryBackend::default();
    let k = KeyFile::generate(&[]).unwrap();
    Repository::init(
        Box::new(other.clone()),
        &k.backup_key(),
        &RepoOptions::default(),
    )
    .unwrap();
    let e = copy(&source(&f), &other, &CopyOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadInput);
    assert!(e.to_string().contains("holds another repository"), "{e}");
    assert!(names(&other, Kind::Data).is_empty());
}

#[test]
fn a_copy_of_one_job_explains_the_holes_it_leaves() {
    let f = fixture();
    save(&f, "etc", 3, 10 << 10);
    let dst = MemoryBackend::default();
    let (_state, mut opts) = with_state();
    opts.job = Some("etc".into());
    let r = copy(&source(&f), &dst, &opts).unwrap();
    assert_eq!(r.snapshots, 2);
    let dst_store = store(&f, Box::new(dst.clone()));
    assert!(dst_store
        .snapshots()
        .unwrap()
        .iter()
        .all(|(_, s)| s.job_name() == "etc"));
    assert!(problems(&f, &dst).is_empty(), "{:?}", problems(&f, &dst));
    let forgets = names(&dst, Kind::Forget).len();
    save(&f, "db", 4, 10 << 10);
    save(&f, "etc", 5, 10 << 10);
    assert_eq!(copy(&source(&f), &dst, &opts).unwrap().snapshots, 1);
    assert_eq!(
        names(&dst, Kind::Forget).len(),
        forgets + 1,
        "one record for the new db snapshot"
    );
    copy(&source(&f), &dst, &opts).unwrap();
    assert_eq!(
        names(&dst, Kind::Forget).len(),
        forgets + 1,
        "none when nothing is new"
    );
    assert!(problems(&f, &dst).is_empty(), "{:?}", problems(&f, &dst));
}
