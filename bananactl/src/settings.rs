//! Where the repository, key file and state are: command line > environment
//! (both via clap) > config file > the embedded default under the user's data
//! directory. Written down in `docs/configuration.md`.

use crate::cli::GlobalOpts;
use anyhow::Context;
use common::backend::Backend;
use common::crypto::KeyFile;
use common::format::Codec;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The agent config file (`bananactl.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Repository location.
    pub repo: Option<String>,
    /// Key file path.
    pub key_file: Option<PathBuf>,
    /// State directory.
    pub state_dir: Option<PathBuf>,
    /// Exclude globs added to every backup.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Codec for repositories created by `init`: `zstd[:LEVEL]`,
    /// `xz[:PRESET]`, `none`, or a bare 0–9 (an xz preset).
    #[serde(default, deserialize_with = "codec_setting")]
    pub compression: Option<Codec>,
    /// Host name recorded in snapshots (default: the system's).
    pub hostname: Option<String>,
    /// Vault credentials written by `bananactl enroll`.
    pub vault_credentials: Option<PathBuf>,
    /// Storage credential file for an `s3://` or `swift://` repository
    /// without Vault (TOML, mode 0600: `access_key`/`secret_key`, or
    /// `user`/`key`, or `user`/`password`/`project`); else the environment.
    pub storage_credentials: Option<PathBuf>,
    /// Timeout of one storage request with a small body (default `30s`; a
    /// large upload or read gets 2 s more per MiB).
    pub storage_timeout: Option<String>,
    /// How long one storage operation is retried before the run fails
    /// (exit 17; default `2m`).
    pub storage_retry_budget: Option<String>,
    /// Packs uploaded at the same time (default 2; each holds a pack in memory).
    pub upload_connections: Option<usize>,
    /// Upload rate limit in KiB/s (`backup --limit-upload` overrides).
    pub limit_upload: Option<u64>,
    /// The watch tower's URL (status reports).
    pub collector: Option<String>,
    /// Allow the tower's URL to be plain http:// off loopback.
    pub insecure_http: Option<bool>,
    /// Allow a storage location with `tls=false` to a host other than
    /// loopback (`--insecure-storage`).
    pub insecure_storage: Option<bool>,
    /// `job = "NAME"`: the default job name of ad-hoc backups; or
    /// `[[job]]` tables: the jobs `bananactl run` schedules.
    #[serde(default)]
    pub job: JobSetting,
    /// Jobs `bananactl run` runs at the same time (default 2).
    pub concurrent_jobs: Option<usize>,
    /// Default expected interval between runs (e.g. `1d`), for `overdue` alerts.
    pub every: Option<String>,
    /// How long a run may spend delivering status to the tower at each
    /// event (default `3s`: a backup never waits longer for the tower, P7).
    pub status_budget: Option<String>,
    /// How often a long run tells the tower it is still going (default `5m`).
    pub heartbeat: Option<String>,
    /// Directories searched for external plugins (`banana-plugin-NAME`),
    /// in order; default `/usr/local/lib/banana/plugins`, `/usr/lib/banana/plugins`.
    pub plugin_path: Option<Vec<PathBuf>>,
}

/// The config's `job` key: a default job name, or `[[job]]` tables.
#[derive(Debug, Default)]
pub struct JobSetting {
    /// `job = "NAME"`.
    pub name: Option<String>,
    /// `[[job]]` tables.
    pub tables: Vec<crate::jobs::JobTable>,
}

impl<'de> Deserialize<'de> for JobSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<JobSetting, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JobSetting;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a job name, or [[job]] tables")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<JobSetting, E> {
                Ok(JobSetting {
                    name: Some(v.to_owned()),
                    tables: Vec::new(),
                })
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<JobSetting, A::Error> {
                let mut tables = Vec::new();
                while let Some(t) = seq.next_element()? {
                    tables.push(t);
                }
                Ok(JobSetting { name: None, tables })
            }
        }
        d.deserialize_any(V)
    }
}

/// Resolved locations for one run.
#[derive(Debug)]
pub struct Settings {
    /// Repository location.
    pub repo: String,
    /// Key file.
    pub key_file: PathBuf,
    /// State directory.
    pub state_dir: PathBuf,
    /// True when nothing was configured: repository and key are created on first use.
    pub embedded: bool,
    /// A key file was named (flag, environment or config file).
    pub key_explicit: bool,
    /// A repository was named (flag, environment or config file).
    pub repo_explicit: bool,
    /// Where `enroll` stores, and runs read, the node's Vault credentials.
    pub vault_credentials: PathBuf,
    /// The watch tower's URL: `BANANA_COLLECTOR`, else the config file.
    pub collector: Option<String>,
    /// The config file's contents (defaults when there is none).
    pub file: FileConfig,
    /// The config file read, if any.
    pub config_path: Option<PathBuf>,
    /// Plain-text storage off loopback allowed (`--insecure-storage`, or
    /// `insecure_storage = true`).
    pub insecure_storage: bool,
    /// Metadata is read from storage, never from the node's cache (`check`).
    pub storage_first: std::sync::atomic::AtomicBool,
}

