//! Issue 22's hostile databases and forged snapshots, against real servers:
//! a PostgreSQL database named like a connection string is never connected
//! to (backup or restore); MariaDB databases named like options never reach
//! an argv as options; what a forged snapshot holds never runs on the
//! restore host (`\!` in psql and the mariadb client); the mariadb client
//! gets no agent secret and obeys the job's timeout; job credential files
//! others can read are refused.

use crate::util::{run, write, Env, Run};
use std::path::Path;
use testkit::mariadb::{self, MariaDb};
use testkit::postgres::{self, SUPER_PASSWORD};
use testkit::Trap;

fn jrun(env: &Env, config: &str, args: &[&str]) -> Run {
    let mut c = env.cmd(args);
    c.env("BANANA_CONFIG", env.path(config));
    let cwd = env.path("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    c.current_dir(cwd);
    run(c)
}

/// A listener on `ip` that never answers, counting the connections it got
/// (from the kernel's accept queue: no clock, no race with a thread).
fn trap_on(ip: &str) -> Trap {
    Trap::on(ip.parse().unwrap()).unwrap()
}

/// A snapshot of job `job` holding `streams` (name, content): what a
/// compromised node, holding the chunk key, can write (here through an
/// external plugin that prints whatever it is given).
fn forge(env: &Env, job: &str, streams: &[(&str, &str)]) {
    let dir = env.path("forger");
    let data = env.path("forged");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut names = Vec::new();
    for (name, content) in streams {
        write(&data.join(name), content.as_bytes());
        names.push(format!("\"{name}\""));
    }
    let p = dir.join("banana-plugin-forger");
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\ncase \"$1\" in\nplan) echo '{{\"streams\": [{}]}}' ;;\nbackup) cat \"{}/$2\" ;;\nesac\n",
            names.join(", "),
            data.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        env.path("forge.toml"),
        format!(
            "plugin_path = [\"{}\"]\n[[job]]\nname = \"{job}\"\nplugin = \"forger\"\n",
            dir.display()
        ),
    )
    .unwrap();
    jrun(env, "forge.toml", &["backup", "--job", job]).ok();
}

fn pg_job(env: &Env, port: u16, pw: &Path, databases: &str) {
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"pg\"\nplugin = \"postgres\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"postgres\"\n\
             password_file = \"{}\"\n{databases}every = \"1d\"\n",
            pw.display()
        ),
    )
    .unwrap();
}

/// Acceptance 1.
#[test]
fn a_postgres_database_named_like_a_connection_string_is_never_connected_to() {
    let Some(pg) = postgres::private() else {
        return;
    };
    let trap = trap_on("127.0.0.2");
    let evil = format!("hostaddr=127.0.0.2 port={} dbname=x", trap.addr().port());
    pg.sql("postgres", &format!("CREATE DATABASE \"{evil}\""));
    pg.sql("postgres", "CREATE DATABASE fine");
    let env = Env::new();
    let pw = env.path("pg.pass");
    pg.password_file(SUPER_PASSWORD, &pw);
    pg_job(&env, pg.port, &pw, "");
    let r = jrun(&env, "jobs.toml", &["backup", "--job", "pg"]).code(3);
    assert!(r.stderr.contains(&evil), "{}", r.stderr);
    assert!(r.stderr.contains("connection string"), "{}", r.stderr);
    let ls = jrun(&env, "jobs.toml", &["ls", "latest", "--job", "pg"])
        .ok()
        .stdout;
    assert!(
        ls.contains("/fine.pgdump") && !ls.contains("hostaddr"),
        "{ls}"
    );
    assert_eq!(
        trap.connections(),
        0,
        "the backup connected to the name's host"
    );
    // A snapshot naming that database, restored into the server.
    forge(&env, "pg", &[(&format!("{evil}.pgdump"), "PGDMP forged")]);
    let r = jrun(
        &env,
        "jobs.toml",
        &["restore", "latest", "--job", "pg", "--to-server"],
    )
    .code(13);
    assert!(r.stderr.contains("cannot be passed safely"), "{}", r.stderr);
    assert_eq!(
        trap.connections(),
        0,
        "the restore connected to the name's host"
    );
}

