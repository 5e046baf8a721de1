//! `bananadm drill NODE…|--all`: drills from the admin side, for nodes
//! whose key holds only the backup half (they cannot read their own
//! backups, by design). Per node it issues a restore grant (as `bananadm
//! restore grant`, valid a few minutes, one use), reads the node's restore
//! secret with it into memory, drills the latest snapshot of each job into
//! a private scratch directory, and revokes the grant whatever happened. No
//! identity is ever written to disk; the tower hears each drill when this
//! host enrolled there (`bananadm drill-host enroll`).

use super::Out;
use crate::GlobalOpts;
use clap::Args;
use common::drill::{drill, latest_per_job, DrillOptions, DrillReport, Sample};
use common::names::valid_node_name;
use common::repo::Repository;
use common::vault::{Secret, Vault};
use common::{Error, ErrorKind};
use serde_json::json;
use std::path::PathBuf;

/// Prove that nodes' backups restore (admin side).
#[derive(Debug, Args)]
pub struct DrillCmd {
    /// Nodes to drill.
    #[arg(value_name = "NODE", required_unless_present = "all")]
    pub nodes: Vec<String>,
    /// Every enrolled node.
    #[arg(long, conflicts_with = "nodes")]
    pub all: bool,
    /// Drill only this job of each node.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// How much of a snapshot of files: N% of its files, N files, or a size
    /// (e.g. 500M); database streams are always whole.
    #[arg(long, value_name = "SAMPLE", default_value = "1%")]
    pub sample: String,
    /// Also restore database streams into throwaway servers.
    #[arg(long)]
    pub deep: bool,
    /// How long each node's restore grant is valid.
    #[arg(long, default_value = "15m", value_parser = super::duration_secs, value_name = "DURATION")]
    pub grant_ttl: u64,
    /// The drill host's state: its scratch directories and its link to the
    /// tower [default: /var/lib/banana/drill for root, else
    /// $XDG_DATA_HOME/banana/drill].
    #[arg(long, env = "BANANA_DRILL_STATE", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// The drill host's commands.
#[derive(Debug, clap::Subcommand)]
pub enum DrillHostCmd {
    /// Issue a token with the banana-drill policy, for the drill host: it
    /// may take restore grants (and revoke them), nothing else.
    #[command(after_help = crate::examples::DRILL_HOST_TOKEN)]
    Token(super::reaper::TokenArgs),
    /// Print the banana-drill policy.
    #[command(after_help = crate::examples::DRILL_HOST_POLICY)]
    Policy,
    /// Enrol this drill host's status key at the watch tower (after
    /// 'bananaui node add NAME --drill' there): 'bananadm drill' reports there.
    #[command(after_help = crate::examples::DRILL_HOST_ENROLL)]
    Enroll(super::tower::DrillEnrollArgs),
}

impl DrillHostCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        match self {
            DrillHostCmd::Enroll(a) => a.run(out),
            DrillHostCmd::Policy => {
                print!(
                    "{}",
                    common::control::vault_policy::drill(&super::location(g))
                );
                Ok(())
            }
            DrillHostCmd::Token(t) => {
                let token = super::reaper::issue_token(
                    &super::admin(g)?,
                    common::vault::paths::DRILL_POLICY,
                    t.ttl,
                )?;
                if !out.json {
                    eprintln!("Drill token, valid {}s. On the drill host, keep it in a file (mode 0600) and run:", t.ttl);
                    eprintln!("  bananadm --token-file FILE drill --all");
                }
                out.summary(
                    json!({"command": "drill-host token", "token": token, "ttl": t.ttl}),
                    &token,
                );
                Ok(())
            }
        }
    }
}

/// The drill host's state directory when none is given.
pub(super) fn default_state() -> PathBuf {
    common::fsutil::data_dir().join("drill")
}

