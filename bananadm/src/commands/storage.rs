//! `bananadm storage policy`: what to install on S3 so that a node can write
//! its backups but never delete them, and the reaper can prune without
//! decrypting (`docs/storage.md`). Prints; changes nothing, needs no Vault.

use super::Out;
use clap::{Args, Subcommand};
use common::backend::{policy, Location};
use common::names::valid_node_name;
use serde_json::json;

/// Storage commands.
#[derive(Debug, Subcommand)]
pub enum StorageCmd {
    /// Print the node's and the reaper's S3 policies, and the same as a
    /// SeaweedFS identities file, for an append-only node.
    Policy(PolicyCmd),
}

/// Print the policies.
#[derive(Debug, Args)]
pub struct PolicyCmd {
    /// Node name.
    pub name: String,
    /// The node's repository location: s3://HOST[:PORT]/BUCKET/PREFIX.
    #[arg(long, value_name = "URL")]
    pub storage: String,
}

impl StorageCmd {
    /// Runs it.
    pub fn run(&self, out: &Out) -> anyhow::Result<()> {
        match self {
            StorageCmd::Policy(c) => c.run(out),
        }
    }
}

impl PolicyCmd {
    fn run(&self, out: &Out) -> anyhow::Result<()> {
        valid_node_name(&self.name)?;
        let Location::S3(loc) = Location::parse(&self.storage)? else {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("{} is not an S3 location", self.storage),
            )
            .hint("policies are for s3://HOST/BUCKET/PREFIX; a directory is protected by its filesystem and export")
            .into());
        };
        let p = policy::policies(&self.name, &loc);
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
        let text = format!(
            "# Node '{name}': create, read and list under its prefix; never delete.\n\
             # The bucket must be versioned with Object Lock (COMPLIANCE default retention):\n\
             # an overwrite then only adds a version (docs/storage.md).\n\
             {node}\n\n\
             # The reaper (retention; holds no decryption key):\n\
             {reaper}\n\n\
             # SeaweedFS: the same as an -s3.config identities file (fill in the keys;\n\
             # nodes must reach only the S3 port, never the filer, master or volume ports):\n\
             {weed}",
            name = self.name,
            node = pretty(&p.node),
            reaper = pretty(&p.reaper),
            weed = pretty(&p.seaweedfs),
        );
        out.summary(
            json!({"command": "storage policy", "node": self.name, "storage": Location::S3(loc).to_string(),
                   "node_policy": p.node, "reaper_policy": p.reaper, "seaweedfs": p.seaweedfs}),
            &text,
        );
        Ok(())
    }
}
