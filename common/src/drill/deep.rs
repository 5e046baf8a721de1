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

use super::proc::{count, output, spawn, wait_ready, RunAs, Server};
use super::streams::{installed, Decoded, StreamKind};
use super::DrillReport;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// The unprivileged role or account a deep restore runs as: a hostile
/// dump's SQL gets no superuser (no `COPY … TO PROGRAM`, no `INTO OUTFILE`).
const RESTORER: &str = "drill_restorer";

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
        init.args([
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
        output(&mut init, "initdb", dir.parent().unwrap_or(dir))?;
        let log = dir.parent().unwrap_or(dir).join("pg-server.log");
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
        let probe = |_: &mut Server| Pg::sql_in(dir, "banana", "postgres", "SELECT 1").is_ok();
        wait_ready(&mut server, &log, probe)?;
        Pg::sql_in(
            dir,
            "banana",
            "postgres",
            &format!("CREATE ROLE {RESTORER} LOGIN"),
        )?;
        Ok(Pg {
            dir: dir.to_owned(),
            _server: server,
        })
    }

    fn sql_in(dir: &Path, user: &str, db: &str, sql: &str) -> Result<String> {
        let mut c = Command::new("psql");
        c.args([
            "--no-psqlrc",
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-U",
            user,
            "-h",
        ])
        .arg(dir)
        .args(["-d", db, "-c", sql]);
        output(&mut c, "psql", dir.parent().unwrap_or(dir))
    }

    /// Restores the archive `file` (of database `db`) as `name`, owned by
    /// the unprivileged role; its tables.
    fn restore(&self, name: &str, db: &str, file: &Path) -> Result<u64> {
        let sql = format!("CREATE DATABASE {name} OWNER {RESTORER}");
        Pg::sql_in(&self.dir, "banana", "postgres", &sql)?;
        let mut r = Command::new("pg_restore");
        r.args(["--no-owner", "--no-privileges", "-U", RESTORER, "-h"])
            .arg(&self.dir)
            .args(["-d", name])
            .arg(file);
        let what = format!(
            "pg_restore of database '{}'",
            crate::humanize::printable(db)
        );
        output(&mut r, &what, self.dir.parent().unwrap_or(&self.dir))?;
        let n = Pg::sql_in(
            &self.dir,
            "banana",
            name,
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
        )?;
        count(&n, "the restored database's tables")
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
            "postgres: database '{}' restored: {tables} tables",
            crate::humanize::printable(db)
        ));
    }
    Ok(lines)
}

/// Where a throwaway MariaDB listens (its directory, its socket).
struct MyConn {
    dir: PathBuf,
    socket: PathBuf,
}

/// A throwaway MariaDB on a socket in `dir`, without networking, writing
/// files only inside `dir`.
struct My {
    conn: MyConn,
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
        let (data, tmp) = (dir.join("data"), dir.join("tmp"));
        private(&tmp)?;
        let user: &[&str] = match nix::unistd::geteuid().is_root() {
            true => &["--user=root"],
            false => &[],
        };
        let mut init = Command::new("mariadb-install-db");
        init.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(user)
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        output(&mut init, "mariadb-install-db", &tmp)?;
        let socket = dir.join("mysql.sock");
        let log = dir.join("server.log");
        let mut cmd = Command::new("mariadbd");
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .arg(format!("--secure-file-priv={}", tmp.display()))
            .args([
                "--skip-networking",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
            ])
            .args(user);
        let mut server = spawn(&mut cmd, &log)?;
        let conn = MyConn {
            dir: dir.to_owned(),
            socket,
        };
        let probe = |_: &mut Server| conn.client("root", "", "SELECT 1", None).is_ok();
        wait_ready(&mut server, &log, probe)?;
        conn.client(
            "root",
            "",
            &format!("CREATE USER {RESTORER}@localhost"),
            None,
        )?;
        Ok(My {
            conn,
            _server: server,
        })
    }

    /// Restores the dump `file` (of database `db`) as `name`, by an account
    /// with rights on that database only; its tables.
    fn restore(&self, name: &str, db: &str, file: &Path) -> Result<u64> {
        let c = &self.conn;
        let grant =
            format!("CREATE DATABASE {name}; GRANT ALL ON {name}.* TO {RESTORER}@localhost");
        c.client("root", "", &grant, None)?;
        c.client(RESTORER, name, "", Some(file)).map_err(|e| {
            Error::damaged(format!(
                "restoring database '{}': {}",
                crate::humanize::printable(db),
                e.message()
            ))
        })?;
        let sql =
            format!("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{name}'");
        count(
            &c.client("root", "", &sql, None)?,
            "the restored database's tables",
        )
    }
}

impl MyConn {
    /// The client on the socket as `user`: `sql`, or the dump `input` on
    /// its stdin in sandbox mode (a dump's `\!` or `system` lines refused).
    fn client(&self, user: &str, db: &str, sql: &str, input: Option<&Path>) -> Result<String> {
        let mut c = Command::new("mariadb");
        c.args(["--no-defaults", "--sandbox", "--local-infile=0", "-N", "-B"])
            .arg(format!("--user={user}"))
            .arg(format!("--socket={}", self.socket.display()));
        if !db.is_empty() {
            c.arg(format!("--database={db}"));
        }
        if !sql.is_empty() {
            c.args(["-e", sql]);
        }
        match input {
            Some(f) => {
                let f = std::fs::File::open(f).map_err(|e| Error::io("the decoded dump", e))?;
                c.stdin(f);
            }
            None => {
                c.stdin(Stdio::null());
            }
        }
        output(&mut c, "the MariaDB client", &self.dir.join("tmp"))
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
            "mariadb: database '{}' restored: {tables} tables",
            crate::humanize::printable(db)
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
        ]);
    let mut server = spawn(&mut cmd, &log)?;
    let ctl = |args: &[&str]| {
        let mut c = Command::new("etcdctl");
        c.arg(format!("--endpoints={client_url}"))
            .args(["--command-timeout=10s"])
            .args(args);
        output(&mut c, "etcdctl", dir)
    };
    wait_ready(&mut server, &log, |_| ctl(&["endpoint", "health"]).is_ok())?;
    // One key fetched; the answer's `count` is every key in the range.
    let count = ctl(&["get", "", "--prefix", "--limit=1", "-w", "json"])?;
    let n = serde_json::from_str::<serde_json::Value>(&count)
        .ok()
        .and_then(|v| {
            v["count"]
                .as_u64()
                .or(Some(0))
                .filter(|_| v["header"].is_object())
        })
        .ok_or_else(|| Error::damaged("etcdctl get: not an answer with a count"))?;
    drop(server);
    Ok(vec![format!("etcd: snapshot restored: {n} keys")])
}
