//! External plugins: the example `banana-plugin-sqlite` of docs/plugins.md,
//! read from that file and run as written (backup, dump, restore into the
//! "server", a failure after printing data that leaves `latest` on the good
//! dump), and the agent's refusals (a missing plugin, a writable one, a bad
//! plan).

use crate::util::{pid_in, poll, run, Env, Run};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The example plugin, as docs/plugins.md shows it.
fn example() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/plugins.md"))
        .unwrap();
    let start = doc
        .find("<!-- example-plugin: banana-plugin-sqlite -->\n```python\n")
        .expect("example plugin block in docs/plugins.md");
    let body = &doc[start..];
    let body = &body[body.find("#!").unwrap()..];
    body[..body.find("```").unwrap()].to_owned()
}

/// A plugin directory (0755) holding `name` with `text` (0755).
fn install(env: &Env, name: &str, text: &str) -> PathBuf {
    let dir = env.path("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let p = dir.join(format!("banana-plugin-{name}"));
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn config(env: &Env, jobs: &str) {
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "plugin_path = [\"{}\"]\n\n{jobs}",
            env.path("plugins").display()
        ),
    )
    .unwrap();
}

fn jrun(env: &Env, args: &[&str]) -> Run {
    let mut c = env.cmd(args);
    c.env("BANANA_CONFIG", env.path("jobs.toml"));
    run(c)
}

/// Runs Python on a SQLite file; stdout.
fn sqlite(db: &Path, script: &str) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n{script}\ndb.commit()"
        ))
        .arg(db)
        .output()
        .expect("python3 (the example plugin is Python)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const FINGERPRINT: &str = "print(db.execute('SELECT COUNT(*), SUM(n), GROUP_CONCAT(name) FROM (SELECT * FROM t ORDER BY n)').fetchone(), db.execute('SELECT name FROM sqlite_master ORDER BY name').fetchall())";

#[test]
fn the_documented_example_plugin_backs_up_and_restores() {
    let env = Env::new();
    install(&env, "sqlite", &example());
    let data = env.path("data");
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("app.db");
    sqlite(
        &db,
        "db.execute('CREATE TABLE t (n INTEGER PRIMARY KEY, name TEXT)')\n\
         db.executemany('INSERT INTO t VALUES (?, ?)', [(i, f'row-{i}') for i in range(5000)])\n\
         db.execute(\"UPDATE t SET name = 'marker-3f9a' WHERE n = 42\")\n\
         db.execute('CREATE INDEX t_name ON t(name)')",
    );
    let before = sqlite(&db, FINGERPRINT);
    let restored = env.path("restored");
    std::fs::create_dir_all(&restored).unwrap();
    config(
        &env,
        &format!(
            "[[job]]\nname = \"app\"\nplugin = \"sqlite\"\noptions = {{ databases = [\"{}\"], restore_dir = \"{}\" }}\nevery = \"1d\"\n",
            db.display(),
            restored.display()
        ),
    );
    jrun(&env, &["backup", "--job", "app"]).ok();
    let snaps = jrun(&env, &["--json", "snapshots", "--job", "app"])
        .ok()
        .json();
    let meta = &snaps[0]["meta"];
    assert_eq!(meta["format"], "sql", "{meta}");
    assert!(
        meta["sqlite_version"]
            .as_str()
            .is_some_and(|v| v.starts_with('3')),
        "{meta}"
    );
    assert!(
        meta["program"]
            .as_str()
            .unwrap()
            .ends_with("banana-plugin-sqlite"),
        "{meta}"
    );
    assert_eq!(snaps[0]["plugin"], "sqlite", "{}", snaps[0]);
    let dump = jrun(&env, &["dump", "latest", "--job", "app", "/app.db.sql"])
        .ok()
        .stdout;
    assert!(
        dump.contains("CREATE TABLE t") && dump.contains("marker-3f9a"),
        "{dump:.300}"
    );
    // A drill: the stream decoded whole and checked by the plugin's verify.
    let d = jrun(&env, &["--json", "drill", "--job", "app"]).ok().json();
    assert_eq!(d[0]["passed"], true, "{}", d[0]);
    assert_eq!(
        d[0]["streams"][0]["tool"], "banana-plugin-sqlite verify",
        "{}",
        d[0]
    );
    // Restored by the plugin into a new file, under another name too.
    jrun(&env, &["restore", "latest", "--job", "app", "--to-server"]).ok();
    assert_eq!(sqlite(&restored.join("app.db"), FINGERPRINT), before);
    jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "app",
            "--to-server",
            "--database",
            "copy.db",
        ],
    )
    .ok();
    assert_eq!(sqlite(&restored.join("copy.db"), FINGERPRINT), before);
    // The plugin refuses to overwrite, and the restore says so in one line.
    let r = jrun(&env, &["restore", "latest", "--job", "app", "--to-server"]).code(1);
    let line = r.one_line_error();
    assert!(
        line.contains("plugin 'sqlite'") && line.contains("exists"),
        "{line}"
    );
    // A MariaDB client file means nothing to it: refused, not ignored.
    let r = jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "app",
            "--to-server",
            "--defaults-file",
            "/x.cnf",
        ],
    )
    .code(2);
    assert!(
        r.one_line_error()
            .contains("--defaults-file is a MariaDB/MySQL client file"),
        "{}",
        r.stderr
    );
    // No run directory is left behind.
    let state = std::fs::read_dir(env.path("state")).unwrap();
    let left: Vec<_> = state
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("run-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A plugin that prints a stream, then fails when `$BANANA_RUN_DIR/../fail`
/// exists; its environment goes to stderr for the test to read.
const FLAKY: &str = r#"#!/bin/sh
case "$1" in
  plan) echo '{"streams": ["data.bin"], "meta": {"flavour": "flaky"}}' ;;
  backup)
    [ "$(pwd)" = "$BANANA_RUN_DIR" ] || { echo "cwd is not the run dir" >&2; exit 2; }
    echo "job=$BANANA_JOB protocol=$BANANA_PLUGIN_PROTOCOL options=$BANANA_OPTIONS vault=${VAULT_TOKEN:-none}"
    if [ -e "$FLAG" ]; then echo "half a dump"; echo "disk full while dumping" >&2; exit 1; fi
    echo "the whole dump" ;;
  *) exit 2 ;;
