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

/// A loopback URL nobody listens on.
fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
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
    let mut c = env.cmd(&["backup", src.to_str().unwrap(), "--job", "j"]);
    c.env("BANANA_COLLECTOR", closed_port_url());
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
    let url = closed_port_url();
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

#[test]
fn counts_read_in_the_right_number_and_ls_shows_special_bits() {
    let env = Env::new();
    let src = env.path("src");
    std::fs::create_dir_all(src.join("tmp")).unwrap();
    std::fs::write(src.join("one"), "1").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(src.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::set_permissions(src.join("one"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    let r = env.run(&["backup", src.join("one").to_str().unwrap()]).ok();
    assert!(r.stdout.contains(": 1 file, "), "{}", r.stdout);
    env.run(&["backup", src.to_str().unwrap()]).ok();
    let r = env.run(&["snapshots", "--latest", "1"]).ok();
    assert_eq!(
        r.stdout.lines().last().unwrap(),
        "1 snapshot",
        "{}",
        r.stdout
    );
    let r = env
        .run(&["ls", "latest", src.join("tmp").to_str().unwrap()])
        .ok();
    assert!(r.stdout.contains("drwxrwxrwt"), "{}", r.stdout);
    assert!(r.stdout.trim_end().ends_with("1 entry"), "{}", r.stdout);
    let r = env
        .run(&["ls", "latest", src.join("one").to_str().unwrap()])
        .ok();
    assert!(r.stdout.contains("-rwsr-xr-x"), "{}", r.stdout);
    let r = env.run(&["check"]).ok();
    assert!(r.stdout.contains("2 snapshots, "), "{}", r.stdout);
}

#[test]
fn json_usage_errors_print_their_line_and_a_missing_config_is_exit_2() {
    let env = Env::new();
    let r = env.run(&["--json", "restore"]).code(2);
    let first: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["message_type"], "error");
    assert_eq!(first["exit_code"], 2);
    assert!(
        first["message"].as_str().unwrap().contains("required"),
        "{first}"
    );
    let mut c = env.cmd(&["snapshots"]);
    c.env("BANANA_CONFIG", env.path("no-such.toml"));
    let r = run(c).code(2);
    assert!(
        r.one_line_error().contains("does not exist"),
        "{}",
        r.stderr
    );
}

#[test]
fn run_now_runs_what_is_not_due_and_jobs_explain_their_next_time() {
    let env = Env::new();
    let src = env.path("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a"), "a").unwrap();
    let unreadable = if crate::util::is_root() {
        // Root reads everything except a write-only sysctl.
        std::path::PathBuf::from("/proc/sys/vm/drop_caches")
    } else {
        let p = env.path("secret");
        std::fs::write(&p, "no").unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
        p
    };
    config(
        &env,
        &format!(
            "[[job]]\nname = \"daily\"\nplugin = \"fs\"\npaths = [\"{s}\"]\nevery = \"1d\"\n\n\
             [[job]]\nname = \"half\"\nplugin = \"fs\"\npaths = [\"{s}\", \"{g}\"]\nevery = \"1d\"\n\n\
             [[job]]\nname = \"manual\"\nplugin = \"fs\"\npaths = [\"{s}\"]\n",
            s = src.display(),
            g = unreadable.display()
        ),
    );
    // First sight: both scheduled jobs are due at once; `half` is partial.
    crun(&env, &["run"]).code(3);
    let r = crun(&env, &["run"]).ok();
    assert!(
        r.stdout.contains("nothing due; next: ") && r.stdout.contains("run --now"),
        "{}",
        r.stdout
    );
    let before = snapshot_count(&env);
    // --now runs them all (the by-hand one too), due or not.
    crun(&env, &["run", "--now"]).code(3);
    assert_eq!(snapshot_count(&env), before + 3);
    // Named: only that one.
    crun(&env, &["run", "--now", "daily"]).ok();
    assert_eq!(snapshot_count(&env), before + 4);
    let r = crun(&env, &["run", "--now", "dialy"]).code(2);
    assert!(
        r.one_line_error().contains("daily, half, manual"),
        "{}",
        r.stderr
    );
    // jobs: why the next time is what it is, and why a run was partial.
    let r = crun(&env, &["jobs"]).ok();
    assert!(r.stdout.contains("(every 1d, phase "), "{}", r.stdout);
    assert!(r.stdout.contains("partial because: "), "{}", r.stdout);
    assert!(
        r.stdout.contains(unreadable.to_str().unwrap()),
        "{}",
        r.stdout
    );
    let listed = crun(&env, &["--json", "jobs"]).ok().json();
    let half = listed.iter().find(|j| j["job"] == "half").unwrap();
    assert_eq!(half["last_result"], "partial");
    // A partial run counts as a success; times are RFC 3339 like the tower's.
    let success = half["last_success_at"].as_str().unwrap();
    assert_eq!(success, half["last_ended_at"].as_str().unwrap());
    assert!(success.ends_with('Z') && success.contains('T'), "{success}");
    assert!(half["next_due_why"]
        .as_str()
        .unwrap()
        .starts_with("every 1d, phase "));
}

#[test]
fn a_plugin_name_typo_names_the_built_ins_and_where_plugins_are_looked_for() {
    let env = Env::new();
    let plugins = env.path("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    config(
        &env,
        &format!(
            "plugin_path = [\"{}\"]\n[[job]]\nname = \"db\"\nplugin = \"postgress\"\n",
            plugins.display()
        ),
    );
    let r = crun(&env, &["jobs"]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("first-week.toml")
            && line.contains("did you mean 'postgres'")
            && line.contains("fs, command, mysql, postgres, etcd")
            && line.contains(plugins.to_str().unwrap()),
        "{line}"
    );
    // Another name for a built-in, the same.
    config(&env, "[[job]]\nname = \"db\"\nplugin = \"postgresql\"\n");
    let r = crun(&env, &["jobs"]).code(2);
    assert!(
        r.one_line_error().contains("did you mean 'postgres'"),
        "{}",
        r.stderr
    );
}

#[test]
fn damage_and_a_bad_target_are_said_in_sentences() {
    let env = Env::new();
    let src = env.path("src");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..3 {
        let bytes: Vec<u8> = (0..50_000u32)
            .map(|x| (x.wrapping_mul(2_654_435_761) >> (i + 7)) as u8)
            .collect();
        std::fs::write(src.join(format!("f{i}")), bytes).unwrap();
    }
    let first = env.backup(&[&src])["snapshot_id"].as_str().unwrap()[..8].to_owned();
    std::fs::write(src.join("new"), "n").unwrap();
    let second = env.backup(&[&src])["snapshot_id"].as_str().unwrap()[..8].to_owned();
    // Flip a byte inside the age body of the data pack holding the files.
    let mut packs = Vec::new();
    crate::util::walk_files(&env.repo.join("data"), &mut |p| packs.push(p.to_owned()));
    let pack = packs
        .iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(pack).unwrap();
    bytes[20] ^= 1;
    std::fs::write(pack, bytes).unwrap();
    let r = env.run(&["check", "--read-data"]).code(13);
    assert!(
        !r.stderr.contains("\\x0a") && !r.stderr.contains("upgrading"),
        "{}",
        r.stderr
    );
    for snap in [&first, &second] {
        let line = format!("  affects {} in snapshot {snap}", src.join("f1").display());
        assert!(
            r.stderr.lines().any(|l| l == line),
            "no {line:?} in {}",
            r.stderr
        );
    }
    // A file where the target should be.
    let file = env.path("a-file");
    std::fs::write(&file, "x").unwrap();
    let r = env.restore("latest", &file).code(2);
    assert!(
        r.one_line_error().contains("is a file, not a directory"),
        "{}",
        r.stderr
    );
    let r = env.restore("latest", &file.join("below")).code(2);
    assert!(
        r.one_line_error().contains("is a file, not a directory"),
        "{}",
        r.stderr
    );
}
