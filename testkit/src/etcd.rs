//! A real etcd for tests (Debian's `etcd-server`, 3.4): one single-member
//! cluster per test process on free loopback ports, its data in a scratch
//! directory, dying with the process; and [`Etcd::start_on`] to start
//! another on a restored data directory. Without etcd a test skips, except
//! under `CI=true`.

use crate::procs::{free_port, installed, scratch_dir, spawn_parked, wait_until, Proc};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A running member.
pub struct Etcd {
    /// Its scratch directory.
    pub dir: PathBuf,
    /// `http://127.0.0.1:PORT` (`https://` for [`tls`]).
    pub endpoint: String,
    /// With TLS: the CA, and a client certificate and key it signed.
    pub tls: Option<Tls>,
}

/// A test CA's files and a client certificate it signed.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The CA certificate.
    pub ca: PathBuf,
    /// A client certificate.
    pub cert: PathBuf,
    /// Its key (0600).
    pub key: PathBuf,
}

/// A second member, `https://` only, requiring a client certificate
/// (`--client-cert-auth`) from a CA made for it; `None` as [`server`].
pub fn tls() -> Option<&'static Etcd> {
    static S: OnceLock<Option<Etcd>> = OnceLock::new();
    S.get_or_init(|| {
        server()?;
        let dir = scratch_dir("banana-etcdtls", &|_| {});
        let pki = dir.join("pki");
        std::fs::create_dir_all(&pki).expect("pki dir");
        let tls = make_pki(&pki);
        Some(Etcd::start(&dir.join("data"), &dir, "banana", Some(tls)))
    })
    .as_ref()
}

/// Runs openssl; panics with its stderr.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate.
fn make_pki(dir: &Path) -> Tls {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=banana test CA",
        "-days",
        "2",
    ]);
    openssl(dir, &ca);
    for (who, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        std::fs::write(dir.join(format!("{who}.ext")), ext).expect("ext file");
        let (key, csr, crt, extf) = (
            format!("{who}.key"),
            format!("{who}.csr"),
            format!("{who}.crt"),
            format!("{who}.ext"),
        );
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj"]);
        let subj = format!("/CN={who}");
        req.push(&subj);
        openssl(dir, &req);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &extf,
            ],
        );
    }
    Tls {
        ca: dir.join("ca.crt"),
        cert: dir.join("client.crt"),
        key: dir.join("client.key"),
    }
}

/// The shared cluster; `None` (skip) when etcd is not installed.
pub fn server() -> Option<&'static Etcd> {
    static S: OnceLock<Option<Etcd>> = OnceLock::new();
    S.get_or_init(|| {
        if !crate::require("etcd", installed(&["etcd", "etcdctl"])) {
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
        Etcd::start(data, dir, name, None)
    }

    fn start(data: &Path, dir: &Path, name: &str, tls: Option<Tls>) -> Etcd {
        let (client, peer) = (free_port(), free_port());
        let scheme = if tls.is_some() { "https" } else { "http" };
        let endpoint = format!("{scheme}://127.0.0.1:{client}");
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
        let mut argv = argv;
        if let Some(t) = &tls {
            let pki = t.ca.parent().expect("pki dir");
            argv.extend([
                s("--cert-file"),
                pki.join("server.crt").display().to_string(),
                s("--key-file"),
                pki.join("server.key").display().to_string(),
                s("--trusted-ca-file"),
                t.ca.display().to_string(),
                s("--client-cert-auth"),
            ]);
        }
        std::fs::create_dir_all(dir.join("log")).expect("log dir");
        let pids = spawn_parked(
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
            tls,
        };
        // A probe that gives up soon, so one made before etcd listens does
        // not hold up the start; the wait itself is bounded by START_BOUND.
        wait_until("etcd", dir, &pids, || {
            e.ctl_within("5s", &["endpoint", "health"]).is_ok()
        });
        e
    }

    /// Runs `etcdctl` (API 3) against this member; its stdout. Each command
    /// may take a minute: a bound that ends a hung etcd, not a deadline a
    /// loaded machine has to meet.
    pub fn ctl(&self, args: &[&str]) -> Result<String, String> {
        self.ctl_within("60s", args)
    }

    /// [`Etcd::ctl`] with `etcdctl --command-timeout=TIMEOUT`.
    fn ctl_within(&self, timeout: &str, args: &[&str]) -> Result<String, String> {
        let mut c = Command::new("etcdctl");
        c.arg(format!("--endpoints={}", self.endpoint))
            .arg(format!("--command-timeout={timeout}"));
        if let Some(t) = &self.tls {
            c.arg(format!("--cacert={}", t.ca.display()))
                .arg(format!("--cert={}", t.cert.display()))
                .arg(format!("--key={}", t.key.display()));
        }
        let out = c
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
