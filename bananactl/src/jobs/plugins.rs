//! The `[[job]]` tables of the database and external plugins, checked into
//! their specs, and a job's credentials from Vault made into a private file
//! for the run.

use super::{JobTable, Plugin, DEFAULT_PROGRAM_TIMEOUT};
use common::ops::backup::etcd::{EtcdSource, EtcdSpec};
use common::ops::backup::external::{valid_plugin_name, ExternalSource, ExternalSpec};
use common::ops::backup::mysql::{MysqlSource, MysqlSpec};
use common::ops::backup::postgres::{PostgresSource, PostgresSpec};
use common::ops::backup::RunDir;
use std::path::PathBuf;
use std::time::Duration;

/// Where `banana-plugin-NAME` is looked for when the config sets no
/// `plugin_path`.
pub const DEFAULT_PLUGIN_PATH: &[&str] =
    &["/usr/local/lib/banana/plugins", "/usr/lib/banana/plugins"];

/// Jobs whose external plugin looks like a built-in's name and is not
/// installed on `search`: one line naming the built-ins and the search path.
pub fn typos(jobs: &[super::Job], search: &[PathBuf]) -> Result<(), String> {
    for job in jobs {
        let Plugin::External(spec) = &job.plugin else {
            continue;
        };
        let Some(meant) = built_in_meant(&spec.plugin) else {
            continue;
        };
        let file = format!("banana-plugin-{}", spec.plugin);
        if search
            .iter()
            .any(|d| d.join(&file).symlink_metadata().is_ok())
        {
            continue;
        }
        let dirs: Vec<String> = search.iter().map(|d| d.display().to_string()).collect();
        return Err(format!(
            "job '{}': unknown plugin '{}': did you mean '{meant}'? (built in: {}; no external {file} in {})",
            job.name,
            spec.plugin,
            common::ops::backup::external::BUILT_IN,
            dirs.join(", ")
        ));
    }
    Ok(())
}

/// The built-in plugin a name seems meant for: a near miss (`postgress`,
/// `mysq`) or a common other name (`postgresql`, `mariadb`, `files`).
/// Unless such a plugin is installed, the name is a typo: the config says
/// so at once instead of failing the job at its first run ([`typos`]).
pub fn built_in_meant(name: &str) -> Option<&'static str> {
    const OTHER_NAMES: [(&str, &str); 12] = [
        ("postgresql", "postgres"),
        ("pg", "postgres"),
        ("psql", "postgres"),
        ("pg_dump", "postgres"),
        ("mariadb", "mysql"),
        ("mysqldump", "mysql"),
        ("mariadb-dump", "mysql"),
        ("file", "fs"),
        ("files", "fs"),
        ("filesystem", "fs"),
        ("cmd", "command"),
        ("shell", "command"),
    ];
    if let Some((_, b)) = OTHER_NAMES.iter().find(|(o, _)| *o == name) {
        return Some(b);
    }
    ["command", "mysql", "postgres", "etcd"]
        .into_iter()
        .find(|b| strsim::damerau_levenshtein(name, b) <= 2 && name != *b)
}

/// The job's program timeout.
fn program_timeout(timeout: Option<u64>) -> Option<Duration> {
    Some(Duration::from_secs(
        timeout.unwrap_or(DEFAULT_PROGRAM_TIMEOUT),
    ))
}

