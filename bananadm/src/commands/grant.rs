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
    #[command(after_help = crate::examples::RESTORE_GRANT)]
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

/// A restore grant for `node`: the wrapped token, and the accessor of the
/// token inside (to revoke it without holding it).
pub fn issue(
    v: &common::vault::Vault,
    node: &str,
    ttl: u64,
    uses: u64,
) -> anyhow::Result<(String, String)> {
    let body = json!({
        "policies": [paths::restore_policy(node)],
        "ttl": format!("{ttl}s"),
        "explicit_max_ttl": format!("{ttl}s"),
        "num_uses": uses,
        "no_default_policy": true,
        "renewable": false,
        "display_name": format!("banana-restore-{node}"),
    });
    let path = paths::token_create(&paths::restore_role(node));
    let wrap = format!("{}s", ttl.min(3600));
    let info = v
        .request("POST", &path, Some(&body), Some(&wrap), None)?
        .map(|r| r["wrap_info"].clone())
        .unwrap_or_default();
    match (info["token"].as_str(), info["wrapped_accessor"].as_str()) {
        (Some(t), Some(a)) => Ok((t.to_owned(), a.to_owned())),
        _ => {
            Err(common::Error::new(common::ErrorKind::Other, "Vault did not wrap the grant").into())
        }
    }
}

impl RestoreCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        let RestoreCmd::Grant(c) = self;
        valid_node_name(&c.name)?;
        let v = admin(g)?;
        let (wrapped, _) = issue(&v, &c.name, c.ttl, c.uses)?;
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
