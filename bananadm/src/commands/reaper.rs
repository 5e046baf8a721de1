//! The reaper's side of Vault: `bananadm node reaper N` (the secret it
//! prunes N with: the metadata key and a storage credential that deletes),
//! `bananadm node retention N` (N's policy) and `bananadm reaper token` (a
//! token with the banana-reaper policy, which reads neither an agent secret
//! nor a restore secret).

use super::{admin, duration_secs, Out};
use crate::GlobalOpts;
use clap::{Args, Subcommand};
use common::crypto::MetadataKey;
use common::names::valid_node_name;
use common::ops::prune::Policy;
use common::vault::{
    paths, AgentSecret, CopySecret, ReaperCopy, ReaperSecret, RetentionSecret, Secret, Vault,
};
use common::{Error, ErrorKind};
use serde_json::json;

/// Store what the reaper needs to prune a node.
#[derive(Debug, Args)]
pub struct ReaperCmd {
    /// Node name.
    pub name: String,
    /// The reaper's storage credential for this node's repository (TOML,
    /// mode 0600, as for 'node add'): one that may list, read and delete.
    /// Not needed for a directory.
    #[arg(long, value_name = "FILE")]
    pub storage_credentials: Option<std::path::PathBuf>,
    /// The credential is for the node's second copy ('bananadm node
    /// copy'): one that may list, read and delete there.
    #[arg(long)]
    pub copy: bool,
}

/// Set a node's retention policy.
#[derive(Debug, Args)]
pub struct RetentionCmd {
    /// Node name.
    pub name: String,
    /// The policy of this job only (default: of every job without its own).
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// The rules.
    #[command(flatten)]
    pub policy: Policy,
    /// Remove the policy (of --job, or the default): keep everything.
    #[arg(long)]
    pub clear: bool,
    /// The policy of the node's second copy (keep longer there): the
    /// reaper prunes the copy by it, the copier never deletes.
    #[arg(long)]
    pub copy: bool,
}

/// Reaper commands.
#[derive(Debug, Subcommand)]
pub enum ReaperTokenCmd {
    /// Issue a token with the banana-reaper policy, for the reaper host.
    #[command(after_help = crate::examples::REAPER_TOKEN)]
    Token(TokenArgs),
    /// Print the banana-reaper policy.
    #[command(after_help = crate::examples::REAPER_POLICY)]
    Policy,
    /// Enrol this reaper's status key at the watch tower (after 'bananaui
    /// node add NAME --reaper' there): 'bananadm prune' reports there.
    #[command(after_help = crate::examples::REAPER_ENROLL)]
    Enroll(super::tower::EnrollArgs),
}

/// Issue a reaper token.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// How long it is valid.
    #[arg(long, default_value = "720h", value_parser = duration_secs, value_name = "DURATION")]
    pub ttl: u64,
}

impl ReaperCmd {
    /// Runs it.
    pub fn run(&self, v: &Vault, out: &Out) -> anyhow::Result<()> {
        let name = &self.name;
        valid_node_name(name)?;
        if self.copy {
            return self.run_copy(v, out);
        }
        let Some((agent, _)) = v.kv_get::<AgentSecret>(&paths::agent(name))? else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("node '{name}' is not enrolled"),
            )
            .hint("enrol it first with 'bananadm node add'")
            .into());
        };
        let mut ck = zeroize::Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(agent.chunk_key.expose(), ck.as_mut()).map_err(|_| {
            Error::new(
                ErrorKind::Other,
                format!("the chunk key of '{name}' in Vault is malformed"),
            )
        })?;
        let credentials = match &self.storage_credentials {
            Some(p) => Some(common::vault::StorageCredentials::from_file(p)?),
            None => None,
        };
        let remote = agent.storage.starts_with("s3://") || agent.storage.starts_with("swift://");
        if remote && credentials.is_none() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("node '{name}' keeps its backups at {}: the reaper needs its own storage credential", agent.storage),
            )
            .hint("pass --storage-credentials FILE (see 'bananadm storage policy' for what it may do)")
            .into());
        }
        let before = v.kv_get::<ReaperSecret>(&paths::reaper(name))?;
        let secret = ReaperSecret {
            node: name.clone(),
            metadata_key: Secret::new(MetadataKey::derive(&ck).to_hex().as_str()),
            storage: agent.storage.clone(),
            storage_credentials: credentials,
            copy: before.as_ref().and_then(|(s, _)| s.copy.clone()),
        };
        let version = before.map(|(_, ver)| ver).unwrap_or(0);
        v.kv_put(&paths::reaper(name), &secret, version)?;
        out.summary(
            json!({"command": "node reaper", "node": name, "storage": agent.storage}),
            &format!(
                "the reaper can prune '{name}' ({}); it reads no key that decrypts",
                agent.storage
            ),
        );
        Ok(())
    }
}

