//! The copy rule `copy-lag`: a successful backup of a node not copied to
//! one of its destinations within `copy_after` (one alert per destination;
//! with `copy_required`, a node no copy of has reached the tower). Lost
//! snapshots a copy reports are `source-lost` evidence, fired with the
//! witness's (`rules.rs`) until acknowledged.

use super::rules::Condition;
use crate::collector::store::{CopyRec, JobRec, NodeRec};
use crate::collector::view::{self, COPY};
use crate::config::Rules;
use proto::humanize::age;

/// `copy-lag` for node `n` and its jobs `js`.
pub(super) fn copy_rules(
    n: &NodeRec,
    js: &[&JobRec],
    r: &Rules,
    now: i64,
    out: &mut Vec<Condition>,
) {
    let newest = view::newest_backup(js.iter().copied());
    let cond = |message, evidence| Condition {
        rule: "copy-lag",
        node: n.name.clone(),
        job: Some(COPY.to_owned()),
        message,
        evidence,
    };
    for c in &n.copies {
        if let Some(m) = lagging(n, c, newest, r, now) {
            out.push(cond(m, Some(c.destination.clone())));
        }
    }
    // Required: a node that backs up and has no copy at all.
    let since = n.enrolled_at;
    if r.copy_required && n.copies.is_empty() && newest.is_some() && now - since > r.copy_after.i()
    {
        out.push(cond(
            format!(
                "{}: no copy of its backups has reached this tower (enrolled {} ago, expected within {})",
                n.name,
                age(now - since),
                age(r.copy_after.i())
            ),
            None,
        ));
    }
}

/// `web-01: backups since 1d 3h ago are not copied to DEST (its last copy
/// listed the source 2d 0h ago; expected within 1d 2h)`.
fn lagging(n: &NodeRec, c: &CopyRec, newest: Option<i64>, r: &Rules, now: i64) -> Option<String> {
    let lag = view::copy_lag(c, newest, now);
    if lag <= r.copy_after.i() {
        return None;
    }
    let last = match c.listed_at {
        Some(l) => format!("its last copy listed the source {} ago", age(now - l)),
        None => "no copy to it has succeeded".to_owned(),
    };
    let failed = match (&c.error, c.copied_at == Some(c.at)) {
        (Some(e), false) => format!("; the last attempt failed: {e}"),
        _ => String::new(),
    };
    Some(format!(
        "{}: backups since {} ago are not copied to {} ({last}; expected within {}){failed}",
        n.name,
        age(lag),
        c.destination,
        age(r.copy_after.i())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secs;
    use proto::status::RunResult;

    fn copy(listed: Option<i64>, error: Option<&str>) -> CopyRec {
        CopyRec {
            by: "c1".into(),
            destination: "s3://copy/web".into(),
            at: 500,
            received_at: 500,
            result: if error.is_some() {
                RunResult::Failed
            } else {
                RunResult::Success
            },
            error: error.map(str::to_owned),
            objects: 0,
            bytes: 0,
            snapshots: 0,
            newest: None,
            newest_at: None,
            source_lost: Vec::new(),
            copied_at: listed.map(|_| 400),
            listed_at: listed,
            uncopied_since: None,
        }
    }

    fn rules(n: &NodeRec, backed_up: Option<i64>, required: bool, now: i64) -> Vec<String> {
        let r = Rules {
            copy_after: Secs(100),
            copy_required: required,
            ..Rules::default()
        };
        let mut j = JobRec::new("n", "files", "fs", 0);
        j.last_success_at = backed_up;
        // A drill job's runs are no backups.
        let mut d = JobRec::new("n", "verify", "drill", 0);
        d.last_success_at = Some(now);
        let mut out = Vec::new();
        copy_rules(n, &[&j, &d], &r, now, &mut out);
        out.into_iter()
            .map(|c| format!("{} {}", c.rule, c.message))
            .collect()
    }

    #[test]
    fn copy_lag_fires_per_destination_and_only_once_copies_are_seen() {
        let node = |copies| NodeRec {
            name: "n".into(),
            copies,
            ..NodeRec::default()
        };
        // No copy ever: off, unless required (then from enrolment).
        assert!(rules(&node(vec![]), Some(50), false, 1000).is_empty());
        let r = rules(&node(vec![]), Some(50), true, 1000);
        assert!(r[0].contains("no copy of its backups"), "{r:?}");
        assert!(rules(&node(vec![]), None, true, 1000).is_empty());
        // Listed after the newest backup: nothing, however old.
        assert!(rules(&node(vec![copy(Some(60), None)]), Some(50), false, 10_000).is_empty());
        // A backup after the listing, younger than copy_after: nothing yet.
        let n = node(vec![copy(Some(60), Some("timeout"))]);
        assert!(rules(&n, Some(950), false, 1000).is_empty());
        let r = rules(&n, Some(950), false, 1051);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(
            r[0].starts_with("copy-lag n: backups since 1m 41s ago are not copied to s3://copy/web (its last copy listed the source 16m 31s ago; expected within 1m 40s)")
                && r[0].ends_with("; the last attempt failed: timeout"),
            "{r:?}"
        );
        // Never copied successfully.
        let r = rules(&node(vec![copy(None, None)]), Some(800), false, 1000);
        assert!(r[0].contains("no copy to it has succeeded"), "{r:?}");
    }
}
