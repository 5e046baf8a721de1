//! Node status for the watch tower: the node's Ed25519 identity, the events a
//! run emits, the signed envelope they travel in, its verification on the
//! collector, and the node-local spool that lets a backup never wait for the
//! collector (P4, P7; `docs/collector.md`).
//!
//! An event is spooled unsigned and signed when it is sent: the envelope's
//! timestamp is the send time, so an event delivered hours late (the collector
//! was down) still passes the ±5 minute window, while the event keeps its own
//! time and id (the collector stores each id once: no duplicates).

use crate::error::{Error, ErrorKind, Result};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

const DOMAIN: &[u8] = b"banana status v1\0";
/// How far an envelope's timestamp may be from the collector's clock.
pub const WINDOW_SECS: i64 = 300;
/// Longest error message carried (one line).
pub const MAX_ERROR: usize = 500;

/// The node's signing identity; the private key never leaves the node.
pub struct NodeIdentity {
    key: SigningKey,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeIdentity({})", self.public_hex())
    }
}

impl NodeIdentity {
    /// Loads the identity at `path`, or creates it (mode 0600); never replaces one.
    pub fn load_or_create(path: &Path) -> Result<(NodeIdentity, bool)> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut b = zeroize::Zeroizing::new([0u8; 32]);
                hex::decode_to_slice(text.trim(), b.as_mut()).map_err(|_| {
                    Error::new(ErrorKind::BadInput, format!("node identity {} is malformed", path.display()))
                        .hint("it is never replaced automatically: move it away to make a new one, then re-enrol at the collector")
                })?;
                Ok((
                    NodeIdentity {
                        key: SigningKey::from_bytes(&b),
                    },
                    false,
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| Error::io(format!("directory {}", dir.display()), e))?;
                }
                let hexkey = zeroize::Zeroizing::new(hex::encode(key.to_bytes()));
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| Error::io(format!("node identity {}", path.display()), e))?;
                f.write_all(hexkey.as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(|e| Error::io(format!("node identity {}", path.display()), e))?;
                Ok((NodeIdentity { key }, true))
            }
            Err(e) => Err(Error::io(format!("node identity {}", path.display()), e)),
        }
    }

    /// A fresh identity held only in memory (load generators, tests).
    pub fn generate() -> NodeIdentity {
        NodeIdentity {
            key: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// The public key, hex: what the collector stores at enrolment.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Signs `event` for `node` at time `now` with a fresh nonce.
    pub fn seal(&self, node: &str, event: &Event, now: i64) -> Envelope {
        let body = serde_json::to_string(event).unwrap_or_default();
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let body_hash = blake3::hash(body.as_bytes()).to_hex().to_string();
        let sig = self.key.sign(&signed_bytes(node, now, &nonce, &body_hash));
        Envelope {
            v: 1,
            node: node.to_owned(),
            timestamp: now,
            nonce,
            body_hash,
            body,
            signature: hex::encode(sig.to_bytes()),
        }
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A run began.
    Started,
    /// A long run is still going.
    Heartbeat,
    /// A run ended.
    Finished,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunResult {
    /// Everything done.
    Success,
    /// Snapshot saved without some unreadable sources.
    Partial,
    /// No snapshot.
    Failed,
}

/// One status event. Never config, environment, credentials or file lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Random id: the collector stores each once.
    pub id: String,
    /// When it happened (Unix seconds).
    pub at: i64,
    /// Started, heartbeat or finished.
    pub kind: EventKind,
    /// Random id shared by the events of one run.
    pub run: String,
    /// Job name.
    pub job: String,
    /// Plugin (`fs`, `stdin`, ...).
    pub plugin: String,
    /// Expected interval between runs, seconds (for `overdue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_secs: Option<u64>,
    /// Run start (Unix seconds).
    pub started_at: i64,
    /// Run end, for `finished`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// Outcome, for `finished`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<RunResult>,
    /// Snapshot written, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Files in the snapshot.
    #[serde(default)]
    pub files: u64,
    /// Bytes read.
    #[serde(default)]
    pub bytes_read: u64,
    /// Bytes new after deduplication.
    #[serde(default)]
    pub bytes_added: u64,
    /// Bytes written to storage.
    #[serde(default)]
    pub bytes_stored: u64,
    /// Logical size of the snapshot (sum of file sizes): what `shrunk` watches.
    #[serde(default)]
    pub bytes_total: u64,
    /// Warnings.
    #[serde(default)]
    pub warnings: u64,
    /// One-line error, secret-free, at most [`MAX_ERROR`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Agent version.
    pub agent: String,
}

impl Event {
    /// A new event of a run.
    pub fn new(
        kind: EventKind,
        run: &str,
        job: &str,
        plugin: &str,
        started_at: i64,
        now: i64,
    ) -> Event {
        Event {
            id: hex::encode(rand::random::<[u8; 16]>()),
            at: now,
            kind,
            run: run.to_owned(),
            job: job.to_owned(),
            plugin: plugin.to_owned(),
            every_secs: None,
            started_at,
            ended_at: None,
            result: None,
            snapshot: None,
            files: 0,
            bytes_read: 0,
            bytes_added: 0,
            bytes_stored: 0,
            bytes_total: 0,
            warnings: 0,
            error: None,
            agent: format!("bananactl {}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// Sets the error, reduced to one bounded line.
    pub fn with_error(mut self, msg: &str) -> Event {
        let line: String = msg
            .split(['\n', '\r'])
            .next()
            .unwrap_or_default()
            .chars()
            .take(MAX_ERROR)
            .collect();
        self.error = Some(line);
        self
    }
}

/// The signed envelope an event travels in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Format version, 1.
    pub v: u32,
    /// Node name (must match the key that signed).
    pub node: String,
    /// Send time, Unix seconds.
    pub timestamp: i64,
    /// 128-bit random nonce, hex.
    pub nonce: String,
    /// BLAKE3 of `body`, hex.
    pub body_hash: String,
    /// The event, JSON.
    pub body: String,
    /// Ed25519 signature, hex, over domain, node, timestamp, nonce, body hash.
    pub signature: String,
}

fn signed_bytes(node: &str, ts: i64, nonce: &str, body_hash: &str) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    for part in [
        node.as_bytes(),
        ts.to_string().as_bytes(),
        nonce.as_bytes(),
        body_hash.as_bytes(),
    ] {
        m.extend_from_slice(part);
        m.push(0);
    }
    m
}

/// Why the collector refuses an envelope (each maps to one HTTP status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Not an envelope, or not a valid event (400).
    Malformed(String),
    /// Signature does not verify under the named node's key (401).
    BadSignature,
    /// Timestamp outside the window (401).
    Expired,
}

impl Rejection {
    /// The HTTP status for it.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Malformed(_) => 400,
            Rejection::BadSignature | Rejection::Expired => 401,
        }
    }
}

