//! Codecs: zstd by default, xz and none on request, mixed in one
//! repository; a format-1 repository of the release before zstd still reads
//! and still writes xz unless told otherwise.

use crate::util::*;
use std::path::Path;

#[test]
fn zstd_xz_and_raw_payloads_in_one_repository_restore_identical() {
    let e = Env::bare();
    let init = e.json(&["init"]);
    assert_eq!(init["codec"], "zstd:3");
    assert_eq!(init["format_version"], 2);
    let src = e.path("src");
    let text = |i: u64| format!("{i}: the banana ledger, line after line\n").repeat(5000);
    let mut ids = Vec::new();
    for (i, codec) in [
        (0u64, None),
        (1, Some("xz:1")),
        (2, Some("none")),
        (3, Some("zstd:19")),
    ] {
        write(&src.join(format!("text{i}.log")), text(i).as_bytes());
        write(
            &src.join(format!("random{i}.bin")),
            &random_bytes(i, 300_000),
        );
        let mut args = vec!["--json", "backup"];
        if let Some(c) = codec {
            args.extend(["--compression", c]);
        }
        let src_s = src.to_str().unwrap();
        args.push(src_s);
        let s = e.run(&args).ok().summary();
        assert_eq!(s["codec"], codec.unwrap_or("zstd:3"), "{s}");
        ids.push((s["snapshot_id"].as_str().unwrap().to_owned(), i));
    }
    let c = e.json(&["check", "--read-data"]);
    assert_eq!(c["problems"], 0, "{c}");
    for (id, i) in ids {
        let target = e.path(&format!("restore{i}"));
        e.restore(&id, &target).ok();
        let back = restored(&target, &src);
        for j in 0..=i {
            assert!(
                std::fs::read(back.join(format!("text{j}.log"))).unwrap() == text(j).as_bytes()
            );
            assert!(
                std::fs::read(back.join(format!("random{j}.bin"))).unwrap()
                    == random_bytes(j, 300_000)
            );
        }
    }
    let r = e.run(&["init", "--compression", "lz4"]).code(2);
    assert!(
        r.stderr.contains("zstd[:1-19], xz[:0-9] or none"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_config_file_chooses_the_codec_of_new_repositories() {
    for (setting, want) in [
        ("\"xz:6\"", "xz:6"),
        ("5", "xz:5"),
        ("\"zstd\"", "zstd:3"),
        ("\"none\"", "none"),
    ] {
        let e = Env::bare();
        std::fs::write(
            e.path("empty-config.toml"),
            format!("compression = {setting}\n"),
        )
        .unwrap();
        assert_eq!(e.json(&["init"])["codec"], want, "{setting}");
    }
    let e = Env::bare();
    std::fs::write(e.path("empty-config.toml"), "compression = \"brotli\"\n").unwrap();
    let r = e.run(&["init"]).code(2);
    assert!(
        r.one_line_error()
            .contains("compression 'brotli' is not a codec"),
        "{}",
        r.stderr
    );
}

/// The committed repository of the release before zstd (format 1, xz).
#[test]
fn a_format_1_repository_still_reads_and_writes_xz_unless_told() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1");
    let e = Env::bare();
    copy_tree(&fixture.join("repo"), &e.repo);
    for d in ["tmp", "index", "snapshots", "refs", "keys", "forgets"] {
        std::fs::create_dir_all(e.repo.join(d)).unwrap();
    }
    for b in 0..=255u8 {
        std::fs::create_dir_all(e.repo.join(format!("data/{b:02x}"))).unwrap();
    }
    std::fs::copy(fixture.join("key.json"), &e.key).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&e.key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let target = e.path("old");
    e.restore("latest", &target).ok();
    same_tree(&fixture.join("src"), &target.join("tmp/fx/src"));
    assert_eq!(e.json(&["check", "--read-data"])["problems"], 0);
    // New backups: xz (the repository's preset) unless told; zstd warns.
    let src = e.path("src");
    write(
        &src.join("a.log"),
        "format one, still\n".repeat(4000).as_bytes(),
    );
    let s = e.json(&["backup", src.to_str().unwrap()]);
    assert_eq!(s["codec"], "xz:0", "{s}");
    write(&src.join("b.log"), "and now zstd\n".repeat(4000).as_bytes());
    let r = e
        .run(&[
            "--json",
            "backup",
            "--compression",
            "zstd",
            src.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(r.summary()["codec"], "zstd:3");
    assert!(
        r.stdout.contains("cannot read this run's new chunks"),
        "{}",
        r.stdout
    );
    let target = e.path("new");
    e.restore("latest", &target).ok();
    same_tree(&src, &restored(&target, &src));
    assert_eq!(e.json(&["check", "--read-data"])["problems"], 0);
}

fn copy_tree(from: &Path, to: &Path) {
    walk_files(from, &mut |p| {
        let dst = to.join(p.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(p, dst).unwrap();
    });
}

/// 20,000 small files (20 MiB, more than the restore's group cache) share
/// compressed groups; an incremental backup puts the first and the last
/// file, changed, in a new group of their own. A restore decodes every group
/// once: the new one is kept from the first file to the last. The first
/// directory holds 3,000 files, more than a restore worker's queue, so its
/// files overflow to the other worker when that one is idle.
#[test]
fn a_restore_decodes_each_group_of_small_files_once() {
    let e = Env::new();
    let src = e.path("src");
    let body = |i: usize, v: &str| {
        let mut b = format!("{v} file {i}:").into_bytes();
        b.extend((0..1000).map(|j| b"abcdefghij klmnop"[(i * 7 + j * j) % 17]));
        b
    };
    for i in 0..20_000 {
        write(
            &src.join(format!(
                "d{:02}/f{i:05}",
                if i < 3000 { 0 } else { i / 500 }
            )),
            &body(i, "v1"),
        );
    }
    e.backup(&[&src]);
    write(&src.join("d00/f00000"), &body(0, "v2"));
    write(&src.join("d39/f19999"), &body(19_999, "v2"));
    e.backup(&[&src]);
    let target = e.path("t");
    let r = e
        .run(&[
            "--json",
            "restore",
            "latest",
            "--target",
            target.to_str().unwrap(),
        ])
        .ok()
        .summary();
    let (decodes, groups) = (
        r["group_decodes"].as_u64().unwrap(),
        r["groups"].as_u64().unwrap(),
    );
    assert!(groups > 32, "{r}");
    assert_eq!(decodes, groups, "a group was decoded twice: {r}");
    same_tree(&src, &restored(&target, &src));
}
