//! The `etcd` plugin (etcd 3.4 tested): `etcdctl snapshot save` from one
//! endpoint into a private 0700 run directory, its integrity checked with
//! `etcdctl snapshot status`, streamed into the repository as
//! `etcd.snapshot`, and removed with the run directory. Restore writes it
//! back to a private file and runs `etcdctl snapshot restore` into a new
//! data directory.

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use crate::ops::backup::{Run, Source};
use crate::plugins::command::{Feed, RunDir};
use crate::plugins::{Entry, JobKeys, JobPlugin, KeyError, RunEnv};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Seconds the health check before a snapshot may take.
pub const HEALTH_TIMEOUT: u64 = 10;

/// What an `etcd` job reads.
#[derive(Debug, Clone)]
pub struct EtcdSpec {
    /// Client URLs; the snapshot comes from the first.
    pub endpoints: Vec<String>,
    /// CA bundle that signed the server's certificate (`https://`).
    pub cacert: Option<PathBuf>,
    /// Client certificate and its key (`--client-cert-auth` members).
    pub cert: Option<(PathBuf, PathBuf)>,
    /// `etcdctl`'s command timeout.
    pub timeout: Option<Duration>,
    /// Where the private run directory is made (the node's state directory).
    pub run_base: PathBuf,
}

/// Runs `etcdctl` (API 3) with only `PATH`; its stdout, or an error with
/// the end of its stderr.
fn etcdctl(args: &[String]) -> Result<String> {
    let out = Command::new("etcdctl")
        .args(args)
        .env_clear()
        .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
        .env("ETCDCTL_API", "3")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Error::new(
                ErrorKind::BadInput,
                format!("'etcdctl' could not be started: {e}"),
            )
            .hint("install etcd's client (etcdctl)")
        })?;
    if !out.status.success() {
        return Err(Error::new(
            ErrorKind::Other,
            format!(
                "'etcdctl {}' failed: {}",
                args.iter()
                    .find(|a| !a.starts_with("--"))
                    .map_or("", String::as_str),
                super::last_line(&out.stderr).unwrap_or_else(|| out.status.to_string())
            ),
        )
        .hint("check the job's endpoints (and cacert, cert, key for https)"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `etcd` plugin's source.
pub struct EtcdSource {
    spec: EtcdSpec,
}

impl EtcdSource {
    /// A source for `spec` (at least one endpoint).
    pub fn new(spec: EtcdSpec) -> Result<EtcdSource> {
        if spec.endpoints.is_empty() {
            return Err(Error::new(ErrorKind::BadInput, "etcd: no endpoints")
                .hint("give endpoints = [\"http://127.0.0.1:2379\"]"));
        }
        Ok(EtcdSource { spec })
    }

    /// `etcdctl` waits for its whole command timeout on an endpoint that
    /// does not answer or refuses the client's TLS (no error before): a
    /// health check with a short timeout first, so such a job fails in
    /// [`HEALTH_TIMEOUT`] seconds, not in the job's `timeout`.
    fn health(&self) -> Result<()> {
        etcdctl(&self.args(Some(HEALTH_TIMEOUT), &["endpoint", "health"])).map(|_| ()).map_err(|e| {
            Error::new(
                ErrorKind::Other,
                format!(
                    "etcd endpoint {} did not pass a health check within {HEALTH_TIMEOUT} s (unreachable, no quorum, or it refused this client's TLS): {}",
                    self.spec.endpoints[0],
                    e.message()
                ),
            )
            .hint("check the job's endpoints, and cacert, cert and key for an https:// member")
        })
    }

    /// `etcdctl`'s connection arguments, its command timeout `secs` (default
    /// the job's), then `rest`.
    fn args(&self, secs: Option<u64>, rest: &[&str]) -> Vec<String> {
        let secs = secs.unwrap_or_else(|| self.spec.timeout.map_or(3600, |t| t.as_secs().max(1)));
        let mut a = vec![
            format!("--endpoints={}", self.spec.endpoints[0]),
            "--dial-timeout=10s".to_owned(),
            format!("--command-timeout={secs}s"),
        ];
        if let Some(ca) = &self.spec.cacert {
            a.push(format!("--cacert={}", ca.display()));
        }
        if let Some((cert, key)) = &self.spec.cert {
            a.push(format!("--cert={}", cert.display()));
            a.push(format!("--key={}", key.display()));
        }
        a.extend(rest.iter().map(|s| (*s).to_owned()));
        a
    }
}

/// `etcdctl snapshot status -w json` of `file`: the integrity check, and
/// what the snapshot holds.
pub(crate) fn status(file: &Path) -> Result<serde_json::Value> {
    let text = etcdctl(&[
        "snapshot".into(),
        "status".into(),
        file.display().to_string(),
        "-w".into(),
        "json".into(),
    ])?;
    serde_json::from_str(&text)
        .map_err(|e| Error::new(ErrorKind::Damaged, format!("etcd snapshot status: {e}")))
}

impl Source for EtcdSource {
    fn paths(&self) -> Vec<Vec<u8>> {
        vec![format!("etcd:{}", self.spec.endpoints.join(",")).into_bytes()]
    }

    fn read(self: Box<Self>, run: &mut Run<'_, '_, '_>) -> Result<Id> {
        if let Some((_, key)) = &self.spec.cert {
            crate::fsutil::check_private_file(key, "the job's TLS client key")?;
        }
        self.health()?;
        let dir = RunDir::new(&self.spec.run_base)?;
        let file = dir.path().join("snapshot.db");
        etcdctl(&self.args(None, &["snapshot", "save", &file.display().to_string()]))?;
        let st = status(&file)?;
        for (key, field) in [
            ("revision", "revision"),
            ("keys", "totalKey"),
            ("hash", "hash"),
            ("size", "totalSize"),
        ] {
            run.meta(key, st[field].to_string());
        }
        if let Ok(v) = etcdctl(&self.args(None, &["endpoint", "status", "-w", "json"])) {
            let v: serde_json::Value = serde_json::from_str(&v).unwrap_or_default();
            if let Some(version) = v[0]["Status"]["version"].as_str() {
                run.meta("server_version", version.to_owned());
            }
        }
        run.meta("format", "etcd snapshot".into());
        let f =
            std::fs::File::open(&file).map_err(|e| Error::io(format!("{}", file.display()), e))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        let content = run
            .chunks(f, size)?
            .map_err(|e| Error::io(format!("{}", file.display()), e))?;
        let mut node = run.own_file(b"etcd.snapshot", 0o600);
        node.size = size;
        node.content = content;
        run.summary().files = 1;
        run.summary().total_bytes = size;
        drop(dir);
        run.store_tree(vec![node])
    }
}

/// Restores a snapshot, written by `dump`, into the new data directory
/// `target` for a member named `name` whose peer URL is `peer_url`.
pub fn restore(
    run_base: &Path,
    target: &Path,
    name: &str,
    peer_url: &str,
    dump: Feed<'_>,
) -> Result<serde_json::Value> {
    if target.exists() && std::fs::read_dir(target).map_or(true, |mut d| d.next().is_some()) {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "{} exists and is not empty: etcd restores into a new data directory",
                target.display()
            ),
        )
        .hint("give a new directory"));
    }
    if target.exists() {
        std::fs::remove_dir(target).map_err(|e| Error::io(format!("{}", target.display()), e))?;
    }
    let dir = RunDir::new(run_base)?;
    let file = dir.path().join("snapshot.db");
    {
        let mut f = crate::fsutil::AtomicFile::create(&file)
            .map_err(|e| Error::io(format!("{}", file.display()), e))?;
        let w = f
            .file()
            .map_err(|e| Error::io(format!("{}", file.display()), e))?;
        dump(w)?;
        f.commit()
            .map_err(|e| Error::io(format!("{}", file.display()), e))?;
    }
    let st = status(&file)?;
    etcdctl(&[
        "snapshot".into(),
        "restore".into(),
        file.display().to_string(),
        format!("--data-dir={}", target.display()),
        format!("--name={name}"),
        format!("--initial-cluster={name}={peer_url}"),
        format!("--initial-advertise-peer-urls={peer_url}"),
    ])?;
    Ok(st)
}

