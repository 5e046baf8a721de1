//! S3 access keys: from Vault (in memory), a private file, or the environment.

use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// An S3 access key pair. The secret is never shown or written anywhere.
#[derive(Clone)]
pub struct S3Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: Secret,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S3Credentials({}, <secret>)", self.access_key)
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
}

impl S3Credentials {
    /// From a credentials file: TOML with `access_key` and `secret_key`,
    /// readable by its owner only (0600 or 0400), as the config names it.
    pub fn from_file(path: &std::path::Path) -> Result<S3Credentials> {
        use std::os::unix::fs::PermissionsExt;
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            access_key: String,
            secret_key: String,
        }
        let what = format!("storage credentials {}", path.display());
        let meta = std::fs::metadata(path).map_err(|e| Error::io(&what, e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "{what} can be read by other users (mode {:o})",
                    meta.permissions().mode() & 0o777
                ),
            )
            .hint(format!("chmod 600 {}", path.display())));
        }
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| Error::io(&what, e))?,
        );
        // toml's own errors quote the line: never echo a secret.
        let f: File = toml::from_str(&text).ok().ok_or_else(|| {
            Error::new(
                ErrorKind::BadInput,
                format!("{what}: expected access_key = \"…\" and secret_key = \"…\""),
            )
        })?;
        Ok(S3Credentials {
            access_key: f.access_key,
            secret_key: Secret::new(f.secret_key),
        })
    }
}
