//! A `copy` report (a node's repository copied to a second location): the
//! copied node keeps the newest report per destination, which `copy-lag`
//! and the COPY column read; snapshots a report found lost at the source
//! are `source-lost` evidence, kept until an operator acknowledges it.

use super::super::store::{CopyRec, NodeRec, Store, WitnessRec, Writes, MAX_LOST_KEPT};
use super::super::view;
use super::{counts_as_success, Refuse};
use crate::api::MAX_COPY_DESTINATIONS;
use proto::status::{CopyFacts, Event, RunResult};

/// Stores `ev` (a verified `copy` event sent by `sender`) on the node it
/// copied: the sender itself, or for a copier the node it names.
pub(super) fn apply_copy(
    store: &Store,
    w: &mut Writes,
    sender: &NodeRec,
    ev: &Event,
    now: i64,
) -> Result<(), Refuse> {
    let mut t = target(store, w, sender, ev)?;
    let Some(facts) = ev.copy.as_ref() else {
        return Err(Refuse(400, "a copy report carries its facts".into()));
    };
    let new = record(sender, ev, facts, now);
    let old = t
        .copies
        .iter()
        .position(|c| c.destination == new.destination)
        .map(|i| t.copies.remove(i));
    // Snapshots this destination's last report did not name already: a
    // copier that names the same lost snapshots on every run raises them once.
    let lost: Vec<&String> = facts
        .source_lost
        .iter()
        .filter(|s| old.as_ref().is_none_or(|o| !o.source_lost.contains(s)))
        .collect();
    let listed_before = old.as_ref().map(|o| o.listed_at);
    let mut rec = merge(old, new);
    if listed_before != Some(rec.listed_at) {
        rec.uncopied_since = uncopied_since(store, w, &t.name, rec.listed_at)?;
    }
    if t.copies.len() >= MAX_COPY_DESTINATIONS {
        // The destination reported least recently makes room.
        if let Some(i) = (0..t.copies.len()).min_by_key(|&i| t.copies[i].at) {
            t.copies.remove(i);
        }
    }
    if !lost.is_empty() {
        let piece = evidence(&t.name, &rec, &lost, ev, now);
        w.put_witness(store, &piece)?;
    }
    t.copies.push(rec);
    t.copies.sort_by(|a, b| a.destination.cmp(&b.destination));
    w.put_node(&t)?;
    Ok(())
}

/// The node a copy report is about: the sender, or the enrolled node (not a
/// principal) a copier names (422 otherwise).
fn target(store: &Store, w: &Writes, sender: &NodeRec, ev: &Event) -> Result<NodeRec, Refuse> {
    let target = if sender.copier {
        ev.target.as_deref().unwrap_or_default()
    } else {
        sender.name.as_str()
    };
    let found = if target.is_empty() {
        None
    } else {
        w.node(store, target)?
    };
    found
        .filter(|t| !t.reaper && !t.drill_host && !t.copier)
        .ok_or_else(|| {
            let msg = if target.is_empty() {
                "a copier's report names the node it copied ('target')".to_owned()
            } else {
                format!(
                    "the copy report names '{target}', which is not a node enrolled at this tower"
                )
            };
            Refuse(422, msg)
        })
}

/// The record of one report.
fn record(sender: &NodeRec, ev: &Event, facts: &CopyFacts, now: i64) -> CopyRec {
    let result = ev.result.unwrap_or(RunResult::Failed);
    let success = counts_as_success(result);
    CopyRec {
        by: sender.name.clone(),
        destination: facts.destination.clone(),
        at: ev.at,
        received_at: now,
        result,
        error: ev.error.clone(),
        objects: facts.objects,
        bytes: facts.bytes,
        snapshots: facts.snapshots,
        newest: facts.newest.clone(),
        newest_at: facts.newest_at,
        source_lost: facts
            .source_lost
            .iter()
            .take(MAX_LOST_KEPT)
            .cloned()
            .collect(),
        copied_at: success.then_some(ev.at),
        listed_at: success.then_some(facts.listed_at),
        uncopied_since: None,
    }
}

/// The report to keep: the newer of the two (a report delivered late never
/// hides a newer one), with the newest successful copy of either.
fn merge(old: Option<CopyRec>, new: CopyRec) -> CopyRec {
    let Some(old) = old else {
        return new;
    };
    let copied_at = old.copied_at.max(new.copied_at);
    let listed_at = old.listed_at.max(new.listed_at);
    let uncopied_since = old.uncopied_since;
    let keep = if old.at > new.at { old } else { new };
    CopyRec {
        copied_at,
        listed_at,
        uncopied_since,
        ..keep
    }
}

