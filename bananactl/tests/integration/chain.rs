//! The snapshot chain on the node (§6.1 of the format): `seq` and `prev` on
//! every snapshot, the node's own rollback check (exit 3, reason `rollback`,
//! the backup still saved), gaps in `snapshots`, `restore latest` and
//! `check`, forget records that explain a gap, and snapshots from before the
//! chain.

use crate::util::*;
use common::backend::Kind;
use common::crypto::SealKind;
use common::format::{Forget, Snapshot};

fn snapshot_ids(e: &Env) -> Vec<(String, Option<u64>)> {
    e.run(&["--json", "snapshots"])
        .ok()
        .json()
        .into_iter()
        .filter(|v| v["message_type"] == "snapshot")
        .map(|v| (v["id"].as_str().unwrap().to_owned(), v["seq"].as_u64()))
        .collect()
}

fn backup_file(e: &Env, text: &str) -> Run {
    let src = e.path("src");
    std::fs::create_dir_all(&src).unwrap();
    write(&src.join("f"), text.as_bytes());
    e.run(&["--json", "backup", src.to_str().unwrap()])
}

#[test]
fn a_deleted_newest_snapshot_is_a_rollback_and_a_gap_until_a_forget_record_explains_it() {
    let e = Env::new();
    let mut seqs = Vec::new();
    let mut prev = None;
    for i in 0..3 {
        let s = backup_file(&e, &format!("v{i}")).ok().summary();
        assert_eq!(s["prev"].as_str(), prev.as_deref(), "{s}");
        seqs.push(s["seq"].as_u64().unwrap());
        prev = Some(s["snapshot_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(seqs, [1, 2, 3]);
    let listed = snapshot_ids(&e);
    assert_eq!(
        listed.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3)]
    );

    // Storage loses the newest snapshot. The next backup warns, is saved,
    // exits 3 with reason `rollback`, and goes on after what the node wrote.
    let newest = &listed[2].0;
    std::fs::remove_file(e.repo.join("snapshots").join(newest)).unwrap();
    let r = backup_file(&e, "v3").code(3);
    let s = r.summary();
    assert_eq!(s["reason"], "rollback", "{s}");
    assert_eq!(s["seq"], 4, "{s}");
    assert_eq!(s["prev"].as_str(), Some(listed[1].0.as_str()));
    let warned = r.json().into_iter().any(|v| {
        v["message_type"] == "warning"
            && v["kind"] == "rollback"
            && v["message"].as_str().unwrap().contains(&newest[..8])
    });
    assert!(warned, "{}", r.stdout);
    // The snapshot is there and restorable.
    assert_eq!(snapshot_ids(&e).len(), 3);
    let out = e.path("out");
    e.restore("latest", &out).ok();
    assert_eq!(
        std::fs::read(restored(&out, &e.path("src")).join("f")).unwrap(),
        b"v3"
    );

    // The hole shows: in `snapshots`, in `restore latest`, and in `check`.
    let r = e.run(&["snapshots"]).ok();
    assert!(r.stderr.contains("seq 3 is missing"), "{}", r.stderr);
    assert!(r.stdout.contains("1 CHAIN GAPS"), "{}", r.stdout);
    let r = e.restore("latest", &e.path("out2")).ok();
    assert!(r.stderr.contains("chain gap"), "{}", r.stderr);
    let c = e.run(&["--json", "check"]).code(13).summary();
    assert_eq!(c["chain_gaps"], 1, "{c}");

    // A forget record (what retention will write) explains it.
    let cr = Crafter::open(&e);
    let forgotten: common::Id = newest.parse().unwrap();
    let record = Forget {
        snapshots: vec![(forgotten, Some(3))],
        by: "test-reaper".into(),
        at: 1,
        reason: "keep-last 2".into(),
    };
    cr.repo
        .save(Kind::Forget, SealKind::Forget, &record)
        .unwrap();
    let r = e.run(&["snapshots"]).ok();
    assert!(!r.stderr.contains("chain gap"), "{}", r.stderr);
    let c = e.json(&["check"]);
    assert_eq!(
        (c["chain_gaps"].as_u64(), c["forget_records"].as_u64()),
        (Some(0), Some(1)),
        "{c}"
    );

    // A forged forget record explains nothing and is itself a problem.
    let junk = b"not a sealed forget record";
    let name = common::Id::of_object(junk).to_hex();
    std::fs::write(e.repo.join("forgets").join(&name), junk).unwrap();
    let r = e.run(&["check"]).code(13);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(said.contains(&format!("forget record {name}")), "{said}");
}

#[test]
fn a_snapshot_written_before_the_chain_lists_restores_checks_and_starts_it() {
    let e = Env::new();
    let first = backup_file(&e, "old").ok().summary();
    let old_id = first["snapshot_id"].as_str().unwrap().to_owned();
    // Rewrite it as the previous release wrote it: no `seq`, no `prev`
    // (the keys are absent from the sealed CBOR), and node state holding
    // only the id.
    let cr = Crafter::open(&e);
    let id: common::Id = old_id.parse().unwrap();
    let mut snap: Snapshot = cr
        .repo
        .load(Kind::Snapshot, SealKind::Snapshot, &id)
        .unwrap();
    snap.seq = None;
    snap.prev = None;
    let legacy = cr
        .repo
        .save(Kind::Snapshot, SealKind::Snapshot, &snap)
        .unwrap();
    let plain = cr
        .repo
        .keys()
        .open(
            SealKind::Snapshot,
            &std::fs::read(e.repo.join("snapshots").join(legacy.to_hex())).unwrap(),
            "legacy",
        )
        .unwrap();
    let keys: std::collections::BTreeMap<String, serde::de::IgnoredAny> =
        common::format::from_cbor(&plain, "legacy").unwrap();
    assert!(keys.contains_key("tree") && !keys.contains_key("seq") && !keys.contains_key("prev"));
    std::fs::remove_file(e.repo.join("snapshots").join(&old_id)).unwrap();
    for d in std::fs::read_dir(&e.state).unwrap().flatten() {
        let p = d.path().join("last-snapshot");
        if p.exists() {
            std::fs::write(&p, format!("{legacy}\n")).unwrap();
        }
    }

    let listed = snapshot_ids(&e);
    assert_eq!(listed, [(legacy.to_hex(), None)]);
    let r = e.run(&["snapshots"]).ok();
    assert!(!r.stderr.contains("chain gap"), "{}", r.stderr);
    let out = e.path("out");
    e.restore("latest", &out).ok();
    assert_eq!(
        std::fs::read(restored(&out, &e.path("src")).join("f")).unwrap(),
        b"old"
    );
    assert_eq!(e.json(&["check"])["problems"], 0);
    // The next backup starts the chain after it, without an alarm.
    let s = backup_file(&e, "new").ok().summary();
    assert_eq!(
        (s["seq"].as_u64(), s["prev"].as_str()),
        (Some(1), Some(legacy.to_hex().as_str())),
        "{s}"
    );
    assert!(s["reason"].is_null(), "{s}");
    assert_eq!(e.json(&["check"])["chain_gaps"], 0);
}

#[test]
fn concurrent_jobs_get_distinct_seqs_without_a_gap() {
    let e = Env::new();
    let src = e.path("src");
    std::fs::create_dir_all(&src).unwrap();
    write(&src.join("f"), &random_bytes(1, 4 << 20));
    let mut seqs = Vec::new();
    for round in 0..3 {
        let kids: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|job| {
                let mut c = e.cmd(&["--json", "backup", src.to_str().unwrap(), "--job", job]);
                c.stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                c.spawn().unwrap()
            })
            .collect();
        for k in kids {
            let out = k.wait_with_output().unwrap();
            let r = Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                raw: out.stdout,
            }
            .ok();
            let s = r.summary();
            assert!(s["reason"].is_null(), "round {round}: {s}");
            seqs.push(s["seq"].as_u64().unwrap());
        }
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=9).collect::<Vec<u64>>());
    assert_eq!(e.json(&["check"])["chain_gaps"], 0);
}
