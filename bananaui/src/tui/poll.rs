//! The background poller: fetches the API every `refresh` (and at once when
//! asked), never on the UI thread, so the screen answers keys even when the
//! tower hangs.

use super::app::Update;
use super::model::{Alerts, Detail, Fleet, Nodes};
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // At least 3 s: a loaded tower answering slowly is not "unreachable".
    let timeout = refresh.clamp(Duration::from_secs(3), Duration::from_secs(5));
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()?;
    std::thread::Builder::new()
        .name("bananaui-tui-poll".into())
        .spawn(move || {
            let base = url.trim_end_matches('/').to_owned();
            let get = |path: String| {
                let mut req = http.get(format!("{base}{path}"));
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                rt.block_on(async {
                    let r = req.send().await.map_err(|e| e.without_url().to_string())?;
                    let status = r.status();
                    let text = r.text().await.map_err(|e| e.without_url().to_string())?;
                    if status.as_u16() == 401 {
                        return Err("401: a viewer token is needed (--token-file)".to_owned());
                    }
                    if !status.is_success() {
                        return Err(format!("HTTP {status} for {path}"));
                    }
                    Ok(text)
                })
            };
            let mut detail: Option<String> = None;
            loop {
                let now = crate::app::now();
                let all = (|| {
                    let fleet: Fleet = serde_json::from_str(&get("/api/v1/fleet".into())?)
                        .map_err(|e| format!("fleet: {e}"))?;
                    let nodes: Nodes = serde_json::from_str(&get("/api/v1/nodes".into())?)
                        .map_err(|e| format!("nodes: {e}"))?;
                    let alerts: Alerts = serde_json::from_str(&get("/api/v1/alerts".into())?)
                        .map_err(|e| format!("alerts: {e}"))?;
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
                    let d = get(format!("/api/v1/nodes/{name}?runs=200")).and_then(|t| {
                        serde_json::from_str::<Detail>(&t).map_err(|e| format!("detail: {e}"))
                    });
                    let msg = match d {
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
