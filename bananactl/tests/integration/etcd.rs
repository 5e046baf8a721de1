//! The `etcd` plugin against a real etcd (testkit::etcd): 10,000
//! keys → backup → restore into a fresh data directory → an etcd started
//! on it serves identical keys; nothing of the snapshot stays in the state.

use crate::util::{run, Env, Run};
use crate::watch;
use std::io::{Read, Write};
use testkit::etcd::{self, Etcd};

fn jrun(env: &Env, args: &[&str]) -> Run {
    let mut c = env.cmd(args);
    c.env("BANANA_CONFIG", env.path("jobs.toml"));
    run(c)
}

fn b64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in s.as_bytes().chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Puts `n` keys under `prefix` through etcd's JSON gateway, 100 to a
/// transaction (etcd syncs each write).
fn put_many(e: &Etcd, prefix: &str, n: usize) {
    let addr = e.endpoint.trim_start_matches("http://");
    for batch in (0..n).collect::<Vec<_>>().chunks(100) {
        let ops: Vec<String> = batch
            .iter()
            .map(|i| {
                format!(
                    "{{\"requestPut\":{{\"key\":\"{}\",\"value\":\"{}\"}}}}",
                    b64(&format!("{prefix}/k{i:05}")),
                    b64(&format!("value {i} of {prefix}"))
                )
            })
            .collect();
        let body = format!("{{\"success\":[{}]}}", ops.join(","));
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "POST /v3/kv/txn HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}

/// The etcd plugin's snapshot file, in its private run directory.
fn snapshot_file(p: &std::path::Path) -> bool {
    // etcdctl writes snapshot.db.part, then renames it.
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("snapshot.db"))
        && p.parent()
            .and_then(|d| d.file_name())
            .is_some_and(|d| d.to_string_lossy().starts_with("run-"))
}

#[test]
fn ten_thousand_keys_come_back_in_a_fresh_data_directory() {
    let Some(e) = etcd::server() else { return };
    let env = Env::new();
    let prefix = format!("banana-{}", std::process::id());
    put_many(e, &prefix, 10_000);
    assert_eq!(
        e.ctl(&["get", "--prefix", &prefix])
            .unwrap()
            .lines()
            .count(),
        20_000
    );
    std::fs::write(
        env.path("jobs.toml"),
        format!(
            "[[job]]\nname = \"etcd\"\nplugin = \"etcd\"\nendpoints = [\"{}\"]\nevery = \"6h\"\n",
            e.endpoint
        ),
    )
    .unwrap();
    // A marker value: in no file but the plugin's private snapshot file.
    let marker = format!("marker-{prefix}");
    e.ctl(&["put", &format!("{prefix}/marker"), &marker])
        .unwrap();
    let before = e.ctl(&["get", "--prefix", &prefix]).unwrap();
    let leaks = watch::watch("", &marker, &[env.dir.path().to_owned()], snapshot_file);
    jrun(&env, &["backup", "--job", "etcd"]).ok();
    assert_eq!(leaks.stop(), Vec::<String>::new(), "plaintext seen");
    let snaps = jrun(&env, &["--json", "snapshots", "--job", "etcd"])
        .ok()
        .json();
    let meta = &snaps[0]["meta"];
    assert!(
        meta["keys"].as_str().unwrap().parse::<u64>().unwrap() >= 10_000,
        "{meta}"
    );
    // A deep drill: the snapshot's hash checked, restored into a private
    // etcd on loopback, its keys counted, the member gone afterwards.
    let d = jrun(&env, &["--json", "drill", "--job", "etcd", "--deep"])
        .ok()
        .json();
    assert_eq!(
        d[0]["streams"][0]["tool"], "etcdctl snapshot status",
        "{}",
        d[0]
    );
    let keys: u64 = d[0]["servers"][0]
        .as_str()
        .and_then(|l| l.strip_prefix("etcd: snapshot restored: "))
        .and_then(|l| l.strip_suffix(" keys"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", d[0]));
    assert!(keys >= 10_001, "{keys}");
    // The snapshot file went with its run directory.
    let left: Vec<_> = std::fs::read_dir(&env.state)
        .unwrap()
        .flatten()
        .filter(|d| d.file_name().to_string_lossy().starts_with("run-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Into a fresh data directory; an etcd started on it serves the keys.
    let data = env.path("restored");
    let r = jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "etcd",
            "--target",
            data.to_str().unwrap(),
        ],
    )
    .ok();
    assert!(r.stdout.contains("new data directory"), "{}", r.stdout);
    let restored = Etcd::start_on(&data, &env.path("etcd2"), "default");
    assert_eq!(restored.ctl(&["get", "--prefix", &prefix]).unwrap(), before);
    // Never over an existing data directory.
    let r = jrun(
        &env,
        &[
            "restore",
            "latest",
            "--job",
            "etcd",
            "--target",
            data.to_str().unwrap(),
        ],
    )
    .code(2);
    assert!(r.one_line_error().contains("not empty"), "{}", r.stderr);
}

/// A member that takes only TLS clients with a certificate (as Kubernetes'
/// etcd does): the job's cacert, cert and key reach `etcdctl`; without the
/// client certificate the job fails in one line.
#[test]
fn a_tls_member_is_backed_up_with_a_client_certificate() {
    let Some(e) = etcd::tls() else { return };
    let t = e.tls.as_ref().unwrap();
    let env = Env::new();
    let prefix = format!("tls-{}", std::process::id());
    for i in 0..20 {
        e.ctl(&["put", &format!("{prefix}/k{i}"), "v"]).unwrap();
    }
    let job = |name: &str, cert: bool| {
        let mut table = format!(
            "[[job]]\nname = \"{name}\"\nplugin = \"etcd\"\nendpoints = [\"{}\"]\ncacert = \"{}\"\n",
            e.endpoint,
            t.ca.display()
        );
        if cert {
            table.push_str(&format!(
                "cert = \"{}\"\nkey = \"{}\"\n",
                t.cert.display(),
                t.key.display()
            ));
        }
        table
    };
    std::fs::write(
        env.path("jobs.toml"),
        format!("{}\n{}", job("tls", true), job("nocert", false)),
    )
    .unwrap();
    jrun(&env, &["backup", "--job", "tls"]).ok();
    let snaps = jrun(&env, &["--json", "snapshots", "--job", "tls"])
        .ok()
        .json();
    let keys: u64 = snaps[0]["meta"]["keys"].as_str().unwrap().parse().unwrap();
    assert!(keys >= 20, "{}", snaps[0]);
    // Refused within the health check's 10 s, not the job's 24 h timeout.
    let t = std::time::Instant::now();
    let r = jrun(&env, &["backup", "--job", "nocert"]).code(1);
    let line = r.one_line_error();
    assert!(line.contains("did not pass a health check"), "{line}");
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
}
