//! The second copy (`docs/copy.md`). `bananadm node copy NODE --to URL`
//! (admin) writes `nodes/N/copy`: the node's repository, a read-only
//! credential of it, the destination, an append-only credential there, and
//! the metadata key. `bananadm copy NODE…|--all` (the copier host, a
//! banana-copier token) copies each node's new objects, checked against
//! their names, and witnesses the snapshots it copied: one gone from the
//! source with no forget record is `source-lost` (exit 3), and the
//! destination keeps it. The copier never deletes; the reaper prunes the
//! copy by its own policy (`bananadm node retention N --copy`).

use super::Out;
use crate::GlobalOpts;
use clap::Args;
use common::crypto::MetadataKey;
use common::names::valid_node_name;
use common::ops::copy::{copy, state_file, CopyOptions, CopyReport, Outcome};
use common::repo::Store;
use common::vault::{paths, AgentSecret, CopySecret, Secret, StorageCredentials, Vault};
use common::{Error, ErrorKind};
use serde_json::json;
use std::path::PathBuf;

/// Set where a node's second copy goes (admin).
#[derive(Debug, Args)]
pub struct NodeCopyCmd {
    /// Node name.
    pub name: String,
    /// The destination: a directory (an NFS or Samba mount on the copier
    /// host), s3://… or swift://… (one location per node).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The copier's credential at the destination (TOML, mode 0600): one
    /// that may list, read and create, never delete ('bananadm storage
    /// policy NODE --copy-to URL'). Not needed for a directory.
    #[arg(long, value_name = "FILE")]
    pub storage_credentials: Option<PathBuf>,
    /// The copier's credential of the node's storage: one that may list
    /// and read, nothing else. Not needed for a directory.
    #[arg(long, value_name = "FILE")]
    pub source_credentials: Option<PathBuf>,
}

