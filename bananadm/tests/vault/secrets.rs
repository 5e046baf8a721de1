//! Acceptance 6: canary secrets never leak into logs, JSON, errors, the
//! repository, local state, or process arguments and environment.

use crate::harness::*;
use serde_json::json;

const SECRET_ID: &str = "CANARY-SECRETID-5f0c2b8e-7a41-4c1d-9e3f-000000000001";
const CHUNK_KEY: &str = "ca11ab1eca11ab1eca11ab1eca11ab1eca11ab1eca11ab1eca11ab1eca11ab1e";
const STORAGE_SECRET: &str = "CANARY-STORAGE-SECRET-8d2e";

fn leaks(hay: &[u8], token_values: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let chunk_raw = hex::decode(CHUNK_KEY).unwrap();
    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("secret id".into(), SECRET_ID.as_bytes().to_vec()),
        ("chunk key".into(), CHUNK_KEY.as_bytes().to_vec()),
        ("chunk key bytes".into(), chunk_raw),
        ("storage secret".into(), STORAGE_SECRET.as_bytes().to_vec()),
    ];
    for t in token_values {
        needles.push(("vault token".into(), t.as_bytes().to_vec()));
    }
    for (what, n) in needles {
        if hay.windows(n.len()).any(|w| w == n.as_slice()) {
            found.push(what);
        }
    }
    found
}

#[test]
fn canary_secrets_appear_nowhere() {
    let Some(bao) = Bao::start() else { return };
    let admin = bao.setup();
    let dir = tempfile::tempdir().unwrap();
    let n = bao.enrol(&admin, "canary", dir.path());
    let root = bao.root();
    // Plant the canaries: a chosen secret id, chunk key and storage secret.
    root.request(
        "POST",
        "auth/banana-approle/role/canary/custom-secret-id",
        Some(&json!({"secret_id": SECRET_ID})),
        None,
        None,
    )
    .unwrap();
    let mut creds: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&n.creds).unwrap()).unwrap();
    creds["secret_id"] = SECRET_ID.into();
    std::fs::write(&n.creds, serde_json::to_vec(&creds).unwrap()).unwrap();
    for (path, extra) in [
        ("nodes/canary/agent", Some(STORAGE_SECRET)),
        ("nodes/canary/restore", None),
    ] {
        let (mut v, ver) = root.kv_get::<serde_json::Value>(path).unwrap().unwrap();
        v["chunk_key"] = CHUNK_KEY.into();
        if let Some(s) = extra {
            v["storage_secret"] = s.into();
        }
        root.kv_put(path, &v, ver).unwrap();
    }
    // Tokens whose values we know: the admin token and the root token.
    let tokens = vec![admin.clone()];
    let data = dir.path().join("data");
    for i in 0..40 {
        write(&data.join(format!("f{i}")), &vec![i as u8; 300_000]);
    }
    let mut transcript = Vec::new();
    let mut record = |o: std::process::Output| {
        transcript.extend_from_slice(&o.stdout);
        transcript.extend_from_slice(&o.stderr);
        o
    };
    // A backup, watched from outside while it runs.
    let mut child = n
        .cmd(&["-vv", "backup", data.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let proc_seen = watch_proc(&mut child, 50);
    let o = record(child.wait_with_output().unwrap());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        leaks(&proc_seen, &tokens).is_empty(),
        "secret in /proc of the agent"
    );
    record(n.run(&["--json", "-vv", "backup", data.to_str().unwrap()]));
    record(n.run(&["--json", "-vv", "backup", "/no/such/path"]));
    record(n.run(&[
        "-vv",
        "restore",
        "latest",
        "--target",
        dir.path().join("t").to_str().unwrap(),
    ]));
    record(n.run(&["--json", "-vv", "check", "--read-data"]));
    let g = stdout(&record(bao.adm(&admin, &["restore", "grant", "canary"])));
    let o = record(n.run(&[
        "--json",
        "-vv",
        "restore",
        "latest",
        "--target",
        dir.path().join("t").to_str().unwrap(),
        "--grant",
        &g,
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    record(n.run(&[
        "-vv",
        "restore",
        "latest",
        "--target",
        dir.path().join("t").to_str().unwrap(),
        "--grant",
        &g,
    ]));
    record(bao.adm(&admin, &["-vv", "node", "show", "canary"]));
    record(bao.adm(&admin, &["--json", "node", "show", "canary"]));
    let in_output = leaks(&transcript, &tokens);
    assert!(in_output.is_empty(), "leaked into output: {in_output:?}");
    // The agent's own Vault tokens are never shown: nothing shaped like one
    // (s. + 24 characters) appears in bananactl's output but the grant we passed in.
    let text = String::from_utf8_lossy(&transcript).replace(&g, "");
    let token_like = text
        .match_indices("s.")
        .filter(|(i, _)| {
            let tail = &text.as_bytes()[i + 2..];
            tail.len() >= 24
                && tail[..24].iter().all(u8::is_ascii_alphanumeric)
                && tail.get(24).is_none_or(|c| !c.is_ascii_alphanumeric())
        })
        .count();
    assert_eq!(
        token_like, 0,
        "something shaped like a Vault token was printed"
    );
    // Files: everything the runs wrote, except the 0600 credential file itself.
    let mut files = 0;
    for (p, bytes) in tree_bytes(dir.path()) {
        if p == n.creds
            || p.starts_with(dir.path().join("data"))
            || p.starts_with(dir.path().join("t"))
        {
            continue;
        }
        files += 1;
        let l = leaks(&bytes, &tokens);
        assert!(l.is_empty(), "{} leaks {l:?}", p.display());
    }
    assert!(
        files > 10,
        "the repository and state were scanned ({files} files)"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&n.creds).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
