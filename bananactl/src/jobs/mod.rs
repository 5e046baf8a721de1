//! Jobs: the `[[job]]` tables of the agent config, checked into [`Job`]s,
//! their schedules ([`schedule`]) and their node-local state ([`state`]).

pub mod plugins;
pub mod schedule;
pub mod state;

use common::ops::backup::etcd::{EtcdSource, EtcdSpec};
use common::ops::backup::external::{ExternalSource, ExternalSpec};
use common::ops::backup::mysql::{MysqlSource, MysqlSpec};
use common::ops::backup::postgres::{PostgresSource, PostgresSpec};
use common::ops::backup::{CommandSource, CommandSpec, FsSource, Source};
use schedule::Schedule;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Default timeout of a job that runs a program (`command`, databases).
pub const DEFAULT_PROGRAM_TIMEOUT: u64 = 24 * 3600;

/// One `[[job]]` table as written. Unknown keys are errors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobTable {
    /// The job's name: letters, digits, `.`, `_`, `-`, at most 64.
    pub name: String,
    /// The plugin: `fs`, `command`, `mysql`, `postgres`, `etcd`, or the
    /// NAME of an external `banana-plugin-NAME`.
    pub plugin: String,
    /// `fs`: the paths to back up.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// `fs`: exclude globs (added to the config's top-level `exclude`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `fs`: files of exclude globs.
    #[serde(default)]
    pub exclude_file: Vec<PathBuf>,
    /// `fs`: do not cross filesystem boundaries.
    #[serde(default)]
    pub one_file_system: bool,
    /// `command`: program and arguments (no shell).
    #[serde(default)]
    pub command: Vec<String>,
    /// `command`: the stream's name in the snapshot (default: the job's).
    pub stream: Option<String>,
    /// `command`: environment for the program (not for secrets: the config
    /// file is readable by whoever reads it).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// An interval: `30m`, `6h`, `1d`.
    pub every: Option<String>,
    /// A cron expression in the node's time zone: `30 2 * * *`.
    pub schedule: Option<String>,
    /// Longest a run may take (default 24h for programs, none for `fs`, whose
    /// run then fails at its next chunk or directory).
    pub timeout: Option<String>,
    /// Upper bound of a cron job's start delay (default 5m).
    pub jitter: Option<String>,
    /// Tags for the job's snapshots.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `mysql`: the client defaults file with the credentials (0600).
    pub defaults_file: Option<PathBuf>,
    /// `mysql`, `postgres`: the databases (default: all).
    pub databases: Option<Vec<String>>,
    /// `postgres`: host or socket directory (default `127.0.0.1`).
    pub host: Option<String>,
    /// `postgres`: port (default 5432).
    pub port: Option<u16>,
    /// `postgres`: role (default `postgres`).
    pub user: Option<String>,
    /// `postgres`: a 0600 file holding the password.
    pub password_file: Option<PathBuf>,
    /// `postgres`: also dump roles and tablespaces (default: when
    /// `databases` is absent).
    pub globals: Option<bool>,
    /// `etcd`: client URLs (the snapshot comes from the first).
    pub endpoints: Option<Vec<String>>,
    /// `"vault"`: the job's credentials come from the node's agent secret
    /// (`bananadm node secret NODE JOB --from-file F`), written for each run
    /// to a 0600 file in a private run directory.
    pub credentials: Option<String>,
    /// An external plugin's options, handed to it as JSON (not for secrets).
    pub options: Option<toml::Table>,
    /// `etcd`: the CA bundle of an `https://` member.
    pub cacert: Option<PathBuf>,
    /// `etcd`: a client certificate (with `key`).
    pub cert: Option<PathBuf>,
    /// `etcd`: the client certificate's private key (0600).
    pub key: Option<PathBuf>,
    /// `mysql`: multi-row INSERTs (restores about 4x faster; daily dumps
    /// then deduplicate little). Default false: one INSERT per row.
    pub extended_insert: Option<bool>,
}

