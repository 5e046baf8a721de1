//! Partial verification (`--read-data-subset`), counted by the backend.

use super::*;
use crate::backend::Backend;
use crate::crypto::keyfile::KeyFile;
use crate::ops::backup::{backup, BackupOptions, StreamSource};
use crate::progress::{Progress, Silent};
use crate::repo::RepoOptions;
use crate::testing::{FaultyBackend, MemoryBackend, Op};

#[test]
fn groups_one_to_five_read_every_pack_once_and_only_the_damaged_ones_group_fails() {
    let mem = MemoryBackend::default();
    let key = KeyFile::generate(&[]).unwrap();
    let opts = RepoOptions {
        pack_size: 64 << 10,
        ..Default::default()
    };
    let repo = Repository::init(Box::new(mem.clone()), &key.backup_key(), &opts).unwrap();
    for seed in 1..=8 {
        let data = std::io::Cursor::new(crate::testing::noise(seed, 3 << 20));
        let source = StreamSource::new(Box::new(data), "data").unwrap();
        let o = BackupOptions::new(Box::new(source));
        backup(&repo, o, &Silent, &Progress::default(), &mut |_| {}).unwrap();
    }
    let restore = key.restore_key().unwrap();
    let faulty = FaultyBackend::new(mem.clone(), 1);
    let pause = faulty.pause();
    let counted = Repository::open(Box::new(faulty), &key.backup_key()).unwrap();
    let run = |subset: Option<Subset>| {
        let o = CheckOptions {
            subset,
            ..Default::default()
        };
        check(&counted, &restore, &o, &Silent, &Progress::default()).unwrap()
    };
    let reads = || pause.count(Op::Read, Kind::Data);
    // The trees' walk reads from packs too: what a check without data costs.
    let before = reads();
    let base = run(None);
    let walk = reads() - before;
    assert!(base.packs >= 15, "{} packs", base.packs);
    let mut read = 0;
    for k in 1..=5 {
        let r = run(Some(Subset::Group { k, m: 5 }));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        read += r.packs_read;
    }
    assert_eq!(read, base.packs, "the five groups read every pack");
    assert_eq!(reads() - before, 6 * walk + base.packs, "each exactly once");

    // One byte flipped in a pack: the group that holds it finds it, the
    // others pass.
    // (the largest: a data pack, which the trees' walk does not read).
    let (victim, _) = mem
        .list(Kind::Data)
        .unwrap()
        .into_iter()
        .max_by_key(|(_, size)| *size)
        .unwrap();
    let mut bytes = mem.read(Kind::Data, &victim, u64::MAX).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    mem.remove(Kind::Data, &victim).unwrap();
    mem.write(Kind::Data, &victim, &bytes).unwrap();
    let id: Id = victim.parse().unwrap();
    assert!(
        run(None).problems.is_empty(),
        "a data pack: only reading it finds it"
    );
    for k in 1..=5 {
        let subset = Subset::Group { k, m: 5 };
        let holds = subset.pick(&[(id, 1)]).contains(&id);
        let r = run(Some(subset));
        let found = r.problems.iter().any(|p| p.object.contains(&victim));
        assert_eq!(found, holds, "group {k}: {:?}", r.problems);
    }
}
