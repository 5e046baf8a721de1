//! One `serve` per data directory: `DATA/serve.lock` is locked (flock) for
//! the life of the process and holds its PID, so a second `serve` on the
//! same directory can say who holds it (sled's own lock only says that its
//! file is locked, in a Debug string). The lock goes with the process, even
//! after kill -9.

use crate::exit::{self, Code};
use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The lock on a data directory, held until dropped.
pub struct DataLock {
    _file: Flock<std::fs::File>,
}

/// Locks `data` for this process (creating the directory), or fails with
/// [`Code::LOCKED`] naming the PID that holds it.
pub fn acquire(data: &Path) -> anyhow::Result<DataLock> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("tower data directory {}", data.display()))?;
    let path = data.join("serve.lock");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("lock file {}", path.display()))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(mut f) => {
            f.set_len(0)
                .and_then(|()| f.write_all(format!("{}\n", std::process::id()).as_bytes()))
                .with_context(|| format!("lock file {}", path.display()))?;
            Ok(DataLock { _file: f })
        }
        Err((mut file, Errno::EWOULDBLOCK)) => {
            // Empty while the holder is starting: then its PID is unknowable.
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            Err(in_use(data, text.trim().parse::<u32>().ok()))
        }
        Err((_, e)) => Err(anyhow::anyhow!(
            "locking tower data {} ({}): {e}",
            data.display(),
            path.display()
        )),
    }
}

/// The error of a data directory that another process holds.
pub fn in_use(data: &Path, pid: Option<u32>) -> anyhow::Error {
    let who = match pid {
        Some(p) => format!("PID {p}"),
        None => "another process".to_owned(),
    };
    exit::fail(
        Code::LOCKED,
        format!(
            "tower data {} is in use by {who}: stop that bananaui serve, or give this one another --data",
            data.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = acquire(dir.path()).unwrap();
        let e = acquire(dir.path()).err().unwrap();
        assert_eq!(crate::exit::code_for(&e), Code::LOCKED);
        assert_eq!(
            e.to_string(),
            format!(
                "tower data {} is in use by PID {}: stop that bananaui serve, or give this one another --data",
                dir.path().display(),
                std::process::id()
            )
        );
        drop(held);
        assert!(acquire(dir.path()).is_ok());
    }
}
