//! Signing and verifying envelopes: the domain-separated Ed25519 signature
//! covers node, timestamp, nonce and body hash; the collector checks it with
//! `verify_strict` and a ±5 minute window.

use super::{Envelope, Event, MAX_ERROR, WINDOW_SECS};
use ed25519_dalek::{Signature, VerifyingKey};

const DOMAIN: &[u8] = b"banana status v1\0";

pub(super) fn signed_bytes(node: &str, ts: i64, nonce: &str, body_hash: &str) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    for part in [
        node.as_bytes(),
        ts.to_string().as_bytes(),
        nonce.as_bytes(),
        body_hash.as_bytes(),
    ] {
        m.extend_from_slice(part);
        m.push(0);
    }
    m
}

/// Why the collector refuses an envelope (each maps to one HTTP status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Not an envelope, or not a valid event (400).
    Malformed(String),
    /// Signature does not verify under the named node's key (401).
    BadSignature,
    /// Timestamp outside the window (401).
    Expired,
}

impl Rejection {
    /// The HTTP status for it.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Malformed(_) => 400,
            Rejection::BadSignature | Rejection::Expired => 401,
        }
    }
}

/// Verifies an envelope signed by `key` (the key enrolled for `env.node`) at
/// collector time `now`, and returns its event. Replay of a nonce is the
/// store's to detect (it remembers nonces for the window).
pub fn verify(
    env: &Envelope,
    key: &VerifyingKey,
    now: i64,
) -> std::result::Result<Event, Rejection> {
    if env.v != 1 {
        return Err(Rejection::Malformed(format!(
            "unknown envelope version {}",
            env.v
        )));
    }
    if env.nonce.len() != 32 || !env.nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Rejection::Malformed("nonce must be 32 hex digits".into()));
    }
    if now.abs_diff(env.timestamp) > WINDOW_SECS as u64 {
        return Err(Rejection::Expired);
    }
    if blake3::hash(env.body.as_bytes()).to_hex().as_str() != env.body_hash {
        return Err(Rejection::BadSignature);
    }
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&env.signature, &mut sig).map_err(|_| Rejection::BadSignature)?;
    key.verify_strict(
        &signed_bytes(&env.node, env.timestamp, &env.nonce, &env.body_hash),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| Rejection::BadSignature)?;
    let event: Event =
        serde_json::from_str(&env.body).map_err(|e| Rejection::Malformed(format!("event: {e}")))?;
    if event
        .error
        .as_ref()
        .is_some_and(|e| e.chars().count() > MAX_ERROR || e.contains('\n'))
    {
        return Err(Rejection::Malformed("error must be one line".into()));
    }
    Ok(event)
}
