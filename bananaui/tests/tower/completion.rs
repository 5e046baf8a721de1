//! Shell completion that knows the fleet (`bananaui/src/complete.rs`): at a
//! TAB after `alert ack` or `node remove`, the tower's node names, from the
//! cache when it has them (no request), else asked of the tower.

use crate::harness::*;
use std::path::Path;

/// What bash's TAB offers after `words`, as `completions/bananaui.bash`
/// asks it, with `url` as the tower and `cache` as XDG_CACHE_HOME.
fn tab(url: &str, cache: &Path, words: &[&str]) -> Vec<String> {
    let out = std::process::Command::new(bananaui())
        .arg("--")
        .arg("bananaui")
        .args(words)
        .env("BANANA_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", words.len().to_string())
        .env("_CLAP_IFS", "\n")
        .env("BANANAUI_URL", url)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('-'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn tab_offers_the_towers_nodes_from_its_cache_without_a_request() {
    let tower = Tower::start("");
    let _web = Agent::new(&tower, "web-01");
    let _db = Agent::new(&tower, "db-01");
    let cache = tempfile::tempdir().unwrap();
    let file = cache.path().join("banana/tower-nodes");

    // No cache yet: the tower is asked, and its answer kept.
    let mut first = tab(&tower.url(), cache.path(), &["alert", "ack", ""]);
    first.sort();
    assert_eq!(first, ["db-01", "web-01"]);
    let mut kept: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    kept.sort();
    assert_eq!(kept, first);

    // With the cache fresh, no request: the "tower" here only counts
    // connections.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let silent = format!("http://{}", listener.local_addr().unwrap());
    // A name that is not a node name (a damaged or planted cache line) is
    // never offered to the shell.
    std::fs::write(&file, "web-01\n--delete\n$(touch pwned)\ndb-01\n").unwrap();
    assert_eq!(
        tab(&silent, cache.path(), &["node", "remove", "w"]),
        ["web-01"]
    );
    assert_eq!(
        tab(&silent, cache.path(), &["alert", "ack", ""]),
        ["web-01", "db-01"]
    );
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("completion asked the tower although the cache had the answer: {other:?}"),
    }
    // The rule after the node: the acknowledgeable rules.
    let rules = tab(&silent, cache.path(), &["alert", "ack", "web-01", ""]);
    assert!(rules.contains(&"rollback".to_owned()), "{rules:?}");
}
