//! Every Vault path Banana uses, in one place: KV paths relative to the
//! mount, the HTTP API paths built from a [`Location`], and the names of
//! Banana's policies and token roles. Nothing else composes a Vault path.

use super::Location;

/// The node's agent secret (KV, relative to the mount).
pub fn agent(node: &str) -> String {
    format!("nodes/{node}/agent")
}
/// The node's restore secret (KV, relative to the mount).
pub fn restore(node: &str) -> String {
    format!("nodes/{node}/restore")
}
/// What the reaper needs for node N: its metadata key and a storage
/// credential that may delete (KV, relative to the mount).
pub fn reaper(node: &str) -> String {
    format!("nodes/{node}/reaper")
}
/// What the copier needs for node N: the source and the destination, a
/// read-only credential of the one and an append-only credential of the
/// other, and the metadata key (KV, relative to the mount).
pub fn copy(node: &str) -> String {
    format!("nodes/{node}/copy")
}
/// Node N's retention policy (KV, relative to the mount).
pub fn retention(node: &str) -> String {
    format!("nodes/{node}/retention")
}
/// Where the nodes' secrets are listed (KV, relative to the mount).
pub const NODES: &str = "nodes";
/// Break-glass recipients (KV, relative to the mount).
pub const FLEET_RECIPIENTS: &str = "fleet/recipients";
/// The fleet's envelope signing key, admin only (KV, relative to the mount).
pub const FLEET_SIGNING: &str = "fleet/signing";

/// Policy of node N's AppRole tokens.
pub fn node_policy(node: &str) -> String {
    format!("banana-node-{node}")
}
/// Policy of N's restore grants.
pub fn restore_policy(node: &str) -> String {
    format!("banana-restore-{node}")
}
/// Token role that mints N's restore grants.
pub fn restore_role(node: &str) -> String {
    format!("banana-restore-{node}")
}
/// The admin policy's name.
pub const ADMIN_POLICY: &str = "banana-admin";
/// The reaper's policy, and the token role that mints its tokens.
pub const REAPER_POLICY: &str = "banana-reaper";
/// The drill host's policy, and the token role that mints its tokens.
pub const DRILL_POLICY: &str = "banana-drill";
/// The copier's policy, and the token role that mints its tokens.
pub const COPIER_POLICY: &str = "banana-copier";
/// What the current token may do on some paths.
pub const CAPABILITIES_SELF: &str = "sys/capabilities-self";

/// `MOUNT/data/REL`: a KV v2 secret.
pub fn kv_data(loc: &Location, rel: &str) -> String {
    format!("{}/data/{rel}", loc.mount)
}
/// `MOUNT/metadata/REL`: a KV v2 secret's metadata (list, destroy).
pub fn kv_metadata(loc: &Location, rel: &str) -> String {
    format!("{}/metadata/{rel}", loc.mount)
}
/// The AppRole role of `node`.
pub fn approle_role(loc: &Location, node: &str) -> String {
    format!("auth/{}/role/{node}", loc.approle)
}
/// Every AppRole role (LIST).
pub fn approle_roles(loc: &Location) -> String {
    format!("auth/{}/role", loc.approle)
}
/// The role id of `node`'s role.
pub fn approle_role_id(loc: &Location, node: &str) -> String {
    format!("{}/role-id", approle_role(loc, node))
}
/// Issues a secret id for `node`'s role.
pub fn approle_secret_id(loc: &Location, node: &str) -> String {
    format!("{}/secret-id", approle_role(loc, node))
}
/// AppRole login.
pub fn approle_login(loc: &Location) -> String {
    format!("auth/{}/login", loc.approle)
}
/// An ACL policy.
pub fn acl_policy(name: &str) -> String {
    format!("sys/policies/acl/{name}")
}
/// A token role.
pub fn token_role(name: &str) -> String {
    format!("auth/token/roles/{name}")
}
/// Creates a token under a token role.
pub fn token_create(role: &str) -> String {
    format!("auth/token/create/{role}")
}
/// Secrets engines.
pub const MOUNTS: &str = "sys/mounts";
/// One secrets engine.
pub fn mount(loc: &Location) -> String {
    format!("sys/mounts/{}", loc.mount)
}
/// Auth methods.
pub const AUTHS: &str = "sys/auth";
/// Banana's AppRole auth method.
pub fn auth(loc: &Location) -> String {
    format!("sys/auth/{}", loc.approle)
}
/// Unwraps a response-wrapped token.
pub const UNWRAP: &str = "sys/wrapping/unwrap";
/// Looks a wrapping token up without unwrapping it.
pub const WRAP_LOOKUP: &str = "sys/wrapping/lookup";
/// The current token's description.
pub const LOOKUP_SELF: &str = "auth/token/lookup-self";
/// Revokes the current token.
pub const REVOKE_SELF: &str = "auth/token/revoke-self";
