//! The operator's channel to the running collector: `DATA/admin.sock`, a
//! Unix socket that only the tower's user can open (0600). `bananaui node
//! add` and `bananaui alert ack` send one JSON request line and read one
//! answer line, so they act on the collector that holds this data directory
//! (it checks its store: a node already enrolled, evidence to acknowledge),
//! or refuse when none runs. A code is never written where no collector
//! will look for it.
//!
//! Not an HTTP endpoint: behind the documented TLS reverse proxy every
//! request reaches the collector from loopback, so "loopback only" would let
//! the network in; the socket's file permissions are the same authority
//! `node remove` (a file in `DATA/pending/`) already relies on.

use super::enrol::Principal;
use super::store::{Store, WITNESS_RULES};
use crate::exit::{self, Code};
use anyhow::Context;
use proto::humanize::age;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Largest request line.
const MAX_REQUEST: u64 = 64 * 1024;
/// A client that sends nothing, or reads nothing, is dropped after this.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The socket of a data directory.
pub fn socket_path(data: &Path) -> PathBuf {
    data.join("admin.sock")
}

/// What an operator's command asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    /// Issue an enrolment code (`bananaui node add`).
    Add {
        /// Node name.
        node: String,
        /// Validity, seconds.
        ttl_secs: u64,
        /// May replace the key of an enrolled node.
        replace: bool,
        /// Enrols a reaper (`prune` events only).
        #[serde(default)]
        reaper: bool,
        /// Enrols a drill host (`drill` events only).
        #[serde(default)]
        drill: bool,
        /// Enrols a copier (`copy` events only).
        #[serde(default)]
        copier: bool,
    },
    /// Acknowledge a witness rule's evidence (`bananaui alert ack`).
    Ack {
        /// Node name.
        node: String,
        /// `rollback`, `repository-changed`, `witness-lost` or `source-lost`.
        rule: String,
    },
}

/// The collector's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "lowercase", deny_unknown_fields)]
pub enum Answer {
    /// The code (shown once; only its hash is kept).
    Code {
        /// The code.
        code: String,
    },
    /// The acknowledgement is queued; the housekeeper applies it.
    Acked {
        /// Pieces of evidence it covers now.
        pieces: u64,
        /// The housekeeper's interval, seconds.
        within_secs: u64,
    },
    /// Refused as asked (exit 2): one line naming the object and the fix.
    Refused {
        /// Why.
        message: String,
    },
    /// The collector could not do it (exit 1).
    Error {
        /// Why.
        message: String,
    },
}

/// The running socket server.
pub struct Admin {
    path: PathBuf,
    stop: Arc<AtomicBool>,
}

impl Admin {
    /// Stops the server and removes its socket.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept; the thread sees the flag and ends.
        let _ = UnixStream::connect(&self.path);
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Serves `DATA/admin.sock` on its own thread. The caller holds the data
/// directory's lock, so a socket left there is stale.
pub fn start(data: &Path, store: Store, interval: Duration) -> anyhow::Result<Admin> {
    let path = socket_path(data);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("stale admin socket {}", path.display())),
    }
    let listener = UnixListener::bind(&path).with_context(|| {
        format!(
            "admin socket {} (a Unix socket path has at most 107 bytes: choose a shorter --data)",
            path.display()
        )
    })?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("admin socket {}", path.display()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let data = data.to_owned();
    std::thread::Builder::new()
        .name("bananaui-admin".into())
        .spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                match conn {
                    Ok(c) => session(c, &data, &store, interval),
                    Err(e) => {
                        tracing::warn!("admin socket: {e}");
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            }
        })?;
    Ok(Admin { path, stop })
}

/// One request, one answer.
fn session(conn: UnixStream, data: &Path, store: &Store, interval: Duration) {
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
    let _ = conn.set_write_timeout(Some(IO_TIMEOUT));
    let mut line = String::new();
    let read = BufReader::new((&conn).take(MAX_REQUEST)).read_line(&mut line);
    let answer = match read.map_err(|e| e.to_string()).and_then(|_| {
        serde_json::from_str::<Request>(&line).map_err(|e| format!("not an admin request: {e}"))
    }) {
        Ok(req) => answer(&req, data, store, interval),
        Err(e) => Answer::Error { message: e },
    };
    let mut out = serde_json::to_vec(&answer).unwrap_or_default();
    out.push(b'\n');
    let _ = (&conn).write_all(&out);
}

fn answer(req: &Request, data: &Path, store: &Store, interval: Duration) -> Answer {
    let r = match req {
        Request::Add {
            node,
            ttl_secs,
            replace,
            reaper,
            drill,
            copier,
        } => match principal(*reaper, *drill, *copier) {
            Some(p) => add(node, *ttl_secs, (*replace, p), data, store),
            None => refused(
                "a principal is one of a reaper, a drill host or a copier: give one of --reaper, --drill, --copier"
                    .to_owned(),
            ),
        },
        Request::Ack { node, rule } => ack(node, rule, data, store, interval),
    };
    r.unwrap_or_else(|e| {
        tracing::error!("admin request {req:?}: {e:#}");
        Answer::Error {
            message: format!("{e:#}"),
        }
    })
}