/// Acceptance 2, PostgreSQL: `\!` in a forged `globals.sql` runs nothing;
/// the SQL around it is restored; without `--accounts` nothing is.
#[test]
fn a_forged_globals_sql_runs_no_command_on_the_restore_host() {
    let Some(pg) = postgres::server() else { return };
    let env = Env::new();
    let touched = env.path("touched-by-psql");
    let (a, b) = (
        format!("forged_a_{}", std::process::id()),
        format!("forged_b_{}", std::process::id()),
    );
    let globals = format!(
        "CREATE ROLE {a} NOLOGIN;\n\\! touch {}\n\\unrestrict guess\n\\! touch {}\nCREATE ROLE {b} NOLOGIN;\n",
        touched.display(),
        touched.display()
    );
    forge(&env, "pg", &[("globals.sql", &globals)]);
    let pw = env.path("pg.pass");
    pg.password_file(SUPER_PASSWORD, &pw);
    pg_job(&env, pg.port, &pw, "databases = [\"postgres\"]\n");
    let roles = || {
        pg.sql(
            "postgres",
            &format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{a}', '{b}')"),
        )
    };
    let r = jrun(
        &env,
        "jobs.toml",
        &["restore", "latest", "--job", "pg", "--to-server"],
    )
    .ok();
    assert!(r.stderr.contains("--accounts"), "{}", r.stderr);
    assert_eq!(roles().trim(), "0");
    jrun(
        &env,
        "jobs.toml",
        &[
            "restore",
            "latest",
            "--job",
            "pg",
            "--to-server",
            "--accounts",
        ],
    )
    .ok();
    assert!(!touched.exists(), "psql ran a command the snapshot held");
    assert_eq!(roles().trim(), "2");
    pg.sql("postgres", &format!("DROP ROLE {a}; DROP ROLE {b}"));
}

fn my_job(env: &Env, name: &str, cnf: &Path, extra: &str) {
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"{name}\"\nplugin = \"mysql\"\ndefaults_file = \"{}\"\n{extra}every = \"1d\"\n",
            cnf.display()
        ),
    )
    .unwrap();
}

fn admin(m: &MariaDb, env: &Env) -> std::path::PathBuf {
    let cnf = env.path("admin.cnf");
    let user = format!("adm_h{}", std::process::id());
    m.user(&user, "admin-pass", "ALL PRIVILEGES ON *.*", &cnf);
    cnf
}

/// Acceptance 2, MariaDB: `\!` in a forged stream runs nothing (the client
/// in sandbox mode); a forged `mysql.sql` is skipped without `--accounts`.
#[test]
fn a_forged_mariadb_stream_runs_no_command_on_the_restore_host() {
    let Some(m) = mariadb::server() else { return };
    let env = Env::new();
    let touched = env.path("touched-by-mariadb");
    let db = format!("forged_{}", std::process::id());
    let stream = format!(
        "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\n\\! touch {}\nsystem touch {}\nINSERT INTO t VALUES (2);\n",
        touched.display(),
        touched.display()
    );
    forge(
        &env,
        "my",
        &[
            (&format!("{db}.sql"), &stream),
            ("mysql.sql", "SELECT 1;\n"),
        ],
    );
    let cnf = admin(m, &env);
    my_job(&env, "my", &cnf, "");
    let r = jrun(
        &env,
        "jobs.toml",
        &["restore", "latest", "--job", "my", "--to-server"],
    );
    assert!(
        !touched.exists(),
        "the client ran a command the snapshot held"
    );
    assert!(
        r.stderr.contains("mysql.sql") && r.stderr.contains("--accounts"),
        "{}",
        r.stderr
    );
    let rows = m.sql(&format!("SELECT COUNT(*) FROM {db}.t"));
    assert!(
        rows.trim() != "0",
        "the SQL before the command was not restored"
    );
    m.sql(&format!("DROP DATABASE {db}"));
}

/// Acceptance 3.
#[test]
fn mariadb_databases_named_like_options_are_never_options() {
    let Some(m) = mariadb::private() else { return };
    let env = Env::new();
    for db in ["-Arleak.sql", "--result-file=x", "fine"] {
        m.sql(&format!("CREATE DATABASE `{db}`; CREATE TABLE `{db}`.t (v TEXT); INSERT INTO `{db}`.t VALUES ('secret-row')"));
    }
    let cnf = admin(&m, &env);
    my_job(&env, "all", &cnf, "");
    let r = jrun(&env, "jobs.toml", &["backup", "--job", "all"]).code(3);
    for db in ["-Arleak.sql", "--result-file=x"] {
        assert!(r.stderr.contains(&format!("'{db}'")), "{db}: {}", r.stderr);
    }
    let ls = jrun(&env, "jobs.toml", &["ls", "latest", "--job", "all"])
        .ok()
        .stdout;
    assert!(ls.contains("/fine.sql") && !ls.contains("leak"), "{ls}");
    // Nothing written beside the agent: no leak.sql, no x.
    let mut stray = Vec::new();
    crate::util::walk_files(&env.path("cwd"), &mut |p| stray.push(p.to_owned()));
    assert!(stray.is_empty(), "{stray:?}");
    assert!(!Path::new("leak.sql").exists() && !Path::new("x").exists());
}

