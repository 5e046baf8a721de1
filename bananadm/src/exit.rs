//! bananadm's exit codes (mirrored in `docs/exit-codes.md`); the numbers
//! shared with bananactl mean the same thing.

use common::ErrorKind;

/// bananadm's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Code {
    /// Success.
    Ok = 0,
    /// Any error not listed below.
    Error = 1,
    /// Invalid command line or input: a bad node name, no admin token, an
    /// unknown node, a refusal to overwrite (clap uses 2 too).
    Usage = 2,
    /// Vault cannot be reached or is sealed.
    VaultUnavailable = 14,
    /// Vault refused: the admin token lacks a policy, expired or was revoked.
    VaultDenied = 15,
}

/// Exit code for an error, by the kind of the `common` error in its chain.
pub fn code_for(e: &anyhow::Error) -> Code {
    match e
        .chain()
        .find_map(|c| c.downcast_ref::<common::Error>())
        .map(|e| e.kind())
    {
        Some(ErrorKind::BadInput | ErrorKind::NotFound) => Code::Usage,
        Some(ErrorKind::VaultUnavailable) => Code::VaultUnavailable,
        Some(ErrorKind::VaultDenied) => Code::VaultDenied,
        _ => Code::Error,
    }
}
