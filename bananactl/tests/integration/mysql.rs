//! The `mysql` plugin against a real MariaDB (testkit::mariadb):
//! a database with a view, a trigger, a routine and 100,000 rows round
//! trips through `restore --to-server` (also under a new name); credentials
//! never reach a child's argv or environment; no plaintext reaches the disk;
//! a refused login fails the job and `latest` keeps the good dump.

use crate::util::{run, Env, Run};
use crate::watch;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use testkit::mariadb::{self, MariaDb};

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A fresh database name on the shared server.
fn db_name(what: &str) -> String {
    format!(
        "{what}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A database with 100,000 accounts (one holding `marker`), a view, a
/// trigger, a function and a procedure.
fn shop(m: &MariaDb, db: &str, marker: &str) {
    m.sql(&format!(
        "CREATE DATABASE {db}; USE {db};
         CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(64), balance BIGINT) ENGINE=InnoDB;
         INSERT INTO accounts SELECT seq, CONCAT('owner-', seq), seq * 10 FROM seq_1_to_100000;
         UPDATE accounts SET owner = '{marker}' WHERE id = 4242;
         CREATE VIEW rich AS SELECT id, owner FROM accounts WHERE balance > 999000;
         CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT);
         CREATE TRIGGER audited AFTER UPDATE ON accounts FOR EACH ROW INSERT INTO audit (note) VALUES (CONCAT('updated ', NEW.id));
         CREATE FUNCTION total() RETURNS BIGINT READS SQL DATA RETURN (SELECT SUM(balance) FROM accounts);
         CREATE PROCEDURE touch(IN n INT) UPDATE accounts SET balance = balance + 1 WHERE id = n;"
    ));
}

/// What must come back: checksums, rows, view, trigger, routines.
fn fingerprint(m: &MariaDb, db: &str) -> String {
    m.sql(&format!(
        "USE {db};
         SELECT COUNT(*), SUM(balance), SUM(CRC32(owner)) FROM accounts;
         SELECT COUNT(*) FROM rich;
         SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{db}';
         SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{db}' ORDER BY 1;
         SELECT total();"
    ))
}

/// A backup user with what a dump needs, and an admin for restores.
fn users(m: &MariaDb, env: &Env, password: &str) -> (PathBuf, PathBuf) {
    let backup = env.path("backup.cnf");
    let name = format!("bk{}", NEXT.fetch_add(1, Ordering::Relaxed));
    m.user(
        &name,
        password,
        "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, PROCESS ON *.*",
        &backup,
    );
    let admin = env.path("admin.cnf");
    let aname = format!("adm{}", NEXT.fetch_add(1, Ordering::Relaxed));
    m.user(&aname, "admin-pass", "ALL PRIVILEGES ON *.*", &admin);
    (backup, admin)
}

