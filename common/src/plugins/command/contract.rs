//! The `command` plugin's source: a child process whose standard output is
//! stored as one stream. What every plugin that runs a program obeys:
//!
//! - stdout goes straight into the chunker (nothing touches disk); stderr is
//!   drained by its own thread, so no output size can deadlock, and its last
//!   [`STDERR_TAIL`] bytes are kept for the error message;
//! - a child that exits non-zero, is killed or times out fails the run even
//!   after printing data: the snapshot keeps what it read, marked `failed`;
//! - at the timeout the whole process group is killed, and so is whatever
//!   the command left running in its group when it exits; a child dies
//!   with the agent (`PR_SET_PDEATHSIG`), so a killed run leaves no dump
//!   holding database locks;
//! - the child's environment is rebuilt from a short allowlist plus what
//!   the job names: the agent's credentials (`VAULT_*`, `AWS_*`, `ST_KEY`,
//!   `OS_PASSWORD`, `BANANA_*`) never reach it, and no secret is put in its
//!   argv.

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use crate::ops::backup::{Run, Source};
pub use crate::plugins::rundir::RunDir;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A configured database name usable as a stream's file name and an
/// argument (see [`crate::names::unsafe_name`]).
pub(crate) fn check_name(db: &str) -> Result<()> {
    match crate::names::unsafe_name(db) {
        Some(why) => Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "database name '{}' cannot be passed safely: {why}",
                crate::humanize::printable(db)
            ),
        )),
        None => Ok(()),
    }
}

/// What writes a stream into a restoring client's stdin.
pub type Feed<'a> = &'a mut dyn FnMut(&mut dyn std::io::Write) -> Result<()>;

/// Bytes of stderr kept for the error message.
pub const STDERR_TAIL: usize = 64 * 1024;

/// Variables a child inherits from the agent; everything else is dropped.
const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
];

/// A command whose stdout is stored as the stream `/NAME`.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    /// Program and arguments (no shell: give `["sh", "-c", "..."]` for one).
    pub argv: Vec<String>,
    /// The stream's file name in the snapshot.
    pub name: String,
    /// Killed with its process group after this long.
    pub timeout: Option<Duration>,
    /// Extra environment for the child (from the job's config; not secrets).
    pub env: Vec<(String, String)>,
    /// The plugin's label in the snapshot's paths (`command`, `mysql`, ...).
    pub label: String,
    /// Working directory (default: the agent's).
    pub cwd: Option<PathBuf>,
}

/// Runs a [`CommandSpec`] and stores its stdout.
pub struct CommandSource {
    spec: CommandSpec,
}

impl CommandSource {
    /// A source for `spec`; refuses an empty command or a bad stream name.
    pub fn new(spec: CommandSpec) -> Result<CommandSource> {
        let name = &spec.name;
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("stream name '{name}' is not a file name"),
            ));
        }
        if spec.argv.first().is_none_or(|p| p.is_empty()) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("stream '{name}': the command is empty"),
            )
            .hint("give command = [\"program\", \"arg\", ...]"));
        }
        Ok(CommandSource { spec })
    }

    fn program(&self) -> String {
        crate::humanize::printable(&self.spec.argv[0])
    }

    fn spawn(&self, stdin: bool) -> Result<Child> {
        let mut cmd = Command::new(&self.spec.argv[0]);
        cmd.args(&self.spec.argv[1..])
            .env_clear()
            .envs(
                INHERITED
                    .iter()
                    .filter_map(|k| Some((*k, std::env::var_os(k)?))),
            )
            .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(d) = &self.spec.cwd {
            cmd.current_dir(d);
        }
        die_with_parent(&mut cmd);
        cmd.spawn().map_err(|e| {
            Error::new(
                ErrorKind::BadInput,
                format!("command '{}' could not be started: {e}", self.program()),
            )
            .hint("check the job's command (absolute path, or a program in PATH)")
        })
    }
}

/// Makes the child receive SIGKILL when the thread that spawned it dies (the
/// agent killed, say). `pre_exec` is unsafe; what runs in it, `prctl`, is
/// async-signal-safe and touches no memory of the parent.
#[allow(unsafe_code)]
pub(crate) fn die_with_parent(cmd: &mut Command) {
    // SAFETY: only an async-signal-safe system call runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Kills a process group, ignoring one that is already gone.
fn kill_group(pgid: u32) {
    if let Ok(pid) = i32::try_from(pgid) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Kills the group of `pgid` unless told to stop first; says whether it did.
fn watchdog(
    pgid: u32,
    timeout: Option<Duration>,
) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<bool>) {
    let (stop, wait) = std::sync::mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        let fired = match timeout {
            Some(t) => matches!(
                wait.recv_timeout(t),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout)
            ),
            None => {
                let _ = wait.recv();
                false
            }
        };
        if fired {
            kill_group(pgid);
        }
        fired
    });
    (stop, h)
}

