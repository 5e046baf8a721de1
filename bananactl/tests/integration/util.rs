//! Test harness: a temporary repository, key and state; run the binary; assert.

#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub repo: PathBuf,
    pub key: PathBuf,
    pub state: PathBuf,
    /// Extra environment of every command (S3 credentials).
    pub vars: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub raw: Vec<u8>,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn code(self, want: i32) -> Run {
        assert_eq!(
            self.code, want,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Every stdout line as JSON (fails on a non-JSON line).
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
            .collect()
    }

    pub fn summary(&self) -> Value {
        self.json()
            .into_iter()
            .rev()
            .find(|v| v["message_type"] == "summary")
            .unwrap_or_else(|| panic!("no summary in {}", self.stdout))
    }

    /// The error: exactly one line on stderr, starting with `bananactl: error:`.
    pub fn one_line_error(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("warning:"))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "want one error line, got: {:?}",
            self.stderr
        );
        assert!(lines[0].starts_with("bananactl: error: "), "{}", lines[0]);
        lines[0]
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_bananactl")
}

pub fn is_root() -> bool {
    nix_euid() == 0
}

fn nix_euid() -> u32 {
    // SAFETY-free: read from /proc.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2).unwrap_or("1").to_owned())
        })
        .and_then(|u| u.parse().ok())
        .unwrap_or(1)
}

/// Skips a test that needs root, except under CI=true where it must run.
pub fn need_root(what: &str) -> bool {
    if is_root() {
        return true;
    }
    testkit::require(&format!("root (for {what})"), false)
}

impl Env {
    /// A fresh repository (`init` already run).
    pub fn new() -> Env {
        Self::with_init(&[])
    }

    pub fn with_init(extra: &[&str]) -> Env {
        let e = Self::bare();
        let mut args = vec!["init"];
        args.extend_from_slice(extra);
        e.run(&args).ok();
        e
    }

    /// No repository yet.
    pub fn bare() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let key = dir.path().join("key.json");
        let state = dir.path().join("state");
        // An empty config file, so a host's /etc/banana/bananactl.toml never leaks in.
        std::fs::write(dir.path().join("empty-config.toml"), "").unwrap();
        Env {
            dir,
            repo,
            key,
            state,
            vars: Vec::new(),
        }
    }

    /// A fresh repository (`init` run) under a new bucket of the shared S3
    /// server, with the admin's credentials in the environment; `None`
    /// (skip) without SeaweedFS, except under CI=true.
    pub fn s3(hint: &str) -> Option<Env> {
        Self::s3_init(hint, &[])
    }

    /// A fresh repository (`init` run, which creates the container) in a new
    /// container of the shared Swift, as tempauth user `user` (`agent`, or
    /// `faulty` through the fault proxy); `None` (skip) without Swift,
    /// except under CI=true.
    pub fn swift(hint: &str, user: &str) -> Option<Env> {
        let s = testkit::swift::server()?;
        let mut e = Self::bare();
        e.repo = PathBuf::from(s.location(hint, "fleet/node-01"));
        e.vars = s.env(user);
        let r = e.run(&["init"]).ok();
        assert!(
            r.stderr.contains("creating Swift container"),
            "{}",
            r.stderr
        );
        Some(e)
    }

    /// A fresh repository (`init` run) in a new directory on the shared
    /// Samba share (smbd through the FUSE client smbnetfs); `None` (skip)
    /// without Samba, except under CI=true.
    pub fn samba(hint: &str) -> Option<Env> {
        let share = testkit::samba::share()?;
        let mut e = Self::bare();
        e.repo = share.dir(hint).join("repo");
        e.run(&["init"]).ok();
        Some(e)
    }

    /// [`Env::s3`] with extra `init` arguments.
    pub fn s3_init(hint: &str, init: &[&str]) -> Option<Env> {
        let s = testkit::seaweed::server()?;
        let mut e = Self::bare();
        e.repo = PathBuf::from(s.location(&s.bucket(hint), "fleet/node-01"));
        e.vars = vec![
            ("AWS_ACCESS_KEY_ID".into(), s.admin.access_key.clone()),
            (
                "AWS_SECRET_ACCESS_KEY".into(),
                s.admin.secret_key.expose().to_owned(),
            ),
        ];
        let mut args = vec!["init"];
        args.extend_from_slice(init);
        e.run(&args).ok();
        Some(e)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Exports the backup half of the key (what an enrolled node holds)
    /// to `backup-only.json`; returns its path.
    pub fn backup_only_key(&self) -> PathBuf {
        let path = self.path("backup-only.json");
        self.run(&[
            "key",
            "export",
            "--backup-only",
            "--out",
            path.to_str().unwrap(),
        ])
        .ok();
        path
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("--repo")
            .arg(&self.repo)
            .arg("--key-file")
            .arg(&self.key)
            .arg("--state-dir")
            .arg(&self.state);
        c.args(args);
        c.env_remove("BANANA_REPO")
            .env_remove("BANANA_KEY_FILE")
            .env_remove("BANANA_STATE_DIR");
        c.env("BANANA_CONFIG", self.dir.path().join("empty-config.toml"));
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(self.cmd(args))
    }

    /// Runs with `--json` and returns the summary.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        self.run(&a).ok().summary()
    }

    pub fn backup(&self, paths: &[&Path]) -> Value {
        let mut args = vec!["--json".to_owned(), "backup".to_owned()];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&a).ok().summary()
    }

    pub fn restore(&self, snapshot: &str, target: &Path) -> Run {
        self.run(&["restore", snapshot, "--target", target.to_str().unwrap()])
    }

    /// Sizes of all stored objects, by relative path.
    pub fn objects(&self) -> Vec<(PathBuf, u64)> {
        let mut out = Vec::new();
        walk_files(&self.repo, &mut |p| {
            if !p.starts_with(self.repo.join("tmp")) {
                out.push((p.to_owned(), std::fs::metadata(p).unwrap().len()));
            }
        });
        out.sort();
        out
    }

    pub fn repo_size(&self) -> u64 {
        self.objects().iter().map(|(_, s)| s).sum()
    }
}

