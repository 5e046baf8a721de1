//! `bananactl enroll`: the command `bananadm node add` prints. Unwraps the
//! single-use secret id, stores the node's AppRole credentials (0600), and
//! proves they log in.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use common::vault::{Location, NodeCredentials, Secret, Session, Vault};
use serde_json::json;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// Enrol this node with Vault.
#[derive(Debug, Args)]
pub struct EnrollCmd {
    /// Vault's address.
    #[arg(long, value_name = "URL")]
    pub vault_addr: String,
    /// PEM file of the CA that signed Vault's certificate (pinned).
    #[arg(long, value_name = "FILE")]
    pub vault_ca: Option<PathBuf>,
    /// This node's name.
    #[arg(long, value_name = "NAME")]
    pub node: String,
    /// The AppRole role id.
    #[arg(long, value_name = "ID")]
    pub role_id: String,
    /// The response-wrapped, single-use secret id ('-' reads it from stdin).
    #[arg(long, value_name = "TOKEN")]
    pub wrapped_secret_id: String,
    /// KV v2 mount.
    #[arg(long, default_value = common::vault::DEFAULT_MOUNT, value_name = "PATH")]
    pub mount: String,
    /// AppRole auth mount.
    #[arg(long, default_value = common::vault::DEFAULT_APPROLE, value_name = "PATH")]
    pub approle_mount: String,
    /// Replace existing credentials (after 'bananadm node add --replace').
    #[arg(long)]
    pub force: bool,
}

impl EnrollCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        common::vault::valid_node_name(&self.node)?;
        let path = &s.vault_credentials;
        if path.exists() && !self.force {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("this node is already enrolled ({} exists)", path.display()),
            )
            .hint("pass --force to replace its credentials")
            .into());
        }
        let mut loc = Location::new(&self.vault_addr);
        loc.ca_file = self.vault_ca.as_ref().map(|p| p.display().to_string());
        loc.mount = self.mount.trim_matches('/').to_owned();
        loc.approle = self.approle_mount.trim_matches('/').to_owned();
        let wrapped = if self.wrapped_secret_id == "-" {
            let mut w = String::new();
            std::io::stdin()
                .read_line(&mut w)
                .context("reading the wrapped secret id from stdin")?;
            Secret::new(w.trim())
        } else {
            Secret::new(self.wrapped_secret_id.trim())
        };
        // The wrapping token works once: whoever unwrapped it first has the secret id.
        let unwrapped = Vault::connect(&loc)?.unwrap(&wrapped)?;
        let secret_id = unwrapped["data"]["secret_id"].as_str().ok_or_else(|| {
            common::Error::new(
                common::ErrorKind::BadInput,
                "the wrapped token does not hold an AppRole secret id",
            )
        })?;
        let creds = NodeCredentials {
            banana_vault_credentials: 1,
            vault: loc,
            node: self.node.clone(),
            role_id: self.role_id.clone(),
            secret_id: Secret::new(secret_id),
        };
        // Prove the credentials log in (the token is revoked at once).
        drop(Session::login(&creds)?);
        write_private(path, &creds, self.force)?;
        // The node's own status-signing identity (for the watch tower).
        let (identity, _) =
            common::status::NodeIdentity::load_or_create(&s.state_dir.join("node.key"))?;
        out.summary(
            json!({"command": "enroll", "node": self.node, "vault": self.vault_addr, "credentials": path,
                   "status_public_key": identity.public_hex()}),
            &format!(
                "enrolled node {} with Vault at {}: role id and secret id stored in {} (mode 0600); a test login succeeded",
                self.node,
                self.vault_addr,
                path.display()
            ),
        );
        Ok(Status::Ok)
    }
}

/// Writes the credentials with mode 0600 (directory 0700), atomically.
fn write_private(
    path: &std::path::Path,
    creds: &NodeCredentials,
    replace: bool,
) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    if !dir.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("directory {}", dir.display()))?;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let json = zeroize::Zeroizing::new(serde_json::to_vec_pretty(creds)?);
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("credentials {}", tmp.display()))?;
    f.write_all(&json)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("credentials {}", tmp.display()))?;
    if !replace && path.exists() {
        let _ = std::fs::remove_file(&tmp);
        anyhow::bail!(
            "credentials {} appeared meanwhile; not replaced",
            path.display()
        );
    }
    std::fs::rename(&tmp, path).with_context(|| format!("credentials {}", path.display()))
}
