//! What a status event may say, and who may say it: the checks an event
//! passes before it reaches the writer (bounded, printable fields; each
//! kind's facts), and the principals (P4: a reaper sends only prune
//! reports, a drill host only drills, a copier only copies; a node
//! everything else, and drills and copies of itself only).

use super::store::NodeRec;
use proto::status::{Event, EventKind, MAX_LISTED};

/// Longest copy destination, in bytes.
pub const MAX_DESTINATION: usize = 512;

/// Why an event is refused: HTTP status and one line.
pub type Refusal = (u16, String);

fn bad(msg: impl Into<String>) -> Refusal {
    (400, msg.into())
}

/// Printable (no control character) and at most `max` characters.
fn name_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// 1-`max` hex digits (a snapshot or repository id).
fn hex_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Fields a node names things with: printable, bounded; each kind's facts.
pub fn check_event(e: &Event, now: i64) -> Result<(), Refusal> {
    let latest = now + proto::status::WINDOW_SECS;
    let ended = e.ended_at.unwrap_or(e.at);
    let times_ok = (0..=latest).contains(&e.at)
        && (0..=latest).contains(&e.started_at)
        && (e.started_at..=latest).contains(&ended);
    if !times_ok {
        return Err(bad(
            "event times must be in the past (node clock) and end after they start",
        ));
    }
    let id_ok = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    // A subset check or a copy names no job; a drill or a copy may name no plugin.
    let drill = e.kind == EventKind::Drill;
    let copy = e.kind == EventKind::Copy;
    let check = drill && e.drill.as_ref().is_some_and(|d| d.mode == "check");
    let job_ok = name_ok(&e.job, 128) || ((check || copy) && e.job.is_empty());
    if !job_ok {
        return Err(bad("job must be 1-128 printable characters"));
    }
    let plugin_ok = name_ok(&e.plugin, 64) || ((drill || copy) && e.plugin.is_empty());
    if !plugin_ok {
        return Err(bad("plugin must be 1-64 printable characters"));
    }
    if !id_ok(&e.id) || !id_ok(&e.run) {
        return Err(bad("id and run must be 1-64 letters, digits or '-'"));
    }
    if e.agent.chars().count() > 128 || e.snapshot.as_ref().is_some_and(|s| s.len() > 128) {
        return Err(bad("agent and snapshot are at most 128 characters"));
    }
    match e.kind {
        EventKind::Prune => check_prune(e).map_err(bad),
        EventKind::Drill => check_drill(e).map_err(bad),
        EventKind::Copy => check_copy(e, latest),
        _ => Ok(()),
    }
}

/// A prune report: a valid target, bounded lists.
fn check_prune(e: &Event) -> Result<(), String> {
    let target_ok = e
        .target
        .as_deref()
        .is_some_and(|t| proto::names::valid_node_name(t).is_ok());
    if !target_ok {
        return Err("a prune report names a valid target node".into());
    }
    let held = e.held.as_deref().unwrap_or_default();
    let lists_ok = e.forgotten.as_ref().map_or(0, Vec::len) <= MAX_LISTED
        && held.len() <= MAX_LISTED
        && held.iter().all(|h| name_ok(h, 500));
    if !lists_ok {
        return Err(format!("a prune report lists at most {MAX_LISTED} seqs and held items (one printable line each)"));
    }
    Ok(())
}

/// A drill report: its facts and outcome, a job for a drill and none for a
/// subset check, a valid target if it names one.
fn check_drill(e: &Event) -> Result<(), String> {
    let Some(f) = &e.drill else {
        return Err("a drill report carries what it measured ('drill')".into());
    };
    match (f.mode.as_str(), e.job.is_empty()) {
        ("drill", false) | ("check", true) => {}
        _ => {
            return Err(
                "a drill report's mode is 'drill' (naming its job) or 'check' (naming none)".into(),
            )
        }
    }
    if e.result.is_none() {
        return Err("a drill report carries its result (success or failed)".into());
    }
    let sample_ok = f
        .sample
        .as_deref()
        .is_none_or(|s| s.chars().count() <= 64 && !s.chars().any(char::is_control));
    if !sample_ok {
        return Err("a drill report's sample is at most 64 printable characters".into());
    }
    target_ok(e, "drill")
}

/// A target, when named, is a valid node name.
fn target_ok(e: &Event, what: &str) -> Result<(), String> {
    let ok = e
        .target
        .as_deref()
        .is_none_or(|t| proto::names::valid_node_name(t).is_ok());
    if !ok {
        return Err(format!("a {what} report's target is a valid node name"));
    }
    Ok(())
}

