//! The `command` plugin (a program's standard output as one stream), and
//! the contract every program-running plugin keeps (`contract.rs`: a clean
//! environment, concurrent stderr, failure on a non-zero exit, timeouts
//! that kill the process group).

mod contract;

pub use contract::*;

use crate::error::Result;
use crate::ops::backup::Source;
use crate::plugins::{Entry, JobKeys, JobPlugin, KeyError, RunEnv};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The `command` plugin's keys of a `[[job]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandTable {
    /// Program and arguments (no shell).
    #[serde(default)]
    pub command: Vec<String>,
    /// The stream's name in the snapshot (default: the job's).
    pub stream: Option<String>,
    /// Environment for the program (not for secrets: the config file is
    /// readable by whoever reads it).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// The `command` plugin.
pub const ENTRY: Entry = Entry {
    name: "command",
    keys: super::fields::<CommandTable>,
    credentials: true,
    check,
};

fn check(
    job: &JobKeys<'_>,
    rest: toml::Table,
) -> std::result::Result<Box<dyn JobPlugin>, KeyError> {
    let t: CommandTable = super::table(job, rest)?;
    if t.command.first().is_none_or(|c| c.is_empty()) {
        return Err(job.error("plugin 'command' needs command = [\"program\", \"arg\", ...]"));
    }
    let spec = CommandSpec {
        argv: t.command,
        name: t.stream.unwrap_or_else(|| job.name.to_owned()),
        timeout: job.program_timeout(),
        env: t.env.into_iter().collect(),
        label: "command".into(),
        cwd: None,
    };
    CommandSource::new(spec.clone()).map_err(|e| job.error(e))?;
    Ok(Box::new(spec))
}

impl JobPlugin for CommandSpec {
    fn name(&self) -> &str {
        "command"
    }

    /// The job's credentials file is named in `BANANA_SECRET_FILE`.
    fn for_run(&self, env: &RunEnv) -> Box<dyn JobPlugin> {
        let mut s = self.clone();
        if let Some(f) = &env.secret_file {
            s.env
                .push(("BANANA_SECRET_FILE".into(), f.display().to_string()));
        }
        Box::new(s)
    }

    fn source(&self) -> Result<Box<dyn Source>> {
        Ok(Box::new(CommandSource::new(self.clone())?))
    }

    crate::plugin_plumbing!();
}
