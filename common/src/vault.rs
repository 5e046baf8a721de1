//! The only module that knows Vault's HTTP paths (layout in `docs/vault.md`).
//!
//! A node logs in with AppRole, reads what one run needs, and revokes its token
//! when the run ends ([`Session`]). `vaultrs` makes the calls it covers (AppRole
//! login, KV v2 reads, token revocation); the rest (response wrapping, KV v2
//! check-and-set, policies, mounts) go through plain `reqwest`. Both run on one
//! single-threaded tokio runtime behind a blocking facade: the agent is a cron
//! job, not a server.
//!
//! Secrets are held in [`Secret`] (zeroized on drop, redacted in `Debug`) and
//! never appear in error messages: errors name the Vault path and the status.

use crate::error::{Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;
use std::time::Duration;
use vaultrs::client::{Client, VaultClient, VaultClientSettingsBuilder};
use zeroize::Zeroizing;

/// Default KV v2 mount.
pub const DEFAULT_MOUNT: &str = "banana";
/// Default AppRole auth mount.
pub const DEFAULT_APPROLE: &str = "banana-approle";

/// A secret string: zeroized on drop, never shown by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where Vault is and how Banana is laid out in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    /// Vault's address, e.g. `https://vault.example:8200`.
    pub addr: String,
    /// PEM file of the CA that signed Vault's certificate (pinned; no system roots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// KV v2 mount.
    pub mount: String,
    /// AppRole auth mount.
    pub approle: String,
}

impl Location {
    /// A location with the default mounts.
    pub fn new(addr: &str) -> Location {
        Location {
            addr: addr.trim_end_matches('/').to_owned(),
            ca_file: None,
            mount: DEFAULT_MOUNT.into(),
            approle: DEFAULT_APPROLE.into(),
        }
    }
}

/// What a node stores at enrolment (file mode 0600): enough to log in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeCredentials {
    /// Format version, 1.
    pub banana_vault_credentials: u32,
    /// Vault and mounts.
    pub vault: Location,
    /// The node's name.
    pub node: String,
    /// AppRole role id.
    pub role_id: String,
    /// AppRole secret id.
    pub secret_id: Secret,
}

/// `nodes/N/agent`: what a backup run needs. Readable by the node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentSecret {
    /// Node name.
    pub node: String,
    /// The node's current data recipient(s); break-glass recipients are added from `fleet/recipients`.
    pub recipients: Vec<String>,
    /// Hex chunk key.
    pub chunk_key: Secret,
    /// Repository location.
    pub storage: String,
    /// Signed break-glass key envelopes to store in the repository (see `docs/vault.md`).
    #[serde(default)]
    pub envelopes: Vec<String>,
    /// The watch tower's URL, where the node sends its status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<String>,
}

/// `nodes/N/restore`: what a restore needs. Readable only with a restore grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestoreSecret {
    /// Node name.
    pub node: String,
    /// Every identity the node's data was ever encrypted to, oldest first.
    pub identities: Vec<Secret>,
    /// Hex chunk key.
    pub chunk_key: Secret,
    /// Repository location.
    pub storage: String,
}

/// `fleet/recipients`: break-glass recipients every node also encrypts to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetRecipients {
    /// age recipients.
    pub recipients: Vec<String>,
    /// Hex Ed25519 public keys that verify key envelopes (kept offline with the identity too).
    #[serde(default)]
    pub verify_keys: Vec<String>,
}

