//! One file per subcommand: a clap struct and a short `run` over `common`.

pub mod backup;
pub mod check;
pub mod dump;
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
use common::keys::{KeyFile, RestoreKey};
use common::repo::Repository;
use std::path::Path;

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
    }
}

/// Opens the configured repository with the key file.
pub fn open(s: &Settings) -> anyhow::Result<(Repository, KeyFile)> {
    let backend = s.backend()?;
    // Name a missing repository before a missing key: it is the likelier mistake.
    if backend
        .list(common::backend::Kind::Config)
        .map(|c| c.is_empty())
        .unwrap_or(true)
    {
        return Err(common::Error::new(
            common::ErrorKind::RepoNotFound,
            format!("no repository at {}", s.repo),
        )
        .hint("check --repo, or create one with 'bananactl init'")
        .into());
    }
    let key = s.key()?;
    let repo = Repository::open(backend, &key.backup_key())?;
    Ok((repo, key))
}

/// The restore half: `--identity-file` (break-glass) or the key file's identities.
pub fn restore_key(key: &KeyFile, identity_file: Option<&Path>) -> anyhow::Result<RestoreKey> {
    match identity_file {
        Some(p) => Ok(common::keys::load_identity_file(p)?),
        None => Ok(key.restore_key()?),
    }
}

/// A snapshot time for humans (UTC, seconds).
pub fn when(t: (i64, u32)) -> String {
    let st = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.0.max(0) as u64);
    humantime::format_rfc3339_seconds(st).to_string()
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
