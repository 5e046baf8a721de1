//! `bananadm breakglass`: offline recipients every node's backups are also
//! encrypted to, and the signed key envelopes that let them restore without Vault.

use super::{admin, node, Out};
use crate::GlobalOpts;
use clap::{Args, Subcommand};
use common::crypto::age;
use common::vault::{paths, AgentSecret, FleetRecipients, RestoreSecret, Vault};
use common::ErrorKind;
use serde_json::{json, Value};

/// Break-glass commands.
#[derive(Debug, Subcommand)]
pub enum BreakglassCmd {
    /// Make a break-glass key: prints the identity ONCE (store it offline); Vault keeps only the public half.
    #[command(after_help = crate::examples::BREAKGLASS_KEYGEN)]
    Keygen,
    /// Add an existing age recipient (its identity already kept offline).
    #[command(after_help = crate::examples::BREAKGLASS_ADD)]
    Add(AddCmd),
}

/// Add a recipient.
#[derive(Debug, Args)]
pub struct AddCmd {
    /// age recipient (age1...).
    pub recipient: String,
}

/// The fleet signing key, created on first use (admin-only path).
fn signing_key(v: &Vault) -> anyhow::Result<ed25519_dalek::SigningKey> {
    if let Some((s, _)) = v.kv_get::<Value>(paths::FLEET_SIGNING)? {
        let mut b = zeroize::Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(s["signing_key"].as_str().unwrap_or_default(), b.as_mut()).map_err(
            |_| common::Error::new(ErrorKind::Other, "fleet signing key in Vault is malformed"),
        )?;
        return Ok(ed25519_dalek::SigningKey::from_bytes(&b));
    }
    let k = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let hexkey = zeroize::Zeroizing::new(hex::encode(k.to_bytes()));
    v.kv_put(
        paths::FLEET_SIGNING,
        &json!({ "signing_key": hexkey.as_str() }),
        0,
    )?;
    Ok(k)
}

/// Adds a recipient to the fleet and re-seals every node's envelope.
fn add_recipient(v: &Vault, recipient: &str) -> anyhow::Result<(String, usize)> {
    age::parse_recipient(recipient)?;
    let verify = hex::encode(signing_key(v)?.verifying_key().to_bytes());
    let (mut fleet, ver) = v
        .kv_get::<FleetRecipients>(paths::FLEET_RECIPIENTS)?
        .unwrap_or_default();
    if !fleet.recipients.iter().any(|r| r == recipient) {
        fleet.recipients.push(recipient.to_owned());
    }
    if !fleet.verify_keys.contains(&verify) {
        fleet.verify_keys.push(verify.clone());
    }
    v.kv_put(paths::FLEET_RECIPIENTS, &fleet, ver)?;
    // Every node's envelope must open with the new recipient too.
    let listed = v.request(
        "LIST",
        &paths::kv_metadata(v.location(), paths::NODES),
        None,
        None,
        None,
    );
    let nodes: Vec<String> = match listed {
        Ok(Some(r)) => r["data"]["keys"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|s| s.trim_end_matches('/').to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        Ok(None) => Vec::new(),
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut resealed = 0;
    for n in nodes {
        let (Some((restore, _)), Some((mut agent, aver))) = (
            v.kv_get::<RestoreSecret>(&paths::restore(&n))?,
            v.kv_get::<AgentSecret>(&paths::agent(&n))?,
        ) else {
            continue;
        };
        agent.envelopes = node::envelopes(v, &restore, &agent.storage)?;
        v.kv_put(&paths::agent(&n), &agent, aver)?;
        resealed += 1;
    }
    Ok((verify, resealed))
}

impl BreakglassCmd {
    /// Runs it.
    pub fn run(&self, g: &GlobalOpts, out: &Out) -> anyhow::Result<()> {
        let v = admin(g)?;
        match self {
            BreakglassCmd::Keygen => {
                let id = age::generate();
                let recipient = age::recipient_of(&id);
                let (verify, n) = add_recipient(&v, &recipient)?;
                let secret = age::identity_secret(&id);
                let text = format!(
                    "# Banana break-glass identity. Store this OFFLINE (paper, HSM, safe); it is shown once.\n\
                     # With it, 'bananactl restore --identity-file FILE' restores any node without Vault.\n\
                     # recipient: {recipient}\n\
                     # banana-verify-key: {verify}\n\
                     {}",
                    secret.expose()
                );
                if out.json {
                    println!(
                        "{}",
                        json!({"message_type": "summary", "command": "breakglass keygen", "identity_file": text,
                               "recipient": recipient, "verify_key": verify, "nodes_resealed": n})
                    );
                } else {
                    println!("{text}");
                    eprintln!("recipient {recipient} added; {n} nodes' key envelopes re-sealed");
                }
                Ok(())
            }
            BreakglassCmd::Add(c) => {
                let (verify, n) = add_recipient(&v, c.recipient.trim())?;
                out.summary(
                    json!({"command": "breakglass add", "recipient": c.recipient, "verify_key": verify, "nodes_resealed": n}),
                    &format!(
                        "recipient {} added; {n} nodes' key envelopes re-sealed.\nKeep this verify key with the identity: banana-verify-key: {verify}",
                        c.recipient
                    ),
                );
                Ok(())
            }
        }
    }
}
