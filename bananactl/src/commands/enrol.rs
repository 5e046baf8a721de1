//! `bananactl enroll`: the command `bananadm node add` prints. Unwraps the
//! single-use secret id, stores the node's AppRole credentials (0600), and
//! proves they log in. With `--collector URL --collector-code CODE` (from
//! `bananaui node add` on the tower) it also enrols the node's status key at
//! the watch tower; either part can be done alone.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use common::vault::{Location, NodeCredentials, Secret, Session, Vault};
use serde_json::json;
use std::path::PathBuf;

/// Enrol this node with Vault and/or the watch tower.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).multiple(true).args(["vault_addr", "collector"])))]
pub struct EnrolCmd {
    /// Vault's address.
    #[arg(long, value_name = "URL", requires_all = ["role_id", "wrapped_secret_id"])]
    pub vault_addr: Option<String>,
    /// PEM file of the CA that signed Vault's certificate (pinned).
    #[arg(long, value_name = "FILE")]
    pub vault_ca: Option<PathBuf>,
    /// This node's name.
    #[arg(long, value_name = "NAME")]
    pub node: String,
    /// The AppRole role id.
    #[arg(long, value_name = "ID", requires = "vault_addr")]
    pub role_id: Option<String>,
    /// The response-wrapped, single-use secret id ('-' reads it from stdin).
    #[arg(long, value_name = "TOKEN", requires = "vault_addr")]
    pub wrapped_secret_id: Option<String>,
    /// The watch tower's URL: enrol this node's status key there.
    #[arg(long, value_name = "URL", requires = "collector_code")]
    pub collector: Option<String>,
    /// Allow plain http:// to Vault or the tower on a non-loopback address
    /// (secrets and codes would cross the network in clear); remembered for
    /// later runs.
    #[arg(long)]
    pub insecure_http: bool,
    /// The single-use code from 'bananaui node add' on the tower.
    #[arg(
        long,
        value_name = "CODE",
        env = "BANANA_COLLECTOR_CODE",
        hide_env_values = true,
        requires = "collector"
    )]
    pub collector_code: Option<String>,
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

impl EnrolCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        common::names::valid_node_name(&self.node)?;
        let mut summary = json!({"command": "enroll", "node": self.node});
        let mut lines = Vec::new();
        if let Some(addr) = &self.vault_addr {
            let path = self.vault(s, addr)?;
            summary["vault"] = json!(addr);
            summary["credentials"] = json!(path);
            lines.push(format!(
                "enrolled node {} with Vault at {addr}: role id and secret id stored in {} (mode 0600); a test login succeeded",
                self.node,
                path.display()
            ));
        }
        // The node's own status-signing identity (for the watch tower).
        let (identity, _) =
            common::status::NodeIdentity::load_or_create(&s.state_dir.join("node.key"))?;
        summary["status_public_key"] = json!(identity.public_hex());
        if let (Some(url), Some(code)) = (&self.collector, &self.collector_code) {
            self.tower(s, &identity, url, code)?;
            summary["collector"] = json!(url);
            lines.push(format!(
                "enrolled node {}'s status key at the watch tower {url}; backups report there",
                self.node
            ));
        }
        out.summary(summary, &lines.join("\n"));
        Ok(Status::Ok)
    }

    fn vault(&self, s: &Settings, addr: &str) -> anyhow::Result<PathBuf> {
        let path = &s.vault_credentials;
        if path.exists() && !self.force {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("this node is already enrolled ({} exists)", path.display()),
            )
            .hint("pass --force to replace its credentials")
            .into());
        }
        let mut loc = Location::new(addr);
        loc.ca_file = self.vault_ca.as_ref().map(|p| p.display().to_string());
        loc.mount = self.mount.trim_matches('/').to_owned();
        loc.approle = self.approle_mount.trim_matches('/').to_owned();
        loc.insecure_http = self.insecure_http;
        let given = self.wrapped_secret_id.as_deref().unwrap_or_default();
        let wrapped = if given == "-" {
            let mut w = String::new();
            std::io::stdin()
                .read_line(&mut w)
                .context("reading the wrapped secret id from stdin")?;
            Secret::new(w.trim())
        } else {
            Secret::new(given.trim())
        };
        // The wrapping token works once: whoever unwrapped it first has the
        // secret id. It must come from this node's role, not from a token an
        // attacker wrapped around a secret id of their own.
        let expected = common::vault::paths::approle_secret_id(&loc, &self.node);
        let unwrapped = Vault::connect(&loc)?.unwrap_from(
            &wrapped,
            |p| p == expected,
            &format!("'bananadm node add {}'", self.node),
        )?;
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
            role_id: self.role_id.clone().unwrap_or_default(),
            secret_id: Secret::new(secret_id),
        };
        // Prove the credentials log in (the token is revoked at once).
        drop(Session::login(&creds)?);
        write_private(path, &creds, self.force)?;
        Ok(path.clone())
    }

    /// Presents the code and the status key at the tower, then remembers the
    /// tower and the node name for later runs (`STATE_DIR/collector.json`).
    fn tower(
        &self,
        s: &Settings,
        identity: &common::status::NodeIdentity,
        url: &str,
        code: &str,
    ) -> anyhow::Result<()> {
        if common::names::plain_http_off_host(url) && !self.insecure_http {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("refusing to send the enrolment code to {url} in clear"),
            )
            .hint("use the tower's https:// URL (TLS proxy, docs/collector.md), or pass --insecure-http on a trusted network")
            .into());
        }
        let sender = common::status::Sender::new(url, std::time::Duration::from_secs(10))?;
        let req = identity.enrol_request(&self.node, code, common::unix_now());
        sender.enrol_as(&req, &self.node)?;
        crate::report::TowerState {
            url: url.to_owned(),
            node: self.node.clone(),
            insecure_http: self.insecure_http,
        }
        .save(&s.state_dir)
    }
}

/// Writes the credentials with mode 0600 (directory 0700), atomically;
/// replaces existing ones only when asked.
fn write_private(
    path: &std::path::Path,
    creds: &NodeCredentials,
    replace: bool,
) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    if !dir.exists() {
        common::fsutil::private_dir(dir).with_context(|| format!("directory {}", dir.display()))?;
    }
    let json = zeroize::Zeroizing::new(serde_json::to_vec_pretty(creds)?);
    let written = if replace {
        common::fsutil::write_private(path, &json)
    } else {
        common::fsutil::create_private(path, &json)
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => anyhow::bail!(
            "credentials {} appeared meanwhile; not replaced",
            path.display()
        ),
        r => r.with_context(|| format!("credentials {}", path.display())),
    }
}
