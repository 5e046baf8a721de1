//! `bananadm vault init`: mounts, auth method and the admin policy; idempotent.

use super::{admin, location, Out};
use crate::GlobalOpts;
use clap::{Args, Subcommand};
use common::control::vault_policy as policy;
use common::vault::{paths, Location, Vault};
use common::ErrorKind;
use serde_json::{json, Value};

/// Vault setup commands.
#[derive(Debug, Subcommand)]
pub enum VaultCmd {
    /// Enable KV v2 and AppRole and write the admin policy; a second run changes nothing.
    #[command(after_help = crate::examples::VAULT_INIT)]
    Init(InitCmd),
    /// Print the minimal admin policy (use it instead of a root token).
    #[command(after_help = crate::examples::VAULT_POLICY)]
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
                print!("{}", policy::admin(&location(g)));
                Ok(())
            }
            VaultCmd::Init(c) => c.run(g, out),
        }
    }
}

/// The `data` map of a `sys/mounts` or `sys/auth` answer (older servers
/// answer with the map itself).
fn table(v: &Vault, path: &str) -> common::Result<Value> {
    let t = v
        .request("GET", path, None, None, None)?
        .unwrap_or(Value::Null);
    Ok(if t["data"].is_object() {
        t["data"].clone()
    } else {
        t
    })
}

/// KV v2 at the mount: absent → a change; present but another kind → an error.
fn plan_mount(v: &Vault, loc: &Location, changes: &mut Vec<Change>) -> anyhow::Result<()> {
    let mount = table(v, paths::MOUNTS)?[format!("{}/", loc.mount)].clone();
    if mount.is_null() {
        let (m, path) = (loc.mount.clone(), paths::mount(loc));
        changes.push(Change {
            what: format!("enable KV v2 secrets engine at {m}/"),
            apply: Box::new(move |v| {
                let body = json!({"type": "kv", "options": {"version": "2"}});
                v.request("POST", &path, Some(&body), None, None)
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
    Ok(())
}

/// AppRole at the auth mount, likewise.
fn plan_auth(v: &Vault, loc: &Location, changes: &mut Vec<Change>) -> anyhow::Result<()> {
    let auth = table(v, paths::AUTHS)?[format!("{}/", loc.approle)].clone();
    if auth.is_null() {
        let (a, path) = (loc.approle.clone(), paths::auth(loc));
        changes.push(Change {
            what: format!("enable AppRole auth at auth/{a}/"),
            apply: Box::new(move |v| {
                v.request("POST", &path, Some(&json!({"type": "approle"})), None, None)
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
    Ok(())
}

/// A policy (the admin's, the reaper's), written or updated when it differs.
fn plan_policy(v: &Vault, name: &'static str, want: String, changes: &mut Vec<Change>) {
    let path = paths::acl_policy(name);
    let have = v
        .request("GET", &path, None, None, None)
        .ok()
        .flatten()
        .and_then(|p| p["data"]["policy"].as_str().map(str::to_owned));
    if have.as_deref() != Some(want.as_str()) {
        changes.push(Change {
            what: format!(
                "{} policy {name}",
                if have.is_some() { "update" } else { "write" },
            ),
            apply: Box::new(move |v| {
                v.request("PUT", &path, Some(&json!({"policy": want})), None, None)
                    .map(|_| ())
            }),
        });
    }
}

/// The token role that mints tokens of `policy` only (banana-reaper,
/// banana-drill, banana-copier).
fn plan_token_role(v: &Vault, policy: &'static str, changes: &mut Vec<Change>) {
    let path = paths::token_role(policy);
    let have = v.request("GET", &path, None, None, None).ok().flatten();
    let ok = have.as_ref().is_some_and(|r| {
        r["data"]["allowed_policies"] == json!([policy])
            && r["data"]["token_no_default_policy"] == json!(true)
    });
    if !ok {
        changes.push(Change {
            what: format!("write token role {policy}"),
            apply: Box::new(move |v| {
                let role = json!({
                    "allowed_policies": [policy],
                    "orphan": true,
                    "renewable": false,
                    "token_no_default_policy": true,
                });
                v.request("POST", &path, Some(&role), None, None)
                    .map(|_| ())
            }),
        });
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
            eprintln!("Use a token with this policy instead (e.g. 'bao policy write banana-admin FILE' then\n'bao token create -policy=banana-admin'):\n\n{}", policy::admin(&loc));
            return Err(common::Error::new(ErrorKind::BadInput, "refusing to run with a root token")
                .hint("use a token with the banana-admin policy printed above, or pass --allow-root for the first setup")
                .into());
        }
        let mut changes: Vec<Change> = Vec::new();
        plan_mount(&v, &loc, &mut changes)?;
        plan_auth(&v, &loc, &mut changes)?;
        plan_policy(&v, paths::ADMIN_POLICY, policy::admin(&loc), &mut changes);
        plan_policy(&v, paths::REAPER_POLICY, policy::reaper(&loc), &mut changes);
        plan_token_role(&v, paths::REAPER_POLICY, &mut changes);
        plan_policy(&v, paths::DRILL_POLICY, policy::drill(&loc), &mut changes);
        plan_token_role(&v, paths::DRILL_POLICY, &mut changes);
        plan_policy(&v, paths::COPIER_POLICY, policy::copier(&loc), &mut changes);
        plan_token_role(&v, paths::COPIER_POLICY, &mut changes);
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
