//! bananadm's exit codes: the shared ones (`proto::exit`, the same numbers
//! for the same kinds as bananactl and bananaui); [`TABLE`] is what
//! `docs/exit-codes.md` shows (`cargo xtask gen`).

pub use common::exit::{Code, Row};

/// The code of an error (`proto::exit::code_of`).
pub fn code_for(e: &anyhow::Error) -> Code {
    common::exit::code_of(e.chain())
}

/// bananadm's table in `docs/exit-codes.md`.
pub const TABLE: &[Row] = &[
    Row {
        codes: &[Code::OK],
        name: "ok",
        meaning: "Done.",
        action: "—",
    },
    Row {
        codes: &[Code::ERROR],
        name: "error",
        meaning: "A failure not listed below (an unexpected answer from Vault, a local I/O error).",
        action: "Read the message.",
    },
    Row {
        codes: &[Code::USAGE],
        name: "usage",
        meaning: "Bad command line or input: an invalid node name, no admin token, an unknown node, a refusal to overwrite (check-and-set), `--purge-keys` without `--yes`, a root token without `--allow-root`.",
        action: "Correct the command.",
    },
    Row {
        codes: &[Code::VAULT_UNAVAILABLE],
        name: "Vault unavailable",
        meaning: "Vault cannot be reached or is sealed. Nothing was changed.",
        action: "Fix the address or network, or unseal Vault.",
    },
    Row {
        codes: &[Code::VAULT_DENIED],
        name: "Vault denied",
        meaning: "The admin token lacks a policy for the path named, expired, or was revoked.",
        action: "Use a token with the `banana-admin` policy (`bananadm vault policy`).",
    },
];