/// Verifies an envelope signed by `key` (the key enrolled for `env.node`) at
/// collector time `now`, and returns its event. Replay of a nonce is the
/// store's to detect (it remembers nonces for the window).
pub fn verify(
    env: &Envelope,
    key: &VerifyingKey,
    now: i64,
) -> std::result::Result<Event, Rejection> {
    if env.v != 1 {
        return Err(Rejection::Malformed(format!(
            "unknown envelope version {}",
            env.v
        )));
    }
    if env.nonce.len() != 32 || !env.nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Rejection::Malformed("nonce must be 32 hex digits".into()));
    }
    if now.abs_diff(env.timestamp) > WINDOW_SECS as u64 {
        return Err(Rejection::Expired);
    }
    if blake3::hash(env.body.as_bytes()).to_hex().as_str() != env.body_hash {
        return Err(Rejection::BadSignature);
    }
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&env.signature, &mut sig).map_err(|_| Rejection::BadSignature)?;
    key.verify_strict(
        &signed_bytes(&env.node, env.timestamp, &env.nonce, &env.body_hash),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| Rejection::BadSignature)?;
    let event: Event =
        serde_json::from_str(&env.body).map_err(|e| Rejection::Malformed(format!("event: {e}")))?;
    if event
        .error
        .as_ref()
        .is_some_and(|e| e.chars().count() > MAX_ERROR || e.contains('\n'))
    {
        return Err(Rejection::Malformed("error must be one line".into()));
    }
    Ok(event)
}

const ENROL_DOMAIN: &[u8] = b"banana enrol v1\0";

/// A node's request to enrol its status key at the collector: it presents the
/// single-use code once, and proves it holds the private key by signing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// Format version, 1.
    pub v: u32,
    /// Node name.
    pub node: String,
    /// The node's Ed25519 public key, hex.
    pub public_key: String,
    /// The single-use enrolment code (`bananaui node add`).
    pub code: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// Ed25519 over domain, node, public key, timestamp and the code's hash, hex.
    pub signature: String,
}

/// The hash a collector keeps of an enrolment code (never the code).
pub fn code_hash(code: &str) -> String {
    blake3::hash(code.trim().as_bytes()).to_hex().to_string()
}

