//! What the agent adds to the plugins of `common::plugins`: a config's
//! plugin names that look like typos of a built-in's, and a job's
//! credentials from Vault made into a private file for the run.

use common::plugins::{Registry, RunDir};
use std::path::PathBuf;

pub use common::plugins::external::DEFAULT_PLUGIN_PATH;

/// Jobs whose external plugin looks like a built-in's name and is not
/// installed on `search`: one line naming the built-ins and the search path.
pub fn typos(jobs: &[super::Job], search: &[PathBuf]) -> Result<(), String> {
    let built_in = Registry::built_in();
    for job in jobs {
        let plugin = job.plugin.name();
        if built_in.get(plugin).is_some() {
            continue;
        }
        let Some(meant) = built_in_meant(plugin) else {
            continue;
        };
        let file = format!("banana-plugin-{plugin}");
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
            plugin,
            built_in.names(),
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