/// Reads `r` to its end, keeping the last [`STDERR_TAIL`] bytes.
pub(super) fn tail(mut r: impl Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * STDERR_TAIL {
                    kept.drain(..kept.len() - STDERR_TAIL);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if kept.len() > STDERR_TAIL {
        kept.drain(..kept.len() - STDERR_TAIL);
    }
    kept
}

/// How long a pipe may stay quiet after the program exited before reading
/// stops: a process that left the program's group (`setsid`) may hold it
/// open for ever.
const QUIET: u16 = 500;

/// A pipe from the program, read to its end, or, once the program has
/// exited (`exited`), until it stays quiet for [`QUIET`] ms (`cut` says so).
struct Pipe<R> {
    pipe: R,
    exited: Arc<AtomicBool>,
    cut: Arc<AtomicBool>,
}

impl<R> Pipe<R> {
    fn new(pipe: R, exited: &Arc<AtomicBool>, cut: &Arc<AtomicBool>) -> Pipe<R> {
        Pipe {
            pipe,
            exited: exited.clone(),
            cut: cut.clone(),
        }
    }
}

impl<R: Read + AsFd> Read for Pipe<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use nix::poll::{poll, PollFd, PollFlags};
        loop {
            let exited = self.exited.load(Ordering::Acquire);
            let mut fds = [PollFd::new(self.pipe.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, if exited { QUIET } else { 200 }) {
                Ok(0) if exited => {
                    self.cut.store(true, Ordering::Release);
                    return Ok(0);
                }
                Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
                Ok(_) => return self.pipe.read(buf),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Waits for the program to exit without reaping it (its pid, the group's
/// id, stays ours), kills what it left in its group, and says it exited.
fn waiter(pid: u32, exited: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        use nix::sys::wait::{waitid, Id, WaitPidFlag};
        if let Ok(p) = i32::try_from(pid) {
            let pid = nix::unistd::Pid::from_raw(p);
            while let Err(nix::errno::Errno::EINTR) =
                waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
            {}
        }
        kill_group(pid);
        exited.store(true, Ordering::Release);
    })
}

/// The last non-empty line of `stderr`, printable and bounded.
pub fn last_line(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty())?;
    let short: String = line.chars().take(300).collect();
    Some(crate::humanize::printable(&short))
}

/// One program's run into one stream: the file node, how it exited, and
/// why it failed (with the end of its stderr), if it did.
pub struct Streamed {
    /// The stream's file node (content, size).
    pub node: crate::format::tree::Node,
    /// `0`, `1`, `signal 9`.
    pub exit: String,
    /// Non-zero exit, signal, timeout or unreadable output.
    pub failure: Option<String>,
    /// A process outside the group held the output after the program exited.
    pub cut: bool,
}

/// A program started under this module's rules: a watchdog for its
/// timeout, a waiter that kills its group when it exits, stderr drained.
struct Started {
    child: Child,
    pid: u32,
    exited: Arc<AtomicBool>,
    cut: Arc<AtomicBool>,
    stop: std::sync::mpsc::Sender<()>,
    dog: std::thread::JoinHandle<bool>,
    waiting: std::thread::JoinHandle<()>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
}

impl Started {
    fn new(source: &CommandSource, stdin: bool) -> Result<Started> {
        let mut child = source.spawn(stdin)?;
        let pid = child.id();
        let (exited, cut) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let (stop, dog) = watchdog(pid, source.spec.timeout);
        let waiting = waiter(pid, exited.clone());
        let stderr = child.stderr.take().map(|p| Pipe::new(p, &exited, &cut));
        let stderr = stderr.map(|e| std::thread::spawn(move || tail(e)));
        Ok(Started {
            child,
            pid,
            exited,
            cut,
            stop,
            dog,
            waiting,
            stderr,
        })
    }

    /// Its stdout, read to the end or until quiet after it exited.
    fn stdout(&mut self) -> Option<Pipe<std::process::ChildStdout>> {
        let out = self.child.stdout.take()?;
        Some(Pipe::new(out, &self.exited, &self.cut))
    }

    /// Waits for it: how it exited, whether it timed out, the end of its
    /// stderr, whether a pipe was cut.
    fn finish(
        mut self,
    ) -> (
        std::io::Result<std::process::ExitStatus>,
        bool,
        Vec<u8>,
        bool,
    ) {
        let _ = self.waiting.join();
        let waited = self.child.wait();
        let _ = self.stop.send(());
        let timed_out = self.dog.join().unwrap_or(false);
        let stderr = self.stderr.and_then(|h| h.join().ok()).unwrap_or_default();
        (waited, timed_out, stderr, self.cut.load(Ordering::Acquire))
    }
}

/// Runs `spec` and stores its stdout as the file `spec.name`: the rules in
/// this module's documentation. The error is storage's (the run stops).
pub fn stream(run: &mut Run<'_, '_, '_>, spec: &CommandSpec) -> Result<Streamed> {
    let source = CommandSource::new(spec.clone())?;
    let mut started = Started::new(&source, false)?;
    let before = run.summary().bytes_read;
    let read = match started.stdout() {
        Some(out) => run.chunks(out, u64::MAX),
        None => Ok(Ok(Vec::new())),
    };
    if read.is_err() {
        // Storage failed: the program must not outlive the run.
        kill_group(started.pid);
    }
    let (waited, timed_out, stderr, cut) = started.finish();
    let content = read?;
    let program = source.program();
    let status = waited.map_err(|e| Error::io(format!("command '{program}'"), e))?;
    let mut node = run.own_file(spec.name.as_bytes(), 0o600);
    node.size = run.summary().bytes_read - before;
    let failure = match content {
        Ok(c) => {
            node.content = c;
            None
        }
        Err(e) => Some(format!("reading the output of '{program}': {e}")),
    };
    let failure = exit_failure(
        &program,
        status,
        timed_out.then(|| spec.timeout.unwrap_or_default()),
        failure,
    )
    .map(|why| with_stderr(why, &stderr));
    Ok(Streamed {
        node,
        exit: match (status.code(), status.signal()) {
            (Some(c), _) => c.to_string(),
            (None, Some(s)) => format!("signal {s}"),
            (None, None) => "unknown".into(),
        },
        failure,
        cut,
    })
}

/// Why a program's run failed, if it did: timed out (after `timed_out`), a
/// non-zero exit or a signal; else `earlier`.
fn exit_failure(
    program: &str,
    status: std::process::ExitStatus,
    timed_out: Option<Duration>,
    earlier: Option<String>,
) -> Option<String> {
    if let Some(t) = timed_out {
        Some(format!(
            "command '{program}' timed out after {} and was killed with its process group",
            crate::humanize::age(t.as_secs() as i64)
        ))
    } else if let Some(c) = status.code().filter(|&c| c != 0) {
        Some(format!("command '{program}' exited with status {c}"))
    } else if let Some(s) = status.signal() {
        Some(format!("command '{program}' was killed by signal {s}"))
    } else {
        earlier
    }
}

/// `why: LAST STDERR LINE`.
fn with_stderr(why: String, stderr: &[u8]) -> String {
    with_picked(why, stderr, last_line)
}

/// `why: LINE`, the line of `stderr` that `pick` says tells what went wrong.
fn with_picked(why: String, stderr: &[u8], pick: fn(&[u8]) -> Option<String>) -> String {
    match pick(stderr) {
        Some(line) => format!("{why}: {line}"),
        None => why,
    }
}

/// Reads `r` to its end, keeping its first `limit` bytes; says whether
/// there was more.
fn head(mut r: impl Read, limit: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut more = false;
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = limit.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                more |= n > room;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    (kept, more)
}

/// Runs `spec` to its end under the rules of [`stream`] (its group killed
/// at the timeout or when it exits, its environment rebuilt), its stdin
/// written by `input` (else `/dev/null`). Returns the first `limit` bytes
/// of its stdout and whether there were more. A non-zero exit is an error
/// with the end of its stderr; so is input it did not read to the end. An
/// error producing the input (storage, decryption) is reported as itself.
pub fn run_to_end(
    spec: &CommandSpec,
    input: Option<Feed<'_>>,
    limit: usize,
) -> Result<(Vec<u8>, bool)> {
    run_picking(spec, input, limit, last_line)
}

/// [`run_to_end`], its failure ending with the line of stderr `pick` finds
/// (a database client's `ERROR`/`FATAL` line, say).
pub fn run_picking(
    spec: &CommandSpec,
    input: Option<Feed<'_>>,
    limit: usize,
    pick: fn(&[u8]) -> Option<String>,
) -> Result<(Vec<u8>, bool)> {
    let source = CommandSource::new(spec.clone())?;
    let mut started = Started::new(&source, input.is_some())?;
    let stdout = started.stdout();
    let stdout = stdout.map(|o| std::thread::spawn(move || head(o, limit)));
    let fed = match (input, started.child.stdin.take()) {
        (Some(feed), Some(mut stdin)) => feed(&mut stdin),
        _ => Ok(()),
    };
    let (waited, timed_out, stderr, _) = started.finish();
    let out = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let program = source.program();
    let status = waited.map_err(|e| Error::io(format!("command '{program}'"), e))?;
    let failure = exit_failure(
        &program,
        status,
        timed_out.then(|| spec.timeout.unwrap_or_default()),
        None,
    );
    match (fed, failure) {
        (Err(e), _) if e.kind() != ErrorKind::Io => Err(e),
        (_, Some(why)) => Err(Error::new(
            ErrorKind::Other,
            with_picked(why, &stderr, pick),
        )),
        (Err(e), None) => Err(Error::new(
            ErrorKind::Other,
            format!("command '{program}' exited before reading all its input: {e}"),
        )),
        (Ok(()), None) => Ok(out),
    }
}

/// Runs each `(what, spec)` in turn into its stream and stores them as the
/// snapshot's tree. A failing program fails the run (`WHAT: why`, the
/// first), and the others still run: each stream is whole or marked so.
pub fn store_streams(run: &mut Run<'_, '_, '_>, specs: &[(String, CommandSpec)]) -> Result<Id> {
    let mut nodes = Vec::new();
    let mut failed = None;
    for (what, spec) in specs {
        run.check_deadline()?;
        let done = stream(run, spec)?;
        if done.cut {
            run.meta("note", CUT_NOTE.into());
        }
        if failed.is_none() {
            failed = done.failure.map(|f| format!("{what}: {f}"));
        }
        run.summary().total_bytes += done.node.size;
        nodes.push(done.node);
    }
    if let Some(why) = failed {
        run.fail(why);
    }
    run.summary().files = nodes.len() as u64;
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    run.store_tree(nodes)
}

/// The note a snapshot gets when a stream was cut.
pub const CUT_NOTE: &str =
    "a process outside the command's group held its output open after it exited; reading stopped";

impl Source for CommandSource {
    fn paths(&self) -> Vec<Vec<u8>> {
        vec![format!("{}:{}", self.spec.label, self.spec.name).into_bytes()]
    }

    fn read(self: Box<Self>, run: &mut Run<'_, '_, '_>) -> Result<Id> {
        let done = stream(run, &self.spec)?;
        let argv: Vec<String> = self
            .spec
            .argv
            .iter()
            .map(|a| crate::humanize::printable(a))
            .collect();
        run.meta("command", argv.join(" "));
        run.meta("exit", done.exit);
        if done.cut {
            run.meta("note", CUT_NOTE.into());
        }
        if let Some(why) = done.failure {
            run.fail(why);
        }
        run.summary().files = 1;
        run.summary().total_bytes = done.node.size;
        run.store_tree(vec![done.node])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_end_and_last_line_is_printable() {
        let mut big = vec![b'x'; 3 * STDERR_TAIL];
        big.extend_from_slice(b"\nfirst\nlast \x1b[31mline\n\n");
        let t = tail(&big[..]);
        assert_eq!(t.len(), STDERR_TAIL);
        assert!(t.ends_with(b"line\n\n"));
        assert_eq!(last_line(&t).unwrap(), "last \\x1b[31mline");
        assert_eq!(last_line(b"\n \n"), None);
    }

    #[test]
    fn empty_commands_and_bad_names_are_refused() {
        let spec = |argv: &[&str], name: &str| CommandSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            name: name.into(),
            timeout: None,
            env: Vec::new(),
            label: "command".into(),
            cwd: None,
        };
        assert!(CommandSource::new(spec(&[], "x")).is_err());
        assert!(CommandSource::new(spec(&[""], "x")).is_err());
        assert!(CommandSource::new(spec(&["true"], "a/b")).is_err());
        assert!(CommandSource::new(spec(&["true"], "..")).is_err());
        assert!(CommandSource::new(spec(&["true"], "ldap")).is_ok());
    }
}
