//! P4: a node can only speak for itself. Every forgery is refused with the
//! right status and writes nothing; enrolment codes work once.

use crate::harness::*;
use proto::status::{NodeIdentity, RunResult};

#[test]
fn forgeries_are_refused_with_the_right_status_and_write_nothing() {
    let mut t = Tower::start("");
    let a = t.enrol("node-a");
    let _b = t.enrol("node-b");
    let ev = finished("db", RunResult::Success, 100);

    // The one legitimate message, for contrast.
    let good = signed(&a, "node-a", &ev);
    assert_eq!(t.post("/api/v1/status", &good).0, 200);

    let mut cases: Vec<(&str, Vec<u8>, u16)> = Vec::new();
    let fresh = |e: &proto::status::Event| {
        let mut e = e.clone();
        e.id = hex::encode(rand::random::<[u8; 16]>());
        e
    };
    // Unsigned: no signature at all, or an empty one.
    let mut v: serde_json::Value =
        serde_json::from_slice(&signed(&a, "node-a", &fresh(&ev))).unwrap();
    v.as_object_mut().unwrap().remove("signature");
    cases.push(("unsigned", serde_json::to_vec(&v).unwrap(), 400));
    v["signature"] = "".into();
    cases.push(("empty signature", serde_json::to_vec(&v).unwrap(), 401));
    // A bad signature: one bit flipped.
    let mut env = envelope(&a, "node-a", &fresh(&ev), now());
    let mut sig = hex::decode(&env.signature).unwrap();
    sig[7] ^= 1;
    env.signature = hex::encode(sig);
    cases.push(("bad signature", serde_json::to_vec(&env).unwrap(), 401));
    // A body swapped under a valid signature.
    let mut env = envelope(&a, "node-a", &fresh(&ev), now());
    env.body = env.body.replace("\"success\"", "\"failed\"");
    cases.push(("swapped body", serde_json::to_vec(&env).unwrap(), 401));
    // The body hash recomputed for the swapped body: the signature no longer covers it.
    env.body_hash = blake3::hash(env.body.as_bytes()).to_hex().to_string();
    cases.push((
        "swapped body, rehashed",
        serde_json::to_vec(&env).unwrap(),
        401,
    ));
    // An unknown node, signing for itself.
    let ghost = NodeIdentity::generate();
    cases.push(("unknown node", signed(&ghost, "ghost", &fresh(&ev)), 403));
    // Node A signing as B.
    cases.push(("A as B", signed(&a, "node-b", &fresh(&ev)), 401));
    // Outside the ±5 minute window, both ways.
    let old = envelope(&a, "node-a", &fresh(&ev), now() - 301);
    cases.push(("expired", serde_json::to_vec(&old).unwrap(), 401));
    let future = envelope(&a, "node-a", &fresh(&ev), now() + 400);
    cases.push(("from the future", serde_json::to_vec(&future).unwrap(), 401));
    // A nonce replayed with another body (signed: the node's key leaked nothing,
    // but its own reuse of a nonce must not overwrite what was stored).
    let first: proto::status::Envelope = serde_json::from_slice(&good).unwrap();
    let other = envelope(&a, "node-a", &fresh(&ev), first.timestamp);
    let mut reuse = other.clone();
    reuse.nonce = first.nonce.clone();
    cases.push((
        "replayed nonce, other body",
        serde_json::to_vec(&reuse).unwrap(),
        401,
    ));

    for (what, body, want) in &cases {
        let (got, text) = t.post("/api/v1/status", body);
        assert_eq!(got, *want, "{what}: {text}");
        assert!(text.contains("\"error\""), "{what}: {text}");
        // Forged proxy headers change nothing.
        let (got, _) = post(
            t.addr,
            "/api/v1/status",
            body,
            &[
                "X-Forwarded-For: 127.0.0.1",
                "X-Real-IP: 127.0.0.1",
                "Forwarded: for=127.0.0.1;by=tower",
                "X-Banana-Node: node-a",
                "X-Node: node-a",
                "Authorization: Bearer anything",
            ],
        );
        assert_eq!(got, *want, "{what} with proxy headers");
    }

    // A replay of the stored message inside the window is idempotent: 200, nothing new.
    let (s, body) = t.post("/api/v1/status", &good);
    assert_eq!(s, 200);
    assert!(body.contains("\"duplicate\":true"), "{body}");
    // The same event re-sent in a new envelope (a lost answer) is stored once.
    let again = signed(&a, "node-a", &ev);
    let (s, body) = t.post("/api/v1/status", &again);
    assert_eq!(s, 200);
    assert!(body.contains("\"duplicate\":true"), "{body}");

    assert_eq!(t.metric("banana_collector_ingested_total"), 1.0);
    let detail = t.get_json("/api/v1/nodes/node-a");
    assert_eq!(detail["runs"].as_array().unwrap().len(), 1);
    let nb = t.get_json("/api/v1/nodes/node-b");
    assert_eq!(nb["runs"].as_array().unwrap().len(), 0);
    assert!(nb["node"]["last_seen_at"].is_null(), "B never spoke");
    t.kill9();
    let store = t.store();
    assert_eq!(
        store.event_count(),
        1,
        "only the legitimate event is stored"
    );
    assert!(store.node("ghost").unwrap().is_none());
}