/// A copy report: its facts and result, a destination of 1-512 bytes
/// without control characters (422: it is shown on terminals and pages and
/// kept in the store's keys), a listing time in the past, snapshot ids in
/// hex, at most [`MAX_LISTED`] lost ones.
fn check_copy(e: &Event, latest: i64) -> Result<(), Refusal> {
    let Some(f) = &e.copy else {
        return Err(bad("a copy report carries what it copied ('copy')"));
    };
    if e.result.is_none() {
        return Err(bad(
            "a copy report carries its result (success, partial or failed)",
        ));
    }
    let d = &f.destination;
    if d.is_empty() || d.len() > MAX_DESTINATION || d.chars().any(char::is_control) {
        return Err((
            422,
            format!("a copy report's destination is 1-{MAX_DESTINATION} bytes without control characters"),
        ));
    }
    if !(0..=latest).contains(&f.listed_at) || f.newest_at.is_some_and(|t| t < 0) {
        return Err(bad(
            "a copy report's listed_at is in the past (sender's clock) and newest_at not negative",
        ));
    }
    let ids_ok = f.newest.as_deref().is_none_or(|s| hex_ok(s, 128))
        && f.source_lost.len() <= MAX_LISTED
        && f.source_lost.iter().all(|s| hex_ok(s, 128));
    if !ids_ok {
        return Err(bad(format!(
            "a copy report names snapshots in hex (at most 128 digits), at most {MAX_LISTED} lost ones"
        )));
    }
    target_ok(e, "copy").map_err(bad)
}

/// Who may send what (P4): a reaper only prune reports, a drill host only
/// drill reports, a copier only copy reports, a node everything else and
/// drills and copies of itself; so a node cannot claim its repository was
/// pruned or another node's backups were drilled or copied, and a reaper,
/// a drill host or a copier cannot write runs.
pub fn principal(node: &NodeRec, e: &Event) -> Result<(), String> {
    let name = &node.name;
    let only = if node.reaper {
        Some((EventKind::Prune, "a reaper", "prune"))
    } else if node.drill_host {
        Some((EventKind::Drill, "a drill host", "drill"))
    } else if node.copier {
        Some((EventKind::Copy, "a copier", "copy"))
    } else {
        None
    };
    if let Some((may, what, kind)) = only {
        if e.kind == may {
            return Ok(());
        }
        return Err(format!(
            "'{name}' is enrolled as {what}: it may send only {kind} reports"
        ));
    }
    match (e.kind, e.target.as_deref()) {
        (EventKind::Prune, _) => Err(format!("node '{name}' may not send prune reports: only a reaper enrolled with 'bananaui node add NAME --reaper' does")),
        (EventKind::Drill, Some(t)) if t != name => Err(format!("node '{name}' may report drills of itself only, not of '{t}': a drill host enrolled with 'bananaui node add NAME --drill' reports for other nodes")),
        (EventKind::Copy, Some(t)) if t != name => Err(format!("node '{name}' may report copies of itself only, not of '{t}': a copier enrolled with 'bananaui node add NAME --copier' reports for other nodes")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::status::{CopyFacts, RunResult};

    fn copy(destination: &str) -> Event {
        let mut e = Event::new(EventKind::Copy, "r1", "", "copy", 100, 110);
        e.result = Some(RunResult::Success);
        e.copy = Some(CopyFacts {
            destination: destination.into(),
            listed_at: 105,
            source_lost: vec!["ab12".into()],
            ..CopyFacts::default()
        });
        e
    }

    #[test]
    fn a_copy_report_is_bounded_and_its_destination_printable() {
        assert_eq!(check_event(&copy("s3://b/x"), 200), Ok(()));
        let mut named = copy("s3://b/x");
        named.job = "copy".into();
        assert_eq!(check_event(&named, 200), Ok(()));
        let status = |e: &Event| check_event(e, 200).err().map(|r| r.0);
        assert_eq!(status(&copy("")), Some(422));
        assert_eq!(status(&copy(&"x".repeat(MAX_DESTINATION + 1))), Some(422));
        assert_eq!(status(&copy(&"é".repeat(MAX_DESTINATION / 2))), None);
        assert_eq!(status(&copy("s3://b/\u{1b}[2J")), Some(422));
        let mut e = copy("d");
        e.copy.as_mut().unwrap().source_lost = vec!["<script>".into()];
        assert_eq!(status(&e), Some(400));
        let mut e = copy("d");
        e.copy.as_mut().unwrap().listed_at = 200 + proto::status::WINDOW_SECS + 1;
        assert_eq!(status(&e), Some(400));
        let mut e = copy("d");
        e.copy = None;
        assert_eq!(status(&e), Some(400));
        let mut e = copy("d");
        e.result = None;
        assert_eq!(status(&e), Some(400));
    }

    #[test]
    fn only_a_copier_copies_other_nodes() {
        let node = |f: fn(&mut NodeRec)| {
            let mut n = NodeRec {
                name: "c1".into(),
                ..NodeRec::default()
            };
            f(&mut n);
            n
        };
        let mut e = copy("d");
        let copier = node(|n| n.copier = true);
        let plain = node(|_| {});
        e.target = Some("n1".into());
        assert!(principal(&copier, &e).is_ok());
        assert!(principal(&plain, &e).is_err(), "a node copies itself only");
        e.target = Some("c1".into());
        assert!(principal(&plain, &e).is_ok());
        e.target = None;
        assert!(principal(&plain, &e).is_ok());
        assert!(principal(&node(|n| n.reaper = true), &e).is_err());
        assert!(principal(&node(|n| n.drill_host = true), &e).is_err());
        e.kind = EventKind::Finished;
        assert!(principal(&copier, &e)
            .unwrap_err()
            .contains("only copy reports"));
    }
}
