//! `find` and `diff`: exactly the expected matches and changes, the
//! snapshot filters, and hostile snapshots (bounded walks, inert names).

use crate::util::*;
use common::format::tree::{Node, NodeKind};
use serde_json::Value;
use std::collections::BTreeSet;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

/// Sets the mtime of `p` (not following a symlink).
fn set_mtime(p: &Path, secs: i64) {
    use rustix::fs::{utimensat, AtFlags, Timespec, Timestamps, CWD};
    let t = Timespec {
        tv_sec: secs,
        tv_nsec: 0,
    };
    let times = Timestamps {
        last_access: t,
        last_modification: t,
    };
    utimensat(CWD, p, &times, AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

/// Every entry at and below `p` gets mtime `secs`.
fn set_all_mtimes(p: &Path, secs: i64) {
    if std::fs::symlink_metadata(p).unwrap().is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            set_all_mtimes(&e.unwrap().path(), secs);
        }
    }
    set_mtime(p, secs);
}

/// The first source tree.
fn build(src: &Path) {
    write(&src.join("keep.txt"), b"unchanged");
    write(&src.join("gone.txt"), b"to be deleted");
    write(&src.join("edit.conf"), b"version=1");
    write(&src.join("mode.conf"), b"chmod only");
    write(&src.join("was-file"), b"becomes a symlink");
    write(&src.join("olddir/a.conf"), b"a");
    write(&src.join("olddir/b"), b"b");
    write(&src.join("same/deep/x.conf"), b"x");
    symlink("keep.txt", src.join("link")).unwrap();
    set_all_mtimes(src, 1_600_000_000);
}

