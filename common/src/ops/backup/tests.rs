//! The reference list a backup writes names exactly the packs its snapshot
//! needs: reused blobs (stored again, or of a file the catalogue says is
//! unchanged) through their packs, new blobs through the run's new packs.

use super::*;
use crate::crypto::keyfile::KeyFile;
use crate::repo::{BlobReader, RepoOptions};
use crate::testing::MemoryBackend;
use std::collections::BTreeSet;
use std::path::Path;

fn fs_backup(repo: &Repository, state: &Path, src: &Path) -> BackupOutcome {
    let source = walk::FsSource::new(&[src.to_path_buf()], &[], false).unwrap();
    let mut opts = BackupOptions::new(Box::new(source));
    opts.hostname = "node".into();
    opts.state_dir = Some(state.to_path_buf());
    crate::testing::quiet_backup(repo, opts).unwrap()
}

/// The packs holding every blob below `tree` (trees included).
fn needed(reader: &mut BlobReader, index: &crate::repo::Index, tree: &Id) -> BTreeSet<Id> {
    let mut out = BTreeSet::new();
    let mut todo = vec![*tree];
    while let Some(t) = todo.pop() {
        out.insert(index.get(&t).unwrap().0.id);
        for n in reader.tree(&t).unwrap().nodes {
            for c in &n.content {
                out.insert(index.get(c).unwrap().0.id);
            }
            todo.extend(n.subtree);
        }
    }
    out
}

/// A repository of 64 KiB packs in memory.
fn small_packs() -> (KeyFile, Repository) {
    let key = KeyFile::generate(&[]).unwrap();
    let opts = RepoOptions {
        pack_size: 64 << 10,
        ..Default::default()
    };
    let repo =
        Repository::init(Box::new(MemoryBackend::default()), &key.backup_key(), &opts).unwrap();
    (key, repo)
}

/// `n` files of 300 KiB of noise.
fn noise_files(n: u64) -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    for i in 0..n {
        let f = src.path().join(format!("f{i}"));
        std::fs::write(f, crate::testing::noise(i, 300 << 10)).unwrap();
    }
    src
}

#[test]
fn the_reference_list_names_exactly_the_packs_the_snapshot_needs() {
    let (key, repo) = small_packs();
    let state = tempfile::tempdir().unwrap();
    let src = noise_files(6);
    let first = fs_backup(&repo, state.path(), src.path());
    // Unchanged files (the catalogue), a copy of one (its blobs stored
    // again: the index has them), and new content.
    std::fs::write(src.path().join("copy"), crate::testing::noise(2, 300 << 10)).unwrap();
    std::fs::write(src.path().join("new"), crate::testing::noise(99, 300 << 10)).unwrap();
    let second = fs_backup(&repo, state.path(), src.path());
    assert!(second.snapshot.summary.files_unchanged >= 6);

    let loaded = repo.load_index().unwrap();
    let restore = key.restore_key().unwrap();
    let mut reader = BlobReader::new(&repo, &loaded.index, &restore).unwrap();
    for outcome in [&first, &second] {
        let refs: crate::format::Refs = repo
            .load(Kind::Refs, SealKind::Refs, &outcome.snapshot.refs)
            .unwrap();
        let listed: BTreeSet<Id> = refs.packs.iter().copied().collect();
        assert_eq!(listed.len(), refs.packs.len(), "a pack listed twice");
        let need = needed(&mut reader, &loaded.index, &outcome.snapshot.tree);
        assert_eq!(listed, need);
    }
    // The second run reused the first's packs and added its own.
    let second_refs: crate::format::Refs = repo
        .load(Kind::Refs, SealKind::Refs, &second.snapshot.refs)
        .unwrap();
    let first_refs: crate::format::Refs = repo
        .load(Kind::Refs, SealKind::Refs, &first.snapshot.refs)
        .unwrap();
    assert!(
        first_refs
            .packs
            .iter()
            .filter(|p| second_refs.packs.contains(p))
            .count()
            > 0
    );
    assert!(second_refs.packs.len() > first_refs.packs.len() / 2);
}

/// A blob this run already uploaded (its pack's entries moved from the
/// pending set to the run's compact index) is not stored again, and the
/// index files list every new blob once, in the pack that holds it.
#[test]
fn a_blob_of_a_pack_this_run_uploaded_is_not_stored_again() {
    let (key, repo) = small_packs();
    let state = tempfile::tempdir().unwrap();
    let src = noise_files(8);
    // Walked last (names sorted), long after f0's packs went up.
    std::fs::write(
        src.path().join("z-copy"),
        crate::testing::noise(0, 300 << 10),
    )
    .unwrap();
    let only = fs_backup(&repo, state.path(), src.path());
    let unique: u64 = {
        let other = tempfile::tempdir().unwrap();
        let (_, repo2) = small_packs();
        std::fs::remove_file(src.path().join("z-copy")).unwrap();
        fs_backup(&repo2, other.path(), src.path())
            .snapshot
            .summary
            .chunks_added
    };
    assert_eq!(
        only.snapshot.summary.chunks_added, unique,
        "the copy added nothing"
    );
    let mut seen = BTreeSet::new();
    let mut entries = 0;
    for id in &only.snapshot.indexes {
        let file: IndexFile = repo.load(Kind::Index, SealKind::Index, id).unwrap();
        for p in &file.packs {
            let header = crate::repo::pack::read_header(
                repo.backend(),
                &p.id,
                repo.backend()
                    .list(Kind::Data)
                    .unwrap()
                    .iter()
                    .find(|(n, _)| *n == p.id.to_hex())
                    .unwrap()
                    .1,
                repo.keys(),
            )
            .unwrap();
            assert_eq!(header.blobs, p.blobs, "the index lists the pack as written");
            entries += p.blobs.len();
            seen.extend(p.blobs.iter().map(|b| b.id));
        }
    }
    assert_eq!(entries, seen.len(), "a blob listed twice");
    let loaded = repo.load_index().unwrap();
    let restore = key.restore_key().unwrap();
    let mut reader = BlobReader::new(&repo, &loaded.index, &restore).unwrap();
    let refs: crate::format::Refs = repo
        .load(Kind::Refs, SealKind::Refs, &only.snapshot.refs)
        .unwrap();
    let listed: BTreeSet<Id> = refs.packs.iter().copied().collect();
    assert_eq!(
        listed,
        needed(&mut reader, &loaded.index, &only.snapshot.tree)
    );
}
