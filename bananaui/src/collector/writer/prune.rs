//! A reaper's `prune` report: the target node keeps the newest one, which
//! the rules `unpruned` and `prune-held` read.

use super::super::store::{PruneRec, Store, Writes};
use super::Refuse;
use proto::status::Event;

/// Stores `ev` (a verified `prune` event of `reaper`) on its target node.
pub(super) fn apply_prune(
    store: &Store,
    w: &mut Writes,
    reaper: &str,
    ev: &Event,
    now: i64,
) -> Result<(), Refuse> {
    let target = ev.target.as_deref().unwrap_or_default();
    let Some(mut t) = w
        .node(store, target)?
        .filter(|t| !t.reaper && !t.drill_host && !t.copier)
    else {
        return Err(Refuse(
            422,
            format!(
                "the prune report names '{target}', which is not a node enrolled at this tower"
            ),
        ));
    };
    // A report delivered late from the reaper's spool never hides a newer one.
    if t.last_prune.as_ref().is_some_and(|p| p.at > ev.at) {
        return Ok(());
    }
    let before = t.last_prune.as_ref().and_then(|p| p.pruned_at);
    t.last_prune = Some(PruneRec {
        pruned_at: if ev.error.is_none() {
            Some(ev.at)
        } else {
            before
        },
        reaper: reaper.to_owned(),
        at: ev.at,
        received_at: now,
        repository: ev.repository.clone(),
        forgotten: ev.forgotten.clone().unwrap_or_default(),
        freed_bytes: ev.freed_bytes.unwrap_or(0),
        held: ev.held.clone().unwrap_or_default(),
        error: ev.error.clone(),
    });
    w.put_node(&t)?;
    Ok(())
}
