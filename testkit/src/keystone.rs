//! A real OpenStack Keystone (identity v3) for tests: Debian's `keystone`
//! 22, its SQLite database and fernet keys in a temporary directory, served
//! by the package's `keystone-wsgi-public` on a free loopback port; one per
//! test process, started on first use (`scripts/services.sh install`
//! installs it). Without it a test skips, except under `CI=true`, where
//! [`server`] panics.
//!
//! Bootstrapped with user `admin` (project `admin`); then project
//! [`PROJECT`], the [`USERS`] with role `member` on it, and the [`REGIONS`].
//! Tokens live a day, so no test depends on how fast the machine is: a test
//! that needs a token to stop working revokes it ([`KeystoneServer::revoke`]),
//! and [`KeystoneServer::tap`] is an address in front of Keystone that
//! records the tokens it hands out, so a test can revoke a client's token.
//! [`super::swift::behind_keystone`] puts Swift behind it.

pub(crate) use crate::procs::wait_until;
use crate::procs::{free_port, installed, scratch_dir, spawn_parked, Proc};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The password of `admin` (project `admin`, role `admin`).
pub const ADMIN_PASSWORD: &str = "bananaadmin";
/// The project of the test users (Swift account `AUTH_<its id>`).
pub const PROJECT: &str = "banana";
/// The password of every test user.
pub const PASSWORD: &str = "bananapass";
/// Users with role `member` on [`PROJECT`]: `agent`, and `renew`, whose
/// tokens only the renewal test revokes.
pub const USERS: [&str; 2] = ["agent", "renew"];
/// The regions: `RegionOne` (bootstrapped) and two more.
pub const REGIONS: [&str; 3] = ["RegionOne", "RegionTwo", "RegionThree"];
/// A bound on one request (a hung server fails the test instead of hanging it).
const REQUEST_BOUND: Duration = Duration::from_secs(120);

/// The running server.
pub struct KeystoneServer {
    /// `127.0.0.1:PORT` (the API under `/v3`).
    pub addr: String,
    /// The id of [`PROJECT`].
    pub project_id: String,
    /// `admin`'s token (it lives a day).
    admin_token: String,
    tap: Tap,
}

/// The shared server; `None` (skip) when Keystone is not installed.
pub fn server() -> Option<&'static KeystoneServer> {
    static S: OnceLock<Option<KeystoneServer>> = OnceLock::new();
    S.get_or_init(start).as_ref()
}

fn start() -> Option<KeystoneServer> {
    if !crate::require(
        "Keystone",
        installed(&["keystone-manage", "keystone-wsgi-public"]),
    ) {
        return None;
    }
    let started = Instant::now();
    let dir = scratch_dir("banana-keystone", &|_| ());
    let port = free_port();
    let conf = write_config(&dir);
    manage(&dir, &conf, &["db_sync"]);
    wal(&dir);
    // The server imports Keystone (seconds of Python) while bootstrap runs.
    let pids = spawn_parked(
        "keystone",
        &dir.join("log"),
        vec![Proc {
            name: "keystone",
            argv: ["keystone-wsgi-public", "--host", "127.0.0.1", "--port"]
                .iter()
                .map(|a| (*a).to_owned())
                .chain([port.to_string()])
                .collect(),
            env: vec![("OS_KEYSTONE_CONFIG_FILES".into(), conf.clone())],
        }],
    );
    let url = format!("http://127.0.0.1:{port}/v3/");
    manage(
        &dir,
        &conf,
        &[
            "bootstrap",
            "--bootstrap-password",
            ADMIN_PASSWORD,
            "--bootstrap-region-id",
            REGIONS[0],
            "--bootstrap-public-url",
            &url,
            "--bootstrap-internal-url",
            &url,
            "--bootstrap-admin-url",
            &url,
        ],
    );
    let addr = format!("127.0.0.1:{port}");
    wait_until("Keystone", &dir, &pids, || {
        http(&addr, "GET", "/v3", &[], None).is_ok_and(|r| r.status == 200)
    });
    let admin_token = token_of(&addr, "admin", ADMIN_PASSWORD, "admin").expect("admin token");
    let mut k = KeystoneServer {
        tap: Tap::start(addr.parse().expect("addr")),
        addr,
        project_id: String::new(),
        admin_token,
    };
    k.project_id = k.populate();
    eprintln!("Keystone ready in {:?}", started.elapsed());
    Some(k)
}

