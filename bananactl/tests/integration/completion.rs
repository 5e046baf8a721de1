//! Shell completion that knows the node (`bananactl/src/complete.rs`): what
//! bash gets at a TAB, asked of the binary exactly as the script in
//! `completions/bananactl.bash` asks it.

use crate::util::*;
use std::path::Path;

/// What bash's TAB offers after `words` (the last one is the word being
/// completed), with the node's settings in the environment only, as a shell
/// has them.
fn tab(e: &Env, config: &Path, repo: &str, words: &[&str]) -> Vec<String> {
    let mut c = std::process::Command::new(bin());
    c.arg("--")
        .arg("bananactl")
        .args(words)
        .env("BANANA_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", words.len().to_string())
        .env("_CLAP_IFS", "\n")
        .env("BANANA_REPO", repo)
        .env("BANANA_KEY_FILE", &e.key)
        .env("BANANA_STATE_DIR", &e.state)
        .env("BANANA_CONFIG", config);
    let r = run(c).ok();
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    r.stdout.lines().map(str::to_owned).collect()
}

/// The values offered, without the flags clap offers beside them on an
/// empty word.
fn values(offered: Vec<String>) -> Vec<String> {
    offered
        .into_iter()
        .filter(|o| !o.starts_with('-'))
        .collect()
}

fn ids(e: &Env) -> Vec<String> {
    e.run(&["--json", "snapshots"])
        .ok()
        .json()
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn tab_offers_snapshot_ids_and_job_names_from_the_node() {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("a"), b"one");
    e.backup(&[&src]);
    write(&src.join("a"), b"two");
    e.backup(&[&src]);
    let snaps = ids(&e);
    assert_eq!(snaps.len(), 2, "{snaps:?}");
    // Newest first, by the time storage gives the object: the first
    // snapshot's is set back an hour, whatever the clock's resolution.
    std::fs::File::options()
        .write(true)
        .open(e.repo.join("snapshots").join(&snaps[0]))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .unwrap();
    let config = e.path("bananactl.toml");
    write(
        &config,
        b"[[job]]\nname = \"etc\"\nplugin = \"fs\"\npaths = [\"/etc\"]\n\n[[job]]\nname = \"www-data\"\nplugin = \"fs\"\npaths = [\"/srv\"]\n",
    );
    // Storage is hostile: a name that is not a snapshot id is never offered
    // to the shell.
    write(&e.repo.join("snapshots/$(touch pwned)"), b"x");
    write(&e.repo.join("snapshots/--delete"), b"x");
    let repo = e.repo.to_str().unwrap();

    let offered = values(tab(&e, &config, repo, &["restore", ""]));
    let newest_first = [
        "latest".to_owned(),
        snaps[1][..8].to_owned(),
        snaps[0][..8].to_owned(),
    ];
    assert_eq!(offered, newest_first);
    for cmd in ["ls", "dump"] {
        assert_eq!(
            values(tab(&e, &config, repo, &[cmd, ""])),
            newest_first,
            "{cmd}"
        );
    }
    // A prefix narrows it, as bash would.
    let one = tab(&e, &config, repo, &["diff", &snaps[0][..3]]);
    assert!(one.contains(&snaps[0][..8].to_owned()), "{one:?}");
    assert!(!one.contains(&"latest".to_owned()), "{one:?}");
    // Subcommands and flags still complete.
    assert!(tab(&e, &config, repo, &["rest"]).contains(&"restore".to_owned()));
    assert!(tab(&e, &config, repo, &["restore", "x", "--tar"]).contains(&"--target".to_owned()));

    assert_eq!(
        values(tab(&e, &config, repo, &["backup", "--job", ""])),
        ["etc", "www-data"]
    );
    assert_eq!(
        tab(&e, &config, repo, &["snapshots", "--job", "w"]),
        ["www-data"]
    );
    assert_eq!(
        values(tab(&e, &config, repo, &["run", "--now", ""])),
        ["etc", "www-data"]
    );
}

/// A remote repository's ids come from the node's metadata cache: no request.
#[test]
fn tab_on_a_remote_repository_reads_the_cache_and_makes_no_request() {
    let e = Env::new();
    let id = "7d1e9a40".repeat(8);
    write(
        &e.state.join("cache/0123abcd/snapshots").join(&id),
        b"sealed",
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let repo = format!(
        "s3://{}/bucket/node?tls=false",
        listener.local_addr().unwrap()
    );
    let config = e.path("empty.toml");
    write(&config, b"");
    assert_eq!(
        values(tab(&e, &config, &repo, &["restore", ""])),
        ["latest", "7d1e9a40"]
    );
    match listener.accept() {
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("completion connected to the storage: {other:?}"),
    }
}
