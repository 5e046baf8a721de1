//! `bananadm restore grant`: a wrapped, short-lived, limited-use token that
//! reads one node's restore identities and nothing else.

use super::{admin, duration_secs, Out};
use crate::GlobalOpts;
use clap::{Args, Subcommand};
use common::names::valid_node_name;
use common::vault::paths;
use serde_json::json;

/// Restore commands.
#[derive(Debug, Subcommand)]
pub enum RestoreCmd {
    /// Issue a restore grant for a node.
    Grant(GrantCmd),
}

/// Issue a grant.
#[derive(Debug, Args)]
pub struct GrantCmd {
    /// Node name.
    pub name: String,
    /// How long the grant is valid.
    #[arg(long, default_value = "1h", value_parser = duration_secs, value_name = "DURATION")]
    pub ttl: u64,
    /// How many reads of the identities the inner token allows. The grant
    /// itself unwraps once, and one bananactl command uses it up.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub uses: u64,
}

impl RestoreCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        let RestoreCmd::Grant(c) = self;
        valid_node_name(&c.name)?;
        let v = admin(g)?;
        let body = json!({
            "policies": [paths::restore_policy(&c.name)],
            "ttl": format!("{}s", c.ttl),
            "explicit_max_ttl": format!("{}s", c.ttl),
            "num_uses": c.uses,
            "no_default_policy": true,
            "renewable": false,
            "display_name": format!("banana-restore-{}", c.name),
        });
        let path = paths::token_create(&paths::restore_role(&c.name));
        let wrap = format!("{}s", c.ttl.min(3600));
        let wrapped = v
            .request("POST", &path, Some(&body), Some(&wrap), None)?
            .and_then(|r| r["wrap_info"]["token"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                common::Error::new(common::ErrorKind::Other, "Vault did not wrap the grant")
            })?;
        if !out.json {
            eprintln!(
                "Restore grant for '{}': valid {}s, {} use(s), readable once. On the restoring machine:",
                c.name, c.ttl, c.uses
            );
            eprintln!("  bananactl restore latest --target DIR --grant <the token below>");
        }
        out.summary(json!({"command": "restore grant", "node": c.name, "grant": wrapped, "ttl": c.ttl, "uses": c.uses}), &wrapped);
        Ok(())
    }
}
