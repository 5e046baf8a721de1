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
        meaning: "Bad command line or input: an invalid node name, no admin token, an unknown node, a refusal to overwrite (check-and-set), `--purge-keys` without `--yes`, a root token without `--allow-root`; `prune` with a token that can read an agent or restore secret (`copy`: or a reaper secret), `node copy` to the node's own location or without a credential for a remote end, a `--grace` under an hour, a node without a reaper secret.",
        action: "Correct the command.",
    },
    Row {
        codes: &[Code::PARTIAL],
        name: "held back",
        meaning: "`prune` did what it could and held something back: more than `max_forget` of a job's snapshots (without `--force`), a snapshot whose storage date is more than an hour from the time it claims (kept, fills no bucket), a sweep while a job's newest snapshot is from an agent older than 0.2.0 ([retention.md](retention.md)). `copy`: `source-lost`, snapshots copied before are gone from a node's storage with no forget record; the copy keeps them ([copy.md](copy.md)).",
        action: "Read the warnings; `--force` for the cap; look into a skewed snapshot (a node's clock, or a forgery). Source lost: find out who deleted them, restore from the copy, then `copy --accept-lost`.",
    },
    Row {
        codes: &[Code::NO_REPO, Code::DAMAGED, Code::STORAGE_UNAVAILABLE, Code::STORAGE_DENIED, Code::LOCKED],
        name: "as bananactl's",
        meaning: "`prune`: no repository at the node's location (10), an object that does not open (13: nothing is deleted), storage unreachable (17) or refusing (18), another prune of the same repository running (11). `drill`: a drill found a file or stream that does not come back as recorded (13; each failure is named, [drills.md](drills.md)). `copy`: an object in a node's storage does not match its name, or names one that does not (13: it is not copied, nor anything that needs it; each is named).",
        action: "As for bananactl.",
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