impl JobTable {
    /// The plugin-specific keys this table sets.
    fn keys_set(&self) -> [(&'static str, bool); 21] {
        [
            ("paths", !self.paths.is_empty()),
            ("exclude", !self.exclude.is_empty()),
            ("exclude_file", !self.exclude_file.is_empty()),
            ("one_file_system", self.one_file_system),
            ("command", !self.command.is_empty()),
            ("stream", self.stream.is_some()),
            ("env", !self.env.is_empty()),
            ("defaults_file", self.defaults_file.is_some()),
            ("databases", self.databases.is_some()),
            ("host", self.host.is_some()),
            ("port", self.port.is_some()),
            ("user", self.user.is_some()),
            ("password_file", self.password_file.is_some()),
            ("globals", self.globals.is_some()),
            ("endpoints", self.endpoints.is_some()),
            ("credentials", self.credentials.is_some()),
            ("options", self.options.is_some()),
            ("extended_insert", self.extended_insert.is_some()),
            ("cacert", self.cacert.is_some()),
            ("cert", self.cert.is_some()),
            ("key", self.key.is_some()),
        ]
    }

    /// Refuses a key of another plugin: only `allowed` (beside the keys
    /// every job has) may be set.
    pub(super) fn only(&self, n: &str, allowed: &[&str]) -> Result<(), String> {
        if let Some((k, _)) = self
            .keys_set()
            .iter()
            .find(|(k, set)| *set && !allowed.contains(k))
        {
            return Err(format!(
                "job '{n}': '{k}' does not apply to plugin '{}'",
                common::humanize::printable(&self.plugin)
            ));
        }
        if self.databases.as_ref().is_some_and(|d| d.is_empty()) {
            return Err(format!(
                "job '{n}': databases is empty (leave it out for all databases)"
            ));
        }
        Ok(())
    }

    pub(super) fn etcd(&self, n: &str, timeout: Option<u64>) -> Result<Plugin, String> {
        self.only(n, &["endpoints", "cacert", "cert", "key"])?;
        let cert = match (&self.cert, &self.key) {
            (Some(c), Some(k)) => Some((c.clone(), k.clone())),
            (None, None) => None,
            _ => {
                return Err(format!(
                "job '{n}': give cert and key together (a client certificate and its private key)"
            ))
            }
        };
        let spec = EtcdSpec {
            endpoints: self.endpoints.clone().unwrap_or_default(),
            cacert: self.cacert.clone(),
            cert,
            timeout: program_timeout(timeout),
            run_base: PathBuf::new(),
        };
        EtcdSource::new(spec.clone()).map_err(|e| format!("job '{n}': {e}"))?;
        Ok(Plugin::Etcd(spec))
    }

    pub(super) fn postgres(&self, n: &str, timeout: Option<u64>) -> Result<Plugin, String> {
        self.only(
            n,
            &[
                "databases",
                "host",
                "port",
                "user",
                "password_file",
                "globals",
                "credentials",
            ],
        )?;
        if self.vault_credentials(n)? && self.password_file.is_some() {
            return Err(format!(
                "job '{n}': give password_file or credentials = \"vault\", not both"
            ));
        }
        let spec = PostgresSpec {
            host: self.host.clone().unwrap_or_else(|| "127.0.0.1".into()),
            port: self.port.unwrap_or(5432),
            user: self.user.clone().unwrap_or_else(|| "postgres".into()),
            password_file: self.password_file.clone(),
            databases: self.databases.clone(),
            globals: self.globals.unwrap_or(self.databases.is_none()),
            timeout: program_timeout(timeout),
            run_base: PathBuf::new(),
        };
        PostgresSource::new(spec.clone()).map_err(|e| format!("job '{n}': {e}"))?;
        Ok(Plugin::Postgres(spec))
    }

    pub(super) fn mysql(&self, n: &str, timeout: Option<u64>) -> Result<Plugin, String> {
        self.only(
            n,
            &[
                "defaults_file",
                "databases",
                "credentials",
                "extended_insert",
            ],
        )?;
        let defaults_file = match (self.defaults_file.clone(), self.vault_credentials(n)?) {
            (Some(_), true) => {
                return Err(format!(
                    "job '{n}': give defaults_file or credentials = \"vault\", not both"
                ))
            }
            (Some(f), false) => f,
            // Written for each run from the node's agent secret.
            (None, true) => PathBuf::new(),
            (None, false) => return Err(format!(
                "job '{n}': plugin 'mysql' needs defaults_file = \"/etc/banana/mysql.cnf\" (a 0600 [client] file with user and password) or credentials = \"vault\""
            )),
        };
        let spec = MysqlSpec {
            job: self.name.clone(),
            defaults_file,
            databases: self.databases.clone(),
            timeout: program_timeout(timeout),
            extended_insert: self.extended_insert.unwrap_or(false),
        };
        MysqlSource::new(spec.clone()).map_err(|e| format!("job '{n}': {e}"))?;
        Ok(Plugin::Mysql(spec))
    }

    /// `credentials = "vault"`: the job's credentials come from the node's
    /// agent secret (`bananadm node secret NODE JOB --from-file F`).
    pub(super) fn vault_credentials(&self, n: &str) -> Result<bool, String> {
        match self.credentials.as_deref() {
            None => Ok(false),
            Some("vault") => Ok(true),
            Some(other) => Err(format!(
                "job '{n}': credentials = \"{}\": the only value is \"vault\" (files are given with defaults_file or password_file)",
                common::humanize::printable(other)
            )),
        }
    }

    /// A plugin that is not built in: `banana-plugin-NAME`, found when the
    /// job runs (a plugin missing fails that job, not the config).
    pub(super) fn external(&self, n: &str, timeout: Option<u64>) -> Result<Plugin, String> {
        let plugin = self.plugin.as_str();
        let looked = format!(
            "external plugins are programs banana-plugin-NAME in plugin_path (default {})",
            DEFAULT_PLUGIN_PATH.join(", ")
        );
        if !valid_plugin_name(plugin) {
            return Err(format!(
                "job '{n}': unknown plugin '{}' (built in: {}; {looked}, NAME of lowercase letters, digits, '-' and '_')",
                common::humanize::printable(plugin),
                common::ops::backup::external::BUILT_IN
            ));
        }

        self.only(n, &["credentials", "options"])?;
        let options = serde_json::to_string(&self.options.clone().unwrap_or_default())
            .map_err(|e| format!("job '{n}': options: {e}"))?;
        let spec = ExternalSpec {
            plugin: plugin.to_owned(),
            search: Vec::new(),
            job: self.name.clone(),
            options,
            secret_file: None,
            timeout: program_timeout(timeout),
            run_base: PathBuf::new(),
        };
        ExternalSource::new(spec.clone()).map_err(|e| format!("job '{n}': {e}"))?;
        Ok(Plugin::External(spec))
    }
}

/// A job's credentials from Vault, in a 0600 file of a private run
/// directory for as long as this value lives.
pub struct SecretFile {
    dir: RunDir,
}

impl SecretFile {
    /// Writes `secret` to `BASE/run-PID-RANDOM/credentials`.
    pub fn new(
        base: &std::path::Path,
        secret: &common::vault::Secret,
    ) -> anyhow::Result<SecretFile> {
        let dir = RunDir::new(base)?;
        let path = dir.path().join("credentials");
        common::fsutil::create_private(&path, secret.expose().as_bytes())
            .map_err(|e| common::Error::io(format!("{}", path.display()), e))?;
        Ok(SecretFile { dir })
    }

    /// The file.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("credentials")
    }
}

impl Plugin {
    /// This plugin with its credentials file set to `file`.
    pub fn with_secret_file(&self, file: PathBuf) -> Plugin {
        let mut p = self.clone();
        match &mut p {
            Plugin::Mysql(s) => s.defaults_file = file,
            Plugin::Postgres(s) => s.password_file = Some(file),
            Plugin::External(s) => s.secret_file = Some(file),
            Plugin::Command(s) => s
                .env
                .push(("BANANA_SECRET_FILE".into(), file.display().to_string())),
            Plugin::Fs { .. } | Plugin::Etcd(_) => {}
        }
        p
    }
}
