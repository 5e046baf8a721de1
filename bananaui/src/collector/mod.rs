//! The collector (`bananaui serve`): an HTTP front end that owns its sockets
//! ([`http`]), the routes ([`routes`]: ingest, enrolment, the read-only API,
//! [`metrics`], the page), what an event may say and who may say it
//! ([`ingest`]), one writer thread that makes every acknowledged
//! record durable ([`writer`] over [`store`], the only sled user),
//! enrolment codes kept as hashes ([`enrol`]), the operator's socket for
//! `node add` and `alert ack` ([`admin`]), one serve per data directory
//! ([`lock`]), the witness of each node's
//! snapshot chain ([`witness`]), and the states every view shares ([`view`]).

pub mod admin;
pub mod enrol;
pub mod http;
pub mod ingest;
pub mod lock;
pub mod metrics;
pub mod routes;
pub mod store;
pub mod view;
pub mod witness;
pub mod writer;

use crate::cli::{read_token, ServeCmd};
use crate::config::Config;
use crate::exit::{self, Code};
use anyhow::Context;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// `bananaui serve`: resolves the config, binds, and runs until killed.
pub fn serve(c: &ServeCmd) -> anyhow::Result<()> {
    let (cfg, data) = c.place.resolve()?;
    let listen = match c.listen.or(cfg.listen) {
        Some(l) => l,
        None => crate::config::DEFAULT_LISTEN
            .parse()
            .context("default listen address")?,
    };
    let token = read_token(cfg.viewer_token_file.as_deref())?.filter(|t| !t.is_empty());
    if !listen.ip().is_loopback() && token.is_none() {
        return Err(exit::fail(
            Code::USAGE,
            format!("refusing to serve the fleet's status on {listen} without a viewer token: set viewer_token_file in the config (or listen on 127.0.0.1)"),
        ));
    }
    // Before binding: a second serve of the same config says who holds the
    // data, not that the port is taken.
    let _lock = lock::acquire(&data)?;
    raise_fd_limit();
    // A panic in any thread (writer, housekeeper, a notifier) is a bug that
    // would leave a subsystem dead behind a live port: exit so the service
    // manager restarts the collector (acknowledged statuses are on disk).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        tracing::error!("panic: {info}; exiting so the collector is restarted");
        std::process::exit(i32::from(exit::INTERNAL.get()));
    }));
    let listener =
        std::net::TcpListener::bind(listen).with_context(|| format!("listening on {listen}"))?;
    run(listener, cfg, data, token, std::future::pending())
}

/// Runs the collector on an already bound `listener` until `shutdown`
/// completes (tests and embedders bind port 0 and stop it). The caller holds
/// `data` ([`lock::acquire`]), as [`serve`] does.
pub fn run(
    listener: std::net::TcpListener,
    cfg: Config,
    data: PathBuf,
    viewer_token: Option<String>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = store::Store::open(&data)?;
    let writer = writer::Writer::start(store.clone(), cfg.history.clone())?;
    let stop = Arc::new(AtomicBool::new(false));
    crate::alerts::start(
        data.clone(),
        store.clone(),
        writer.clone(),
        cfg.clone(),
        stop.clone(),
    )?;
    let admin = admin::start(&data, store.clone(), cfg.alerts.interval.dur())?;
    let addr = listener.local_addr()?;
    let gauges = Arc::new(http::Gauges::default());
    let limits = cfg.limits.clone();
    let app = Arc::new(routes::App::new(
        store,
        writer,
        cfg,
        data.clone(),
        viewer_token,
        gauges.clone(),
    ));
    tracing::info!("listening on {addr} (data {})", data.display());
    let served = http::serve(listener, limits, app, gauges, shutdown);
    stop.store(true, Ordering::Relaxed);
    admin.stop();
    served
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
