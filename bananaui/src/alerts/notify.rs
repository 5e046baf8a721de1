//! Notifiers: a webhook (POST with a timeout and retries with backoff) or a
//! command (the alert as JSON on stdin, killed after its timeout). Each runs
//! on its own thread: a dead webhook delays only itself.

use crate::collector::store::AlertRec;
use crate::config::Notifier;
use serde_json::json;
use std::io::Write;
use std::time::Duration;

/// The JSON a notifier receives.
pub fn message(a: &AlertRec, now: i64) -> serde_json::Value {
    json!({
        "source": "bananaui",
        "sent_at": now,
        "alert": {
            "rule": a.rule, "node": a.node, "job": a.job, "state": a.state,
            "since": a.since, "resolved_at": a.resolved_at, "message": a.message,
        },
    })
}

pub(super) fn notify_loop(rx: crossbeam_channel::Receiver<AlertRec>, n: Notifier) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("notifier runtime: {e}");
            return;
        }
    };
    let http = reqwest::Client::new();
    while let Ok(a) = rx.recv() {
        let body = message(&a, proto::unix_now()).to_string();
        match &n {
            Notifier::Webhook {
                url,
                timeout,
                retries,
            } => {
                let mut ok = false;
                for attempt in 0..=*retries {
                    if attempt > 0 {
                        std::thread::sleep(Duration::from_secs(1 << (attempt - 1).min(4)));
                    }
                    let send = async {
                        http.post(url)
                            .header("content-type", "application/json")
                            .timeout(timeout.dur())
                            .body(body.clone())
                            .send()
                            .await
                    };
                    match rt.block_on(send) {
                        Ok(r) if r.status().is_success() => {
                            ok = true;
                            break;
                        }
                        Ok(r) => tracing::warn!("webhook {url}: HTTP {}", r.status()),
                        Err(e) => tracing::warn!("webhook {url}: {}", e.without_url()),
                    }
                }
                if !ok {
                    tracing::error!(
                        "webhook {url}: gave up on a {} notification after {} attempts",
                        a.rule,
                        retries + 1
                    );
                }
            }
            Notifier::Command { command, timeout } => {
                if let Err(e) = run_command(command, &body, timeout.dur()) {
                    tracing::error!("notifier command {}: {e:#}", command[0]);
                }
            }
        }
    }
}

fn run_command(command: &[String], body: &str, timeout: Duration) -> anyhow::Result<()> {
    let mut child = std::process::Command::new(&command[0])
        .args(&command[1..])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(body.as_bytes());
    }
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                anyhow::bail!("exited with {status}");
            }
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("killed after {} s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
