//! `bananactl jobs`.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;

/// jobs.
#[derive(Debug, Args)]
pub struct JobsCmd {}

impl JobsCmd {
    /// Runs it.
    pub fn run(&self, _s: &Settings, _out: &Output) -> anyhow::Result<Status> {
        anyhow::bail!("not written yet")
    }
}
