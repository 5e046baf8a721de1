//! Exit codes, one enum (mirrored in `docs/exit-codes.md`), and the single
//! place that turns a command's result into one.

use crate::output::Output;
use common::ErrorKind;

/// bananactl's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Code {
    /// Success.
    Ok = 0,
    /// Any error not listed below.
    Error = 1,
    /// Invalid command line or input (clap uses 2 too).
    Usage = 2,
    /// Backup finished and a snapshot was saved, but some sources were
    /// unreadable, or storage lost a snapshot this node wrote (`rollback`).
    Partial = 3,
    /// The repository does not exist.
    NoRepo = 10,
    /// Another run of the same job holds its lock on this node.
    Locked = 11,
    /// The key does not open the repository, or lacks the identity a read needs.
    Key = 12,
    /// Stored data is damaged: check found problems, or restore/dump skipped damaged files.
    Damaged = 13,
    /// Vault cannot be reached or is sealed.
    VaultUnavailable = 14,
    /// Vault refused: permission denied, credentials revoked, wrapped token used or expired.
    VaultDenied = 15,
    /// The repository this node wrote to is missing, empty, or holds another
    /// repository (`repository-missing`).
    RepoMissing = 16,
    /// The storage did not answer within the retry budget (`storage-unavailable`).
    StorageUnavailable = 17,
    /// The storage refused the node's credential or the operation (`storage-denied`).
    StorageDenied = 18,
}

impl Code {
    /// The code with this number (1 for an unknown one).
    pub fn from_u8(n: u8) -> Code {
        use Code::*;
        [
            Ok,
            Error,
            Usage,
            Partial,
            NoRepo,
            Locked,
            Key,
            Damaged,
            VaultUnavailable,
            VaultDenied,
            RepoMissing,
            StorageUnavailable,
            StorageDenied,
        ]
        .into_iter()
        .find(|c| *c as u8 == n)
        .unwrap_or(Error)
    }
}

impl From<Code> for u8 {
    fn from(c: Code) -> u8 {
        c as u8
    }
}

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// All done.
    Ok,
    /// Snapshot saved without some sources.
    Partial,
    /// Damage found or some entries not restored.
    Damaged,
}

/// The kind of the `common` error in an error's chain, if any.
pub fn kind(err: &anyhow::Error) -> Option<ErrorKind> {
    err.chain()
        .find_map(|e| e.downcast_ref::<common::Error>())
        .map(|e| e.kind())
}

/// Exit code for an error, by the kind of the `common` error in its chain.
pub fn code_for(err: &anyhow::Error) -> Code {
    if let Some(r) = err.downcast_ref::<crate::commands::run::RunFailed>() {
        return Code::from_u8(r.code);
    }
    match kind(err) {
        Some(ErrorKind::RepoNotFound) => Code::NoRepo,
        Some(ErrorKind::RepoMissing) => Code::RepoMissing,
        Some(ErrorKind::Locked) => Code::Locked,
        Some(ErrorKind::WrongKey | ErrorKind::NoIdentity) => Code::Key,
        Some(ErrorKind::Damaged) => Code::Damaged,
        Some(ErrorKind::BadInput) => Code::Usage,
        Some(ErrorKind::VaultUnavailable) => Code::VaultUnavailable,
        Some(ErrorKind::VaultDenied) => Code::VaultDenied,
        Some(ErrorKind::StorageUnavailable) => Code::StorageUnavailable,
        Some(ErrorKind::StorageDenied) => Code::StorageDenied,
        _ => Code::Error,
    }
}

/// Prints the error once (one line: the whole chain) and picks the code.
pub fn finish(result: anyhow::Result<Status>, out: &Output) -> u8 {
    let code = match result {
        Ok(Status::Ok) => Code::Ok,
        Ok(Status::Partial) => Code::Partial,
        Ok(Status::Damaged) => Code::Damaged,
        Err(e) if is_broken_pipe(&e) => Code::Ok,
        Err(e) => {
            let code = code_for(&e);
            out.error(&e, code.into());
            code
        }
    };
    code.into()
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Handles SIGTERM, SIGINT and SIGHUP (`systemctl stop`, Ctrl-C): removes
/// this run's private directories, which may hold a job's credentials, then
/// exits with 128 + the signal, as the default action would have. Called
/// first thing in `main`, before any thread exists, so that every thread
/// inherits the blocked set and only the waiting thread takes them.
/// Children start with an empty mask (the standard library resets it).
pub fn on_termination() {
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
                common::ops::backup::remove_live();
                std::process::exit(128 + sig as i32);
            }
        });
    if spawned.is_err() {
        let _ = set.thread_unblock();
    }
}
