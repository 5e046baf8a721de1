//! Node status for the watch tower (P4, P7; `docs/collector.md`): the node's
//! Ed25519 [`identity`], the [`event`]s a run emits and the envelope they
//! travel in, [`sign`]ing and verification, [`enrol`]ment at the tower, the
//! node-local [`spool`] that lets a backup never wait for the collector. The
//! HTTP sender is `common::status::Sender` (it needs an HTTP client).
//!
//! An event is spooled unsigned and signed when it is sent: the envelope's
//! timestamp is the send time, so an event delivered hours late (the collector
//! was down) still passes the ±5 minute window, while the event keeps its own
//! time and id (the collector stores each id once: no duplicates).

mod enrol;
mod event;
mod identity;
mod sign;
mod spool;

pub use enrol::{code_hash, parse_public, parse_verify_key, verify_enrol, EnrolRequest};
pub use event::{CopyFacts, DrillFacts, Envelope, Event, EventKind, RunResult};
pub use identity::NodeIdentity;
pub use sign::{verify, Rejection};
pub use spool::{Delivery, Spool};

/// How far an envelope's timestamp may be from the collector's clock.
pub const WINDOW_SECS: i64 = 300;
/// Longest error message carried (one line).
pub const MAX_ERROR: usize = 500;
/// Most entries in a `prune` event's lists (`forgotten`, `held`).
pub const MAX_LISTED: usize = 1000;

pub use crate::names::plain_http_off_host;

#[cfg(test)]
mod tests {
    use super::*;

    fn event(now: i64) -> Event {
        Event::new(EventKind::Finished, "run1", "etc", "fs", now - 10, now)
            .with_error("disk full\nsecond line")
    }

    #[test]
    fn enrolment_codes_never_go_in_clear_off_loopback() {
        for off in [
            "http://tower:7460",
            "HTTP://tower",
            "http://127.0.0.1.evil.example/",
            "http://10.0.0.1:7460",
            "not a url",
        ] {
            assert!(plain_http_off_host(off), "{off}");
        }
        for ok in [
            "https://tower:8443",
            "http://127.0.0.1:7460",
            "http://127.9.9.9",
            "http://[::1]:7460",
            "http://LocalHost:1",
        ] {
            assert!(!plain_http_off_host(ok), "{ok}");
        }
    }

    #[test]
    fn enrolment_requests_prove_the_key_and_refuse_weak_keys() {
        let id = NodeIdentity::generate();
        let req = id.enrol_request("web-01", "bnc-1", 1000);
        assert!(verify_enrol(&req, 1000).is_ok());
        assert_eq!(
            verify_enrol(&req, 1000 + WINDOW_SECS + 1),
            Err(Rejection::Expired)
        );
        assert_eq!(verify_enrol(&req, i64::MIN), Err(Rejection::Expired));
        let mut other = req.clone();
        other.node = "web-02".into();
        assert_eq!(verify_enrol(&other, 1000), Err(Rejection::BadSignature));
        // A small-order key with the identity signature "verifies" any message
        // under plain verify: refused.
        let mut weak = req.clone();
        weak.public_key = format!("01{}", "00".repeat(31));
        weak.signature = format!("01{}{}", "00".repeat(31), "00".repeat(32));
        assert!(matches!(
            verify_enrol(&weak, 1000),
            Err(Rejection::Malformed(_))
        ));
    }

    #[test]
    fn signed_envelopes_verify_and_tampering_fails() {
        let dir = tempfile::tempdir().unwrap();
        let (a, created) = NodeIdentity::load_or_create(&dir.path().join("id")).unwrap();
        assert!(created);
        let (again, created) = NodeIdentity::load_or_create(&dir.path().join("id")).unwrap();
        assert!(
            !created && again.public_hex() == a.public_hex(),
            "never replaced"
        );
        let (b, _) = NodeIdentity::load_or_create(&dir.path().join("other")).unwrap();
        let ka = parse_public(&a.public_hex()).unwrap();
        let now = 1_800_000_000;
        let env = a.sign("node-a", &event(now), now);
        let ev = verify(&env, &ka, now + 10).unwrap();
        assert_eq!(ev.error.as_deref(), Some("disk full"), "one line");
        // B signing as A, a changed body, a changed name, stale and future times.
        assert_eq!(
            verify(&b.sign("node-a", &event(now), now), &ka, now),
            Err(Rejection::BadSignature)
        );
        let mut body = env.clone();
        body.body = body.body.replace("etc", "var");
        assert_eq!(verify(&body, &ka, now), Err(Rejection::BadSignature));
        let mut rehashed = body.clone();
        rehashed.body_hash = blake3::hash(rehashed.body.as_bytes()).to_hex().to_string();
        assert_eq!(verify(&rehashed, &ka, now), Err(Rejection::BadSignature));
        let mut renamed = env.clone();
        renamed.node = "node-b".into();
        assert_eq!(verify(&renamed, &ka, now), Err(Rejection::BadSignature));
        assert_eq!(
            verify(&env, &ka, now + WINDOW_SECS + 1),
            Err(Rejection::Expired)
        );
        assert_eq!(
            verify(&env, &ka, now - WINDOW_SECS - 1),
            Err(Rejection::Expired)
        );
        let mut unsigned = env.clone();
        unsigned.signature = String::new();
        assert_eq!(verify(&unsigned, &ka, now), Err(Rejection::BadSignature));
    }

    #[test]
    fn spool_is_ordered_bounded_and_keeps_what_failed() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 3).unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            let e = Event::new(EventKind::Started, "r", "j", "fs", 100 + i, 100 + i);
            ids.push(e.id.clone());
            spool.push(&e).unwrap();
        }
        let pending: Vec<String> = spool
            .pending()
            .unwrap()
            .into_iter()
            .map(|(_, e)| e.id)
            .collect();
        assert_eq!(pending, ids[2..], "bounded: the oldest two were dropped");
        let mut seen = Vec::new();
        let (ok, dropped) = spool
            .deliver(|e| {
                if seen.len() == 1 {
                    return Delivery::Retry;
                }
                seen.push(e.id.clone());
                Delivery::Accepted
            })
            .unwrap();
        assert_eq!((ok, dropped), (1, 0));
        let left: Vec<String> = spool
            .pending()
            .unwrap()
            .into_iter()
            .map(|(_, e)| e.id)
            .collect();
        assert_eq!(
            left,
            ids[3..],
            "the failed one and those after it stay, in order"
        );
        assert_eq!(spool.deliver(|_| Delivery::Accepted).unwrap(), (2, 0));
        assert!(spool.pending().unwrap().is_empty());
    }

    #[test]
    fn unknown_fields_and_garbage_are_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = NodeIdentity::load_or_create(&dir.path().join("id")).unwrap();
        let ka = parse_public(&a.public_hex()).unwrap();
        let now = 1_800_000_000;
        let mut env = a.sign("n", &event(now), now);
        env.nonce = "xyz".into();
        assert!(matches!(
            verify(&env, &ka, now),
            Err(Rejection::Malformed(_))
        ));
        assert!(serde_json::from_str::<Envelope>(r#"{"v":1,"extra":1}"#).is_err());
    }
}