/// `DIR/keystone.conf` (SQLite, fernet tokens living a day) and the key
/// repositories; returns the file's path.
fn write_config(dir: &Path) -> String {
    let d = dir.display();
    let conf = format!(
        "[DEFAULT]\nlog_dir = {d}/log\n[database]\nconnection = sqlite:///{d}/keystone.db\n\
         [token]\nprovider = fernet\nexpiration = 86400\n\
         [fernet_tokens]\nkey_repository = {d}/fernet\n\
         [fernet_receipts]\nkey_repository = {d}/fernet-r\n\
         [credential]\nkey_repository = {d}/cred\n"
    );
    // What `keystone-manage fernet_setup` and `credential_setup` write (a
    // staged key 0 and a primary key 1), without two more Python start-ups.
    for repo in ["fernet", "fernet-r", "cred"] {
        let r = dir.join(repo);
        std::fs::create_dir_all(&r).expect("key repository");
        std::fs::set_permissions(&r, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        for n in ["0", "1"] {
            std::fs::write(r.join(n), fernet_key()).expect("key");
        }
    }
    let path = dir.join("keystone.conf");
    std::fs::write(&path, conf).expect("keystone.conf");
    path.display().to_string()
}

/// A Fernet key: 32 random bytes, URL-safe base64.
fn fernet_key() -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes: [u8; 33] = std::array::from_fn(|i| if i < 32 { rand::random() } else { 0 });
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(ABC[((n >> shift) & 63) as usize]));
        }
    }
    out.truncate(43);
    out + "="
}

/// `keystone-manage --config-file CONF ARGS`, logged to `log/setup.log`.
/// It prints eventlet tracebacks at exit; its status is what counts.
fn manage(dir: &Path, conf: &str, args: &[&str]) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("log/setup.log"))
        .expect("setup log");
    // `timeout`: a hung keystone-manage fails the test instead of hanging it.
    let ok = Command::new("timeout")
        .args(["300", "keystone-manage", "--config-file", conf])
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "keystone-manage {args:?} failed; see {}",
        dir.join("log/setup.log").display()
    );
}

/// Puts the database in WAL mode (it stays so). In SQLite's default mode a
/// region created through the API waits on a read Keystone left open in the
/// same request, and fails after 5 s with "database is locked" (seen with
/// Keystone 22 on the second or third region); in WAL mode readers do not
/// block the writer.
fn wal(dir: &Path) {
    let db = dir.join("keystone.db");
    let out = Command::new("/usr/bin/python3")
        .args(["-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL').fetchone()[0])"])
        .arg(&db)
        .stdin(Stdio::null())
        .output()
        .expect("python3");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "wal",
        "{out:?}"
    );
}

/// An answer: status, `X-Subject-Token`, JSON body (`null` if none).
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// `X-Subject-Token`, when Keystone issued a token.
    pub token: Option<String>,
    /// The body.
    pub body: Value,
}

/// One request to `http://ADDR/PATH`.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Answer, String> {
    let rt = common::backend::runtime().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = reqwest::Client::new()
            .request(method, format!("http://{addr}{path}"))
            .timeout(REQUEST_BOUND);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await.map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        let token = r
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = r.bytes().await.map_err(|e| e.to_string())?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            token,
            body,
        })
    })
}

/// A token of `user` scoped to `project` (both in domain `Default`), or the
/// status Keystone refused with.
fn token_of(addr: &str, user: &str, password: &str, project: &str) -> Result<String, u16> {
    let req = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}});
    let a = http(addr, "POST", "/v3/auth/tokens", &[], Some(&req)).expect("Keystone");
    match (a.status, a.token) {
        (201, Some(t)) => Ok(t),
        (s, _) => Err(s),
    }
}

impl KeystoneServer {
    /// A token of `user` (password `password`) scoped to [`PROJECT`].
    pub fn token(&self, user: &str, password: &str) -> Result<String, u16> {
        token_of(&self.addr, user, password, PROJECT)
    }

