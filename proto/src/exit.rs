//! The one table of exit codes (`docs/exit-codes.md`, generated from the
//! binaries' [`Row`] tables by `cargo xtask gen`). The codes here mean the
//! same in `bananactl`, `bananadm` and `bananaui`, and [`for_kind`] is the
//! only place an [`ErrorKind`] becomes one; a binary adds codes of its own
//! (20 and 70 for `bananaui`) above these, never a second meaning for one.

use crate::error::{Error, ErrorKind};
use std::fmt;

/// A process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(u8);

impl Code {
    /// Success.
    pub const OK: Code = Code(0);
    /// Any error not listed below.
    pub const ERROR: Code = Code(1);
    /// Invalid command line or input (clap uses 2 too).
    pub const USAGE: Code = Code(2);
    /// Done, but not all of it: a backup saved without some sources, or
    /// storage lost a snapshot this node wrote (`rollback`).
    pub const PARTIAL: Code = Code(3);
    /// There is no repository at the location.
    pub const NO_REPO: Code = Code(10);
    /// Another process holds the lock.
    pub const LOCKED: Code = Code(11);
    /// The key does not open the repository, or lacks the identity a read needs.
    pub const KEY: Code = Code(12);
    /// Stored data is damaged, or some entries could not be restored.
    pub const DAMAGED: Code = Code(13);
    /// Vault cannot be reached or is sealed.
    pub const VAULT_UNAVAILABLE: Code = Code(14);
    /// Vault refused: permission denied, revoked, wrapped token used or expired.
    pub const VAULT_DENIED: Code = Code(15);
    /// The repository a node wrote to is missing, empty, or another one.
    pub const REPO_MISSING: Code = Code(16);
    /// The storage did not answer within the retry budget.
    pub const STORAGE_UNAVAILABLE: Code = Code(17);
    /// The storage refused the credential or the operation.
    pub const STORAGE_DENIED: Code = Code(18);

    /// Every shared code, in order.
    pub const SHARED: [Code; 13] = [
        Code::OK,
        Code::ERROR,
        Code::USAGE,
        Code::PARTIAL,
        Code::NO_REPO,
        Code::LOCKED,
        Code::KEY,
        Code::DAMAGED,
        Code::VAULT_UNAVAILABLE,
        Code::VAULT_DENIED,
        Code::REPO_MISSING,
        Code::STORAGE_UNAVAILABLE,
        Code::STORAGE_DENIED,
    ];

    /// A binary's own code: 19 and above (below are shared or reserved).
    pub const fn own(n: u8) -> Code {
        assert!(n >= 19, "codes below 19 are shared");
        Code(n)
    }

    /// The code with this number, as read back from a child's exit status.
    pub fn from_u8(n: u8) -> Code {
        Code(n)
    }

    /// The number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl From<Code> for u8 {
    fn from(c: Code) -> u8 {
        c.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The code every binary gives an error of this kind.
pub fn for_kind(kind: ErrorKind) -> Code {
    match kind {
        ErrorKind::RepoNotFound => Code::NO_REPO,
        ErrorKind::RepoMissing => Code::REPO_MISSING,
        ErrorKind::Locked => Code::LOCKED,
        ErrorKind::WrongKey | ErrorKind::NoIdentity => Code::KEY,
        ErrorKind::Damaged => Code::DAMAGED,
        ErrorKind::BadInput | ErrorKind::NotFound => Code::USAGE,
        ErrorKind::VaultUnavailable => Code::VAULT_UNAVAILABLE,
        ErrorKind::VaultDenied => Code::VAULT_DENIED,
        ErrorKind::StorageUnavailable => Code::STORAGE_UNAVAILABLE,
        ErrorKind::StorageDenied => Code::STORAGE_DENIED,
        ErrorKind::Io | ErrorKind::Other => Code::ERROR,
    }
}

/// An error that carries the code it means: what a binary returns when no
/// [`ErrorKind`] says it (a `bananactl run` whose jobs failed, a tower that
/// does not answer).
#[derive(Debug)]
pub struct Failure {
    /// The code.
    pub code: Code,
    /// One line naming the object and the fix.
    pub message: String,
}

impl Failure {
    /// A failure with its code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The code of an error, from its chain of causes: the first [`Failure`]'s,
/// else the first Banana [`Error`]'s kind's, else [`Code::ERROR`]. Every
/// binary picks its exit code with this function.
pub fn code_of<'a>(chain: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>) -> Code {
    let mut by_kind = None;
    for e in chain {
        if let Some(f) = e.downcast_ref::<Failure>() {
            return f.code;
        }
        if by_kind.is_none() {
            by_kind = e.downcast_ref::<Error>().map(|e| for_kind(e.kind()));
        }
    }
    by_kind.unwrap_or(Code::ERROR)
}

/// One row of a binary's table in `docs/exit-codes.md`.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The code (several for one meaning: the signals).
    pub codes: &'static [Code],
    /// Its short name.
    pub name: &'static str,
    /// What happened, for this binary.
    pub meaning: &'static str,
    /// What to do.
    pub action: &'static str,
}

/// A binary's table as the Markdown `docs/exit-codes.md` holds.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::from("| code | name | meaning | what to do |\n|---:|---|---|---|\n");
    for r in rows {
        let codes: Vec<String> = r.codes.iter().map(Code::to_string).collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            codes.join(", "),
            r.name,
            r.meaning,
            r.action
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_a_shared_code() {
        use ErrorKind::*;
        for k in [
            RepoNotFound,
            RepoMissing,
            WrongKey,
            NoIdentity,
            Damaged,
            Locked,
            NotFound,
            VaultUnavailable,
            VaultDenied,
            BadInput,
            StorageUnavailable,
            StorageDenied,
            Io,
            Other,
        ] {
            assert!(Code::SHARED.contains(&for_kind(k)), "{k:?}");
        }
        assert_eq!(for_kind(NotFound), Code::USAGE);
        assert_eq!(for_kind(StorageDenied).get(), 18);
    }

    #[test]
    fn a_chain_is_read_for_the_first_banana_error() {
        let inner = Error::new(ErrorKind::VaultDenied, "denied");
        let io = std::io::Error::other(inner);
        let chain: Vec<&(dyn std::error::Error + 'static)> = vec![&io, io.get_ref().unwrap()];
        assert_eq!(code_of(chain.into_iter()), Code::VAULT_DENIED);
        let failed = Failure::new(Code::own(20), "tower down");
        let chain: Vec<&(dyn std::error::Error + 'static)> = vec![&io, &failed];
        assert_eq!(code_of(chain.into_iter()), Code::own(20), "a Failure wins");
        assert_eq!(code_of(std::iter::empty()), Code::ERROR);
    }

    #[test]
    #[should_panic(expected = "shared")]
    fn own_codes_stay_above_the_shared_ones() {
        let n = std::hint::black_box(18);
        Code::own(n);
    }
}