impl DrillCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        let sample: Sample = self.sample.parse()?;
        let v = super::admin(g)?;
        let nodes = match self.all {
            true => super::prune::enrolled_nodes(&v)?,
            false => self.nodes.clone(),
        };
        for n in &nodes {
            valid_node_name(n)?;
        }
        let state = self.state_dir.clone().unwrap_or_else(default_state);
        common::fsutil::private_dir(&state)
            .map_err(|e| Error::io(format!("state directory {}", state.display()), e))?;
        let tower = super::tower::Reporter::open(&state)?;
        let opts = DrillOptions {
            sample,
            deep: self.deep,
            scratch: state.clone(),
            plugin_path: common::plugins::external::DEFAULT_PLUGIN_PATH
                .iter()
                .map(PathBuf::from)
                .collect(),
            threads: 0,
        };
        let (mut failed, mut first_err) = (0, None);
        for node in &nodes {
            let started = common::unix_now();
            match self.one(&v, node, &opts, out) {
                Ok(reports) => {
                    for r in &reports {
                        failed += usize::from(!r.passed());
                        if let Some(t) = &tower {
                            t.spool(&r.event(t.drill_event(node, started), self.deep));
                        }
                    }
                }
                // A drill that could not run reports nothing: no job was
                // verified (the tower's `undrilled` notices in time).
                Err(e) => {
                    eprintln!("bananadm: error: {node}: {e:#}");
                    first_err.get_or_insert(e.context(format!("node {node}")));
                }
            }
        }
        if let Some(t) = &tower {
            t.deliver();
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        if failed > 0 {
            return Err(common::exit::Failure::new(
                common::exit::Code::DAMAGED,
                format!("{failed} drill(s) found damage (see above)"),
            )
            .into());
        }
        Ok(())
    }

    /// Drills one node under a grant of its own, revoked afterwards.
    fn one(
        &self,
        v: &Vault,
        node: &str,
        opts: &DrillOptions,
        out: &Out,
    ) -> anyhow::Result<Vec<DrillReport>> {
        let (grant, accessor) = super::grant::issue(v, node, self.grant_ttl, 1)?;
        let result = self.with_grant(v, node, Secret::new(grant), opts);
        // Whatever happened: the grant's token is revoked (a used one is
        // revoked already; that answer is not an error).
        let revoked = v.request(
            "POST",
            "auth/token/revoke-accessor",
            Some(&json!({ "accessor": accessor })),
            None,
            None,
        );
        if let Err(e) = &revoked {
            if !e.message().contains("invalid accessor") {
                eprintln!("warning: {node}: the restore grant could not be revoked: {e}");
            }
        }
        let reports = result?;
        for r in &reports {
            if out.json {
                let mut j = r.to_json();
                j["node"] = json!(node);
                j["grant_accessor"] = json!(accessor);
                println!("{j}");
            } else {
                for f in &r.failures {
                    eprintln!("damaged: {node}: {f}");
                }
                for n in &r.notes {
                    eprintln!("note: {node}: {n}");
                }
                for l in &r.servers {
                    println!("  {l}");
                }
                println!("{node}: {}", r.summary());
            }
        }
        Ok(reports)
    }

    /// Reads the node's restore secret with `grant` and drills.
    fn with_grant(
        &self,
        v: &Vault,
        node: &str,
        grant: Secret,
        opts: &DrillOptions,
    ) -> anyhow::Result<Vec<DrillReport>> {
        let secret = common::vault::read_with_grant(v.location(), Some(node), &grant)?;
        let key = secret.key_file()?;
        let backend = super::storage(&secret.storage, &secret.storage_credentials)?;
        let repo = Repository::open(backend, &key.backup_key())?;
        let restore = key.restore_key()?;
        let all = repo.snapshots()?;
        let latest = latest_per_job(&all, self.job.as_deref());
        if latest.is_empty() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("node '{node}' has no snapshot that did not fail to drill"),
            )
            .into());
        }
        let loaded = repo.load_index()?;
        let mut reports = Vec::new();
        for (id, snap) in &latest {
            reports.push(drill(&repo, &loaded.index, &restore, (id, snap), opts)?);
        }
        Ok(reports)
    }
}
