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
//! every request of a run; `banana:canary`, whose key is random;
//! `banana:node1`, `banana:node2`, `banana:reaper`, who own nothing (what
//! they may do is what container ACLs grant); and `banana:renew`, whose
//! token only the renewal test expires.
//!
//! Tokens live a day, so no test depends on how fast the machine is: a test
//! that needs a token to stop working expires it
//! ([`SwiftServer::expire_token`]). [`behind_keystone`] adds a second proxy
//! server on the same storage, authenticating with Keystone v3.

use crate::keystone::{self, wait_until, KeystoneServer};
use crate::procs::{free_port, installed, scratch_dir, spawn_parked, Proc};
use crate::proxy::{FaultProxy, Rates};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
/// Seconds a tempauth token is valid: a day.
const TEMPAUTH_TOKEN_LIFE: u64 = 86_400;
/// The key of every tempauth user but `banana:canary`.
pub const KEY: &str = "bananapass";
/// A bound on one request of the harness (a hung server fails the test
/// instead of hanging it).
const REQUEST_BOUND: Duration = Duration::from_secs(120);

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
    /// The scratch directory (`etc`, `srv`, `log`).
    dir: PathBuf,
    /// memcached's port (tempauth's tokens, the proxies' caches).
    memcached: u16,
}

/// The shared server; `None` (skip) when Swift is not installed.
pub fn server() -> Option<&'static SwiftServer> {
    static S: OnceLock<Option<SwiftServer>> = OnceLock::new();
    S.get_or_init(start).as_ref()
}