esac
"#;

#[test]
fn a_plugin_failing_after_printing_data_fails_the_job_and_latest_stays_good() {
    let env = Env::new();
    let flag = env.path("fail");
    install(
        &env,
        "flaky",
        &FLAKY.replace("$FLAG", &flag.display().to_string()),
    );
    config(
        &env,
        "[[job]]\nname = \"f\"\nplugin = \"flaky\"\noptions = { level = 3 }\n",
    );
    let mut c = env.cmd(&["backup", "--job", "f"]);
    c.env("BANANA_CONFIG", env.path("jobs.toml"))
        .env("VAULT_TOKEN", "canary-token-77");
    run(c).ok();
    std::fs::write(&flag, "").unwrap();
    let r = jrun(&env, &["backup", "--job", "f"]).code(1);
    let line = r.one_line_error();
    assert!(
        line.contains("stream 'data.bin'")
            && line.contains("exited with status 1")
            && line.contains("disk full while dumping"),
        "{line}"
    );
    let dump = jrun(&env, &["dump", "latest", "--job", "f", "/data.bin"])
        .ok()
        .stdout;
    assert_eq!(
        dump,
        "job=f protocol=1 options={\"level\":3} vault=none\nthe whole dump\n"
    );
    let target = env.path("restored");
    let t = target.to_str().unwrap();
    jrun(&env, &["restore", "latest", "--job", "f", "--target", t]).ok();
    let file = std::fs::read_to_string(target.join("data.bin")).unwrap();
    assert!(file.ends_with("\nthe whole dump\n"), "{file}");
    let snaps = jrun(&env, &["--json", "snapshots", "--job", "f"])
        .ok()
        .json();
    let status: Vec<_> = snaps.iter().filter_map(|s| s["status"].as_str()).collect();
    assert_eq!(status, ["ok", "failed"], "{snaps:?}");
    let jobs = jrun(&env, &["--json", "jobs"]).ok().json();
    assert_eq!(jobs[0]["last_result"], "failed");
    // A killed agent's run directory (credentials inside) goes with the
    // next `run`, even with nothing due.
    let dead = env.state.join("run-999999999-0000000000000000");
    std::fs::create_dir_all(&dead).unwrap();
    std::fs::write(dead.join("credentials"), "pw").unwrap();
    let r = jrun(&env, &["run"]).ok();
    assert!(r.stdout.contains("nothing due"), "{}", r.stdout);
    assert!(!dead.exists());
}

