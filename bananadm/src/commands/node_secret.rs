//! `bananadm node secret NODE JOB --from-file F`: a job's credentials (a
//! database client file, a password, a plugin's secret) stored in the
//! node's agent secret, which the node reads at each run and hands to the
//! job as a 0600 file in a private run directory.

use super::Out;
use clap::Args;
use common::names::{valid_job_name, valid_node_name};
use common::vault::{paths, AgentSecret, Secret, Vault};
use common::{Error, ErrorKind};
use serde_json::json;
use std::io::Read;
use std::path::PathBuf;

/// Largest credentials file.
const MAX_SECRET: u64 = 64 * 1024;

/// Store (or remove) a job's credentials.
#[derive(Debug, Args)]
pub struct SecretCmd {
    /// Node name.
    pub node: String,
    /// The job's name; its [[job]] table says credentials = "vault".
    pub job: String,
    /// The credentials ('-' reads stdin): for mysql a client defaults file
    /// ([client] user, password, host, port), for postgres the password, for
    /// a plugin what it reads from BANANA_SECRET_FILE.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "remove",
        conflicts_with = "remove"
    )]
    pub from_file: Option<PathBuf>,
    /// Replace credentials the job already has.
    #[arg(long)]
    pub replace: bool,
    /// Remove the job's credentials (older versions stay in the KV
    /// secret's history until Vault drops them).
    #[arg(long)]
    pub remove: bool,
}

impl SecretCmd {
    /// Runs it.
    pub fn run(&self, v: &Vault, out: &Out) -> anyhow::Result<()> {
        let (node, job) = (&self.node, &self.job);
        valid_node_name(node)?;
        if !valid_job_name(job) {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("job name '{}' is not valid", common::humanize::printable(job)),
            )
            .hint("use letters, digits, '.', '_' and '-' (at most 64), as in the node's [[job]] table")
            .into());
        }
        let (mut agent, version) =
            v.kv_get::<AgentSecret>(&paths::agent(node))?
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::BadInput,
                        format!("node '{node}' has no agent secret"),
                    )
                    .hint("enrol it with 'bananadm node add'")
                })?;
        let had = agent.job_secrets.contains_key(job);
        let action = match &self.from_file {
            None if !had => {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!("node '{node}' has no credentials for job '{job}'"),
                )
                .into())
            }
            None => {
                agent.job_secrets.remove(job);
                "removed"
            }
            Some(_) if had && !self.replace => {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!("node '{node}' already has credentials for job '{job}'"),
                )
                .hint("add --replace to replace them")
                .into())
            }
            Some(f) => {
                agent.job_secrets.insert(job.clone(), read_secret(f)?);
                if had {
                    "replaced"
                } else {
                    "stored"
                }
            }
        };
        // Compare-and-set: a concurrent change (a key rotation) is not lost.
        v.kv_put(&paths::agent(node), &agent, version)?;
        out.summary(
            json!({"command": "node secret", "node": node, "job": job, "action": action}),
            &format!("node {node}: credentials of job '{job}' {action}; its next run reads them"),
        );
        Ok(())
    }
}

/// The credentials in `f` (`-`: stdin): UTF-8, not empty, at most 64 KiB.
fn read_secret(f: &std::path::Path) -> anyhow::Result<Secret> {
    let what = if f.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        format!("credentials file {}", f.display())
    };
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    let read = if f.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_SECRET + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(f).and_then(|h| h.take(MAX_SECRET + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| Error::io(what.clone(), e))?;
    if bytes.is_empty() || bytes.len() as u64 > MAX_SECRET {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!("{what} is empty or larger than 64 KiB"),
        )
        .into());
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::new(ErrorKind::BadInput, format!("{what} is not UTF-8 text")))?;
    Ok(Secret::new(text))
}
