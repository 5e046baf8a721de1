//! The `postgres` plugin: one stream per database, `NAME.pgdump`, from
//! `pg_dump --format=custom -Z0` (uncompressed, so deduplication works
//! across days; the repository compresses), each a consistent snapshot of
//! its database (one repeatable-read transaction), plus `globals.sql` from
//! `pg_dumpall --globals-only --no-role-passwords` (roles, tablespaces).
//! Every stream obeys the rules of [`super::command`].
//!
//! The password is read from a 0600 file and written, for the run only, to
//! a `PGPASSFILE` in a private 0700 run directory that is removed when the
//! run ends: the children get the file's path, never the password.

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use crate::ops::backup::{Run, Source};
use crate::plugins::command::{check_name, run_picking, store_streams, CommandSpec, Feed, RunDir};
use crate::plugins::{Entry, JobKeys, JobPlugin, KeyError, RunEnv, ServerRestore};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the server and what to dump.
#[derive(Debug, Clone)]
pub struct PostgresSpec {
    /// Host (or socket directory).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Role to connect as.
    pub user: String,
    /// A 0600 file holding the password (none: trust, peer or ~/.pgpass).
    pub password_file: Option<PathBuf>,
    /// The databases; `None`: every database that accepts connections.
    pub databases: Option<Vec<String>>,
    /// Also dump roles and tablespaces (`globals.sql`).
    pub globals: bool,
    /// Each dump is killed after this long.
    pub timeout: Option<Duration>,
    /// Where the private run directory is made (the node's state directory).
    pub run_base: PathBuf,
}

/// `\\` and `:` escaped for a pgpass line.
fn pgpass_field(s: &str) -> String {
    s.replace('\\', "\\\\").replace(':', "\\:")
}

impl PostgresSpec {
    /// The run directory with its `pgpass` (when a password file is set) and
    /// the environment every client gets.
    pub fn session(&self) -> Result<(RunDir, Vec<(String, String)>)> {
        let dir = RunDir::new(&self.run_base)?;
        let mut env = vec![("PGCONNECT_TIMEOUT".to_owned(), "30".to_owned())];
        if let Some(f) = &self.password_file {
            crate::fsutil::check_private_file(f, "the job's password file")?;
            let password = zeroize::Zeroizing::new(
                std::fs::read_to_string(f)
                    .map_err(|e| Error::io(format!("password file {}", f.display()), e))?,
            );
            let line = zeroize::Zeroizing::new(format!(
                "{}:{}:*:{}:{}\n",
                pgpass_field(&self.host),
                self.port,
                pgpass_field(&self.user),
                pgpass_field(password.trim_end_matches(['\n', '\r']))
            ));
            let pass = dir.path().join("pgpass");
            crate::fsutil::create_private(&pass, line.as_bytes())
                .map_err(|e| Error::io(format!("{}", pass.display()), e))?;
            env.push(("PGPASSFILE".into(), pass.display().to_string()));
        }
        Ok((dir, env))
    }

    /// `-h H -p P -U U -w` (never prompt).
    fn conn(&self) -> Vec<String> {
        vec![
            "-h".into(),
            self.host.clone(),
            "-p".into(),
            self.port.to_string(),
            "-U".into(),
            self.user.clone(),
            "-w".into(),
        ]
    }
}

/// Runs `program args` under the rules of every program-running plugin
/// ([`super::command`]: a clean environment plus `env`, its own process
/// group, killed at `timeout` and with the agent); its stdout, or an error
/// with the line of its stderr that tells why. `input` is fed to its stdin.
fn client(
    program: &str,
    args: &[String],
    env: &[(String, String)],
    input: Option<Feed<'_>>,
    timeout: Option<Duration>,
) -> Result<String> {
    let mut argv = vec![program.to_owned()];
    argv.extend_from_slice(args);
    let spec = CommandSpec {
        argv,
        name: "client".into(),
        timeout,
        env: env.to_vec(),
        label: "postgres".into(),
        cwd: None,
    };
    let (out, _) = run_picking(&spec, input, QUERY_LIMIT, pg_error).map_err(|e| {
        if e.kind() != ErrorKind::Other {
            return e;
        }
        Error::new(
            ErrorKind::Other,
            format!("'{program}' failed: {}", e.message()),
        )
        .hint("check the job's host, port, user and password_file")
    })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Longest answer kept from a client (queries: names, versions).
const QUERY_LIMIT: usize = 16 << 20;

/// `dbname='NAME'`: a database name as a quoted conninfo value (`\` and
/// `'` escaped), so libpq never reads it as a connection string.
pub fn conninfo_dbname(db: &str) -> String {
    format!("dbname='{}'", db.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Why libpq would read `db` as a connection string or URI (a name with
/// `=`, or starting `postgres://`): such a database is not dumped.
pub fn conninfo_like(db: &str) -> Option<&'static str> {
    if db.contains('=') || db.starts_with("postgres://") || db.starts_with("postgresql://") {
        Some("libpq would read it as a connection string")
    } else {
        None
    }
}

/// [`check_name`], and not a name libpq would read as a connection string.
fn check_pg_name(db: &str) -> Result<()> {
    check_name(db)?;
    match conninfo_like(db) {
        Some(why) => Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "database name '{}' cannot be passed safely: {why}",
                crate::humanize::printable(db)
            ),
        )),
        None => Ok(()),
    }
}

