//! `bananactl diff`: what changed between two snapshots.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;

/// Compare two snapshots.
#[derive(Debug, Args)]
pub struct DiffCmd {
    /// The older snapshot: full id, unique prefix, or 'latest'.
    pub snapshot1: String,
    /// The newer snapshot: full id, unique prefix, or 'latest'.
    pub snapshot2: String,
    /// Which snapshots 'latest' chooses among.
    #[command(flatten)]
    pub filter: super::select::Filter,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

impl DiffCmd {
    /// Runs it.
    pub fn run(&self, _s: &Settings, _out: &Output) -> anyhow::Result<Status> {
        anyhow::bail!("diff: not written yet")
    }
}
