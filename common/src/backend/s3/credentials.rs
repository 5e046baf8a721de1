//! S3 access keys: from Vault (in memory), a private file, or the environment.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// An S3 access key pair. The secret is never shown or written anywhere.
#[derive(Clone, Serialize, Deserialize)]
pub struct S3Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: Secret,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S3({}, <secret>)", self.access_key)
    }
}

impl S3Credentials {
    /// From `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, when both are set.
    pub fn from_env() -> Option<S3Credentials> {
        let ak = std::env::var("AWS_ACCESS_KEY_ID")
            .ok()
            .filter(|v| !v.is_empty())?;
        let sk = std::env::var("AWS_SECRET_ACCESS_KEY")
            .ok()
            .filter(|v| !v.is_empty())?;
        Some(S3Credentials {
            access_key: ak,
            secret_key: Secret::new(sk),
        })
    }

    /// As Vault and credential files keep it.
    pub fn stored(&self) -> crate::backend::StorageCredentials {
        crate::backend::StorageCredentials::S3(self.clone())
    }
}
