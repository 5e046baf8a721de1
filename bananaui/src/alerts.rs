//! The housekeeper: every `alerts.interval` it evaluates the rules (overdue,
//! failed, silent, shrunk, never) over the store, records each firing and
//! resolved transition, and hands one notification per transition (plus an
//! optional repeat) to the notifier thread. Notifiers (webhook, command) run
//! on their own thread with timeouts: a dead webhook never blocks ingest.

use crate::config::{Config, Notifier};
use crate::ingest::{Op, Writer};
use crate::store::{AlertRec, AlertState, JobRec, NodeRec, Store};
use crate::view;
use common::status::RunResult;
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

/// A condition that holds now: rule, node, job, message.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Rule name.
    pub rule: &'static str,
    /// Node.
    pub node: String,
    /// Job, for job rules.
    pub job: Option<String>,
    /// Human text.
    pub message: String,
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Every condition that holds at `now`.
pub fn evaluate(nodes: &[NodeRec], jobs: &[JobRec], cfg: &Config, now: i64) -> Vec<Condition> {
    let r = &cfg.alerts;
    let mut out = Vec::new();
    let mut by_node: HashMap<&str, Vec<&JobRec>> = HashMap::new();
    for j in jobs {
        by_node.entry(j.node.as_str()).or_default().push(j);
    }
    for n in nodes {
        let js = by_node
            .get(n.name.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if view::silent(n, r, now) {
            out.push(Condition {
                rule: "silent",
                node: n.name.clone(),
                job: None,
                message: match n.last_seen_at {
                    Some(t) => format!("nothing heard from {} for {}", n.name, age(now - t)),
                    None => format!(
                        "nothing ever heard from {} (enrolled {} ago)",
                        n.name,
                        age(now - n.enrolled_at)
                    ),
                },
            });
        }
        if js.iter().all(|j| j.last_success_at.is_none()) && now - n.enrolled_at > r.never_after.i()
        {
            out.push(Condition {
                rule: "never",
                node: n.name.clone(),
                job: None,
                message: format!(
                    "{} enrolled {} ago and never backed up successfully",
                    n.name,
                    age(now - n.enrolled_at)
                ),
            });
        }
        for j in js {
            let job = Some(j.job.clone());
            if view::overdue(j, r, now) {
                let since = match j.last_success_at {
                    Some(t) => format!("last success {} ago", age(now - t)),
                    None => "no success yet".to_owned(),
                };
                out.push(Condition {
                    rule: "overdue",
                    node: n.name.clone(),
                    job: job.clone(),
                    message: format!(
                        "{}/{}: {since}, expected every {}",
                        n.name,
                        j.job,
                        age(i64::try_from(j.every_secs.unwrap_or(0)).unwrap_or(i64::MAX))
                    ),
                });
            }
            if let Some(last) = j
                .last_run
                .as_ref()
                .filter(|l| l.result != RunResult::Success)
            {
                let what = if last.result == RunResult::Partial {
                    "partial"
                } else {
                    "failed"
                };
                let err = last
                    .error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                out.push(Condition {
                    rule: "failed",
                    node: n.name.clone(),
                    job: job.clone(),
                    message: format!("{}/{}: last run {what}{err}", n.name, j.job),
                });
            }
            let t = &j.recent_totals;
            let prev = t.len().saturating_sub(1);
            let k = r.shrink_runs.min(prev);
            let last_ok = j
                .last_run
                .as_ref()
                .is_some_and(|l| l.result == RunResult::Success);
            if last_ok && k >= 3 {
                let mut window: Vec<u64> = t[prev - k..prev].to_vec();
                let m = median(&mut window);
                let last = t[prev];
                if m >= r.shrink_min_bytes && (last as f64) < r.shrink_ratio * m as f64 {
                    out.push(Condition {
                        rule: "shrunk",
                        node: n.name.clone(),
                        job: job.clone(),
                        message: format!(
                            "{}/{}: last snapshot {last} bytes, median of the {k} before {m} bytes",
                            n.name, j.job
                        ),
                    });
                }
            }
        }
    }
    out
}

/// "3h 12m" style.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        3600..=86399 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// Compares what holds now with the stored alerts: new firing alerts,
/// resolutions, and firing alerts due a repeat. Returns the records to store
/// and the notifications to send.
pub fn transitions(
    stored: &[AlertRec],
    now_holding: Vec<Condition>,
    repeat: Option<i64>,
    now: i64,
) -> (Vec<AlertRec>, Vec<AlertRec>) {
    let mut by_key: HashMap<Vec<u8>, &AlertRec> = stored.iter().map(|a| (a.key(), a)).collect();
    let mut writes = Vec::new();
    let mut notify = Vec::new();
    for c in now_holding {
        let fresh = AlertRec {
            rule: c.rule.to_owned(),
            node: c.node,
            job: c.job,
            state: AlertState::Firing,
            since: now,
            resolved_at: None,
            message: c.message,
            notified_at: Some(now),
        };
        match by_key.remove(&fresh.key()) {
            Some(old) if old.state == AlertState::Firing => {
                // The message keeps its wording from when it fired (ages in
                // it would otherwise rewrite every firing alert every tick).
                let due = repeat.is_some_and(|r| old.notified_at.is_none_or(|t| now - t >= r));
                if due {
                    let mut a = old.clone();
                    a.notified_at = Some(now);
                    notify.push(a.clone());
                    writes.push(a);
                }
            }
            _ => {
                notify.push(fresh.clone());
                writes.push(fresh);
            }
        }
    }
    for old in by_key.into_values() {
        if old.state == AlertState::Firing {
            let mut a = old.clone();
            a.state = AlertState::Resolved;
            a.resolved_at = Some(now);
            a.notified_at = Some(now);
            notify.push(a.clone());
            writes.push(a);
        }
    }
    (writes, notify)
}

/// Starts the housekeeper and notifier threads.
pub fn start(
    data: std::path::PathBuf,
    store: Store,
    writer: Writer,
    cfg: Config,
) -> anyhow::Result<()> {
    // One thread per notifier: a dead webhook delays only itself.
    let mut tx = Vec::new();
    for (i, n) in cfg.notifiers.iter().enumerate() {
        let (t, rx) = crossbeam_channel::bounded::<AlertRec>(10_000);
        let n = n.clone();
        std::thread::Builder::new()
            .name(format!("bananaui-notify-{i}"))
            .spawn(move || notify_loop(rx, n))?;
        tx.push(t);
    }
    std::thread::Builder::new()
        .name("bananaui-housekeeper".into())
        .spawn(move || {
            let mut last_history_prune = 0i64;
            loop {
                let now = crate::app::now();
                if let Err(e) = tick(&data, &store, &writer, &cfg, &tx, now) {
                    tracing::error!("housekeeper: {e:#}");
                }
                let hourly = now - last_history_prune >= 3600;
                if hourly {
                    last_history_prune = now;
                }
                writer.send_wait(Op::Prune {
                    nonce_before: now - 2 * common::status::WINDOW_SECS,
                    history_before: (hourly && cfg.history.days > 0).then(|| {
                        now - i64::try_from(cfg.history.days.saturating_mul(86400))
                            .unwrap_or(i64::MAX)
                    }),
                    resolved_before: now - 7 * 86400,
                });
                std::thread::sleep(cfg.alerts.interval.dur());
            }
        })?;
    Ok(())
}

fn tick(
    data: &std::path::Path,
    store: &Store,
    writer: &Writer,
    cfg: &Config,
    tx: &[crossbeam_channel::Sender<AlertRec>],
    now: i64,
) -> anyhow::Result<()> {
    for (node, file) in crate::enrol::removals(data) {
        let (ack, done) = crossbeam_channel::bounded(1);
        writer.send_wait(Op::Remove(node.clone(), ack));
        if done.recv().unwrap_or(false) {
            let _ = std::fs::remove_file(&file);
        }
    }
    let holding = evaluate(&store.nodes()?, &store.jobs()?, cfg, now);
    let stored = store.alerts()?;
    let (writes, notify) = transitions(&stored, holding, cfg.alerts.repeat.map(|r| r.i()), now);
    if writes.is_empty() {
        return Ok(());
    }
    let (ack, done) = crossbeam_channel::bounded(1);
    writer.send_wait(Op::Alerts(writes, ack));
    // Notify only what is durable: the next tick must see these records, or
    // it would notify twice; if they were not stored, the next tick retries.
    if !done.recv().unwrap_or(false) {
        anyhow::bail!("alert changes were not stored; retrying next tick");
    }
    for a in notify {
        tracing::info!(
            "alert {} {:?} {}{}: {}",
            a.rule,
            a.state,
            a.node,
            a.job
                .as_deref()
                .map(|j| format!("/{j}"))
                .unwrap_or_default(),
            a.message.escape_debug()
        );
        for t in tx {
            if t.try_send(a.clone()).is_err() {
                tracing::warn!("notification queue full: a notification was dropped");
            }
        }
    }
    Ok(())
}

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

fn notify_loop(rx: crossbeam_channel::Receiver<AlertRec>, n: Notifier) {
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
        let body = message(&a, crate::app::now()).to_string();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(rule: &'static str) -> Condition {
        Condition {
            rule,
            node: "n".into(),
            job: Some("j".into()),
            message: "m".into(),
        }
    }

    #[test]
    fn one_notification_per_transition_and_repeats_when_asked() {
        let (w, n) = transitions(&[], vec![cond("failed")], None, 100);
        assert_eq!((w.len(), n.len()), (1, 1));
        assert_eq!(n[0].state, AlertState::Firing);
        // Still holding: nothing new.
        let (w2, n2) = transitions(&w, vec![cond("failed")], None, 200);
        assert!(w2.is_empty() && n2.is_empty());
        // With a repeat of 50 s it is sent again.
        let (_, n3) = transitions(&w, vec![cond("failed")], Some(50), 200);
        assert_eq!(n3.len(), 1);
        // Gone: one resolve, then silence.
        let (w4, n4) = transitions(&w, vec![], None, 300);
        assert_eq!(n4.len(), 1);
        assert_eq!(n4[0].state, AlertState::Resolved);
        assert_eq!(n4[0].since, 100);
        let (w5, n5) = transitions(&w4, vec![], None, 400);
        assert!(w5.is_empty() && n5.is_empty());
        // Fires again later: a new firing.
        let (_, n6) = transitions(&w4, vec![cond("failed")], None, 500);
        assert_eq!(n6[0].state, AlertState::Firing);
        assert_eq!(n6[0].since, 500);
    }

    #[test]
    fn shrunk_needs_a_collapse_against_the_median() {
        let cfg = Config::default();
        let node = NodeRec {
            name: "n".into(),
            public_key: String::new(),
            enrolled_at: 0,
            last_seen_at: Some(100),
            agent: None,
        };
        let mut job = JobRec {
            node: "n".into(),
            job: "j".into(),
            plugin: "fs".into(),
            every_secs: None,
            first_seen_at: 0,
            last_started_at: None,
            running: None,
            last_event_at: 100,
            last_run: Some(crate::store::RunRec {
                agent: String::new(),
                ..crate::store::RunRec::sample("j", "r", 0, 100, RunResult::Success)
            }),
            last_success_at: Some(100),
            recent_totals: vec![10 << 20, 11 << 20, 9 << 20, 6 << 20],
            runs_kept: 4,
        };
        let rules = |c: &[Condition]| c.iter().map(|c| c.rule).collect::<Vec<_>>();
        assert!(rules(&evaluate(
            std::slice::from_ref(&node),
            std::slice::from_ref(&job),
            &cfg,
            200
        ))
        .is_empty());
        job.recent_totals.push(2 << 20);
        assert_eq!(rules(&evaluate(&[node], &[job], &cfg, 200)), vec!["shrunk"]);
    }
}
