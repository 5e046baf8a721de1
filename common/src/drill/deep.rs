//! `drill --deep`: database streams restored into throwaway servers started
//! from the installed server binaries inside the drill's scratch directory,
//! then a smoke query (tables per database, keys for etcd), then the server
//! stopped and its directory removed with the scratch directory.
//!
//! - PostgreSQL: `initdb` and `postgres` listening on a Unix socket in the
//!   scratch directory only (no TCP port); as root they run as the
//!   `postgres` user (PostgreSQL refuses root). Each archive goes through
//!   `pg_restore --no-owner --no-privileges` into a database of its own.
//! - MariaDB/MySQL: `mariadb-install-db` and `mariadbd --skip-networking`
//!   on a socket in the scratch directory; each dump through the client.
//! - etcd: `etcdctl snapshot restore` into a fresh data directory and an
//!   `etcd` on free loopback ports, then a count of its keys.
//!
//! Databases are created under names of the drill's own (`drill_1`, ...):
//! a name from the snapshot never reaches a server. Every server dies with
//! the drill (SIGKILL when the drill's thread ends), and is stopped when done.

use super::streams::{installed, Decoded, StreamKind};
use super::DrillReport;
use crate::error::{Error, Result};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a throwaway server may take to accept connections (a loaded
/// machine is slow; the loop also ends when the server exits).
const START_BUDGET: Duration = Duration::from_secs(300);

/// Restores what `decoded` holds into throwaway servers; each result (or
/// failure) goes into `report`.
pub(super) fn restore(decoded: &[Decoded], scratch: &Path, report: &mut DrillReport) {
    let short = report.snapshot.short();
    let pg: Vec<&Decoded> = decoded
        .iter()
        .filter(|d| matches!(d.kind, StreamKind::PgArchive(_)))
        .collect();
    let my: Vec<&Decoded> = decoded
        .iter()
        .filter(|d| matches!(&d.kind, StreamKind::MysqlDump(db) if db != "mysql"))
        .collect();
    let etcd: Vec<&Decoded> = decoded
        .iter()
        .filter(|d| d.kind == StreamKind::Etcd)
        .collect();
    let mut run = |what: &str, r: Result<Vec<String>>| match r {
        Ok(lines) => report.servers.extend(lines),
        Err(e) => report.failures.push(format!(
            "snapshot {short}: deep restore into {what}: {}",
            e.message()
        )),
    };
    if !pg.is_empty() {
        run("PostgreSQL", postgres(&pg, &scratch.join("pg")));
    }
    if !my.is_empty() {
        run("MariaDB", mariadb(&my, &scratch.join("mariadb")));
    }
    if let Some(e) = etcd.first() {
        run("etcd", etcd_server(e, &scratch.join("etcd")));
    }
    if pg.is_empty() && my.is_empty() && etcd.is_empty() {
        report
            .notes
            .push("--deep: this snapshot holds no database stream".into());
    }
}

/// A server that is killed (and waited for) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            // A clean stop first: SIGINT is PostgreSQL's fast shutdown,
            // SIGTERM MariaDB's and etcd's.
            for sig in [nix::sys::signal::SIGINT, nix::sys::signal::SIGTERM] {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_)) | Err(_)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Who a server runs as: root keeps itself unless the server refuses it.
#[derive(Clone, Copy)]
struct RunAs(Option<(u32, u32)>);

impl RunAs {
    fn apply(self, c: &mut Command) {
        if let Some((uid, gid)) = self.0 {
            c.uid(uid).gid(gid);
        }
    }
}

