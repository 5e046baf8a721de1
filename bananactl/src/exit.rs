//! Exit codes (the shared table is `proto::exit`; [`TABLE`] is what
//! `docs/exit-codes.md` shows, `cargo xtask gen`), and the single place that
//! turns a command's result into one.

use crate::output::Output;
use common::ErrorKind;

pub use common::exit::{Code, Failure, Row};

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

/// Exit code for an error: a [`Failure`] in its chain (a `run` whose jobs
/// failed), else the kind of the `common` error in it (`proto::exit::code_of`).
pub fn code_for(err: &anyhow::Error) -> Code {
    common::exit::code_of(err.chain())
}

/// Prints the error once (one line: the whole chain) and picks the code.
pub fn finish(result: anyhow::Result<Status>, out: &Output) -> u8 {
    let code = match result {
        Ok(Status::Ok) => Code::OK,
        Ok(Status::Partial) => Code::PARTIAL,
        Ok(Status::Damaged) => Code::DAMAGED,
        Err(e) if is_broken_pipe(&e) => Code::OK,
        Err(e) => {
            let code = code_for(&e);
            out.error(&e, code.get());
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
    common::plugins::remove_on_termination();
}

/// bananactl's table in `docs/exit-codes.md`.
pub const TABLE: &[Row] = &[
    Row {
        codes: &[Code::OK],
        name: "ok",
        meaning: "The command did everything it was asked.",
        action: "—",
    },
    Row {
        codes: &[Code::ERROR],
        name: "error",
        meaning: "A failure not listed below: a job whose program (`command` plugin) exited non-zero, was killed or timed out (its snapshot is kept marked `failed`; [jobs.md](jobs.md)); I/O on the local machine or the storage (full disk, read-only filesystem, permissions, a location that cannot be listed), a symlink, FIFO or device where the repository should hold a directory or an object (named, never followed), an internal error. Nothing is left half-written: the repository stays valid.",
        action: "Read the message; it names the path and the fix.",
    },
    Row {
        codes: &[Code::USAGE],
        name: "usage",
        meaning: "Bad command line or bad input: unknown flag, a source path that does not exist, an unknown snapshot id, an invalid key or config file, a key file or `--config` that does not exist, a path (`restore --include`, `ls`, `dump`) that is not in the snapshot, a restore target that is a file, `backup --job NAME PATH` with NAME a configured job, `run --now` with a job that is not configured, a plugin name that looks like a built-in's and is not installed, an unsupported repository scheme (also `s3:/x`, `S3://…`), a key file that would be overwritten, a missing parent of a new repository, plain `http://` to a remote Vault without `--insecure-http`, a storage location with `tls=false` to a host other than loopback without `--insecure-storage` (or `insecure_storage = true`), a job's credential file others can read, a Vault path or stored object the command names that does not exist. clap's own usage errors (`--help` output on a bad flag) also exit 2.",
        action: "Correct the command.",
    },
    Row {
        codes: &[Code::PARTIAL],
        name: "partial",
        meaning: "**forget, prune**: something was held back (more than a fifth of a job's snapshots without `--force`, a snapshot whose storage date is more than an hour from the time it claims; [retention.md](retention.md)). **backup**: the snapshot was saved, but either some sources could not be read (each is named in a warning, `kind: unreadable`; summary `reason: \"unreadable\"`) and are missing from it (a database or plugin stream whose name cannot be passed safely counts: [plugins.md](plugins.md); so does a `--stdin` stream shorter than `--stdin-required-bytes`, default 1), or storage lost a snapshot this node wrote (warning `kind: rollback`; summary `reason: \"rollback\"`: the snapshot it last wrote is gone, or the newest in storage is older than it). **copy**: everything was copied, and snapshots copied before are gone from the source with no forget record (summary `source_lost`; the copy keeps them, [copy.md](copy.md)).",
        action: "Unreadable: fix the permissions or exclude the path; the next run is incremental. Rollback: find out who deleted or rolled back the storage (`docs/security.md`, \"The witness\"); the next run is normal again, and the tower keeps its `rollback` alert until acknowledged. Source lost: restore from the copy (`--repo` the copy's location), then `copy --accept-lost`.",
    },
    Row {
        codes: &[Code::NO_REPO],
        name: "no repository",
        meaning: "There is no repository at `--repo`.",
        action: "Check the location, or run `bananactl init`.",
    },
    Row {
        codes: &[Code::LOCKED],
        name: "locked",
        meaning: "Another bananactl run of the same job on this node holds its lock (`STATE_DIR/jobs/<hash>.lock`, of the job's name for a configured job, of the name and the repository location for an ad-hoc `backup PATH`); different jobs run side by side and take turns only to commit (§11 of the format). `bananactl run` skips a locked job instead.",
        action: "Wait for it; the lock is released when that process exits, even if it is killed.",
    },
    Row {
        codes: &[Code::KEY],
        name: "key",
        meaning: "The key file does not open this repository, or the operation needs the restore half (an identity) and the key holds only the backup half (`drill` on a Vault-enrolled node, by design).",
        action: "Use the repository's key; restore with the full key file, a restore grant or `--identity-file`; drill such a node from the drill host (`bananadm drill`, [drills.md](drills.md)).",
    },
    Row {
        codes: &[Code::DAMAGED],
        name: "damaged",
        meaning: "`check` found damaged or missing objects, `drill` found a file or stream that does not come back as recorded (each failure names the snapshot and the file or database; [drills.md](drills.md)), `copy` found objects that do not match their names (not copied, nor what needs them; each named; [copy.md](copy.md)), or `restore` / `dump` could not restore some entries (each named on stderr; `restore --to-server`: a stream whose name cannot be passed safely). Everything undamaged was restored.",
        action: "Run `bananactl check --read-data` to list every damaged object and the files it affects.",
    },
    Row {
        codes: &[Code::VAULT_UNAVAILABLE],
        name: "Vault unavailable",
        meaning: "Vault cannot be reached (address, network, down) or is sealed. Nothing was uploaded: keys are fetched before the repository is touched.",
        action: "Fix the connection or unseal Vault; the next run catches up.",
    },
    Row {
        codes: &[Code::VAULT_DENIED],
        name: "Vault denied",
        meaning: "Vault refused: permission denied, the node's AppRole credentials were revoked (node removed or re-enrolled), or a wrapped token (enrolment secret, restore grant) was already used or has expired, or was not made by the bananadm command it should come from (looked up, not unwrapped).",
        action: "Re-enrol the node, or ask for a new grant.",
    },
    Row {
        codes: &[Code::REPO_MISSING],
        name: "repository missing",
        meaning: "The repository this node wrote to (its state records it per location) is missing, empty, no longer a repository, or holds another repository id: storage unmounted, wiped, moved or swapped. The message names the last snapshot this node wrote there and its date. Nothing was written, and no missing parent was created.",
        action: "Check the mount and the storage. To start over on purpose in an empty location: `bananactl init --force-new` (deletes nothing; on append-only storage use a new prefix).",
    },
    Row {
        codes: &[Code::STORAGE_UNAVAILABLE],
        name: "storage unavailable",
        meaning: "The storage did not answer within the retry budget: the endpoint cannot be reached, times out, or keeps answering 5xx/429 (each operation is retried with backoff for up to 2 minutes), or lists without end (a token seen before, keys that do not advance, longer than the budget). The message names the endpoint, the operation and the last cause. Nothing is left half-written: the repository stays valid.",
        action: "Check the endpoint and the network; the next run catches up and reuses what was uploaded.",
    },
    Row {
        codes: &[Code::STORAGE_DENIED],
        name: "storage denied",
        meaning: "The storage refused the node's credential or the operation (401/403): a wrong or revoked access key, or a policy that lacks a permission the operation needs.",
        action: "Check the credential and its policy (`docs/storage.md`).",
    },
    Row {
        codes: &[Code::own(129), Code::own(130), Code::own(143)],
        name: "stopped",
        meaning: "SIGHUP, SIGINT (Ctrl-C) or SIGTERM (`systemctl stop`): the run's private directories (a job's credentials file, a PGPASSFILE, an etcd snapshot) are removed, then the process exits 128 + the signal. A job's program dies with it; the job's next run counts this one as failed. Nothing is left half-written.",
        action: "Run again.",
    },
];
