//! `bananaui`, Banana's watch tower: `serve` collects signed node status into
//! sled, evaluates alert rules, and serves a read-only JSON API, Prometheus
//! metrics and a static page; `node add` issues single-use enrolment codes.
//! It holds no credentials and never connects to a node (P3, P4, P7;
//! `docs/collector.md`, `docs/api.md`).

pub mod alerts;
pub mod app;
pub mod config;
pub mod enrol;
pub mod http;
pub mod ingest;
pub mod store;
pub mod tui;
pub mod view;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Banana's watch tower: collects signed status from nodes, alerts, and shows the fleet.
#[derive(Debug, Parser)]
#[command(
    name = "bananaui",
    version,
    propagate_version = true,
    max_term_width = 100
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
    Serve(ServeCmd),
    /// The fleet in a terminal: worst first, node detail, alerts (over the JSON API).
    Tui(TuiCmd),
    /// Manage the nodes known to this tower.
    #[command(subcommand)]
    Node(NodeCmd),
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
    /// Data directory [default: /var/lib/banana/tower for root, else
    /// $XDG_DATA_HOME/banana/tower].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl Place {
    fn resolve(&self) -> anyhow::Result<(config::Config, PathBuf)> {
        let cfg = config::Config::load(self.config.as_deref())?;
        let data = self
            .data
            .clone()
            .or_else(|| cfg.data.clone())
            .unwrap_or_else(config::default_data_dir);
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
    /// Issue single-use enrolment codes for nodes (only their hashes are kept).
    Add(NodeAddCmd),
    /// Forget decommissioned nodes: key, jobs, history and alerts.
    Remove(NodeRemoveCmd),
    /// List enrolled nodes with their state (from the running tower's API).
    List(NodeListCmd),
}

/// `bananaui node remove`.
#[derive(Debug, Args)]
pub struct NodeRemoveCmd {
    /// Node names.
    #[arg(required = true, value_name = "NAME")]
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
    #[arg(long, default_value = "7d", value_name = "DURATION", value_parser = common::status::parse_duration)]
    pub ttl: u64,
    /// Allow the code to replace the key of an already enrolled node.
    #[arg(long)]
    pub replace: bool,
    /// The tower's URL as nodes reach it (shown in the command to run on each node).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Where the state is.
    #[command(flatten)]
    pub place: Place,
}

/// Sets up logging on stderr (`RUST_LOG` overrides).
pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "{level},sled=warn,reqwest=warn,hyper=warn,hyper_util=warn"
        ))
    });
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Runs a command; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let r = match cli.command {
        Command::Serve(c) => serve(&c),
        Command::Node(NodeCmd::Add(c)) => node_add(&c),
        Command::Node(NodeCmd::Remove(c)) => node_remove(&c),
        Command::Node(NodeCmd::List(c)) => node_list(&c),
        Command::Tui(c) => tui_cmd(&c),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("bananaui: error: {}", format!("{e:#}").replace('\n', " "));
            1
        }
    }
}

fn serve(c: &ServeCmd) -> anyhow::Result<()> {
    let (cfg, data) = c.place.resolve()?;
    let listen = c.listen.or(cfg.listen).unwrap_or_else(|| {
        config::DEFAULT_LISTEN
            .parse()
            .unwrap_or_else(|_| unreachable!())
    });
    let token = read_token(cfg.viewer_token_file.as_deref())?.filter(|t| !t.is_empty());
    if !listen.ip().is_loopback() && token.is_none() {
        anyhow::bail!(
            "refusing to serve the fleet's status on {listen} without a viewer token: set viewer_token_file in the config (or listen on 127.0.0.1)"
        );
    }
    raise_fd_limit();
    // A panic in any thread (writer, housekeeper, a notifier) is a bug that
    // would leave a subsystem dead behind a live port: exit so the service
    // manager restarts the collector (acknowledged statuses are on disk).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        tracing::error!("panic: {info}; exiting so the collector is restarted");
        std::process::exit(70);
    }));
    let store = store::Store::open(&data)?;
    let writer = ingest::Writer::start(store.clone(), cfg.history.clone())?;
    alerts::start(data.clone(), store.clone(), writer.clone(), cfg.clone())?;
    let listener =
        std::net::TcpListener::bind(listen).with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    let gauges = Arc::new(http::Gauges::default());
    let limits = cfg.limits.clone();
    let app = Arc::new(app::App::new(
        store,
        writer,
        cfg,
        data.clone(),
        token,
        gauges.clone(),
    ));
    tracing::info!("listening on {addr} (data {})", data.display());
    http::serve(listener, limits, app, gauges)
}

