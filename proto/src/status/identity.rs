//! The node's Ed25519 status identity (`STATE_DIR/node.key`, mode 0600,
//! created once, never replaced): it signs every envelope and enrolment
//! request; the private key never leaves the node.

use super::sign::signed_bytes;
use super::{EnrolRequest, Envelope, Event};
use crate::error::{Error, ErrorKind, Result};
use ed25519_dalek::{Signer, SigningKey};
use std::path::Path;

/// The node's signing identity; the private key never leaves the node.
pub struct NodeIdentity {
    key: SigningKey,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeIdentity({})", self.public_hex())
    }
}

impl NodeIdentity {
    /// Loads the identity at `path`, or creates it (mode 0600); never replaces one.
    pub fn load_or_create(path: &Path) -> Result<(NodeIdentity, bool)> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut b = zeroize::Zeroizing::new([0u8; 32]);
                hex::decode_to_slice(text.trim(), b.as_mut()).map_err(|_| {
                    Error::new(ErrorKind::BadInput, format!("node identity {} is malformed", path.display()))
                        .hint("it is never replaced automatically: move it away to make a new one, then re-enrol at the collector")
                })?;
                Ok((
                    NodeIdentity {
                        key: SigningKey::from_bytes(&b),
                    },
                    false,
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| Error::io(format!("directory {}", dir.display()), e))?;
                }
                let hexkey = zeroize::Zeroizing::new(hex::encode(key.to_bytes()));
                crate::fsutil::create_private(path, hexkey.as_bytes())
                    .map_err(|e| Error::io(format!("node identity {}", path.display()), e))?;
                Ok((NodeIdentity { key }, true))
            }
            Err(e) => Err(Error::io(format!("node identity {}", path.display()), e)),
        }
    }

    /// A fresh identity held only in memory (load generators, tests).
    pub fn generate() -> NodeIdentity {
        NodeIdentity {
            key: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// The public key, hex: what the collector stores at enrolment.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Signs `event` for `node` at time `now` with a fresh nonce.
    pub fn sign(&self, node: &str, event: &Event, now: i64) -> Envelope {
        let body = serde_json::to_string(event).unwrap_or_default();
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let body_hash = blake3::hash(body.as_bytes()).to_hex().to_string();
        let sig = self.key.sign(&signed_bytes(node, now, &nonce, &body_hash));
        Envelope {
            v: 1,
            node: node.to_owned(),
            timestamp: now,
            nonce,
            body_hash,
            body,
            signature: hex::encode(sig.to_bytes()),
        }
    }
}

impl NodeIdentity {
    /// The signed request that enrols this identity for `node` with `code`.
    pub fn enrol_request(&self, node: &str, code: &str, now: i64) -> EnrolRequest {
        let public_key = self.public_hex();
        let sig = self.key.sign(&super::enrol::enrol_bytes(
            node,
            &public_key,
            now,
            &super::code_hash(code),
        ));
        EnrolRequest {
            v: 1,
            node: node.to_owned(),
            public_key,
            code: code.trim().to_owned(),
            timestamp: now,
            signature: hex::encode(sig.to_bytes()),
        }
    }
}
