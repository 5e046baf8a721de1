//! The node rules against a running `serve` (issue 23, 19): `never` fires for
//! a node enrolled longer than `never_after` without a success, stays through
//! a failed run and resolves with a success; `silent` fires for a node not
//! heard for `silent_after` (since its enrolment, or since its last event),
//! and resolves with any event. Each transition is notified once.
//!
//! Short thresholds (5 s) keep the test short; every wait is bounded, none a
//! deadline: while `silent` must be seen resolved, the node keeps talking, so
//! a housekeeper tick delayed by load still finds it heard from.

use crate::harness::*;
use proto::status::{Event, EventKind, RunResult};
use std::time::{Duration, Instant};

/// The webhook's messages about `node`'s `rule`: (state, message).
fn messages(hook: &testkit::Receiver, node: &str, rule: &str) -> Vec<(String, String)> {
    hook.json()
        .iter()
        .filter(|m| m["alert"]["node"] == node && m["alert"]["rule"] == rule)
        .map(|m| {
            assert!(m["alert"]["job"].is_null(), "a node rule has no job: {m}");
            let s = |k: &str| m["alert"][k].as_str().unwrap_or("").to_owned();
            (s("state"), s("message"))
        })
        .collect()
}

fn states(hook: &testkit::Receiver, node: &str, rule: &str) -> Vec<String> {
    messages(hook, node, rule)
        .into_iter()
        .map(|m| m.0)
        .collect()
}

fn firing(t: &Tower, node: &str, rule: &str) -> bool {
    let a: bananaui::api::Alerts = t.exact("/api/v1/alerts");
    a.firing.iter().any(|a| a.node == node && a.rule == rule)
}

#[test]
fn never_and_silent_fire_and_resolve() {
    let hook = testkit::Receiver::start(0).unwrap();
    let t = Tower::start(&format!(
        "[alerts]\ninterval = \"1s\"\nsilent_after = \"5s\"\nnever_after = \"5s\"\n\n\
         [[notifier]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\ntimeout = \"120s\"\n",
        hook.port()
    ));
    let id = t.enrol("new-01");
    let probe = Probe::new(&t);
    let send = |e: &Event| t.post("/api/v1/status", &signed(&id, "new-01", e)).0;

    // Enrolled, never heard from, never backed up: both fire, once each.
    t.wait_for("never and silent fire at the webhook", || {
        states(&hook, "new-01", "never") == ["firing"]
            && states(&hook, "new-01", "silent") == ["firing"]
    });
    let never = messages(&hook, "new-01", "never");
    assert!(
        never[0].1.starts_with("new-01 enrolled ")
            && never[0]
                .1
                .ends_with(" ago and never backed up successfully"),
        "{never:?}"
    );
    let silent = messages(&hook, "new-01", "silent");
    assert!(
        silent[0]
            .1
            .starts_with("nothing ever heard from new-01 (enrolled "),
        "{silent:?}"
    );

    // A failed run: heard from (silent resolves), still no success (never
    // stays). The node keeps talking until the resolution is seen.
    assert_eq!(
        send(&finished("files", RunResult::Failed, 0).with_error("disk full")),
        200
    );
    let run = hex::encode(rand::random::<[u8; 8]>());
    let end = Instant::now() + PATIENCE;
    while !states(&hook, "new-01", "silent").starts_with(&["firing".into(), "resolved".into()]) {
        assert!(
            Instant::now() < end,
            "silent did not resolve: {:?}",
            messages(&hook, "new-01", "silent")
        );
        let beat = Event::new(EventKind::Heartbeat, &run, "files", "fs", now(), now());
        // 429 when the node's rate is spent: the next one goes through.
        let _ = send(&beat);
        std::thread::sleep(Duration::from_secs(1));
    }
    probe.settle(&t, Some(&hook));
    assert!(firing(&t, "new-01", "never"), "a failed run is no success");
    assert_eq!(states(&hook, "new-01", "never"), ["firing"]);

    // A success resolves never, once.
    assert_eq!(send(&finished("files", RunResult::Success, 10)), 200);
    t.wait_for("never resolves at the webhook", || {
        states(&hook, "new-01", "never") == ["firing", "resolved"]
    });
    assert!(!firing(&t, "new-01", "never"));

    // Quiet again for silent_after: silent fires anew, counted from its last
    // event (it may have done so already while the probe ran, and resolved
    // with the success).
    t.wait_for("silent fires again", || {
        let s = states(&hook, "new-01", "silent");
        s.len() >= 3 && s.last().is_some_and(|s| s == "firing")
    });
    let silent = messages(&hook, "new-01", "silent");
    let last = &silent[silent.len() - 1];
    assert!(
        last.1.starts_with("nothing heard from new-01 for "),
        "{silent:?}"
    );
    // Transitions alternate: one notification each.
    for (i, (state, _)) in silent.iter().enumerate() {
        assert_eq!(
            state,
            if i % 2 == 0 { "firing" } else { "resolved" },
            "{silent:?}"
        );
    }
    // And never does not come back.
    probe.settle(&t, Some(&hook));
    assert_eq!(states(&hook, "new-01", "never"), ["firing", "resolved"]);
}