/// Banana's data directory (`common::fsutil::data_dir`).
pub fn data_dir() -> PathBuf {
    common::fsutil::data_dir()
}

fn default_config_path() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/etc/banana/bananactl.toml");
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(".config")
        });
    base.join("banana/bananactl.toml")
}

/// Parses a config file; unknown keys are an error naming the file.
pub fn load_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| -> anyhow::Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            common::Error::new(
                common::ErrorKind::BadInput,
                format!("config file {} does not exist", path.display()),
            )
            .hint("check --config or BANANA_CONFIG (without either, the default config file is read when it exists)")
            .into()
        } else {
            anyhow::Error::new(e).context(format!("config file {}", path.display()))
        }
    })?;
    parse_file(&text, &format!("config file {}", path.display()))
}

/// Parses a config file's text; `what` names it in errors.
pub fn parse_file(text: &str, what: &str) -> anyhow::Result<FileConfig> {
    let cfg: FileConfig = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
        common::Error::new(
            common::ErrorKind::BadInput,
            format!("{what}{at}: {}", e.message().replace('\n', " ")),
        )
    })?;
    let bad = |m: String| common::Error::new(common::ErrorKind::BadInput, m);
    let jobs = crate::jobs::check_all(&cfg.job.tables).map_err(|(index, e)| {
        let line = job_line(text, index, e.key.as_deref());
        let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
        bad(format!("{what}{at}: {}", e.message))
    })?;
    if let Err(m) = crate::jobs::plugins::typos(&jobs, &plugin_search(&cfg)) {
        return Err(bad(format!("{what}: {m}")).into());
    }
    Ok(cfg)
}

/// The line of `key` (or of the header, without one) in the `index`-th
/// `[[job]]` table of `text`, when the tables are written as sections.
fn job_line(text: &str, index: usize, key: Option<&str>) -> Option<usize> {
    let mut current = None;
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            current = None;
            if t.strip_prefix("[[")
                .and_then(|r| r.strip_suffix("]]"))
                .map(str::trim)
                == Some("job")
            {
                if count == index && key.is_none() {
                    return Some(i + 1);
                }
                current = Some(count);
                count += 1;
            }
            continue;
        }
        let Some((k, _)) = t.split_once('=') else {
            continue;
        };
        if current == Some(index) && Some(k.trim().trim_matches('"')) == key {
            return Some(i + 1);
        }
    }
    None
}

/// Where a config's external plugins are looked for.
fn plugin_search(cfg: &FileConfig) -> Vec<PathBuf> {
    match &cfg.plugin_path {
        Some(p) => p.clone(),
        None => crate::jobs::plugins::DEFAULT_PLUGIN_PATH
            .iter()
            .map(PathBuf::from)
            .collect(),
    }
}

/// `compression = "zstd:3"` or, as before zstd, `compression = 0`–`9`.
fn codec_setting<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Codec>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Setting {
        Preset(u32),
        Name(String),
    }
    let text = match Setting::deserialize(d)? {
        Setting::Preset(p) => p.to_string(),
        Setting::Name(n) => n,
    };
    text.parse::<Codec>()
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Resolves the settings for this run.
pub fn resolve(g: &GlobalOpts) -> anyhow::Result<Settings> {
    let config_path = match &g.config {
        Some(p) => Some(p.clone()),
        None => Some(default_config_path()).filter(|p| p.exists()),
    };
    let file = match &config_path {
        Some(p) => load_file(p)?,
        None => FileConfig::default(),
    };
    let data = data_dir();
    let repo = g.repo.clone().or_else(|| file.repo.clone());
    let key_explicit = g.key_file.is_some() || file.key_file.is_some();
    let state_dir = g
        .state_dir
        .clone()
        .or_else(|| file.state_dir.clone())
        .unwrap_or_else(|| data.join("state"));
    let vault_credentials = g
        .vault_credentials
        .clone()
        .or_else(|| file.vault_credentials.clone())
        .unwrap_or_else(|| {
            if nix::unistd::geteuid().is_root() {
                PathBuf::from("/etc/banana/vault.json")
            } else {
                state_dir.join("vault.json")
            }
        });
    let embedded = repo.is_none() && !key_explicit && !vault_credentials.exists();
    Ok(Settings {
        repo_explicit: repo.is_some(),
        repo: repo.unwrap_or_else(|| data.join("repo").display().to_string()),
        key_file: g
            .key_file
            .clone()
            .or_else(|| file.key_file.clone())
            .unwrap_or_else(|| data.join("key.json")),
        state_dir,
        embedded,
        key_explicit,
        vault_credentials,
        collector: std::env::var("BANANA_COLLECTOR")
            .ok()
            .filter(|c| !c.is_empty())
            .or_else(|| file.collector.clone()),
        insecure_storage: g.insecure_storage || file.insecure_storage.unwrap_or(false),
        storage_first: Default::default(),
        file,
        config_path,
    })
}

