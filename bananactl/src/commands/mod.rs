//! One file per subcommand: a clap struct and a short `run` over `common`.

pub mod backup;
pub mod check;
pub mod dump;
pub mod enroll;
pub mod init;
pub mod key;
pub mod ls;
pub mod restore;
pub mod snapshots;

use crate::cli::{Cli, Command};
use crate::exit::Status;
use crate::output::Output;
use crate::settings::{self, Settings};
use anyhow::Context;
use std::path::Path;

pub use crate::open::{open, open_read, open_with, Opened, ReadKeyOpts};

/// Runs the parsed command.
pub fn dispatch(cli: &Cli, out: &Output) -> anyhow::Result<Status> {
    let s = settings::resolve(&cli.global)?;
    match &cli.command {
        Command::Init(c) => c.run(&s, out),
        Command::Backup(c) => c.run(&s, out),
        Command::Snapshots(c) => c.run(&s, out),
        Command::Ls(c) => c.run(&s, out),
        Command::Dump(c) => c.run(&s, out),
        Command::Restore(c) => c.run(&s, out),
        Command::Check(c) => c.run(&s, out),
        Command::Key(c) => c.run(&s, out),
        Command::Enroll(c) => c.run(&s, out),
    }
}

/// A snapshot time for humans (UTC, seconds).
pub fn when(t: (i64, u32)) -> String {
    common::humanize::rfc3339(t.0)
}

/// Path bytes for display.
pub fn show(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// Creates the repository and key on the embedded default's first use.
pub fn ensure_embedded(s: &Settings, out: &Output) -> anyhow::Result<()> {
    if !s.embedded || Path::new(&s.repo).join("config").exists() {
        return Ok(());
    }
    out.notice(&format!(
        "bananactl: first use: creating the embedded default repository at {}",
        s.repo
    ));
    init::create(s, out, &[], None, None, true)
        .context("creating the embedded default repository")?;
    Ok(())
}
