//! Hostile storage endpoints on loopback: fake S3 and Swift servers that
//! serve a real repository's objects (from a directory the test backed up
//! into) but list without end, answer a small range read with a gigabyte,
//! or redirect elsewhere. The agent stops within its retry budget (exit
//! 17), never holds more than a bounded answer, and follows no redirect.

use crate::util::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// One request as the fake server saw it.
pub struct Req {
    /// Path without the query.
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
}

/// What the fake answers.
pub enum Answer {
    /// Status, headers and a body (with its Content-Length).
    Full(u16, Vec<(String, String)>, Vec<u8>),
    /// 200 declaring `len` bytes of zeros and sending them until the client
    /// hangs up.
    Zeros(u64),
}

type Handler = dyn Fn(&Req) -> Answer + Send + Sync;

/// A fake HTTP server on 127.0.0.1 until dropped; counts its requests.
pub struct Fake {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Fake {
    pub fn start(handler: impl Fn(&Req) -> Answer + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (s, n) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, n) = (handler.clone(), n.clone());
                std::thread::spawn(move || serve(conn, &*h, &n));
            }
        });
        Fake {
            port,
            requests,
            stop,
        }
    }
}

fn serve(conn: TcpStream, handler: &Handler, n: &AtomicUsize) {
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok();
    let mut out = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace().skip(1);
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let len: u64 = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        std::io::copy(&mut (&mut r).take(len), &mut std::io::sink()).ok();
        let (path, q) = target.split_once('?').unwrap_or((&target, ""));
        let query = q
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), unescape(v))
            })
            .collect();
        n.fetch_add(1, Ordering::Relaxed);
        let req = Req {
            path: unescape(path),
            query,
            headers,
        };
        match handler(&req) {
            Answer::Full(status, hs, body) => {
                let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in hs {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if out.write_all(head.as_bytes()).is_err() || out.write_all(&body).is_err() {
                    return;
                }
            }
            Answer::Zeros(len) => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
                let _ = out.write_all(head.as_bytes());
                let zeros = vec![0u8; 1 << 16];
                let mut left = len;
                while left > 0 {
                    let n = left.min(zeros.len() as u64) as usize;
                    if out.write_all(&zeros[..n]).is_err() {
                        return;
                    }
                    left -= n as u64;
                }
                return;
            }
        }
    }
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A local repository with one snapshot, whose files the fakes serve.
fn served_repository() -> (Env, PathBuf) {
    let e = Env::new();
    let src = e.path("src");
    write(&src.join("a"), &random_bytes(7, 100_000));
    e.backup(&[&src]);
    let repo = e.repo.clone();
    (e, repo)
}

/// The file of `repo` an object key below `prefix` names, if any.
fn object(repo: &Path, key: &str, prefix: &str) -> Option<Vec<u8>> {
    let rel = key.strip_prefix(prefix)?.trim_start_matches('/');
    if rel.contains("..") {
        return None;
    }
    std::fs::read(repo.join(rel)).ok()
}

/// Every object key of `repo`, sorted, below `prefix`.
fn keys(repo: &Path, prefix: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    walk_files(repo, &mut |p| {
        let rel = p.strip_prefix(repo).unwrap().display().to_string();
        if !rel.starts_with("tmp") && !rel.starts_with("locks") {
            out.push((format!("{prefix}/{rel}"), p.metadata().unwrap().len()));
        }
    });
    out.sort();
    out
}

/// An S3 fake for bucket `b-1`, prefix `p`: objects from `repo`; listings
/// and ranged reads by `list` and `range`.
fn fake_s3(
    repo: PathBuf,
    list: impl Fn(&[(String, u64)]) -> Answer + Send + Sync + 'static,
    range: impl Fn(&Req) -> Option<Answer> + Send + Sync + 'static,
) -> Fake {
    Fake::start(move |req| {
        if req.query.contains_key("list-type") {
            let prefix = req.query.get("prefix").cloned().unwrap_or_default();
            let all: Vec<_> = keys(&repo, "p")
                .into_iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .collect();
            return list(&all);
        }
        if req.headers.contains_key("range") {
            if let Some(a) = range(req) {
                return a;
            }
        }
        let key = req.path.trim_start_matches("/b-1/");
        match object(&repo, key, "p") {
            Some(body) => Answer::Full(200, Vec::new(), body),
            None => Answer::Full(
                404,
                Vec::new(),
                b"<Error><Code>NoSuchKey</Code></Error>".to_vec(),
            ),
        }
    })
}

