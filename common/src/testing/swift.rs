//! A real OpenStack Swift for tests: Debian's swift 2.30 (proxy, object,
//! container and account servers, tempauth, memcached), one replica on one
//! device in a temporary directory, on free loopback ports; one per test
//! process, started on first use (`scripts/services.sh install` installs the
//! packages). Without it a test skips, except under `CI=true`, where
//! [`server`] panics.
//!
//! Users (tempauth, account `AUTH_banana`): `banana:agent`, and
//! `banana:faulty`, whose storage URL points at a [`FaultProxy`] in front of
//! the proxy server, so a test can inject faults below the retry layer on
//! every request of a run; `banana:canary`, whose key is random; and
//! `banana:node1`, `banana:node2`, `banana:reaper`, who own nothing (what
//! they may do is what container ACLs grant). Tokens live [`TOKEN_LIFE`]
//! seconds, so runs renew them.

use super::procs::{free_port, installed, scratch_dir, spawn_parked, Proc};
use super::proxy::{FaultProxy, Rates};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Seconds a tempauth token is valid.
pub const TOKEN_LIFE: u64 = 3;
/// The key of both test users.
pub const KEY: &str = "bananapass";

/// The running servers.
pub struct SwiftServer {
    /// `127.0.0.1:PORT` of the proxy server (auth at `/auth/v1.0`).
    pub addr: String,
    /// The object device (to look for plaintext in stored bytes).
    pub devices: PathBuf,
    /// The proxy in front of it for `banana:faulty` (no faults until set).
    pub faults: FaultProxy,
    /// The key of `banana:canary`, random per server: a test that hands it
    /// to a node can look for it where it must never appear.
    pub canary_key: String,
    /// Ports of the object, container and account servers.
    backends: [u16; 3],
}

/// The shared server; `None` (skip) when Swift is not installed.
pub fn server() -> Option<&'static SwiftServer> {
    static S: OnceLock<Option<SwiftServer>> = OnceLock::new();
    S.get_or_init(start).as_ref()
}