fn tui_cmd(c: &TuiCmd) -> anyhow::Result<()> {
    match reqwest::Url::parse(&c.viewer.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => anyhow::bail!(
            "--url '{}' is not an http(s) URL (e.g. http://127.0.0.1:7460)",
            c.viewer.url
        ),
    }
    let token = c.viewer.token()?;
    tui::run(tui::Options {
        url: c.viewer.url.clone(),
        token,
        refresh: std::time::Duration::from_secs(c.refresh),
    })
}

fn node_remove(c: &NodeRemoveCmd) -> anyhow::Result<()> {
    let (cfg, data) = c.place.resolve()?;
    for node in &c.nodes {
        enrol::request_removal(&data, node, app::now())?;
        println!(
            "{node}: removal queued; the collector forgets it within {} (alerts for it are dropped without notification)",
            alerts::age(cfg.alerts.interval.i())
        );
    }
    Ok(())
}

fn node_list(c: &NodeListCmd) -> anyhow::Result<()> {
    let token = c.viewer.token()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let url = format!("{}/api/v1/nodes", c.viewer.url.trim_end_matches('/'));
    let text = rt
        .block_on(async {
            let mut req = http.get(&url);
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await?.error_for_status()?;
            r.text().await
        })
        .map_err(|e| anyhow::anyhow!("the tower at {}: {}", c.viewer.url, e.without_url()))?;
    let nodes: tui::model::Nodes =
        serde_json::from_str(&text).with_context(|| format!("the tower at {}", c.viewer.url))?;
    let now = app::now();
    for n in &nodes.nodes {
        if c.json {
            println!(
                "{}",
                serde_json::json!({"node": n.name, "state": n.state, "last_seen_at": n.last_seen_at,
                                   "enrolled_at": n.enrolled_at, "agent": n.agent, "jobs": n.jobs.len()})
            );
        } else {
            println!(
                "{:<8} {:<32} last heard {:<14} {} job(s)  {}",
                tui::model::clean(&n.state),
                tui::model::clean(&n.name),
                tui::model::ago(n.last_seen_at, now),
                n.jobs.len(),
                tui::model::clean(n.agent.as_deref().unwrap_or("")),
            );
        }
    }
    Ok(())
}

fn read_token(file: Option<&std::path::Path>) -> anyhow::Result<Option<String>> {
    file.map(|f| {
        std::fs::read_to_string(f)
            .map(|t| t.trim().to_owned())
            .with_context(|| format!("viewer token file {}", f.display()))
    })
    .transpose()
}

fn node_add(c: &NodeAddCmd) -> anyhow::Result<()> {
    let (_, data) = c.place.resolve()?;
    let now = app::now();
    let url = c.url.as_deref().unwrap_or("URL");
    for node in &c.nodes {
        let code = enrol::add(&data, node, c.ttl, c.replace, now)?;
        println!("{node} {code}");
        eprintln!(
            "  on {node}: bananactl enroll --node {node} --collector {url} --collector-code {code}   (valid {}, single use)",
            alerts::age(i64::try_from(c.ttl).unwrap_or(i64::MAX))
        );
    }
    Ok(())
}

/// Lets the collector hold as many connections as the hard limit allows
/// (`limits.max_connections` is the real cap).
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let want = hard.min(1 << 20);
        if soft < want {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, want, hard);
        }
    }
}
