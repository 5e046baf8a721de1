//! Acceptance 2: identical content is stored once; an append stores little.

use crate::util::*;

#[test]
fn same_content_twice_is_stored_once() {
    let e = Env::new();
    let data = random_bytes(2, 50 << 20);
    write(&e.path("src/one.bin"), &data);
    e.backup(&[&e.path("src")]);
    let first = e.repo_size();
    write(&e.path("src/copy/two.bin"), &data);
    let s = e.backup(&[&e.path("src")]);
    let growth = e.repo_size() - first;
    println!("second copy of 50 MiB grew the repository by {growth} bytes");
    assert!(
        growth < (50 << 20) / 100,
        "growth {growth} must be < 1 % of 50 MiB"
    );
    assert!(s["bytes_added"].as_u64().unwrap() < 1 << 20, "{s}");
}

#[test]
fn appending_one_mib_to_200_mib_stores_a_few_mib() {
    let e = Env::new();
    let f = e.path("src/big.bin");
    write(&f, &random_bytes(3, 200 << 20));
    e.backup(&[&e.path("src")]);
    let first = e.repo_size();
    {
        use std::io::Write;
        let mut h = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
        h.write_all(&random_bytes(4, 1 << 20)).unwrap();
    }
    e.backup(&[&e.path("src")]);
    let growth = e.repo_size() - first;
    println!("appending 1 MiB to 200 MiB grew the repository by {growth} bytes");
    assert!(growth < 10 << 20, "growth {growth} should be a few MiB");
    assert!(growth > 1 << 20, "the new MiB must be stored");
}

/// `--limit-upload` holds a run to its rate (a lower bound: sleeping is
/// deterministic, so this cannot flake on a loaded machine).
#[test]
fn limit_upload_holds_the_rate_and_the_snapshot_is_whole() {
    let e = Env::with_init(&["--pack-size", "1"]);
    write(&e.path("src/r"), &random_bytes(77, 3 << 20));
    let t = std::time::Instant::now();
    let s = e.json(&[
        "backup",
        e.path("src").to_str().unwrap(),
        "--limit-upload",
        "1024",
    ]);
    let took = t.elapsed().as_secs_f64();
    let stored = s["bytes_stored"].as_u64().unwrap() as f64;
    assert!(stored > 3e6, "{s}");
    assert!(
        took >= stored / (1024.0 * 1024.0) * 0.9,
        "{took:.2}s for {stored} bytes at 1 MiB/s"
    );
    let target = e.path("out");
    e.restore("latest", &target).ok();
    assert_eq!(
        std::fs::read(restored(&target, &e.path("src")).join("r")).unwrap(),
        random_bytes(77, 3 << 20)
    );
}