/// A program run to its end: its stdout, or an error with its stderr's
/// last line.
fn output(c: &mut Command, what: &str) -> Result<String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(format!("starting {what}"), e))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(Error::damaged(format!(
            "{what} failed ({}): {}",
            out.status,
            crate::humanize::printable(last.trim())
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Starts `c` as a server that dies with this thread.
fn spawn(c: &mut Command, log: &Path) -> Result<Server> {
    let log = std::fs::File::create(log).map_err(|e| Error::io("server log", e))?;
    let err = log.try_clone().map_err(|e| Error::io("server log", e))?;
    crate::plugins::command::die_with_parent(c);
    let child = c
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| Error::io("starting the server", e))?;
    Ok(Server(child))
}

/// Waits until `ready` holds, the server exits, or [`START_BUDGET`].
fn wait_ready(
    s: &mut Server,
    log: &Path,
    mut ready: impl FnMut(&mut Server) -> bool,
) -> Result<()> {
    let deadline = Instant::now() + START_BUDGET;
    loop {
        if ready(s) {
            return Ok(());
        }
        let tail = || {
            let l = std::fs::read_to_string(log).unwrap_or_default();
            let last = l
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .to_owned();
            crate::humanize::printable(&last)
        };
        if let Ok(Some(st)) = s.0.try_wait() {
            return Err(Error::damaged(format!(
                "the server exited ({st}): {}",
                tail()
            )));
        }
        if Instant::now() > deadline {
            return Err(Error::damaged(format!(
                "the server did not accept connections within {}s: {}",
                START_BUDGET.as_secs(),
                tail()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// PostgreSQL's server programs: on `PATH`, else Debian's newest.
fn pg_bin() -> Option<PathBuf> {
    if installed("initdb") && installed("postgres") {
        let path = std::env::var_os("PATH")?;
        return std::env::split_paths(&path)
            .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file());
    }
    let mut v: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    v.sort();
    let bin = PathBuf::from(format!("/usr/lib/postgresql/{}/bin", v.last()?));
    bin.join("initdb").is_file().then_some(bin)
}

fn private(dir: &Path) -> Result<()> {
    crate::fsutil::private_dir(dir).map_err(|e| Error::io(format!("{}", dir.display()), e))
}

/// The user a server that refuses root runs as (`postgres`), the scratch
/// directory opened to it for traversal only.
fn unprivileged(user: &str, dir: &Path) -> Result<RunAs> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(RunAs(None));
    }
    let u = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .ok_or_else(|| {
            Error::damaged(format!(
                "running as root, and there is no '{user}' user to run the server as"
            ))
        })?;
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = dir.parent() {
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o711))
            .map_err(|e| Error::io("scratch directory", e))?;
    }
    nix::unistd::chown(dir, Some(u.uid), Some(u.gid))
        .map_err(|e| Error::io(format!("{}", dir.display()), std::io::Error::from(e)))?;
    Ok(RunAs(Some((u.uid.as_raw(), u.gid.as_raw()))))
}

/// A program's environment: `PATH` only.
fn clean(c: &mut Command) -> &mut Command {
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
}

/// A throwaway PostgreSQL on a socket in `dir`.
struct Pg {
    dir: PathBuf,
    _server: Server,
}

impl Pg {
    fn start(dir: &Path) -> Result<Pg> {
        let bin = pg_bin().ok_or_else(|| {
            Error::damaged(
                "PostgreSQL's server (initdb, postgres) is not installed here (package postgresql)",
            )
        })?;
        private(dir)?;
        let who = unprivileged("postgres", dir)?;
        let data = dir.join("data");
        let mut init = Command::new(bin.join("initdb"));
        clean(&mut init)
            .args([
                "-U",
                "banana",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-D",
            ])
            .arg(&data);
        who.apply(&mut init);
        output(&mut init, "initdb")?;
        let log = dir.join("server.log");
        let mut cmd = Command::new(bin.join("postgres"));
        cmd.arg("-D").arg(&data).arg("-k").arg(dir).args([
            "-c",
            "listen_addresses=",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=10",
        ]);
        who.apply(&mut cmd);
        let mut server = spawn(&mut cmd, &log)?;
        let probe = |_: &mut Server| Pg::sql_in(dir, "postgres", "SELECT 1").is_ok();
        wait_ready(&mut server, &log, probe)?;
        Ok(Pg {
            dir: dir.to_owned(),
            _server: server,
        })
    }

    fn sql_in(dir: &Path, db: &str, sql: &str) -> Result<String> {
        let mut c = Command::new("psql");
        clean(&mut c)
            .args([
                "--no-psqlrc",
                "-X",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "banana",
                "-h",
            ])
            .arg(dir)
            .args(["-d", db, "-c", sql]);
        output(&mut c, "psql")
    }

    /// Restores the archive `s` (of database `db`) as `name`; its tables.
    fn restore(&self, name: &str, db: &str, file: &Path) -> Result<String> {
        Pg::sql_in(&self.dir, "postgres", &format!("CREATE DATABASE {name}"))?;
        let mut r = Command::new("pg_restore");
        clean(&mut r)
            .args(["--no-owner", "--no-privileges", "-U", "banana", "-h"])
            .arg(&self.dir)
            .args(["-d", name])
            .arg(file);
        output(
            &mut r,
            &format!(
                "pg_restore of database '{}'",
                crate::humanize::printable(db)
            ),
        )?;
        Pg::sql_in(
            &self.dir,
            name,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
        )
    }
}

fn postgres(streams: &[&Decoded], dir: &Path) -> Result<Vec<String>> {
    let pg = Pg::start(dir)?;
    let mut lines = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        let StreamKind::PgArchive(db) = &s.kind else {
            continue;
        };
        let tables = pg.restore(&format!("drill_{}", i + 1), db, &s.file)?;
        lines.push(format!(
            "postgres: database '{}' restored: {} tables",
            crate::humanize::printable(db),
            tables.trim()
        ));
    }
    Ok(lines)
}

/// A throwaway MariaDB on a socket in `dir`, without networking.
struct My {
    socket: PathBuf,
    _server: Server,
}

impl My {
    fn start(dir: &Path) -> Result<My> {
        if !installed("mariadb-install-db") || !installed("mariadbd") {
            return Err(Error::damaged(
                "MariaDB's server (mariadb-install-db, mariadbd) is not installed here (package mariadb-server)",
            ));
        }
        private(dir)?;
        let data = dir.join("data");
        let user: &[&str] = match nix::unistd::geteuid().is_root() {
            true => &["--user=root"],
            false => &[],
        };
        let mut init = Command::new("mariadb-install-db");
        init.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(user)
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        output(&mut init, "mariadb-install-db")?;
        let socket = dir.join("mysql.sock");
        let log = dir.join("server.log");
        let mut cmd = Command::new("mariadbd");
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
            .args([
                "--skip-networking",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
            ])
            .args(user);
        let mut server = spawn(&mut cmd, &log)?;
        let probe = |_: &mut Server| My::client_at(&socket, "", "SELECT 1", None).is_ok();
        wait_ready(&mut server, &log, probe)?;
        Ok(My {
            socket,
            _server: server,
        })
    }

    /// The client on `socket`: `sql`, or the file `input` on its stdin.
    fn client_at(socket: &Path, db: &str, sql: &str, input: Option<&Path>) -> Result<String> {
        let mut c = Command::new("mariadb");
        c.args(["--no-defaults", "-uroot", "-N", "-B"])
            .arg(format!("--socket={}", socket.display()));
        if !db.is_empty() {
            c.arg(format!("--database={db}"));
        }
        if !sql.is_empty() {
            c.args(["-e", sql]);
        }
        if let Some(f) = input {
            let f = std::fs::File::open(f).map_err(|e| Error::io("the decoded dump", e))?;
            c.stdin(f);
            let out = c.output().map_err(|e| Error::io("starting mariadb", e))?;
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                let last = err.lines().last().unwrap_or("").trim();
                return Err(Error::damaged(format!(
                    "the client failed: {}",
                    crate::humanize::printable(last)
                )));
            }
            return Ok(String::new());
        }
        output(&mut c, "mariadb")
    }

    /// Restores the dump `file` (of database `db`) as `name`; its tables.
    fn restore(&self, name: &str, db: &str, file: &Path) -> Result<String> {
        My::client_at(&self.socket, "", &format!("CREATE DATABASE {name}"), None)?;
        My::client_at(&self.socket, name, "", Some(file)).map_err(|e| {
            Error::damaged(format!(
                "restoring database '{}': {}",
                crate::humanize::printable(db),
                e.message()
            ))
        })?;
        My::client_at(
            &self.socket,
            "",
            &format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{name}'"
            ),
            None,
        )
    }
}