/// KV paths, relative to the mount.
pub mod paths {
    /// The node's agent secret.
    pub fn agent(node: &str) -> String {
        format!("nodes/{node}/agent")
    }
    /// The node's restore secret.
    pub fn restore(node: &str) -> String {
        format!("nodes/{node}/restore")
    }
    /// Break-glass recipients.
    pub const FLEET_RECIPIENTS: &str = "fleet/recipients";
    /// The fleet's envelope signing key (admin only).
    pub const FLEET_SIGNING: &str = "fleet/signing";
    /// Policy of node N's AppRole tokens.
    pub fn node_policy(node: &str) -> String {
        format!("banana-node-{node}")
    }
    /// Policy of N's restore grants.
    pub fn restore_policy(node: &str) -> String {
        format!("banana-restore-{node}")
    }
    /// Token role that mints N's restore grants.
    pub fn restore_role(node: &str) -> String {
        format!("banana-restore-{node}")
    }
}

/// Checks a node name: it becomes part of Vault paths and policy names.
pub fn valid_node_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
        })
        && !name.starts_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::BadInput,
            format!("node name '{name}' is not valid"),
        )
        .hint("use 1-63 characters: lowercase letters, digits, '-', '_', '.'"))
    }
}

/// A blocking Vault client.
pub struct Vault {
    rt: tokio::runtime::Runtime,
    client: VaultClient,
    http: reqwest::Client,
    loc: Location,
    token: Option<Secret>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vault({})", self.loc.addr)
    }
}

fn unavailable(loc: &Location, detail: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::VaultUnavailable,
        format!("cannot reach Vault at {}: {detail}", loc.addr),
    )
    .hint("check the address, the network and that Vault is running; nothing was uploaded")
}

fn sealed(loc: &Location) -> Error {
    Error::new(
        ErrorKind::VaultUnavailable,
        format!("Vault at {} is sealed", loc.addr),
    )
    .hint("an operator must unseal it; nothing was uploaded")
}