fn enrol_bytes(node: &str, public_key: &str, ts: i64, code_hash: &str) -> Vec<u8> {
    let mut m = ENROL_DOMAIN.to_vec();
    for part in [
        node.as_bytes(),
        public_key.as_bytes(),
        ts.to_string().as_bytes(),
        code_hash.as_bytes(),
    ] {
        m.extend_from_slice(part);
        m.push(0);
    }
    m
}

impl NodeIdentity {
    /// The signed request that enrols this identity for `node` with `code`.
    pub fn enrol_request(&self, node: &str, code: &str, now: i64) -> EnrolRequest {
        let public_key = self.public_hex();
        let sig = self
            .key
            .sign(&enrol_bytes(node, &public_key, now, &code_hash(code)));
        EnrolRequest {
            v: 1,
            node: node.to_owned(),
            public_key,
            code: code.trim().to_owned(),
            timestamp: now,
            signature: hex::encode(sig.to_bytes()),
        }
    }
}

/// Checks an enrolment request's proof of possession and window; returns the key.
/// Whether the code is right is the collector's to check (against its hash).
pub fn verify_enrol(req: &EnrolRequest, now: i64) -> std::result::Result<VerifyingKey, Rejection> {
    if req.v != 1 {
        return Err(Rejection::Malformed(format!(
            "unknown enrolment version {}",
            req.v
        )));
    }
    let key = parse_public(&req.public_key)
        .map_err(|_| Rejection::Malformed("public_key must be 64 hex digits".into()))?;
    if now.abs_diff(req.timestamp) > WINDOW_SECS as u64 {
        return Err(Rejection::Expired);
    }
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&req.signature, &mut sig).map_err(|_| Rejection::BadSignature)?;
    if key.is_weak() {
        return Err(Rejection::Malformed(
            "public_key is a weak (small-order) key".into(),
        ));
    }
    key.verify_strict(
        &enrol_bytes(
            &req.node,
            &req.public_key,
            req.timestamp,
            &code_hash(&req.code),
        ),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| Rejection::BadSignature)?;
    Ok(key)
}

/// Parses `30s`, `10m`, `1h`, `2d` (or plain seconds) into seconds.
pub fn parse_duration(s: &str) -> std::result::Result<u64, String> {
    let (num, unit) = s.split_at(s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len());
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration like 30s, 10m, 1h, 1d"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("'{s}': the unit must be s, m, h or d")),
    };
    n.checked_mul(mult)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("'{s}' is out of range"))
}

/// Parses a hex Ed25519 public key, as stored at enrolment.
pub fn parse_public(hexkey: &str) -> Result<VerifyingKey> {
    crate::envelope::parse_verify_key(hexkey)
}

/// Whether `url` is plain `http` to a host other than loopback (where an
/// enrolment code would cross the network in clear). Unparsable URLs count.
pub fn plain_http_off_host(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return true;
    };
    if u.scheme() != "http" {
        return false;
    }
    let host = u.host_str().unwrap_or_default();
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    match ip.parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_loopback(),
        Err(_) => !host.eq_ignore_ascii_case("localhost"),
    }
}

/// Sends envelopes to the collector over HTTP(S), each with a short timeout:
/// an unreachable or slow collector costs a run seconds, never the backup.
pub struct Sender {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    url: String,
    base: String,
}

impl Sender {
    /// A sender to `collector` (base URL), each request bounded by `timeout`.
    pub fn new(collector: &str, timeout: std::time::Duration) -> Result<Sender> {
        let base = collector.trim_end_matches('/');
        match reqwest::Url::parse(base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!("collector '{collector}' is not an http(s) URL"),
                ))
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("tokio runtime", e))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| Error::new(ErrorKind::Other, format!("HTTP client: {e}")))?;
        Ok(Sender {
            rt,
            http,
            url: format!("{base}/api/v1/status"),
            base: base.to_owned(),
        })
    }

    /// Presents an enrolment request; returns the HTTP status and the
    /// collector's answer (one line).
    pub fn enrol(&self, req: &EnrolRequest) -> Result<(u16, String)> {
        let call = self
            .http
            .post(format!("{}/api/v1/enrol", self.base))
            .json(req);
        self.rt
            .block_on(async {
                let r = call.send().await?;
                let status = r.status().as_u16();
                Ok::<_, reqwest::Error>((status, r.text().await.unwrap_or_default()))
            })
            .map_err(|e| Error::new(ErrorKind::Io, format!("collector {}: {e}", self.base)))
    }

    /// Posts one envelope.
    pub fn send(&self, env: &Envelope) -> Delivery {
        self.send_within(env, None)
    }

    /// Posts one envelope, giving up after `limit` (at most the client's timeout).
    pub fn send_within(&self, env: &Envelope, limit: Option<std::time::Duration>) -> Delivery {
        let mut req = self.http.post(&self.url).json(env);
        if let Some(l) = limit {
            req = req.timeout(l);
        }
        let status = self
            .rt
            .block_on(async { req.send().await.map(|r| r.status().as_u16()) });
        match status {
            Ok(s) if (200..300).contains(&s) || s == 409 => Delivery::Accepted,
            // 401/403: not enrolled at the collector yet, or a clock off; kept
            // (the spool is bounded) rather than lost.
            Ok(401 | 403 | 408 | 429) | Ok(500..) | Err(_) => Delivery::Retry,
            Ok(_) => Delivery::Refused,
        }
    }
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Stored by the collector (or it already had it).
    Accepted,
    /// Refused for good (malformed, unknown node): dropped from the spool.
    Refused,
    /// Not now (down, busy, out of time): kept, with everything after it.
    Retry,
}

