//! `bananadm node`: enrol (add), list, show, rotate, remove.

use super::{admin, duration_secs, location, Out};
use crate::GlobalOpts;
use clap::{Args, Subcommand};
use common::control::vault_policy as policy;
use common::crypto::age;
use common::names::valid_node_name;
use common::vault::{paths, AgentSecret, FleetRecipients, RestoreSecret, Secret, Vault};
use common::ErrorKind;
use serde_json::{json, Value};

/// Node commands.
#[derive(Debug, Subcommand)]
pub enum NodeCmd {
    /// Enrol a node: keys, policy, AppRole; prints the one command to run on the node.
    #[command(after_help = crate::examples::NODE_ADD)]
    Add(AddCmd),
    /// List enrolled nodes.
    #[command(after_help = crate::examples::NODE_LIST)]
    List,
    /// Show a node (no secrets).
    #[command(after_help = crate::examples::NODE_SHOW)]
    Show(NameArg),
    /// New identity for future backups; older ones stay for restores.
    #[command(after_help = crate::examples::NODE_ROTATE)]
    Rotate(NameArg),
    /// Revoke a node's access (keys kept unless --purge-keys).
    #[command(after_help = crate::examples::NODE_REMOVE)]
    Remove(RemoveCmd),
    /// Store a job's credentials (database, plugin) in the node's agent secret.
    #[command(after_help = crate::examples::NODE_SECRET)]
    Secret(super::node_secret::SecretCmd),
    /// Let the reaper prune a node: its metadata key and a storage credential that deletes.
    #[command(after_help = crate::examples::NODE_REAPER)]
    Reaper(super::reaper::ReaperCmd),
    /// Set a node's retention policy (what 'bananadm prune' keeps).
    #[command(after_help = crate::examples::NODE_RETENTION)]
    Retention(super::reaper::RetentionCmd),
    /// Set where a node's second copy goes: the copier's read-only
    /// credential of its storage, an append-only one at the destination.
    #[command(after_help = crate::examples::NODE_COPY)]
    Copy(super::copy::NodeCopyCmd),
}

/// A node name.
#[derive(Debug, Args)]
pub struct NameArg {
    /// Node name.
    pub name: String,
}

/// Enrol a node.
#[derive(Debug, Args)]
pub struct AddCmd {
    /// Node name (lowercase letters, digits, '-', '_', '.').
    pub name: String,
    /// The node's repository location (stored in its agent secret): a
    /// directory, s3://HOST[:PORT]/BUCKET/PREFIX[?region=..&path_style=true&tls=false],
    /// or swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX[?auth=v1|v3&tls=false&region=..].
    #[arg(long, value_name = "URL")]
    pub storage: Option<String>,
    /// The node's storage credential: a TOML file, mode 0600, with
    /// `access_key` and `secret_key` (S3), `user` and `key` (Swift v1), or
    /// `user`, `password`, `project` (Keystone v3); stored in its agent and
    /// restore secrets, never on the node.
    #[arg(long, value_name = "FILE")]
    pub storage_credentials: Option<std::path::PathBuf>,
    /// The watch tower's URL, where the node sends its status.
    #[arg(long, value_name = "URL")]
    pub collector: Option<String>,
    /// Lifetime of the token a run gets.
    #[arg(long, default_value = "1h", value_parser = duration_secs, value_name = "DURATION")]
    pub ttl: u64,
    /// Lifetime of the wrapped, single-use enrolment secret.
    #[arg(long, default_value = "15m", value_parser = duration_secs, value_name = "DURATION")]
    pub wrap_ttl: u64,
    /// Re-issue the credentials of an existing node (its keys are kept).
    #[arg(long)]
    pub replace: bool,
}

/// Remove a node.
#[derive(Debug, Args)]
pub struct RemoveCmd {
    /// Node name.
    pub name: String,
    /// Also destroy its restore identities: its backups become unreadable
    /// except with break-glass keys.
    #[arg(long)]
    pub purge_keys: bool,
    /// Confirm --purge-keys.
    #[arg(long)]
    pub yes: bool,
}