impl Vault {
    /// A client for `loc`, with no token yet. Vault's environment variables
    /// for address, token, CA and verification are not used.
    pub fn connect(loc: &Location) -> Result<Vault> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("tokio runtime", e))?;
        // vaultrs panics on an address it cannot parse: check it first.
        match reqwest::Url::parse(&loc.addr) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!("Vault address '{}' is not an http(s) URL", loc.addr),
                )
                .hint("write it like https://vault.example:8200"))
            }
        }
        let mut settings = VaultClientSettingsBuilder::default();
        settings
            .address(&loc.addr)
            .token("")
            .verify(true)
            .ca_certs(loc.ca_file.iter().cloned().collect())
            .timeout(Some(Duration::from_secs(15)));
        let settings = settings
            .build()
            .map_err(|e| Error::new(ErrorKind::BadInput, format!("Vault settings: {e}")))?;
        let client = VaultClient::new(settings).map_err(|e| unavailable(loc, e))?;
        let mut http = reqwest::Client::builder().timeout(Duration::from_secs(15));
        if let Some(ca) = &loc.ca_file {
            let pem = std::fs::read(ca).map_err(|e| Error::io(format!("Vault CA file {ca}"), e))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::new(ErrorKind::BadInput, format!("Vault CA file {ca}: {e}")))?;
            http = http.tls_certs_only(certs);
        }
        let http = http.build().map_err(|e| unavailable(loc, e))?;
        Ok(Vault {
            rt,
            client,
            http,
            loc: loc.clone(),
            token: None,
        })
    }

    /// With a pinned CA every call goes through our own client: vaultrs adds
    /// a CA file to the system roots instead of trusting it alone.
    fn pinned(&self) -> bool {
        self.loc.ca_file.is_some()
    }

    /// Where this client points.
    pub fn location(&self) -> &Location {
        &self.loc
    }

    /// Uses `token` for later calls.
    pub fn set_token(&mut self, token: Secret) {
        self.client.set_token(token.expose());
        self.token = Some(token);
    }

    fn map_client(&self, e: vaultrs::error::ClientError, path: &str) -> Error {
        use vaultrs::error::ClientError as C;
        match e {
            C::APIError { code, errors } => self.status_error(code, &errors.join("; "), path),
            C::RestClientError { .. } | C::RestClientBuildError { .. } => {
                unavailable(&self.loc, "connection failed")
            }
            other => Error::new(ErrorKind::Other, format!("Vault {path}: {other}")),
        }
    }

    fn status_error(&self, code: u16, detail: &str, path: &str) -> Error {
        match code {
            503 if detail.contains("sealed") || detail.is_empty() => sealed(&self.loc),
            503 => Error::new(ErrorKind::VaultUnavailable, format!("Vault at {} is unavailable: {detail}", self.loc.addr)),
            403 => Error::new(ErrorKind::VaultDenied, format!("Vault denied access to {path}"))
                .hint("the token or credential lacks the policy for it, has expired, or was revoked"),
            400 if detail.contains("wrapping token is not valid") => Error::new(
                ErrorKind::VaultDenied,
                "the wrapped token was already used, or has expired",
            )
            .hint("a wrapped token works once and for a short time: ask the administrator for a new one"),
            400 if detail.contains("invalid role or secret ID") || detail.contains("invalid secret id") => {
                Error::new(ErrorKind::VaultDenied, format!("Vault refused the node's AppRole credentials ({path})"))
                    .hint("the node was removed or re-enrolled: enrol it again with the command 'bananadm node add' prints")
            }
            400 if detail.contains("check-and-set") => Error::new(
                ErrorKind::BadInput,
                format!("Vault {path} changed or already exists (check-and-set refused)"),
            )
            .hint("a key is never overwritten; re-read and try again"),
            404 => Error::new(ErrorKind::NotFound, format!("Vault has nothing at {path}")),
            _ => Error::new(ErrorKind::Other, format!("Vault returned {code} for {path}: {detail}")),
        }
    }

    /// One raw request. `wrap_ttl` asks Vault to response-wrap the answer.
    /// `token` overrides the client's token (used to unwrap).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        wrap_ttl: Option<&str>,
        token: Option<&str>,
    ) -> Result<Option<Value>> {
        let url = format!("{}/v1/{}", self.loc.addr, path);
        let m = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| Error::new(ErrorKind::Other, format!("bad HTTP method {method}")))?;
        let mut req = self.http.request(m, &url);
        if let Some(t) = token.or(self.token.as_ref().map(Secret::expose)) {
            req = req.header("X-Vault-Token", t);
        }
        if let Some(w) = wrap_ttl {
            req = req.header("X-Vault-Wrap-TTL", w);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let fut = async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let text = resp.text().await?;
            Ok::<_, reqwest::Error>((status, text))
        };
        let (status, text) = self.rt.block_on(fut).map_err(|e| {
            let why = if e.is_timeout() {
                "timed out"
            } else {
                "connection failed"
            };
            unavailable(&self.loc, why)
        })?;
        if status == 204 || (status == 200 && text.trim().is_empty()) {
            return Ok(None);
        }
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(Some(v));
        }
        let detail = v["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        Err(self.status_error(status, &detail, path))
    }

    /// AppRole login; the token is kept for later calls.
    pub fn login_approle(&mut self, role_id: &str, secret_id: &Secret) -> Result<()> {
        let path = format!("auth/{}/login", self.loc.approle);
        if self.pinned() {
            let body = json!({"role_id": role_id, "secret_id": secret_id.expose()});
            let r = self
                .request("POST", &path, Some(&body), None, None)?
                .unwrap_or(Value::Null);
            let token = r["auth"]["client_token"].as_str().ok_or_else(|| {
                Error::new(ErrorKind::Other, format!("Vault {path} returned no token"))
            })?;
            self.set_token(Secret::new(token));
            return Ok(());
        }
        let fut = vaultrs::auth::approle::login(
            &self.client,
            &self.loc.approle,
            role_id,
            secret_id.expose(),
        );
        let auth = self
            .rt
            .block_on(fut)
            .map_err(|e| self.map_client(e, &path))?;
        self.set_token(Secret::new(auth.client_token));
        Ok(())
    }

    /// Reads a KV v2 secret with vaultrs.
    pub fn kv_read<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let full = format!("{}/data/{path}", self.loc.mount);
        if self.pinned() {
            return match self.kv_get(path)? {
                Some((v, _)) => Ok(v),
                None => Err(Error::new(
                    ErrorKind::NotFound,
                    format!("Vault has nothing at {full}"),
                )),
            };
        }
        let fut = vaultrs::kv2::read::<Value>(&self.client, &self.loc.mount, path);
        let v = self
            .rt
            .block_on(fut)
            .map_err(|e| self.map_client(e, &full))?;
        serde_json::from_value(v).map_err(|e| {
            Error::new(
                ErrorKind::Other,
                format!("Vault {full} has an unexpected shape: {e}"),
            )
        })
    }

    /// Reads a KV v2 secret and its version; `None` when absent (or deleted).
    pub fn kv_get<T: DeserializeOwned>(&self, path: &str) -> Result<Option<(T, u64)>> {
        let full = format!("{}/data/{path}", self.loc.mount);
        match self.request("GET", &full, None, None, None) {
            Ok(Some(v)) if !v["data"]["data"].is_null() => {
                let version = v["data"]["metadata"]["version"].as_u64().unwrap_or(0);
                let data = serde_json::from_value(v["data"]["data"].clone()).map_err(|e| {
                    Error::new(
                        ErrorKind::Other,
                        format!("Vault {full} has an unexpected shape: {e}"),
                    )
                })?;
                Ok(Some((data, version)))
            }
            Ok(_) => Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes a KV v2 secret with check-and-set: `cas` 0 creates only, N
    /// replaces only version N. Never a blind overwrite.
    pub fn kv_put<T: Serialize>(&self, path: &str, value: &T, cas: u64) -> Result<()> {
        let full = format!("{}/data/{path}", self.loc.mount);
        let body = json!({ "options": { "cas": cas }, "data": value });
        self.request("POST", &full, Some(&body), None, None)
            .map(|_| ())
    }

    /// Deletes a KV v2 secret and all its versions.
    pub fn kv_destroy(&self, path: &str) -> Result<()> {
        let full = format!("{}/metadata/{path}", self.loc.mount);
        self.request("DELETE", &full, None, None, None).map(|_| ())
    }

    /// Unwraps a response-wrapped token (single use).
    pub fn unwrap(&self, wrapping_token: &Secret) -> Result<Value> {
        self.request(
            "POST",
            "sys/wrapping/unwrap",
            None,
            None,
            Some(wrapping_token.expose()),
        )?
        .ok_or_else(|| Error::new(ErrorKind::Other, "Vault returned an empty unwrap response"))
    }

    /// Revokes the current token (best effort is the caller's choice).
    pub fn revoke_self(&mut self) -> Result<()> {
        if self.token.is_none() {
            return Ok(());
        }
        if self.pinned() {
            let r = self
                .request("POST", "auth/token/revoke-self", None, None, None)
                .map(|_| ());
            self.token = None;
            self.client.set_token("");
            return r;
        }
        let fut = vaultrs::token::revoke_self(&self.client);
        let r = self
            .rt
            .block_on(fut)
            .map_err(|e| self.map_client(e, "auth/token/revoke-self"));
        self.token = None;
        self.client.set_token("");
        r
    }

    /// The current token's own description (policies, ttl...).
    pub fn lookup_self(&self) -> Result<Value> {
        self.request("GET", "auth/token/lookup-self", None, None, None)?
            .ok_or_else(|| Error::new(ErrorKind::Other, "empty lookup-self response"))
    }
}

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
    let unwrapped = vault.unwrap(grant)?;
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
    fn node_names() {
        assert!(valid_node_name("web-01.example").is_ok());
        for bad in ["", "Web", "a/b", "-x", "a b", &"x".repeat(64)] {
            assert!(valid_node_name(bad).is_err(), "{bad}");
        }
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