#[test]
fn the_agent_refuses_missing_writable_and_talkative_plugins() {
    let env = Env::new();
    let dir = install(&env, "chatty", "#!/bin/sh\necho '{}'\necho 'and more'\n");
    config(
        &env,
        "[[job]]\nname = \"a\"\nplugin = \"nosuch\"\n\n[[job]]\nname = \"b\"\nplugin = \"chatty\"\n",
    );
    let r = jrun(&env, &["backup", "--job", "a"]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("no banana-plugin-nosuch in") && line.contains("plugins"),
        "{line}"
    );
    let r = jrun(&env, &["backup", "--job", "b"]).code(1);
    assert!(
        r.one_line_error().contains("has 2 lines, not one"),
        "{}",
        r.stderr
    );
    let p = dir.join("banana-plugin-chatty");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o775)).unwrap();
    let r = jrun(&env, &["backup", "--job", "b"]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("writable by group or others") && line.contains("chmod go-w"),
        "{line}"
    );
    // Nothing was stored by any of these runs.
    let snaps = jrun(&env, &["--json", "snapshots"]).ok().summary();
    assert_eq!(snaps["count"], 0, "{snaps}");
}

/// `systemctl stop` (SIGTERM) during a plugin's dump: the agent removes its
/// run directory (where a job's credentials file lives) before exiting 143,
/// and the plugin dies with it.
#[test]
fn a_terminated_agent_removes_its_run_directory_and_its_plugin() {
    let env = Env::new();
    let pid_file = env.path("plugin.pid");
    install(
        &env,
        "slow",
        &format!(
            "#!/bin/sh\ncase \"$1\" in\n  plan) echo '{{}}' ;;\n  backup) echo $$ > {}; exec sleep 300 ;;\nesac\n",
            pid_file.display()
        ),
    );
    config(&env, "[[job]]\nname = \"s\"\nplugin = \"slow\"\n");
    let mut c = env.cmd(&["backup", "--job", "s"]);
    c.env("BANANA_CONFIG", env.path("jobs.toml"));
    let mut agent = c.spawn().unwrap();
    let runs = || -> Vec<String> {
        std::fs::read_dir(&env.state)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("run-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let plugin = poll("the plugin started", Duration::from_secs(120), || {
        pid_in(&pid_file).filter(|_| !runs().is_empty())
    });
    let pid = nix::unistd::Pid::from_raw(agent.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = agent.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status:?}");
    assert_eq!(runs(), Vec::<String>::new());
    // The plugin got SIGKILL with its parent: gone, or a zombie awaiting init.
    let alive = || {
        std::fs::read_to_string(format!("/proc/{plugin}/stat")).is_ok_and(|s| !s.contains(") Z "))
    };
    poll(
        &format!("plugin {plugin} died with the agent"),
        Duration::from_secs(60),
        || (!alive()).then_some(()),
    );
}
