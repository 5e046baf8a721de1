//! The `postgres` plugin against a real PostgreSQL
//! (testkit::postgres): tables, a sequence, a function and a role
//! (globals) round trip through `restore --to-server`, also under a new
//! name; the password never reaches a child's argv or environment and its
//! pgpass file is gone after the run; a wrong password fails the job.

use crate::util::{run, Env, Run};
use crate::watch;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use testkit::postgres::{self, Postgres, SUPER_PASSWORD};

static NEXT: AtomicU32 = AtomicU32::new(0);

fn name(what: &str) -> String {
    format!(
        "{what}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn app(pg: &Postgres, db: &str, role: &str) {
    pg.sql("postgres", &format!("CREATE ROLE {role} NOLOGIN"));
    pg.sql("postgres", &format!("CREATE DATABASE {db}"));
    pg.sql(
        db,
        &format!(
            "CREATE SEQUENCE ticket START 1000;
             CREATE TABLE items (id serial PRIMARY KEY, name text, price numeric(10,2));
             INSERT INTO items (name, price) SELECT 'item-' || g, g / 7.0 FROM generate_series(1, 20000) g;
             SELECT setval('ticket', 4321);
             CREATE FUNCTION total() RETURNS numeric LANGUAGE sql AS 'SELECT sum(price) FROM items';
             ALTER TABLE items OWNER TO {role};"
        ),
    );
}

fn fingerprint(pg: &Postgres, db: &str) -> String {
    pg.sql(
        db,
        "SELECT count(*), sum(price), md5(string_agg(name, ',' ORDER BY id)) FROM items;
         SELECT last_value FROM ticket;
         SELECT total();
         SELECT tableowner FROM pg_tables WHERE tablename = 'items';",
    )
}

fn job(env: &Env, pg: &Postgres, job: &str, db: &str, password: &Path) {
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"{job}\"\nplugin = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"postgres\"\n\
             password_file = \"{}\"\ndatabases = [\"{db}\"]\nglobals = true\nevery = \"1d\"\n",
            pg.port,
            password.display()
        ),
    )
    .unwrap();
}

fn jrun(env: &Env, args: &[&str]) -> Run {
    let mut c = env.cmd(args);
    c.env("BANANA_CONFIG", env.path("jobs.toml"));
    run(c)
}

#[test]
fn a_database_and_its_roles_round_trip_through_the_server() {
    let Some(pg) = postgres::server() else { return };
    let env = Env::new();
    let (db, role) = (name("app"), name("owner"));
    app(pg, &db, &role);
    let pw = env.path("pg.pass");
    pg.password_file(SUPER_PASSWORD, &pw);
    job(&env, pg, "pg", &db, &pw);
    // The password in no child's argv or environment, the marker row in no
    // file while the dump runs.
    let marker = format!("marker-{}", name("row"));
    pg.sql(
        &db,
        &format!("UPDATE items SET name = '{marker}' WHERE id = 42"),
    );
    let before = fingerprint(pg, &db);
    let leaks = watch::watch(
        SUPER_PASSWORD,
        &marker,
        &[env.dir.path().to_owned()],
        watch::nothing,
    );
    jrun(&env, &["backup", "--job", "pg"]).ok();
    assert_eq!(
        leaks.stop(),
        Vec::<String>::new(),
        "secret or plaintext seen"
    );
    // The run directory with the pgpass file is gone.
    let left: Vec<_> = std::fs::read_dir(&env.state)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("run-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let snaps = jrun(&env, &["--json", "snapshots", "--job", "pg"])
        .ok()
        .json();
    assert!(
        snaps[0]["meta"]["server_version"]
            .as_str()
            .unwrap()
            .starts_with("1"),
        "{}",
        snaps[0]
    );
    let ls = jrun(&env, &["ls", "latest", "--job", "pg"]).ok().stdout;
    assert!(
        ls.contains(&format!("/{db}.pgdump")) && ls.contains("/globals.sql"),
        "{ls}"
    );
    // Dropped with its role, then restored: data, sequence, function, owner.
    pg.sql("postgres", &format!("DROP DATABASE {db}"));
    pg.sql("postgres", &format!("DROP ROLE {role}"));
    jrun(
        &env,
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
    assert_eq!(fingerprint(pg, &db), before);
    // Under a new name beside it (without the globals).
    let copy = name("copy");
    jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "pg",
            "--to-server",
            "--database",
            &copy,
        ],
    )
    .ok();
    assert_eq!(fingerprint(pg, &copy), before);
}

