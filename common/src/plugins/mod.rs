//! Plugins: what a job reads, one module each, above the backup engine
//! (`ops::backup` keeps the source trait, the walk, the catalogue, the
//! pipeline and recovery). A plugin is its own `[[job]]` table type (serde,
//! unknown keys refused), the check that turns it into a [`JobPlugin`], the
//! [`Source`] a run reads, and, for a database, its restore into the server
//! ([`ServerRestore`]). The [`Registry`] maps a plugin's name to its
//! [`Entry`]; a name it does not hold is an external `banana-plugin-NAME`.
//!
//! - [`fs`]: files and directories (the engine's walk);
//! - [`command`]: a program's standard output, and the contract every
//!   program-running plugin keeps (`command/contract.rs`);
//! - [`mysql`], [`postgres`], [`etcd`]: the database plugins;
//! - [`drill`]: a job that drills the others (no backup);
//! - [`external`]: the `plan`/`backup`/`restore` protocol of external plugins;
//! - `rundir.rs`: private run directories, removed on exit and on a signal.
//!
//! Adding a plugin: a module here with its table, check, source and restore,
//! and one line in [`Registry::built_in`] (a test adds a toy one that way).

pub mod command;
pub mod drill;
pub mod etcd;
pub mod external;
pub mod fs;
pub mod mysql;
pub mod postgres;
mod rundir;
pub mod verify;

pub use command::{
    last_line, stream, CommandSource, CommandSpec, Feed, Streamed, CUT_NOTE, STDERR_TAIL,
};
pub use rundir::{remove_on_termination, sweep_dead_runs, RunDir};

use crate::error::Result;
use crate::ops::backup::Source;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::Duration;

/// Default timeout of a job that runs a program (`command`, databases).
pub const DEFAULT_PROGRAM_TIMEOUT: u64 = 24 * 3600;

/// The keys every job has, checked, as a plugin's check sees them.
#[derive(Debug, Clone, Copy)]
pub struct JobKeys<'a> {
    /// The job's name (valid).
    pub name: &'a str,
    /// The plugin as written.
    pub plugin: &'a str,
    /// `timeout`, in seconds.
    pub timeout: Option<u64>,
    /// `credentials = "vault"`: the job's credentials come from the node's
    /// agent secret, written to a private file for each run.
    pub vault_credentials: bool,
}

impl JobKeys<'_> {
    /// A program's timeout: the job's, or [`DEFAULT_PROGRAM_TIMEOUT`].
    pub fn program_timeout(&self) -> Option<Duration> {
        Some(Duration::from_secs(
            self.timeout.unwrap_or(DEFAULT_PROGRAM_TIMEOUT),
        ))
    }

    /// `job 'NAME': what`, the form of every config error about a job.
    pub fn error(&self, what: impl std::fmt::Display) -> KeyError {
        KeyError::job(format!("job '{}': {what}", self.name))
    }

    /// The same, about one key (the config's reader shows its line).
    pub fn error_at(&self, key: &str, what: impl std::fmt::Display) -> KeyError {
        KeyError::at(key, format!("job '{}': {what}", self.name))
    }
}

/// What one run gives a plugin.
#[derive(Debug, Clone, Default)]
pub struct RunEnv {
    /// The config's exclude globs (`fs`).
    pub excludes: Vec<String>,
    /// The node's state directory: private run directories go there.
    pub state_dir: PathBuf,
    /// Where external plugins are looked for.
    pub plugin_path: Vec<PathBuf>,
    /// The job's credentials from Vault, as a private file, for this run.
    pub secret_file: Option<PathBuf>,
}

/// A job's plugin, checked: what its runs read and how it is restored.
pub trait JobPlugin: std::fmt::Debug + Send + Sync {
    /// The plugin's name, as the config and snapshots write it.
    fn name(&self) -> &str;

    /// The run's own timeout (`fs`); a program's is enforced by killing it.
    fn run_timeout(&self) -> Option<Duration> {
        None
    }

    /// This plugin as one run uses it: run directories under the state
    /// directory, external plugins looked for on the plugin path, the job's
    /// credentials file where the plugin takes one.
    fn for_run(&self, env: &RunEnv) -> Box<dyn JobPlugin>;