/// What `node add` enrols: a node, or one kind of principal (`None` when
/// more than one is asked for).
fn principal(reaper: bool, drill: bool, copier: bool) -> Option<Principal> {
    match (reaper, drill, copier) {
        (false, false, false) => Some(Principal::Node),
        (true, false, false) => Some(Principal::Reaper),
        (false, true, false) => Some(Principal::DrillHost),
        (false, false, true) => Some(Principal::Copier),
        _ => None,
    }
}

fn refused(message: String) -> anyhow::Result<Answer> {
    tracing::info!("admin: refused: {}", proto::humanize::printable(&message));
    Ok(Answer::Refused { message })
}

fn add(
    node: &str,
    ttl: u64,
    (replace, principal): (bool, Principal),
    data: &Path,
    store: &Store,
) -> anyhow::Result<Answer> {
    if let Err(e) = proto::names::valid_node_name(node) {
        return refused(format!("{e}"));
    }
    if store.node(node)?.is_some() && !replace {
        return refused(format!(
            "node '{node}' is already enrolled at this tower: give --replace to issue a code that replaces its key (a node that lost it), or remove it first with 'bananaui node remove {node}'"
        ));
    }
    let code = super::enrol::add(data, node, ttl, replace, principal, proto::unix_now())?;
    tracing::info!(
        "enrolment code issued for {} {node} (valid {}{})",
        principal.name(),
        age(i64::try_from(ttl).unwrap_or(i64::MAX)),
        if replace { ", may replace its key" } else { "" }
    );
    Ok(Answer::Code { code })
}

fn ack(
    node: &str,
    rule: &str,
    data: &Path,
    store: &Store,
    interval: Duration,
) -> anyhow::Result<Answer> {
    if let Err(e) = proto::names::valid_node_name(node) {
        return refused(format!("{e}"));
    }
    if !WITNESS_RULES.contains(&rule) {
        return refused(format!(
            "rule '{rule}' cannot be acknowledged: only {} stay until acknowledged",
            WITNESS_RULES.join(", ")
        ));
    }
    let pieces = store
        .witnesses()?
        .iter()
        .filter(|w| w.node == node && w.rule == rule)
        .count() as u64;
    if pieces == 0 {
        return refused(format!(
            "node '{node}' has no {rule} evidence to acknowledge: nothing to do (the firing alerts are in 'bananaui tui', key a)"
        ));
    }
    super::enrol::request_ack(data, node, rule, proto::unix_now())?;
    tracing::info!("alert ack: {rule} of node {node} acknowledged ({pieces} piece(s) of evidence)");
    Ok(Answer::Acked {
        pieces,
        within_secs: interval.as_secs(),
    })
}

/// Sends `req` to the collector serving `data` (the CLI's side).
pub fn ask(data: &Path, req: &Request) -> anyhow::Result<Answer> {
    let path = socket_path(data);
    let conn = UnixStream::connect(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => exit::fail(
            Code::USAGE,
            format!(
                "admin socket {}: permission denied: run this as the tower's user (e.g. sudo -u banana-tower)",
                path.display()
            ),
        ),
        _ => exit::fail(
            exit::UNREACHABLE,
            format!(
                "no bananaui serve is running on tower data {} ({}: {e}): start it, or give the --data (or --config) it runs with",
                data.display(),
                path.display()
            ),
        ),
    })?;
    // Bounds a hung collector, never a slow one.
    conn.set_read_timeout(Some(Duration::from_secs(120)))?;
    conn.set_write_timeout(Some(Duration::from_secs(120)))?;
    let mut line = serde_json::to_vec(req)?;
    line.push(b'\n');
    (&conn)
        .write_all(&line)
        .with_context(|| format!("admin socket {}", path.display()))?;
    let mut answer = String::new();
    BufReader::new((&conn).take(MAX_REQUEST))
        .read_line(&mut answer)
        .with_context(|| format!("admin socket {}", path.display()))?;
    serde_json::from_str(&answer).with_context(|| {
        format!(
            "admin socket {}: not an answer of this bananaui version ({}): restart serve after an upgrade",
            path.display(),
            proto::humanize::printable(answer.trim())
        )
    })
}

/// An answer that is not what was asked for, as an error with its exit code.
pub fn failure(a: Answer) -> anyhow::Error {
    match a {
        Answer::Refused { message } => exit::fail(Code::USAGE, message),
        Answer::Error { message } => anyhow::anyhow!(message),
        other => anyhow::anyhow!("unexpected answer from the collector: {other:?}"),
    }
}
