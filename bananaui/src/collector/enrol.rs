//! Enrolment at the tower: `bananaui node add NAME` asks the running
//! collector (over `DATA/admin.sock`, [`super::admin`]) for a fresh
//! single-use code; the collector writes a pending file holding only its
//! hash (P3: the tower never keeps a secret that grants anything) and
//! returns the code; the node presents it once with its public key
//! (`bananactl enroll --collector URL --collector-code CODE`).
//!
//! Pending enrolments are files (`DATA/pending/NAME.json`, 0600), not database
//! records, claimed by the writer (a rename) when the code is used.
//!
//! Removals are files too: `bananaui node remove NAME` writes
//! `DATA/pending/NAME.remove` (also while no collector runs); the housekeeper
//! deletes the node (its key, jobs, runs, event ids and alerts) at its next
//! tick and then the file. Acknowledgements: `bananaui alert ack NODE RULE`
//! has the collector write `DATA/pending/NODE.RULE.ack` with the time it was
//! issued, and the housekeeper drops the evidence of that rule stored before
//! then.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A pending enrolment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// Node name.
    pub node: String,
    /// BLAKE3 of the code, hex.
    pub code_hash: String,
    /// The code is refused after this (Unix seconds).
    pub expires_at: i64,
    /// Whether it may replace the key of an enrolled node.
    pub replace: bool,
    /// Whether it enrols a reaper (which sends only `prune` events).
    #[serde(default)]
    pub reaper: bool,
    /// Whether it enrols a drill host (which sends only `drill` events).
    #[serde(default)]
    pub drill_host: bool,
    /// Whether it enrols a copier (which sends only `copy` events).
    #[serde(default)]
    pub copier: bool,
}

/// What a code enrols.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Principal {
    /// A node: it reports its own runs (and its own drills).
    #[default]
    Node,
    /// A reaper (`--reaper`): prune reports only.
    Reaper,
    /// A drill host (`--drill`): drill reports only, about other nodes.
    DrillHost,
    /// A copier (`--copier`): copy reports only, about other nodes.
    Copier,
}

impl Principal {
    /// Its name in logs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Principal::Node => "node",
            Principal::Reaper => "reaper",
            Principal::DrillHost => "drill host",
            Principal::Copier => "copier",
        }
    }
}

/// Where pending enrolments live.
pub fn pending_dir(data: &Path) -> PathBuf {
    data.join("pending")
}

/// The pending file of `node`.
pub fn pending_path(data: &Path, node: &str) -> PathBuf {
    pending_dir(data).join(format!("{node}.json"))
}

/// Creates a code for `node`, valid for `ttl_secs`, and records its hash;
/// returns the code (shown once, never stored).
pub fn add(
    data: &Path,
    node: &str,
    ttl_secs: u64,
    replace: bool,
    principal: Principal,
    now: i64,
) -> anyhow::Result<String> {
    proto::names::valid_node_name(node)?;
    let dir = pending_dir(data);
    proto::fsutil::private_dir(&dir).with_context(|| format!("directory {}", dir.display()))?;
    let code = format!("bnc-{}", hex::encode(rand::random::<[u8; 16]>()));
    let p = Pending {
        node: node.to_owned(),
        code_hash: proto::status::code_hash(&code),
        expires_at: now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX)),
        replace,
        reaper: principal == Principal::Reaper,
        drill_host: principal == Principal::DrillHost,
        copier: principal == Principal::Copier,
    };
    let path = pending_path(data, node);
    // A pending code is not a key: a new one replaces an unused old one.
    proto::fsutil::write_private(&path, &serde_json::to_vec(&p)?)
        .with_context(|| format!("pending enrolment {}", path.display()))?;
    Ok(code)
}

/// Reads the pending enrolment of `node`, if any.
pub fn read(data: &Path, node: &str) -> anyhow::Result<Option<Pending>> {
    let path = pending_path(data, node);
    match std::fs::read(&path) {
        Ok(b) => {
            Ok(Some(serde_json::from_slice(&b).with_context(|| {
                format!("pending enrolment {}", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("pending enrolment {}", path.display())),
    }
}

/// Asks the collector to forget `node` (and voids a pending code for it).
pub fn request_removal(data: &Path, node: &str, now: i64) -> anyhow::Result<PathBuf> {
    proto::names::valid_node_name(node)?;
    let dir = pending_dir(data);
    proto::fsutil::private_dir(&dir).with_context(|| format!("directory {}", dir.display()))?;
    match std::fs::remove_file(pending_path(data, node)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("pending enrolment of {node}")),
    }
    let path = dir.join(format!("{node}.remove"));
    proto::fsutil::write_private(
        &path,
        &serde_json::to_vec(&serde_json::json!({"node": node, "requested_at": now}))?,
    )
    .with_context(|| format!("removal request {}", path.display()))?;
    Ok(path)
}

/// The removal requests waiting: (node, file).
pub fn removals(data: &Path) -> Vec<(String, PathBuf)> {
    pending_with(data, ".remove", |node| {
        proto::names::valid_node_name(node).ok()?;
        Some(node.to_owned())
    })
}

/// The files in `DATA/pending/` ending in `suffix` whose stem `parse` accepts.
fn pending_with<T>(
    data: &Path,
    suffix: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Vec<(T, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(pending_dir(data)) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            Some((parse(name.strip_suffix(suffix)?)?, e.path()))
        })
        .collect()
}

/// Asks the collector to drop the evidence of `rule` for `node` (`bananaui alert ack`).
pub fn request_ack(data: &Path, node: &str, rule: &str, now: i64) -> anyhow::Result<PathBuf> {
    proto::names::valid_node_name(node)?;
    if !crate::collector::store::WITNESS_RULES.contains(&rule) {
        anyhow::bail!(
            "rule '{rule}' cannot be acknowledged: only {} stay until acknowledged",
            crate::collector::store::WITNESS_RULES.join(", ")
        );
    }
    let dir = pending_dir(data);
    proto::fsutil::private_dir(&dir).with_context(|| format!("directory {}", dir.display()))?;
    let path = dir.join(format!("{node}.{rule}.ack"));
    proto::fsutil::write_private(
        &path,
        &serde_json::to_vec(&serde_json::json!({"node": node, "rule": rule, "requested_at": now}))?,
    )
    .with_context(|| format!("acknowledgement {}", path.display()))?;
    Ok(path)
}

/// The acknowledgements waiting: (node, rule, when it was issued, file).
/// The time is the file's `requested_at` (its modification time if it has
/// none): evidence that reached the tower since stays.
pub fn acks(data: &Path) -> Vec<(String, String, i64, PathBuf)> {
    pending_with(data, ".ack", |stem| {
        let (node, rule) = stem.rsplit_once('.')?;
        proto::names::valid_node_name(node).ok()?;
        let rule = crate::collector::store::WITNESS_RULES
            .iter()
            .find(|r| **r == rule)?;
        Some((node.to_owned(), (*rule).to_owned()))
    })
    .into_iter()
    .filter_map(|((node, rule), path)| {
        let at = requested_at(&path)?;
        Some((node, rule, at, path))
    })
    .collect()
}

/// When an acknowledgement file was issued.
fn requested_at(path: &Path) -> Option<i64> {
    #[derive(Deserialize)]
    struct Ack {
        requested_at: i64,
    }
    let written = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Ack>(&b).ok())
        .map(|a| a.requested_at);
    written.or_else(|| {
        let t = std::fs::metadata(path).ok()?.modified().ok()?;
        let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        i64::try_from(secs).ok()
    })
}