fn job(env: &Env, name: &str, cnf: &Path, dbs: &[&str]) {
    let list: Vec<String> = dbs.iter().map(|d| format!("\"{d}\"")).collect();
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"{name}\"\nplugin = \"mysql\"\ndefaults_file = \"{}\"\ndatabases = [{}]\nevery = \"1d\"\n",
            cnf.display(),
            list.join(", ")
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
fn a_database_round_trips_through_the_server_and_leaks_nothing() {
    let Some(m) = mariadb::server() else { return };
    let env = Env::new();
    let db = db_name("shop");
    let marker = format!("marker-{:x}", rand_u64());
    let password = format!("canary-pw-{:x}", rand_u64());
    shop(m, &db, &marker);
    let before = fingerprint(m, &db);
    let (backup, admin) = users(m, &env, &password);
    job(&env, "shop", &backup, &[&db]);
    let leaks = watch::watch(
        &password,
        &marker,
        &[env.dir.path().to_owned()],
        watch::nothing,
    );
    let r = jrun(&env, &["--json", "backup", "--job", "shop"]).ok();
    assert_eq!(
        leaks.stop(),
        Vec::<String>::new(),
        "secret or plaintext seen"
    );
    let out = format!("{}{}", r.stdout, r.stderr);
    assert!(!out.contains(&password), "{out}");
    let snaps = jrun(&env, &["--json", "snapshots", "--job", "shop"])
        .ok()
        .json();
    let meta = &snaps[0]["meta"];
    assert!(
        meta["server_version"].as_str().unwrap().contains("MariaDB"),
        "{meta}"
    );
    assert_eq!(meta["databases"], db.as_str());
    // The stream is the dump: it names the view, trigger and routines.
    let dump = jrun(
        &env,
        &["dump", "latest", "--job", "shop", &format!("/{db}.sql")],
    )
    .ok()
    .stdout;
    for what in [
        "CREATE TABLE `accounts`",
        "VIEW `rich`",
        "TRIGGER audited",
        "FUNCTION `total`",
        "PROCEDURE `touch`",
        &marker,
    ] {
        assert!(dump.contains(what), "dump lacks {what}");
    }
    // Dropped, then restored: the same rows, view, trigger and routines.
    m.sql(&format!("DROP DATABASE {db}"));
    let admin_s = admin.to_str().unwrap();
    jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "shop",
            "--to-server",
            "--defaults-file",
            admin_s,
        ],
    )
    .ok();
    assert_eq!(fingerprint(m, &db), before);
    // And under another name, beside the original.
    let copy = db_name("copy");
    jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "shop",
            "--to-server",
            "--database",
            &copy,
            "--defaults-file",
            admin_s,
        ],
    )
    .ok();
    assert_eq!(fingerprint(m, &copy), before.replace(&db, &copy));
    // The restore user's password is a secret too.
    assert!(!fingerprint(m, &db).is_empty());
}

#[test]
fn a_refused_login_fails_the_job_and_latest_keeps_the_good_dump() {
    let Some(m) = mariadb::server() else { return };
    let env = Env::new();
    let db = db_name("pw");
    shop(m, &db, "x");
    let (backup, _) = users(m, &env, "right-password");
    job(&env, "pw", &backup, &[&db]);
    jrun(&env, &["backup", "--job", "pw"]).ok();
    let text = std::fs::read_to_string(&backup).unwrap();
    std::fs::write(&backup, text.replace("right-password", "wrong-password")).unwrap();
    let r = jrun(&env, &["backup", "--job", "pw"]).code(1);
    let line = r.one_line_error();
    assert!(
        line.contains("Access denied") && line.contains("backup.cnf"),
        "{line}"
    );
    assert!(!line.contains("wrong-password"), "{line}");
    // Nor in debug logs, nor in the status a tower receives (given time
    // enough to deliver on a loaded machine).
    let jobs = std::fs::read_to_string(env.path("jobs.toml")).unwrap();
    std::fs::write(
        env.path("jobs.toml"),
        format!("status_budget = \"60s\"\n{jobs}"),
    )
    .unwrap();
    let tower = testkit::Receiver::start(0).unwrap();
    let mut c = env.cmd(&["-vv", "backup", "--job", "pw"]);
    c.env("BANANA_CONFIG", env.path("jobs.toml"))
        .env("BANANA_COLLECTOR", tower.url());
    let r = run(c).code(1);
    let sent = tower.requests();
    assert!(!sent.is_empty(), "no status sent");
    let bodies: Vec<String> = sent
        .iter()
        .map(|q| String::from_utf8_lossy(&q.body).into_owned())
        .collect();
    // The failure reaches the tower in clear (so a leak would show).
    assert!(
        bodies.iter().any(|b| b.contains("Access denied")),
        "{bodies:?}"
    );
    assert!(
        !bodies.iter().any(|b| b.contains("wrong-password")),
        "{bodies:?}"
    );
    assert!(!format!("{}{}", r.stdout, r.stderr).contains("wrong-password"));
    assert!(r.stderr.contains("Access denied"), "{}", r.stderr);
    let dump = jrun(&env, &["dump", "latest", "--job", "pw"]).ok().stdout;
    assert!(dump.contains("CREATE TABLE `accounts`"));
    let jobs = jrun(&env, &["--json", "jobs"]).ok().json();
    assert_eq!(jobs[0]["last_result"], "failed");
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .unwrap();
    u64::from_le_bytes(b)
}