impl NodeCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        let v = admin(g)?;
        match self {
            NodeCmd::Add(c) => c.run(g, &v, out),
            NodeCmd::List => list(&v, out),
            NodeCmd::Show(n) => show(&v, &n.name, out),
            NodeCmd::Rotate(n) => rotate(&v, &n.name, out),
            NodeCmd::Remove(c) => remove(&v, c, out),
            NodeCmd::Secret(c) => c.run(&v, out),
            NodeCmd::Reaper(c) => c.run(&v, out),
            NodeCmd::Retention(c) => c.run(&v, out),
            NodeCmd::Copy(c) => c.run(&v, out),
        }
    }
}

fn role_exists(v: &Vault, node: &str) -> common::Result<bool> {
    match v.request(
        "GET",
        &paths::approle_role(v.location(), node),
        None,
        None,
        None,
    ) {
        Ok(r) => Ok(r.is_some()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// The fleet's break-glass recipients and signing key (if keygen ran).
pub fn fleet(v: &Vault) -> common::Result<(FleetRecipients, u64)> {
    Ok(v.kv_get::<FleetRecipients>(paths::FLEET_RECIPIENTS)?
        .unwrap_or_default())
}

/// Re-seals a node's break-glass envelope from its restore secret.
pub fn envelopes(v: &Vault, restore: &RestoreSecret, storage: &str) -> anyhow::Result<Vec<String>> {
    let (fleet, _) = fleet(v)?;
    let Some((signing, _)) = v.kv_get::<Value>(paths::FLEET_SIGNING)? else {
        return Ok(Vec::new());
    };
    if fleet.recipients.is_empty() {
        return Ok(Vec::new());
    }
    let mut sk = zeroize::Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(
        signing["signing_key"].as_str().unwrap_or_default(),
        sk.as_mut(),
    )
    .map_err(|_| common::Error::new(ErrorKind::Other, "fleet signing key in Vault is malformed"))?;
    let signing = ed25519_dalek::SigningKey::from_bytes(&sk);
    let recipients = fleet
        .recipients
        .iter()
        .map(|r| age::parse_recipient(r))
        .collect::<common::Result<Vec<_>>>()?;
    let content = common::crypto::envelope::Content {
        node: restore.node.clone(),
        chunk_key: restore.chunk_key.clone(),
        storage: storage.to_owned(),
    };
    Ok(vec![common::crypto::envelope::seal(
        &content,
        &recipients,
        &signing,
    )?])
}

impl AddCmd {
    fn run(&self, g: &GlobalOpts, v: &Vault, out: &Out) -> anyhow::Result<()> {
        let name = &self.name;
        valid_node_name(name)?;
        let loc = location(g);
        // Everything given is checked before anything changes in Vault: a
        // typo never de-enrols a node (--replace deletes its role first).
        if let Some(st) = &self.storage {
            // Refuses a secret in the URL before anything is stored.
            common::backend::Location::parse(st)?;
        }
        let creds = self.credentials()?;
        let enrolled = role_exists(v, name)?;
        if enrolled && !self.replace {
            return Err(common::Error::new(
                ErrorKind::BadInput,
                format!("node '{name}' is already enrolled"),
            )
            .hint("use --replace to re-issue its credentials (its keys are kept)")
            .into());
        }
        if enrolled {
            // First, before anything changes: a new role id and no old secret
            // id, so the previous enrolment stops working. If Vault refuses,
            // nothing was done and the old credentials are untouched.
            v.request(
                "DELETE",
                &paths::approle_role(v.location(), name),
                None,
                None,
                None,
            )
            .map_err(|e| {
                anyhow::Error::from(e).context(format!(
                    "node '{name}' was not re-enrolled: its old AppRole role could not be deleted"
                ))
            })?;
        }
        let restore = self.restore_secret(v, creds.as_ref())?;
        self.agent_secret(v, &restore, creds)?;
        self.policies(v, &loc)?;
        let (role_id, wrapped) = self.approle(v)?;
        let cmd = enrol_command(&loc, name, &role_id, &wrapped);
        if !out.json {
            eprintln!(
                "Node '{name}' enrolled. Run this on the node within {}s (the secret inside works once):",
                self.wrap_ttl
            );
        }
        out.summary(
            json!({"command": "node add", "node": name, "enroll": cmd, "wrap_ttl": self.wrap_ttl}),
            &cmd,
        );
        Ok(())
    }

    /// The storage credential file, read (it must be private).
    fn credentials(&self) -> anyhow::Result<Option<common::vault::StorageCredentials>> {
        let Some(p) = &self.storage_credentials else {
            return Ok(None);
        };
        Ok(Some(common::vault::StorageCredentials::from_file(p)?))
    }

    /// The node's keys: created once, never overwritten (check-and-set 0); a
    /// new storage location or credential is recorded for restores too.
    fn restore_secret(
        &self,
        v: &Vault,
        creds: Option<&common::vault::StorageCredentials>,
    ) -> anyhow::Result<RestoreSecret> {
        let name = &self.name;
        Ok(match v.kv_get::<RestoreSecret>(&paths::restore(name))? {
            Some((mut r, ver)) => {
                let mut changed = false;
                if let Some(st) = self.storage.as_ref().filter(|st| **st != r.storage) {
                    r.storage = st.clone();
                    changed = true;
                }
                if let Some(c) = creds {
                    r.storage_credentials = Some(c.clone());
                    changed = true;
                }
                if changed {
                    v.kv_put(&paths::restore(name), &r, ver)?;
                }
                r
            }
            None => {
                let identity = age::generate();
                let mut ck = zeroize::Zeroizing::new([0u8; 32]);
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, ck.as_mut());
                let r = RestoreSecret {
                    node: name.clone(),
                    identities: vec![age::identity_secret(&identity)],
                    chunk_key: Secret::new(hex::encode(ck.as_ref())),
                    storage: self.storage.clone().unwrap_or_default(),
                    storage_credentials: creds.cloned(),
                };
                v.kv_put(&paths::restore(name), &r, 0)?;
                r
            }
        })
    }

    /// What a run reads: the newest identity's recipient, the chunk key, the
    /// storage, the break-glass envelopes and the collector.
    fn agent_secret(
        &self,
        v: &Vault,
        restore: &RestoreSecret,
        creds: Option<common::vault::StorageCredentials>,
    ) -> anyhow::Result<()> {
        let name = &self.name;
        let newest = restore
            .identities
            .last()
            .and_then(|i| age::parse_identity(i.expose()).ok())
            .ok_or_else(|| {
                common::Error::new(
                    ErrorKind::Other,
                    format!("restore secret of '{name}' has no identity"),
                )
            })?;
        let existing = v.kv_get::<AgentSecret>(&paths::agent(name))?;
        let storage = self
            .storage
            .clone()
            .or_else(|| existing.as_ref().map(|(a, _)| a.storage.clone()))
            .unwrap_or_else(|| restore.storage.clone());
        let agent = AgentSecret {
            node: name.clone(),
            recipients: vec![age::recipient_of(&newest)],
            chunk_key: restore.chunk_key.clone(),
            envelopes: envelopes(v, restore, &storage)?,
            storage,
            storage_credentials: creds.or_else(|| {
                existing
                    .as_ref()
                    .and_then(|(a, _)| a.storage_credentials.clone())
            }),
            collector: self
                .collector
                .clone()
                .or_else(|| existing.as_ref().and_then(|(a, _)| a.collector.clone())),
            job_secrets: existing
                .as_ref()
                .map(|(a, _)| a.job_secrets.clone())
                .unwrap_or_default(),
        };
        v.kv_put(
            &paths::agent(name),
            &agent,
            existing.map(|(_, ver)| ver).unwrap_or(0),
        )?;
        Ok(())
    }

    /// The node's policy, its restore-grant policy and the token role that
    /// mints grants.
    fn policies(&self, v: &Vault, loc: &common::vault::Location) -> anyhow::Result<()> {
        let name = &self.name;
        let put_policy = |n: String, p: String| {
            v.request(
                "PUT",
                &paths::acl_policy(&n),
                Some(&json!({ "policy": p })),
                None,
                None,
            )
        };
        put_policy(paths::node_policy(name), policy::node(loc, name))?;
        put_policy(paths::restore_policy(name), policy::restore(loc, name))?;
        let role = json!({
            "allowed_policies": [paths::restore_policy(name)],
            "orphan": true,
            "renewable": false,
            "token_no_default_policy": true,
        });
        v.request(
            "POST",
            &paths::token_role(&paths::restore_role(name)),
            Some(&role),
            None,
            None,
        )?;
        Ok(())
    }

    /// The AppRole role (made anew with --replace, see `run`); returns its
    /// role id and a wrapped, single-use secret id.
    fn approle(&self, v: &Vault) -> anyhow::Result<(String, String)> {
        let (name, loc) = (&self.name, v.location());
        let approle = json!({
            "token_policies": [paths::node_policy(name)],
            "token_no_default_policy": true,
            "token_ttl": self.ttl,
            "token_max_ttl": self.ttl,
            "token_type": "service",
            "secret_id_num_uses": 0,
            "secret_id_ttl": 0,
            "bind_secret_id": true,
        });
        v.request(
            "POST",
            &paths::approle_role(loc, name),
            Some(&approle),
            None,
            None,
        )?;
        let role_id = v
            .request("GET", &paths::approle_role_id(loc, name), None, None, None)?
            .and_then(|r| r["data"]["role_id"].as_str().map(str::to_owned))
            .ok_or_else(|| common::Error::new(ErrorKind::Other, "Vault returned no role id"))?;
        let wrapped = v
            .request(
                "POST",
                &paths::approle_secret_id(loc, name),
                Some(&json!({})),
                Some(&format!("{}s", self.wrap_ttl)),
                None,
            )?
            .and_then(|r| r["wrap_info"]["token"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                common::Error::new(ErrorKind::Other, "Vault did not wrap the secret id")
            })?;
        Ok((role_id, wrapped))
    }
}

/// The one command to run on the node.
fn enrol_command(
    loc: &common::vault::Location,
    name: &str,
    role_id: &str,
    wrapped: &str,
) -> String {
    let mut cmd = format!(
        "bananactl enroll --vault-addr {} --node {name} --role-id {role_id}",
        loc.addr
    );
    if let Some(ca) = &loc.ca_file {
        cmd.push_str(&format!(" --vault-ca {ca}"));
    }
    if loc.mount != common::vault::DEFAULT_MOUNT {
        cmd.push_str(&format!(" --mount {}", loc.mount));
    }
    if loc.approle != common::vault::DEFAULT_APPROLE {
        cmd.push_str(&format!(" --approle-mount {}", loc.approle));
    }
    if loc.insecure_http {
        cmd.push_str(" --insecure-http");
    }
    cmd.push_str(&format!(" --wrapped-secret-id {wrapped}"));
    cmd
}

fn list(v: &Vault, out: &Out) -> anyhow::Result<()> {
    let path = paths::approle_roles(v.location());
    let names: Vec<String> = match v.request("LIST", &path, None, None, None) {
        Ok(Some(r)) => r["data"]["keys"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        Ok(None) => Vec::new(),
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    if out.json {
        for n in &names {
            println!("{}", json!({"message_type": "node", "node": n}));
        }
    } else {
        for n in &names {
            println!("{n}");
        }
    }
    out.summary(
        json!({"command": "node list", "count": names.len()}),
        &format!("{} nodes", names.len()),
    );
    Ok(())
}

fn show(v: &Vault, name: &str, out: &Out) -> anyhow::Result<()> {
    valid_node_name(name)?;
    let role = v
        .request(
            "GET",
            &paths::approle_role(v.location(), name),
            None,
            None,
            None,
        )
        .ok()
        .flatten();
    let agent = v.kv_get::<AgentSecret>(&paths::agent(name))?;
    let restore = v.kv_get::<RestoreSecret>(&paths::restore(name))?;
    if role.is_none() && agent.is_none() && restore.is_none() {
        return Err(
            common::Error::new(ErrorKind::BadInput, format!("no node '{name}'"))
                .hint("list them with 'bananadm node list'")
                .into(),
        );
    }
    let info = json!({
        "command": "node show",
        "node": name,
        "enrolled": role.is_some(),
        "token_ttl": role.as_ref().map(|r| r["data"]["token_ttl"].clone()),
        "storage": agent.as_ref().map(|(a, _)| a.storage.clone()),
        "recipients": agent.as_ref().map(|(a, _)| a.recipients.clone()),
        "identities": restore.as_ref().map(|(r, _)| r.identities.len()),
        "break_glass_envelopes": agent.as_ref().map(|(a, _)| a.envelopes.len()),
        "job_credentials": agent.as_ref().map(|(a, _)| a.job_secrets.keys().cloned().collect::<Vec<_>>()),
    });
    let text = format!(
        "node {name}: {}; storage {}; {} identities (restore path); current recipient {}",
        if role.is_some() {
            "enrolled"
        } else {
            "removed (keys kept)"
        },
        info["storage"].as_str().unwrap_or("-"),
        info["identities"].as_u64().unwrap_or(0),
        agent
            .as_ref()
            .and_then(|(a, _)| a.recipients.first().cloned())
            .unwrap_or_else(|| "-".into()),
    );
    out.summary(info, &text);
    Ok(())
}

fn rotate(v: &Vault, name: &str, out: &Out) -> anyhow::Result<()> {
    valid_node_name(name)?;
    let (mut restore, rver) = v
        .kv_get::<RestoreSecret>(&paths::restore(name))?
        .ok_or_else(|| {
            common::Error::new(ErrorKind::BadInput, format!("no keys for node '{name}'"))
                .hint("enrol it with 'bananadm node add'")
        })?;
    let (mut agent, aver) = v
        .kv_get::<AgentSecret>(&paths::agent(name))?
        .ok_or_else(|| {
            common::Error::new(
                ErrorKind::BadInput,
                format!("node '{name}' has no agent secret"),
            )
        })?;
    let identity = age::generate();
    // The restore secret first: a new identity is readable before anything is encrypted to it.
    restore.identities.push(age::identity_secret(&identity));
    v.kv_put(&paths::restore(name), &restore, rver)?;
    agent.recipients = vec![age::recipient_of(&identity)];
    agent.envelopes = envelopes(v, &restore, &agent.storage)?;
    v.kv_put(&paths::agent(name), &agent, aver)?;
    out.summary(
        json!({"command": "node rotate", "node": name, "identities": restore.identities.len(), "recipient": agent.recipients[0]}),
        &format!(
            "node {name}: new recipient {} for future backups; {} identities kept for restores",
            agent.recipients[0],
            restore.identities.len()
        ),
    );
    Ok(())
}

fn remove(v: &Vault, c: &RemoveCmd, out: &Out) -> anyhow::Result<()> {
    let name = &c.name;
    valid_node_name(name)?;
    if c.purge_keys && !c.yes {
        return Err(common::Error::new(
            ErrorKind::BadInput,
            format!("--purge-keys destroys every identity of '{name}': its backups become unreadable without break-glass keys"),
        )
        .hint("add --yes to confirm")
        .into());
    }
    // Deleting the role invalidates every secret id it issued.
    v.request(
        "DELETE",
        &paths::approle_role(v.location(), name),
        None,
        None,
        None,
    )?;
    v.request(
        "DELETE",
        &paths::acl_policy(&paths::node_policy(name)),
        None,
        None,
        None,
    )?;
    v.kv_destroy(&paths::agent(name))?;
    if c.purge_keys {
        v.kv_destroy(&paths::restore(name))?;
        v.request(
            "DELETE",
            &paths::acl_policy(&paths::restore_policy(name)),
            None,
            None,
            None,
        )?;
        v.request(
            "DELETE",
            &paths::token_role(&paths::restore_role(name)),
            None,
            None,
            None,
        )?;
    }
    out.summary(
        json!({"command": "node remove", "node": name, "keys_purged": c.purge_keys}),
        &format!(
            "node {name} removed: its credentials no longer log in{}",
            if c.purge_keys {
                "; its keys are destroyed"
            } else {
                "; its restore identities are kept"
            }
        ),
    );
    Ok(())
}
