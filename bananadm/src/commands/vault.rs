//! `bananadm vault init`: mounts, auth method and the admin policy; idempotent.

use super::{admin, location, Out};
use crate::GlobalOpts;
use clap::{Args, Subcommand};
use common::vault::Vault;
use common::ErrorKind;
use serde_json::{json, Value};

/// Vault setup commands.
#[derive(Debug, Subcommand)]
pub enum VaultCmd {
    /// Enable KV v2 and AppRole and write the admin policy; a second run changes nothing.
    Init(InitCmd),
    /// Print the minimal admin policy (use it instead of a root token).
    Policy,
}

/// Set Vault up.
#[derive(Debug, Args)]
pub struct InitCmd {
    /// Print every change it would make, and make none.
    #[arg(long)]
    pub dry_run: bool,
    /// Run even with a root token (the first setup needs one; day-to-day use should not).
    #[arg(long)]
    pub allow_root: bool,
}

/// Applies one change to Vault.
type Apply = Box<dyn Fn(&Vault) -> common::Result<()>>;

/// One desired piece of state.
struct Change {
    what: String,
    apply: Apply,
}

impl VaultCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        match self {
            VaultCmd::Policy => {
                print!("{}", crate::policy::admin(&location(g)));
                Ok(())
            }
            VaultCmd::Init(c) => c.run(g, out),
        }
    }
}

impl InitCmd {
    fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        let v = admin(g)?;
        let loc = location(g);
        let me = v.lookup_self()?;
        let is_root = me["data"]["policies"]
            .as_array()
            .is_some_and(|p| p.iter().any(|x| x == "root"));
        if is_root && !self.allow_root {
            eprintln!("Use a token with this policy instead (e.g. 'bao policy write banana-admin FILE' then\n'bao token create -policy=banana-admin'):\n\n{}", crate::policy::admin(&loc));
            return Err(common::Error::new(ErrorKind::BadInput, "refusing to run with a root token")
                .hint("use a token with the banana-admin policy printed above, or pass --allow-root for the first setup")
                .into());
        }
        let mut changes: Vec<Change> = Vec::new();
        let mounts = v
            .request("GET", "sys/mounts", None, None, None)?
            .unwrap_or(Value::Null);
        let mounts = if mounts["data"].is_object() {
            mounts["data"].clone()
        } else {
            mounts
        };
        let mount = mounts[format!("{}/", loc.mount)].clone();
        if mount.is_null() {
            let m = loc.mount.clone();
            changes.push(Change {
                what: format!("enable KV v2 secrets engine at {m}/"),
                apply: Box::new(move |v| {
                    let body = json!({"type": "kv", "options": {"version": "2"}});
                    v.request("POST", &format!("sys/mounts/{m}"), Some(&body), None, None)
                        .map(|_| ())
                }),
            });
        } else if mount["type"] != "kv" || mount["options"]["version"] != "2" {
            return Err(common::Error::new(
                ErrorKind::BadInput,
                format!("{}/ is already mounted, but not as KV version 2", loc.mount),
            )
            .hint("choose another --mount")
            .into());
        }
        let auths = v
            .request("GET", "sys/auth", None, None, None)?
            .unwrap_or(Value::Null);
        let auths = if auths["data"].is_object() {
            auths["data"].clone()
        } else {
            auths
        };
        let auth = auths[format!("{}/", loc.approle)].clone();
        if auth.is_null() {
            let a = loc.approle.clone();
            changes.push(Change {
                what: format!("enable AppRole auth at auth/{a}/"),
                apply: Box::new(move |v| {
                    v.request(
                        "POST",
                        &format!("sys/auth/{a}"),
                        Some(&json!({"type": "approle"})),
                        None,
                        None,
                    )
                    .map(|_| ())
                }),
            });
        } else if auth["type"] != "approle" {
            return Err(common::Error::new(
                ErrorKind::BadInput,
                format!(
                    "auth/{}/ is already enabled, but not as AppRole",
                    loc.approle
                ),
            )
            .into());
        }
        let want = crate::policy::admin(&loc);
        let have = v
            .request("GET", "sys/policies/acl/banana-admin", None, None, None)
            .ok()
            .flatten()
            .and_then(|p| p["data"]["policy"].as_str().map(str::to_owned));
        if have.as_deref() != Some(want.as_str()) {
            changes.push(Change {
                what: format!(
                    "{} policy banana-admin",
                    if have.is_some() { "update" } else { "write" }
                ),
                apply: Box::new(move |v| {
                    v.request(
                        "PUT",
                        "sys/policies/acl/banana-admin",
                        Some(&json!({"policy": want})),
                        None,
                        None,
                    )
                    .map(|_| ())
                }),
            });
        }
        let verb = if self.dry_run { "would" } else { "did" };
        for c in &changes {
            if !self.dry_run {
                (c.apply)(&v)?;
            }
            if !out.json {
                println!("{verb}: {}", c.what);
            }
        }
        let text = if changes.is_empty() {
            "Vault is set up for Banana: nothing to change".to_owned()
        } else if self.dry_run {
            format!("dry run: {} changes, none made", changes.len())
        } else {
            format!("Vault is set up for Banana: {} changes made", changes.len())
        };
        let list: Vec<&str> = changes.iter().map(|c| c.what.as_str()).collect();
        out.summary(
            json!({"command": "vault init", "dry_run": self.dry_run, "changes": list}),
            &text,
        );
        Ok(())
    }
}
