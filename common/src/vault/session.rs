//! A node's run against Vault ([`Session`]), and restore grants.

use super::{
    paths, AgentSecret, FleetRecipients, Location, NodeCredentials, RestoreSecret, Secret, Vault,
};
use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;

/// A node's run: logged in with AppRole; the token is revoked on drop, also
/// when the run fails.
#[derive(Debug)]
pub struct Session {
    vault: Vault,
    node: String,
}

impl Session {
    /// Logs in with the node's stored credentials.
    pub fn login(creds: &NodeCredentials) -> Result<Session> {
        let mut vault = Vault::connect(&creds.vault)?;
        vault.login_approle(&creds.role_id, &creds.secret_id)?;
        Ok(Session {
            vault,
            node: creds.node.clone(),
        })
    }

    /// The agent secret, with the fleet's break-glass recipients merged in.
    pub fn agent(&self) -> Result<(AgentSecret, FleetRecipients)> {
        let agent: AgentSecret = self.vault.kv_read(&paths::agent(&self.node))?;
        let fleet = match self
            .vault
            .kv_get::<FleetRecipients>(paths::FLEET_RECIPIENTS)?
        {
            Some((f, _)) => f,
            None => FleetRecipients::default(),
        };
        Ok((agent, fleet))
    }

    /// The client, for tests of what the node's token can reach.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Err(e) = self.vault.revoke_self() {
            tracing::warn!("could not revoke this run's Vault token: {e}");
        }
    }
}

/// A restore grant: unwrapped once, used to read one node's restore secret.
pub fn read_with_grant(
    loc: &Location,
    node: Option<&str>,
    grant: &Secret,
) -> Result<RestoreSecret> {
    let mut vault = Vault::connect(loc)?;
    let expected = |p: &str| match node {
        Some(n) => p == paths::token_create(&paths::restore_role(n)),
        None => p.starts_with(&paths::token_create(&paths::restore_role(""))),
    };
    let unwrapped = vault.unwrap_from(grant, expected, "'bananadm restore grant'")?;
    let token = unwrapped["auth"]["client_token"].as_str().ok_or_else(|| {
        Error::new(
            ErrorKind::BadInput,
            "the grant does not hold a restore token",
        )
    })?;
    let policy_node = unwrapped["auth"]["policies"]
        .as_array()
        .and_then(|ps| {
            ps.iter()
                .filter_map(Value::as_str)
                .find_map(|p| p.strip_prefix("banana-restore-"))
        })
        .map(str::to_owned);
    vault.set_token(Secret::new(token));
    let node = match (node, policy_node.as_deref()) {
        (Some(n), _) => n.to_owned(),
        (None, Some(n)) => n.to_owned(),
        (None, None) => {
            return Err(Error::new(
                ErrorKind::BadInput,
                "the grant does not say which node it is for",
            )
            .hint("pass the node name"))
        }
    };
    let secret = vault.kv_read::<RestoreSecret>(&paths::restore(&node));
    // A grant of N uses is revoked by Vault after its last use; revoking an
    // unused remainder is courtesy.
    let _ = vault.revoke_self();
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show() {
        let s = Secret::new("CANARY-7b1e");
        assert_eq!(format!("{s:?}"), "<redacted>");
        let c = NodeCredentials {
            banana_vault_credentials: 1,
            vault: Location::new("http://127.0.0.1:1"),
            node: "n".into(),
            role_id: "r".into(),
            secret_id: s,
        };
        assert!(!format!("{c:?}").contains("CANARY"));
    }

    #[test]
    fn unreachable_vault_is_a_clear_error() {
        let v = Vault::connect(&Location::new("http://127.0.0.1:9")).unwrap();
        let e = v
            .request("GET", "sys/health", None, None, None)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::VaultUnavailable);
        assert!(e
            .to_string()
            .contains("cannot reach Vault at http://127.0.0.1:9"));
    }
}