impl Settings {
    /// The configured jobs (checked when the file was read).
    pub fn jobs(&self) -> Vec<crate::jobs::Job> {
        crate::jobs::check_all(&self.file.job.tables).unwrap_or_default()
    }

    /// Where external plugins are looked for.
    pub fn plugin_path(&self) -> Vec<PathBuf> {
        plugin_search(&self.file)
    }

    /// "config file PATH", or "the configuration" without a file.
    pub fn config_name(&self) -> String {
        match &self.config_path {
            Some(p) => format!("config file {}", p.display()),
            None => "the configuration (no config file)".into(),
        }
    }

    /// The backend for the configured repository location.
    pub fn backend(&self) -> anyhow::Result<Box<dyn Backend>> {
        self.open_backend(&self.repo, None)
    }

    /// The backend for `location`: S3 credentials from Vault (`vault`) when
    /// given, else the config's `storage_credentials` file, else the
    /// environment. They live in memory only.
    pub fn open_backend(
        &self,
        location: &str,
        vault: Option<&common::backend::StorageCredentials>,
    ) -> anyhow::Result<Box<dyn Backend>> {
        let remote = location.starts_with("s3://") || location.starts_with("swift://");
        let from_file = match (&self.file.storage_credentials, vault) {
            (Some(p), None) if remote => Some(common::backend::StorageCredentials::from_file(p)?),
            _ => None,
        };
        let secs = |key: &str, v: &Option<String>| -> anyhow::Result<Option<std::time::Duration>> {
            v.as_deref()
                .map(|t| {
                    common::humanize::parse_duration(t)
                        .map(std::time::Duration::from_secs)
                        .map_err(|e| anyhow::anyhow!("config: {key} = {t:?}: {e}"))
                })
                .transpose()
        };
        let opts = common::backend::OpenOptions {
            credentials: vault.cloned().or(from_file),
            request_timeout: secs("storage_timeout", &self.file.storage_timeout)?,
            retry_budget: secs("storage_retry_budget", &self.file.storage_retry_budget)?,
            insecure_storage: self.insecure_storage,
        };
        let backend = common::backend::open_with(location, &opts)?;
        if !remote {
            return Ok(backend);
        }
        // Metadata a remote repository already gave this node is kept in its
        // state, so an unchanged backup costs a handful of requests.
        let tag = blake3::hash(backend.location().as_bytes()).to_hex();
        let dir = self.state_dir.join("cache").join(&tag[..32]);
        let cached = common::backend::cache::Cached::new(backend, &dir);
        Ok(Box::new(
            if self
                .storage_first
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                cached.storage_first()
            } else {
                cached
            },
        ))
    }

    /// The node's Vault credentials, when it is enrolled and no key file was named.
    pub fn vault_node(&self) -> anyhow::Result<Option<common::vault::NodeCredentials>> {
        if self.key_explicit || !self.vault_credentials.exists() {
            return Ok(None);
        }
        let p = &self.vault_credentials;
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(p)
                .with_context(|| format!("Vault credentials {}", p.display()))?,
        );
        let creds = serde_json::from_str(&text).map_err(|e| {
            common::Error::new(
                common::ErrorKind::BadInput,
                format!("Vault credentials {}: {e}", p.display()),
            )
            .hint("enrol again with the command 'bananadm node add' prints")
        })?;
        Ok(Some(creds))
    }

    /// Loads the key file.
    pub fn key(&self) -> anyhow::Result<KeyFile> {
        Ok(KeyFile::load(&self.key_file)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The package's conffile: as shipped (all comments: the embedded
    /// default), and with every commented-out key and table enabled.
    #[test]
    fn the_packaged_config_parses_as_shipped_and_uncommented() {
        let text = include_str!("../debian/bananactl.toml");
        let shipped = parse_file(text, "bananactl.toml").unwrap();
        assert!(shipped.repo.is_none() && shipped.job.tables.is_empty());
        let enabled: String = text
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.starts_with('[') || l.contains(" = "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(enabled.lines().count() >= 12, "{enabled}");
        let cfg = parse_file(&enabled, "bananactl.toml, uncommented").unwrap();
        let jobs = crate::jobs::check_all(&cfg.job.tables).unwrap();
        assert_eq!(jobs.len(), 1);
    }

    #[test]
    fn example_config_parses_and_unknown_keys_fail() {
        let dir = tempfile::tempdir().unwrap();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/bananactl.toml");
        let cfg = load_file(&example).unwrap();
        assert!(cfg.repo.is_some());
        let jobs = crate::jobs::check_all(&cfg.job.tables).unwrap();
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["etc", "ldap", "shop-db", "pg", "etcd", "verify"]);
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "repo = \"/x\"\nrepository = \"/y\"\n").unwrap();
        let err = format!("{:#}", load_file(&bad).unwrap_err());
        assert!(
            err.contains("bad.toml, line 2") && err.contains("repository"),
            "{err}"
        );
    }
}