/// The process ids of `pid`'s children.
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(p);
        }
    }
    out
}

/// Item 9: `SHOW DATABASES` against a server that never answers.
#[test]
fn the_mariadb_client_gets_no_agent_secret_and_obeys_the_job_timeout() {
    if mariadb::server().is_none() {
        return;
    }
    let env = Env::new();
    let trap = trap_on("127.0.0.1");
    let cnf = env.path("silent.cnf");
    common::fsutil::write_private(
        &cnf,
        format!(
            "[client]\nuser = u\npassword = p\nhost = 127.0.0.1\nport = {}\n",
            trap.addr().port()
        )
        .as_bytes(),
    )
    .unwrap();
    // Time for a loaded machine to start the client before the timeout
    // strikes (it must be seen running).
    my_job(&env, "silent", &cnf, "timeout = \"10s\"\n");
    let mut c = env.cmd(&["backup", "--job", "silent"]);
    c.env("BANANA_CONFIG", env.path("jobs.toml"))
        .env("VAULT_TOKEN", "canary-vault-7f3e")
        .env("AWS_SECRET_ACCESS_KEY", "canary-aws-7f3e")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let exe = |p: u32| std::fs::read_link(format!("/proc/{p}/exe")).ok();
    let agent = exe(child.id());
    let mut clients = 0;
    // Bounded: the old client hung for ever; 600 rounds is 2 minutes.
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        for p in children(child.id()) {
            // Forked, not yet the client: it still shows the agent's own
            // environment.
            if exe(p) == agent {
                continue;
            }
            let environ = std::fs::read(format!("/proc/{p}/environ")).unwrap_or_default();
            let text = String::from_utf8_lossy(&environ);
            clients += 1;
            assert!(!text.contains("canary"), "a client got the agent's secrets");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    if child.try_wait().unwrap().is_none() {
        child.kill().ok();
        panic!("the job's 10 s timeout did not stop the client");
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(clients > 0, "no client process seen");
    assert!(trap.connections() > 0);
}

/// Item 14: a job's password or defaults file others can read is refused
/// like a storage credential file, before anything connects.
#[test]
fn job_credential_files_others_can_read_are_refused() {
    let env = Env::new();
    let open = env.path("open.secret");
    std::fs::write(&open, "[client]\npassword = p\n").unwrap();
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    pg_job(&env, 1, &open, "databases = [\"x\"]\n");
    let r = jrun(&env, "jobs.toml", &["backup", "--job", "pg"]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("can be read by other users") && line.contains("chmod 600"),
        "{line}"
    );
    my_job(&env, "my", &open, "databases = [\"x\"]\n");
    let r = jrun(&env, "jobs.toml", &["backup", "--job", "my"]).code(2);
    let line = r.one_line_error();
    assert!(
        line.contains("can be read by other users") && line.contains("open.secret"),
        "{line}"
    );
}

/// The one rule for external plugins: a stream name that cannot be passed
/// safely is not backed up; the job is partial and names it.
#[test]
fn plugin_streams_named_like_options_are_skipped_and_named() {
    let env = Env::new();
    let dir = env.path("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let p = dir.join("banana-plugin-names");
    std::fs::write(
        &p,
        "#!/bin/sh\ncase \"$1\" in\nplan) echo '{\"streams\": [\"good\", \"-evil\", \"--output=x\"]}' ;;\nbackup) echo \"data of $2\" ;;\nesac\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "plugin_path = [\"{}\"]\n[[job]]\nname = \"n\"\nplugin = \"names\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let r = jrun(&env, "jobs.toml", &["backup", "--job", "n"]).code(3);
    assert!(
        r.stderr.contains("'-evil'") && r.stderr.contains("'--output=x'"),
        "{}",
        r.stderr
    );
    let ls = jrun(&env, "jobs.toml", &["ls", "latest", "--job", "n"])
        .ok()
        .stdout;
    assert_eq!(crate::util::listed(&ls), ["/good"], "{ls}");
}
