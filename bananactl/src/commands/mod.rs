//! One file per subcommand: a clap struct and a short `run` over `common`.

pub mod backup;
pub mod check;
pub mod copy;
pub mod diff;
pub mod drill;
pub mod dump;
pub mod enrol;
pub mod find;
pub mod forget;
pub mod init;
pub mod jobs;
pub mod key;
pub mod ls;
pub mod restore;
pub mod run;
pub mod select;
pub mod snapshots;
pub mod stats;
pub mod to_server;

use crate::cli::{Cli, Command};
use crate::exit::Status;
use crate::output::Output;
use crate::settings::{self, Settings};
use anyhow::Context;
use std::path::Path;

pub use crate::open::{open, open_read, open_with, Create, Opened, ReadKeyOpts};

/// Runs the parsed command.
pub fn dispatch(cli: &Cli, out: &Output) -> anyhow::Result<Status> {
    let s = settings::resolve(&cli.global)?;
    match &cli.command {
        Command::Init(c) => c.run(&s, out),
        Command::Backup(c) => c.run(&s, out),
        Command::Run(c) => c.run(&s, out),
        Command::Jobs(c) => c.run(&s, out),
        Command::Find(c) => c.run(&s, out),
        Command::Diff(c) => c.run(&s, out),
        Command::Snapshots(c) => c.run(&s, out),
        Command::Ls(c) => c.run(&s, out),
        Command::Dump(c) => c.run(&s, out),
        Command::Restore(c) => c.run(&s, out),
        Command::Check(c) => c.run(&s, out),
        Command::Stats(c) => c.run(&s, out),
        Command::Drill(c) => c.run(&s, out),
        Command::Copy(c) => c.run(&s, out),
        Command::Forget(c) => c.run(&s, out),
        Command::Prune(c) => c.run(&s, out),
        Command::Key(c) => c.run(&s, out),
        Command::Enrol(c) => c.run(&s, out),
    }
}

/// Warns about the chain gaps of `repo` that no forget record explains (and
/// about forget records that could not be read); returns how many gaps.
pub fn warn_gaps(
    repo: &common::repo::Repository,
    all: &[(common::Id, common::format::Snapshot)],
    out: &Output,
) -> anyhow::Result<usize> {
    let (gaps, problems) = common::ops::chain::repo_gaps(repo, all)?;
    let at = repo.backend().location();
    for p in &problems {
        out.warn("forget-record", &at, p);
    }
    for g in &gaps {
        out.warn("chain-gap", &at, &g.to_string());
    }
    Ok(gaps.len())
}

/// A snapshot time for humans (UTC, seconds).
pub fn when(t: (i64, u32)) -> String {
    common::humanize::rfc3339(t.0)
}

/// Bytes from a snapshot (a name, a link target) for a terminal: control
/// characters escaped (`\x1b`), bidirectional overrides dropped.
pub fn show(p: &[u8]) -> String {
    common::humanize::printable(&String::from_utf8_lossy(p))
}

/// A path from a snapshot for a terminal (see [`show`]).
pub fn show_path(p: &std::path::Path) -> String {
    show(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()))
}

/// Bytes from a snapshot for JSON: the exact text (control characters are
/// JSON-escaped by the encoder); `*_bytes` holds the bytes when they are not
/// UTF-8.
pub fn json_bytes(v: &mut serde_json::Value, key: &str, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => v[key] = serde_json::json!(s),
        Err(_) => {
            v[key] = serde_json::json!(String::from_utf8_lossy(b));
            v[format!("{key}_bytes")] = serde_json::json!(b);
        }
    }
}

/// Creates the repository and key on the embedded default's first use.
pub fn ensure_embedded(s: &Settings, out: &Output) -> anyhow::Result<()> {
    // Once this node wrote there, a missing repository is an alarm (exit 16),
    // never a fresh start.
    let location = s.backend()?.location();
    let done = || {
        common::ops::state::location_record(&s.state_dir, &location).is_some()
            || Path::new(&s.repo).join("config").exists()
    };
    if !s.embedded || done() {
        return Ok(());
    }
    // Jobs of one `run` may all be first: one creates, the others wait.
    let _creating = crate::open::first_use_lock(s)?;
    if done() {
        return Ok(());
    }
    if let Some(parent) = Path::new(&s.repo).parent() {
        // The embedded default's own data directory (never a mount point).
        std::fs::create_dir_all(parent)
            .with_context(|| format!("data directory {}", parent.display()))?;
    }
    out.notice(&format!(
        "bananactl: first use: creating the embedded default repository at {}",
        s.repo
    ));
    let first = init::Create {
        extra: &[],
        compression: None,
        pack_mib: None,
        first_use: true,
        force_new: false,
    };
    init::create(s, out, &first).context("creating the embedded default repository")?;
    Ok(())
}

/// What `path` names in a snapshot's tree, or exit 2 naming it.
pub fn lookup_named(
    reader: &mut common::repo::BlobReader<'_>,
    tree: &common::Id,
    path: &Path,
) -> anyhow::Result<common::format::Node> {
    reader.lookup(tree, path)?.ok_or_else(|| {
        common::Error::new(
            common::ErrorKind::BadInput,
            format!("'{}' is not in the snapshot", show_path(path)),
        )
        .hint("snapshot paths are absolute, as they were backed up (e.g. /etc/hosts); list them with 'bananactl ls SNAPSHOT /'")
        .into()
    })
}

/// `--include` paths made absolute (snapshot paths are), each checked to be
/// in the snapshot: one that names nothing is exit 2, not a restore of
/// nothing.
pub fn includes_in_snapshot(
    repo: &common::repo::Repository,
    index: &common::repo::Index,
    restore: &common::crypto::RestoreKey,
    tree: &common::Id,
    includes: &[std::path::PathBuf],
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    if includes.is_empty() {
        return Ok(Vec::new());
    }
    let mut reader = common::repo::BlobReader::new(repo, index, restore)?;
    includes
        .iter()
        .map(|p| {
            lookup_named(&mut reader, tree, p)?;
            // What the lookup found: its names below the root.
            let mut abs = std::path::PathBuf::from("/");
            abs.extend(p.components().filter_map(|c| match c {
                std::path::Component::Normal(n) => Some(n),
                _ => None,
            }));
            Ok(abs)
        })
        .collect()
}
