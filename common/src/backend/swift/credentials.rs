//! What a Swift user authenticates with: a v1 user and key (tempauth,
//! swauth) or a Keystone v3 user, password and project; from Vault (in
//! memory), a private file, or python-swiftclient's environment.

use super::SwiftAuth;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// Swift v1 (tempauth, swauth): `account:user` and key.
#[derive(Clone, Serialize, Deserialize)]
pub struct V1Credentials {
    /// `account:user`.
    pub user: String,
    /// The key.
    pub key: Secret,
}

/// Swift behind Keystone v3: password method, project scope.
#[derive(Clone, Serialize, Deserialize)]
pub struct V3Credentials {
    /// User name.
    pub user: String,
    /// Password.
    pub password: Secret,
    /// Project name.
    pub project: String,
    /// The user's domain (default `Default`).
    #[serde(default = "default_domain")]
    pub user_domain: String,
    /// The project's domain (default `Default`).
    #[serde(default = "default_domain")]
    pub project_domain: String,
}

/// The domain Keystone puts users and projects in unless told otherwise.
pub fn default_domain() -> String {
    "Default".into()
}

impl std::fmt::Debug for V1Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SwiftV1({}, <secret>)", self.user)
    }
}

impl std::fmt::Debug for V3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SwiftV3({}, {}, <secret>)", self.user, self.project)
    }
}

/// Either kind, as the Swift backend takes it.
#[derive(Clone, Debug)]
pub enum SwiftCredentials {
    /// v1 (tempauth, swauth).
    V1(V1Credentials),
    /// Keystone v3.
    V3(V3Credentials),
}

impl SwiftCredentials {
    /// python-swiftclient's environment: `ST_USER`/`ST_KEY` (v1), or
    /// `OS_USERNAME`/`OS_PASSWORD`/`OS_PROJECT_NAME` with
    /// `OS_USER_DOMAIN_NAME`/`OS_PROJECT_DOMAIN_NAME` (default `Default`) (v3).
    pub fn from_env(auth: SwiftAuth) -> Option<SwiftCredentials> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match auth {
            SwiftAuth::V1 => Some(SwiftCredentials::V1(V1Credentials {
                user: var("ST_USER")?,
                key: Secret::new(var("ST_KEY")?),
            })),
            SwiftAuth::V3 => Some(SwiftCredentials::V3(V3Credentials {
                user: var("OS_USERNAME")?,
                password: Secret::new(var("OS_PASSWORD")?),
                project: var("OS_PROJECT_NAME")?,
                user_domain: var("OS_USER_DOMAIN_NAME").unwrap_or_else(default_domain),
                project_domain: var("OS_PROJECT_DOMAIN_NAME").unwrap_or_else(default_domain),
            })),
        }
    }
}
