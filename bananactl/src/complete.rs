//! Shell completion that knows this node (clap_complete's dynamic
//! completion). The scripts in `completions/` (`cargo xtask gen`) call
//! `bananactl` at each TAB with [`VAR`] set and the words typed so far; clap
//! completes subcommands and flags, and the values below:
//!
//! - a snapshot (`restore`, `ls`, `dump`, `diff`): `latest`, then the ids
//!   of this node's repository, newest first, from the node's metadata
//!   cache (`STATE_DIR/cache/`, what a backup to S3 or Swift keeps) and,
//!   for a repository in a directory, from its `snapshots/` listing;
//! - a job (`--job`, `run --now`): the names of the config's `[[job]]`s.
//!
//! Nothing here decrypts, reaches the network, takes a lock or writes: the
//! config is found as a run finds it (environment, then the default file;
//! the words on the command line are not seen), a name that is not a
//! snapshot id is skipped (a listing is storage's, and storage is hostile),
//! and any failure offers nothing.

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use std::path::Path;

/// The environment variable that turns a run into a completion request
/// (`BANANA_COMPLETE=bash bananactl` prints bash's registration script).
pub const VAR: &str = "BANANA_COMPLETE";

/// Most snapshot ids offered.
const MAX_SNAPSHOTS: usize = 500;

/// Answers a completion request and exits, when [`VAR`] asks for one.
/// Called first in `main`, before any thread starts.
pub fn handle() {
    clap_complete::CompleteEnv::with_factory(crate::Cli::command)
        .var(VAR)
        .complete();
}

/// The settings a run with no options would use: clap reads the
/// environment (`BANANA_REPO`, `BANANA_CONFIG`, ...) as for any run.
fn settings() -> Option<crate::settings::Settings> {
    let cli = <crate::Cli as clap::Parser>::try_parse_from(["bananactl", "snapshots"]).ok()?;
    crate::settings::resolve(&cli.global).ok()
}

/// `latest` and the snapshot ids this node can name without a request.
pub fn snapshots() -> Vec<CompletionCandidate> {
    let mut out = vec![CompletionCandidate::new("latest").help(Some("the newest snapshot".into()))];
    let Some(s) = settings() else {
        return out;
    };
    let mut found: Vec<(std::time::SystemTime, String)> = Vec::new();
    if !s.repo.contains("://") {
        listed(&Path::new(&s.repo).join("snapshots"), &mut found);
    }
    if let Ok(caches) = std::fs::read_dir(s.state_dir.join("cache")) {
        for cache in caches.flatten() {
            listed(&cache.path().join("snapshots"), &mut found);
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut seen = std::collections::HashSet::new();
    found.retain(|(_, id)| seen.insert(id.clone()));
    found.truncate(MAX_SNAPSHOTS);
    let short: Vec<&str> = found.iter().map(|(_, id)| &id[..8]).collect();
    for (i, (_, id)) in found.iter().enumerate() {
        // The 8-character prefix, unless another id shares it.
        let unique = short.iter().filter(|s| **s == short[i]).count() == 1;
        out.push(CompletionCandidate::new(if unique {
            short[i]
        } else {
            id.as_str()
        }));
    }
    out
}

/// Snapshot ids (64 lowercase hex digits, nothing else) in `dir`, with
/// their modification times.
fn listed(dir: &Path, out: &mut Vec<(std::time::SystemTime, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten().take(100_000) {
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let is_id =
            name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if is_id {
            let at = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            out.push((at, name));
        }
    }
}

/// The configured jobs' names.
pub fn jobs() -> Vec<CompletionCandidate> {
    let Some(s) = settings() else {
        return Vec::new();
    };
    s.jobs()
        .into_iter()
        .map(|j| CompletionCandidate::new(j.name))
        .collect()
}