/// The changes between the two backups.
fn change(src: &Path) {
    std::fs::remove_file(src.join("gone.txt")).unwrap();
    // Same size, other content, other mtime.
    std::fs::write(src.join("edit.conf"), b"version=2").unwrap();
    std::fs::set_permissions(
        src.join("mode.conf"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::remove_file(src.join("link")).unwrap();
    symlink("edit.conf", src.join("link")).unwrap();
    std::fs::remove_file(src.join("was-file")).unwrap();
    symlink("keep.txt", src.join("was-file")).unwrap();
    std::fs::remove_dir_all(src.join("olddir")).unwrap();
    write(&src.join("new.txt"), b"new");
    write(&src.join("newdir/c.conf"), b"c");
    write(&src.join("newdir/sub/d.txt"), b"d");
    set_mtime(&src.join("edit.conf"), 1_700_000_000);
    set_mtime(src, 1_700_000_000);
}

/// (change, path relative to `src`) of every reported change at or below
/// `src`; changes above it may only be the metadata of its ancestors (their
/// mtimes move with the rest of the temporary directory).
fn changes(lines: &[Value], src: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for l in lines.iter().filter(|l| l["message_type"] == "change") {
        let (c, p) = (l["change"].as_str().unwrap(), l["path"].as_str().unwrap());
        match p.strip_prefix(src) {
            Some(rel) if rel.is_empty() || rel.starts_with('/') => {
                out.insert((c.to_owned(), rel.to_owned()));
            }
            _ => assert!(
                c == "metadata" && src.starts_with(&format!("{p}/")),
                "{c} {p} outside {src}"
            ),
        }
    }
    out
}

/// (snapshot id, path relative to `src`) of every match.
fn matches(r: &Run, src: &str) -> BTreeSet<(String, String)> {
    r.json()
        .iter()
        .filter(|l| l["message_type"] == "match")
        .map(|l| {
            let p = l["path"].as_str().unwrap();
            let rel = p.strip_prefix(src).unwrap_or_else(|| panic!("{p}"));
            (l["snapshot"].as_str().unwrap().to_owned(), rel.to_owned())
        })
        .collect()
}

fn set(rows: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn id(summary: &Value) -> String {
    summary["snapshot_id"].as_str().unwrap().to_owned()
}

/// What [`change`] changes, as `diff` must report it (relative to src,
/// which itself has a new mtime).
fn expected_changes() -> BTreeSet<(String, String)> {
    set(&[
        ("metadata", ""),
        ("removed", "/gone.txt"),
        ("modified", "/edit.conf"),
        ("metadata", "/mode.conf"),
        ("modified", "/link"),
        ("modified", "/was-file"),
        ("removed", "/olddir"),
        ("removed", "/olddir/a.conf"),
        ("removed", "/olddir/b"),
        ("added", "/new.txt"),
        ("added", "/newdir"),
        ("added", "/newdir/c.conf"),
        ("added", "/newdir/sub"),
        ("added", "/newdir/sub/d.txt"),
    ])
}

#[test]
fn diff_reports_exactly_what_changed() {
    let e = Env::new();
    let src = e.path("src");
    build(&src);
    let one = id(&e.backup(&[&src]));
    change(&src);
    let two = id(&e.backup(&[&src]));
    let s = src.to_str().unwrap();
    let r = e.run(&["--json", "diff", &one[..12], "latest"]).ok();
    let lines = r.json();
    let want = expected_changes();
    assert_eq!(changes(&lines, s), want, "{}", r.stdout);
    let kind = |path: &str| {
        let p = format!("{s}{path}");
        let l = lines.iter().find(|l| l["path"] == p.as_str()).unwrap();
        l["type"].as_str().unwrap().to_owned()
    };
    assert_eq!(kind("/was-file"), "symlink");
    assert_eq!(kind("/olddir"), "dir");
    assert_eq!(kind("/edit.conf"), "file");
    let sum = r.summary();
    assert_eq!(sum["command"], "diff");
    let count = |c: &str| lines.iter().filter(|l| l["change"] == c).count() as u64;
    for c in ["added", "removed", "modified", "metadata"] {
        assert_eq!(sum[c].as_u64().unwrap(), count(c), "{c}");
    }
    assert_eq!(
        (sum["added"].as_u64(), sum["removed"].as_u64()),
        (Some(5), Some(4))
    );
    // Humans get git's name-status letters and a count line.
    let human = e.run(&["diff", &one, &two]).ok().stdout;
    for line in [
        "+ {s}/new.txt",
        "- {s}/gone.txt",
        "M {s}/edit.conf",
        "U {s}/mode.conf",
    ] {
        let line = line.replace("{s}", s);
        assert!(human.lines().any(|l| l == line), "no {line:?} in {human}");
    }
    assert!(
        human.lines().last().unwrap().contains("5 added, 4 removed"),
        "{human}"
    );
    // Reversed, additions are removals; a snapshot against itself is empty.
    let back = e.run(&["--json", "diff", &two, &one]).ok().json();
    let flipped: BTreeSet<_> = want
        .iter()
        .map(|(c, p)| {
            let c = match c.as_str() {
                "added" => "removed",
                "removed" => "added",
                c => c,
            };
            (c.to_owned(), p.clone())
        })
        .collect();
    assert_eq!(changes(&back, s), flipped);
    let same = e.run(&["--json", "diff", &two, "latest"]).ok();
    assert_eq!(same.json().len(), 1, "{}", same.stdout);
    assert!(e
        .run(&["diff", &two, &two])
        .ok()
        .stdout
        .starts_with("no changes"));
}

#[test]
fn find_matches_names_and_paths_in_every_snapshot() {
    let e = Env::new();
    let src = e.path("src");
    build(&src);
    let one = id(&e.backup(&[&src]));
    change(&src);
    let two = id(&e.backup(&[&src]));
    let s = src.to_str().unwrap();
    let find = |pattern: &str| e.run(&["--json", "find", pattern]).ok();
    let r = find("*.conf");
    let want = set(&[
        (&one, "/edit.conf"),
        (&one, "/mode.conf"),
        (&one, "/olddir/a.conf"),
        (&one, "/same/deep/x.conf"),
        (&two, "/edit.conf"),
        (&two, "/mode.conf"),
        (&two, "/newdir/c.conf"),
        (&two, "/same/deep/x.conf"),
    ]);
    assert_eq!(matches(&r, s), want);
    assert_eq!(r.summary()["snapshots"], 2);
    assert_eq!(r.summary()["matches"], 8);
    let edit = r
        .json()
        .into_iter()
        .find(|l| l["snapshot"] == two.as_str() && l["path"] == format!("{s}/edit.conf"));
    let edit = edit.unwrap();
    assert_eq!(
        (edit["type"].as_str(), edit["size"].as_u64()),
        (Some("file"), Some(9))
    );
    assert_eq!(edit["mtime"], "2023-11-14T22:13:20Z");
    // With a '/', the whole path; '*' stays within one name.
    let r = find(&format!("{s}/*/*"));
    let want = set(&[
        (&one, "/olddir/a.conf"),
        (&one, "/olddir/b"),
        (&one, "/same/deep"),
        (&two, "/newdir/c.conf"),
        (&two, "/newdir/sub"),
        (&two, "/same/deep"),
    ]);
    assert_eq!(matches(&r, s), want);
    let r = find(&format!("{s}/**/*.txt"));
    let want = set(&[
        (&one, "/keep.txt"),
        (&one, "/gone.txt"),
        (&two, "/keep.txt"),
        (&two, "/new.txt"),
        (&two, "/newdir/sub/d.txt"),
    ]);
    assert_eq!(matches(&r, s), want);
    // Humans: id, time, type, size, mtime, path; no match is no failure.
    let human = e.run(&["find", "d.txt"]).ok().stdout;
    let first = human.lines().next().unwrap();
    assert!(
        first.starts_with(&two[..8]) && first.ends_with(&format!("{s}/newdir/sub/d.txt")),
        "{human}"
    );
    assert!(first.contains(" - "), "{first}");
    let none = e.run(&["find", "*.nothing"]).ok().stdout;
    assert_eq!(none.trim(), "no match in 2 snapshots");
    let bad = e.run(&["find", "a[b"]).code(2);
    assert!(bad.one_line_error().contains("pattern 'a[b'"));
}

#[test]
fn find_and_diff_honour_the_snapshot_filters() {
    let e = Env::new();
    let src = e.path("src");
    let s = src.to_str().unwrap().to_owned();
    let backup = |tag: &str, host: &str| {
        let r = e
            .run(&["--json", "backup", &s, "--tag", tag, "--host", host])
            .ok();
        id(&r.summary())
    };
    let put = |name: &str, secs: i64| {
        write(&src.join(name), name.as_bytes());
        // The directory's mtime changes with each new entry, by a whole second.
        set_mtime(&src, secs);
    };
    put("a.conf", 1_600_000_000);
    let one = backup("one", "h1");
    put("b.conf", 1_600_000_001);
    let two = backup("two", "h2");
    put("c.conf", 1_600_000_002);
    let three = backup("one", "h1");
    let find = |filter: &[&str]| {
        let mut a = vec!["--json", "find", "*.conf"];
        a.extend_from_slice(filter);
        e.run(&a).ok()
    };
    let tagged_one = set(&[
        (&one, "/a.conf"),
        (&three, "/a.conf"),
        (&three, "/b.conf"),
        (&three, "/c.conf"),
    ]);
    let tagged_two = set(&[(&two, "/a.conf"), (&two, "/b.conf")]);
    assert_eq!(matches(&find(&["--tag", "one"]), &s), tagged_one);
    assert_eq!(matches(&find(&["--tag", "two"]), &s), tagged_two);
    assert_eq!(matches(&find(&["--host", "h2"]), &s), tagged_two);
    assert_eq!(
        matches(&find(&["--host", "h1", "--tag", "one"]), &s),
        tagged_one
    );
    let none = find(&["--tag", "nope"]);
    assert_eq!(none.summary()["snapshots"], 0);
    assert_eq!(none.summary()["matches"], 0);
    // 'latest' is the newest of those selected; an id outside them is not found.
    let r = e
        .run(&["--json", "diff", &one, "latest", "--tag", "two"])
        .code(2);
    assert!(r.one_line_error().contains(&one), "{}", r.stderr);
    let d = e
        .run(&[
            "--json", "diff", &one, "latest", "--tag", "two", "--tag", "one",
        ])
        .code(2);
    d.one_line_error();
    let d = e
        .run(&["--json", "diff", &one[..10], "latest", "--tag", "one"])
        .ok();
    assert_eq!(d.summary()["snapshot2"], three.as_str());
    let want = set(&[("metadata", ""), ("added", "/b.conf"), ("added", "/c.conf")]);
    assert_eq!(changes(&d.json(), &s), want);
    let d = e
        .run(&["--json", "diff", &one, "latest", "--host", "h2"])
        .code(2);
    d.one_line_error();
    let d = e
        .run(&["--json", "diff", &two, "latest", "--host", "h2"])
        .ok();
    assert!(changes(&d.json(), &s).is_empty());
}

/// 50 levels of two names for the same subtree: 2^50 entries.
fn exponential(c: &mut Crafter) -> common::Id {
    let mut f = Node::new(b"f", NodeKind::File);
    f.content = vec![c.data(b"bottom")];
    f.size = 6;
    let mut id = c.tree(vec![f]);
    for _ in 0..50 {
        let mut a = Node::new(b"a", NodeKind::Dir);
        a.subtree = Some(id);
        let mut b = a.clone();
        b.name = serde_bytes::ByteBuf::from(b"b".to_vec());
        id = c.tree(vec![a, b]);
    }
    id
}

#[test]
fn hostile_snapshots_are_walked_within_bounds_and_printed_inert() {
    let e = Env::new();
    write(&e.path("src/ok.conf"), b"fine");
    let good = id(&e.backup(&[&e.path("src")]));
    let mut c = Crafter::open(&e);
    let wide = exponential(&mut c);
    let mut big = Node::new(b"big", NodeKind::Dir);
    big.subtree = Some(wide);
    let evil = "\u{1b}]0;owned\u{7}.conf";
    let mut f = Node::new(evil.as_bytes(), NodeKind::File);
    f.content = vec![c.data(b"x")];
    f.size = 1;
    let root1 = c.tree(vec![big.clone()]);
    let hostile1 = c.snapshot(root1);
    // Sorted by name, as a writer would: the file comes first.
    let root2 = c.tree(vec![f, big]);
    let hostile2 = c.snapshot(root2);
    // Equal subtrees are skipped unread: only the new name is reported.
    let r = e.run(&["--json", "diff", &hostile1, &hostile2]).ok();
    let lines = r.json();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert_eq!(lines[0]["change"], "added");
    assert_eq!(lines[0]["path"].as_str(), Some(format!("/{evil}").as_str()));
    let human = e.run(&["diff", &hostile1, &hostile2]).ok();
    assert!(!human.stdout.contains('\u{1b}'), "{:?}", human.stdout);
    assert!(
        human.stdout.contains("\\x1b]0;owned\\x07.conf"),
        "{}",
        human.stdout
    );
    // Against the real snapshot the expansion is refused, naming the snapshot.
    let r = e.run(&["diff", &good, &hostile1]).code(13);
    let line = r.one_line_error();
    assert!(
        line.contains(&hostile1[..8]) && line.contains("more than"),
        "{line}"
    );
    // find searches every snapshot: a refused one is a warning and exit 13,
    // and the others are still searched.
    let r = e.run(&["find", "*.conf"]).code(13);
    assert!(!r.stdout.contains('\u{1b}') && !r.stderr.contains('\u{1b}'));
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with(&good[..8]) && l.ends_with("/ok.conf")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\\x1b]0;owned\\x07.conf"), "{}", r.stdout);
    assert!(
        r.stderr.contains(&hostile1[..8]) && r.stderr.contains("more than"),
        "{}",
        r.stderr
    );
    let j = e.run(&["--json", "find", "*.conf"]).code(13);
    assert_eq!(j.summary()["damaged"], 2);
    assert!(j
        .json()
        .iter()
        .any(|l| l["path"].as_str() == Some(format!("/{evil}").as_str())));
}
