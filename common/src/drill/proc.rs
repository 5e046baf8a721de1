//! The processes of a deep drill ([`super::deep`]): throwaway servers that
//! die with the drill and are stopped with their process group, and tools
//! run with a clean environment, bounded output and a time limit.

use crate::error::{Error, Result};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a throwaway server may take to accept connections (a loaded
/// machine is slow; the loop also ends when the server exits).
const START_BUDGET: Duration = Duration::from_secs(300);

/// A server that is killed (and waited for) when dropped.
pub(super) struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let pid = i32::try_from(self.0.id())
            .ok()
            .map(nix::unistd::Pid::from_raw);
        if let Some(pid) = pid {
            // A clean stop first: SIGINT is PostgreSQL's fast shutdown,
            // SIGTERM MariaDB's and etcd's.
            for sig in [nix::sys::signal::SIGINT, nix::sys::signal::SIGTERM] {
                let _ = nix::sys::signal::kill(pid, sig);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_)) | Err(_)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
        // Whatever the server started (its own group) goes with it.
        if let Some(pid) = pid {
            let _ = nix::sys::signal::killpg(pid, nix::sys::signal::SIGKILL);
        }
    }
}

/// Who a server runs as: root keeps itself unless the server refuses it.
#[derive(Clone, Copy)]
pub(super) struct RunAs(pub(super) Option<(u32, u32)>);

impl RunAs {
    pub(super) fn apply(self, c: &mut Command) {
        if let Some((uid, gid)) = self.0 {
            c.uid(uid).gid(gid);
        }
    }
}

/// Longest a tool of a deep drill runs (a hostile dump may sleep forever).
const TOOL_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
/// Bytes of a tool's output kept.
const OUTPUT_LIMIT: u64 = 1 << 20;

/// A program run to its end with a clean environment (`PATH` only), its
/// output going to files in `dir` (read back bounded), killed with its
/// process group after [`TOOL_TIMEOUT`]: its stdout, or an error with the
/// last line of its stderr.
pub(super) fn output(c: &mut Command, what: &str, dir: &Path) -> Result<String> {
    let n = rand::random::<u32>();
    let (out, err) = (dir.join(format!("out.{n}")), dir.join(format!("err.{n}")));
    let file =
        |p: &Path| std::fs::File::create(p).map_err(|e| Error::io(format!("{what}'s output"), e));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(file(&out)?)
        .stderr(file(&err)?)
        .process_group(0);
    if c.get_program() != "mariadb" {
        c.stdin(Stdio::null());
    }
    crate::plugins::command::die_with_parent(c);
    let mut child = c
        .spawn()
        .map_err(|e| Error::io(format!("starting {what}"), e))?;
    let deadline = Instant::now() + TOOL_TIMEOUT;
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| Error::io(what, e))? {
            break st;
        }
        if Instant::now() > deadline {
            if let Ok(pid) = i32::try_from(child.id()) {
                let pid = nix::unistd::Pid::from_raw(pid);
                let _ = nix::sys::signal::killpg(pid, nix::sys::signal::SIGKILL);
            }
            let _ = child.wait();
            return Err(Error::damaged(format!(
                "{what} did not finish within {}",
                crate::humanize::age(TOOL_TIMEOUT.as_secs() as i64)
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let head = |p: &Path| {
        use std::io::Read;
        let mut b = Vec::new();
        if let Ok(f) = std::fs::File::open(p) {
            let _ = f.take(OUTPUT_LIMIT).read_to_end(&mut b);
        }
        let _ = std::fs::remove_file(p);
        String::from_utf8_lossy(&b).into_owned()
    };
    let (stdout, stderr) = (head(&out), head(&err));
    if !status.success() {
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(Error::damaged(format!(
            "{what} failed ({status}): {}",
            crate::humanize::printable(last.trim())
        )));
    }
    Ok(stdout)
}

/// A count a throwaway server printed.
pub(super) fn count(text: &str, what: &str) -> Result<u64> {
    text.trim()
        .parse()
        .map_err(|_| Error::damaged(format!("{what}: not a count")))
}

/// Starts `c` as a server that dies with this thread.
pub(super) fn spawn(c: &mut Command, log: &Path) -> Result<Server> {
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    let log = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(log)
        .map_err(|e| Error::io("server log", e))?;
    let err = log.try_clone().map_err(|e| Error::io("server log", e))?;
    crate::plugins::command::die_with_parent(c);
    let child = c
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| Error::io("starting the server", e))?;
    Ok(Server(child))
}

/// Waits until `ready` holds, the server exits, or [`START_BUDGET`].
pub(super) fn wait_ready(
    s: &mut Server,
    log: &Path,
    mut ready: impl FnMut(&mut Server) -> bool,
) -> Result<()> {
    let deadline = Instant::now() + START_BUDGET;
    loop {
        if ready(s) {
            return Ok(());
        }
        let tail = || {
            let l = std::fs::read_to_string(log).unwrap_or_default();
            let last = l
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .to_owned();
            crate::humanize::printable(&last)
        };
        if let Ok(Some(st)) = s.0.try_wait() {
            return Err(Error::damaged(format!(
                "the server exited ({st}): {}",
                tail()
            )));
        }
        if Instant::now() > deadline {
            return Err(Error::damaged(format!(
                "the server did not accept connections within {}s: {}",
                START_BUDGET.as_secs(),
                tail()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