pub fn run(mut c: Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("run bananactl");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        raw: stdout,
    }
}

/// Runs `c`, killing it and failing if it has not ended within `bound`:
/// for a run whose bug would be a hang (a bound that ends the hang, not a
/// deadline a loaded machine has to meet).
pub fn run_within(mut c: Command, bound: std::time::Duration) -> Run {
    use std::io::Read;
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bananactl");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            b
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let end = std::time::Instant::now() + bound;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            let err = err.join().unwrap();
            panic!(
                "still running after {bound:?}: {}",
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        raw: stdout,
    }
}

/// Waits until `f` gives a value, polling; fails with `what` after `bound`
/// (a bound that ends a hang, not a deadline).
pub fn poll<T>(what: &str, bound: std::time::Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = std::time::Instant::now() + bound;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < end,
            "{what}: not within {bound:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The pid a shell wrote to `path` (`echo $$ > path`), once it is there
/// whole: the file exists before the number is in it.
pub fn pid_in(path: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.strip_suffix('\n')?.trim().parse().ok()
}

/// The paths `ls` printed (the last field of each entry line).
pub fn listed(ls: &str) -> Vec<&str> {
    ls.lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|n| n.starts_with('/'))
        .collect()
}

pub fn walk_files(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            walk_files(&p, f);
        } else {
            f(&p);
        }
    }
}

/// Deterministic pseudo-random bytes.
/// Every file below `a` has the same bytes below `b`, and `b` holds no
/// other file.
pub fn same_tree(a: &Path, b: &Path) {
    let mut n = 0;
    walk_files(a, &mut |p| {
        let rel = p.strip_prefix(a).unwrap();
        assert!(
            std::fs::read(p).unwrap() == std::fs::read(b.join(rel)).unwrap(),
            "content of {}",
            rel.display()
        );
        n += 1;
    });
    let mut m = 0;
    walk_files(b, &mut |_| m += 1);
    assert!(n > 0, "{} is empty", a.display());
    assert_eq!(n, m, "file counts of {} and {}", a.display(), b.display());
}