/// Copy nodes' repositories to their second locations (copier host).
#[derive(Debug, Args)]
pub struct CopyCmd {
    /// Nodes to copy.
    #[arg(value_name = "NODE", required_unless_present = "all")]
    pub nodes: Vec<String>,
    /// Every node with a second copy.
    #[arg(long, conflicts_with = "nodes")]
    pub all: bool,
    /// List both ends and say what would be copied; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Objects copied at the same time, per node.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub connections: usize,
    /// Limit writes to each destination to this many KiB/s.
    #[arg(long, value_name = "KIB")]
    pub limit_upload: Option<u64>,
    /// Stop reporting the snapshots a source has lost (after you have
    /// looked at them): they are recorded as accepted.
    #[arg(long)]
    pub accept_lost: bool,
    /// The copier's state: what it copied, its link to the tower [default:
    /// /var/lib/banana/copier for root, else $XDG_DATA_HOME/banana/copier].
    #[arg(long, env = "BANANA_COPIER_STATE", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// The copier's commands.
#[derive(Debug, clap::Subcommand)]
pub enum CopierCmd {
    /// Issue a token with the banana-copier policy, for the copier host: it
    /// reads the nodes' copy secrets, nothing else.
    #[command(after_help = crate::examples::COPIER_TOKEN)]
    Token(super::reaper::TokenArgs),
    /// Print the banana-copier policy.
    #[command(after_help = crate::examples::COPIER_POLICY)]
    Policy,
    /// Enrol this copier's status key at the watch tower (after 'bananaui
    /// node add NAME --copier' there): 'bananadm copy' reports there.
    #[command(after_help = crate::examples::COPIER_ENROLL)]
    Enroll(super::tower::CopierEnrollArgs),
}

/// Where the copier's storage policies are printed.
const COPIER_STORAGE_POLICY: &str = "bananadm storage policy NODE --copy-to URL";

/// The copier's state directory when none is given.
pub(super) fn default_state() -> PathBuf {
    common::fsutil::data_dir().join("copier")
}

/// The credential in `file` for `location`, which `who` uses there; one is
/// needed for anything but a directory.
pub(super) fn credentials(
    file: &Option<PathBuf>,
    location: &str,
    (who, flag, hint): (&str, &str, &str),
) -> anyhow::Result<Option<StorageCredentials>> {
    if let Some(p) = file {
        return Ok(Some(StorageCredentials::from_file(p)?));
    }
    match common::backend::Location::parse(location)? {
        common::backend::Location::Local(_) => Ok(None),
        _ => Err(Error::new(
            ErrorKind::BadInput,
            format!("{location} needs the {who}'s own storage credential"),
        )
        .hint(format!(
            "pass {flag} FILE (see '{hint}' for what it may do)"
        ))
        .into()),
    }
}

impl NodeCopyCmd {
    /// Runs it.
    pub fn run(&self, v: &Vault, out: &Out) -> anyhow::Result<()> {
        let name = &self.name;
        valid_node_name(name)?;
        let Some((agent, _)) = v.kv_get::<AgentSecret>(&paths::agent(name))? else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("node '{name}' is not enrolled"),
            )
            .hint("enrol it first with 'bananadm node add'")
            .into());
        };
        // Parsed (and refused) before anything is written.
        let to = common::backend::Location::parse(&self.to)?.to_string();
        if to == agent.storage {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("{to} is where '{name}' keeps its backups: a copy goes elsewhere"),
            )
            .into());
        }
        let mut ck = zeroize::Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(agent.chunk_key.expose(), ck.as_mut()).map_err(|_| {
            Error::new(
                ErrorKind::Other,
                format!("the chunk key of '{name}' in Vault is malformed"),
            )
        })?;
        let secret = CopySecret {
            node: name.clone(),
            metadata_key: Secret::new(MetadataKey::derive(&ck).to_hex().as_str()),
            source: agent.storage.clone(),
            source_credentials: credentials(
                &self.source_credentials,
                &agent.storage,
                ("copier", "--source-credentials", COPIER_STORAGE_POLICY),
            )?,
            destination: to.clone(),
            destination_credentials: credentials(
                &self.storage_credentials,
                &to,
                ("copier", "--storage-credentials", COPIER_STORAGE_POLICY),
            )?,
        };
        let version = v
            .kv_get::<serde_json::Value>(&paths::copy(name))?
            .map(|(_, ver)| ver)
            .unwrap_or(0);
        v.kv_put(&paths::copy(name), &secret, version)?;
        out.summary(
            json!({"command": "node copy", "node": name, "source": agent.storage, "destination": to}),
            &format!("the copier copies '{name}' ({}) to {to}; it reads no key that decrypts", agent.storage),
        );
        Ok(())
    }
}

impl CopierCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        match self {
            CopierCmd::Enroll(a) => a.run(out),
            CopierCmd::Policy => {
                print!(
                    "{}",
                    common::control::vault_policy::copier(&super::location(g))
                );
                Ok(())
            }
            CopierCmd::Token(t) => {
                let token =
                    super::reaper::issue_token(&super::admin(g)?, paths::COPIER_POLICY, t.ttl)?;
                if !out.json {
                    eprintln!("Copier token, valid {}s. On the copier host, keep it in a file (mode 0600) and run:", t.ttl);
                    eprintln!("  bananadm --token-file FILE copy --all");
                }
                out.summary(
                    json!({"command": "copier token", "token": token, "ttl": t.ttl}),
                    &token,
                );
                Ok(())
            }
        }
    }
}

