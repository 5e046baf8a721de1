//! `bananadm prune NODE…|--all`: retention on the reaper host, with a
//! banana-reaper token. Per node it reads `nodes/N/reaper` (the metadata
//! key, a storage credential that deletes) and `nodes/N/retention`, and runs
//! `common::ops::prune`: it never reads a pack body, and it refuses a token
//! that could read an agent or restore secret.

use super::Out;
use crate::GlobalOpts;
use clap::Args;
use common::crypto::MetadataKey;
use common::names::valid_node_name;
use common::ops::prune::{self, Guards, Policies, PruneOptions, DEFAULT_GRACE, MIN_GRACE};
use common::repo::Store;
use common::vault::{paths, ReaperSecret, RetentionSecret, Vault};
use common::{Error, ErrorKind};
use serde_json::{json, Value};
use std::path::PathBuf;

/// Prune nodes' repositories by their retention policies.
#[derive(Debug, Args)]
pub struct PruneCmd {
    /// Nodes to prune.
    #[arg(value_name = "NODE", required_unless_present = "all")]
    pub nodes: Vec<String>,
    /// Every node with a reaper secret.
    #[arg(long, conflicts_with = "nodes")]
    pub all: bool,
    /// Print what would be forgotten; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Forget more than a fifth of a job's snapshots in one run.
    #[arg(long)]
    pub force: bool,
    /// Time between condemning a pack and deleting it (at least 1h): a
    /// backup that started before must have finished within it.
    #[arg(long, default_value = "24h", value_parser = super::duration_secs, value_name = "DURATION")]
    pub grace: u64,
    /// The reaper's state: the dates it trusts, its clocks [default:
    /// /var/lib/banana/reaper for root, else $XDG_DATA_HOME/banana/reaper].
    #[arg(long, env = "BANANA_REAPER_STATE", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The watch tower whose `received_at` dates the nodes' snapshots where
    /// it is earlier than storage's [default: the tower the reaper enrolled
    /// at, 'bananadm reaper enroll'].
    #[arg(long, env = "BANANA_TOWER", value_name = "URL")]
    pub tower: Option<String>,
    /// The tower's viewer token, in a file (when its API needs one).
    #[arg(long, env = "BANANA_VIEWER_TOKEN_FILE", value_name = "FILE")]
    pub viewer_token_file: Option<PathBuf>,
    /// How much one run may forget, how far a date may be from its claim.
    #[command(flatten)]
    pub guards: Guards,
}

impl PruneCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        if (self.grace as i64) < MIN_GRACE {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("--grace {}s is shorter than an hour", self.grace),
            )
            .hint(format!("the default is {}h", DEFAULT_GRACE / 3600))
            .into());
        }
        let v = super::admin(g)?;
        let nodes = if self.all {
            all_nodes(&v)?
        } else {
            self.nodes.clone()
        };
        for n in &nodes {
            valid_node_name(n)?;
        }
        refuse_readers(&v, &nodes)?;
        let state = self.state_dir.clone().unwrap_or_else(default_state);
        let witness = self.witness(&state)?;
        // A dry run reports nothing: the tower hears what was done.
        let tower = match self.dry_run {
            true => None,
            false => super::tower::Reporter::open(&state)?,
        };
        let (mut held, mut first_err) = (0usize, None);
        for node in &nodes {
            let mut repository = None;
            let witnessed = match &witness {
                Some((url, token)) => super::tower::witnessed(url, token.as_deref(), node),
                None => Default::default(),
            };
            let result = self.one(&v, node, (&state, witnessed), out, &mut repository);
            if let Some(t) = &tower {
                t.record(node, repository, result.as_ref());
            }
            match result {
                Ok(r) => held += r.held.len(),
                Err(e) => {
                    eprintln!("bananadm: error: {node}: {e:#}");
                    first_err.get_or_insert(e.context(format!("node {node}")));
                }
            }
        }
        if let Some(t) = &tower {
            t.deliver();
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        if held > 0 {
            return Err(common::exit::Failure::new(
                common::exit::Code::PARTIAL,
                format!("{held} item(s) held back (see above)"),
            )
            .into());
        }
        Ok(())
    }

    /// Prunes one node (`repository` is set once its config opened).
    fn one(
        &self,
        v: &Vault,
        node: &str,
        (state, witnessed): (&std::path::Path, std::collections::HashMap<common::Id, i64>),
        out: &Out,
        repository: &mut Option<String>,
    ) -> anyhow::Result<prune::PruneReport> {
        let Some((secret, _)) = v.kv_get::<ReaperSecret>(&paths::reaper(node))? else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no reaper secret for '{node}'"),
            )
            .hint(format!(
                "run 'bananadm node reaper {node}' with an admin token"
            ))
            .into());
        };
        let retention = v
            .kv_get::<RetentionSecret>(&paths::retention(node))?
            .map(|(r, _)| r)
            .unwrap_or_default();
        let key = MetadataKey::from_hex(secret.metadata_key.expose())?;
        let backend = super::storage(&secret.storage, &secret.storage_credentials)?;
        let store = Store::open(backend, &key)?;
        *repository = Some(store.config().id.to_hex());
        let copy_policy = retention.copy.clone();
        let mut opts = PruneOptions {
            policies: Policies {
                default: retention.default,
                jobs: retention.jobs,
            },
            grace: self.grace as i64,
            dry_run: self.dry_run,
            force: self.force,
            by: format!("bananadm prune ({node})"),
            witnessed,
            ..Default::default()
        };
        self.guards.apply(&mut opts);
        let report = prune::prune(&store, &state.join(node), &opts)?;
        if !out.json {
            println!("{node}:");
            for line in report.table() {
                println!("  {line}");
            }
            for h in &report.held {
                eprintln!("warning: {node}: {}: held: {}", h.object, h.reason);
            }
        }
        let mut summary = report.to_json();
        summary["command"] = json!("prune");
        summary["node"] = json!(node);
        out.summary(summary, &format!("{node}: {}", report.summary()));
        if let (Some(copy), Some(policy)) = (&secret.copy, copy_policy) {
            opts.policies = Policies {
                default: policy.default,
                jobs: policy.jobs,
            };
            opts.by = format!("bananadm prune ({node}, copy)");
            opts.witnessed = Default::default();
            self.one_copy(
                node,
                copy,
                (&key, &opts),
                &state.join(node).join("copy"),
                out,
            )?;
        }
        Ok(report)
    }

    /// Prunes the node's second copy by its own policy (the same metadata
    /// key: it is the same repository).
    fn one_copy(
        &self,
        node: &str,
        copy: &common::vault::ReaperCopy,
        (key, opts): (&MetadataKey, &PruneOptions),
        state: &std::path::Path,
        out: &Out,
    ) -> anyhow::Result<()> {
        let backend = super::storage(&copy.storage, &copy.storage_credentials)?;
        let store = Store::open(backend, key)?;
        let report = prune::prune(&store, state, opts)?;
        if !out.json {
            println!("{node} (copy at {}):", copy.storage);
            for line in report.table() {
                println!("  {line}");
            }
        }
        let mut summary = report.to_json();
        summary["command"] = json!("prune");
        summary["node"] = json!(node);
        summary["copy"] = json!(copy.storage);
        out.summary(summary, &format!("{node} (copy): {}", report.summary()));
        Ok(())
    }
}