/// 100 directories of 200 tiny files each below `src`.
pub fn twenty_thousand_files(src: &Path) {
    for d in 0..100 {
        let dir = src.join(format!("d{d:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..200 {
            std::fs::write(dir.join(format!("f{f:03}")), format!("{d}/{f}")).unwrap();
        }
    }
}

pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    use rand::{RngCore, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

/// Where a source path lands under a restore target.
pub fn restored(target: &Path, source: &Path) -> PathBuf {
    target.join(source.strip_prefix("/").unwrap())
}

pub fn write(p: &Path, data: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// Builds snapshots by hand with the repository's real key: what a
/// compromised node (which holds the backup half) could write.
pub struct Crafter {
    pub repo: common::repo::Repository,
    recipients: Vec<common::crypto::age::Recipient>,
    blobs: Vec<(common::Id, common::format::BlobKind, Vec<u8>)>,
}

impl Crafter {
    /// Opens the repository of `e` (which must hold a snapshot).
    pub fn open(e: &Env) -> Crafter {
        let kf = common::crypto::keyfile::KeyFile::load(&e.key).unwrap();
        let repo = common::repo::Repository::open(
            Box::new(common::backend::LocalBackend::new(&e.repo)),
            &kf.backup_key(),
        )
        .unwrap();
        Crafter {
            repo,
            recipients: kf.backup_key().recipients.clone(),
            blobs: Vec::new(),
        }
    }

    /// A data blob.
    pub fn data(&mut self, bytes: &[u8]) -> common::Id {
        let id = self.repo.keys().chunk_id(bytes);
        self.blobs
            .push((id, common::format::BlobKind::Data, bytes.to_vec()));
        id
    }

    /// A tree blob.
    pub fn tree(&mut self, nodes: Vec<common::format::tree::Node>) -> common::Id {
        let bytes = common::format::to_cbor(&common::format::tree::Tree { nodes });
        let id = self.repo.keys().chunk_id(&bytes);
        self.blobs.push((id, common::format::BlobKind::Tree, bytes));
        id
    }

    /// Writes the blobs (one pack, one index), a reference list and a
    /// snapshot based on the newest one, with `root` as its tree; returns
    /// its id in hex.
    pub fn snapshot(&mut self, root: common::Id) -> String {
        use common::backend::Kind;
        use common::crypto::SealKind;
        let mut w = common::repo::pack::PackWriter::new(&self.recipients).unwrap();
        let mut seen = std::collections::HashSet::new();
        for (id, kind, raw) in &self.blobs {
            if seen.insert(*id) {
                w.add(
                    *id,
                    *kind,
                    &common::format::codec::compress(raw, common::format::codec::Codec::default()),
                    raw.len(),
                )
                .unwrap();
            }
        }
        let p = w.finish(self.repo.keys(), true).unwrap();
        self.repo
            .backend()
            .write(Kind::Data, &p.id.to_hex(), &p.bytes)
            .unwrap();
        let ip = common::format::IndexPack {
            id: p.id,
            body_len: p.header.body_len,
            blobs: p.header.blobs,
        };
        let ix = self
            .repo
            .save(
                Kind::Index,
                SealKind::Index,
                &common::format::IndexFile {
                    packs: vec![ip],
                    ..Default::default()
                },
            )
            .unwrap();
        let refs = self
            .repo
            .save(
                Kind::Refs,
                SealKind::Refs,
                &common::format::Refs { packs: vec![p.id] },
            )
            .unwrap();
        let (_, mut snap) = self.repo.resolve("latest").unwrap();
        snap.tree = root;
        snap.refs = refs;
        snap.indexes = vec![ix];
        snap.time.0 += 10;
        self.blobs.clear();
        self.repo
            .save(Kind::Snapshot, SealKind::Snapshot, &snap)
            .unwrap()
            .to_hex()
    }
}

/// Peak RSS (KiB) of running `c`, measured by a Python parent (its only
/// child), or `None` when python3 is missing.
pub fn peak_rss_kib(c: &Command) -> Option<(Run, u64)> {
    let mut py = Command::new("python3");
    py.args([
        "-c",
        "import resource,subprocess,sys\nr=subprocess.run(sys.argv[1:],stdin=subprocess.DEVNULL,capture_output=True)\nsys.stdout.buffer.write(r.stdout);sys.stderr.buffer.write(r.stderr)\nprint('\\nRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)",
    ]);
    py.arg(c.get_program()).args(c.get_args());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => py.env(k, v),
            None => py.env_remove(k),
        };
    }
    let out = py.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, tail) = text.rsplit_once("\nRSS ")?;
    let mut it = tail.split_whitespace();
    let rss: u64 = it.next()?.parse().ok()?;
    let code: i32 = it.next()?.parse().ok()?;
    Some((
        Run {
            code,
            stdout: body.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            raw: body.as_bytes().to_vec(),
        },
        rss,
    ))
}