/// What a job reads.
#[derive(Debug, Clone)]
pub enum Plugin {
    /// Files and directories.
    Fs {
        /// Paths.
        paths: Vec<PathBuf>,
        /// Exclude globs (the job's only; the config's are added at run time).
        exclude: Vec<String>,
        /// Exclude files.
        exclude_file: Vec<PathBuf>,
        /// Stay on one filesystem.
        one_file_system: bool,
        /// The run fails once it has taken this long.
        timeout: Option<Duration>,
    },
    /// A program's standard output as one stream.
    Command(CommandSpec),
    /// MariaDB/MySQL databases, one stream each.
    Mysql(MysqlSpec),
    /// PostgreSQL databases and globals, one stream each.
    Postgres(PostgresSpec),
    /// An etcd snapshot.
    Etcd(EtcdSpec),
    /// An external `banana-plugin-NAME`.
    External(ExternalSpec),
}

impl Plugin {
    /// The run's own timeout (a program's is enforced by killing it).
    pub fn run_timeout(&self) -> Option<Duration> {
        match self {
            Plugin::Fs { timeout, .. } => *timeout,
            _ => None,
        }
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        match self {
            Plugin::Fs { .. } => "fs",
            Plugin::Command(_) => "command",
            Plugin::Mysql(_) => "mysql",
            Plugin::Postgres(_) => "postgres",
            Plugin::Etcd(_) => "etcd",
            Plugin::External(s) => &s.plugin,
        }
    }
}

/// A checked job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Name.
    pub name: String,
    /// What it reads.
    pub plugin: Plugin,
    /// When it runs (`None`: only by hand, `backup --job`).
    pub schedule: Option<Schedule>,
    /// Jitter bound of a cron schedule, seconds.
    pub jitter: u64,
    /// Tags.
    pub tags: Vec<String>,
    /// Its credentials come from Vault (`credentials = "vault"`).
    pub vault_credentials: bool,
}

/// How a job's run ended, for its state and `run`'s exit code.
pub struct Ran {
    /// Ok or partial.
    pub status: crate::exit::Status,
    /// The snapshot saved.
    pub snapshot: common::Id,
    /// Why it is partial: the first unreadable source, or storage's rollback.
    pub why: Option<String>,
}