#[test]
fn a_dump_taken_while_money_moves_restores_an_unchanged_total() {
    let Some(m) = mariadb::server() else { return };
    let env = Env::new();
    let db = db_name("bank");
    shop(m, &db, "x");
    let total = m.sql(&format!("SELECT SUM(balance) FROM {db}.accounts"));
    let (backup, admin) = users(m, &env, "bank-pass");
    job(&env, "bank", &backup, &[&db]);
    // A writer moving money between accounts, one transaction at a time,
    // from before the backup until after it (bounded: 500,000 of them).
    let mut writer = std::process::Command::new("mariadb")
        .arg("--no-defaults")
        .arg(format!("--socket={}", m.socket.display()))
        .arg("-uroot")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = writer.stdin.take().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let feeder = {
        let (stop, db) = (stop.clone(), db.clone());
        std::thread::spawn(move || -> std::io::Result<()> {
            use std::io::Write;
            writeln!(stdin, "USE {db};")?;
            for i in 0..500_000u32 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let (a, b) = (1 + i * 31 % 100_000, 1 + i * 97 % 100_000);
                writeln!(
                    stdin,
                    "START TRANSACTION; UPDATE accounts SET balance = balance - 7 WHERE id = {a}; \
                     UPDATE accounts SET balance = balance + 7 WHERE id = {b}; COMMIT;"
                )?;
            }
            Ok(())
        })
    };
    // The money moves before the backup starts: the trigger's audit rows
    // show the writer's first commit.
    let audited = || -> u64 {
        m.sql(&format!("SELECT COUNT(*) FROM {db}.audit"))
            .trim()
            .parse()
            .unwrap()
    };
    let end = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while audited() == 0 {
        assert!(
            std::time::Instant::now() < end,
            "the writer never committed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let before = audited();
    jrun(&env, &["backup", "--job", "bank"]).ok();
    let after = audited();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    feeder.join().unwrap().unwrap();
    assert!(writer.wait().unwrap().success());
    println!("rows updated before the backup: {before}, when it ended: {after}");
    let copy = db_name("bankcopy");
    let admin_s = admin.to_str().unwrap();
    jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "bank",
            "--to-server",
            "--database",
            &copy,
            "--defaults-file",
            admin_s,
        ],
    )
    .ok();
    assert_eq!(
        m.sql(&format!("SELECT SUM(balance) FROM {copy}.accounts")),
        total
    );
}

/// `bytes_stored` of a backup's JSON summary.
fn stored(r: &Run) -> u64 {
    r.summary()["bytes_stored"].as_u64().unwrap()
}

/// Acceptance 5, small (bench/databases.sh runs 200 MB): a second daily
/// dump with 1 % of the rows changed, in one id range and to values of
/// another length, stores under 10 % of the first.
#[test]
fn a_second_dump_with_one_percent_changed_stores_under_a_tenth() {
    let Some(m) = mariadb::server() else { return };
    let env = Env::new();
    let db = db_name("dedup");
    m.sql(&format!(
        "CREATE DATABASE {db}; USE {db};
         CREATE TABLE t (id INT PRIMARY KEY, a CHAR(32), b VARCHAR(200)) ENGINE=InnoDB;
         INSERT INTO t SELECT seq, MD5(seq), CONCAT(SHA2(seq, 256), '-', seq * 7) FROM seq_1_to_700000;"
    ));
    let (backup, _) = users(m, &env, "dedup-pass");
    job(&env, "dedup", &backup, &[&db]);
    let first = jrun(&env, &["--json", "backup", "--job", "dedup"]).ok();
    m.sql(&format!(
        "UPDATE {db}.t SET b = CONCAT('changed-', b) WHERE id BETWEEN 350001 AND 357000"
    ));
    let second = jrun(&env, &["--json", "backup", "--job", "dedup"]).ok();
    let (s1, s2) = (stored(&first), stored(&second));
    eprintln!(
        "mysql dedup: first {s1} B stored, second {s2} B ({:.1} %)",
        100.0 * s2 as f64 / s1 as f64
    );
    assert!(s1 > 10 << 20, "first dump stored {s1} B");
    assert!(
        s2 * 10 < s1,
        "second dump stored {s2} B of the first's {s1} B"
    );
}

