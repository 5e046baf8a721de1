//! A real `bananaui serve` on a free loopback port with its own data
//! directory, a plain HTTP/1.1 client, enrolled test identities, and real
//! `bananactl` nodes reporting to it.

use proto::status::{Envelope, Event, NodeIdentity, RunResult};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn bananaui() -> &'static str {
    env!("CARGO_BIN_EXE_bananaui")
}

/// `bananactl`, built next to `bananaui` by `cargo test --workspace`.
pub fn bananactl() -> PathBuf {
    let p = Path::new(bananaui()).with_file_name("bananactl");
    assert!(
        p.exists(),
        "{} missing: run 'cargo build --workspace' first",
        p.display()
    );
    p
}

pub fn now() -> i64 {
    proto::unix_now()
}

/// How long a wait for something the tower or a node does may last: a
/// bound that ends a hang, never a deadline a loaded machine has to meet.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Held by the tests that load the machine (kill -9 under load, thousands of
/// connections) and by those that measure time (P7 budgets, heartbeats,
/// alert grace, the TUI banner), so that one never runs beside the other on
/// these 2-core machines; light tests still run in parallel.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Raises this process's open-file limit (the limits test opens thousands).
pub fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    }
}

pub struct Tower {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    child: Option<Child>,
    pub log: Arc<Mutex<String>>,
}

