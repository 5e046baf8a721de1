//! Storage credentials as Vault keeps them and a credentials file holds
//! them: an S3 key pair, a Swift v1 user and key, or a Keystone v3 user,
//! password and project. A node holds them in memory only; they are never
//! shown (`Debug` hides the secret).

use super::s3::S3Credentials;
use super::swift::{default_domain, V1Credentials, V3Credentials};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// One storage credential: each backend's own type (its fields are defined
/// once, in `s3/credentials.rs` or `swift/credentials.rs`), tagged with
/// `type` as Vault and the tower's files keep it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StorageCredentials {
    /// S3: access key id and secret access key.
    S3(S3Credentials),
    /// Swift v1 (tempauth, swauth): `account:user` and key.
    SwiftV1(V1Credentials),
    /// Swift behind Keystone v3: password method, project scope.
    SwiftV3(V3Credentials),
}

impl StorageCredentials {
    /// What kind of credential, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            StorageCredentials::S3(_) => "an S3 access key",
            StorageCredentials::SwiftV1(_) => "a Swift v1 user",
            StorageCredentials::SwiftV3(_) => "a Keystone v3 user",
        }
    }

    /// Reads a credentials file: TOML readable by its owner only (0600 or
    /// 0400) with `access_key` and `secret_key` (S3), `user` and `key`
    /// (Swift v1), or `user`, `password`, `project` and optionally
    /// `user_domain`, `project_domain` (Keystone v3).
    pub fn from_file(path: &std::path::Path) -> Result<StorageCredentials> {
        let what = format!("storage credentials {}", path.display());
        crate::fsutil::check_private_file(path, "storage credentials")?;
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| Error::io(&what, e))?,
        );
        // The parser's own errors quote the line: never echo a secret.
        let parsed = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l.split_once('=')?;
                let v = v.trim();
                let v = v.strip_prefix('"')?.strip_suffix('"')?;
                (!v.contains(['"', '\\'])).then(|| (k.trim().to_owned(), v.to_owned()))
            })
            .collect::<Option<std::collections::BTreeMap<String, String>>>();
        let bad = || {
            Error::new(
                ErrorKind::BadInput,
                format!("{what}: expected key = \"value\" lines: access_key and secret_key (S3), user and key (Swift v1), or user, password and project (Keystone v3)"),
            )
        };
        let mut m = parsed.ok_or_else(bad)?;
        // The keys present choose the kind; a missing one is an error.
        let has = |m: &std::collections::BTreeMap<String, String>, keys: [&str; 2]| {
            keys.iter().any(|k| m.contains_key(*k))
        };
        let s3 = has(&m, ["access_key", "secret_key"]);
        let v3 = has(&m, ["password", "project"]);
        let mut take = |k: &str| m.remove(k).ok_or_else(bad);
        let c = if s3 {
            StorageCredentials::S3(S3Credentials {
                access_key: take("access_key")?,
                secret_key: Secret::new(take("secret_key")?),
            })
        } else if v3 {
            StorageCredentials::SwiftV3(V3Credentials {
                user: take("user")?,
                password: Secret::new(take("password")?),
                project: take("project")?,
                user_domain: take("user_domain").unwrap_or_else(|_| default_domain()),
                project_domain: take("project_domain").unwrap_or_else(|_| default_domain()),
            })
        } else {
            StorageCredentials::SwiftV1(V1Credentials {
                user: take("user")?,
                key: Secret::new(take("key")?),
            })
        };
        if let Some(k) = m.keys().next() {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("{what}: unknown key '{k}'"),
            ));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file(text: &str, mode: u32) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("creds.toml");
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        (d, p)
    }

    #[test]
    fn each_kind_is_read_and_nothing_secret_is_shown() {
        let (_d, p) = file("access_key = \"AK\"\nsecret_key = \"canary-s3\"\n", 0o600);
        let c = StorageCredentials::from_file(&p).unwrap();
        assert!(matches!(&c, StorageCredentials::S3(s3) if s3.access_key == "AK"));
        assert!(!format!("{c:?}").contains("canary"));
        let (_d, p) = file("# swift\nuser = \"acct:u\"\nkey = \"canary-v1\"\n", 0o400);
        assert!(matches!(
            StorageCredentials::from_file(&p).unwrap(),
            StorageCredentials::SwiftV1(_)
        ));
        let (_d, p) = file(
            "user = \"u\"\npassword = \"canary-v3\"\nproject = \"p\"\n",
            0o600,
        );
        let c = StorageCredentials::from_file(&p).unwrap();
        assert!(matches!(&c, StorageCredentials::SwiftV3(v3) if v3.user_domain == "Default"));
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["type"], "swift_v3");
    }

    #[test]
    fn open_files_bad_lines_and_unknown_keys_are_refused_without_echo() {
        let (_d, p) = file("access_key = \"AK\"\nsecret_key = \"canary\"\n", 0o644);
        assert!(StorageCredentials::from_file(&p)
            .unwrap_err()
            .to_string()
            .contains("chmod 600"));
        for text in [
            "access_key = AK\nsecret_key = canary\n",
            "access_key = \"AK\"\nsecret_key = \"canary\"\nextra = \"x\"\n",
            "secret_key = \"canary\"\n",
            "user = \"u\"\npassword = \"canary\"\n",
            "user = \"u\"\n",
        ] {
            let (_d, p) = file(text, 0o600);
            let e = StorageCredentials::from_file(&p).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadInput);
            assert!(!e.to_string().contains("canary"), "{e}");
        }
    }
}