/// The node-local queue of events not yet delivered: one file per event,
/// delivered oldest first, bounded (the oldest are dropped beyond `max`).
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max: usize,
}

impl Spool {
    /// Opens (creating, mode 0700) the spool at `dir`, holding at most `max` events.
    pub fn open(dir: &Path, max: usize) -> Result<Spool> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("status spool {}", dir.display()), e))?;
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        Ok(Spool {
            dir: dir.to_owned(),
            max: max.max(1),
        })
    }

    /// Queues an event (atomically: temp file, then rename); drops the oldest
    /// beyond the bound and returns how many were dropped.
    pub fn push(&self, event: &Event) -> Result<usize> {
        // Named by the enqueue time in nanoseconds: the spool's order is the
        // order events happened, even within one second.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!("{nanos:024}-{}.json", event.id);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let err = |e| Error::io(format!("status spool {}", self.dir.display()), e);
        let bytes =
            serde_json::to_vec(event).map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
        std::fs::write(&tmp, bytes).map_err(err)?;
        std::fs::rename(&tmp, self.dir.join(name)).map_err(err)?;
        let pending = self.names()?;
        let excess = pending.len().saturating_sub(self.max);
        for old in &pending[..excess] {
            let _ = std::fs::remove_file(self.dir.join(old));
        }
        Ok(excess)
    }

    fn names(&self) -> Result<Vec<String>> {
        let mut v: Vec<String> = std::fs::read_dir(&self.dir)
            .map_err(|e| Error::io(format!("status spool {}", self.dir.display()), e))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect();
        v.sort();
        Ok(v)
    }

    /// Events waiting, oldest first (unreadable files are skipped and removed).
    pub fn pending(&self) -> Result<Vec<(String, Event)>> {
        let mut out = Vec::new();
        for n in self.names()? {
            let p = self.dir.join(&n);
            match std::fs::read(&p)
                .ok()
                .and_then(|b| serde_json::from_slice::<Event>(&b).ok())
            {
                Some(e) => out.push((n, e)),
                None => {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        Ok(out)
    }

    /// Delivers waiting events in order with `send`, until one must be
    /// retried (it is kept, as is everything after it, so order holds).
    /// Returns (delivered, dropped as refused).
    pub fn deliver(&self, mut send: impl FnMut(&Event) -> Delivery) -> Result<(usize, usize)> {
        let (mut delivered, mut dropped) = (0, 0);
        for (name, event) in self.pending()? {
            match send(&event) {
                Delivery::Retry => break,
                outcome => {
                    let _ = std::fs::remove_file(self.dir.join(&name));
                    if outcome == Delivery::Accepted {
                        delivered += 1;
                    } else {
                        dropped += 1;
                    }
                }
            }
        }
        Ok((delivered, dropped))
    }
}

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
    fn sealed_envelopes_verify_and_tampering_fails() {
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
        let env = a.seal("node-a", &event(now), now);
        let ev = verify(&env, &ka, now + 10).unwrap();
        assert_eq!(ev.error.as_deref(), Some("disk full"), "one line");
        // B signing as A, a changed body, a changed name, stale and future times.
        assert_eq!(
            verify(&b.seal("node-a", &event(now), now), &ka, now),
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
        let mut env = a.seal("n", &event(now), now);
        env.nonce = "xyz".into();
        assert!(matches!(
            verify(&env, &ka, now),
            Err(Rejection::Malformed(_))
        ));
        assert!(serde_json::from_str::<Envelope>(r#"{"v":1,"extra":1}"#).is_err());
    }
}