/// Reads exclude globs from a file, one per line (`#` comments).
pub fn read_exclude_file(p: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let text = anyhow::Context::with_context(std::fs::read_to_string(p), || {
        format!("exclude file {}", p.display())
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// A Vault node's job credentials, by job name.
pub type JobSecrets = std::collections::BTreeMap<String, common::vault::Secret>;

/// How one run of a job ended, as its state records it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `ok`, `partial` or `failed`.
    pub result: &'static str,
    /// The exit code it gave.
    pub code: u8,
    /// One-line error.
    pub error: Option<String>,
    /// The snapshot saved (hex).
    pub snapshot: Option<String>,
}

impl Outcome {
    /// From a run's result.
    pub fn of(r: &anyhow::Result<Ran>) -> Outcome {
        use crate::exit::Status;
        match r {
            Ok(ran) => Outcome {
                result: if ran.status == Status::Partial {
                    "partial"
                } else {
                    "ok"
                },
                code: if ran.status == Status::Partial { 3 } else { 0 },
                // A partial run says why (its first warning).
                error: ran
                    .why
                    .as_deref()
                    .filter(|_| ran.status == Status::Partial)
                    .map(|w| common::humanize::printable(w).chars().take(500).collect()),
                snapshot: Some(ran.snapshot.to_hex()),
            },
            Err(e) => Outcome {
                result: "failed",
                code: crate::exit::code_for(e).into(),
                error: Some(
                    common::humanize::printable(&format!("{e:#}"))
                        .chars()
                        .take(500)
                        .collect(),
                ),
                snapshot: None,
            },
        }
    }
}

/// `1d`, `6h`, `30m`, `45s`: the largest unit that divides.
pub fn duration(secs: u64) -> String {
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs >= n && secs % n == 0 {
            return format!("{}{unit}", secs / n);
        }
    }
    format!("{secs}s")
}

/// Longest `every`, `timeout` or `jitter`.
pub const MAX_DURATION: u64 = 366 * 86_400;

fn secs(job: &str, key: &str, v: &Option<String>) -> Result<Option<u64>, String> {
    v.as_deref()
        .map(|t| {
            let s = common::humanize::parse_duration(t)
                .map_err(|m| format!("job '{job}': {key}: {m}"))?;
            if s > MAX_DURATION {
                return Err(format!("job '{job}': {key} = \"{t}\" is longer than 366d"));
            }
            Ok(s)
        })
        .transpose()
}

impl JobTable {
    /// Checks the table; errors name the job and the key.
    pub fn check(&self) -> Result<Job, String> {
        let n = common::humanize::printable(&self.name);
        if !common::names::valid_job_name(&self.name) {
            return Err(format!(
                "job name '{n}' is not valid: use letters, digits, '.', '_' and '-' (at most 64)"
            ));
        }
        let schedule = match (secs(&n, "every", &self.every)?, &self.schedule) {
            (Some(_), Some(_)) => {
                return Err(format!("job '{n}': give every or schedule, not both"))
            }
            (Some(e), None) => Some(Schedule::Every(e)),
            (None, Some(c)) => Some(Schedule::cron(c).map_err(|m| format!("job '{n}': {m}"))?),
            (None, None) => None,
        };
        let timeout = secs(&n, "timeout", &self.timeout)?;
        if self.jitter.is_some() && !matches!(schedule, Some(Schedule::Cron(..))) {
            return Err(format!(
                "job '{n}': jitter applies to a cron schedule ('every' spreads over its period by itself)"
            ));
        }
        let jitter = secs(&n, "jitter", &self.jitter)?.unwrap_or(schedule::DEFAULT_JITTER);
        let plugin = self.plugin(&n, timeout)?;
        Ok(Job {
            name: self.name.clone(),
            plugin,
            schedule,
            jitter,
            tags: self.tags.clone(),
            vault_credentials: self.vault_credentials(&n)?,
        })
    }

    fn plugin(&self, n: &str, timeout: Option<u64>) -> Result<Plugin, String> {
        match self.plugin.as_str() {
            "fs" => {
                self.only(n, &["paths", "exclude", "exclude_file", "one_file_system"])?;
                if self.paths.is_empty() {
                    return Err(format!(
                        "job '{n}': plugin 'fs' needs paths = [\"/etc\", ...]"
                    ));
                }
                if let Some(p) = self.paths.iter().find(|p| !p.is_absolute()) {
                    return Err(format!("job '{n}': path '{}' is not absolute", p.display()));
                }
                Ok(Plugin::Fs {
                    paths: self.paths.clone(),
                    exclude: self.exclude.clone(),
                    exclude_file: self.exclude_file.clone(),
                    one_file_system: self.one_file_system,
                    timeout: timeout.map(Duration::from_secs),
                })
            }
            "command" => {
                self.only(n, &["command", "stream", "env", "credentials"])?;
                if self.command.first().is_none_or(|c| c.is_empty()) {
                    return Err(format!(
                        "job '{n}': plugin 'command' needs command = [\"program\", \"arg\", ...]"
                    ));
                }
                let spec = CommandSpec {
                    argv: self.command.clone(),
                    name: self.stream.clone().unwrap_or_else(|| self.name.clone()),
                    timeout: Some(Duration::from_secs(
                        timeout.unwrap_or(DEFAULT_PROGRAM_TIMEOUT),
                    )),
                    env: self.env.clone().into_iter().collect(),
                    label: "command".into(),
                    cwd: None,
                };
                CommandSource::new(spec.clone()).map_err(|e| format!("job '{n}': {e}"))?;
                Ok(Plugin::Command(spec))
            }
            "mysql" => self.mysql(n, timeout),
            "postgres" => self.postgres(n, timeout),
            "etcd" => self.etcd(n, timeout),
            _ => self.external(n, timeout),
        }
    }
}

/// Checks every job table: valid, names unique.
pub fn check_all(tables: &[JobTable]) -> Result<Vec<Job>, String> {
    let mut seen = std::collections::HashSet::new();
    let mut jobs = Vec::new();
    for t in tables {
        let job = t.check()?;
        if !seen.insert(job.name.clone()) {
            return Err(format!("job '{}' is defined twice", job.name));
        }
        jobs.push(job);
    }
    Ok(jobs)
}

/// What a job's source needs from the run.
pub struct SourceCtx<'a> {
    /// The config's exclude globs.
    pub excludes: &'a [String],
    /// The node's state directory (private run directories go there).
    pub state_dir: &'a std::path::Path,
    /// Where external plugins are looked for.
    pub plugin_path: &'a [PathBuf],
    /// The node's job credentials from Vault; `None`: not a Vault node.
    pub secrets: Option<&'a BTreeMap<String, common::vault::Secret>>,
}

