//! Starting real servers for tests: free loopback ports, a scratch directory
//! per test process (those of dead processes are removed), child processes
//! that die with the test process, and the wait for them to answer.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to start on a loaded machine: a bound that
/// only ends a hung start, never a deadline a slow start has to meet (a
/// server that exits fails the wait at once).
pub(crate) const START_BOUND: Duration = Duration::from_secs(300);

/// Whether `pid` is running: its `/proc` entry exists and it is not a
/// zombie (the servers are never reaped, so one that exited stays one).
pub(crate) fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        let state = s.rsplit_once(')').map_or("", |(_, rest)| rest.trim_start());
        !(state.starts_with('Z') || state.starts_with('X'))
    })
}

/// Polls `ready` until it holds; fails at once if one of `pids` exited, and
/// after [`START_BOUND`]. The logs are in `dir/log`.
pub(crate) fn wait_until(what: &str, dir: &Path, pids: &[u32], ready: impl Fn() -> bool) {
    let bound = Instant::now() + START_BOUND;
    while !ready() {
        for p in pids {
            assert!(
                alive(*p),
                "{what} (pid {p}) exited; logs in {}",
                dir.join("log").display()
            );
        }
        assert!(
            Instant::now() < bound,
            "{what} did not start in {START_BOUND:?}; logs in {}",
            dir.join("log").display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A loopback port nobody listens on right now, for a server a test is
/// about to start. Chosen at random below the kernel's ephemeral range
/// (32768 and up on Linux): a port from `bind(0)` is one outgoing
/// connections also take as their local port, so a busy test process could
/// hold it by the time the server binds (a Swift container server waited
/// 30 s for 127.0.0.1:36999 and died). Never handed out twice in a process.
pub fn free_port() -> u16 {
    free_ports_at(&[0])
}

/// A port `p` with `p + offset` free for each offset, as [`free_port`].
pub(crate) fn free_ports_at(offsets: &[u16]) -> u16 {
    use rand::Rng;
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    const LOW: u16 = 10_000;
    const EPHEMERAL: u16 = 32_768;
    let top = EPHEMERAL - offsets.iter().copied().max().unwrap_or(0);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..1000 {
        let p = rand::thread_rng().gen_range(LOW..top);
        let all: Vec<u16> = offsets.iter().map(|o| p + o).collect();
        if all.iter().any(|q| given.contains(q)) {
            continue;
        }
        if all
            .iter()
            .all(|q| TcpListener::bind(("127.0.0.1", *q)).is_ok())
        {
            given.extend(all);
            return p;
        }
    }
    panic!("no free loopback port between {LOW} and {top} in 1000 tries");
}

/// `TMP/PREFIX-PID`, new and empty. Directories of earlier test processes
/// that are gone are removed first, after `before_remove` (which unmounts
/// what they left mounted).
pub(crate) fn scratch_dir(prefix: &str, before_remove: &dyn Fn(&Path)) -> PathBuf {
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let dead = name
                .strip_prefix(prefix)
                .and_then(|p| p.strip_prefix('-'))
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
            if dead {
                before_remove(&e.path());
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = tmp.join(format!("{prefix}-{}", std::process::id()));
    before_remove(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("log")).expect("scratch dir");
    dir
}

/// Whether every program is on `PATH` (or an existing absolute path).
pub fn installed(programs: &[&str]) -> bool {
    programs.iter().all(|b| {
        Path::new(b).is_absolute() && Path::new(b).exists()
            || Command::new("sh")
                .args(["-c", &format!("command -v {b}")])
                .output()
                .is_ok_and(|o| o.status.success())
    })
}

/// A program to start: a name for its log (`logs/NAME.log`), its argv and
/// extra environment.
pub(crate) struct Proc {
    pub name: &'static str,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// Starts every program through `setpriv --pdeathsig KILL` from a thread
/// that outlives the tests (PDEATHSIG follows the spawning thread), so they
/// die with the test process. Returns their pids.
pub(crate) fn spawn_parked(thread: &str, logs: &Path, procs: Vec<Proc>) -> Vec<u32> {
    let logs = logs.to_owned();
    let n = procs.len();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            for p in procs {
                let log = std::fs::File::create(logs.join(format!("{}.log", p.name))).expect("log");
                let child = Command::new("setpriv")
                    .args(["--pdeathsig", "KILL", "--"])
                    .args(&p.argv)
                    .envs(p.env)
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().expect("log"))
                    .stderr(log)
                    .spawn();
                let _ = tx.send(
                    child
                        .map(|c| c.id())
                        .map_err(|e| format!("{}: {e}", p.name)),
                );
            }
            loop {
                std::thread::park();
            }
        })
        .expect("thread");
    (0..n)
        .map(|_| rx.recv().expect("spawn").expect("starting a test server"))
        .collect()
}
