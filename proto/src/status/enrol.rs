//! Enrolment at the tower: the node presents a single-use code once with its
//! public key and proves it holds the private key by signing the request.

use super::{Rejection, WINDOW_SECS};
use crate::error::{Error, ErrorKind, Result};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};

const ENROL_DOMAIN: &[u8] = b"banana enrol v1\0";

/// A node's request to enrol its status key at the collector: it presents the
/// single-use code once, and proves it holds the private key by signing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// Format version, 1.
    pub v: u32,
    /// Node name.
    pub node: String,
    /// The node's Ed25519 public key, hex.
    pub public_key: String,
    /// The single-use enrolment code (`bananaui node add`).
    pub code: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// Ed25519 over domain, node, public key, timestamp and the code's hash, hex.
    pub signature: String,
}

/// The hash a collector keeps of an enrolment code (never the code).
pub fn code_hash(code: &str) -> String {
    blake3::hash(code.trim().as_bytes()).to_hex().to_string()
}

pub(super) fn enrol_bytes(node: &str, public_key: &str, ts: i64, code_hash: &str) -> Vec<u8> {
    let mut m = ENROL_DOMAIN.to_vec();
    for part in [
        node.as_bytes(),
        public_key.as_bytes(),
        ts.to_string().as_bytes(),
        code_hash.as_bytes(),
    ] {
        m.extend_from_slice(part);
        m.push(0);
    }
    m
}

/// Checks an enrolment request's proof of possession and window; returns the key.
/// Whether the code is right is the collector's to check (against its hash).
pub fn verify_enrol(req: &EnrolRequest, now: i64) -> std::result::Result<VerifyingKey, Rejection> {
    if req.v != 1 {
        return Err(Rejection::Malformed(format!(
            "unknown enrolment version {}",
            req.v
        )));
    }
    let key = parse_public(&req.public_key)
        .map_err(|_| Rejection::Malformed("public_key must be 64 hex digits".into()))?;
    if now.abs_diff(req.timestamp) > WINDOW_SECS as u64 {
        return Err(Rejection::Expired);
    }
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&req.signature, &mut sig).map_err(|_| Rejection::BadSignature)?;
    if key.is_weak() {
        return Err(Rejection::Malformed(
            "public_key is a weak (small-order) key".into(),
        ));
    }
    key.verify_strict(
        &enrol_bytes(
            &req.node,
            &req.public_key,
            req.timestamp,
            &code_hash(&req.code),
        ),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| Rejection::BadSignature)?;
    Ok(key)
}

/// Parses a hex Ed25519 public key, as stored at enrolment.
pub fn parse_public(hexkey: &str) -> Result<VerifyingKey> {
    parse_verify_key(hexkey)
}

/// An Ed25519 verify key from 64 hex digits (surrounding blanks ignored).
pub fn parse_verify_key(s: &str) -> Result<VerifyingKey> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut b)
        .ok()
        .and_then(|_| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::BadInput,
                format!(
                    "'{}' is not an Ed25519 verify key (64 hex digits)",
                    s.trim()
                ),
            )
        })
}