/// Acceptance 4: the server killed mid-dump fails the job in one line, and
/// `latest` still gives the last good dump.
#[test]
fn a_server_killed_mid_dump_fails_the_job_and_latest_keeps_the_good_dump() {
    let Some(m) = mariadb::private() else { return };
    let env = Env::new();
    let db = "crash";
    m.sql(&format!(
        "CREATE DATABASE {db}; USE {db};
         CREATE TABLE t (id INT PRIMARY KEY, b VARCHAR(200)) ENGINE=InnoDB;
         INSERT INTO t SELECT seq, CONCAT(SHA2(seq, 256), SHA2(seq + 1, 256)) FROM seq_1_to_400000;"
    ));
    let (backup, _) = users(&m, &env, "crash-pass");
    job(&env, "crash", &backup, &[db]);
    jrun(&env, &["backup", "--job", "crash"]).ok();
    // Run again; once the dump has written 4 MiB, kill the server.
    let mut c = env.cmd(&["backup", "--job", "crash"]);
    c.env("BANANA_CONFIG", env.path("jobs.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    // Bounded: a dump never seen writing fails the test, however slow.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let killed = loop {
        let dumping = std::fs::read_dir("/proc").unwrap().flatten().find_map(|p| {
            let cmd = std::fs::read(p.path().join("cmdline")).ok()?;
            let is_dump = cmd.starts_with(b"mariadb-dump") || cmd.starts_with(b"mysqldump");
            let ours = cmd
                .windows(backup.as_os_str().len())
                .any(|w| w == backup.as_os_str().as_encoded_bytes());
            let io = std::fs::read_to_string(p.path().join("io")).ok()?;
            let written: u64 = io
                .lines()
                .find_map(|l| l.strip_prefix("wchar: "))?
                .parse()
                .ok()?;
            (is_dump && ours && written > 4 << 20).then_some(())
        });
        if dumping.is_some() {
            m.kill();
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let out = child.wait_with_output().unwrap();
    assert!(killed, "the dump was never seen writing");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw: out.stdout,
    }
    .code(1);
    let line = r.one_line_error();
    assert!(
        line.contains("job 'crash' failed") && line.contains("database 'crash'"),
        "{line}"
    );
    let dump = jrun(&env, &["dump", "latest", "--job", "crash", "/crash.sql"])
        .ok()
        .stdout;
    assert!(
        dump.contains("INSERT INTO `t` VALUES") && dump.trim_end().ends_with("-- Dump completed"),
        "{:.200}",
        &dump[dump.len().saturating_sub(200)..]
    );
}

/// `databases` absent: every database but the server's schemas, one stream
/// each (the `mysql` system database included), and all of them restored.
#[test]
fn all_databases_are_dumped_and_restored_when_none_are_named() {
    let Some(m) = mariadb::private() else { return };
    let env = Env::new();
    for db in ["alpha", "beta"] {
        shop(&m, db, &format!("marker-{db}"));
    }
    let before: Vec<String> = ["alpha", "beta"]
        .iter()
        .map(|d| fingerprint(&m, d))
        .collect();
    let (backup, admin) = users(&m, &env, "all-pass");
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"all\"\nplugin = \"mysql\"\ndefaults_file = \"{}\"\n",
            backup.display()
        ),
    )
    .unwrap();
    jrun(&env, &["backup", "--job", "all"]).ok();
    let ls = jrun(&env, &["ls", "latest", "--job", "all"]).ok().stdout;
    assert_eq!(
        crate::util::listed(&ls),
        ["/alpha.sql", "/beta.sql", "/mysql.sql"],
        "{ls}"
    );
    m.sql("DROP DATABASE alpha; DROP DATABASE beta");
    let admin_s = admin.to_str().unwrap();
    let r = jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "all",
            "--to-server",
            "--accounts",
            "--defaults-file",
            admin_s,
        ],
    )
    .ok();
    assert!(r.stdout.contains("alpha, beta, mysql"), "{}", r.stdout);
    let after: Vec<String> = ["alpha", "beta"]
        .iter()
        .map(|d| fingerprint(&m, d))
        .collect();
    assert_eq!(after, before);
    // The accounts came back with the mysql database: the backup user still logs in.
    jrun(&env, &["backup", "--job", "all"]).ok();
}
