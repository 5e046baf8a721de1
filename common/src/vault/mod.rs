//! Vault: the layout Banana keeps there (`docs/vault.md`), and the only
//! module that knows Vault's HTTP paths ([`paths`]; the policies are
//! `crate::control::vault_policy`).
//! The client ([`Vault`]) and a node's per-run [`Session`] need the `vault`
//! feature; the types and paths do not.
//!
//! A node logs in with AppRole, reads what one run needs, and revokes its token
//! when the run ends ([`Session`]). Secrets are held in [`Secret`] and never
//! appear in error messages: errors name the Vault path and the status.

#[cfg(feature = "vault")]
mod client;
pub mod paths;
#[cfg(feature = "vault")]
mod session;

#[cfg(feature = "vault")]
pub use client::Vault;
#[cfg(feature = "vault")]
pub use session::{read_with_grant, Session};

pub use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// Default KV v2 mount.
pub const DEFAULT_MOUNT: &str = "banana";
/// Default AppRole auth mount.
pub const DEFAULT_APPROLE: &str = "banana-approle";

/// Where Vault is and how Banana is laid out in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    /// Vault's address, e.g. `https://vault.example:8200`.
    pub addr: String,
    /// PEM file of the CA that signed Vault's certificate (pinned; no system roots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// KV v2 mount.
    pub mount: String,
    /// AppRole auth mount.
    pub approle: String,
    /// Plain `http://` to a host other than loopback was allowed explicitly
    /// (`--insecure-http`); otherwise it is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_http: bool,
}

impl Location {
    /// A location with the default mounts.
    pub fn new(addr: &str) -> Location {
        Location {
            addr: addr.trim_end_matches('/').to_owned(),
            ca_file: None,
            mount: DEFAULT_MOUNT.into(),
            approle: DEFAULT_APPROLE.into(),
            insecure_http: false,
        }
    }
}

/// What a node stores at enrolment (file mode 0600): enough to log in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeCredentials {
    /// Format version, 1.
    pub banana_vault_credentials: u32,
    /// Vault and mounts.
    pub vault: Location,
    /// The node's name.
    pub node: String,
    /// AppRole role id.
    pub role_id: String,
    /// AppRole secret id.
    pub secret_id: Secret,
}

/// `nodes/N/agent`: what a backup run needs. Readable by the node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentSecret {
    /// Node name.
    pub node: String,
    /// The node's current data recipient(s); break-glass recipients are added from `fleet/recipients`.
    pub recipients: Vec<String>,
    /// Hex chunk key.
    pub chunk_key: Secret,
    /// Repository location.
    pub storage: String,
    /// The node's storage credential (S3), for `s3://` locations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_credentials: Option<StorageCredentials>,
    /// Signed break-glass key envelopes to store in the repository (see `docs/vault.md`).
    #[serde(default)]
    pub envelopes: Vec<String>,
    /// The watch tower's URL, where the node sends its status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<String>,
    /// Credentials of the node's jobs (a database's client defaults file,
    /// a password, a plugin's secret), by job name: `bananadm node secret`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub job_secrets: std::collections::BTreeMap<String, Secret>,
}

/// `nodes/N/restore`: what a restore needs. Readable only with a restore grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestoreSecret {
    /// Node name.
    pub node: String,
    /// Every identity the node's data was ever encrypted to, oldest first.
    pub identities: Vec<Secret>,
    /// Hex chunk key.
    pub chunk_key: Secret,
    /// Repository location.
    pub storage: String,
    /// A storage credential that can read the repository (S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_credentials: Option<StorageCredentials>,
}

pub use crate::backend::credentials::StorageCredentials;

impl RestoreSecret {
    /// The full key it holds: the chunk key, and the identities with the
    /// recipients they make (in memory only: never written anywhere).
    pub fn key_file(&self) -> crate::Result<crate::crypto::KeyFile> {
        use crate::crypto::age;
        let identities: Vec<String> = self
            .identities
            .iter()
            .map(|i| i.expose().to_owned())
            .collect();
        let recipients = identities
            .iter()
            .filter_map(|i| age::parse_identity(i).ok())
            .map(|i| age::recipient_of(&i))
            .collect();
        crate::crypto::KeyFile::from_parts(self.chunk_key.expose(), recipients, identities)
    }
}

/// `nodes/N/reaper`: what the reaper needs to prune N's repository, and
/// no more (`bananadm node reaper`). Readable with the banana-reaper policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReaperSecret {
    /// Node name.
    pub node: String,
    /// Hex metadata key (derived from the chunk key; opens metadata only).
    pub metadata_key: Secret,
    /// Repository location.
    pub storage: String,
    /// A storage credential that may list, read and delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_credentials: Option<StorageCredentials>,
    /// The node's second copy, pruned by its own policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<ReaperCopy>,
}

/// `nodes/N/retention`: node N's retention policy (`bananadm node retention`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RetentionSecret {
    /// For jobs without their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<crate::ops::prune::Policy>,
    /// Per job.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub jobs: std::collections::BTreeMap<String, crate::ops::prune::Policy>,
    /// The policy of the node's second copy (`bananadm node retention N
    /// --copy`); without one the copy keeps everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<Box<RetentionSecret>>,
}

/// `nodes/N/copy`: what the copier needs to copy N's repository, and no
/// more (`bananadm node copy`). Readable with the banana-copier policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CopySecret {
    /// Node name.
    pub node: String,
    /// Hex metadata key (derived from the chunk key; opens metadata only):
    /// it authenticates the config and reads the forget records that tell
    /// retention from loss.
    pub metadata_key: Secret,
    /// The repository's location.
    pub source: String,
    /// A storage credential that may list and read the source (and
    /// nothing else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_credentials: Option<StorageCredentials>,
    /// The second location.
    pub destination: String,
    /// A storage credential that may list, read and create objects at the
    /// destination (never overwrite or delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_credentials: Option<StorageCredentials>,
}

/// The reaper's way to node N's second copy (`bananadm node reaper N
/// --copy`): where it is, and a credential that may delete there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReaperCopy {
    /// The copy's location.
    pub storage: String,
    /// A storage credential that may list, read and delete there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_credentials: Option<StorageCredentials>,
}

/// `fleet/recipients`: break-glass recipients every node also encrypts to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetRecipients {
    /// age recipients.
    pub recipients: Vec<String>,
    /// Hex Ed25519 public keys that verify key envelopes (kept offline with the identity too).
    #[serde(default)]
    pub verify_keys: Vec<String>,
}
