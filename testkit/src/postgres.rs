//! A real PostgreSQL for tests (Debian's `postgresql`): one cluster per test
//! process, on a free loopback port, its data in a scratch directory,
//! started on first use and dying with the process. PostgreSQL refuses to
//! run as root: as root it runs as the `postgres` user. The superuser
//! `postgres` has password [`SUPER_PASSWORD`] over TCP (scram-sha-256).
//! Without PostgreSQL a test skips, except under `CI=true`.

use crate::procs::{free_port, scratch_dir, spawn_parked, wait_until, Proc};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The superuser's password over TCP.
pub const SUPER_PASSWORD: &str = "banana-pg-super";

/// The running cluster.
pub struct Postgres {
    /// Its scratch directory.
    pub dir: PathBuf,
    /// TCP port on 127.0.0.1.
    pub port: u16,
    /// The server's binaries (`pg_dump`, `psql`, ...).
    pub bin: PathBuf,
}

/// The shared cluster; `None` (skip) when PostgreSQL is not installed.
pub fn server() -> Option<&'static Postgres> {
    static S: OnceLock<Option<Postgres>> = OnceLock::new();
    S.get_or_init(start).as_ref()
}

/// The newest `/usr/lib/postgresql/N/bin`.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort();
    let bin = PathBuf::from(format!("/usr/lib/postgresql/{}/bin", versions.last()?));
    bin.join("postgres").exists().then_some(bin)
}

/// `setpriv` to the postgres user when root (PostgreSQL refuses root).
fn as_pg(root: bool) -> Vec<String> {
    if root {
        [
            "setpriv",
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--pdeathsig",
            "KILL",
            "--",
        ]
        .map(str::to_owned)
        .to_vec()
    } else {
        Vec::new()
    }
}

/// A cluster of the caller's own; `None` (skip) as [`server`].
pub fn private() -> Option<Postgres> {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    start_in(&format!("banana-pgp{n}"))
}

fn start() -> Option<Postgres> {
    start_in("banana-pg")
}

/// A cluster in the scratch directory `PREFIX-PID`.
fn start_in(prefix: &str) -> Option<Postgres> {
    let Some(bin) = bin_dir() else {
        crate::require("PostgreSQL", false);
        return None;
    };
    let root = nix::unistd::geteuid().is_root();
    let dir = scratch_dir(prefix, &|_| {});
    let pg = dir.join("pg");
    std::fs::create_dir_all(&pg).expect("pg dir");
    let pwfile = pg.join("pwfile");
    std::fs::write(&pwfile, SUPER_PASSWORD).expect("pwfile");
    if root {
        let user = nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .expect("postgres user");
        for p in [&pg, &pwfile] {
            nix::unistd::chown(p.as_path(), Some(user.uid), Some(user.gid)).expect("chown");
        }
    }
    initdb(&bin, &pg, root);
    let port = free_port();
    let mut argv = as_pg(root);
    argv.extend([
        bin.join("postgres").display().to_string(),
        "-D".into(),
        pg.join("data").display().to_string(),
        "-p".into(),
        port.to_string(),
        "-k".into(),
        pg.display().to_string(),
        "-c".into(),
        "listen_addresses=127.0.0.1".into(),
        "-c".into(),
        "fsync=off".into(),
    ]);
    let pids = spawn_parked(
        "postgres",
        &dir.join("log"),
        vec![Proc {
            name: "postgres",
            argv,
            env: vec![],
        }],
    );
    let line = format!("127.0.0.1:{port}:*:postgres:{SUPER_PASSWORD}\n");
    common::fsutil::write_private(&dir.join("pgpass"), line.as_bytes()).expect("pgpass");
    let s = Postgres { dir, port, bin };
    wait_until("postgres", &s.dir, &pids, || {
        s.try_sql("postgres", "SELECT 1").is_ok()
    });
    Some(s)
}

/// A new cluster in `pg/data`, superuser `postgres` with [`SUPER_PASSWORD`].
fn initdb(bin: &Path, pg: &Path, root: bool) {
    let pwfile = pg.join("pwfile");
    let mut argv = as_pg(root);
    argv.push(bin.join("initdb").display().to_string());
    argv.extend(["-D".to_owned(), pg.join("data").display().to_string()]);
    argv.extend(
        [
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
        .map(str::to_owned),
    );
    argv.push(format!("--pwfile={}", pwfile.display()));
    let mut initdb = Command::new(&argv[0]);
    initdb.args(&argv[1..]).stdin(Stdio::null());
    let out = initdb.output().expect("initdb");
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postgres {
    /// Runs SQL as the superuser in `db`; rows unaligned, `|`-separated.
    pub fn try_sql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-d", db, "-c", sql])
            // A file, not PGPASSWORD: tests watch every process's environment.
            .env("PGPASSFILE", self.dir.join("pgpass"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// [`Postgres::try_sql`] that must succeed.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        self.try_sql(db, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Writes `password` to a 0600 file at `path`.
    pub fn password_file(&self, password: &str, path: &Path) {
        common::fsutil::write_private(path, password.as_bytes()).expect("password file");
    }
}
