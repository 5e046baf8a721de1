//! A real etcd for tests (Debian's `etcd-server`, 3.4): one single-member
//! cluster per test process on free loopback ports, its data in a scratch
//! directory, dying with the process; and [`Etcd::start_on`] to start
//! another on a restored data directory. Without etcd a test skips, except
//! under `CI=true`.

use super::procs::{free_port, installed, scratch_dir, spawn_parked, Proc};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running member.
pub struct Etcd {
    /// Its scratch directory.
    pub dir: PathBuf,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

/// The shared cluster; `None` (skip) when etcd is not installed.
pub fn server() -> Option<&'static Etcd> {
    static S: OnceLock<Option<Etcd>> = OnceLock::new();
    S.get_or_init(|| {
        if !installed(&["etcd", "etcdctl"]) {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "etcd is required in CI (scripts/services.sh install)"
            );
            eprintln!("skipping: etcd not installed");
            return None;
        }
        let dir = scratch_dir("banana-etcd", &|_| {});
        Some(Etcd::start_on(&dir.join("data"), &dir, "banana"))
    })
    .as_ref()
}

impl Etcd {
    /// Starts a member named `name` on `data` (new, or restored with that
    /// name), logging into `dir/log`; waits until it answers.
    pub fn start_on(data: &Path, dir: &Path, name: &str) -> Etcd {
        let (client, peer) = (free_port(), free_port());
        let endpoint = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let s = |v: &str| v.to_owned();
        let argv = vec![
            s("etcd"),
            s("--name"),
            s(name),
            s("--data-dir"),
            data.display().to_string(),
            s("--listen-client-urls"),
            endpoint.clone(),
            s("--advertise-client-urls"),
            endpoint.clone(),
            s("--listen-peer-urls"),
            peer_url.clone(),
            s("--initial-advertise-peer-urls"),
            peer_url.clone(),
            s("--initial-cluster"),
            format!("{name}={peer_url}"),
            s("--log-outputs"),
            s("stderr"),
        ];
        std::fs::create_dir_all(dir.join("log")).expect("log dir");
        spawn_parked(
            "etcd",
            &dir.join("log"),
            vec![Proc {
                name: "etcd",
                argv,
                env: vec![],
            }],
        );
        let e = Etcd {
            dir: dir.to_owned(),
            endpoint,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while e.ctl(&["endpoint", "health"]).is_err() {
            assert!(
                Instant::now() < deadline,
                "etcd did not start; logs in {}",
                dir.join("log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        e
    }

    /// Runs `etcdctl` (API 3) against this member; its stdout.
    pub fn ctl(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("etcdctl")
            .arg(format!("--endpoints={}", self.endpoint))
            .arg("--command-timeout=5s")
            .args(args)
            .env("ETCDCTL_API", "3")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}
