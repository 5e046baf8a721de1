//! The S3 policies of an append-only deployment (`docs/storage.md`):
//!
//! - a **node** may create, read and list objects under its own prefix (it
//!   reads its index and snapshots to deduplicate; packs stay unreadable to
//!   it without an identity) and abort its own multipart uploads, and is
//!   explicitly denied every delete and every change to retention, legal
//!   holds, Object Lock, lifecycle, bucket policy and versioning;
//! - the **reaper** (retention) may list objects, versions and multipart
//!   uploads, read, write (consolidated indexes), delete objects and
//!   versions, and abort uploads — and holds no key that decrypts anything.
//!
//! Overwrites cannot be refused by permission (S3 has no "create only"
//! action): the bucket is versioned with Object Lock, so an overwrite only
//! adds a version, and readers fall back to the original (`docs/storage.md`).
//!
//! Swift cannot express append-only at all (a user who may write may also
//! delete, overwrite and expire): [`swift_containers`] gives the container
//! ACLs that keep a node's data from other nodes and the `X-History-Location`
//! archive that keeps what is overwritten or deleted.

use crate::backend::{S3Location, SwiftLocation};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What `bananadm storage policy` prints.
#[derive(Debug, Clone)]
pub struct Policies {
    /// The node's IAM policy.
    pub node: Value,
    /// The reaper's IAM policy.
    pub reaper: Value,
    /// The same as a SeaweedFS `-s3.config` identities file (the access and
    /// secret keys left for the administrator to fill in).
    pub seaweedfs: Value,
}

/// Every action that deletes data or weakens what keeps it.
pub const NODE_DENIED: [&str; 11] = [
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:DeleteBucket",
];

/// The policies for `node` writing to `loc`.
pub fn policies(node: &str, loc: &S3Location) -> Policies {
    let bucket = format!("arn:aws:s3:::{}", loc.bucket);
    let objects = if loc.prefix.is_empty() {
        format!("{bucket}/*")
    } else {
        format!("{bucket}/{}/*", loc.prefix)
    };
    let listed = if loc.prefix.is_empty() {
        json!(["*"])
    } else {
        json!([loc.prefix, format!("{}/*", loc.prefix)])
    };
    let node_policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "BananaNodeWritesAndReadsItsPrefix", "Effect": "Allow",
             "Action": ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
             "Resource": [objects]},
            {"Sid": "BananaNodeListsItsPrefix", "Effect": "Allow",
             "Action": ["s3:ListBucket"], "Resource": [bucket],
             "Condition": {"StringLike": {"s3:prefix": listed}}},
            {"Sid": "BananaNodeNeverDeletes", "Effect": "Deny",
             "Action": NODE_DENIED, "Resource": [bucket, format!("{bucket}/*")]},
        ]
    });
    let reaper_policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "BananaReaperLists", "Effect": "Allow",
             "Action": ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"],
             "Resource": [bucket]},
            {"Sid": "BananaReaperPrunes", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject",
                        "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload",
                        "s3:GetObjectRetention"],
             "Resource": [objects]},
        ]
    });
    let id = |who: &str| format!("banana-{who}-{node}");
    let seaweedfs = json!({
        "identities": [
            {"name": id("node"), "credentials": [{"accessKey": "NODE_ACCESS_KEY", "secretKey": "NODE_SECRET_KEY"}],
             "policyNames": [id("node")]},
            {"name": id("reaper"), "credentials": [{"accessKey": "REAPER_ACCESS_KEY", "secretKey": "REAPER_SECRET_KEY"}],
             "policyNames": [id("reaper")]},
        ],
        "policies": [
            {"name": id("node"), "content": node_policy.to_string()},
            {"name": id("reaper"), "content": reaper_policy.to_string()},
        ]
    });
    Policies {
        node: node_policy,
        reaper: reaper_policy,
        seaweedfs,
    }
}

/// A Swift container and the headers its owner sets on it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SwiftContainer {
    /// Container name.
    pub name: String,
    /// `X-Container-Read`, `X-Container-Write`, `X-History-Location`.
    pub headers: BTreeMap<String, String>,
}

/// The containers of a node on Swift, in the order to create them: the
/// archive (read and written by the reaper only), then the node's container
/// (read and written by the node and the reaper, its history kept in the
/// archive). Users as the ACLs name them: `ACCOUNT:USER` with tempauth,
/// `PROJECT_ID:USER_ID` with Keystone.
pub fn swift_containers(
    loc: &SwiftLocation,
    node_user: &str,
    reaper_user: &str,
) -> Vec<SwiftContainer> {
    let archive = format!("{}-archive", loc.container);
    let both = format!("{node_user},{reaper_user}");
    let h = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    vec![
        SwiftContainer {
            name: archive.clone(),
            headers: h(&[
                ("X-Container-Read", reaper_user),
                ("X-Container-Write", reaper_user),
            ]),
        },
        SwiftContainer {
            name: loc.container.clone(),
            headers: h(&[
                ("X-Container-Read", &both),
                ("X-Container-Write", &both),
                ("X-History-Location", &archive),
            ]),
        },
    ]
}