fn s3_listing(keys: &[(String, u64)], truncated: bool, token: &str) -> Answer {
    let mut x = String::from("<?xml version=\"1.0\"?><ListBucketResult><Name>b-1</Name>");
    for (k, size) in keys {
        x.push_str(&format!(
            "<Contents><Key>{k}</Key><LastModified>2026-12-06T00:00:00.000Z</LastModified><ETag>\"0\"</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
        ));
    }
    x.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
    if truncated {
        x.push_str(&format!(
            "<NextContinuationToken>{token}</NextContinuationToken>"
        ));
    }
    x.push_str("</ListBucketResult>");
    Answer::Full(200, Vec::new(), x.into_bytes())
}

/// `e` pointed at the fake S3, a short retry budget.
fn via_s3(e: &mut Env, port: u16) {
    e.repo = PathBuf::from(format!(
        "s3://127.0.0.1:{port}/b-1/p?tls=false&path_style=true"
    ));
    e.vars = vec![
        ("AWS_ACCESS_KEY_ID".into(), "fake".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "fake-secret".into()),
    ];
    budget(e, "4s");
}

fn budget(e: &Env, b: &str) {
    std::fs::write(
        e.path("empty-config.toml"),
        format!("storage_timeout = \"10s\"\nstorage_retry_budget = \"{b}\"\n"),
    )
    .unwrap();
}

/// Runs `args` with a watchdog (a hang is a failure, not a stuck suite);
/// returns the run and its peak RSS in MiB.
fn bounded_run(e: &Env, args: &[&str]) -> (Run, u64) {
    let c = e.cmd(args);
    let mut t = std::process::Command::new("timeout");
    t.args(["-s", "KILL", "300"])
        .arg(c.get_program())
        .args(c.get_args());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    let (r, kib) = peak_rss_kib(&t).expect("python3 measures peak RSS");
    (r, kib / 1024)
}

#[test]
fn an_endless_s3_listing_stops_within_the_retry_budget_in_bounded_memory() {
    let (mut e, repo) = served_repository();
    // Every page says there is more, with the same token.
    let fake = fake_s3(repo.clone(), |all| s3_listing(all, true, "again"), |_| None);
    via_s3(&mut e, fake.port);
    let (r, mib) = bounded_run(&e, &["snapshots"]);
    assert_eq!(r.code, 17, "{}", r.stderr);
    let line = r.one_line_error();
    assert!(line.contains(&format!("127.0.0.1:{}", fake.port)), "{line}");
    assert!(line.contains("listing stopped"), "{line}");
    assert!(mib < 200, "peak RSS {mib} MiB");
    // Fresh tokens but the same keys again: keys that do not advance.
    let n = Arc::new(AtomicUsize::new(0));
    let fake = fake_s3(
        repo,
        move |all| {
            s3_listing(
                all,
                true,
                &format!("t{}", n.fetch_add(1, Ordering::Relaxed)),
            )
        },
        |_| None,
    );
    via_s3(&mut e, fake.port);
    let (r, mib) = bounded_run(&e, &["snapshots"]);
    assert_eq!(r.code, 17, "{}", r.stderr);
    assert!(
        r.one_line_error().contains("do not advance"),
        "{}",
        r.stderr
    );
    assert!(mib < 200, "peak RSS {mib} MiB");
}

