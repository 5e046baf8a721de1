//! bananaui's exit codes (mirrored in `docs/exit-codes.md`), and the error
//! that carries one.

use std::fmt;

/// bananaui's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Code {
    /// Success.
    Ok = 0,
    /// Any error not listed below.
    Error = 1,
    /// Invalid command line, config file or argument (clap uses 2 too).
    Usage = 2,
    /// The tower's database is in use by another `bananaui serve`.
    Locked = 11,
    /// The tower does not answer (`tui`, `node list`) or refused the viewer token.
    Unreachable = 20,
    /// A thread of `serve` panicked: a bug; the service manager restarts it.
    Internal = 70,
}

/// An error with the exit code it means.
#[derive(Debug)]
pub struct Failure {
    /// The code.
    pub code: Code,
    /// One line naming the object and the fix.
    pub message: String,
}

impl Failure {
    /// A failure as an `anyhow` error.
    pub fn error(code: Code, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code,
            message: message.into(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The code of an error: a [`Failure`] in its chain, else a bad input from
/// `common`, else [`Code::Error`].
pub fn code_for(e: &anyhow::Error) -> Code {
    if let Some(f) = e.chain().find_map(|c| c.downcast_ref::<Failure>()) {
        return f.code;
    }
    match e
        .chain()
        .find_map(|c| c.downcast_ref::<common::Error>())
        .map(|e| e.kind())
    {
        Some(common::ErrorKind::BadInput) => Code::Usage,
        _ => Code::Error,
    }
}
