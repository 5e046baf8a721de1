//! The Vault policies Banana writes, as text (shown in full in `docs/vault.md`).

use crate::vault::{paths, Location};

/// What node N's AppRole tokens may do: read its agent secret and the fleet's
/// break-glass recipients, look itself up and revoke itself. Nothing else (no
/// default policy).
pub fn node(loc: &Location, node: &str) -> String {
    let m = &loc.mount;
    format!(
        r#"# Banana node {node}: one run's worth of access.
path "{m}/data/{agent}" {{
  capabilities = ["read"]
}}
path "{m}/data/{fleet}" {{
  capabilities = ["read"]
}}
path "auth/token/lookup-self" {{
  capabilities = ["read"]
}}
path "auth/token/revoke-self" {{
  capabilities = ["update"]
}}
"#,
        agent = paths::agent(node),
        fleet = paths::FLEET_RECIPIENTS,
    )
}

/// What a restore grant for N may do: read N's restore secret, once per use.
pub fn restore(loc: &Location, node: &str) -> String {
    let m = &loc.mount;
    format!(
        r#"# Banana restore grant for node {node}.
path "{m}/data/{restore}" {{
  capabilities = ["read"]
}}
path "auth/token/revoke-self" {{
  capabilities = ["update"]
}}
"#,
        restore = paths::restore(node),
    )
}

/// What the reaper's tokens may do: read every node's reaper secret (a
/// metadata key and a storage credential) and retention policy, list the
/// nodes, and ask what it may do. Never an agent secret (the chunk key) or a
/// restore secret (identities): it cannot read a byte of a backup.
pub fn reaper(loc: &Location) -> String {
    let m = &loc.mount;
    format!(
        r#"# Banana reaper: retention without decryption.
path "{m}/data/nodes/+/reaper" {{
  capabilities = ["read"]
}}
path "{m}/data/nodes/+/retention" {{
  capabilities = ["read"]
}}
path "{m}/metadata/nodes" {{
  capabilities = ["list"]
}}
path "sys/capabilities-self" {{
  capabilities = ["update"]
}}
path "auth/token/lookup-self" {{
  capabilities = ["read"]
}}
"#
    )
}

/// The drill host's policy (`bananadm drill`): restore grants, one per
/// node and drill, revoked after it; it reads no secret itself and writes
/// nothing. (A grant reads a node's identities: the drill host is an
/// admin-side machine, as trusted as the hands that hold restore grants.)
pub fn drill(loc: &Location) -> String {
    let m = &loc.mount;
    format!(
        r#"# Banana drill host: restore grants for drills, revoked afterwards.
path "auth/token/create/banana-restore-*" {{
  capabilities = ["update"]
}}
path "auth/token/revoke-accessor" {{
  capabilities = ["update"]
}}
path "{m}/metadata/nodes" {{
  capabilities = ["list"]
}}
path "auth/token/lookup-self" {{
  capabilities = ["read"]
}}
"#
    )
}

/// The copier's policy (`bananadm copy`): read every node's copy secret
/// (two storage credentials and the metadata key) and list the nodes.
/// Never an agent secret, a restore secret or a reaper secret: it cannot
/// read a byte of a backup, and no credential it reads may delete.
pub fn copier(loc: &Location) -> String {
    let m = &loc.mount;
    format!(
        r#"# Banana copier: second copies, verified without decryption.
path "{m}/data/nodes/+/copy" {{
  capabilities = ["read"]
}}
path "{m}/metadata/nodes" {{
  capabilities = ["list"]
}}
path "sys/capabilities-self" {{
  capabilities = ["update"]
}}
path "auth/token/lookup-self" {{
  capabilities = ["read"]
}}
"#
    )
}

/// The minimal policy an operator's bananadm token needs (instead of root).
pub fn admin(loc: &Location) -> String {
    let (m, a) = (&loc.mount, &loc.approle);
    format!(
        r#"# bananadm: everything Banana's admin CLI does, and no more.
path "sys/mounts" {{
  capabilities = ["read"]
}}
path "sys/mounts/{m}" {{
  capabilities = ["create", "read", "update"]
}}
path "sys/auth" {{
  capabilities = ["read"]
}}
path "sys/auth/{a}" {{
  capabilities = ["create", "read", "update", "sudo"]
}}
path "sys/policies/acl/banana-*" {{
  capabilities = ["create", "read", "update", "delete", "list"]
}}
path "{m}/data/*" {{
  capabilities = ["create", "read", "update", "delete"]
}}
path "{m}/metadata/*" {{
  capabilities = ["read", "list", "delete"]
}}
path "auth/{a}/role" {{
  capabilities = ["list"]
}}
path "auth/{a}/role/*" {{
  capabilities = ["create", "read", "update", "delete", "list"]
}}
path "auth/token/roles/banana-restore-*" {{
  capabilities = ["create", "read", "update", "delete"]
}}
path "auth/token/create/banana-restore-*" {{
  capabilities = ["create", "update"]
}}
path "auth/token/roles/banana-reaper" {{
  capabilities = ["create", "read", "update"]
}}
path "auth/token/create/banana-reaper" {{
  capabilities = ["create", "update"]
}}
path "auth/token/roles/banana-drill" {{
  capabilities = ["create", "read", "update"]
}}
path "auth/token/create/banana-drill" {{
  capabilities = ["create", "update"]
}}
path "auth/token/roles/banana-copier" {{
  capabilities = ["create", "read", "update"]
}}
path "auth/token/create/banana-copier" {{
  capabilities = ["create", "update"]
}}
path "auth/token/revoke-accessor" {{
  capabilities = ["update"]
}}
path "auth/token/lookup-self" {{
  capabilities = ["read"]
}}
"#
    )
}