#[test]
fn a_gigabyte_answer_to_a_small_range_read_is_refused_in_bounded_memory() {
    let (mut e, repo) = served_repository();
    let fake = fake_s3(
        repo,
        |all| s3_listing(all, false, ""),
        |_| Some(Answer::Zeros(1 << 30)),
    );
    via_s3(&mut e, fake.port);
    let (r, mib) = bounded_run(&e, &["ls", "latest"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stderr.contains("more than"), "{}", r.stderr);
    assert!(mib < 200, "peak RSS {mib} MiB");
}

/// A Swift fake (v1 auth) for container `c`, prefix `p`, whose listing
/// pages are `page(all, limit)`.
fn fake_swift(
    repo: PathBuf,
    page: impl Fn(&[(String, u64)], usize) -> Vec<(String, u64)> + Send + Sync + 'static,
) -> Fake {
    let port = Arc::new(AtomicUsize::new(0));
    let p = port.clone();
    let fake = Fake::start(move |req| {
        let me = p.load(Ordering::Relaxed);
        if req.path == "/auth/v1.0" {
            let hs = vec![
                ("X-Auth-Token".into(), "tok".into()),
                (
                    "X-Storage-Url".into(),
                    format!("http://127.0.0.1:{me}/v1/AUTH_t"),
                ),
            ];
            return Answer::Full(200, hs, Vec::new());
        }
        if req.path == "/v1/AUTH_t/c" {
            let limit = req
                .query
                .get("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(10_000);
            let prefix = req.query.get("prefix").cloned().unwrap_or_default();
            let all: Vec<_> = keys(&repo, "p")
                .into_iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .collect();
            let json: Vec<_> = page(&all, limit)
                .into_iter()
                .map(|(k, b)| serde_json::json!({"name": k, "bytes": b}))
                .collect();
            return Answer::Full(200, Vec::new(), serde_json::to_vec(&json).unwrap());
        }
        let key = req.path.trim_start_matches("/v1/AUTH_t/c/");
        match object(&repo, key, "p") {
            Some(body) => Answer::Full(200, Vec::new(), body),
            None => Answer::Full(404, Vec::new(), Vec::new()),
        }
    });
    port.store(fake.port as usize, Ordering::Relaxed);
    fake
}

#[test]
fn a_swift_listing_whose_pages_never_advance_stops_within_the_retry_budget() {
    let (mut e, repo) = served_repository();
    // Every page is full, and the same whatever the marker.
    let fake = fake_swift(repo, |all, limit| {
        let mut page: Vec<_> = all.iter().cloned().cycle().take(limit).collect();
        page.sort();
        page
    });
    e.repo = PathBuf::from(format!(
        "swift://127.0.0.1:{}/c/p?auth=v1&tls=false",
        fake.port
    ));
    e.vars = vec![
        ("ST_USER".into(), "t:u".into()),
        ("ST_KEY".into(), "k".into()),
    ];
    budget(&e, "4s");
    let (r, mib) = bounded_run(&e, &["snapshots"]);
    assert_eq!(r.code, 17, "{}", r.stderr);
    assert!(
        r.one_line_error().contains("listing stopped"),
        "{}",
        r.stderr
    );
    assert!(mib < 200, "peak RSS {mib} MiB");
}

#[test]
fn redirects_are_never_followed() {
    let (mut e, repo) = served_repository();
    // Where a redirect would send the agent: it must never connect there.
    let elsewhere = Fake::start(|_| Answer::Full(200, Vec::new(), Vec::new()));
    let to = format!("http://127.0.0.1:{}/b-1/p/config", elsewhere.port);
    let fake = fake_s3(repo, |all| s3_listing(all, false, ""), |_| None);
    let redirecting =
        Fake::start(move |_| Answer::Full(307, vec![("Location".into(), to.clone())], Vec::new()));
    via_s3(&mut e, redirecting.port);
    let r = e.run(&["snapshots"]);
    assert_ne!(r.code, 0);
    assert!(r.one_line_error().contains("redirect"), "{}", r.stderr);
    assert_eq!(elsewhere.requests.load(Ordering::Relaxed), 0);
    drop(fake);
    // Swift: authentication redirected.
    let to = format!("http://127.0.0.1:{}/auth/v1.0", elsewhere.port);
    let redirecting =
        Fake::start(move |_| Answer::Full(302, vec![("Location".into(), to.clone())], Vec::new()));
    e.repo = PathBuf::from(format!(
        "swift://127.0.0.1:{}/c/p?auth=v1&tls=false",
        redirecting.port
    ));
    e.vars = vec![
        ("ST_USER".into(), "t:u".into()),
        ("ST_KEY".into(), "k".into()),
    ];
    let r = e.run(&["snapshots"]);
    assert_ne!(r.code, 0);
    assert_eq!(
        elsewhere.requests.load(Ordering::Relaxed),
        0,
        "{}",
        r.stderr
    );
}