#[test]
fn a_wrong_password_fails_the_job_in_one_line() {
    let Some(pg) = postgres::server() else { return };
    let env = Env::new();
    let (db, role) = (name("pw"), name("pwowner"));
    app(pg, &db, &role);
    let pw = env.path("pg.pass");
    pg.password_file("not-the-password", &pw);
    job(&env, pg, "pg", &db, &pw);
    let r = jrun(&env, &["backup", "--job", "pg"]).code(1);
    let line = r.one_line_error();
    assert!(line.contains("password authentication failed"), "{line}");
    assert!(!line.contains("not-the-password"));
}

/// Acceptance 5, small (bench/databases.sh runs 200 MB), dumped by a
/// least-privilege role (`pg_read_all_data`, globals too): a second dump
/// with 1 % of the rows changed in one id range stores under 10 % of the
/// first.
#[test]
fn a_read_only_role_dumps_and_a_one_percent_change_stores_under_a_tenth() {
    let Some(pg) = postgres::server() else { return };
    let env = Env::new();
    let (db, ro) = (name("dedup"), name("reader"));
    pg.sql("postgres", &format!("CREATE DATABASE {db}"));
    pg.sql(
        &db,
        "CREATE TABLE t (id int PRIMARY KEY, a text, b text);
         INSERT INTO t SELECT g, md5(g::text), encode(sha256(g::text::bytea), 'hex') || '-' || g * 7
           FROM generate_series(1, 1000000) g;",
    );
    pg.sql(
        "postgres",
        &format!("CREATE ROLE {ro} LOGIN PASSWORD 'ro-pass' IN ROLE pg_read_all_data"),
    );
    let pw = env.path("ro.pass");
    pg.password_file("ro-pass", &pw);
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"ro\"\nplugin = \"postgres\"\nport = {}\nuser = \"{ro}\"\n\
             password_file = \"{}\"\ndatabases = [\"{db}\"]\nglobals = true\n",
            pg.port,
            pw.display()
        ),
    )
    .unwrap();
    let stored = |r: &Run| r.summary()["bytes_stored"].as_u64().unwrap();
    let first = jrun(&env, &["--json", "backup", "--job", "ro"]).ok();
    pg.sql(
        &db,
        "UPDATE t SET b = 'changed-' || b WHERE id BETWEEN 500001 AND 510000",
    );
    let second = jrun(&env, &["--json", "backup", "--job", "ro"]).ok();
    let (s1, s2) = (stored(&first), stored(&second));
    eprintln!(
        "postgres dedup: first {s1} B stored, second {s2} B ({:.1} %)",
        100.0 * s2 as f64 / s1 as f64
    );
    assert!(s1 > 10 << 20, "first dump stored {s1} B");
    assert!(
        s2 * 10 < s1,
        "second dump stored {s2} B of the first's {s1} B"
    );
    // The role could read the globals too (without passwords).
    let globals = jrun(&env, &["dump", "latest", "--job", "ro", "/globals.sql"])
        .ok()
        .stdout;
    assert!(
        globals.contains(&format!("CREATE ROLE {ro}")),
        "{globals:.500}"
    );
    assert!(!globals.contains("SCRAM-SHA-256"), "role passwords dumped");
}

/// `databases` absent: every database that accepts connections, plus the
/// globals, each a stream; all of them restored (roles first).
#[test]
fn all_databases_and_globals_round_trip_when_none_are_named() {
    let Some(pg) = postgres::private() else {
        return;
    };
    let env = Env::new();
    app(&pg, "one", "one_owner");
    app(&pg, "two", "two_owner");
    let before = [fingerprint(&pg, "one"), fingerprint(&pg, "two")];
    let pw = env.path("pg.pass");
    pg.password_file(SUPER_PASSWORD, &pw);
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"all\"\nplugin = \"postgres\"\nport = {}\npassword_file = \"{}\"\n",
            pg.port,
            pw.display()
        ),
    )
    .unwrap();
    jrun(&env, &["backup", "--job", "all"]).ok();
    let ls = jrun(&env, &["ls", "latest", "--job", "all"]).ok().stdout;
    assert_eq!(
        crate::util::listed(&ls),
        [
            "/globals.sql",
            "/one.pgdump",
            "/postgres.pgdump",
            "/two.pgdump"
        ],
        "{ls}"
    );
    for sql in [
        "DROP DATABASE one",
        "DROP DATABASE two",
        "DROP ROLE one_owner",
        "DROP ROLE two_owner",
    ] {
        pg.sql("postgres", sql);
    }
    jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "all",
            "--to-server",
            "--accounts",
        ],
    )
    .ok();
    assert_eq!([fingerprint(&pg, "one"), fingerprint(&pg, "two")], before);
}
