//! Retention: the policy table (docs/retention.md) and the protocol beside
//! running backups, on the in-memory backend (the real backends' part, a
//! dated listing and delete, is tested against the servers).

use super::policy::{Policy, Verdict};
use super::*;
use crate::backend::Backend;
use crate::crypto::keyfile::KeyFile;
use crate::format::{RunInfo, Summary};
use crate::ops::backup::{backup, BackupOptions, BackupOutcome, StreamSource};
use crate::repo::{BlobReader, RepoOptions, Repository};
use crate::testing::{FaultyBackend, MemoryBackend};
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

mod attack;
mod policy;
mod protocol;

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
    crate::testing::noise(seed, len)
}

fn save(repo: &Repository, job: &str, data: Vec<u8>) -> crate::Result<BackupOutcome> {
    let source = StreamSource::new(Box::new(std::io::Cursor::new(data)), "data").unwrap();
    let mut opts = BackupOptions::new(Box::new(source));
    opts.job = Some(job.into());
    opts.hostname = "node".into();
    crate::testing::quiet_backup(repo, opts)
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
            ..Default::default()
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
