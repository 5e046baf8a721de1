//! The `mysql` plugin (MariaDB tested; MySQL's own `mysqldump` takes the same
//! options): one stream per database, `NAME.sql`, each dumped by
//! `mariadb-dump` (or `mysqldump`) in one transaction (`--single-transaction`:
//! a consistent view of InnoDB tables without locking them; MyISAM tables are
//! not transactional and may be caught mid-write), with routines, events
//! and triggers. Every stream obeys the rules of [`super::command`]: it goes
//! from the dump into the chunker, a failing dump fails the job.
//!
//! Credentials come from a client defaults file (`[client]` user, password,
//! host, port or socket; mode 0600) whose *path* is on the command line:
//! the password is never in argv or the environment.

use super::command::{check_name, store_streams, CommandSpec, Feed};
use super::source::{Run, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Schemas that are the server's, never dumped as databases.
const SYSTEM: &[&str] = &["information_schema", "performance_schema", "sys"];

/// What a `mysql` job dumps.
#[derive(Debug, Clone)]
pub struct MysqlSpec {
    /// The job's name (the snapshot's path: the defaults file may be a
    /// run's private copy).
    pub job: String,
    /// The client defaults file holding the credentials.
    pub defaults_file: PathBuf,
    /// The databases; `None`: every database but the server's schemas.
    pub databases: Option<Vec<String>>,
    /// Each dump is killed after this long.
    pub timeout: Option<Duration>,
    /// Multi-row INSERTs: restores about 4x faster, but a row whose length
    /// changes makes the rest of the dump new (little deduplication).
    pub extended_insert: bool,
}

/// The client program and the dump program found on `PATH`.
fn programs() -> (&'static str, &'static str) {
    let has = |p: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(p).is_file()))
    };
    if has("mariadb-dump") {
        ("mariadb", "mariadb-dump")
    } else {
        ("mysql", "mysqldump")
    }
}

fn defaults_arg(f: &Path) -> String {
    format!("--defaults-extra-file={}", f.display())
}