/// The line of a client's stderr that says what went wrong: the last
/// `FATAL`/`ERROR` line (libpq adds lines like "password retrieved from
/// file" after it), else the last line.
fn pg_error(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains("FATAL") || l.contains("ERROR") || l.contains("error:"))
        .map(str::trim)
        .map(str::to_owned);
    match line {
        Some(l) => super::last_line(l.as_bytes()),
        None => super::last_line(stderr),
    }
}

/// Runs one query in `db`; rows unaligned, `|`-separated.
pub fn query(spec: &PostgresSpec, env: &[(String, String)], db: &str, sql: &str) -> Result<String> {
    check_pg_name(db)?;
    let mut args = vec![
        "-X".to_owned(),
        "-q".into(),
        "-A".into(),
        "-t".into(),
        "-v".into(),
        "ON_ERROR_STOP=1".into(),
    ];
    args.extend(spec.conn());
    args.extend([
        "-d".to_owned(),
        conninfo_dbname(db),
        "-c".into(),
        sql.to_owned(),
    ]);
    client("psql", &args, env, None, spec.timeout)
}

/// The `postgres` plugin's source.
pub struct PostgresSource {
    spec: PostgresSpec,
}

impl PostgresSource {
    /// A source for `spec`.
    pub fn new(spec: PostgresSpec) -> Result<PostgresSource> {
        for db in spec.databases.iter().flatten() {
            check_pg_name(db)?;
        }
        Ok(PostgresSource { spec })
    }

    fn databases(&self, env: &[(String, String)]) -> Result<Vec<String>> {
        if let Some(d) = &self.spec.databases {
            return Ok(d.clone());
        }
        let rows = query(
            &self.spec,
            env,
            "postgres",
            "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1",
        )?;
        Ok(rows.lines().map(str::to_owned).collect())
    }

    fn spec_for(&self, argv: Vec<String>, name: String, env: &[(String, String)]) -> CommandSpec {
        CommandSpec {
            argv,
            name,
            timeout: self.spec.timeout,
            env: env.to_vec(),
            label: "postgres".into(),
            cwd: None,
        }
    }
}

impl Source for PostgresSource {
    fn paths(&self) -> Vec<Vec<u8>> {
        vec![format!("postgres:{}:{}", self.spec.host, self.spec.port).into_bytes()]
    }

    fn read(self: Box<Self>, run: &mut Run<'_, '_, '_>) -> Result<Id> {
        let (_dir, env) = self.spec.session()?;
        let dbs = self.databases(&env)?;
        let dbs = run.usable("database", dbs, &conninfo_like);
        let version = query(&self.spec, &env, "postgres", "SHOW server_version")?;
        run.meta("server_version", version.trim().to_owned());
        if let Ok(lsn) = query(&self.spec, &env, "postgres", "SELECT pg_current_wal_lsn()") {
            run.meta("wal_lsn", lsn.trim().to_owned());
        }
        run.meta("databases", dbs.join(" "));
        run.meta("format", "custom".into());
        let mut jobs = Vec::new();
        if self.spec.globals {
            let mut argv = vec![
                "pg_dumpall".to_owned(),
                "--globals-only".into(),
                "--no-role-passwords".into(),
            ];
            argv.extend(self.spec.conn());
            jobs.push((
                "globals.sql".to_owned(),
                self.spec_for(argv, "globals.sql".into(), &env),
            ));
        }
        for db in &dbs {
            let mut argv = vec!["pg_dump".to_owned(), "--format=custom".into(), "-Z0".into()];
            argv.extend(self.spec.conn());
            argv.push(format!("--dbname={}", conninfo_dbname(db)));
            let name = format!("{db}.pgdump");
            jobs.push((name.clone(), self.spec_for(argv, name, &env)));
        }
        store_streams(run, &jobs)
    }
}

/// What to restore into the server.
pub enum Restore<'a> {
    /// `globals.sql` (roles may exist already: errors are reported, not fatal).
    Globals,
    /// A custom-format archive into this database (created if missing).
    Database(&'a str),
}