impl ReaperCmd {
    /// `--copy`: the reaper's credential for the node's second copy, added
    /// to its reaper secret.
    fn run_copy(&self, v: &Vault, out: &Out) -> anyhow::Result<()> {
        let name = &self.name;
        let Some((mut secret, version)) = v.kv_get::<ReaperSecret>(&paths::reaper(name))? else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no reaper secret for '{name}'"),
            )
            .hint(format!("run 'bananadm node reaper {name}' first"))
            .into());
        };
        let Some((copy, _)) = v.kv_get::<CopySecret>(&paths::copy(name))? else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("node '{name}' has no second copy"),
            )
            .hint(format!("set one with 'bananadm node copy {name} --to URL'"))
            .into());
        };
        let credentials = super::copy::credentials(
            &self.storage_credentials,
            &copy.destination,
            ("reaper", "--storage-credentials", "bananadm storage policy"),
        )?;
        secret.copy = Some(ReaperCopy {
            storage: copy.destination.clone(),
            storage_credentials: credentials,
        });
        v.kv_put(&paths::reaper(name), &secret, version)?;
        out.summary(
            json!({"command": "node reaper", "node": name, "copy": copy.destination}),
            &format!(
                "the reaper can prune the copy of '{name}' ({})",
                copy.destination
            ),
        );
        Ok(())
    }
}

impl RetentionCmd {
    /// Runs it.
    pub fn run(&self, v: &Vault, out: &Out) -> anyhow::Result<()> {
        let name = &self.name;
        valid_node_name(name)?;
        if self.clear != self.policy.is_empty() {
            return Err(
                Error::new(ErrorKind::BadInput, "give either --keep-… rules or --clear")
                    .hint("e.g. --keep-daily 7 --keep-weekly 4 --keep-monthly 12")
                    .into(),
            );
        }
        let path = paths::retention(name);
        let (mut whole, version) = v
            .kv_get::<RetentionSecret>(&path)?
            .unwrap_or((RetentionSecret::default(), 0));
        let r = match self.copy {
            true => whole.copy.get_or_insert_with(Default::default).as_mut(),
            false => &mut whole,
        };
        let new = (!self.clear).then(|| self.policy.clone());
        match (&self.job, new) {
            (Some(j), Some(p)) => {
                r.jobs.insert(j.clone(), p);
            }
            (Some(j), None) => {
                r.jobs.remove(j);
            }
            (None, p) => r.default = p,
        }
        v.kv_put(&path, &whole, version)?;
        let mut what = self
            .job
            .as_deref()
            .map_or("every job".to_owned(), |j| format!("job {j}"));
        if self.copy {
            what.push_str(" on the copy");
        }
        let text = if self.clear {
            format!("{name}, {what}: no policy (everything kept)")
        } else {
            format!("{name}, {what}: {}", self.policy.describe())
        };
        out.summary(json!({"command": "node retention", "node": name, "job": self.job, "copy": self.copy, "policy": self.policy}), &text);
        Ok(())
    }
}

impl ReaperTokenCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        let TokenArgs { ttl } = match self {
            ReaperTokenCmd::Policy => {
                print!(
                    "{}",
                    common::control::vault_policy::reaper(&super::location(g))
                );
                return Ok(());
            }
            ReaperTokenCmd::Enroll(e) => return e.run(out),
            ReaperTokenCmd::Token(t) => t,
        };
        let token = issue_token(&admin(g)?, paths::REAPER_POLICY, *ttl)?;
        if !out.json {
            eprintln!("Reaper token, valid {ttl}s. On the reaper host, keep it in a file (mode 0600) and run:");
            eprintln!("  bananadm --token-file FILE prune --all");
        }
        out.summary(
            json!({"command": "reaper token", "token": token, "ttl": ttl}),
            &token,
        );
        Ok(())
    }
}

/// A token of `policy` alone (banana-reaper, banana-drill), minted by its
/// token role, valid `ttl` seconds.
pub(super) fn issue_token(v: &Vault, policy: &str, ttl: u64) -> anyhow::Result<String> {
    let body = json!({
        "policies": [policy],
        "ttl": format!("{ttl}s"),
        "explicit_max_ttl": format!("{ttl}s"),
        "no_default_policy": true,
        "renewable": false,
        "display_name": policy,
    });
    Ok(v.request(
        "POST",
        &paths::token_create(policy),
        Some(&body),
        None,
        None,
    )?
    .and_then(|r| r["auth"]["client_token"].as_str().map(str::to_owned))
    .ok_or_else(|| Error::new(ErrorKind::Other, format!("Vault issued no {policy} token")))?)
}
