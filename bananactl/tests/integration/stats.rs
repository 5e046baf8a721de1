//! `bananactl stats` (issue 26, item 2): from metadata alone (a backup-only
//! key), what the snapshots would take and what storage holds.

use crate::util::*;

#[test]
fn stats_count_jobs_sizes_and_ratios_with_a_backup_only_key() {
    let e = Env::new();
    let src = e.path("src");
    // Text that compresses, backed up twice unchanged (deduplicated) as
    // job "files", and once more as job "other".
    let line = "2026-12-06 12:00:00 INFO request served in 12 ms\n";
    write(&src.join("log.txt"), line.repeat(40_000).as_bytes());
    write(&src.join("noise.bin"), &random_bytes(5, 300_000));
    let backup_only = e.backup_only_key();
    let node = |args: &[&str]| {
        let mut c = e.cmd(args);
        c.arg("--key-file").arg(&backup_only);
        run(c)
    };
    for job in ["files", "files", "other"] {
        node(&["backup", "--job", job, src.to_str().unwrap()]).ok();
    }
    let logical = (line.len() * 40_000 + 300_000) as u64;
    let s = node(&["--json", "stats"]).ok().summary();
    assert_eq!(s["snapshots"], 3, "{s}");
    assert_eq!(s["jobs"]["files"]["snapshots"], 2, "{s}");
    assert_eq!(s["logical_all_bytes"], 3 * logical, "{s}");
    assert_eq!(s["logical_latest_bytes"], 2 * logical, "{s}");
    assert!(
        s["dedup_ratio"].as_f64().unwrap() > 2.5,
        "three copies stored once: {s}"
    );
    assert!(
        s["compression_ratio"].as_f64().unwrap() > 1.5,
        "the log compresses: {s}"
    );
    let stored = s["stored_bytes"].as_u64().unwrap();
    assert_eq!(
        stored,
        s["pack_bytes"].as_u64().unwrap() + s["metadata_bytes"].as_u64().unwrap()
    );
    assert!(stored < logical, "{s}");
    assert!(s["trees"]["blobs"].as_u64().unwrap() >= 1, "{s}");
    let fill = s["pack_fill"].as_f64().unwrap();
    assert!(fill > 0.5 && fill <= 1.0, "{s}");
    // --job counts that job's snapshots; the storage numbers stay whole.
    let j = node(&["--json", "stats", "--job", "other"]).ok().summary();
    assert_eq!(
        (j["snapshots"].as_u64(), j["stored_bytes"].as_u64()),
        (Some(1), Some(stored))
    );
    let text = node(&["stats"]).ok().stdout;
    assert!(
        text.contains("deduplication") && text.contains("(2 job(s))"),
        "{text}"
    );
}