    /// A request as `admin`; its body, the request failing on any status
    /// but 2xx.
    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let a = http(
            &self.addr,
            method,
            path,
            &[("X-Auth-Token", &self.admin_token)],
            body.as_ref(),
        )
        .expect("Keystone");
        assert!(
            (200..300).contains(&a.status),
            "{method} {path}: {} {}",
            a.status,
            a.body
        );
        a.body
    }

    /// Revokes `token` (`DELETE /v3/auth/tokens`): Keystone refuses it from
    /// now on. A service that caches validations still takes it until its
    /// cache is emptied (see [`super::swift::KeystoneSwift::revoke`]).
    pub fn revoke(&self, token: &str) {
        let a = http(
            &self.addr,
            "DELETE",
            "/v3/auth/tokens",
            &[
                ("X-Auth-Token", &self.admin_token),
                ("X-Subject-Token", token),
            ],
            None,
        )
        .expect("Keystone");
        assert_eq!(a.status, 204, "revoking a token: {}", a.body);
    }

    /// `127.0.0.1:PORT` in front of Keystone that records every token it
    /// hands out ([`KeystoneServer::issued`]); otherwise Keystone itself.
    pub fn tap(&self) -> String {
        self.tap.addr.to_string()
    }

    /// The tokens issued through [`KeystoneServer::tap`], oldest first.
    pub fn issued(&self) -> Vec<String> {
        self.tap
            .issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Project, users, role assignments and regions; returns the project's id.
    fn populate(&self) -> String {
        let p = self.admin(
            "POST",
            "/v3/projects",
            Some(json!({"project": {"name": PROJECT, "domain_id": "default"}})),
        );
        let project = p["project"]["id"].as_str().expect("project id").to_owned();
        let roles = self.admin("GET", "/v3/roles?name=member", None);
        let member = roles["roles"][0]["id"].as_str().expect("role member");
        for u in USERS {
            let user = self.admin(
                "POST",
                "/v3/users",
                Some(json!({"user": {"name": u, "domain_id": "default",
                    "password": PASSWORD, "default_project_id": project}})),
            );
            let id = user["user"]["id"].as_str().expect("user id");
            self.admin(
                "PUT",
                &format!("/v3/projects/{project}/users/{id}/roles/{member}"),
                None,
            );
        }
        for r in &REGIONS[1..] {
            self.admin("POST", "/v3/regions", Some(json!({"region": {"id": r}})));
        }
        project
    }
}

/// A recording front: one request per connection, passed to Keystone with
/// `Connection: close`; the `X-Subject-Token` of each answer is kept.
struct Tap {
    addr: SocketAddr,
    issued: Arc<Mutex<Vec<String>>>,
}

impl Tap {
    fn start(upstream: SocketAddr) -> Tap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let issued = Arc::new(Mutex::new(Vec::new()));
        let keep = issued.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let keep = keep.clone();
                std::thread::spawn(move || {
                    let _ = relay(conn, upstream, &keep);
                });
            }
        });
        Tap { addr, issued }
    }
}

fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    issued: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(REQUEST_BOUND))?;
    let mut req = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let (head_len, body_len) = loop {
        let n = client.read(&mut buf)?;
        if n == 0 || req.len() > 1 << 20 {
            return Ok(());
        }
        req.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&req, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&req[..end]);
            let len = header(&head, "content-length").map_or(0, |v| v.parse().unwrap_or(0));
            break (end + 4, len);
        }
    };
    while req.len() < head_len + body_len {
        let n = client.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        req.extend_from_slice(&buf[..n]);
    }
    let mut up = TcpStream::connect(upstream)?;
    up.set_read_timeout(Some(REQUEST_BOUND))?;
    up.write_all(&closing(&req[..head_len]))?;
    up.write_all(&req[head_len..])?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    let split = find(&answer, b"\r\n\r\n").map_or(answer.len(), |i| i + 4);
    if let Some(t) = header(
        &String::from_utf8_lossy(&answer[..split]),
        "x-subject-token",
    ) {
        issued.lock().unwrap_or_else(|p| p.into_inner()).push(t);
    }
    client.write_all(&closing(&answer[..split]))?;
    client.write_all(&answer[split..])
}

/// A message head with `Connection: close` instead of its own.
fn closing(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out: String = text
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

fn header(head: &str, name: &str) -> Option<String> {
    head.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