/// A source that holds its credentials file until it has read.
struct WithSecret {
    inner: Box<dyn Source>,
    _file: plugins::SecretFile,
}

impl Source for WithSecret {
    fn paths(&self) -> Vec<Vec<u8>> {
        self.inner.paths()
    }

    fn read(
        self: Box<Self>,
        run: &mut common::ops::backup::Run<'_, '_, '_>,
    ) -> common::Result<common::Id> {
        let WithSecret { inner, _file } = *self;
        inner.read(run)
    }
}

impl Job {
    /// The job's credentials from Vault, written to a private file; `None`
    /// for a job without `credentials = "vault"`.
    pub fn secret_file(
        &self,
        state_dir: &std::path::Path,
        secrets: Option<&BTreeMap<String, common::vault::Secret>>,
    ) -> anyhow::Result<Option<plugins::SecretFile>> {
        if !self.vault_credentials {
            return Ok(None);
        }
        let name = &self.name;
        let Some(secrets) = secrets else {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("job '{name}' takes its credentials from Vault (credentials = \"vault\"), but this node is not enrolled"),
            )
            .hint("enrol it (bananactl enroll), or give the job its credentials in a file")
            .into());
        };
        let Some(secret) = secrets.get(name) else {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("job '{name}' takes its credentials from Vault, but the node's agent secret holds none for it"),
            )
            .hint(format!("store them: bananadm node secret NODE {name} --from-file FILE"))
            .into());
        };
        Ok(Some(plugins::SecretFile::new(state_dir, secret)?))
    }

    /// The plugin as a run uses it: its credentials from Vault written to a
    /// private file (kept while the returned file lives), its run
    /// directories under the state directory, external plugins looked for
    /// on `plugin_path`.
    pub fn for_run(
        &self,
        state_dir: &std::path::Path,
        plugin_path: &[PathBuf],
        secrets: Option<&BTreeMap<String, common::vault::Secret>>,
    ) -> anyhow::Result<(Option<plugins::SecretFile>, Plugin)> {
        let file = self.secret_file(state_dir, secrets)?;
        let mut plugin = match &file {
            Some(f) => self.plugin.with_secret_file(f.path()),
            None => self.plugin.clone(),
        };
        match &mut plugin {
            Plugin::Postgres(s) => s.run_base = state_dir.to_owned(),
            Plugin::Etcd(s) => s.run_base = state_dir.to_owned(),
            Plugin::External(s) => {
                s.run_base = state_dir.to_owned();
                s.search = plugin_path.to_vec();
            }
            Plugin::Fs { .. } | Plugin::Command(_) | Plugin::Mysql(_) => {}
        }
        Ok((file, plugin))
    }

    /// The source this job reads.
    pub fn source(&self, ctx: &SourceCtx<'_>) -> anyhow::Result<Box<dyn Source>> {
        let (file, plugin) = self.for_run(ctx.state_dir, ctx.plugin_path, ctx.secrets)?;
        let source: Box<dyn Source> = match plugin {
            Plugin::Fs {
                paths,
                exclude,
                exclude_file,
                one_file_system,
                ..
            } => {
                let mut ex = ctx.excludes.to_vec();
                ex.extend(exclude.iter().cloned());
                for f in &exclude_file {
                    ex.extend(read_exclude_file(f)?);
                }
                Box::new(FsSource::new(&paths, &ex, one_file_system)?)
            }
            Plugin::Command(spec) => Box::new(CommandSource::new(spec)?),
            Plugin::Mysql(spec) => Box::new(MysqlSource::new(spec)?),
            Plugin::Postgres(spec) => Box::new(PostgresSource::new(spec)?),
            Plugin::Etcd(spec) => Box::new(EtcdSource::new(spec)?),
            Plugin::External(spec) => Box::new(ExternalSource::new(spec)?),
        };
        Ok(match file {
            Some(f) => Box::new(WithSecret {
                inner: source,
                _file: f,
            }),
            None => source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Job>, String> {
        let cfg = crate::settings::parse_file(text, "config file t.toml")
            .map_err(|e| format!("{e:#}"))?;
        check_all(&cfg.job.tables)
    }

    #[test]
    fn the_issue_spellings_parse() {
        let jobs = parse(
            r#"
[[job]]
name = "etc"
plugin = "fs"
paths = ["/etc", "/srv"]
every = "1d"

[[job]]
name = "ldap"
plugin = "command"
command = ["slapcat", "-n", "1"]
schedule = "30 2 * * *"
timeout = "1h"
"#,
        )
        .unwrap();
        assert_eq!(jobs.len(), 2);
        assert!(matches!(jobs[0].schedule, Some(Schedule::Every(86_400))));
        match &jobs[1].plugin {
            Plugin::Command(s) => {
                assert_eq!(s.argv, ["slapcat", "-n", "1"]);
                assert_eq!(s.name, "ldap");
                assert_eq!(s.timeout, Some(Duration::from_secs(3600)));
            }
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn bad_jobs_fail_with_one_line_naming_them() {
        let cases = [
            ("name = \"a b\"\nplugin = \"fs\"\npaths = [\"/\"]", "job name 'a b'"),
            ("name = \"a\"\nplugin = \"fs\"", "needs paths"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"etc\"]", "not absolute"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\ncommand = [\"x\"]", "'command' does not apply"),
            ("name = \"a\"\nplugin = \"command\"", "needs command"),
            ("name = \"a\"\nplugin = \"Mongo DB\"", "unknown plugin 'Mongo DB'"),
            ("name = \"a\"\nplugin = \"ldap\"\npaths = [\"/\"]", "'paths' does not apply to plugin 'ldap'"),
            ("name = \"a\"\nplugin = \"mysql\"\ncredentials = \"file\"", "the only value is \"vault\""),
            ("name = \"a\"\nplugin = \"mysql\"\ncredentials = \"vault\"\ndefaults_file = \"/x\"", "not both"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\ncredentials = \"vault\"", "'credentials' does not apply"),
            ("name = \"a\"\nplugin = \"mysql\"", "needs defaults_file"),
            ("name = \"a\"\nplugin = \"etcd\"", "no endpoints"),
            ("name = \"a\"\nplugin = \"postgres\"\ndefaults_file = \"/x\"", "'defaults_file' does not apply"),
            ("name = \"a\"\nplugin = \"postgres\"\nextended_insert = true", "'extended_insert' does not apply to plugin 'postgres'"),
            ("name = \"a\"\nplugin = \"etcd\"\nendpoints = [\"https://e:2379\"]\ncert = \"/c.crt\"", "give cert and key together"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\nevery = \"1d\"\nschedule = \"* * * * *\"", "not both"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\nschedule = \"61 * * * *\"", "not a cron expression"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\nevery = \"soon\"", "every"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\nevery = \"100000d\"", "longer than 366d"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\nevery = \"1d\"\njitter = \"1m\"", "jitter applies"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\nschedule = \"0 0 30 2 *\"", "never"),
            ("name = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\nevry = \"1d\"", "line 7"),
        ];
        for (table, want) in cases {
            let err = parse(&format!("repo = \"/r\"\n\n[[job]]\n{table}\n")).unwrap_err();
            assert!(err.contains(want), "{table:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
        let twice = "[[job]]\nname = \"a\"\nplugin = \"fs\"\npaths = [\"/\"]\n";
        let err = parse(&format!("{twice}{twice}")).unwrap_err();
        assert!(err.contains("defined twice"), "{err}");
    }

    #[test]
    fn durations_print_in_their_largest_unit() {
        assert_eq!(duration(86_400), "1d");
        assert_eq!(duration(5400), "90m");
        assert_eq!(duration(7), "7s");
    }
}
