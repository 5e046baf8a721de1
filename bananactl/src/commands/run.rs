//! `bananactl run`.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;

/// run.
#[derive(Debug, Args)]
pub struct RunCmd {}

impl RunCmd {
    /// Runs it.
    pub fn run(&self, _s: &Settings, _out: &Output) -> anyhow::Result<Status> {
        anyhow::bail!("not written yet")
    }
}
