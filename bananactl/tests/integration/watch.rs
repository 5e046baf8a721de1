//! A watcher for what a database backup must never leave behind: the
//! password in any process's argv or environment, and a plaintext dump on
//! disk (a marker row's value in a file written while it runs, under
//! `/tmp`, `/var/tmp`, the working directory or the test's directories).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The test servers' own directories (their data files hold the rows).
const SERVERS: &[&str] = &["banana-mariadb", "banana-pg", "banana-etcd"];

/// A running watch; [`Leaks::stop`] says where it saw what.
pub struct Leaks {
    stop: Arc<AtomicBool>,
    h: std::thread::JoinHandle<Vec<String>>,
}

fn has(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// `p`'s bytes, read without moving its access time (`O_NOATIME`, for its
/// owner and root): tests running beside the watch check the atimes they
/// restore, and a read between a restore's setting them and its rename
/// would move them.
fn read_quietly(p: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOATIME)
        .open(p)
        .or_else(|_| std::fs::File::open(p))?;
    let mut b = Vec::new();
    f.read_to_end(&mut b)?;
    Ok(b)
}

/// Files below `dir` modified since `since` (directories of the test
/// servers skipped; entries vanishing meanwhile ignored).
fn recent(dir: &Path, since: SystemTime, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if !SERVERS.iter().any(|s| name.starts_with(s)) {
                recent(&e.path(), since, out);
            }
        } else if ft.is_file()
            && e.metadata()
                .is_ok_and(|m| m.len() < 256 << 20 && m.modified().is_ok_and(|t| t >= since))
        {
            out.push(e.path());
        }
    }
}

/// Starts watching for `secret` (processes) and `marker` (files); `allowed`
/// says which file may hold the marker (a plugin's private snapshot file).
pub fn watch(secret: &str, marker: &str, dirs: &[PathBuf], allowed: fn(&Path) -> bool) -> Leaks {
    let (secret, marker) = (secret.as_bytes().to_vec(), marker.as_bytes().to_vec());
    let mut roots = vec![PathBuf::from("/tmp"), PathBuf::from("/var/tmp")];
    roots.extend(std::env::current_dir().ok());
    roots.extend(dirs.iter().cloned());
    let since = SystemTime::now() - Duration::from_secs(1);
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let h = std::thread::spawn(move || {
        let mut seen = Vec::new();
        // Two whole rounds after the stop: what the run wrote last is seen.
        let mut after_stop = 0;
        while after_stop < 2 {
            if s.load(Ordering::Relaxed) {
                after_stop += 1;
            }
            for p in std::fs::read_dir("/proc").unwrap().flatten() {
                for f in ["cmdline", "environ"] {
                    if std::fs::read(p.path().join(f)).is_ok_and(|b| has(&b, &secret)) {
                        seen.push(format!("{}/{f}", p.path().display()));
                    }
                }
            }
            let mut files = Vec::new();
            for r in &roots {
                recent(r, since, &mut files);
            }
            for f in files {
                if !allowed(&f) && read_quietly(&f).is_ok_and(|b| has(&b, &marker)) {
                    seen.push(f.display().to_string());
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        seen.sort();
        seen.dedup();
        seen
    });
    Leaks { stop, h }
}

impl Leaks {
    /// Stops after two more rounds; where the secret or marker was seen.
    pub fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.h.join().unwrap()
    }
}

/// No file may hold the marker.
pub fn nothing(_: &Path) -> bool {
    false
}

/// The watch sees what it is for: a dump file written under /tmp, a secret
/// in a child's argv (a watch that sees nothing proves nothing).
#[test]
fn the_watch_sees_a_plaintext_file_and_a_secret_in_argv() {
    let n = std::process::id();
    let (secret, marker) = (format!("watch-secret-{n}"), format!("watch-marker-{n}"));
    let leaks = watch(&secret, &marker, &[], nothing);
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    std::fs::write(dir.path().join("dump.sql"), format!("INSERT '{marker}'")).unwrap();
    // Alive well past the two rounds after the stop, however slow a round.
    let mut child = std::process::Command::new("sh")
        .args(["-c", "sleep 60; exit 0", &secret])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let seen = leaks.stop();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.iter().any(|s| s.ends_with("dump.sql")), "{seen:?}");
    assert!(seen.iter().any(|s| s.ends_with("/cmdline")), "{seen:?}");
}
