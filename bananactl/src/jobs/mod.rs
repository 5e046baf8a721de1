//! Jobs: the `[[job]]` tables of the agent config, checked into [`Job`]s,
//! their schedules ([`schedule`]) and their node-local state ([`state`]).
//! A table's common keys are checked here; the rest belong to its plugin
//! (`common::plugins`: each plugin's own table type and check, found by
//! name in the registry).

pub mod plugins;
pub mod schedule;
pub mod state;

use common::ops::backup::Source;
use common::plugins::{JobKeys, JobPlugin, KeyError, Registry, RunEnv};
use schedule::Schedule;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use common::plugins::DEFAULT_PROGRAM_TIMEOUT;

/// One `[[job]]` table as written: the keys every job has, and the rest,
/// which its plugin checks (unknown keys are errors there).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JobTable {
    /// The job's name: letters, digits, `.`, `_`, `-`, at most 64.
    pub name: String,
    /// The plugin: `fs`, `command`, `mysql`, `postgres`, `etcd`, or the
    /// NAME of an external `banana-plugin-NAME`.
    pub plugin: String,
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
    /// `"vault"`: the job's credentials come from the node's agent secret
    /// (`bananadm node secret NODE JOB --from-file F`), written for each run
    /// to a 0600 file in a private run directory.
    pub credentials: Option<String>,
    /// The plugin's keys.
    #[serde(flatten)]
    pub rest: toml::Table,
}

/// A checked job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Name.
    pub name: String,
    /// What it reads.
    pub plugin: Box<dyn JobPlugin>,
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

pub use common::plugins::fs::read_exclude_file;

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
    /// Checks the table with the built-in plugins; errors name the job and
    /// the key.
    pub fn check(&self) -> Result<Job, KeyError> {
        self.check_with(&Registry::built_in())
    }

    /// Checks the table with `registry`'s plugins.
    pub fn check_with(&self, registry: &Registry) -> Result<Job, KeyError> {
        let n = common::humanize::printable(&self.name);
        if !common::names::valid_job_name(&self.name) {
            return Err(KeyError::at(
                "name",
                format!(
                "job name '{n}' is not valid: use letters, digits, '.', '_' and '-' (at most 64)"
            ),
            ));
        }
        let at = |key: &'static str| move |m: String| KeyError::at(key, m);
        let schedule = match (
            secs(&n, "every", &self.every).map_err(at("every"))?,
            &self.schedule,
        ) {
            (Some(_), Some(_)) => {
                return Err(KeyError::at(
                    "schedule",
                    format!("job '{n}': give every or schedule, not both"),
                ))
            }
            (Some(e), None) => Some(Schedule::Every(e)),
            (None, Some(c)) => Some(
                Schedule::cron(c)
                    .map_err(|m| KeyError::at("schedule", format!("job '{n}': {m}")))?,
            ),
            (None, None) => None,
        };
        let timeout = secs(&n, "timeout", &self.timeout).map_err(at("timeout"))?;
        if self.jitter.is_some() && !matches!(schedule, Some(Schedule::Cron(..))) {
            return Err(KeyError::at("jitter", format!(
                "job '{n}': jitter applies to a cron schedule ('every' spreads over its period by itself)"
            )));
        }
        let jitter = secs(&n, "jitter", &self.jitter)
            .map_err(at("jitter"))?
            .unwrap_or(schedule::DEFAULT_JITTER);
        let vault_credentials = self.credentials.as_deref() == Some("vault");
        let keys = JobKeys {
            name: &n,
            plugin: &self.plugin,
            timeout,
            vault_credentials,
        };
        let plugin = registry.check(&keys, self.credentials.as_deref(), self.rest.clone())?;
        Ok(Job {
            name: self.name.clone(),
            plugin,
            schedule,
            jitter,
            tags: self.tags.clone(),
            vault_credentials,
        })
    }
}

/// Checks every job table: valid, names unique. An error says which table
/// (its index) and, when it is about one, which key.
pub fn check_all(tables: &[JobTable]) -> Result<Vec<Job>, (usize, KeyError)> {
    let mut seen = std::collections::HashSet::new();
    let mut jobs = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let job = t.check().map_err(|e| (i, e))?;
        if !seen.insert(job.name.clone()) {
            return Err((
                i,
                KeyError::at("name", format!("job '{}' is defined twice", job.name)),
            ));
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
    ) -> anyhow::Result<(Option<plugins::SecretFile>, Box<dyn JobPlugin>)> {
        self.for_run_with(state_dir, plugin_path, secrets, &[])
    }

    fn for_run_with(
        &self,
        state_dir: &std::path::Path,
        plugin_path: &[PathBuf],
        secrets: Option<&BTreeMap<String, common::vault::Secret>>,
        excludes: &[String],
    ) -> anyhow::Result<(Option<plugins::SecretFile>, Box<dyn JobPlugin>)> {
        let file = self.secret_file(state_dir, secrets)?;
        let env = RunEnv {
            excludes: excludes.to_vec(),
            state_dir: state_dir.to_owned(),
            plugin_path: plugin_path.to_vec(),
            secret_file: file.as_ref().map(plugins::SecretFile::path),
        };
        let plugin = self.plugin.for_run(&env);
        Ok((file, plugin))
    }

    /// The source this job reads.
    pub fn source(&self, ctx: &SourceCtx<'_>) -> anyhow::Result<Box<dyn Source>> {
        let (file, plugin) =
            self.for_run_with(ctx.state_dir, ctx.plugin_path, ctx.secrets, ctx.excludes)?;
        let source = plugin.source()?;
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
        check_all(&cfg.job.tables).map_err(|(_, e)| e.message)
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
        let p = &jobs[1].plugin;
        match p.as_any().downcast_ref::<common::plugins::CommandSpec>() {
            Some(s) => {
                assert_eq!(s.argv, ["slapcat", "-n", "1"]);
                assert_eq!(s.name, "ldap");
                assert_eq!(s.timeout, Some(std::time::Duration::from_secs(3600)));
            }
            None => panic!("{p:?}"),
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
            ("name = \"a\"\nplugin = \"fs\"\npaths = \"/etc\"", "line 6: job 'a': paths: invalid type"),
            ("name = \"a\"\nplugin = \"mysql\"\ndefaults_file = \"/x\"\ndatabases = \"shop\"", "line 7: job 'a': databases:"),
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
