//! The housekeeper: every `alerts.interval` it applies queued node removals
//! and acknowledgements, evaluates the [`rules`] over the store, records each firing and resolved
//! transition through the writer, and hands one notification per transition
//! to the [`notify`] threads, only once the records are durable.

mod copy;
mod drill;
pub mod notify;
pub mod rules;

pub use rules::{evaluate, transitions, Condition};

use crate::collector::store::{AlertRec, Store};
use crate::collector::writer::{Op, Writer};
use crate::config::Config;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Starts the housekeeper and notifier threads.
pub fn start(
    data: std::path::PathBuf,
    store: Store,
    writer: Writer,
    cfg: Config,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    // One thread per notifier: a dead webhook delays only itself.
    let mut tx = Vec::new();
    for (i, n) in cfg.notifiers.iter().enumerate() {
        let (t, rx) = crossbeam_channel::bounded::<AlertRec>(10_000);
        let n = n.clone();
        std::thread::Builder::new()
            .name(format!("bananaui-notify-{i}"))
            .spawn(move || notify::notify_loop(rx, n))?;
        tx.push(t);
    }
    std::thread::Builder::new()
        .name("bananaui-housekeeper".into())
        .spawn(move || {
            let mut last_history_prune = 0i64;
            while !stop.load(Ordering::Relaxed) {
                let now = proto::unix_now();
                if let Err(e) = tick(&data, &store, &writer, &cfg, &tx, now) {
                    tracing::error!("housekeeper: {e:#}");
                }
                let hourly = now - last_history_prune >= 3600;
                if hourly {
                    last_history_prune = now;
                }
                writer.send_wait(Op::Prune {
                    nonce_before: now - 2 * proto::status::WINDOW_SECS,
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
    for (node, file) in crate::collector::enrol::removals(data) {
        let (ack, done) = crossbeam_channel::bounded(1);
        writer.send_wait(Op::Remove(node.clone(), ack));
        if done.recv().unwrap_or(false) {
            let _ = std::fs::remove_file(&file);
        }
    }
    for (node, rule, at, file) in crate::collector::enrol::acks(data) {
        let (ack, done) = crossbeam_channel::bounded(1);
        writer.send_wait(Op::Ack(node, rule, at, ack));
        if done.recv().unwrap_or(false) {
            let _ = std::fs::remove_file(&file);
        }
    }
    let holding = evaluate(
        &store.nodes()?,
        &store.jobs()?,
        &store.witnesses()?,
        cfg,
        now,
    );
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
