//! The background poller: fetches the API every `refresh` (and at once when
//! asked), never on the UI thread, so the screen answers keys even when the
//! tower hangs.

use super::app::Update;
use crate::api::{Alerts, Client, Detail, Fleet, Nodes};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// What the UI asks of the poller.
#[derive(Debug)]
pub enum Cmd {
    /// Also poll this node's detail (or stop).
    Detail(Option<String>),
    /// Poll now.
    Refresh,
}

/// Starts the poller thread for `url`.
pub fn start(
    url: String,
    token: Option<String>,
    refresh: Duration,
    tx: Sender<Update>,
    rx: Receiver<Cmd>,
) -> anyhow::Result<()> {
    // At least 3 s: a loaded tower answering slowly is not "unreachable".
    let timeout = refresh.clamp(Duration::from_secs(3), Duration::from_secs(5));
    let client = Client::new(&url, token, timeout)?;
    std::thread::Builder::new()
        .name("bananaui-tui-poll".into())
        .spawn(move || {
            let mut detail: Option<String> = None;
            loop {
                let now = proto::unix_now();
                let all = (|| {
                    let fleet: Fleet = client.get("/api/v1/fleet")?;
                    let nodes: Nodes = client.get("/api/v1/nodes")?;
                    let alerts: Alerts = client.get("/api/v1/alerts")?;
                    Ok::<_, String>((fleet, nodes, alerts))
                })();
                let msg = match all {
                    Ok((fleet, nodes, alerts)) => Update::Data {
                        fleet,
                        nodes: nodes.nodes,
                        alerts,
                        at: now,
                    },
                    Err(e) => Update::Error(e, now),
                };
                if tx.send(msg).is_err() {
                    return;
                }
                if let Some(name) = &detail {
                    let msg = match client.get::<Detail>(&format!("/api/v1/nodes/{name}?runs=200"))
                    {
                        Ok(d) => Update::Detail(name.clone(), Box::new(d)),
                        Err(e) => Update::DetailError(name.clone(), e),
                    };
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
                match rx.recv_timeout(refresh) {
                    Ok(Cmd::Detail(d)) => detail = d,
                    Ok(Cmd::Refresh) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })?;
    Ok(())
}