fn start() -> Option<SwiftServer> {
    if !installed(&["swift-proxy-server", "swift-ring-builder", "memcached"]) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Swift is required in CI (scripts/services.sh install)"
        );
        eprintln!("skipping: Swift not installed (scripts/services.sh install)");
        return None;
    }
    let dir = scratch_dir("banana-swift", &|_| ());
    let [proxy, object, container, account, memcached] = [(); 5].map(|_| free_port());
    let faults = FaultProxy::start(
        format!("127.0.0.1:{proxy}").parse().expect("addr"),
        Rates::default(),
        11,
    );
    let ports = Ports {
        proxy,
        object,
        container,
        account,
        memcached,
    };
    let canary_key = format!("canary{:016x}", rand::random::<u64>());
    write_config(&dir, &ports, &faults.addr().to_string(), &canary_key);
    let arg = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let mc = memcached.to_string();
    let mut procs = vec![Proc {
        name: "memcached",
        argv: arg(&[
            "memcached",
            "-l",
            "127.0.0.1",
            "-p",
            &mc,
            "-U",
            "0",
            "-m",
            "64",
            "-u",
            "root",
        ]),
        env: vec![],
    }];
    for n in ["account", "container", "object", "proxy"] {
        let conf = dir.join(format!("etc/{n}-server.conf"));
        procs.push(Proc {
            name: n,
            argv: vec![
                format!("swift-{n}-server"),
                conf.display().to_string(),
                "-v".into(),
            ],
            env: vec![],
        });
    }
    spawn_parked("swift", &dir.join("log"), procs);
    let s = SwiftServer {
        addr: format!("127.0.0.1:{proxy}"),
        devices: dir.join("srv"),
        faults,
        canary_key,
        backends: [object, container, account],
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while !s.ready() {
        assert!(
            Instant::now() < deadline,
            "Swift did not start; logs in {}",
            dir.join("log").display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Some(s)
}

struct Ports {
    proxy: u16,
    object: u16,
    container: u16,
    account: u16,
    memcached: u16,
}

fn write_config(dir: &Path, p: &Ports, faulty: &str, canary: &str) {
    let etc = dir.join("etc");
    std::fs::create_dir_all(dir.join("srv/d1")).expect("device");
    std::fs::create_dir_all(&etc).expect("etc");
    let w = |name: &str, text: String| std::fs::write(etc.join(name), text).expect("config");
    w(
        "swift.conf",
        "[swift-hash]\nswift_hash_path_suffix = banana-test\nswift_hash_path_prefix = banana-test\n\
         [storage-policy:0]\nname = Policy-0\ndefault = yes\n"
            .into(),
    );
    for (n, port) in [
        ("account", p.account),
        ("container", p.container),
        ("object", p.object),
    ] {
        w(
            &format!("{n}-server.conf"),
            format!(
                "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\nuser = root\n\
                 swift_dir = {etc}\ndevices = {srv}\nmount_check = false\nlog_name = {n}-server\n\
                 [pipeline:main]\npipeline = healthcheck {n}-server\n[app:{n}-server]\nuse = egg:swift#{n}\n\
                 [filter:healthcheck]\nuse = egg:swift#healthcheck\n",
                etc = etc.display(),
                srv = dir.join("srv").display()
            ),
        );
        let ring = |args: &[&str]| {
            let ok = Command::new("swift-ring-builder")
                .current_dir(&etc)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success() || args.get(1) == Some(&"rebalance"));
            assert!(ok, "swift-ring-builder {args:?}");
        };
        let builder = format!("{n}.builder");
        ring(&[&builder, "create", "8", "1", "1"]);
        ring(&[&builder, "add", &format!("r1z1-127.0.0.1:{port}/d1"), "1"]);
        ring(&[&builder, "rebalance"]);
    }
    w(
        "proxy-server.conf",
        format!(
            "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\nuser = root\nswift_dir = {etc}\n\
             log_name = proxy-server\n[pipeline:main]\n\
             pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempauth copy versioned_writes proxy-logging proxy-server\n\
             [app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\nallow_account_management = true\n\
             [filter:tempauth]\nuse = egg:swift#tempauth\ntoken_life = {life}\n\
             user_banana_agent = {KEY} .admin\n\
             user_banana_faulty = {KEY} .admin http://{faulty}/v1/AUTH_banana\n\
             user_banana_canary = {canary} .admin\n\
             user_banana_node1 = {KEY}\nuser_banana_node2 = {KEY}\nuser_banana_reaper = {KEY}\n\
             [filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:{mc}\n\
             [filter:catch_errors]\nuse = egg:swift#catch_errors\n[filter:gatekeeper]\nuse = egg:swift#gatekeeper\n\
             [filter:healthcheck]\nuse = egg:swift#healthcheck\n[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n\
             [filter:listing_formats]\nuse = egg:swift#listing_formats\n[filter:bulk]\nuse = egg:swift#bulk\n\
             [filter:copy]\nuse = egg:swift#copy\n[filter:versioned_writes]\nuse = egg:swift#versioned_writes\n\
             allow_versioned_writes = true\n",
            port = p.proxy,
            etc = etc.display(),
            life = TOKEN_LIFE,
            mc = p.memcached,
        ),
    );
}

impl SwiftServer {
    /// Every server answers its healthcheck and tempauth gives a token.
    fn ready(&self) -> bool {
        let auth = format!("http://{}/auth/v1.0", self.addr);
        let Ok(rt) = crate::backend::runtime() else {
            return false;
        };
        rt.block_on(async {
            let c = reqwest::Client::new();
            for p in self.backends {
                let up = c
                    .get(format!("http://127.0.0.1:{p}/healthcheck"))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if !up {
                    return false;
                }
            }
            c.get(&auth)
                .header("X-Auth-User", "banana:agent")
                .header("X-Auth-Key", KEY)
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
    }

    /// The location of `prefix` in a new container (named after `hint`),
    /// for `user` (`agent` or `faulty`).
    pub fn location(&self, hint: &str, prefix: &str) -> String {
        let clean: String = hint
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(30)
            .collect();
        format!(
            "swift://{}/t-{clean}-{:08x}/{prefix}?auth=v1&tls=false",
            self.addr,
            rand::random::<u32>()
        )
    }

    /// The environment a node without Vault uses for `user`.
    pub fn env(&self, user: &str) -> Vec<(String, String)> {
        vec![
            ("ST_USER".into(), format!("banana:{user}")),
            ("ST_KEY".into(), KEY.into()),
        ]
    }
}

impl SwiftServer {
    /// One request as `banana:USER` to `/v1/AUTH_banana/PATH`: the status
    /// and the body.
    pub fn request(
        &self,
        user: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let rt = crate::backend::runtime().expect("runtime");
        rt.block_on(async {
            let c = reqwest::Client::new();
            let auth = c
                .get(format!("http://{}/auth/v1.0", self.addr))
                .header("X-Auth-User", format!("banana:{user}"))
                .header("X-Auth-Key", KEY)
                .send()
                .await
                .expect("auth");
            let token = auth.headers()["x-auth-token"].clone();
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut req = c
                .request(
                    method,
                    format!("http://{}/v1/AUTH_banana/{path}", self.addr),
                )
                .header("X-Auth-Token", token)
                .body(body.to_vec());
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let r = req.send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.bytes().await.expect("body").to_vec())
        })
    }
}