/// The `etcd` plugin's keys of a `[[job]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtcdTable {
    /// Client URLs (the snapshot comes from the first).
    pub endpoints: Option<Vec<String>>,
    /// The CA bundle of an `https://` member.
    pub cacert: Option<PathBuf>,
    /// A client certificate (with `key`).
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (0600).
    pub key: Option<PathBuf>,
}

/// The `etcd` plugin.
pub const ENTRY: Entry = Entry {
    name: "etcd",
    keys: super::fields::<EtcdTable>,
    credentials: false,
    check,
};

fn check(
    job: &JobKeys<'_>,
    rest: toml::Table,
) -> std::result::Result<Box<dyn JobPlugin>, KeyError> {
    let t: EtcdTable = super::table(job, rest)?;
    let cert = match (t.cert, t.key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => {
            return Err(
                job.error("give cert and key together (a client certificate and its private key)")
            )
        }
    };
    let spec = EtcdSpec {
        endpoints: t.endpoints.unwrap_or_default(),
        cacert: t.cacert,
        cert,
        timeout: job.program_timeout(),
        run_base: PathBuf::new(),
    };
    EtcdSource::new(spec.clone()).map_err(|e| job.error(e))?;
    Ok(Box::new(spec))
}

impl JobPlugin for EtcdSpec {
    fn name(&self) -> &str {
        "etcd"
    }

    fn for_run(&self, env: &RunEnv) -> Box<dyn JobPlugin> {
        let mut s = self.clone();
        s.run_base = env.state_dir.clone();
        Box::new(s)
    }

    fn source(&self) -> Result<Box<dyn Source>> {
        Ok(Box::new(EtcdSource::new(self.clone())?))
    }

    /// A snapshot restores into a new data directory ([`restore`]).
    fn restores_to_data_dir(&self) -> bool {
        true
    }

    crate::plugin_plumbing!();
}
