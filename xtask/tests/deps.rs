//! What each binary links, read from `cargo tree` (issue 24): the tower
//! cannot reach storage or Vault because their code is not in it, and no
//! binary links a test harness.
#![allow(clippy::expect_used)]

use std::process::Command;

/// The crates a package depends on for a normal (non-test) build.
fn normal_deps(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "-p",
            package,
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_tower_links_no_storage_vault_or_engine_code() {
    let deps = normal_deps("bananaui");
    assert!(deps.iter().any(|d| d == "banana-proto"), "{deps:?}");
    for banned in [
        "banana-common",
        "rust-s3",
        "vaultrs",
        "zstd",
        "xz2",
        "age",
        "banana-testkit",
    ] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "bananaui links {banned}: cargo tree -p bananaui -e normal -i {banned}"
        );
    }
}

#[test]
fn no_binary_links_a_test_harness() {
    for bin in ["bananactl", "bananadm", "bananaui"] {
        let deps = normal_deps(bin);
        assert!(deps.len() > 10, "{bin}: {deps:?}");
        assert!(
            !deps.iter().any(|d| d == "banana-testkit"),
            "{bin} links banana-testkit"
        );
    }
}
