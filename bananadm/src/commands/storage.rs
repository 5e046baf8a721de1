//! `bananadm storage policy`: what to install on S3 so that a node can write
//! its backups but never delete them, and the reaper can prune without
//! decrypting; on Swift (which cannot refuse a writer's deletes), the
//! container ACLs and history archive that come closest
//! (`docs/storage.md`). Prints; changes nothing, needs no Vault.

use super::Out;
use clap::{Args, Subcommand};
use common::backend::Location;
use common::control::storage_policy as policy;
use common::names::valid_node_name;
use serde_json::json;

/// Storage commands.
#[derive(Debug, Subcommand)]
pub enum StorageCmd {
    /// Print the node's and the reaper's S3 policies, and the same as a
    /// SeaweedFS identities file, for an append-only node; for a Swift
    /// location, the container ACL commands.
    #[command(after_help = crate::examples::STORAGE_POLICY)]
    Policy(PolicyCmd),
}

/// Print the policies.
#[derive(Debug, Args)]
pub struct PolicyCmd {
    /// Node name.
    pub name: String,
    /// The node's repository location: s3://HOST[:PORT]/BUCKET/PREFIX or
    /// swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX.
    #[arg(long, value_name = "URL")]
    pub storage: String,
    /// Swift: the node's user as ACLs name it (tempauth ACCOUNT:USER,
    /// Keystone PROJECT_ID:USER_ID); default ACCOUNT:NAME, to fill in.
    #[arg(long, value_name = "USER")]
    pub node_user: Option<String>,
    /// Swift: the reaper's user as ACLs name it; default ACCOUNT:reaper.
    #[arg(long, value_name = "USER")]
    pub reaper_user: Option<String>,
    /// Also print the copier's policies for the node's second copy at this
    /// location ('bananadm node copy'): read-only on the node's storage,
    /// append-only here.
    #[arg(long, value_name = "URL")]
    pub copy_to: Option<String>,
    /// Swift: the copier's user as ACLs name it; default ACCOUNT:copier.
    #[arg(long, value_name = "USER")]
    pub copier_user: Option<String>,
}

impl StorageCmd {
    /// Runs it.
    pub fn run(&self, out: &Out) -> anyhow::Result<()> {
        match self {
            StorageCmd::Policy(c) => {
                c.run(out)?;
                match &c.copy_to {
                    Some(to) => c.copier(out, to),
                    None => Ok(()),
                }
            }
        }
    }
}

