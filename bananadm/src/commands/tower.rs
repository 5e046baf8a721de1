//! The reaper's reports to the watch tower. `bananadm reaper enroll` enrols
//! the reaper's own Ed25519 status key at a tower (after `bananaui node add
//! NAME --reaper` there); then `bananadm prune` spools one `prune` event per
//! node it pruned (or failed to) and delivers what is spooled at its end,
//! within a budget: an unreachable tower never fails nor delays a prune by
//! more than that, and what was not delivered goes with the next prune.
//!
//! Kept in `STATE_DIR/.tower/` (a node name never starts with '.'): the key
//! (`status.key`, 0600), the tower (`tower.json`), the spool.

use anyhow::Context;
use clap::Args;
use common::ops::prune::PruneReport;
use common::status::{Event, EventKind, NodeIdentity, Sender, Spool};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Reports kept while the tower is away.
const SPOOL_MAX: usize = 1000;
/// Time one prune spends delivering its reports, at most.
const BUDGET: Duration = Duration::from_secs(20);
/// One request, at most.
const REQUEST: Duration = Duration::from_secs(10);

/// Enrol this reaper's status key at the watch tower.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The tower and the enrolment.
    #[command(flatten)]
    pub tower: TowerArgs,
    /// The reaper's state [default: as 'bananadm prune'].
    #[arg(long, env = "BANANA_REAPER_STATE", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Enrol this drill host's status key at the watch tower.
#[derive(Debug, Args)]
pub struct DrillEnrollArgs {
    /// The tower and the enrolment.
    #[command(flatten)]
    pub tower: TowerArgs,
    /// The drill host's state [default: as 'bananadm drill'].
    #[arg(long, env = "BANANA_DRILL_STATE", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Enrol this copier's status key at the watch tower.
#[derive(Debug, Args)]
pub struct CopierEnrollArgs {
    /// The tower and the enrolment.
    #[command(flatten)]
    pub tower: TowerArgs,
    /// The copier's state [default: as 'bananadm copy'].
    #[arg(long, env = "BANANA_COPIER_STATE", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl CopierEnrollArgs {
    /// Runs it.
    pub fn run(&self, out: &super::Out) -> anyhow::Result<()> {
        let state = self
            .state_dir
            .clone()
            .unwrap_or_else(super::copy::default_state);
        self.tower.enrol(&state, "copier", "'bananadm copy'", out)
    }
}

/// Where a principal (a reaper, a drill host, a copier) enrols.
#[derive(Debug, Args)]
pub struct TowerArgs {
    /// The name the tower knows it by ('bananaui node add NAME --reaper',
    /// '--drill' or '--copier').
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The watch tower's URL.
    #[arg(long, value_name = "URL")]
    pub collector: String,
    /// The single-use code from 'bananaui node add NAME --reaper' (or
    /// '--drill', '--copier').
    #[arg(
        long,
        value_name = "CODE",
        env = "BANANA_COLLECTOR_CODE",
        hide_env_values = true
    )]
    pub collector_code: String,
    /// Allow plain http:// to the tower on a non-loopback address.
    #[arg(long)]
    pub insecure_http: bool,
}

/// The tower a reaper enrolled at.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Link {
    url: String,
    name: String,
    #[serde(default)]
    insecure_http: bool,
}

fn dir(state: &Path) -> PathBuf {
    state.join(".tower")
}

impl EnrollArgs {
    /// Runs it.
    pub fn run(&self, out: &super::Out) -> anyhow::Result<()> {
        let state = self
            .state_dir
            .clone()
            .unwrap_or_else(super::prune::default_state);
        self.tower.enrol(&state, "reaper", "'bananadm prune'", out)
    }
}

impl DrillEnrollArgs {
    /// Runs it.
    pub fn run(&self, out: &super::Out) -> anyhow::Result<()> {
        let state = self
            .state_dir
            .clone()
            .unwrap_or_else(super::drill::default_state);
        self.tower
            .enrol(&state, "drill host", "'bananadm drill'", out)
    }
}

impl TowerArgs {
    /// Enrols the status key kept in `state` as the `role` that `reports` uses.
    fn enrol(
        &self,
        state: &Path,
        role: &str,
        reports: &str,
        out: &super::Out,
    ) -> anyhow::Result<()> {
        common::names::valid_node_name(&self.name)?;
        let url = self.collector.trim_end_matches('/');
        if common::names::plain_http_off_host(url) && !self.insecure_http {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("refusing to send the enrolment code to {url} in clear"),
            )
            .hint("use the tower's https:// URL, or pass --insecure-http on a trusted network")
            .into());
        }
        let dir = dir(state);
        common::fsutil::private_dir(&dir)
            .with_context(|| format!("directory {}", dir.display()))?;
        let (id, _) = NodeIdentity::load_or_create(&dir.join("status.key"))?;
        let sender = Sender::new(url, REQUEST)?;
        let req = id.enrol_request(&self.name, &self.collector_code, common::unix_now());
        sender.enrol_as(&req, &format!("{role} {}", self.name))?;
        let link = Link {
            url: url.to_owned(),
            name: self.name.clone(),
            insecure_http: self.insecure_http,
        };
        let path = dir.join("tower.json");
        common::fsutil::write_private(&path, &serde_json::to_vec_pretty(&link)?)
            .with_context(|| format!("{}", path.display()))?;
        out.summary(
            serde_json::json!({"command": format!("{role} enroll"), "name": self.name, "collector": url,
                               "status_public_key": id.public_hex()}),
            &format!(
                "enrolled {role} {} at the watch tower {url}; {reports} reports there",
                self.name
            ),
        );
        Ok(())
    }
}

