//! An S3 location: `s3://HOST[:PORT]/BUCKET[/PREFIX][?region=R&path_style=BOOL&tls=BOOL]`.

use crate::backend::location::{authority, bad, below, endpoint, flag, prefix_of};
use crate::error::Result;

/// A prefix in an S3 bucket, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// Host name or address of the endpoint.
    pub host: String,
    /// Port, when not the scheme's default.
    pub port: Option<u16>,
    /// The bucket (the administrator's: never created by Banana).
    pub bucket: String,
    /// Key prefix without leading or trailing `/` (may be empty).
    pub prefix: String,
    /// Signing region.
    pub region: String,
    /// Path-style addressing (`host/bucket/key`), as most non-AWS servers need.
    pub path_style: bool,
    /// HTTPS (the default) or plain HTTP.
    pub tls: bool,
}

impl S3Location {
    /// The endpoint URL (scheme, host, port), for the client and messages.
    pub fn endpoint(&self) -> String {
        endpoint(self.tls, &self.host, self.port)
    }

    /// The key of `rel` (a path below the repository) in the bucket.
    pub fn key(&self, rel: &str) -> String {
        below(&self.prefix, rel)
    }
}

impl S3Location {
    /// Parses the part of `location` after `s3://`.
    pub(crate) fn parse(location: &str, rest: &str) -> Result<S3Location> {
        let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, port, path) = authority(location, main)?;
        let mut parts = path.splitn(2, '/');
        let bucket = parts.next().unwrap_or_default().to_owned();
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(bad(
                location,
                format!("'{bucket}' is not a bucket name (3 to 63 of a-z, 0-9, '-', '.')"),
            )
            .hint("write s3://HOST[:PORT]/BUCKET/PREFIX"));
        }
        let prefix = prefix_of(location, parts.next().unwrap_or_default())?;
        let mut s3 = S3Location {
            host,
            port,
            bucket,
            prefix,
            region: "us-east-1".to_owned(),
            path_style: false,
            tls: true,
        };
        options(location, query, &mut s3)?;
        Ok(s3)
    }
}

/// Applies the `?key=value&…` options of an S3 location.
fn options(location: &str, query: &str, s3: &mut S3Location) -> Result<()> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "region" if !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
                s3.region = v.to_owned()
            }
            "path_style" => s3.path_style = flag(location, k, v)?,
            "tls" => s3.tls = flag(location, k, v)?,
            "ca" => {
                return Err(bad(location, "ca=FILE is not supported yet: the S3 client trusts the system's certificate roots only")
                    .hint("use a certificate from a public CA, or plain http on a trusted network (tls=false)"))
            }
            _ => return Err(bad(location, format!("unknown option '{k}'"))
                .hint("options: region=NAME, path_style=true|false, tls=true|false")),
        }
    }
    Ok(())
}

impl std::fmt::Display for S3Location {
    /// The canonical text (`Location`'s).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self;
        write!(f, "s3://{}", s.host)?;
        if let Some(p) = s.port {
            write!(f, ":{p}")?;
        }
        write!(f, "/{}", s.bucket)?;
        if !s.prefix.is_empty() {
            write!(f, "/{}", s.prefix)?;
        }
        write!(
            f,
            "?region={}&path_style={}&tls={}",
            s.region, s.path_style, s.tls
        )
    }
}
