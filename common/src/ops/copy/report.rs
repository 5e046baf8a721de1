//! What a copy says: a line for people, JSON for scripts, the tower's
//! `copy` event, and the exit status; one place for `bananactl copy` and
//! `bananadm copy`.

use super::CopyReport;
use crate::backend::Kind;
use crate::humanize::{bytes, count, printable};
use proto::status::{CopyFacts, Event, RunResult, MAX_LISTED};

/// How a copy ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything the destination lacked is there.
    Complete,
    /// Complete, and the source lost snapshots it had (exit 3).
    SourceLost,
    /// Some objects were damaged and not copied (exit 13).
    Damaged,
}

impl CopyReport {
    /// How it ended: damage first, then loss.
    pub fn outcome(&self) -> Outcome {
        if !self.damaged.is_empty() {
            Outcome::Damaged
        } else if !self.source_lost.is_empty() {
            Outcome::SourceLost
        } else {
            Outcome::Complete
        }
    }

    /// One line: what moved, or would.
    pub fn line(&self) -> String {
        let (objects, size) = self
            .planned
            .values()
            .fold((0, 0), |(o, b), (n, s)| (o + n, b + s));
        let head = if self.dry_run {
            format!(
                "{} → {}: would copy {} ({}), {}",
                self.source,
                self.destination,
                count(objects, "object", "objects"),
                bytes(size),
                count(
                    self.planned.get(&Kind::Snapshot).map_or(0, |p| p.0),
                    "snapshot",
                    "snapshots"
                ),
            )
        } else {
            format!(
                "{} → {}: copied {} ({}), {}",
                self.source,
                self.destination,
                count(self.objects, "object", "objects"),
                bytes(self.bytes),
                count(self.snapshots, "snapshot", "snapshots"),
            )
        };
        let mut parts = vec![printable(&head)];
        if !self.damaged.is_empty() {
            parts.push(format!(
                "{} NOT copied (damaged in the source)",
                count(self.damaged.len() as u64, "object", "objects")
            ));
        }
        if !self.source_lost.is_empty() {
            let ids: Vec<String> = self.source_lost.iter().take(5).map(|i| i.short()).collect();
            parts.push(format!(
                "SOURCE LOST {} ({}): the destination keeps them",
                count(self.source_lost.len() as u64, "snapshot", "snapshots"),
                ids.join(", ")
            ));
        }
        if !self.recopied.is_empty() {
            parts.push(format!(
                "{} the destination had lost copied again",
                count(self.recopied.len() as u64, "snapshot", "snapshots")
            ));
        }
        parts.join("; ")
    }

    /// The report as JSON (`message_type: copy`).
    pub fn to_json(&self) -> serde_json::Value {
        let planned: serde_json::Map<String, serde_json::Value> = self
            .planned
            .iter()
            .map(|(k, (n, b))| {
                let key = if *k == Kind::Config {
                    "config"
                } else {
                    k.dir()
                };
                (
                    key.to_owned(),
                    serde_json::json!({"objects": n, "bytes": b}),
                )
            })
            .collect();
        serde_json::json!({
            "message_type": "copy", "source": self.source, "destination": self.destination,
            "dry_run": self.dry_run, "listed_at": self.listed_at,
            "objects": self.objects, "bytes": self.bytes, "snapshots": self.snapshots,
            "already_present": self.present, "planned": planned,
            "damaged": self.damaged,
            "source_lost": self.source_lost.iter().map(|i| i.to_hex()).collect::<Vec<_>>(),
            "recopied": self.recopied.iter().map(|i| i.to_hex()).collect::<Vec<_>>(),
            "newest_snapshot": self.newest.map(|(i, _)| i.to_hex()),
            "newest_time": self.newest.map(|(_, t)| t),
            "source_requests": self.requests.0, "destination_requests": self.requests.1,
        })
    }

    /// Fills a `copy` event (its kind, run and target set by the sender).
    pub fn event(&self, mut e: Event) -> Event {
        e.plugin = "copy".into();
        e.ended_at = Some(crate::unix_now());
        e.storage_requests = Some(self.requests.0 + self.requests.1);
        e.result = Some(match self.outcome() {
            Outcome::Complete => RunResult::Success,
            Outcome::SourceLost => RunResult::Partial,
            Outcome::Damaged => RunResult::Failed,
        });
        if !self.source_lost.is_empty() {
            e.reason = Some("source-lost".into());
        }
        e.copy = Some(CopyFacts {
            destination: self.destination.clone(),
            objects: self.objects,
            bytes: self.bytes,
            snapshots: self.snapshots,
            listed_at: self.listed_at,
            newest: self.newest.map(|(i, _)| i.to_hex()),
            newest_at: self.newest.map(|(_, t)| t),
            source_lost: self
                .source_lost
                .iter()
                .take(MAX_LISTED)
                .map(|i| i.to_hex())
                .collect(),
        });
        match self.damaged.first() {
            Some(d) => e.with_error(d),
            None => e,
        }
    }
}

/// A failed copy's event: nothing copied is claimed.
pub fn failed_event(mut e: Event, destination: &str, error: &str) -> Event {
    e.plugin = "copy".into();
    e.ended_at = Some(crate::unix_now());
    e.result = Some(RunResult::Failed);
    e.copy = Some(CopyFacts {
        destination: destination.to_owned(),
        listed_at: e.started_at,
        ..CopyFacts::default()
    });
    e.with_error(error)
}