/// The oldest successful backup of `node` that ended after `listed` (any,
/// when no copy succeeded): from each backing-up job's kept runs and its
/// newest success.
fn uncopied_since(
    store: &Store,
    w: &Writes,
    node: &str,
    listed: Option<i64>,
) -> Result<Option<i64>, Refuse> {
    let after = |t: i64| listed.is_none_or(|l| t > l);
    let mut oldest: Option<i64> = None;
    let mut note = |t: i64| oldest = Some(oldest.map_or(t, |o| o.min(t)));
    for j in w.jobs_of(store, node)?.iter().filter(|j| view::backs_up(j)) {
        if let Some(t) = j.last_success_at.filter(|&t| after(t)) {
            note(t);
        }
        let runs = store.runs(node, &j.job, usize::MAX)?;
        for r in runs.iter().take_while(|r| after(r.ended_at)) {
            if counts_as_success(r.result) {
                note(r.ended_at);
            }
        }
    }
    Ok(oldest)
}

/// A successful backup of `n` that ended at `ended`: each destination whose
/// newest successful copy listed the source before it lags from it (unless
/// an older uncopied backup is known).
pub(super) fn backed_up(n: &mut NodeRec, ended: i64) {
    for c in &mut n.copies {
        if c.listed_at.is_none_or(|l| ended > l) {
            c.uncopied_since = Some(c.uncopied_since.map_or(ended, |u| u.min(ended)));
        }
    }
}

/// The `source-lost` evidence a report brings: the node, the destination,
/// the first few snapshots named.
fn evidence(node: &str, c: &CopyRec, lost: &[&String], ev: &Event, now: i64) -> WitnessRec {
    let by = if c.by == node {
        String::new()
    } else {
        format!(" by {}", c.by)
    };
    let mut first: Vec<String> = lost
        .iter()
        .take(3)
        .map(|s| s.chars().take(8).collect())
        .collect();
    if lost.len() > 3 {
        first.push("…".into());
    }
    WitnessRec {
        rule: "source-lost".into(),
        node: node.to_owned(),
        job: view::COPY.into(),
        repository: c.destination.clone(),
        message: format!(
            "{node}: the copy{by} to {} found {} snapshot(s) gone from the source that no forget removed: {} (the destination keeps them); find out what deleted them before trusting the source",
            c.destination,
            lost.len(),
            first.join(", ")
        ),
        since: now,
        id: Some(ev.id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at: i64, success: bool, listed: i64) -> CopyRec {
        CopyRec {
            by: "c1".into(),
            destination: "s3://b".into(),
            at,
            received_at: at,
            result: if success {
                RunResult::Success
            } else {
                RunResult::Failed
            },
            error: None,
            objects: 1,
            bytes: 2,
            snapshots: 3,
            newest: None,
            newest_at: None,
            source_lost: Vec::new(),
            copied_at: success.then_some(at),
            listed_at: success.then_some(listed),
            uncopied_since: None,
        }
    }

    #[test]
    fn the_newest_report_wins_and_keeps_the_newest_success() {
        let a = merge(None, rec(100, true, 90));
        assert_eq!((a.copied_at, a.listed_at), (Some(100), Some(90)));
        // A later failure: shown, the success kept.
        let b = merge(Some(a), rec(200, false, 0));
        assert_eq!(
            (b.at, b.result, b.copied_at, b.listed_at),
            (200, RunResult::Failed, Some(100), Some(90))
        );
        // A late success older than the failure: still the failure shown,
        // but its listing counts.
        let c = merge(Some(b), rec(150, true, 140));
        assert_eq!(
            (c.at, c.copied_at, c.listed_at),
            (200, Some(150), Some(140))
        );
    }

    #[test]
    fn a_backup_after_the_listing_starts_the_lag_and_the_oldest_stays() {
        let mut n = NodeRec {
            copies: vec![rec(100, true, 90)],
            ..NodeRec::default()
        };
        backed_up(&mut n, 80);
        assert_eq!(n.copies[0].uncopied_since, None, "copied already");
        backed_up(&mut n, 120);
        backed_up(&mut n, 150);
        assert_eq!(n.copies[0].uncopied_since, Some(120));
        assert_eq!(view::copy_lag(&n.copies[0], Some(150), 200), 80);
        // Listed after the newest backup: no lag, whatever was noted.
        n.copies[0].listed_at = Some(150);
        assert_eq!(view::copy_lag(&n.copies[0], Some(150), 200), 0);
        // Never copied: from the newest backup when nothing older is known.
        let never = rec(100, false, 0);
        assert_eq!(view::copy_lag(&never, Some(150), 200), 50);
        assert_eq!(view::copy_lag(&never, None, 200), 0);
    }
}
