//! `bananadm copy` against OpenBao and the real tower (issue 27): the
//! copier's token reads `nodes/+/copy` and nothing else, and an admin's
//! token is refused for a copy; the copier copies a backup-only node's
//! repository; storage deleting the newest snapshot afterwards is
//! `source-lost` (exit 3), which the tower fires and the copy keeps; the
//! reaper prunes the copy by its own policy, and the next copy brings back
//! nothing it forgot.

use crate::harness::*;
use common::vault::Vault;
use std::path::Path;

fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn summaries(o: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["message_type"] == "summary")
        .collect()
}

#[test]
fn the_copier_copies_witnesses_a_lost_snapshot_and_never_deletes() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "web-1", dir.path());
    let data = dir.path().join("data");
    let tower = Tower::start();
    let o = n.run(&[
        "enroll",
        "--node",
        "web-1",
        "--collector",
        &tower.url,
        "--collector-code",
        &tower.code("web-1", false),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for i in 0..4u8 {
        write(&data.join(format!("f{i}")), &vec![i; 30_000]);
        let o = n.run(&["backup", "--job", "files", data.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let second = dir.path().join("second");
    let o = bao.adm(
        &admin,
        &["node", "copy", "web-1", "--to", second.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // To the node's own location: refused.
    let o = bao.adm(
        &admin,
        &["node", "copy", "web-1", "--to", n.storage.to_str().unwrap()],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    // The copier's token reads the copy secrets, nothing else.
    let o = bao.adm(&admin, &["copier", "token", "--ttl", "1h"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let token = stdout(&o);
    let mut v = Vault::connect(&common::vault::Location::new(&bao.addr)).unwrap();
    v.set_token(common::vault::Secret::new(&token));
    assert!(v
        .request("GET", "banana/data/nodes/web-1/copy", None, None, None)
        .is_ok());
    for path in [
        "banana/data/nodes/web-1/agent",
        "banana/data/nodes/web-1/restore",
        "banana/data/nodes/web-1/reaper",
        "banana/data/nodes/web-1/retention",
        "banana/data/fleet/signing",
        "banana/data/fleet/recipients",
    ] {
        let e = v.request("GET", path, None, None, None).expect_err(path);
        assert_eq!(e.kind(), common::ErrorKind::VaultDenied, "{path}: {e}");
    }
    // The admin's token may read agent secrets: refused for a copy.
    let state = dir.path().join("copier-state");
    let st = state.to_str().unwrap();
    let o = bao.adm(&admin, &["copy", "web-1", "--state-dir", st]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("banana-copier"), "{}", stderr(&o));

    let o = bao.adm(
        "",
        &[
            "copier",
            "enroll",
            "--name",
            "copier-1",
            "--collector",
            &tower.url,
            "--collector-code",
            &tower.code_as("copier-1", &["--copier"]),
            "--state-dir",
            st,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bao.adm(&token, &["--json", "copy", "--all", "--state-dir", st]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = &summaries(&o)[0];
    assert_eq!(
        (s["node"].as_str(), s["snapshots"].as_u64()),
        (Some("web-1"), Some(4)),
        "{s}"
    );
    for kind in ["snapshots", "index", "refs", "keys"] {
        assert_eq!(
            names(&n.storage.join(kind)),
            names(&second.join(kind)),
            "{kind}"
        );
    }
    // A restore grant restores from the copy as from the repository.
    let g = stdout(&bao.adm(&admin, &["restore", "grant", "web-1"]));
    let target = dir.path().join("from-copy");
    let o = n.run(&[
        "--repo",
        second.to_str().unwrap(),
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--grant",
        &g,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let back = target.join(data.strip_prefix("/").unwrap());
    assert_eq!(std::fs::read(back.join("f3")).unwrap(), vec![3u8; 30_000]);

    // Storage loses the newest snapshot: source-lost, and the copy keeps it.
    let newest = {
        let o = n.run(&["--json", "snapshots"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let all: Vec<serde_json::Value> = stdout(&o)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|l| l["message_type"] == "snapshot")
            .collect();
        all.last().unwrap()["id"].as_str().unwrap().to_owned()
    };
    std::fs::remove_file(n.storage.join("snapshots").join(&newest)).unwrap();
    let o = bao.adm(&token, &["--json", "copy", "web-1", "--state-dir", st]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert_eq!(summaries(&o)[0]["source_lost"], serde_json::json!([newest]));
    assert!(
        second.join("snapshots").join(&newest).exists(),
        "the copy keeps it"
    );
    let mut fired = None;
    for _ in 0..600 {
        fired = tower.get("/api/v1/alerts")["firing"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == "source-lost" && a["node"] == "web-1")
            .cloned();
        if fired.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let fired = fired.expect("source-lost fires at the tower");
    assert!(fired.to_string().contains(&newest[..8]), "{fired}");

    // The copy's own retention: the reaper forgets there, the copier
    // never brings it back, and nothing the copier holds can delete.
    let o = bao.adm(&admin, &["node", "reaper", "web-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bao.adm(&admin, &["node", "reaper", "web-1", "--copy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bao.adm(
        &admin,
        &["node", "retention", "web-1", "--copy", "--keep-last", "1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bao.adm(&admin, &["reaper", "token", "--ttl", "1h"]);
    let reaper = stdout(&o);
    let rstate = dir.path().join("reaper-state");
    let before = names(&n.storage.join("snapshots"));
    let o = bao.adm(
        &reaper,
        &[
            "--json",
            "prune",
            "web-1",
            "--force",
            "--state-dir",
            rstate.to_str().unwrap(),
        ],
    );
    assert!(o.status.success() || code(&o) == 3, "{}", stderr(&o));
    assert_eq!(
        names(&n.storage.join("snapshots")),
        before,
        "no policy for the repository: it keeps everything"
    );
    let kept = names(&second.join("snapshots"));
    assert!(
        kept.len() < 4,
        "the copy was pruned by its own policy: {kept:?}"
    );
    let o = bao.adm(
        &token,
        &[
            "--json",
            "copy",
            "web-1",
            "--state-dir",
            st,
            "--accept-lost",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names(&second.join("snapshots")),
        kept,
        "what the copy's reaper forgot stays forgotten"
    );
}
