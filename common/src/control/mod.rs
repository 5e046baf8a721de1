//! The control plane's texts: what `bananadm` writes into Vault and prints
//! for the storage's administrator. Nothing here runs on a node; the agent
//! never needs it, and the tower cannot reach it (it links `proto` only).
//!
//! - [`storage_policy`]: the S3 IAM policies (node, reaper), SeaweedFS
//!   identities and Swift container ACLs of an append-only deployment;
//! - [`vault_policy`]: the Vault policies of nodes, restore grants and the
//!   admin.

pub mod storage_policy;
pub mod vault_policy;
