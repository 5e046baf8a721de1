//! What a new user trips on (issue 23): configured jobs are not ad-hoc
//! targets, a failed `init` leaves no key, empty selections and empty stdin
//! are errors, messages say what they count, and `run --now`.

use crate::util::{run, Env, Run};
use std::path::PathBuf;

/// `env` with `text` as its config file.
fn config(env: &Env, text: &str) -> PathBuf {
    let p = env.path("first-week.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn crun(env: &Env, args: &[&str]) -> Run {
    let mut c = env.cmd(args);
    if env.path("first-week.toml").exists() {
        c.env("BANANA_CONFIG", env.path("first-week.toml"));
    }
    run(c)
}

fn snapshot_count(env: &Env) -> usize {
    crun(env, &["--json", "snapshots"])
        .ok()
        .json()
        .iter()
        .filter(|v| v["message_type"] == "snapshot")
        .count()
}

#[test]
fn an_ad_hoc_backup_under_a_configured_jobs_name_is_refused() {
    let env = Env::new();
    let src = env.path("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("real"), "the real job's data").unwrap();
    let other = env.path("other");
    std::fs::write(&other, "tiny").unwrap();
    config(
        &env,
        &format!(
            "[[job]]\nname = \"files\"\nplugin = \"fs\"\npaths = [\"{}\"]\n",
            src.display()
        ),
    );
    let r = crun(&env, &["backup", "--job", "files", other.to_str().unwrap()]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("files") && line.contains("configured job") && line.contains("another --job"),
        "{line}"
    );
    let mut c = env.cmd(&["backup", "--stdin", "--job", "files"]);
    c.env("BANANA_CONFIG", env.path("first-week.toml"));
    assert_eq!(run(c).code(2).code, 2);
    assert_eq!(snapshot_count(&env), 0, "nothing was saved under the job");
    // The tag refusal no longer suggests PATHs under the same name.
    let r = crun(&env, &["backup", "--job", "files", "--tag", "x"]).code(2);
    assert!(r.stderr.contains("another --job name"), "{}", r.stderr);
    // The job itself still runs, and another name is an ad-hoc run.
    crun(&env, &["backup", "--job", "files"]).ok();
    crun(&env, &["backup", "--job", "adhoc", other.to_str().unwrap()]).ok();
    assert_eq!(snapshot_count(&env), 2);
}

/// A command on `repo` with the key file `key` (not `env`'s).
fn with(env: &Env, repo: &std::path::Path, key: &std::path::Path, args: &[&str]) -> Run {
    let mut c = std::process::Command::new(crate::util::bin());
    c.arg("--repo").arg(repo).arg("--key-file").arg(key);
    c.arg("--state-dir").arg(&env.state).args(args);
    c.env("BANANA_CONFIG", env.path("empty-config.toml"));
    c.env_remove("BANANA_REPO").env_remove("BANANA_KEY_FILE");
    run(c)
}

#[test]
fn a_failed_init_creates_no_key_and_a_missing_key_is_a_usage_error() {
    let env = Env::new();
    let fresh_key = env.path("second-key.json");
    // The repository exists: init fails, and no key appears.
    let r = with(&env, &env.repo, &fresh_key, &["init"]).code(2);
    assert!(
        r.one_line_error().contains("already exists"),
        "{}",
        r.stderr
    );
    assert!(!fresh_key.exists(), "a key was made for no repository");
    // A missing parent: the same.
    let r = with(
        &env,
        &env.path("no/such/parent/repo"),
        &fresh_key,
        &["init"],
    )
    .code(2);
    assert!(
        r.one_line_error().contains("parent directory"),
        "{}",
        r.stderr
    );
    assert!(!fresh_key.exists(), "a key was made for no repository");
    // A directory holding something else: the same.
    let busy = env.path("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let r = with(&env, &busy, &fresh_key, &["init"]).code(2);
    assert!(r.one_line_error().contains("not empty"), "{}", r.stderr);
    assert!(!fresh_key.exists());
    // Using the repository with a key that does not exist: exit 2, and the
    // hint does not send the user to init.
    let r = with(&env, &env.repo, &fresh_key, &["snapshots"]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("does not exist") && line.contains("--key-file"),
        "{line}"
    );
    // A good init still makes its key.
    with(&env, &env.path("second-repo"), &fresh_key, &["init"]).ok();
    assert!(fresh_key.exists());
}

#[test]
fn a_selection_that_names_nothing_is_a_usage_error_naming_it() {
    let env = Env::new();
    let src = env.path("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/f"), "content").unwrap();
    std::os::unix::fs::symlink("d/f", src.join("link")).unwrap();
    env.backup(&[&src]);
    let missing = src.join("typo");
    let m = missing.to_str().unwrap();
    let target = env.path("target");
    let t = target.to_str().unwrap();
    for args in [
        vec!["restore", "latest", "--target", t, "--include", m],
        vec!["ls", "latest", m],
        vec!["dump", "latest", m],
    ] {
        let r = env.run(&args).code(2);
        let line = r.one_line_error();
        assert!(
            line.contains(m) && line.contains("not in the snapshot") && line.contains("absolute"),
            "{args:?}: {line}"
        );
    }
    assert!(
        !target.join(missing.strip_prefix("/").unwrap()).exists(),
        "nothing restored"
    );
    // A path without its leading '/' names the same entry as ls does, and
    // restores it.
    let rel = src
        .join("d")
        .to_str()
        .unwrap()
        .trim_start_matches('/')
        .to_owned();
    env.run(&["restore", "latest", "--target", t, "--include", &rel])
        .ok();
    let restored = target.join(&rel).join("f");
    assert_eq!(std::fs::read_to_string(&restored).unwrap(), "content");
    // dump of a directory or a symlink says which, and what to do.
    let dir = src.join("d");
    let r = env.run(&["dump", "latest", dir.to_str().unwrap()]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("is a directory") && line.contains("--include"),
        "{line}"
    );
    let link = src.join("link");
    let r = env.run(&["dump", "latest", link.to_str().unwrap()]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("is a symlink") && line.contains("'d/f'"),
        "{line}"
    );
}

#[test]
fn an_empty_stdin_is_a_partial_backup_unless_allowed() {
    let env = Env::new();
    // stdin is /dev/null: nothing came.
    let r = env
        .run(&["--json", "backup", "--stdin", "--job", "dump"])
        .code(3);
    let warning = r
        .json()
        .into_iter()
        .find(|v| v["message_type"] == "warning")
        .unwrap_or_else(|| panic!("no warning: {}", r.stdout));
    assert_eq!(warning["kind"], "unreadable", "{warning}");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("--stdin-required-bytes 1"),
        "{warning}"
    );
    assert_eq!(r.summary()["reason"], "unreadable");
    // Allowed: a warning, exit 0.
    let r = env
        .run(&[
            "backup",
            "--stdin",
            "--job",
            "dump",
            "--stdin-required-bytes",
            "0",
        ])
        .ok();
    assert!(
        r.stderr.contains("standard input was empty"),
        "{}",
        r.stderr
    );
    // A short stream against a higher bound is partial too.
    let mut c = env.cmd(&[
        "backup",
        "--stdin",
        "--job",
        "dump",
        "--stdin-required-bytes",
        "10",
    ]);
    c.stdin(std::process::Stdio::piped());
    let mut child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"short").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each run saved its snapshot.
    assert_eq!(snapshot_count(&env), 3);
}

