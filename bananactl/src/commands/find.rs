//! `bananactl find`: which snapshots hold paths matching a pattern.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;

/// Find paths in snapshots.
#[derive(Debug, Args)]
pub struct FindCmd {
    /// A glob: with a '/' it matches the whole path (e.g. '/etc/**/*.conf'),
    /// without one the entry's name (e.g. '*.conf').
    pub pattern: String,
    /// Which snapshots to search.
    #[command(flatten)]
    pub filter: super::select::Filter,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

impl FindCmd {
    /// Runs it.
    pub fn run(&self, _s: &Settings, _out: &Output) -> anyhow::Result<Status> {
        anyhow::bail!("find: not written yet")
    }
}