impl Tower {
    /// Starts a collector with `config` (TOML) added to test defaults.
    pub fn start(config: &str) -> Tower {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bananaui.toml"), config).unwrap();
        let mut t = Tower {
            dir,
            addr: "127.0.0.1:1".parse().unwrap(),
            child: None,
            log: Arc::new(Mutex::new(String::new())),
        };
        t.launch("127.0.0.1:0");
        t
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn launch(&mut self, listen: &str) {
        let mut child = Command::new(bananaui())
            .args(["serve", "--listen", listen, "--data"])
            .arg(self.data())
            .arg("--config")
            .arg(self.dir.path().join("bananaui.toml"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(a) = line.split("listening on ").nth(1) {
                    let _ = tx.send(a.split(' ').next().unwrap_or_default().to_owned());
                }
                log.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        // Bounded, not a deadline: a collector that exits ends its log,
        // which ends the wait at once.
        let addr = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| {
                panic!("bananaui serve did not start: {}", self.log.lock().unwrap())
            });
        self.addr = addr.parse().unwrap();
        self.child = Some(child);
    }

    /// Starts it again on the same data directory (any free port).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        self.launch("127.0.0.1:0");
    }

    /// Starts it again on the same address.
    pub fn restart_same_port(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        let a = self.addr.to_string();
        self.launch(&a);
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// kill -9, and wait for it to be gone.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Opens the store of a stopped collector.
    pub fn store(&self) -> bananaui::collector::store::Store {
        assert!(self.child.is_none(), "stop it first");
        bananaui::collector::store::Store::open(&self.data()).unwrap()
    }

    /// A single-use enrolment code for `node`.
    pub fn code(&self, node: &str, extra: &[&str]) -> String {
        let out = Command::new(bananaui())
            .args(["node", "add", node, "--data"])
            .arg(self.data())
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        text.split_whitespace().nth(1).unwrap().to_owned()
    }

    /// Enrols a fresh in-memory identity as `node`.
    pub fn enrol(&self, node: &str) -> NodeIdentity {
        let id = NodeIdentity::generate();
        let code = self.code(node, &[]);
        let req = id.enrol_request(node, &code, now());
        let (s, b) = self.post("/api/v1/enrol", &serde_json::to_vec(&req).unwrap());
        assert_eq!(s, 201, "{b}");
        id
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        request(
            self.addr,
            &format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes(),
        )
    }

    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let (s, b) = self.get(path);
        assert_eq!(s, 200, "{path}: {b}");
        serde_json::from_str(&b).unwrap()
    }

    pub fn post(&self, path: &str, body: &[u8]) -> (u16, String) {
        post(self.addr, path, body, &[])
    }

    /// GETs `path` and decodes it into the typed API struct `T`, asserting
    /// that nothing was lost or added: re-encoding the struct gives back the
    /// exact answer, so a field the server writes that `T` does not know (or
    /// one `T` expects and the server no longer writes) fails here.
    pub fn exact<T: serde::de::DeserializeOwned + serde::Serialize>(&self, path: &str) -> T {
        let raw = self.get_json(path);
        let typed: T = serde_json::from_value(raw.clone())
            .unwrap_or_else(|e| panic!("{path} does not decode: {e}\n{raw}"));
        let again = serde_json::to_value(&typed).unwrap();
        assert_eq!(
            again, raw,
            "{path}: the typed struct does not round-trip the answer"
        );
        typed
    }

    /// Counter value from /metrics (0 when absent).
    pub fn metric(&self, line_prefix: &str) -> f64 {
        let (_, m) = self.get("/metrics");
        m.lines()
            .find(|l| l.starts_with(line_prefix) && l[line_prefix.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// Waits until `f` holds, for at most [`PATIENCE`].
    pub fn wait_for(&self, what: &str, mut f: impl FnMut() -> bool) {
        let end = Instant::now() + PATIENCE;
        while Instant::now() < end {
            if f() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{what}: not within {PATIENCE:?}; log:\n{}",
            self.log.lock().unwrap()
        );
    }
}

impl Drop for Tower {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// POSTs `body` with extra header lines.
pub fn post(addr: SocketAddr, path: &str, body: &[u8], headers: &[&str]) -> (u16, String) {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    request(addr, &bytes)
}

/// Sends raw bytes, returns (status, body); status 0 when the connection
/// failed or closed without an answer. The timeouts end a hung tower, not a
/// slow one on a loaded machine.
pub fn request(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(60)) else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.set_write_timeout(Some(PATIENCE)).unwrap();
    let _ = s.write_all(raw);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse_response(&out)
}

pub fn parse_response(out: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(out);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or_default();
    (status, body.to_owned())
}

/// A finished event for `job`.
pub fn finished(job: &str, result: RunResult, total: u64) -> Event {
    testkit::finished(job, result, total, now())
}

pub fn signed(id: &NodeIdentity, node: &str, e: &Event) -> Vec<u8> {
    serde_json::to_vec(&id.sign(node, e, now())).unwrap()
}

pub fn envelope(id: &NodeIdentity, node: &str, e: &Event, ts: i64) -> Envelope {
    id.sign(node, e, ts)
}

/// A throwaway node whose `failed` alert shows that the housekeeper has
/// caught up, where a test has to show that something did *not* happen
/// (no new notification, an alert still firing): a clock would only guess
/// how long the tower needs on a loaded machine.
pub struct Probe {
    name: &'static str,
    id: NodeIdentity,
}

impl Probe {
    /// Enrols node `zz-probe`.
    pub fn new(t: &Tower) -> Probe {
        let name = "zz-probe";
        Probe {
            id: t.enrol(name),
            name,
        }
    }

    fn fires(&self, t: &Tower) -> bool {
        t.get_json("/api/v1/alerts")["firing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["node"] == self.name && a["rule"] == "failed")
    }

    fn notified(&self, hook: &testkit::Receiver, state: &str) -> usize {
        hook.json()
            .iter()
            .filter(|m| {
                m["alert"]["node"] == self.name
                    && m["alert"]["rule"] == "failed"
                    && m["alert"]["state"] == state
            })
            .count()
    }

    fn send(&self, t: &Tower, result: RunResult) {
        let ev = finished("probe", result, 1);
        let (s, b) = t.post("/api/v1/status", &signed(&self.id, self.name, &ev));
        assert_eq!(s, 200, "{b}");
    }

    /// Returns once the housekeeper has evaluated the alert rules over
    /// everything the tower held when it was called and, with `hook`, once
    /// that webhook got every notification of those evaluations. The probe
    /// reports a failed run, stored before this returns: the tick that fires
    /// its alert read the store after everything before it. Then a good run
    /// resolves it: a notifier sends in order, so the resolution reaches
    /// `hook` after every notification of the tick that fired it. The probe
    /// fires nothing afterwards.
    pub fn settle(&self, t: &Tower, hook: Option<&testkit::Receiver>) {
        let before = hook.map(|h| (self.notified(h, "firing"), self.notified(h, "resolved")));
        self.send(t, RunResult::Failed);
        t.wait_for("the probe's alert fires", || self.fires(t));
        self.send(t, RunResult::Success);
        t.wait_for("the probe's alert resolves", || !self.fires(t));
        if let (Some(h), Some((fired, resolved))) = (hook, before) {
            t.wait_for("the probe's notifications", || {
                self.notified(h, "firing") > fired && self.notified(h, "resolved") > resolved
            });
        }
    }
}

/// A node running the real agent: its own repository, key and state.
pub struct Agent {
    pub dir: tempfile::TempDir,
    env: Vec<(String, std::ffi::OsString)>,
}

/// The agents' config: time enough to deliver each event on a loaded
/// machine (the 3 s default is what P7's tests measure; they set it back).
pub const LOADED: &str = "status_budget = \"60s\"\n";

impl Agent {
    /// Inits a repository and enrols at `tower` as `name`.
    pub fn new(tower: &Tower, name: &str) -> Agent {
        Agent::with(tower, name, &tower.url(), &[])
    }

    /// Same, reaching the tower at `url`, with extra environment for every run.
    pub fn with(tower: &Tower, name: &str, url: &str, env: &[(&str, &std::ffi::OsStr)]) -> Agent {
        let a = Agent {
            dir: tempfile::tempdir().unwrap(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        std::fs::write(a.dir.path().join("empty.toml"), LOADED).unwrap();
        a.ok(&["init"]);
        let code = tower.code(name, &[]);
        a.ok(&[
            "enroll",
            "--node",
            name,
            "--collector",
            url,
            "--collector-code",
            &code,
        ]);
        a
    }

    /// Back to the default status budget (3 s), for the tests of P7.
    pub fn default_budget(&self) {
        std::fs::write(self.dir.path().join("empty.toml"), "").unwrap();
    }

    /// A command without this agent's extra environment.
    pub fn cmd_env(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = self.base(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.base(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn base(&self, args: &[&str]) -> Command {
        let d = self.dir.path();
        let mut c = Command::new(bananactl());
        c.arg("--repo")
            .arg(d.join("repo"))
            .arg("--key-file")
            .arg(d.join("key.json"))
            .arg("--state-dir")
            .arg(d.join("state"))
            .args(args)
            .env("BANANA_CONFIG", d.join("empty.toml"))
            .env_remove("BANANA_COLLECTOR")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd(args).output().unwrap()
    }

    /// [`Agent::run`] killed and failed after `bound`, for a run whose bug
    /// would be a hang.
    pub fn run_within(&self, args: &[&str], bound: Duration) -> std::process::Output {
        let mut child = self
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let end = Instant::now() + bound;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > end {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "bananactl {args:?} still running after {bound:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> std::process::Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "bananactl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Backs up a small directory as `job`, expected every `every`.
    pub fn backup(&self, job: &str, every: &str) -> std::process::Output {
        let src = self.dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("f"), format!("data {}", now())).unwrap();
        self.run(&[
            "backup",
            src.to_str().unwrap(),
            "--job",
            job,
            "--every",
            every,
        ])
    }

    /// A run of `job` that fails (its source does not exist).
    pub fn failing(&self, job: &str, every: &str) -> std::process::Output {
        let missing = self.dir.path().join("missing");
        self.run(&[
            "backup",
            missing.to_str().unwrap(),
            "--job",
            job,
            "--every",
            every,
        ])
    }
}
