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

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use crate::ops::backup::{Run, Source};
use crate::plugins::command::{check_name, run_to_end, store_streams, CommandSpec, Feed};
use crate::plugins::{Entry, JobKeys, JobPlugin, KeyError, RunEnv, ServerRestore};
use serde::Deserialize;
use std::path::{Path, PathBuf};
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

/// The client run with the job's credentials under the rules of every
/// program-running plugin ([`super::command`]: a clean environment, its own
/// process group, killed at `timeout` and with the agent), `args` after the
/// defaults file.
fn client_spec(defaults_file: &Path, args: Vec<String>, timeout: Option<Duration>) -> CommandSpec {
    let (client, _) = programs();
    let mut argv = vec![client.to_owned(), defaults_arg(defaults_file)];
    argv.extend(args);
    CommandSpec {
        argv,
        name: "client".into(),
        timeout,
        env: Vec::new(),
        label: "mysql".into(),
        cwd: None,
    }
}

/// Runs one query with the client and returns its rows (tab-separated);
/// the client is killed after `timeout`.
pub fn query(defaults_file: &Path, sql: &str, timeout: Option<Duration>) -> Result<String> {
    check_credentials_file(defaults_file)?;
    let args = vec!["-N".into(), "-B".into(), "-e".into(), sql.to_owned()];
    let spec = client_spec(defaults_file, args, timeout);
    let (out, _) = run_to_end(&spec, None, QUERY_LIMIT).map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!(
                "the database server did not answer '{}' ({}): {}",
                programs().0,
                defaults_file.display(),
                e.message()
            ),
        )
        .hint("check the credentials and host in that defaults file")
    })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Longest answer to a query the plugin asks (database names, versions).
const QUERY_LIMIT: usize = 16 << 20;

/// A defaults file passes the check storage credential files get.
fn check_credentials_file(f: &Path) -> Result<()> {
    crate::fsutil::check_private_file(f, "the job's defaults file")
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
        let rows = query(
            &self.spec.defaults_file,
            "SHOW DATABASES",
            self.spec.timeout,
        )?;
        let mut dbs: Vec<String> = rows
            .lines()
            .map(str::to_owned)
            .filter(|d| !SYSTEM.contains(&d.as_str()))
            .collect();
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
        // A name never reaches the dump as an option.
        argv.extend(["--".to_owned(), db.to_owned()]);
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
        let dbs = run.usable("database", dbs, &|_| None);
        let info = query(
            &self.spec.defaults_file,
            "SELECT VERSION(), @@gtid_current_pos",
            self.spec.timeout,
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
/// `database` (created if missing): the client fed the stream on stdin, in
/// `--sandbox` mode (a dump's `\!`, `source` or `tee` is refused: what a
/// snapshot holds never runs on this host) with `LOAD DATA LOCAL` off.
/// Fails with the end of the client's stderr.
pub fn restore(defaults_file: &Path, database: &str, dump: Feed<'_>) -> Result<()> {
    check_name(database)?;
    let quoted = format!("`{}`", database.replace('`', "``"));
    query(
        defaults_file,
        &format!("CREATE DATABASE IF NOT EXISTS {quoted}"),
        None,
    )?;
    let args = vec![
        "--sandbox".to_owned(),
        "--local-infile=0".into(),
        format!("--database={database}"),
    ];
    run_to_end(&client_spec(defaults_file, args, None), Some(dump), 0)
        .map(|_| ())
        .map_err(|e| {
            if e.kind() != ErrorKind::Other {
                return e;
            }
            Error::new(
                ErrorKind::Other,
                format!("restoring database '{database}': {}", e.message()),
            )
        })
}

/// The `mysql` plugin's keys of a `[[job]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MysqlTable {
    /// The client defaults file with the credentials (0600).
    pub defaults_file: Option<PathBuf>,
    /// The databases (default: all).
    pub databases: Option<Vec<String>>,
    /// Multi-row INSERTs (restores about 4x faster; daily dumps then
    /// deduplicate little). Default false: one INSERT per row.
    pub extended_insert: Option<bool>,
}

/// The `mysql` plugin.
pub const ENTRY: Entry = Entry {
    name: "mysql",
    keys: super::fields::<MysqlTable>,
    credentials: true,
    check,
};

fn check(
    job: &JobKeys<'_>,
    rest: toml::Table,
) -> std::result::Result<Box<dyn JobPlugin>, KeyError> {
    let t: MysqlTable = super::table(job, rest)?;
    super::databases_given(job, &t.databases)?;
    let defaults_file = match (t.defaults_file, job.vault_credentials) {
        (Some(_), true) => {
            return Err(job.error("give defaults_file or credentials = \"vault\", not both"))
        }
        (Some(f), false) => f,
        // Written for each run from the node's agent secret.
        (None, true) => PathBuf::new(),
        (None, false) => return Err(job.error(
            "plugin 'mysql' needs defaults_file = \"/etc/banana/mysql.cnf\" (a 0600 [client] file with user and password) or credentials = \"vault\"",
        )),
    };
    let spec = MysqlSpec {
        job: job.name.to_owned(),
        defaults_file,
        databases: t.databases,
        timeout: job.program_timeout(),
        extended_insert: t.extended_insert.unwrap_or(false),
    };
    MysqlSource::new(spec.clone()).map_err(|e| job.error(e))?;
    Ok(Box::new(spec))
}

impl JobPlugin for MysqlSpec {
    fn name(&self) -> &str {
        "mysql"
    }

    fn for_run(&self, env: &RunEnv) -> Box<dyn JobPlugin> {
        let mut s = self.clone();
        if let Some(f) = &env.secret_file {
            s.defaults_file = f.clone();
        }
        Box::new(s)
    }

    fn source(&self) -> Result<Box<dyn Source>> {
        Ok(Box::new(MysqlSource::new(self.clone())?))
    }

    fn server(&self) -> Option<&dyn ServerRestore> {
        Some(self)
    }

    crate::plugin_plumbing!();
}

impl ServerRestore for MysqlSpec {
    fn database<'s>(&self, stream: &'s str) -> Option<&'s str> {
        stream.strip_suffix(".sql")
    }

    /// `mysql.sql`: the server's users and grants.
    fn accounts(&self, stream: &str) -> bool {
        stream == "mysql.sql"
    }

    fn takes_defaults_file(&self) -> bool {
        true
    }

    fn restore(&self, _: &str, database: &str, rename: Option<&str>, dump: Feed<'_>) -> Result<()> {
        restore(&self.defaults_file, rename.unwrap_or(database), dump)
    }
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
