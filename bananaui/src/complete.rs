//! Shell completion that knows the fleet (clap_complete's dynamic
//! completion). The scripts in `completions/` call `bananaui` at each TAB
//! with [`VAR`] set; a node name (`alert ack NODE`, `node remove NAME`) is
//! completed from the names of the tower's nodes.
//!
//! Those come from a cache, `$XDG_CACHE_HOME/banana/tower-nodes` (one name a
//! line, written by `bananaui node list` and by a completion that had to ask),
//! without any request while it is younger than [`FRESH`]; else from the
//! tower's API (`BANANAUI_URL`, default loopback), with a short timeout.
//! Only names that are valid node names are offered or kept, and any failure
//! offers nothing.

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use std::path::PathBuf;
use std::time::Duration;

/// The environment variable that turns a run into a completion request.
pub const VAR: &str = "BANANA_COMPLETE";

/// How long the cached names are used without asking the tower.
const FRESH: Duration = Duration::from_secs(3600);

/// Answers a completion request and exits, when [`VAR`] asks for one.
pub fn handle() {
    clap_complete::CompleteEnv::with_factory(crate::Cli::command)
        .var(VAR)
        .complete();
}

/// The cache file, when a home or cache directory is known.
fn cache_file() -> Option<PathBuf> {
    let env = |n: &str| {
        std::env::var_os(n)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("banana").join("tower-nodes"))
}

/// Keeps the tower's node names for the next completion (best effort: a
/// home that cannot be written is no error).
pub fn remember(names: &[String]) {
    let Some(file) = cache_file() else {
        return;
    };
    let text: String = names
        .iter()
        .filter(|n| proto::names::valid_node_name(n).is_ok())
        .map(|n| format!("{n}\n"))
        .collect();
    if let Some(dir) = file.parent() {
        if std::fs::create_dir_all(dir).is_ok() {
            let _ = proto::fsutil::write_private(&file, text.as_bytes());
        }
    }
}

/// The node names: cached, else asked of the tower.
pub fn nodes() -> Vec<CompletionCandidate> {
    let fresh = cache_file().and_then(|f| {
        let age = std::fs::metadata(&f)
            .ok()?
            .modified()
            .ok()?
            .elapsed()
            .ok()?;
        (age < FRESH)
            .then(|| std::fs::read_to_string(&f).ok())
            .flatten()
    });
    let names: Vec<String> = match fresh {
        Some(text) => text.lines().take(100_000).map(str::to_owned).collect(),
        None => {
            let names = asked().unwrap_or_default();
            remember(&names);
            names
        }
    };
    names
        .into_iter()
        .filter(|n| proto::names::valid_node_name(n).is_ok())
        .map(CompletionCandidate::new)
        .collect()
}

/// The names the tower's API lists.
fn asked() -> Option<Vec<String>> {
    let url = std::env::var("BANANAUI_URL").unwrap_or_else(|_| "http://127.0.0.1:7460".into());
    let client = crate::api::Client::new(&url, None, Duration::from_secs(2)).ok()?;
    let nodes: crate::api::Nodes = client.get("/api/v1/nodes").ok()?;
    Some(nodes.nodes.into_iter().map(|n| n.name).collect())
}
