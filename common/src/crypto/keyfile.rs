//! The key abstraction: what a backup needs ([`BackupKey`]: recipients and the
//! chunk key) and what a restore needs ([`RestoreKey`]: age identities). The local
//! key file is one source of both halves; Vault ([`crate::vault`]) is another.

use super::age::{self, Identity, Recipient};
use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use zeroize::Zeroizing;

/// Version tag of the key file format.
pub const KEY_FILE_VERSION: u32 = 1;

/// The backup half: enough to write, never to read back.
#[derive(Clone)]
pub struct BackupKey {
    /// Every pack is encrypted to all of these (the node's own plus break-glass).
    pub recipients: Vec<Recipient>,
    /// The 32-byte chunk key: ids, metadata seal, chunker seed.
    pub chunk_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackupKey")
            .field("recipients", &self.recipients.len())
            .field("chunk_key", &"<redacted>")
            .finish()
    }
}

/// The restore half: the age identities that decrypt packs.
#[derive(Clone, Default)]
pub struct RestoreKey {
    /// All identities, newest last (rotation keeps the old ones).
    pub identities: Vec<Identity>,
}

impl fmt::Debug for RestoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RestoreKey({} identities, redacted)",
            self.identities.len()
        )
    }
}

/// The on-disk key file (JSON, mode 0600). `identities` may be empty: a
/// backup-only key file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Always [`KEY_FILE_VERSION`].
    pub banana_key_file: u32,
    /// Hex of the 32-byte chunk key.
    pub chunk_key: String,
    /// age recipients (`age1...`).
    pub recipients: Vec<String>,
    /// age identities (`AGE-SECRET-KEY-1...`); empty for a backup-only key.
    #[serde(default)]
    pub identities: Vec<String>,
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.chunk_key.zeroize();
        self.identities.iter_mut().for_each(|s| s.zeroize());
    }
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyFile({} recipients, {} identities)",
            self.recipients.len(),
            self.identities.len()
        )
    }
}