impl PruneCmd {
    /// The tower to date snapshots by, and its viewer token.
    fn witness(&self, state: &std::path::Path) -> anyhow::Result<Option<(String, Option<String>)>> {
        let url = match &self.tower {
            Some(u) => u.clone(),
            None => match super::tower::enrolled_url(state)? {
                Some(u) => u,
                None => return Ok(None),
            },
        };
        let token = match &self.viewer_token_file {
            Some(f) => Some(
                std::fs::read_to_string(f)
                    .map_err(|e| anyhow::anyhow!("viewer token file {}: {e}", f.display()))?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        };
        if token.is_some() && common::names::plain_http_off_host(&url) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("refusing to send the viewer token to {url} in clear"),
            )
            .hint("use the tower's https:// URL")
            .into());
        }
        Ok(Some((url, token)))
    }
}

/// Every node with a reaper secret (the nodes' folder, listed).
fn all_nodes(v: &Vault) -> anyhow::Result<Vec<String>> {
    let mut names = enrolled_nodes(v)?;
    names.retain(|n| matches!(v.kv_get::<Value>(&paths::reaper(n)), Ok(Some(_))));
    Ok(names)
}

/// Every node in Vault (the nodes' folder, listed), sorted.
pub(super) fn enrolled_nodes(v: &Vault) -> anyhow::Result<Vec<String>> {
    let path = paths::kv_metadata(v.location(), paths::NODES);
    let keys = match v.request("LIST", &path, None, None, None) {
        Ok(Some(r)) => r["data"]["keys"].clone(),
        Ok(None) => Value::Null,
        Err(e) if e.kind() == ErrorKind::NotFound => Value::Null,
        Err(e) => return Err(e.into()),
    };
    let mut names: Vec<String> = keys
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|k| k.trim_end_matches('/').to_owned())
                .filter(|k| valid_node_name(k).is_ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    Ok(names)
}

/// A reaper never holds what decrypts: a token that could read a node's
/// agent secret (the chunk key) or restore secret (identities) is refused,
/// the admin's and root included.
fn refuse_readers(v: &Vault, nodes: &[String]) -> anyhow::Result<()> {
    let loc = v.location();
    let mut check: Vec<String> = Vec::new();
    for n in nodes {
        check.push(paths::kv_data(loc, &paths::agent(n)));
        check.push(paths::kv_data(loc, &paths::restore(n)));
    }
    refuse(
        v,
        &check,
        (
            "a reaper must hold no key that decrypts",
            "use a token from 'bananadm reaper token' (banana-reaper policy)",
        ),
    )
}

/// Fails when the token may read any of `check` (Vault paths), saying
/// `why` and `hint`.
pub(super) fn refuse(v: &Vault, check: &[String], (why, hint): (&str, &str)) -> anyhow::Result<()> {
    if check.is_empty() {
        return Ok(());
    }
    let r = v
        .request(
            "POST",
            paths::CAPABILITIES_SELF,
            Some(&json!({ "paths": check })),
            None,
            None,
        )?
        .unwrap_or(Value::Null);
    for path in check {
        let caps = r[path.as_str()]
            .as_array()
            .or_else(|| r["data"][path.as_str()].as_array())
            .cloned()
            .unwrap_or_default();
        let denied = !caps.is_empty() && caps.iter().all(|c| c == "deny");
        if !denied {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("this token can read {path}: {why}"),
            )
            .hint(hint)
            .into());
        }
    }
    Ok(())
}

/// The reaper's state directory when none is given.
pub(super) fn default_state() -> PathBuf {
    common::fsutil::data_dir().join("reaper")
}
