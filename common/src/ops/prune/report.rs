//! How a prune is shown: one line per snapshot (what became of it and why),
//! a summary line, and the same as JSON. Shared by `bananactl forget` and
//! `bananadm prune`.

use super::{PruneReport, Verdict};
use crate::humanize::{bytes, count, printable};
use serde_json::{json, Value};

fn date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| t.to_string())
}

fn verdict(v: &Verdict) -> (&'static str, String) {
    match v {
        Verdict::Keep(why) => ("keep", why.join(",")),
        Verdict::Forget => ("forget", String::new()),
        Verdict::Hold(why) => ("hold", (*why).to_owned()),
    }
}

impl PruneReport {
    /// One line per snapshot: verdict, id, date, job, status, why.
    pub fn table(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| {
                let (what, why) = verdict(&l.verdict);
                format!(
                    "{what:<6} {}  {}  {:<12} {:<7} {why}",
                    l.id.short(),
                    date(l.date),
                    printable(&l.job),
                    l.status.as_str()
                )
            })
            .collect()
    }

    /// One line: what was (or would be) forgotten and freed, what is held.
    pub fn summary(&self) -> String {
        let forgets = self
            .lines
            .iter()
            .filter(|l| l.verdict == Verdict::Forget)
            .count() as u64;
        let mut s = if self.dry_run {
            format!(
                "dry run: would forget {}; nothing changed",
                count(forgets, "snapshot", "snapshots")
            )
        } else {
            format!(
                "forgot {}, deleted {} ({} freed)",
                count(self.forgotten.len() as u64, "snapshot", "snapshots"),
                count(self.deleted_packs, "pack", "packs"),
                bytes(self.freed_bytes)
            )
        };
        if self.pending > 0 {
            s.push_str(&format!(
                ", {} condemned, deleted after the grace period",
                count(self.pending, "pack", "packs")
            ));
        }
        if self.purged_versions > 0 {
            s.push_str(&format!(
                ", {} of deleted objects purged",
                count(self.purged_versions, "stored version", "stored versions")
            ));
        }
        if !self.held.is_empty() {
            s.push_str(&format!(", {} held back", self.held.len()));
        }
        s
    }

    /// The whole report as JSON (`--json` summary, the tower's `prune` event).
    pub fn to_json(&self) -> Value {
        let snapshots: Vec<Value> = self
            .lines
            .iter()
            .map(|l| {
                let (what, why) = verdict(&l.verdict);
                json!({"id": l.id.to_hex(), "job": l.job, "host": l.host, "date": l.date,
                       "claimed": l.claimed, "seq": l.seq, "status": l.status.as_str(),
                       "verdict": what, "why": why})
            })
            .collect();
        let held: Vec<Value> = self
            .held
            .iter()
            .map(|h| json!({"object": h.object, "reason": h.reason}))
            .collect();
        json!({
            "dry_run": self.dry_run,
            "snapshots": snapshots,
            "forgotten": self.forgotten.iter().map(|(id, seq)| json!({"id": id.to_hex(), "seq": seq})).collect::<Vec<_>>(),
            "held": held,
            "condemned": self.condemned, "uncondemned": self.uncondemned, "pending": self.pending,
            "deleted_packs": self.deleted_packs, "freed_bytes": self.freed_bytes,
            "index_written": self.index_written, "index_deleted": self.index_deleted,
            "requests": self.requests, "aborted_uploads": self.aborted_uploads,
            "purged_versions": self.purged_versions,
        })
    }
}