impl KeyFile {
    /// A new key: fresh identity, chunk key, and the identity's recipient plus `extra`.
    pub fn generate(extra_recipients: &[String]) -> Result<KeyFile> {
        let identity = age::generate();
        let mut recipients = vec![age::recipient_of(&identity)];
        for r in extra_recipients {
            age::parse_recipient(r)?;
            if !recipients.contains(r) {
                recipients.push(r.clone());
            }
        }
        let mut chunk_key = Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, chunk_key.as_mut());
        Ok(KeyFile {
            banana_key_file: KEY_FILE_VERSION,
            chunk_key: hex::encode(chunk_key.as_ref()),
            recipients,
            identities: vec![age::identity_secret(&identity).expose().to_owned()],
        })
    }

    /// Reads and validates a key file.
    pub fn load(path: &Path) -> Result<KeyFile> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                return Error::new(
                    ErrorKind::BadInput,
                    format!("key file {} does not exist", path.display()),
                )
                .hint("pass --key-file with this repository's key ('bananactl init' makes a key only with a new repository)");
            }
            Error::io(format!("key file {}", path.display()), e)
        })?);
        KeyFile::parse(&bytes, &format!("key file {}", path.display()))
    }

    /// Parses and validates a key file's bytes; `what` names it in errors.
    pub fn parse(bytes: &[u8], what: &str) -> Result<KeyFile> {
        let kf: KeyFile = serde_json::from_slice(bytes).map_err(|e| {
            Error::new(
                ErrorKind::BadInput,
                format!("{what} is not a Banana key file: {e}"),
            )
            .hint("point --key-file at the file 'bananactl init' wrote")
        })?;
        if kf.banana_key_file != KEY_FILE_VERSION {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!("{what} has unsupported version {}", kf.banana_key_file),
            ));
        }
        kf.backup_key_checked()?;
        kf.restore_key()?;
        Ok(kf)
    }

    /// Writes the key file with mode 0600; refuses to replace an existing file.
    pub fn save_new(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("key directory {}", parent.display()), e))?;
        }
        let mut json = Zeroizing::new(
            serde_json::to_vec_pretty(self)
                .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?,
        );
        json.push(b'\n');
        crate::fsutil::create_private(path, &json).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::BadInput,
                    format!("key file {} already exists", path.display()),
                )
                .hint("a key is never overwritten; choose another path or remove it yourself")
            } else {
                Error::io(format!("key file {}", path.display()), e)
            }
        })
    }

    /// A key assembled from parts (e.g. read from Vault), validated like a file.
    pub fn from_parts(
        chunk_key: &str,
        recipients: Vec<String>,
        identities: Vec<String>,
    ) -> Result<KeyFile> {
        let kf = KeyFile {
            banana_key_file: KEY_FILE_VERSION,
            chunk_key: chunk_key.to_owned(),
            recipients,
            identities,
        };
        kf.backup_key_checked()?;
        kf.restore_key()?;
        Ok(kf)
    }

    /// The same key without identities: what a node that must not restore gets.
    pub fn backup_only(&self) -> KeyFile {
        KeyFile {
            banana_key_file: KEY_FILE_VERSION,
            chunk_key: self.chunk_key.clone(),
            recipients: self.recipients.clone(),
            identities: Vec::new(),
        }
    }

    fn backup_key_checked(&self) -> Result<BackupKey> {
        let mut chunk_key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(&self.chunk_key, chunk_key.as_mut()).map_err(|_| {
            Error::new(
                ErrorKind::BadInput,
                "key file: chunk_key is not 64 hex characters",
            )
        })?;
        if self.recipients.is_empty() {
            return Err(Error::new(ErrorKind::BadInput, "key file: no recipients"));
        }
        let recipients = self
            .recipients
            .iter()
            .map(|r| age::parse_recipient(r))
            .collect::<Result<Vec<_>>>()?;
        Ok(BackupKey {
            recipients,
            chunk_key,
        })
    }

    /// The backup half.
    pub fn backup_key(&self) -> BackupKey {
        // `load` and `generate` validated it already.
        self.backup_key_checked().unwrap_or_else(|_| BackupKey {
            recipients: Vec::new(),
            chunk_key: Zeroizing::new([0u8; 32]),
        })
    }

    /// The restore half (possibly empty).
    pub fn restore_key(&self) -> Result<RestoreKey> {
        let identities = self
            .identities
            .iter()
            .map(|s| {
                age::parse_identity(s).map_err(|_| {
                    Error::new(
                        ErrorKind::BadInput,
                        "key file: an identity is not a valid age secret key",
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RestoreKey { identities })
    }
}

/// Reads age identities from a file in age's identity-file format (for break-glass).
pub fn load_identity_file(path: &Path) -> Result<RestoreKey> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("identity file {}", path.display()), e))?,
    );
    let mut identities = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        identities.push(age::parse_identity(line).map_err(|_| {
            Error::new(
                ErrorKind::BadInput,
                format!(
                    "identity file {}: a line is not an age secret key",
                    path.display()
                ),
            )
        })?);
    }
    if identities.is_empty() {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!("identity file {} holds no identity", path.display()),
        ));
    }
    Ok(RestoreKey { identities })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_overwrites_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        let k = KeyFile::generate(&[]).unwrap();
        k.save_new(&p).unwrap();
        let before = std::fs::read(&p).unwrap();
        let err = KeyFile::generate(&[]).unwrap().save_new(&p).unwrap_err();
        assert!(err.to_string().contains("already exists"));
        assert_eq!(std::fs::read(&p).unwrap(), before);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let back = KeyFile::load(&p).unwrap();
        assert_eq!(back.restore_key().unwrap().identities.len(), 1);
        assert!(back.backup_only().identities.is_empty());
    }

    #[test]
    fn rejects_bad_recipient() {
        let err = KeyFile::generate(&["age1nope".into()]).unwrap_err();
        assert!(err.to_string().contains("'age1nope'"));
    }

    #[test]
    fn debug_hides_secrets() {
        let k = KeyFile::generate(&[]).unwrap();
        let dbg = format!(
            "{:?} {:?} {:?}",
            k,
            k.backup_key(),
            k.restore_key().unwrap()
        );
        assert!(!dbg.contains(&k.chunk_key));
        assert!(!dbg.contains("AGE-SECRET-KEY"));
    }
}
