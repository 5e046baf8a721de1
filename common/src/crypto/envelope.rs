//! Break-glass key envelopes: what a restore needs besides an age identity
//! (the chunk key), stored in the repository so that a restore works with no
//! Vault at all (P6).
//!
//! An envelope is age-encrypted to the fleet's break-glass recipients only, and
//! signed with the fleet's Ed25519 signing key, which lives in Vault where
//! only `bananadm` reads it. age alone proves nothing about who wrote a file
//! (every node knows the recipients), so without the signature hostile storage
//! could hand a break-glass restore a forged, self-consistent repository; the
//! verify key is kept offline with the break-glass identity.

use super::age::{self, Identity, Recipient};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
pub use ed25519_dalek::VerifyingKey;
use ed25519_dalek::{Signer, SigningKey, Verifier};
use serde::{Deserialize, Serialize};
use std::io::Read;

const DOMAIN: &[u8] = b"banana key envelope v1\0";

/// The stored envelope (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Format version, 1.
    pub banana_key_envelope: u32,
    /// The node it belongs to.
    pub node: String,
    /// Hex of the age file holding [`Content`].
    pub age: String,
    /// Hex Ed25519 signature over domain, node and the age file.
    pub signature: String,
    /// Hex Ed25519 public key that must verify it.
    pub verify_key: String,
}

/// What an envelope carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Content {
    /// Node name.
    pub node: String,
    /// Hex chunk key.
    pub chunk_key: Secret,
    /// Repository location when sealed.
    pub storage: String,
}

fn message(node: &str, age: &[u8]) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    m.extend_from_slice(node.as_bytes());
    m.push(0);
    m.extend_from_slice(age);
    m
}

/// Seals `content` to `recipients` and signs it; returns the envelope's JSON.
pub fn seal(content: &Content, recipients: &[Recipient], signing: &SigningKey) -> Result<String> {
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(content).map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?,
    );
    let file = age::encrypt(recipients, &plain)?;
    let sig = signing.sign(&message(&content.node, &file));
    let env = Envelope {
        banana_key_envelope: 1,
        node: content.node.clone(),
        age: hex::encode(&file),
        signature: hex::encode(sig.to_bytes()),
        verify_key: hex::encode(signing.verifying_key().to_bytes()),
    };
    serde_json::to_string(&env).map_err(|e| Error::new(ErrorKind::Other, e.to_string()))
}

pub use proto::status::parse_verify_key;

/// Opens an envelope: the signature must verify under one of `trusted`, then
/// the content is decrypted with `identities`.
pub fn open(json: &[u8], trusted: &[VerifyingKey], identities: &[Identity]) -> Result<Content> {
    let env: Envelope = serde_json::from_slice(json)
        .map_err(|e| Error::damaged(format!("key envelope does not parse: {e}")))?;
    let file = hex::decode(&env.age).map_err(|_| Error::damaged("key envelope: bad hex"))?;
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&env.signature, &mut sig)
        .map_err(|_| Error::damaged("key envelope: bad signature"))?;
    let sig = ed25519_dalek::Signature::from_bytes(&sig);
    let msg = message(&env.node, &file);
    if !trusted.iter().any(|k| k.verify(&msg, &sig).is_ok()) {
        return Err(Error::new(
            ErrorKind::Damaged,
            format!("key envelope for node '{}' is not signed by a trusted verify key", env.node),
        )
        .hint("use the verify key kept with the break-glass identity; an unsigned envelope may be forged"));
    }
    let total = file.len() as u64;
    let mut reader = age::reader(
        identities,
        std::io::Cursor::new(file),
        total,
        "key envelope",
    )?;
    let mut plain = zeroize::Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut plain)
        .map_err(|e| Error::damaged(format!("key envelope: {e}")))?;
    let content: Content = serde_json::from_slice(&plain)
        .map_err(|e| Error::damaged(format!("key envelope content: {e}")))?;
    if content.node != env.node {
        return Err(Error::damaged("key envelope: node name mismatch"));
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_envelope_round_trip_and_forgery() {
        let id = age::generate();
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let content = Content {
            node: "web".into(),
            chunk_key: Secret::new("ab".repeat(32)),
            storage: "/r".into(),
        };
        let json = seal(&content, &[id.to_public()], &signing).unwrap();
        let vk = signing.verifying_key();
        let back = open(json.as_bytes(), &[vk], std::slice::from_ref(&id)).unwrap();
        assert_eq!(back.chunk_key, content.chunk_key);
        // Storage forges an envelope to the same (public) recipient with its own key.
        let evil = SigningKey::generate(&mut rand::rngs::OsRng);
        let forged = seal(&content, &[id.to_public()], &evil).unwrap();
        assert!(open(forged.as_bytes(), &[vk], std::slice::from_ref(&id)).is_err());
    }
}
