//! Enrolments in the writer: a pending enrolment file is claimed (renamed)
//! before the group commits, removed once it is durable, put back if not.

use super::super::http::Reply;
use super::super::store::{NodeRec, Store, Writes};
use serde_json::json;
use std::path::PathBuf;

/// A pending enrolment file claimed (renamed) by the writer: removed once the
/// group is durable, put back if the commit failed.
pub(super) struct Claim {
    pub(super) node: String,
    pub(super) replace: bool,
    claimed: PathBuf,
    pending: PathBuf,
}

impl Claim {
    pub(super) fn finish(self, committed: bool) {
        if committed {
            let _ = std::fs::remove_file(&self.claimed);
        } else if !self.pending.exists() {
            let _ = std::fs::rename(&self.claimed, &self.pending);
        }
        if let Some(dir) = self.pending.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
    }
}

pub(super) fn apply_enrol(
    store: &Store,
    w: &mut Writes,
    rec: &NodeRec,
    replace: bool,
    pending: &std::path::Path,
    code_hash: &str,
) -> (Reply, Option<Claim>) {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!("enrolment of {}: {e}", rec.name);
        Reply::error(503, "the store could not be read; retry")
    };
    let existing = match w.node(store, &rec.name) {
        Ok(n) => n,
        Err(e) => return (unavailable(&e), None),
    };
    if existing.is_some() && !replace {
        return (
            Reply::error(
                409,
                &format!(
                    "node '{}' is already enrolled; to give it a new key run 'bananaui node add {} --replace' on the tower",
                    rec.name, rec.name
                ),
            ),
            None,
        );
    }
    // Claim the code before storing: whoever renamed the file used it.
    let claimed = pending.with_extension(format!(
        "claimed-{}",
        hex::encode(rand::random::<[u8; 8]>())
    ));
    match std::fs::rename(pending, &claimed) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (
                Reply::error(403, "this enrolment code was already used"),
                None,
            );
        }
        Err(e) => return (unavailable(&e), None),
    }
    let claim = Claim {
        node: rec.name.clone(),
        replace: existing.is_some(),
        claimed: claimed.clone(),
        pending: pending.to_owned(),
    };
    if !still_valid(&claimed, code_hash, replace, rec) {
        claim.finish(false);
        return (
            Reply::error(403, "this enrolment code is no longer valid"),
            None,
        );
    }
    let mut rec = rec.clone();
    if let Some(old) = existing {
        // A node given a new key keeps what it and others reported.
        (rec.last_seen_at, rec.agent, rec.last_prune) =
            (old.last_seen_at, old.agent, old.last_prune);
        (rec.drills, rec.last_check, rec.drilled_since) =
            (old.drills, old.last_check, old.drilled_since);
        rec.copies = old.copies;
    }
    if let Err(e) = w.put_node(&rec) {
        claim.finish(false);
        return (unavailable(&e), None);
    }
    (
        Reply::json(
            201,
            &json!({"node": rec.name, "enrolled_at": rec.enrolled_at}),
        ),
        Some(claim),
    )
}

/// Whether the claimed file still holds the code that was checked, for the
/// same kind of principal: a code issued again since voids the old one.
fn still_valid(claimed: &std::path::Path, code_hash: &str, replace: bool, rec: &NodeRec) -> bool {
    std::fs::read(claimed)
        .ok()
        .and_then(|b| serde_json::from_slice::<crate::collector::enrol::Pending>(&b).ok())
        .is_some_and(|p| {
            p.code_hash == code_hash
                && p.replace == replace
                && p.reaper == rec.reaper
                && p.drill_host == rec.drill_host
                && p.copier == rec.copier
        })
}
