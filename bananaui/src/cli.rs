//! The command line (clap types). Doc comments become `--help`, the man
//! pages and the shell completions (`cargo xtask gen`).

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Banana's watch tower: collects signed status from nodes, alerts, and shows the fleet.
#[derive(Debug, Parser)]
#[command(
    name = "bananaui",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = crate::examples::TOP
)]
pub struct Cli {
    /// More log output (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector: ingest, store, alerts, JSON API, metrics and page.
    #[command(after_help = crate::examples::SERVE)]
    Serve(ServeCmd),
    /// The fleet in a terminal: worst first, node detail, alerts (over the JSON API).
    #[command(after_help = crate::examples::TUI)]
    Tui(TuiCmd),
    /// Manage the nodes known to this tower.
    #[command(subcommand, after_help = crate::examples::NODE)]
    Node(NodeCmd),
    /// Alerts that stay until an operator acknowledges them.
    #[command(subcommand, after_help = crate::examples::ALERT)]
    Alert(AlertCmd),
}

/// `bananaui alert ...`.
#[derive(Debug, Subcommand)]
pub enum AlertCmd {
    /// Acknowledge the evidence behind `rollback`, `repository-changed`,
    /// `witness-lost` or `source-lost` alerts once investigated: every piece of that rule's
    /// evidence about the node that reached the tower before now is dropped
    /// and its alert resolves at the collector's next tick; evidence arriving
    /// later stays. The chain goes on from the node's latest report. Asked of
    /// the collector serving the data directory; exits 2 when the node has
    /// no such evidence.
    #[command(after_help = crate::examples::ALERT_ACK)]
    Ack(AlertAckCmd),
}

/// `bananaui alert ack`.
#[derive(Debug, Args)]
pub struct AlertAckCmd {
    /// The node.
    #[arg(value_name = "NODE", add = clap_complete::ArgValueCandidates::new(crate::complete::nodes))]
    pub node: String,
    /// The rule: `rollback`, `repository-changed`, `witness-lost` or
    /// `source-lost`.
    #[arg(value_name = "RULE", value_parser = ["rollback", "repository-changed", "witness-lost", "source-lost"])]
    pub rule: String,
    /// Where the state is.
    #[command(flatten)]
    pub place: Place,
}

/// How a client reaches the tower's API.
#[derive(Debug, Args, Clone)]
pub struct Viewer {
    /// The tower's URL.
    #[arg(
        long,
        env = "BANANAUI_URL",
        default_value = "http://127.0.0.1:7460",
        value_name = "URL"
    )]
    pub url: String,
    /// File holding the viewer token (needed when the tower is exposed).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

impl Viewer {
    /// The viewer token, if a file is named.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        read_token(self.token_file.as_deref())
    }
}

/// `bananaui tui`.
#[derive(Debug, Args)]
pub struct TuiCmd {
    /// The tower.
    #[command(flatten)]
    pub viewer: Viewer,
    /// Seconds between polls.
    #[arg(long, default_value_t = 5, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh: u64,
}

/// Where the tower's state is.
#[derive(Debug, Args, Clone)]
pub struct Place {
    /// Collector config file (TOML; see docs/examples/bananaui.toml).
    #[arg(long, env = "BANANAUI_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (the database, pending requests, the admin socket)
    /// [default: `data` in the config, else /var/lib/banana-tower].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl Place {
    /// The config file's contents and the data directory.
    pub fn resolve(&self) -> anyhow::Result<(crate::config::Config, PathBuf)> {
        let cfg = crate::config::Config::load(self.config.as_deref())?;
        let data = self
            .data
            .clone()
            .or_else(|| cfg.data.clone())
            .unwrap_or_else(crate::config::default_data_dir);
        Ok((cfg, data))
    }
}

/// `bananaui serve`.
#[derive(Debug, Args)]
pub struct ServeCmd {
    /// Address to listen on (plain HTTP; put TLS in a reverse proxy)
    /// [default: 127.0.0.1:7460].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Where the state is.
    #[command(flatten)]
    pub place: Place,
}

/// `bananaui node ...`.
#[derive(Debug, Subcommand)]
pub enum NodeCmd {
    /// Issue single-use enrolment codes for nodes (only their hashes are
    /// kept), asked of the collector serving the data directory: refused when
    /// none runs there, and for a node already enrolled unless `--replace`.
    #[command(after_help = crate::examples::NODE_ADD)]
    Add(NodeAddCmd),
    /// Forget decommissioned nodes: key, jobs, history and alerts.
    #[command(after_help = crate::examples::NODE_REMOVE)]
    Remove(NodeRemoveCmd),
    /// List enrolled nodes with their state (from the running tower's API).
    #[command(after_help = crate::examples::NODE_LIST)]
    List(NodeListCmd),
}

/// `bananaui node remove`.
#[derive(Debug, Args)]
pub struct NodeRemoveCmd {
    /// Node names.
    #[arg(required = true, value_name = "NAME", add = clap_complete::ArgValueCandidates::new(crate::complete::nodes))]
    pub nodes: Vec<String>,
    /// Where the state is.
    #[command(flatten)]
    pub place: Place,
}

/// `bananaui node list`.
#[derive(Debug, Args)]
pub struct NodeListCmd {
    /// The tower.
    #[command(flatten)]
    pub viewer: Viewer,
    /// One JSON object per node instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `bananaui node add`.
#[derive(Debug, Args)]
pub struct NodeAddCmd {
    /// Node names.
    #[arg(required = true, value_name = "NAME")]
    pub nodes: Vec<String>,
    /// How long the code stays valid.
    #[arg(long, default_value = "7d", value_name = "DURATION", value_parser = proto::humanize::parse_duration)]
    pub ttl: u64,
    /// Allow the code to replace the key of an already enrolled node (one
    /// that lost its key); without it an enrolled node is refused.
    #[arg(long)]
    pub replace: bool,
    /// Enrol a reaper ('bananadm prune' on the reaper host): it may send
    /// only prune reports, and a node may not send them.
    #[arg(long)]
    pub reaper: bool,
    /// Enrol a drill host (restore drills of other nodes' backups): it may
    /// send only drill reports, about any enrolled node.
    #[arg(long, conflicts_with = "reaper")]
    pub drill: bool,
    /// Enrol a copier (copies of other nodes' repositories to a second
    /// location): it may send only copy reports, about any enrolled node.
    #[arg(long, conflicts_with_all = ["reaper", "drill"])]
    pub copier: bool,
    /// The tower's URL as nodes reach it, http(s) (shown in the command to
    /// run on each node).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Where the state is.
    #[command(flatten)]
    pub place: Place,
}

/// Reads a token file (trimmed).
pub fn read_token(file: Option<&std::path::Path>) -> anyhow::Result<Option<String>> {
    file.map(|f| {
        std::fs::read_to_string(f)
            .map(|t| t.trim().to_owned())
            .with_context(|| format!("viewer token file {}", f.display()))
    })
    .transpose()
}