impl CopyCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        let v = super::admin(g)?;
        let nodes = match self.all {
            true => {
                let mut all = super::prune::enrolled_nodes(&v)?;
                all.retain(|n| {
                    matches!(v.kv_get::<serde_json::Value>(&paths::copy(n)), Ok(Some(_)))
                });
                all
            }
            false => self.nodes.clone(),
        };
        for n in &nodes {
            valid_node_name(n)?;
        }
        refuse_readers(&v, &nodes)?;
        let state = self.state_dir.clone().unwrap_or_else(default_state);
        common::fsutil::private_dir(&state)
            .map_err(|e| Error::io(format!("state directory {}", state.display()), e))?;
        let tower = match self.dry_run {
            true => None,
            false => super::tower::Reporter::open(&state)?,
        };
        let (mut damaged, mut lost, mut first_err) = (0, 0, None);
        for node in &nodes {
            let started = common::unix_now();
            let result = self.one(&v, node, &state, out);
            match &result {
                Ok(r) => {
                    damaged += usize::from(r.outcome() == Outcome::Damaged);
                    lost += r.source_lost.len();
                }
                Err((_, e)) => {
                    eprintln!("bananadm: error: {node}: {e:#}");
                }
            }
            if let Some(t) = &tower {
                let e = t.copy_event(node, started);
                t.spool(&match &result {
                    Ok(r) => r.event(e),
                    Err((dst, err)) => common::ops::copy::failed_event(e, dst, &format!("{err:#}")),
                });
            }
            if let Err((_, e)) = result {
                first_err.get_or_insert(e.context(format!("node {node}")));
            }
        }
        if let Some(t) = &tower {
            t.deliver();
        }
        finish(first_err, damaged, lost)
    }

    /// Copies one node; on failure, the destination (when known) too.
    fn one(
        &self,
        v: &Vault,
        node: &str,
        state: &std::path::Path,
        out: &Out,
    ) -> Result<CopyReport, (String, anyhow::Error)> {
        let secret = match v.kv_get::<CopySecret>(&paths::copy(node)) {
            Ok(Some((s, _))) => s,
            Ok(None) => {
                let e = Error::new(ErrorKind::NotFound, format!("no copy secret for '{node}'"))
                    .hint(format!(
                        "set its copy with 'bananadm node copy {node} --to URL' (admin token)"
                    ));
                return Err((String::new(), e.into()));
            }
            Err(e) => return Err((String::new(), e.into())),
        };
        let dst_name = secret.destination.clone();
        self.copy_node(node, &secret, state, out)
            .map_err(|e| (dst_name, e))
    }

    fn copy_node(
        &self,
        node: &str,
        secret: &CopySecret,
        state: &std::path::Path,
        out: &Out,
    ) -> anyhow::Result<CopyReport> {
        let key = MetadataKey::from_hex(secret.metadata_key.expose())?;
        let src = Store::open(
            super::storage(&secret.source, &secret.source_credentials)?,
            &key,
        )?;
        let dst = super::storage(&secret.destination, &secret.destination_credentials)?;
        let opts = CopyOptions {
            dry_run: self.dry_run,
            connections: self.connections,
            limit: self.limit_upload.map(|k| k * 1024),
            state: Some(state_file(
                &state.join(node),
                &secret.source,
                &dst.location(),
            )),
            accept_lost: self.accept_lost,
            job: None,
        };
        let r = copy(&src, dst.as_ref(), &opts)?;
        for d in &r.damaged {
            eprintln!("damaged: {node}: {}", common::humanize::printable(d));
        }
        let mut j = r.to_json();
        j["command"] = json!("copy");
        j["node"] = json!(node);
        out.summary(j, &format!("{node}: {}", r.line()));
        Ok(r)
    }
}

/// The exit: the first error, else damage (13), else loss (3).
fn finish(first_err: Option<anyhow::Error>, damaged: usize, lost: usize) -> anyhow::Result<()> {
    if let Some(e) = first_err {
        return Err(e);
    }
    if damaged > 0 {
        return Err(common::exit::Failure::new(
            common::exit::Code::DAMAGED,
            format!("{damaged} copy(ies) found damaged objects in their source (see above)"),
        )
        .into());
    }
    if lost > 0 {
        return Err(common::exit::Failure::new(
            common::exit::Code::PARTIAL,
            format!("source-lost: {lost} snapshot(s) copied before are gone from their source with no forget record; the copies keep them (see above)"),
        )
        .into());
    }
    Ok(())
}

/// A copier never holds what decrypts or deletes: a token that could read
/// a node's agent, restore or reaper secret is refused (the admin's too).
fn refuse_readers(v: &Vault, nodes: &[String]) -> anyhow::Result<()> {
    let loc = v.location();
    let check: Vec<String> = nodes
        .iter()
        .flat_map(|n| [paths::agent(n), paths::restore(n), paths::reaper(n)])
        .map(|p| paths::kv_data(loc, &p))
        .collect();
    super::prune::refuse(
        v,
        &check,
        (
            "a copier must hold no key that decrypts and no credential that deletes",
            "use a token from 'bananadm copier token' (banana-copier policy)",
        ),
    )
}
