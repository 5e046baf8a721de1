//! Swift authentication: v1 (`GET /auth/v1.0`, `X-Auth-User`/`X-Auth-Key`)
//! or Keystone v3 (`POST /v3/auth/tokens`, password method, project scope),
//! and the storage URL it hands back, checked before a token goes to it.

use super::{Session, SwiftAuth, SwiftBackend, SwiftCredentials, AUTH_CAP};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use std::sync::atomic::Ordering;

impl SwiftBackend {
    fn auth_url(&self) -> String {
        let base = self.loc.endpoint();
        match self.loc.auth {
            SwiftAuth::V1 => format!("{base}/auth/v1.0"),
            SwiftAuth::V3 => format!("{base}/v3/auth/tokens"),
        }
    }

    /// The authentication request for the node's credential.
    fn auth_request(&self, url: &str) -> reqwest::RequestBuilder {
        match &self.creds {
            SwiftCredentials::V1(c) => self
                .client
                .get(url)
                .header("X-Auth-User", &c.user)
                .header("X-Auth-Key", c.key.expose()),
            SwiftCredentials::V3(c) => self.client.post(url).json(&serde_json::json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": c.user, "domain": {"name": c.user_domain}, "password": c.password.expose()}}},
                "scope": {"project": {"name": c.project, "domain": {"name": c.project_domain}}}}})),
        }
    }

    /// A new token (and storage URL).
    pub(super) async fn authenticate(&self) -> Result<Session> {
        self.auths.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = self.auth_url();
        let what = format!("Swift authentication at {url}");
        let resp = self
            .auth_request(&url)
            .timeout(self.timeout(0))
            .send()
            .await
            .map_err(|e| self.unavailable(&what, &e))?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(Error::new(
                ErrorKind::StorageDenied,
                format!("{what}: refused ({status})"),
            )
            .hint("check the node's Swift credential (docs/storage.md)"));
        }
        if !resp.status().is_success() {
            return Err(self.status_error(&what, status));
        }
        match self.loc.auth {
            SwiftAuth::V1 => self.v1_session(&what, &resp),
            SwiftAuth::V3 => self.v3_session(&what, resp).await,
        }
    }

    /// v1: the token and the storage URL are headers.
    fn v1_session(&self, what: &str, resp: &reqwest::Response) -> Result<Session> {
        match (header(resp, "x-auth-token"), header(resp, "x-storage-url")) {
            (Some(t), Some(s)) => Ok(Session {
                token: Secret::new(t),
                storage_url: self.storage_url(what, &s)?,
            }),
            _ => Err(Error::new(
                ErrorKind::StorageUnavailable,
                format!("{what}: no token or storage URL in the answer"),
            )),
        }
    }

    /// Keystone v3: the token is a header, the storage URL the catalog's
    /// public object-store endpoint (in the location's region, if named).
    async fn v3_session(&self, what: &str, resp: reqwest::Response) -> Result<Session> {
        let token = header(&resp, "x-subject-token");
        let body = crate::bounded::body(resp, AUTH_CAP)
            .await
            .map_err(|e| Error::new(ErrorKind::StorageUnavailable, format!("{what}: {e}")))?;
        let body: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            Error::new(
                ErrorKind::StorageUnavailable,
                format!("{what}: the answer is not a Keystone token ({e})"),
            )
        })?;
        let url = v3_object_store(&body, self.loc.region.as_deref());
        match (token, url) {
            (Some(t), Some(u)) => Ok(Session {
                token: Secret::new(t),
                storage_url: self.storage_url(what, &u)?,
            }),
            (_, None) => Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "{what}: the catalog has no public object-store endpoint{}",
                    self.loc
                        .region
                        .as_deref()
                        .map(|r| format!(" in region {r}"))
                        .unwrap_or_default()
                ),
            )
            .hint("check region= in the location")),
            (None, _) => Err(Error::new(
                ErrorKind::StorageUnavailable,
                format!("{what}: no X-Subject-Token in the answer"),
            )),
        }
    }

    /// The storage URL authentication handed back, checked: an http(s)
    /// URL, https when the location is (the token must not cross the
    /// network in clear because authentication said so).
    pub(super) fn storage_url(&self, what: &str, url: &str) -> Result<String> {
        let scheme = url::Url::parse(url).map(|u| u.scheme().to_owned());
        match scheme.as_deref() {
            Ok("https") => Ok(url.trim_end_matches('/').to_owned()),
            Ok("http") if !self.loc.tls => Ok(url.trim_end_matches('/').to_owned()),
            _ => Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "{what}: the storage URL it gave, '{}', is not https: the token would cross the network in clear",
                    crate::humanize::printable(&url.chars().take(200).collect::<String>())
                ),
            )
            .hint("fix the object-store endpoint (Keystone catalogue, or the proxy's storage URL) to https")),
        }
    }
}

/// A header's value, if it is text.
fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The public object-store endpoint in a Keystone v3 token's catalog.
fn v3_object_store(body: &serde_json::Value, region: Option<&str>) -> Option<String> {
    body["token"]["catalog"]
        .as_array()?
        .iter()
        .filter(|s| s["type"] == "object-store")
        .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
        .find(|e| {
            e["interface"] == "public"
                && region.is_none_or(|r| e["region"] == r || e["region_id"] == r)
        })
        .and_then(|e| e["url"].as_str().map(str::to_owned))
}
