//! A real MariaDB server for tests (Debian's `mariadb-server`): one per test
//! process, on a free loopback port, its data in a scratch directory, started
//! on first use and dying with the process. Without MariaDB a test skips,
//! except under `CI=true`, where [`server`] panics.

use crate::procs::{free_port, installed, scratch_dir, spawn_parked, wait_until, Proc};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The running server.
pub struct MariaDb {
    /// Its scratch directory.
    pub dir: PathBuf,
    /// TCP port on 127.0.0.1.
    pub port: u16,
    /// The Unix socket root uses.
    pub socket: PathBuf,
    /// The server's pid.
    pub pid: u32,
}

/// The shared server; `None` (skip) when MariaDB is not installed.
pub fn server() -> Option<&'static MariaDb> {
    static S: OnceLock<Option<MariaDb>> = OnceLock::new();
    S.get_or_init(start).as_ref()
}

/// A server of the caller's own (one it may kill); `None` (skip) as [`server`].
pub fn private() -> Option<MariaDb> {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    start_in(&format!("banana-mariadbp{n}"))
}

fn start() -> Option<MariaDb> {
    start_in("banana-mariadb")
}

/// A server in the scratch directory `PREFIX-PID`.
fn start_in(prefix: &str) -> Option<MariaDb> {
    if !crate::require(
        "MariaDB",
        installed(&["mariadbd", "mariadb-install-db", "mariadb", "mariadb-dump"]),
    ) {
        return None;
    }
    let dir = scratch_dir(prefix, &|_| {});
    let data = dir.join("data");
    let root = nix::unistd::geteuid().is_root();
    let runas: Vec<String> = if root {
        vec!["--user=root".into()]
    } else {
        vec![]
    };
    let out = Command::new("mariadb-install-db")
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args(&runas)
        .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
        .stdin(Stdio::null())
        .output()
        .expect("mariadb-install-db");
    assert!(
        out.status.success(),
        "mariadb-install-db: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let socket = dir.join("mysql.sock");
    let mut argv = vec![
        "mariadbd".to_owned(),
        "--no-defaults".into(),
        format!("--datadir={}", data.display()),
        format!("--socket={}", socket.display()),
        format!("--port={port}"),
        "--bind-address=127.0.0.1".into(),
        "--skip-name-resolve".into(),
        format!("--pid-file={}", dir.join("mariadbd.pid").display()),
        "--innodb-buffer-pool-size=64M".into(),
        "--innodb-log-file-size=16M".into(),
        format!("--log-bin={}", data.join("binlog").display()),
        "--server-id=1".into(),
    ];
    argv.extend(runas);
    let pids = spawn_parked(
        "mariadbd",
        &dir.join("log"),
        vec![Proc {
            name: "mariadbd",
            argv,
            env: vec![],
        }],
    );
    let db = MariaDb {
        dir,
        port,
        socket,
        pid: pids[0],
    };
    wait_until("mariadbd", &db.dir, &[db.pid], || {
        db.root_sql("SELECT 1").is_ok()
    });
    Some(db)
}

impl MariaDb {
    /// Kills the server (SIGKILL), as a crash would.
    pub fn kill(&self) {
        if let Ok(pid) = i32::try_from(self.pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }

    /// Runs SQL as root over the socket; stdout (tab-separated, no headers).
    pub fn root_sql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new("mariadb")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-uroot", "-N", "-B", "-e", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// [`MariaDb::root_sql`] that must succeed.
    pub fn sql(&self, sql: &str) -> String {
        self.root_sql(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// A new user with `grants` (e.g. `SELECT, SHOW VIEW, TRIGGER, EVENT,
    /// LOCK TABLES ON *.*`) and its client defaults file (0600) at `path`.
    pub fn user(&self, name: &str, password: &str, grants: &str, path: &Path) {
        self.sql(&format!(
            "CREATE OR REPLACE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{password}'; \
             GRANT {grants} TO '{name}'@'127.0.0.1'"
        ));
        let text = format!(
            "[client]\nuser = {name}\npassword = {password}\nhost = 127.0.0.1\nport = {}\n",
            self.port
        );
        common::fsutil::write_private(path, text.as_bytes()).expect("defaults file");
    }
}
