//! Exit codes, one table (mirrored in `docs/exit-codes.md`), and the single place
//! that turns a command's result into one.

use crate::output::Output;
use common::ErrorKind;

/// Success.
pub const OK: u8 = 0;
/// Any error not listed below.
pub const ERROR: u8 = 1;
/// Invalid command line (clap uses 2 too).
pub const USAGE: u8 = 2;
/// Backup finished and a snapshot was saved, but some sources were unreadable.
pub const PARTIAL: u8 = 3;
/// The repository does not exist.
pub const NO_REPO: u8 = 10;
/// Another run holds the repository's lock on this node.
pub const LOCKED: u8 = 11;
/// The key does not open the repository, or lacks the identity a read needs.
pub const KEY: u8 = 12;
/// Stored data is damaged: check found problems, or restore/dump skipped damaged files.
pub const DAMAGED: u8 = 13;
/// Vault cannot be reached or is sealed.
pub const VAULT_UNAVAILABLE: u8 = 14;
/// Vault refused: permission denied, credentials revoked, wrapped token used or expired.
pub const VAULT_DENIED: u8 = 15;

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

/// Exit code for an error, by the kind of the `common` error in its chain.
pub fn code_for(err: &anyhow::Error) -> u8 {
    let kind = err
        .chain()
        .find_map(|e| e.downcast_ref::<common::Error>())
        .map(|e| e.kind());
    match kind {
        Some(ErrorKind::RepoNotFound) => NO_REPO,
        Some(ErrorKind::Locked) => LOCKED,
        Some(ErrorKind::WrongKey | ErrorKind::NoIdentity) => KEY,
        Some(ErrorKind::Damaged) => DAMAGED,
        Some(ErrorKind::BadInput) => USAGE,
        Some(ErrorKind::VaultUnavailable) => VAULT_UNAVAILABLE,
        Some(ErrorKind::VaultDenied) => VAULT_DENIED,
        _ => ERROR,
    }
}

/// Prints the error once (one line: the whole chain) and picks the code.
pub fn finish(result: anyhow::Result<Status>, out: &Output) -> u8 {
    match result {
        Ok(Status::Ok) => OK,
        Ok(Status::Partial) => PARTIAL,
        Ok(Status::Damaged) => DAMAGED,
        Err(e) => {
            if is_broken_pipe(&e) {
                return OK;
            }
            let code = code_for(&e);
            out.error(&e, code);
            code
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
