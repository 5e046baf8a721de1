//! P1 (storage sees ciphertext only, ids are keyed) and P2 (a backup-only key
//! writes but cannot read).

use crate::util::*;

const MARKERS: [&str; 4] = [
    "BANANA-MARKER-CONTENT-7f3a",
    "BANANA-MARKER-NAME-91bc",
    "BANANA-MARKER-XATTR-55de",
    "BANANA-MARKER-LINK-02aa",
];

#[test]
fn storage_holds_no_plaintext_of_contents_or_names() {
    let e = Env::new();
    let src = e.path("src");
    // Compressible and incompressible content both carry the marker.
    write(&src.join("plain.txt"), MARKERS[0].repeat(10).as_bytes());
    let mut raw = random_bytes(9, 100_000);
    raw[5000..5000 + MARKERS[0].len()].copy_from_slice(MARKERS[0].as_bytes());
    write(&src.join("random.bin"), &raw);
    write(&src.join(MARKERS[1]).join("f"), b"x");
    xattr::set(src.join("plain.txt"), "user.m", MARKERS[2].as_bytes()).unwrap();
    std::os::unix::fs::symlink(MARKERS[3], src.join("link")).unwrap();
    e.backup(&[&src]);
    let mut objects = 0;
    walk_files(&e.repo, &mut |p| {
        objects += 1;
        let bytes = std::fs::read(p).unwrap();
        for m in MARKERS {
            assert!(
                !bytes.windows(m.len()).any(|w| w == m.as_bytes()),
                "{m} found in {}",
                p.display()
            );
        }
        assert!(!p.to_string_lossy().contains("MARKER"));
    });
    assert!(objects >= 5, "repository has {objects} objects");
}

#[test]
fn chunk_ids_depend_on_the_key() {
    use common::crypto::keyfile::KeyFile;
    let a = common::crypto::Keys::derive(&KeyFile::generate(&[]).unwrap().backup_key().chunk_key);
    let b = common::crypto::Keys::derive(&KeyFile::generate(&[]).unwrap().backup_key().chunk_key);
    assert_ne!(a.chunk_id(b"known file"), b.chunk_id(b"known file"));
    // Two repositories with different keys share no object names for the same data.
    let (e1, e2) = (Env::new(), Env::new());
    write(&e1.path("src/f"), &random_bytes(5, 1 << 20));
    write(&e2.path("src/f"), &random_bytes(5, 1 << 20));
    e1.backup(&[&e1.path("src")]);
    e2.backup(&[&e2.path("src")]);
    let names = |e: &Env| {
        e.objects()
            .into_iter()
            .map(|(p, _)| p.file_name().unwrap().to_owned())
            .collect::<std::collections::HashSet<_>>()
    };
    let (n1, n2) = (names(&e1), names(&e2));
    assert!(n1
        .iter()
        .filter(|n| *n != "config")
        .all(|n| !n2.contains(n)));
}

#[test]
fn backup_only_key_writes_but_cannot_read() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("secret.txt"), b"top secret");
    let backup_only = e.backup_only_key();
    let text = std::fs::read_to_string(&backup_only).unwrap();
    assert!(
        !text.contains("AGE-SECRET-KEY"),
        "no identity in a backup-only key"
    );
    let node = |args: &[&str]| {
        let mut c = e.cmd(args);
        c.arg("--key-file").arg(&backup_only);
        run(c)
    };
    let s = node(&["--json", "backup", src.to_str().unwrap()]).ok();
    assert_eq!(s.summary()["files"], 1);
    node(&["snapshots"]).ok();
    node(&["check"]).ok();
    let target = e.path("t");
    for args in [
        vec!["restore", "latest", "--target", target.to_str().unwrap()],
        vec!["dump", "latest", &format!("{}/secret.txt", src.display())],
        vec!["check", "--read-data"],
        vec!["ls", "latest"],
    ] {
        let r = node(&args).code(12);
        let line = r.one_line_error();
        assert!(line.contains("backup half"), "{args:?}: {line}");
        assert!(!r.stdout.contains("top secret"));
    }
    // Nothing was restored: the target was never made, or is empty.
    assert!(
        !target.exists() || std::fs::read_dir(&target).unwrap().count() == 0,
        "a refused restore wrote into {}",
        target.display()
    );
    // The full key reads it all.
    e.restore("latest", &target).ok();
    assert_eq!(
        std::fs::read(restored(&target, &src.join("secret.txt"))).unwrap(),
        b"top secret"
    );
    e.run(&["check", "--read-data"]).ok();
}

#[test]
fn break_glass_recipient_restores_with_identity_file_only() {
    let bg = age_identity();
    let e = Env::with_init(&["--add-recipient", &bg.1]);
    let src = e.path("src");
    write(&src.join("f"), b"needed after losing Vault");
    e.backup(&[&src]);
    let idf = e.path("breakglass.txt");
    std::fs::write(&idf, format!("# offline\n{}\n", bg.0)).unwrap();
    // Only the backup half plus the offline identity.
    let bo = e.path("bo.json");
    e.run(&[
        "key",
        "export",
        "--backup-only",
        "--out",
        bo.to_str().unwrap(),
    ])
    .ok();
    let target = e.path("t");
    let mut c = e.cmd(&[
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--identity-file",
        idf.to_str().unwrap(),
    ]);
    c.arg("--key-file").arg(&bo);
    run(c).ok();
    assert_eq!(
        std::fs::read(restored(&target, &src.join("f"))).unwrap(),
        b"needed after losing Vault"
    );
}

#[test]
fn init_never_overwrites_a_key() {
    let e = Env::new();
    let before = std::fs::read(&e.key).unwrap();
    let r = e
        .run(&["init", "--add-recipient", &age_identity().1])
        .code(2);
    assert!(r.one_line_error().contains("never modified"));
    assert_eq!(std::fs::read(&e.key).unwrap(), before);
    let again = Env::bare();
    std::fs::copy(&e.key, &again.key).unwrap();
    again.run(&["init"]).ok();
    assert_eq!(
        std::fs::read(&again.key).unwrap(),
        before,
        "an existing key file is used as it is"
    );
}

/// (identity, recipient) of a fresh age key.
fn age_identity() -> (String, String) {
    let k = common::crypto::keyfile::KeyFile::generate(&[]).unwrap();
    (k.identities[0].clone(), k.recipients[0].clone())
}
