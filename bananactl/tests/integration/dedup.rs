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