fn mariadb(streams: &[&Decoded], dir: &Path) -> Result<Vec<String>> {
    let my = My::start(dir)?;
    let mut lines = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        let StreamKind::MysqlDump(db) = &s.kind else {
            continue;
        };
        let tables = my.restore(&format!("drill_{}", i + 1), db, &s.file)?;
        lines.push(format!(
            "mariadb: database '{}' restored: {} tables",
            crate::humanize::printable(db),
            tables.trim()
        ));
    }
    Ok(lines)
}

/// A free loopback port (released for the server to take).
fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("a free port", e))?;
    Ok(l.local_addr()
        .map_err(|e| Error::io("a free port", e))?
        .port())
}

fn etcd_server(s: &Decoded, dir: &Path) -> Result<Vec<String>> {
    if !installed("etcd") || !installed("etcdctl") {
        return Err(Error::damaged(
            "etcd's server (etcd, etcdctl) is not installed here",
        ));
    }
    private(dir)?;
    let data = dir.join("data");
    let (client, peer) = (free_port()?, free_port()?);
    let peer_url = format!("http://127.0.0.1:{peer}");
    let client_url = format!("http://127.0.0.1:{client}");
    let mut feed = |w: &mut dyn std::io::Write| {
        let mut f =
            std::fs::File::open(&s.file).map_err(|e| Error::io("the decoded snapshot", e))?;
        std::io::copy(&mut f, w).map_err(|e| Error::io("the decoded snapshot", e))?;
        Ok(())
    };
    crate::plugins::etcd::restore(dir, &data, "drill", &peer_url, &mut feed)?;
    let log = dir.join("server.log");
    let mut cmd = Command::new("etcd");
    cmd.args(["--name", "drill", "--data-dir"])
        .arg(&data)
        .args([
            "--listen-client-urls",
            &client_url,
            "--advertise-client-urls",
            &client_url,
        ])
        .args([
            "--listen-peer-urls",
            &peer_url,
            "--initial-advertise-peer-urls",
            &peer_url,
        ])
        .env_clear();
    let mut server = spawn(&mut cmd, &log)?;
    let ctl = |args: &[&str]| {
        let mut c = Command::new("etcdctl");
        c.arg(format!("--endpoints={client_url}"))
            .args(["--command-timeout=10s"])
            .args(args)
            .env_clear()
            .env("ETCDCTL_API", "3");
        output(&mut c, "etcdctl")
    };
    wait_ready(&mut server, &log, |_| ctl(&["endpoint", "health"]).is_ok())?;
    // One key fetched; the answer's `count` is every key in the range.
    let count = ctl(&["get", "", "--prefix", "--limit=1", "-w", "json"])?;
    let n = serde_json::from_str::<serde_json::Value>(&count)
        .ok()
        .and_then(|v| v["count"].as_u64())
        .unwrap_or(0);
    drop(server);
    Ok(vec![format!("etcd: snapshot restored: {n} keys")])
}