/// The tower the reaper whose state is `state` enrolled at, if it did.
fn link(state: &Path) -> anyhow::Result<Option<Link>> {
    let path = dir(state).join("tower.json");
    match std::fs::read(&path) {
        Ok(b) => Ok(Some(
            serde_json::from_slice(&b).with_context(|| format!("{}", path.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).context(format!("{}", path.display())),
    }
}

/// The URL of the tower the reaper whose state is `state` enrolled at.
pub fn enrolled_url(state: &Path) -> anyhow::Result<Option<String>> {
    Ok(link(state)?.map(|l| l.url))
}

/// When the tower at `url` received the runs that wrote `node`'s snapshots
/// (its `received_at`, from its read-only API with `token`): a date the node
/// could not set. Unreachable or refusing: a warning and no dates.
pub fn witnessed(
    url: &str,
    token: Option<&str>,
    node: &str,
) -> std::collections::HashMap<common::Id, i64> {
    let got = Sender::new(url, REQUEST)
        .and_then(|s| s.api_get(&format!("/api/v1/nodes/{node}?runs=1000"), token, 64 << 20));
    let v = match got {
        Ok(v) => v,
        Err(e) => {
            eprintln!("warning: {node}: no dates from the tower: {e}");
            return Default::default();
        }
    };
    v["runs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            let id: common::Id = r["snapshot"].as_str()?.parse().ok()?;
            Some((id, r["received_at"].as_i64()?))
        })
        .collect()
}

/// Spools and delivers a reaper's `prune` reports.
pub struct Reporter {
    link: Link,
    id: NodeIdentity,
    spool: Spool,
    sender: Sender,
    run: String,
}

impl Reporter {
    /// The reporter of the reaper whose state is `state`, if it enrolled at a tower.
    pub fn open(state: &Path) -> anyhow::Result<Option<Reporter>> {
        let Some(link) = link(state)? else {
            return Ok(None);
        };
        let dir = dir(state);
        let (id, _) = NodeIdentity::load_or_create(&dir.join("status.key"))?;
        Ok(Some(Reporter {
            spool: Spool::open(&dir.join("spool"), SPOOL_MAX)?,
            sender: Sender::new(&link.url, REQUEST)?,
            link,
            id,
            run: hex::encode(rand::random::<[u8; 8]>()),
        }))
    }

    /// Spools the report of `node`: what the prune did, or why it failed.
    pub fn record(
        &self,
        node: &str,
        repository: Option<String>,
        outcome: Result<&PruneReport, &anyhow::Error>,
    ) {
        let now = common::unix_now();
        let mut e = Event::new(EventKind::Prune, &self.run, "prune", "reaper", now, now);
        e.agent = format!("bananadm {}", env!("CARGO_PKG_VERSION"));
        e.target = Some(node.to_owned());
        e.repository = repository;
        e = match outcome {
            Ok(r) => {
                let cap = common::status::MAX_LISTED;
                let mut seqs: Vec<u64> = r.forgotten.iter().filter_map(|(_, s)| *s).collect();
                seqs.sort_unstable();
                seqs.truncate(cap);
                e.forgotten = Some(seqs);
                e.freed_bytes = Some(r.freed_bytes);
                e.held = Some(
                    r.held
                        .iter()
                        .take(cap)
                        .map(|h| format!("{}: {}", h.object, h.reason))
                        .collect(),
                );
                e
            }
            Err(err) => e.with_error(&format!("{err:#}")),
        };
        if let Err(err) = self.spool.push(&e) {
            eprintln!("warning: the prune report of {node} was not spooled: {err}");
        }
    }

    /// A new `drill` event about `node`, from this drill host.
    pub fn drill_event(&self, node: &str, started: i64) -> Event {
        self.event_about(EventKind::Drill, "drill", node, started)
    }

    /// A new `copy` event about `node`, from this copier.
    pub fn copy_event(&self, node: &str, started: i64) -> Event {
        self.event_about(EventKind::Copy, "copy", node, started)
    }

    fn event_about(&self, kind: EventKind, plugin: &str, node: &str, started: i64) -> Event {
        let now = common::unix_now();
        let mut e = Event::new(kind, &self.run, "", plugin, started, now);
        e.agent = format!("bananadm {}", env!("CARGO_PKG_VERSION"));
        e.target = Some(node.to_owned());
        e
    }

    /// Spools `e`.
    pub fn spool(&self, e: &Event) {
        if let Err(err) = self.spool.push(e) {
            eprintln!("warning: a report was not spooled: {err}");
        }
    }

    /// Delivers what is spooled, oldest first, within the budget; says what
    /// is held for later.
    pub fn deliver(&self) {
        let me = (&self.id, self.link.name.as_str());
        let result = self.sender.deliver(&self.spool, me, BUDGET, REQUEST);
        if let Err(err) = result {
            eprintln!("warning: reports to the tower: {err}");
        }
        let held = self.spool.pending_count();
        if held > 0 {
            let why = self.sender.held_because().unwrap_or_default();
            eprintln!(
                "warning: {held} report(s) held for the tower ({why}); they go with the next run"
            );
        }
    }
}
