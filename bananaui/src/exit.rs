//! bananaui's exit codes: the shared ones (`proto::exit`) and two of its
//! own; [`TABLE`] is what `docs/exit-codes.md` shows (`cargo xtask gen`).

pub use proto::exit::{Code, Failure, Row};

/// The tower does not answer (`tui`, `node list`) or refused the viewer token.
pub const UNREACHABLE: Code = Code::own(20);
/// A thread of `serve` panicked: a bug; the service manager restarts it.
pub const INTERNAL: Code = Code::own(70);

/// An error that exits with `code`.
pub fn fail(code: Code, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure::new(code, message))
}

/// The code of an error (`proto::exit::code_of`).
pub fn code_for(e: &anyhow::Error) -> Code {
    proto::exit::code_of(e.chain())
}

/// bananaui's table in `docs/exit-codes.md`.
pub const TABLE: &[Row] = &[
    Row {
        codes: &[Code::OK],
        name: "ok",
        meaning: "Done (`serve` runs until killed).",
        action: "—",
    },
    Row {
        codes: &[Code::ERROR],
        name: "error",
        meaning: "A failure not listed below (binding the port, a local I/O error).",
        action: "Read the message.",
    },
    Row {
        codes: &[Code::USAGE],
        name: "usage",
        meaning: "Bad command line, config file or argument: an unknown config key or bad value (the message names it), an invalid node name, `--url` not http(s), listening off loopback without a viewer token; `node add` for a node already enrolled without `--replace`; `alert ack` with nothing to acknowledge.",
        action: "Correct the command or the config.",
    },
    Row {
        codes: &[Code::LOCKED],
        name: "locked",
        meaning: "The tower's data directory is in use by another `bananaui serve` (`tower data DIR is in use by PID N`).",
        action: "Stop the other one, or use another `--data`.",
    },
    Row {
        codes: &[UNREACHABLE],
        name: "unreachable",
        meaning: "`node list`: the tower did not answer, or refused the viewer token (`tui` shows a banner instead and keeps running); `node add` and `alert ack`: no `serve` holds the data directory (`DATA/admin.sock`), so nothing was written.",
        action: "Check `--url`, that `serve` runs (on that `--data`), and `--token-file`.",
    },
    Row {
        codes: &[INTERNAL],
        name: "internal",
        meaning: "A thread of `serve` panicked (a bug): the collector exits so the service manager restarts it; acknowledged statuses are on disk.",
        action: "Report it with the log.",
    },
];