/// Restores one stream, written by `dump`, into the server of `spec`.
/// `globals.sql` goes through `psql` in restricted mode (`\restrict` with a
/// random key first: a `\!` or `\copy` in the stream is refused, so what a
/// snapshot holds never runs on this host); archives through `pg_restore`.
pub fn restore(spec: &PostgresSpec, what: Restore<'_>, dump: Feed<'_>) -> Result<()> {
    let (_dir, env) = spec.session()?;
    match what {
        Restore::Globals => {
            let mut args = vec!["-X".to_owned(), "-q".into()];
            args.extend(spec.conn());
            args.extend([
                "-d".to_owned(),
                conninfo_dbname("postgres"),
                "-f".into(),
                "-".into(),
            ]);
            let key = restrict_key();
            let mut restricted = |w: &mut dyn std::io::Write| {
                w.write_all(format!("\\restrict {key}\n").as_bytes())
                    .map_err(|e| Error::io("psql", e))?;
                dump(w)
            };
            client("psql", &args, &env, Some(&mut restricted), None).map(|_| ())
        }
        Restore::Database(db) => {
            check_pg_name(db)?;
            let literal = db.replace('\'', "''");
            let exists = query(
                spec,
                &env,
                "postgres",
                &format!("SELECT 1 FROM pg_database WHERE datname = '{literal}'"),
            )?;
            if exists.trim().is_empty() {
                let ident = db.replace('"', "\"\"");
                query(
                    spec,
                    &env,
                    "postgres",
                    &format!("CREATE DATABASE \"{ident}\""),
                )?;
            }
            let mut args = vec!["--exit-on-error".to_owned()];
            args.extend(spec.conn());
            args.push(format!("--dbname={}", conninfo_dbname(db)));
            client("pg_restore", &args, &env, Some(dump), None).map(|_| ())
        }
    }
}

/// A key for psql's `\restrict`: 32 random letters and digits.
fn restrict_key() -> String {
    use rand::Rng;
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| char::from(ABC[rng.gen_range(0..ABC.len())]))
        .collect()
}

/// The `postgres` plugin's keys of a `[[job]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresTable {
    /// The databases (default: all).
    pub databases: Option<Vec<String>>,
    /// Host or socket directory (default `127.0.0.1`).
    pub host: Option<String>,
    /// Port (default 5432).
    pub port: Option<u16>,
    /// Role (default `postgres`).
    pub user: Option<String>,
    /// A 0600 file holding the password.
    pub password_file: Option<PathBuf>,
    /// Also dump roles and tablespaces (default: when `databases` is absent).
    pub globals: Option<bool>,
}

/// The `postgres` plugin.
pub const ENTRY: Entry = Entry {
    name: "postgres",
    keys: super::fields::<PostgresTable>,
    credentials: true,
    check,
};

fn check(
    job: &JobKeys<'_>,
    rest: toml::Table,
) -> std::result::Result<Box<dyn JobPlugin>, KeyError> {
    let t: PostgresTable = super::table(job, rest)?;
    super::databases_given(job, &t.databases)?;
    if job.vault_credentials && t.password_file.is_some() {
        return Err(job.error("give password_file or credentials = \"vault\", not both"));
    }
    let spec = PostgresSpec {
        host: t.host.unwrap_or_else(|| "127.0.0.1".into()),
        port: t.port.unwrap_or(5432),
        user: t.user.unwrap_or_else(|| "postgres".into()),
        password_file: t.password_file,
        globals: t.globals.unwrap_or(t.databases.is_none()),
        databases: t.databases,
        timeout: job.program_timeout(),
        run_base: PathBuf::new(),
    };
    PostgresSource::new(spec.clone()).map_err(|e| job.error(e))?;
    Ok(Box::new(spec))
}

impl JobPlugin for PostgresSpec {
    fn name(&self) -> &str {
        "postgres"
    }

    fn for_run(&self, env: &RunEnv) -> Box<dyn JobPlugin> {
        let mut s = self.clone();
        s.run_base = env.state_dir.clone();
        if env.secret_file.is_some() {
            s.password_file = env.secret_file.clone();
        }
        Box::new(s)
    }

    fn source(&self) -> Result<Box<dyn Source>> {
        Ok(Box::new(PostgresSource::new(self.clone())?))
    }

    fn server(&self) -> Option<&dyn ServerRestore> {
        Some(self)
    }

    crate::plugin_plumbing!();
}

impl ServerRestore for PostgresSpec {
    fn database<'s>(&self, stream: &'s str) -> Option<&'s str> {
        stream
            .strip_suffix(".pgdump")
            .or_else(|| stream.strip_suffix(".sql"))
    }

    /// `globals.sql`: roles and tablespaces.
    fn accounts(&self, stream: &str) -> bool {
        stream == "globals.sql"
    }

    fn global(&self, stream: &str) -> bool {
        stream == "globals.sql"
    }

    fn unsafe_database(&self, db: &str) -> Option<&'static str> {
        conninfo_like(db)
    }

    fn restore(
        &self,
        stream: &str,
        database: &str,
        rename: Option<&str>,
        dump: Feed<'_>,
    ) -> Result<()> {
        let what = if self.global(stream) {
            Restore::Globals
        } else {
            Restore::Database(rename.unwrap_or(database))
        };
        restore(self, what, dump)
    }
}