#[test]
fn enrolment_codes_are_single_use_and_bound_to_their_node() {
    let t = Tower::start("");
    let id = NodeIdentity::generate();
    let code = t.code("web-01", &[]);
    // The wrong node, a wrong code, a request signed by another key: refused.
    let wrong_node = id.enrol_request("web-02", &code, now());
    assert_eq!(
        t.post("/api/v1/enrol", &serde_json::to_vec(&wrong_node).unwrap())
            .0,
        403
    );
    let wrong_code = id.enrol_request("web-01", "bnc-00000000000000000000000000000000", now());
    assert_eq!(
        t.post("/api/v1/enrol", &serde_json::to_vec(&wrong_code).unwrap())
            .0,
        403
    );
    let mut stolen = id.enrol_request("web-01", &code, now());
    stolen.public_key = NodeIdentity::generate().public_hex();
    assert_eq!(
        t.post("/api/v1/enrol", &serde_json::to_vec(&stolen).unwrap())
            .0,
        401
    );
    // The right one works once.
    let ok = id.enrol_request("web-01", &code, now());
    assert_eq!(
        t.post("/api/v1/enrol", &serde_json::to_vec(&ok).unwrap()).0,
        201
    );
    let (s, body) = t.post("/api/v1/enrol", &serde_json::to_vec(&ok).unwrap());
    assert_eq!(s, 403, "{body}");
    // `node add` refuses an enrolled node without --replace (issue 23, 14)...
    let out = std::process::Command::new(bananaui())
        .args(["node", "add", "web-01", "--data"])
        .arg(t.data())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("already enrolled") && err.contains("--replace"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // ... and a code issued anyway (behind its back) cannot take it over.
    let thief = NodeIdentity::generate();
    let code2 = bananaui::collector::enrol::add(
        &t.data(),
        "web-01",
        3600,
        false,
        Default::default(),
        now(),
    )
    .unwrap();
    let take = thief.enrol_request("web-01", &code2, now());
    let (s, body) = t.post("/api/v1/enrol", &serde_json::to_vec(&take).unwrap());
    assert_eq!(s, 409, "{body}");
    assert!(body.contains("--replace"), "{body}");
    // With --replace, the new key takes over and the old one is refused.
    let code3 = t.code("web-01", &["--replace"]);
    let new = NodeIdentity::generate();
    let req = new.enrol_request("web-01", &code3, now());
    assert_eq!(
        t.post("/api/v1/enrol", &serde_json::to_vec(&req).unwrap())
            .0,
        201
    );
    let ev = finished("db", RunResult::Success, 1);
    assert_eq!(t.post("/api/v1/status", &signed(&id, "web-01", &ev)).0, 401);
    assert_eq!(
        t.post("/api/v1/status", &signed(&new, "web-01", &ev)).0,
        200
    );
    // The tower keeps only hashes: no pending file holds a code.
    let pending = std::fs::read_dir(t.data().join("pending")).unwrap();
    for f in pending {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        assert!(!text.contains("bnc-"), "{text}");
    }
}

#[test]
fn an_exposed_tower_needs_a_viewer_token_and_proxy_headers_do_not_bypass_it() {
    let dir = tempfile::tempdir().unwrap();
    // Refuses to serve on a non-loopback address without a token.
    let out = std::process::Command::new(bananaui())
        .args(["serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("viewer token"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let token_file = dir.path().join("viewer.token");
    std::fs::write(&token_file, "s3cret-viewer\n").unwrap();
    let t = Tower::start(&format!(
        "viewer_token_file = \"{}\"\n",
        token_file.display()
    ));
    for path in [
        "/api/v1/fleet",
        "/api/v1/nodes",
        "/api/v1/alerts",
        "/metrics",
    ] {
        assert_eq!(t.get(path).0, 401, "{path}");
        let forged = format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 127.0.0.1\r\nX-Real-IP: 127.0.0.1\r\nAuthorization: Bearer wrong\r\n\r\n"
        );
        assert_eq!(request(t.addr, forged.as_bytes()).0, 401, "{path}");
        let good = format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer s3cret-viewer\r\n\r\n"
        );
        assert_eq!(request(t.addr, good.as_bytes()).0, 200, "{path}");
    }
    // The page itself holds no data and loads without the token.
    assert_eq!(t.get("/").0, 200);
}