#[test]
fn an_unreachable_tower_is_said_once_in_plain_text() {
    let env = Env::new();
    let src = env.path("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a"), "a").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = env.cmd(&["backup", src.to_str().unwrap(), "--job", "j"]);
    c.env("BANANA_COLLECTOR", format!("http://127.0.0.1:{port}"));
    let r = run(c).ok();
    let held: Vec<&str> = r.stderr.lines().filter(|l| l.contains("held")).collect();
    assert_eq!(held.len(), 1, "{}", r.stderr);
    assert!(
        held[0].contains("status for 2 events held: tower http://127.0.0.1:")
            && held[0].contains(" unreachable (connection refused)")
            && held[0].ends_with("they will be sent later"),
        "{}",
        held[0]
    );
    assert!(!r.stderr.contains('\x1b'), "colour codes in {:?}", r.stderr);
}

#[test]
fn enrolling_at_a_tower_that_is_down_says_so_in_a_sentence() {
    let env = Env::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let r = env
        .run(&[
            "enroll",
            "--node",
            "web-01",
            "--collector",
            &url,
            "--collector-code",
            "x",
        ])
        .code(1);
    let line = r.one_line_error();
    assert!(
        line.contains(&format!("collector {url} unreachable (connection refused)"))
            && line.contains("bananaui serve")
            && !line.contains("os error"),
        "{line}"
    );
}