fn start() -> Option<SwiftServer> {
    if !crate::require(
        "Swift",
        installed(&["swift-proxy-server", "swift-ring-builder", "memcached"]),
    ) {
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
    let mut procs = vec![memcached_proc("memcached", memcached)];
    for n in ["account", "container", "object", "proxy"] {
        procs.push(proxy_proc(n, &dir.join(format!("etc/{n}-server.conf"))));
    }
    let pids = spawn_parked("swift", &dir.join("log"), procs);
    let s = SwiftServer {
        addr: format!("127.0.0.1:{proxy}"),
        devices: dir.join("srv"),
        faults,
        canary_key,
        backends: [object, container, account],
        dir,
        memcached,
    };
    wait_until("Swift", &s.dir, &pids, || s.ready());
    Some(s)
}

fn memcached_proc(name: &'static str, port: u16) -> Proc {
    let argv = ["memcached", "-l", "127.0.0.1", "-p", &port.to_string()]
        .into_iter()
        .chain(["-U", "0", "-m", "64", "-u", "root"])
        .map(str::to_owned)
        .collect();
    Proc {
        name,
        argv,
        env: vec![],
    }
}

/// `swift-SERVER-server CONF -v` (`proxy` for any proxy server).
fn proxy_proc(name: &'static str, conf: &Path) -> Proc {
    let server = name.split('-').next().unwrap_or(name);
    Proc {
        name,
        argv: vec![
            format!("swift-{server}-server"),
            conf.display().to_string(),
            "-v".into(),
        ],
        env: vec![],
    }
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
    let tempauth = format!(
        "[filter:tempauth]\nuse = egg:swift#tempauth\ntoken_life = {TEMPAUTH_TOKEN_LIFE}\n\
         user_banana_agent = {KEY} .admin\n\
         user_banana_faulty = {KEY} .admin http://{faulty}/v1/AUTH_banana\n\
         user_banana_canary = {canary} .admin\nuser_banana_renew = {KEY} .admin\n\
         user_banana_node1 = {KEY}\nuser_banana_node2 = {KEY}\nuser_banana_reaper = {KEY}\n"
    );
    w(
        "proxy-server.conf",
        proxy_conf(p.proxy, &etc, p.memcached, "tempauth", &tempauth),
    );
}

/// A proxy server's configuration: the pipeline every test proxy shares,
/// with `auth` for its authentication middleware, configured in `filters`.
fn proxy_conf(port: u16, etc: &Path, memcached: u16, auth: &str, filters: &str) -> String {
    format!(
        "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\nuser = root\nswift_dir = {etc}\n\
         log_name = proxy-server\n[pipeline:main]\n\
         pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk {auth} copy versioned_writes proxy-logging proxy-server\n\
         [app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\nallow_account_management = true\n\
         {filters}\
         [filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:{memcached}\n\
         [filter:catch_errors]\nuse = egg:swift#catch_errors\n[filter:gatekeeper]\nuse = egg:swift#gatekeeper\n\
         [filter:healthcheck]\nuse = egg:swift#healthcheck\n[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n\
         [filter:listing_formats]\nuse = egg:swift#listing_formats\n[filter:bulk]\nuse = egg:swift#bulk\n\
         [filter:copy]\nuse = egg:swift#copy\n[filter:versioned_writes]\nuse = egg:swift#versioned_writes\n\
         allow_versioned_writes = true\n",
        etc = etc.display(),
    )
}

/// A container name made of `hint` and a random suffix.
fn container(hint: &str) -> String {
    let clean: String = hint
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(30)
        .collect();
    format!("t-{clean}-{:08x}", rand::random::<u32>())
}

/// The status of one request (`None`: no answer).
fn status_of(method: &str, url: &str, headers: &[(&str, &str)]) -> Option<u16> {
    let rt = common::backend::runtime().ok()?;
    rt.block_on(async {
        let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
        let mut req = reqwest::Client::new()
            .request(method, url)
            .timeout(Duration::from_secs(5));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.ok().map(|r| r.status().as_u16())
    })
}

/// One memcached command (text protocol); memcached's answer.
fn memcached(port: u16, command: &str) -> String {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("memcached");
    c.set_read_timeout(Some(REQUEST_BOUND)).expect("timeout");
    c.write_all(format!("{command}\r\nquit\r\n").as_bytes())
        .expect("memcached");
    let mut out = String::new();
    c.read_to_string(&mut out).expect("memcached");
    out
}

impl SwiftServer {
    /// The proxy server's log: one access line per request it answered
    /// (`proxy-server: … METHOD PATH HTTP/1.0 STATUS …`).
    pub fn access_log(&self) -> PathBuf {
        self.dir.join("log/proxy.log")
    }

    /// Every server answers its healthcheck and tempauth gives a token.
    fn ready(&self) -> bool {
        let up = |p: &u16| {
            status_of("GET", &format!("http://127.0.0.1:{p}/healthcheck"), &[])
                .is_some_and(|s| s == 200)
        };
        self.backends.iter().all(up)
            && status_of(
                "GET",
                &format!("http://{}/auth/v1.0", self.addr),
                &[("X-Auth-User", "banana:agent"), ("X-Auth-Key", KEY)],
            )
            .is_some_and(|s| s == 200)
    }

    /// The location of `prefix` in a new container (named after `hint`),
    /// for `user` (`agent` or `faulty`).
    pub fn location(&self, hint: &str, prefix: &str) -> String {
        format!(
            "swift://{}/{}/{prefix}?auth=v1&tls=false",
            self.addr,
            container(hint)
        )
    }

    /// The environment a node without Vault uses for `user`.
    pub fn env(&self, user: &str) -> Vec<(String, String)> {
        vec![
            ("ST_USER".into(), format!("banana:{user}")),
            ("ST_KEY".into(), KEY.into()),
        ]
    }

    /// Makes `banana:USER`'s token stop working now, as its expiry would:
    /// its entries are deleted from memcached, where tempauth keeps them,
    /// so a request with it is refused (401) and the next authentication
    /// gets a new one. Returns the token. Swift's memcache client stores
    /// `KEY` under its MD5 in hex, values as JSON.
    pub fn expire_token(&self, user: &str) -> String {
        let key = |k: &str| format!("{:x}", md5::compute(k));
        let user_key = key(&format!("AUTH_/user/banana:{user}"));
        let got = memcached(self.memcached, &format!("get {user_key}"));
        let value = got.lines().nth(1).filter(|_| got.starts_with("VALUE "));
        let token: String = value
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_else(|| panic!("banana:{user} has no token: {got:?}"));
        for k in [key(&format!("AUTH_/token/{token}")), user_key] {
            let answer = memcached(self.memcached, &format!("delete {k}"));
            assert!(answer.starts_with("DELETED"), "{answer:?}");
        }
        token
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
        let rt = common::backend::runtime().expect("runtime");
        rt.block_on(async {
            let c = reqwest::Client::builder()
                .timeout(REQUEST_BOUND)
                .build()
                .expect("client");
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

/// Swift behind Keystone: a second proxy server on the same account,
/// container and object servers, with `authtoken keystoneauth` (role
/// `member` or `admin` on a project: that project's account) in place of
/// tempauth; authtoken caches validations in a memcached of its own. The
/// catalog's object-store service, in this order: an `internal` endpoint in
/// RegionOne where nothing listens, RegionTwo's public endpoint (through
/// [`KeystoneSwift::region_two`]), RegionOne's (the proxy server), and only
/// an `internal` one in RegionThree.
pub struct KeystoneSwift {
    /// Where clients authenticate.
    pub keystone: &'static KeystoneServer,
    /// `127.0.0.1:PORT` of the proxy server: RegionOne's endpoint.
    pub addr: String,
    /// RegionTwo's endpoint: a proxy (no faults) in front of the same proxy
    /// server, so a test sees which endpoint a client took.
    pub region_two: FaultProxy,
    /// The object device (the one of [`server`]).
    pub devices: PathBuf,
    /// The port of authtoken's memcached.
    cache: u16,
}

/// The shared Swift behind the shared Keystone, started on first use (both
/// start at once); `None` (skip) when either is not installed.
pub fn behind_keystone() -> Option<&'static KeystoneSwift> {
    static S: OnceLock<Option<KeystoneSwift>> = OnceLock::new();
    S.get_or_init(start_behind_keystone).as_ref()
}

fn start_behind_keystone() -> Option<KeystoneSwift> {
    let started = std::time::Instant::now();
    let (k, s) = std::thread::scope(|scope| {
        let k = scope.spawn(keystone::server);
        let s = server();
        (k.join().expect("starting Keystone"), s)
    });
    let (k, s) = (k?, s?);
    let [port, cache] = [(); 2].map(|_| free_port());
    let addr = format!("127.0.0.1:{port}");
    let v3 = format!("http://{}/v3", k.addr);
    let filters = format!(
        "[filter:authtoken]\npaste.filter_factory = keystonemiddleware.auth_token:filter_factory\n\
         www_authenticate_uri = {v3}\nauth_url = {v3}\nauth_type = password\nusername = admin\n\
         password = {}\nproject_name = admin\nuser_domain_name = Default\nproject_domain_name = Default\n\
         delay_auth_decision = true\nservice_token_roles_required = true\ninclude_service_catalog = false\n\
         memcached_servers = 127.0.0.1:{cache}\n\
         [filter:keystoneauth]\nuse = egg:swift#keystoneauth\noperator_roles = admin, member\n",
        keystone::ADMIN_PASSWORD
    );
    let etc = s.dir.join("etc");
    let conf = etc.join("proxy-keystone.conf");
    let text = proxy_conf(port, &etc, s.memcached, "authtoken keystoneauth", &filters);
    std::fs::write(&conf, text).expect("config");
    let pids = spawn_parked(
        "swift-keystone",
        &s.dir.join("log"),
        vec![
            memcached_proc("memcached-keystone", cache),
            proxy_proc("proxy-keystone", &conf),
        ],
    );
    let ks = KeystoneSwift {
        keystone: k,
        region_two: FaultProxy::start(addr.parse().expect("addr"), Rates::default(), 12),
        addr,
        devices: s.devices.clone(),
        cache,
    };
    ks.catalog();
    wait_until("Swift behind Keystone", &s.dir, &pids, || ks.ready());
    eprintln!("Swift behind Keystone ready in {:?}", started.elapsed());
    Some(ks)
}

impl KeystoneSwift {
    /// The object-store service and its endpoints.
    fn catalog(&self) {
        let k = self.keystone;
        let svc = k.admin(
            "POST",
            "/v3/services",
            Some(serde_json::json!({"service": {"name": "swift", "type": "object-store"}})),
        );
        let id = svc["service"]["id"].as_str().expect("service id");
        let url = |host: &str| format!("http://{host}/v1/AUTH_%(project_id)s");
        let two = self.region_two.addr().to_string();
        for (region, interface, url) in [
            ("RegionOne", "internal", url("127.0.0.1:1")),
            ("RegionTwo", "public", url(&two)),
            ("RegionOne", "public", url(&self.addr)),
            ("RegionThree", "internal", url(&self.addr)),
        ] {
            k.admin(
                "POST",
                "/v3/endpoints",
                Some(serde_json::json!({"endpoint": {"service_id": id,
                    "region_id": region, "interface": interface, "url": url}})),
            );
        }
    }

    /// The proxy server accepts a Keystone token for the project's account.
    fn ready(&self) -> bool {
        let Ok(token) = self.keystone.token("agent", keystone::PASSWORD) else {
            return false;
        };
        let account = format!("http://{}/v1/AUTH_{}", self.addr, self.keystone.project_id);
        status_of("HEAD", &account, &[("X-Auth-Token", &token)])
            .is_some_and(|s| (200..300).contains(&s))
    }

    /// The v3 location of `prefix` in a new container (named after `hint`),
    /// with `region=` when given.
    pub fn location(&self, hint: &str, prefix: &str, region: Option<&str>) -> String {
        self.location_at(&self.keystone.addr, hint, prefix, region)
    }

    /// [`KeystoneSwift::location`] authenticating through the tap, which
    /// records the tokens issued ([`KeystoneServer::issued`]).
    pub fn tapped_location(&self, hint: &str, prefix: &str, region: Option<&str>) -> String {
        self.location_at(&self.keystone.tap(), hint, prefix, region)
    }

    fn location_at(&self, auth: &str, hint: &str, prefix: &str, region: Option<&str>) -> String {
        let region = region.map(|r| format!("&region={r}")).unwrap_or_default();
        format!(
            "swift://{auth}/{}/{prefix}?auth=v3&tls=false{region}",
            container(hint)
        )
    }

    /// The environment a node without Vault uses for Keystone user `user`
    /// (password `password`) in project `banana`.
    pub fn env(&self, user: &str, password: &str) -> Vec<(String, String)> {
        [
            ("OS_USERNAME", user),
            ("OS_PASSWORD", password),
            ("OS_PROJECT_NAME", keystone::PROJECT),
            ("OS_USER_DOMAIN_NAME", "Default"),
            ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    /// Revokes `token` in Keystone and empties authtoken's cache: the next
    /// request with it is refused (401).
    pub fn revoke(&self, token: &str) {
        self.keystone.revoke(token);
        let answer = memcached(self.cache, "flush_all");
        assert!(answer.starts_with("OK"), "{answer:?}");
    }
}