/// Runs one query with the client and returns its rows (tab-separated).
pub fn query(defaults_file: &Path, sql: &str, database: Option<&str>) -> Result<String> {
    let (client, _) = programs();
    let mut cmd = Command::new(client);
    cmd.arg(defaults_arg(defaults_file))
        .args(["-N", "-B", "-e", sql])
        .args(database)
        .stdin(Stdio::null());
    let out = cmd.output().map_err(|e| {
        Error::new(
            ErrorKind::BadInput,
            format!("'{client}' could not be started: {e}"),
        )
        .hint("install the MariaDB/MySQL client")
    })?;
    if !out.status.success() {
        let err = super::last_line(&out.stderr).unwrap_or_default();
        return Err(Error::new(
            ErrorKind::Other,
            format!(
                "the database server refused '{client}' ({}): {err}",
                defaults_file.display()
            ),
        )
        .hint("check the credentials and host in that defaults file"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `mysql` plugin's source.
pub struct MysqlSource {
    spec: MysqlSpec,
}

impl MysqlSource {
    /// A source for `spec`.
    pub fn new(spec: MysqlSpec) -> Result<MysqlSource> {
        for db in spec.databases.iter().flatten() {
            check_name(db)?;
        }
        Ok(MysqlSource { spec })
    }

    fn databases(&self) -> Result<Vec<String>> {
        if let Some(d) = &self.spec.databases {
            return Ok(d.clone());
        }
        let rows = query(&self.spec.defaults_file, "SHOW DATABASES", None)?;
        let mut dbs: Vec<String> = rows
            .lines()
            .map(str::to_owned)
            .filter(|d| !SYSTEM.contains(&d.as_str()))
            .collect();
        dbs.retain(|d| check_name(d).is_ok());
        dbs.sort();
        Ok(dbs)
    }

    fn dump(&self, db: &str) -> CommandSpec {
        let (_, dump) = programs();
        let mut argv = vec![
            dump.to_owned(),
            defaults_arg(&self.spec.defaults_file),
            "--single-transaction".into(),
            "--routines".into(),
            "--events".into(),
            "--triggers".into(),
            "--hex-blob".into(),
            "--skip-dump-date".into(),
            "--default-character-set=utf8mb4".into(),
        ];
        if !self.spec.extended_insert {
            argv.extend([
                // One INSERT per row: statement boundaries that do not move
                // when a row's length changes, so unchanged rows dedup
                // (extended inserts re-split everything after a change);
                // each table in one transaction keeps restores fast.
                "--skip-extended-insert".to_owned(),
                "--no-autocommit".to_owned(),
            ]);
        }
        argv.push(db.to_owned());
        CommandSpec {
            argv,
            name: format!("{db}.sql"),
            timeout: self.spec.timeout,
            env: Vec::new(),
            label: "mysql".into(),
            cwd: None,
        }
    }
}

impl Source for MysqlSource {
    fn paths(&self) -> Vec<Vec<u8>> {
        vec![format!("mysql:{}", self.spec.job).into_bytes()]
    }

    fn read(self: Box<Self>, run: &mut Run<'_, '_, '_>) -> Result<Id> {
        let dbs = self.databases()?;
        let info = query(
            &self.spec.defaults_file,
            "SELECT VERSION(), @@gtid_current_pos",
            None,
        )?;
        let mut fields = info.trim_end().split('\t');
        run.meta(
            "server_version",
            fields.next().unwrap_or_default().to_owned(),
        );
        run.meta("gtid", fields.next().unwrap_or_default().to_owned());
        run.meta("databases", dbs.join(" "));
        run.meta("format", "sql".into());
        let specs: Vec<_> = dbs
            .iter()
            .map(|db| (format!("database '{db}'"), self.dump(db)))
            .collect();
        store_streams(run, &specs)
    }
}

/// Restores one database's dump, read from `dump`, into the server as
/// `database` (created if missing): `mariadb --defaults-extra-file=F DB`
/// fed the stream on stdin. Fails with the end of the client's stderr.
pub fn restore(defaults_file: &Path, database: &str, dump: Feed<'_>) -> Result<()> {
    check_name(database)?;
    let quoted = format!("`{}`", database.replace('`', "``"));
    query(
        defaults_file,
        &format!("CREATE DATABASE IF NOT EXISTS {quoted}"),
        None,
    )?;
    let (client, _) = programs();
    let mut child = Command::new(client)
        .arg(defaults_arg(defaults_file))
        .arg(database)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::new(
                ErrorKind::BadInput,
                format!("'{client}' could not be started: {e}"),
            )
        })?;
    let stderr = child
        .stderr
        .take()
        .map(|e| std::thread::spawn(move || super::command::tail(e)));
    let fed = match child.stdin.take() {
        Some(mut stdin) => dump(&mut stdin),
        None => Ok(()),
    };
    let status = child
        .wait()
        .map_err(|e| Error::io(format!("'{client}'"), e))?;
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if !status.success() {
        return Err(Error::new(
            ErrorKind::Other,
            format!(
                "restoring database '{database}': '{client}' failed: {}",
                super::last_line(&stderr).unwrap_or_else(|| format!("{status}"))
            ),
        ));
    }
    fed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_are_one_insert_per_row_unless_asked() {
        let spec = |extended_insert| MysqlSpec {
            job: "j".into(),
            defaults_file: PathBuf::from("/etc/banana/my.cnf"),
            databases: None,
            timeout: None,
            extended_insert,
        };
        let argv = |e| MysqlSource::new(spec(e)).unwrap().dump("shop").argv;
        let rows = argv(false);
        assert!(
            rows.contains(&"--skip-extended-insert".to_owned()),
            "{rows:?}"
        );
        assert!(rows.contains(&"--no-autocommit".to_owned()), "{rows:?}");
        assert_eq!(rows.last().map(String::as_str), Some("shop"));
        let ext = argv(true);
        assert!(
            !ext.iter().any(|a| a == "--skip-extended-insert"),
            "{ext:?}"
        );
        assert!(ext.contains(&"--single-transaction".to_owned()));
        // Only the file's path is on the command line.
        assert!(rows.contains(&"--defaults-extra-file=/etc/banana/my.cnf".to_owned()));
    }
}
