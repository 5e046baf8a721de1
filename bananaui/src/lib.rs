//! `bananaui`, Banana's watch tower: `serve` collects signed node status into
//! sled, evaluates alert rules, and serves a read-only JSON API, Prometheus
//! metrics and a static page; `tui` shows the fleet in a terminal; `node`
//! manages the nodes it knows; `alert ack` acknowledges witnessed tampering. It holds no credentials and never connects to
//! a node (P3, P4, P7; `docs/collector.md`, `docs/api.md`).
//!
//! - [`api`]: the typed JSON answers, shared by the server and its readers;
//! - [`collector`]: the server (HTTP front end, routes, writer, store);
//! - [`alerts`]: the housekeeper's rules and notifiers;
//! - [`tui`]: the terminal UI, which imports only [`api`] from the tower.

pub mod alerts;
pub mod api;
pub mod cli;
pub mod collector;
pub mod complete;
pub mod config;
pub mod examples;
pub mod exit;
pub mod nodes;
pub mod tui;

pub use cli::Cli;
use cli::{AlertCmd, Command, NodeCmd};

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
        Command::Serve(c) => collector::serve(&c),
        Command::Node(NodeCmd::Add(c)) => nodes::add(&c),
        Command::Node(NodeCmd::Remove(c)) => nodes::remove(&c),
        Command::Node(NodeCmd::List(c)) => nodes::list(&c),
        Command::Alert(AlertCmd::Ack(c)) => nodes::ack(&c),
        Command::Tui(c) => tui::cmd(&c),
    };
    match r {
        Ok(()) => u8::from(exit::Code::OK),
        Err(e) => {
            eprintln!("bananaui: error: {}", format!("{e:#}").replace('\n', " "));
            exit::code_for(&e).get()
        }
    }
}
