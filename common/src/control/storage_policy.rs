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
    let (bucket, objects, _) = scope(loc);
    let node_policy = append_only(loc, "BananaNode");
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

/// The copier's S3 policies (`bananadm storage policy NODE --copy-to
/// URL`): it lists and reads the node's prefix (object versions too, to
/// find an overwritten object's original), and creates, reads and lists
/// under the destination's prefix, where the bucket is versioned with
/// Object Lock as the node's is; it deletes nowhere.
#[derive(Debug, Clone)]
pub struct CopierPolicies {
    /// On the source (an S3 source only).
    pub source: Option<Value>,
    /// On the destination (an S3 destination only).
    pub destination: Option<Value>,
    /// The same as a SeaweedFS identity (keys left to fill in).
    pub seaweedfs: Value,
}

/// The copier's policies for `node`'s copy from `source` to `destination`
/// (either may be elsewhere than S3).
pub fn copier(
    node: &str,
    source: Option<&S3Location>,
    destination: Option<&S3Location>,
) -> CopierPolicies {
    let source = source.map(|loc| {
        let (bucket, objects, listed) = scope(loc);
        json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "BananaCopierReadsTheSource", "Effect": "Allow",
                 "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": [objects]},
                {"Sid": "BananaCopierListsTheSource", "Effect": "Allow",
                 "Action": ["s3:ListBucket", "s3:ListBucketVersions"], "Resource": [bucket],
                 "Condition": {"StringLike": {"s3:prefix": listed}}},
                {"Sid": "BananaCopierNeverWritesTheSource", "Effect": "Deny",
                 "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": [objects]},
                {"Sid": "BananaCopierNeverDeletes", "Effect": "Deny",
                 "Action": NODE_DENIED, "Resource": [bucket.clone(), format!("{bucket}/*")]},
            ]
        })
    });
    let destination = destination.map(|loc| append_only(loc, "BananaCopier"));
    let name = format!("banana-copier-{node}");
    let mut policies = Vec::new();
    for (which, p) in [("source", &source), ("destination", &destination)] {
        if let Some(p) = p {
            policies.push(json!({"name": format!("{name}-{which}"), "content": p.to_string()}));
        }
    }
    let names: Vec<Value> = policies.iter().map(|p| p["name"].clone()).collect();
    let seaweedfs = json!({
        "identities": [
            {"name": name, "credentials": [{"accessKey": "COPIER_ACCESS_KEY", "secretKey": "COPIER_SECRET_KEY"}],
             "policyNames": names},
        ],
        "policies": policies,
    });
    CopierPolicies {
        source,
        destination,
        seaweedfs,
    }
}

/// The bucket's ARN, its objects under the prefix, and the prefixes a
/// listing may ask for.
fn scope(loc: &S3Location) -> (String, String, Value) {
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
    (bucket, objects, listed)
}

/// Create, read and list under `loc`'s prefix; every delete denied (a
/// node's policy, and the copier's at its destination).
fn append_only(loc: &S3Location, sid: &str) -> Value {
    let (bucket, objects, listed) = scope(loc);
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": format!("{sid}WritesAndReadsItsPrefix"), "Effect": "Allow",
             "Action": ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
             "Resource": [objects]},
            {"Sid": format!("{sid}ListsItsPrefix"), "Effect": "Allow",
             "Action": ["s3:ListBucket"], "Resource": [bucket],
             "Condition": {"StringLike": {"s3:prefix": listed}}},
            {"Sid": format!("{sid}NeverDeletes"), "Effect": "Deny",
             "Action": NODE_DENIED, "Resource": [bucket.clone(), format!("{bucket}/*")]},
        ]
    })
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