    /// The source a run reads (after [`JobPlugin::for_run`]).
    fn source(&self) -> Result<Box<dyn Source>>;

    /// Its restore into the server it backs up (`restore --to-server`).
    fn server(&self) -> Option<&dyn ServerRestore> {
        None
    }

    /// A `drill` job: what `bananactl run` drills instead of backing up.
    fn drill(&self) -> Option<&drill::DrillJob> {
        None
    }

    /// Whether its snapshots restore into a new data directory (`etcd`).
    fn restores_to_data_dir(&self) -> bool {
        false
    }

    /// A copy.
    fn clone_box(&self) -> Box<dyn JobPlugin>;

    /// For tests that look at a plugin's checked configuration.
    fn as_any(&self) -> &dyn std::any::Any;
}

impl Clone for Box<dyn JobPlugin> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// What `restore --to-server` needs of a database plugin. Stream names come
/// from a snapshot, which a compromised node may have written: every name is
/// checked ([`crate::names::unsafe_name`] and [`ServerRestore::unsafe_database`])
/// before it reaches a client.
pub trait ServerRestore {
    /// The database a stream of the snapshot restores, if it is a database
    /// stream.
    fn database<'s>(&self, stream: &'s str) -> Option<&'s str>;

    /// Whether the stream holds accounts (users and grants, roles): restored
    /// only with `--accounts`.
    fn accounts(&self, _stream: &str) -> bool {
        false
    }

    /// Whether the stream is for the whole server (roles, tablespaces):
    /// restored first, and left out of a renaming restore.
    fn global(&self, _stream: &str) -> bool {
        false
    }

    /// Why this plugin's client may not be given `db`, beyond the rule every
    /// name keeps.
    fn unsafe_database(&self, _db: &str) -> Option<&'static str> {
        None
    }

    /// Whether an admin's `--defaults-file` (a MariaDB/MySQL client file)
    /// applies: it then replaces the job's credentials file.
    fn takes_defaults_file(&self) -> bool {
        false
    }

    /// Restores `stream` (database `database`, or `rename` if given).
    fn restore(
        &self,
        stream: &str,
        database: &str,
        rename: Option<&str>,
        dump: Feed<'_>,
    ) -> Result<()>;
}

/// What checks a plugin's keys of a job table.
pub type Check = fn(&JobKeys<'_>, toml::Table) -> std::result::Result<Box<dyn JobPlugin>, KeyError>;

/// One plugin the agent knows.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Its name in `plugin = "…"`.
    pub name: &'static str,
    /// The keys of its table (its table type's fields).
    pub keys: fn() -> &'static [&'static str],
    /// Whether its jobs may take `credentials = "vault"`.
    pub credentials: bool,
    /// Checks its table.
    pub check: Check,
}

/// The plugins by name.
#[derive(Clone)]
pub struct Registry {
    entries: Vec<Entry>,
}

impl Registry {
    /// The built-in plugins. One line per plugin.
    pub fn built_in() -> Registry {
        Registry {
            entries: vec![
                fs::ENTRY,
                command::ENTRY,
                mysql::ENTRY,
                postgres::ENTRY,
                etcd::ENTRY,
                drill::ENTRY,
            ],
        }
    }

    /// This registry and one more plugin.
    pub fn with(mut self, entry: Entry) -> Registry {
        self.entries.push(entry);
        self
    }