impl PolicyCmd {
    fn run(&self, out: &Out) -> anyhow::Result<()> {
        valid_node_name(&self.name)?;
        let loc = match Location::parse(&self.storage)? {
            Location::S3(loc) => loc,
            Location::Swift(loc) => return self.swift(out, &loc),
            Location::Local(_) => {
                return Err(common::Error::new(
                    common::ErrorKind::BadInput,
                    format!("{} is not an S3 or Swift location", self.storage),
                )
                .hint("policies are for s3:// and swift:// locations; a directory is protected by its filesystem and export (docs/storage.md)")
                .into())
            }
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

impl PolicyCmd {
    /// The copier's part: its S3 policies (and SeaweedFS identity) for an
    /// S3 source or destination, its Swift ACLs for a Swift one.
    fn copier(&self, out: &Out, to: &str) -> anyhow::Result<()> {
        let (from, to) = (Location::parse(&self.storage)?, Location::parse(to)?);
        let s3 = |l: &Location| match l {
            Location::S3(s) => Some(s.clone()),
            _ => None,
        };
        let p = policy::copier(&self.name, s3(&from).as_ref(), s3(&to).as_ref());
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
        let mut text = format!(
            "\n# The copier of '{}' (bananadm copy): it deletes nowhere.\n",
            self.name
        );
        if let Some(src) = &p.source {
            text.push_str(&format!(
                "# On the node's storage: list and read, never write.\n{}\n",
                pretty(src)
            ));
        }
        if let Some(dst) = &p.destination {
            text.push_str(&format!(
                "# At {to}: create, read and list; never delete (version the bucket with\n# Object Lock as the node's):\n{}\n",
                pretty(dst)
            ));
        }
        if p.source.is_some() || p.destination.is_some() {
            text.push_str(&format!("# SeaweedFS:\n{}\n", pretty(&p.seaweedfs)));
        }
        let copier = acl_user(&self.copier_user, "ACCOUNT:copier".into(), "--copier-user")?;
        let node = acl_user(
            &self.node_user,
            format!("ACCOUNT:{}", self.name),
            "--node-user",
        )?;
        let reaper = acl_user(&self.reaper_user, "ACCOUNT:reaper".into(), "--reaper-user")?;
        let mut containers = Vec::new();
        if let Location::Swift(loc) = &from {
            text.push_str(&format!(
                "# On the node's Swift container, the copier reads too:\nswift post '{}' --header 'X-Container-Read: {node},{reaper},{copier}'\n",
                loc.container,
            ));
        }
        if let Location::Swift(loc) = &to {
            containers = policy::swift_containers(loc, &copier, &reaper);
            text.push_str("# The destination's containers (Swift lets a writer delete: the archive keeps it):\n");
            for c in &containers {
                text.push_str(&format!("swift post '{}'", c.name));
                for (k, v) in &c.headers {
                    text.push_str(&format!(" --header '{k}: {v}'"));
                }
                text.push('\n');
            }
        }
        out.summary(
            json!({"command": "storage policy", "node": self.name, "copy_to": to.to_string(),
                   "copier_source_policy": p.source, "copier_destination_policy": p.destination,
                   "copier_seaweedfs": p.seaweedfs, "copier_swift_containers": containers}),
            text.trim_end(),
        );
        Ok(())
    }

    fn swift(&self, out: &Out, loc: &common::backend::SwiftLocation) -> anyhow::Result<()> {
        let node = acl_user(
            &self.node_user,
            format!("ACCOUNT:{}", self.name),
            "--node-user",
        )?;
        let reaper = acl_user(&self.reaper_user, "ACCOUNT:reaper".into(), "--reaper-user")?;
        let containers = policy::swift_containers(loc, &node, &reaper);
        let mut text = format!(
            "# Node '{name}' on Swift. Swift cannot make a container append-only: whoever may\n\
             # write may also DELETE, overwrite, and expire objects (X-Delete-After). These ACLs\n\
             # keep the node's data from other nodes (one container per node); the archive keeps\n\
             # every overwritten or deleted object where the node cannot reach it (not objects\n\
             # expired with X-Delete-After); the watch tower's rollback alert detects the rest.\n\
             # The proxy needs allow_versioned_writes = true. Run as the account's owner:\n",
            name = self.name
        );
        for c in &containers {
            text.push_str(&format!("swift post '{}'", c.name));
            for (k, v) in &c.headers {
                text.push_str(&format!(" --header '{k}: {v}'"));
            }
            text.push('\n');
        }
        out.summary(
            json!({"command": "storage policy", "node": self.name,
                   "storage": Location::Swift(loc.clone()).to_string(),
                   "swift_containers": containers}),
            text.trim_end(),
        );
        Ok(())
    }
}

/// A Swift ACL user as given (or the default): printed into shell commands,
/// so nothing that quotes or expands is accepted.
fn acl_user(given: &Option<String>, default: String, flag: &str) -> anyhow::Result<String> {
    let u = given.clone().unwrap_or(default);
    let ok = !u.is_empty()
        && u.chars()
            .all(|c| c.is_ascii_graphic() && !"',\\\"`$".contains(c));
    if ok {
        Ok(u)
    } else {
        Err(common::Error::new(
            common::ErrorKind::BadInput,
            format!("{flag} '{u}' is not a Swift ACL user"),
        )
        .hint("give ACCOUNT:USER (tempauth) or PROJECT_ID:USER_ID (Keystone)")
        .into())
    }
}
