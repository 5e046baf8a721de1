//! Private run directories (`STATE/run-PID-RANDOM`, 0700): where a job's
//! credentials file, a PGPASSFILE or an etcd snapshot lives for one run.
//! Removed when dropped, by [`remove_on_termination`]'s handler when the
//! agent is told to stop,
//! and by the next run when the agent was killed ([`sweep_dead_runs`]).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A private directory for one run, removed when dropped.
pub struct RunDir(PathBuf);

impl RunDir {
    /// `BASE/run-PID-RANDOM`, mode 0700. Run directories of agents that
    /// died without removing theirs (killed, a crash) go first: they may
    /// hold a credentials file.
    pub fn new(base: &Path) -> Result<RunDir> {
        sweep_dead_runs(base);
        let dir = base.join(format!(
            "run-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        // Made and recorded under the lock the signal handler takes: a
        // signal between the two cannot leave it behind.
        let mut live = live();
        crate::fsutil::private_dir(&dir)
            .map_err(|e| Error::io(format!("run directory {}", dir.display()), e))?;
        live.push(dir.clone());
        Ok(RunDir(dir))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        remove_tree(&self.0);
        live().retain(|d| d != &self.0);
    }
}

/// Removes `dir` and all below it; says whether it is gone. Directories
/// the tree holds without write permission (a drill's restored sample, when
/// not run as root) are opened to their owner first. Symlinks are removed,
/// never followed.
fn remove_tree(dir: &Path) -> bool {
    if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
        return true;
    }
    use std::os::unix::fs::PermissionsExt;
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700));
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(e.path());
            }
        }
    }
    std::fs::remove_dir_all(dir).is_ok() || !dir.exists()
}

/// This process's run directories.
fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every run directory in `dirs` (for a signal handler about to
/// exit: no destructor will run).
fn remove_all(dirs: &[PathBuf]) {
    for d in dirs {
        // Other threads may still be writing into it (a drill's restore):
        // once a directory is gone nothing more can be created in it, so
        // a few tries empty it.
        for _ in 0..100 {
            if remove_tree(d) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Handles SIGTERM, SIGINT and SIGHUP: removes this process's run
/// directories, then exits with 128 + the signal, as the default action
/// would have. Called first thing in `main`, before any thread exists, so
/// that every thread inherits the blocked set and only the waiting thread
/// takes them. Children start with an empty mask (the standard library
/// resets it).
pub fn remove_on_termination() {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        set.add(s);
    }
    if set.thread_block().is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Ok(sig) = set.wait() {
                // The lock is held until the process is gone: no thread
                // makes a run directory after these are removed.
                // A thread busy making a path below one (a restore's
                // target) may make it again: a second pass takes that.
                let held = live();
                remove_all(&held);
                std::thread::sleep(std::time::Duration::from_millis(20));
                remove_all(&held);
                std::process::exit(128 + sig as i32);
            }
        });
    if spawned.is_err() {
        let _ = set.thread_unblock();
    }
}

/// Removes `BASE/run-PID-*` whose process is gone (a killed agent's, which
/// may hold a credentials file).
pub fn sweep_dead_runs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix("run-")
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            remove_tree(&e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_agents_run_directory_goes_with_the_next_run() {
        let base = tempfile::tempdir().unwrap();
        let dead = base.path().join("run-999999999-00");
        let live = base.path().join(format!("run-{}-00", std::process::id()));
        for d in [&dead, &live] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("credentials"), "pw").unwrap();
        }
        let run = RunDir::new(base.path()).unwrap();
        assert!(!dead.exists());
        assert!(live.exists() && run.path().exists());
        let p = run.path().to_owned();
        drop(run);
        assert!(!p.exists());
    }

    #[test]
    fn read_only_directories_inside_a_run_directory_go_with_it() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let run = RunDir::new(base.path()).unwrap();
        let locked = run.path().join("files/etc/locked");
        std::fs::create_dir_all(locked.join("inner")).unwrap();
        std::fs::write(locked.join("inner/f"), "x").unwrap();
        for d in [locked.join("inner"), locked.clone()] {
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o500)).unwrap();
        }
        let p = run.path().to_owned();
        drop(run);
        assert!(!p.exists());
    }
}
