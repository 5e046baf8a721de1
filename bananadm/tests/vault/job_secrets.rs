//! A database job's credentials from Vault (`bananadm node secret` and
//! `credentials = "vault"`), against real OpenBao and MariaDB: the dump and
//! the restore into the server use them, the password never reaches a
//! child's argv or environment, the output or the state directory, and no
//! run directory outlives the run.

use crate::harness::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use testkit::mariadb;

/// `PRIVATE` for the run's credentials file (or its temporary), 0600 in a 0700 run directory:
/// the one place the secret may be, for the run only.
fn private(p: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = p.parent()?;
    let mode = |q: &std::path::Path| std::fs::metadata(q).map(|m| m.permissions().mode() & 0o777);
    let name = p.file_name()?.to_string_lossy();
    // The file, or the temporary it is written through and renamed from.
    let ours =
        name == "credentials" || (name.starts_with(".credentials.") && name.ends_with(".tmp"));
    (ours
        && dir.file_name()?.to_string_lossy().starts_with("run-")
        && mode(p).ok()? == 0o600
        && mode(dir).ok()? == 0o700)
        .then(|| "PRIVATE".to_owned())
}

/// Every process's argv and environment, and every file under `dir`,
/// scanned for `needle` until stopped; where it was seen.
fn watch(
    needle: String,
    dir: std::path::PathBuf,
) -> (Arc<AtomicBool>, std::thread::JoinHandle<Vec<String>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let h = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let has = |b: &[u8]| b.windows(needle.len()).any(|w| w == needle.as_bytes());
        // Two whole rounds after the stop: what the run wrote last is seen.
        let mut after_stop = 0;
        while after_stop < 2 {
            if s.load(Ordering::Relaxed) {
                after_stop += 1;
            }
            for p in std::fs::read_dir("/proc").unwrap().flatten() {
                for f in ["cmdline", "environ"] {
                    if std::fs::read(p.path().join(f)).is_ok_and(|b| has(&b)) {
                        seen.push(format!("{}/{f}", p.path().display()));
                    }
                }
            }
            let mut stack = vec![dir.clone()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if std::fs::read(&p).is_ok_and(|b| has(&b)) {
                        seen.push(private(&p).unwrap_or_else(|| p.display().to_string()));
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        seen
    });
    (stop, h)
}

/// Run directories left in the state directory.
fn runs_left(state: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(state)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("run-"))
        .collect()
}

#[test]
fn a_database_job_takes_its_credentials_from_vault() {
    let Some(m) = mariadb::server() else { return };
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "db-vault", dir.path());
    let db = format!("vaultshop_{}", std::process::id());
    let password = format!("CANARY-DBPW-{}", std::process::id());
    m.sql(&format!(
        "CREATE DATABASE {db}; USE {db}; CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(32)) ENGINE=InnoDB;
         INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_2000;"
    ));
    // The backup user may also restore its own database (a test shortcut: a
    // fleet gives restores an admin's file with --defaults-file).
    let creds = dir.path().join("shop.cnf");
    m.user(
        "vaultbk",
        &password,
        &format!("SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, PROCESS ON *.* TO 'vaultbk'@'127.0.0.1'; GRANT ALL ON {db}.*"),
        &creds,
    );
    let creds_s = creds.to_str().unwrap();
    let o = bao.adm(
        &admin,
        &["node", "secret", "db-vault", "shop", "--from-file", creds_s],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bao.adm(
        &admin,
        &["node", "secret", "db-vault", "shop", "--from-file", creds_s],
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("already has credentials for job 'shop'")
            && stderr(&o).contains("--replace"),
        "{}",
        stderr(&o)
    );
    let o = bao.adm(
        &admin,
        &[
            "node",
            "secret",
            "db-vault",
            "shop",
            "--from-file",
            creds_s,
            "--replace",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bao.adm(&admin, &["--json", "node", "show", "db-vault"]);
    let shown = stdout(&o);
    assert!(shown.contains("\"job_credentials\":[\"shop\"]"), "{shown}");
    assert!(!shown.contains(&password), "{shown}");
    // A key rotation keeps them.
    let o = bao.adm(&admin, &["node", "rotate", "db-vault"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = stdout(&bao.adm(&admin, &["--json", "node", "show", "db-vault"]));
    assert!(shown.contains("\"job_credentials\":[\"shop\"]"), "{shown}");

    let config = n.dir.join("jobs.toml");
    std::fs::write(
        &config,
        format!(
            "[[job]]\nname = \"shop\"\nplugin = \"mysql\"\ncredentials = \"vault\"\ndatabases = [\"{db}\"]\n\n\
             [[job]]\nname = \"other\"\nplugin = \"mysql\"\ncredentials = \"vault\"\n"
        ),
    )
    .unwrap();
    let jrun = |args: &[&str]| {
        let mut c = n.cmd(args);
        c.env("BANANA_CONFIG", &config);
        c.output().unwrap()
    };
    let (stop, h) = watch(password.clone(), n.dir.clone());
    let o = jrun(&["--json", "backup", "--job", "shop"]);
    stop.store(true, Ordering::Relaxed);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut seen = h.join().unwrap();
    seen.retain(|w| w != "PRIVATE");
    assert_eq!(seen, Vec::<String>::new(), "password seen");
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!all.contains(&password), "{all}");
    assert_eq!(runs_left(&n.state), Vec::<String>::new());

    // Restored into the server with the same credentials (and a grant).
    let before = m.sql(&format!("SELECT COUNT(*), SUM(CRC32(v)) FROM {db}.t"));
    m.sql(&format!("DROP DATABASE {db}"));
    let grant = stdout(&bao.adm(&admin, &["restore", "grant", "db-vault"]));
    let (stop, h) = watch(password.clone(), n.dir.clone());
    let o = jrun(&[
        "restore",
        "latest",
        "--job",
        "shop",
        "--to-server",
        "--grant",
        &grant,
    ]);
    stop.store(true, Ordering::Relaxed);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut seen = h.join().unwrap();
    seen.retain(|w| w != "PRIVATE");
    assert_eq!(
        seen,
        Vec::<String>::new(),
        "password seen during the restore"
    );
    assert!(!format!("{}{}", stdout(&o), stderr(&o)).contains(&password));
    assert_eq!(runs_left(&n.state), Vec::<String>::new());
    assert_eq!(
        m.sql(&format!("SELECT COUNT(*), SUM(CRC32(v)) FROM {db}.t")),
        before
    );

    // A job with nothing stored fails in one line that says what to do.
    let o = jrun(&["backup", "--job", "other"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("job 'other' takes its credentials from Vault")
            && err.contains("bananadm node secret NODE other --from-file FILE"),
        "{err}"
    );
    let o = bao.adm(&admin, &["node", "secret", "db-vault", "shop", "--remove"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = jrun(&["backup", "--job", "shop"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}
