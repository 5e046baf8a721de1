//! A blocking Vault client. `vaultrs` makes the calls it covers (AppRole
//! login, KV v2 reads, token revocation); the rest (response wrapping, KV v2
//! check-and-set, policies, mounts) go through plain `reqwest`. Both run on one
//! single-threaded tokio runtime: the agent is a cron job, not a server.

use super::{paths, Location, Secret};
use crate::error::{Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt;
use std::time::Duration;
use vaultrs::client::{Client, VaultClient, VaultClientSettingsBuilder};

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

/// Longest Vault answer read (a secret with every identity version fits
/// far below it).
const ANSWER_CAP: u64 = 4 << 20;

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
        if crate::names::plain_http_off_host(&loc.addr) && !loc.insecure_http {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("refusing to talk to Vault at {} over plain http: tokens and keys would cross the network in clear", loc.addr),
            )
            .hint("use Vault's https:// address (with --vault-ca), or pass --insecure-http on a trusted network"));
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
        let mut client = VaultClient::new(settings).map_err(|e| unavailable(loc, e))?;
        // Our client for every call, vaultrs's too: it follows no redirect
        // (a token header never goes to another host or over plain http).
        let mut http =
            crate::bounded::client(Duration::from_secs(15)).timeout(Duration::from_secs(15));
        if let Some(ca) = &loc.ca_file {
            let pem = std::fs::read(ca).map_err(|e| Error::io(format!("Vault CA file {ca}"), e))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::new(ErrorKind::BadInput, format!("Vault CA file {ca}: {e}")))?;
            http = http.tls_certs_only(certs);
        }
        let http = http.build().map_err(|e| unavailable(loc, e))?;
        client.http.http = http.clone();
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
        // `Some("")` asks for no token at all (unauthenticated endpoints).
        if let Some(t) = token
            .or(self.token.as_ref().map(Secret::expose))
            .filter(|t| !t.is_empty())
        {
            req = req.header("X-Vault-Token", t);
        }
        if let Some(w) = wrap_ttl {
            req = req.header("X-Vault-Wrap-TTL", w);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let fut = async {
            let resp = req
                .send()
                .await
                .map_err(crate::bounded::BodyError::Transport)?;
            let status = resp.status().as_u16();
            let body = crate::bounded::body(resp, ANSWER_CAP).await?;
            Ok::<_, crate::bounded::BodyError>((
                status,
                String::from_utf8_lossy(&body).into_owned(),
            ))
        };
        let (status, text) = self.rt.block_on(fut).map_err(|e| {
            let why = match e {
                crate::bounded::BodyError::Transport(e) if e.is_timeout() => "timed out",
                crate::bounded::BodyError::Transport(_) => "connection failed",
                crate::bounded::BodyError::TooLarge { .. } => {
                    "an answer longer than any Vault answer Banana reads"
                }
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
        let path = paths::approle_login(&self.loc);
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
        let full = paths::kv_data(&self.loc, path);
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
        let full = paths::kv_data(&self.loc, path);
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
        let full = paths::kv_data(&self.loc, path);
        let body = json!({ "options": { "cas": cas }, "data": value });
        self.request("POST", &full, Some(&body), None, None)
            .map(|_| ())
    }

    /// Deletes a KV v2 secret and all its versions.
    pub fn kv_destroy(&self, path: &str) -> Result<()> {
        let full = paths::kv_metadata(&self.loc, path);
        self.request("DELETE", &full, None, None, None).map(|_| ())
    }

    /// Unwraps a response-wrapped token (single use), after checking where it
    /// was created: a token made by another path (an attacker's wrapping of
    /// their own secret) is refused before it is unwrapped. `what` names the
    /// expected thing for the error.
    pub fn unwrap_from(
        &self,
        wrapping_token: &Secret,
        expected: impl Fn(&str) -> bool,
        what: &str,
    ) -> Result<Value> {
        let info = self
            .request(
                "POST",
                paths::WRAP_LOOKUP,
                Some(&json!({ "token": wrapping_token.expose() })),
                None,
                Some(""),
            )?
            .unwrap_or(Value::Null);
        let path = info["data"]["creation_path"].as_str().unwrap_or_default();
        if !expected(path) {
            return Err(Error::new(
                ErrorKind::VaultDenied,
                format!("the wrapped token was not created by {what} (it comes from '{path}'); not unwrapped"),
            )
            .hint("use the token printed by the bananadm command that made it"));
        }
        self.unwrap(wrapping_token)
    }

    /// Unwraps a response-wrapped token (single use).
    pub fn unwrap(&self, wrapping_token: &Secret) -> Result<Value> {
        self.request(
            "POST",
            paths::UNWRAP,
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
                .request("POST", paths::REVOKE_SELF, None, None, None)
                .map(|_| ());
            self.token = None;
            self.client.set_token("");
            return r;
        }
        let fut = vaultrs::token::revoke_self(&self.client);
        let r = self
            .rt
            .block_on(fut)
            .map_err(|e| self.map_client(e, paths::REVOKE_SELF));
        self.token = None;
        self.client.set_token("");
        r
    }

    /// The current token's own description (policies, ttl...).
    pub fn lookup_self(&self) -> Result<Value> {
        self.request("GET", paths::LOOKUP_SELF, None, None, None)?
            .ok_or_else(|| Error::new(ErrorKind::Other, "empty lookup-self response"))
    }
}