    /// The plugin named `name`, if it is not an external one.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The names, for messages: `fs, command, mysql, postgres, etcd`.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.entries.iter().map(|e| e.name).collect();
        names.join(", ")
    }

    /// Checks a job's plugin and the keys that are the plugin's (`rest`):
    /// its own entry's, or an external plugin's. A key of another plugin
    /// "does not apply"; a key of none is unknown. Errors name the job and,
    /// in [`KeyError::key`], the key.
    pub fn check(
        &self,
        job: &JobKeys<'_>,
        credentials: Option<&str>,
        rest: toml::Table,
    ) -> std::result::Result<Box<dyn JobPlugin>, KeyError> {
        let external = external::entry(self, job)?;
        let entry = self.get(job.plugin).copied().unwrap_or(external);
        let shown = crate::humanize::printable(job.plugin);
        if credentials.is_some() && !entry.credentials {
            return Err(job.error_at(
                "credentials",
                format!("'credentials' does not apply to plugin '{shown}'"),
            ));
        }
        if let Some(other) = credentials.filter(|c| *c != "vault") {
            return Err(job.error_at(
                "credentials",
                format!(
                    "credentials = \"{}\": the only value is \"vault\" (files are given with defaults_file or password_file)",
                    crate::humanize::printable(other)
                ),
            ));
        }
        let known = (entry.keys)();
        if let Some(k) = rest.keys().find(|k| !known.contains(&k.as_str())) {
            let elsewhere = self
                .entries
                .iter()
                .chain([&external])
                .any(|e| (e.keys)().contains(&k.as_str()));
            let why = if elsewhere {
                format!("'{k}' does not apply to plugin '{shown}'")
            } else {
                format!(
                    "unknown key '{}' (plugin '{shown}' takes {}; every job takes name, plugin, every, schedule, timeout, jitter, tags)",
                    crate::humanize::printable(k),
                    known.join(", ")
                )
            };
            return Err(job.error_at(k, why));
        }
        (entry.check)(job, rest)
    }
}

/// A job table's error, and the key it is about when there is one (the
/// config file's reader turns the key into a line number).
#[derive(Debug, Clone)]
pub struct KeyError {
    /// The key.
    pub key: Option<String>,
    /// One line naming the job.
    pub message: String,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl KeyError {
    /// An error about `key`.
    pub fn at(key: &str, message: String) -> KeyError {
        KeyError {
            key: Some(key.to_owned()),
            message,
        }
    }

    /// An error about the job as a whole.
    pub fn job(message: String) -> KeyError {
        KeyError { key: None, message }
    }
}

/// A plugin's table from a job's keys. Every field of a table type is
/// optional or has a default (each plugin says what it needs), so a type
/// error is found by key: the message names it.
pub fn table<T: DeserializeOwned>(
    job: &JobKeys<'_>,
    rest: toml::Table,
) -> std::result::Result<T, KeyError> {
    match T::deserialize(toml::Value::Table(rest.clone())) {
        Ok(t) => Ok(t),
        Err(e) => {
            let key = rest.iter().find_map(|(k, v)| {
                let one = toml::Table::from_iter([(k.clone(), v.clone())]);
                T::deserialize(toml::Value::Table(one)).err().map(|_| k)
            });
            let what = e.message().replace('\n', " ");
            Err(match key {
                Some(k) => job.error_at(k, format!("{k}: {what}")),
                None => job.error(what),
            })
        }
    }
}

/// A database plugin's `databases`: absent (all) or not empty.
fn databases_given(
    job: &JobKeys<'_>,
    databases: &Option<Vec<String>>,
) -> std::result::Result<(), KeyError> {
    match databases {
        Some(d) if d.is_empty() => Err(job.error_at(
            "databases",
            "databases is empty (leave it out for all databases)",
        )),
        _ => Ok(()),
    }
}

/// The field names of a table type, read from its `Deserialize` impl: the
/// keys a plugin takes are its struct's fields, listed nowhere else.
pub fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    probe::fields_of::<T>()
}

/// A deserializer that only records the fields a struct asks for.
mod probe {
    use serde::de::{self, Deserializer, Visitor};

    /// What `deserialize_struct` was called with.
    #[derive(Debug)]
    struct Found(&'static [&'static str]);

    impl std::fmt::Display for Found {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("fields found")
        }
    }

    impl std::error::Error for Found {}

    impl de::Error for Found {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Found(&[])
        }
    }

    struct Probe;

    impl<'de> Deserializer<'de> for Probe {
        type Error = Found;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(&[]))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(fields))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    pub(super) fn fields_of<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
        match T::deserialize(Probe) {
            Err(Found(f)) => f,
            Ok(_) => &[],
        }
    }
}

/// A plugin's copy of itself for a run, and the rest of [`JobPlugin`]'s
/// plumbing, for a plugin type that is `Clone`.
#[macro_export]
macro_rules! plugin_plumbing {
    () => {
        fn clone_box(&self) -> Box<dyn $crate::plugins::JobPlugin> {
            Box::new(self.clone())
        }

        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    };
}

#[cfg(test)]
mod tests;
