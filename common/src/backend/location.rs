//! Repository locations as URLs: a directory (`/path`, `file:///path`),
//! `s3://HOST[:PORT]/BUCKET[/PREFIX][?region=R&path_style=BOOL&tls=BOOL]` or
//! `swift://AUTH_HOST[:PORT]/CONTAINER[/PREFIX][?auth=v1|v3&tls=BOOL&region=R]`.
//!
//! A location never carries a secret: user information in the URL is refused,
//! so a location can be printed, logged and reported as it is. Its canonical
//! text ([`Location`]'s `Display`) is what node state and messages use.

use crate::error::{Error, ErrorKind, Result};
use std::path::PathBuf;

pub use super::s3::S3Location;
pub use super::swift::{SwiftAuth, SwiftLocation};

/// Where a repository lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory (local disk, NFS or Samba mount).
    Local(PathBuf),
    /// A prefix in an S3 bucket.
    S3(S3Location),
    /// A prefix in a Swift container.
    Swift(SwiftLocation),
}

/// `scheme://host[:port]`.
pub(super) fn endpoint(tls: bool, host: &str, port: Option<u16>) -> String {
    let scheme = if tls { "https" } else { "http" };
    match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    }
}

/// Whether `host` (a name or an address, IPv6 in brackets or not) is
/// loopback: 127.0.0.0/8, ::1 or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    match ip.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// `rel` below `prefix` (which may be empty).
pub(super) fn below(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_owned()
    } else {
        format!("{prefix}/{rel}")
    }
}

pub(super) fn bad(location: &str, what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::BadInput,
        format!("repository location '{}': {what}", shown(location)),
    )
}

/// `location` safe to print even when it is wrong: user information and
/// option values (where a secret might have been pasted) are left out.
fn shown(location: &str) -> String {
    let (main, query) = location.split_once('?').unwrap_or((location, ""));
    let main = match main.split_once("://") {
        Some((scheme, rest)) => {
            let (auth, path) = rest.split_once('/').unwrap_or((rest, ""));
            let auth = auth.rsplit_once('@').map_or(auth, |(_, host)| host);
            let at = if rest.contains('@') { "…@" } else { "" };
            format!(
                "{scheme}://{at}{auth}{}{path}",
                if path.is_empty() && !rest.contains('/') {
                    ""
                } else {
                    "/"
                }
            )
        }
        None => main.to_owned(),
    };
    if query.is_empty() {
        return main;
    }
    let keys: Vec<&str> = query
        .split('&')
        .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
        .collect();
    format!("{main}?{}", keys.join("&"))
}

pub(super) fn flag(location: &str, key: &str, v: &str) -> Result<bool> {
    match v {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(bad(location, format!("{key}={v} is not true or false"))),
    }
}

impl Location {
    /// The host of a remote location reached without TLS (`tls=false`)
    /// that is not loopback (127.0.0.0/8, ::1, `localhost`), if it is one.
    pub fn plain_off_loopback(&self) -> Option<&str> {
        let (tls, host) = match self {
            Location::Local(_) => return None,
            Location::S3(s) => (s.tls, s.host.as_str()),
            Location::Swift(s) => (s.tls, s.host.as_str()),
        };
        (!tls && !is_loopback_host(host)).then_some(host)
    }

    /// Parses a location given on the command line, in a config file or by
    /// Vault. A relative directory is made absolute (the node's state names
    /// one place whatever the working directory).
    pub fn parse(location: &str) -> Result<Location> {
        if location.is_empty() {
            return Err(
                Error::new(ErrorKind::BadInput, "no repository location").hint(
                    "pass --repo, or set the node's storage with 'bananadm node add --storage'",
                ),
            );
        }
        if let Some(rest) = location.strip_prefix("s3://") {
            return S3Location::parse(location, rest).map(Location::S3);
        }
        if let Some(rest) = location.strip_prefix("swift://") {
            return SwiftLocation::parse(location, rest).map(Location::Swift);
        }
        let path = location.strip_prefix("file://").unwrap_or(location);
        if let Some(scheme) = scheme_like(path) {
            let known = ["s3", "swift", "file"];
            let hint = if known.contains(&scheme.to_ascii_lowercase().as_str()) {
                format!(
                    "write it as {}://… (lower case, two slashes), or ./{path} for a directory of that name",
                    scheme.to_ascii_lowercase()
                )
            } else {
                format!("the known schemes are s3://, swift:// and file://; a directory path needs none (./{path} for one of that name)")
            };
            return Err(bad(location, format!("scheme '{scheme}' is not supported")).hint(hint));
        }
        if path.is_empty() {
            return Err(bad(location, "no path"));
        }
        let path = std::path::Path::new(path);
        let path = if path.is_absolute() {
            path.to_owned()
        } else {
            std::env::current_dir()
                .map_err(|e| Error::io("current directory", e))?
                .join(path)
        };
        Ok(Location::Local(path))
    }
}

/// `HOST[:PORT]` and the path after it; user information is refused.
pub(super) fn authority(location: &str, main: &str) -> Result<(String, Option<u16>, String)> {
    let (auth, path) = main.split_once('/').unwrap_or((main, ""));
    if auth.contains('@') {
        return Err(bad(location, "a location never carries credentials")
            .hint("give them with 'bananadm node add --storage-credentials', the environment, or storage_credentials in the config"));
    }
    let (host, port) = match auth.rsplit_once(':') {
        Some((h, p)) => {
            let port = p
                .parse::<u16>()
                .map_err(|_| bad(location, format!("port '{p}' is not a number")))?;
            (h.to_owned(), Some(port))
        }
        None => (auth.to_owned(), None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b));
    if !host_ok {
        return Err(bad(
            location,
            format!("host '{host}' is not a host name or address"),
        ));
    }
    Ok((host, port, path.to_owned()))
}

/// A prefix of plain path components, without leading or trailing `/`:
/// `A-Z a-z 0-9 . _ - /` only, so that a policy printed for it (S3 IAM
/// resources, Swift ACLs) covers that prefix and nothing else (`*`, `$`,
/// `{`, `}` would be wildcards or variables there).
pub(super) fn prefix_of(location: &str, rest: &str) -> Result<String> {
    let prefix = rest.trim_matches('/').to_owned();
    let ok = prefix.split('/').all(|c| !matches!(c, "." | ".."))
        && !prefix.contains("//")
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
    if ok {
        Ok(prefix)
    } else {
        Err(bad(
            location,
            format!(
                "prefix '{}' must be plain path components of A-Z, a-z, 0-9, '.', '_' and '-'",
                crate::humanize::printable(&prefix)
            ),
        ))
    }
}

impl std::fmt::Display for Location {
    /// The canonical text: what node state records and messages show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::S3(s) => s.fmt(f),
            Location::Swift(s) => s.fmt(f),
        }
    }
}

/// The scheme of a location that looks like a URL but is none of the
/// known forms (`S3://…`, `s3:/x`, `sftp://…`, `swift:bucket`): a
/// letter-led word before ':' followed by '/', or a known scheme's name in
/// any case. A directory path never starts so (write `./s3:x` for one).
fn scheme_like(path: &str) -> Option<&str> {
    let (word, rest) = path.split_once(':')?;
    let wordy = word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let known = ["s3", "swift", "file"].contains(&word.to_ascii_lowercase().as_str());
    (wordy && (rest.starts_with('/') || known)).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(text: &str) -> S3Location {
        match Location::parse(text).unwrap() {
            Location::S3(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scheme_like_locations_are_errors_naming_the_known_schemes() {
        for (text, fix) in [
            ("s3:/bucket/x", "s3://"),
            ("swift:/x", "swift://"),
            ("S3://host/bucket", "s3://"),
            ("Swift://host/c", "swift://"),
            ("swift:container", "swift://"),
            ("sftp://host/x", "s3://, swift:// and file://"),
            ("rest:/x", "s3://, swift:// and file://"),
        ] {
            let err = Location::parse(text).unwrap_err();
            let msg = format!("{err:#}");
            assert_eq!(err.kind(), ErrorKind::BadInput, "{text}");
            assert!(
                msg.contains("is not supported") && msg.contains(fix),
                "{text}: {msg}"
            );
        }
        // Directory paths, also with colons, stay directories.
        for text in [
            "/srv/s3:/x",
            "backups/a:b",
            "./s3:x",
            "host:2024",
            "file:///srv/r",
        ] {
            assert!(
                matches!(Location::parse(text), Ok(Location::Local(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn s3_urls_parse_to_a_canonical_form_that_parses_back() {
        let s = s3("s3://127.0.0.1:8333/banana/fleet/web-01/?path_style=true&tls=false");
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.bucket.as_str(),
                s.prefix.as_str()
            ),
            ("127.0.0.1", Some(8333), "banana", "fleet/web-01")
        );
        assert!(s.path_style && !s.tls);
        assert_eq!(s.endpoint(), "http://127.0.0.1:8333");
        assert_eq!(s.key("data/ab/x"), "fleet/web-01/data/ab/x");
        let text = Location::S3(s.clone()).to_string();
        assert_eq!(
            text,
            "s3://127.0.0.1:8333/banana/fleet/web-01?region=us-east-1&path_style=true&tls=false"
        );
        assert_eq!(s3(&text), s);
        let aws = s3("s3://s3.eu-west-1.amazonaws.com/backups?region=eu-west-1");
        assert!(aws.tls && !aws.path_style && aws.prefix.is_empty());
        assert_eq!(aws.key("config"), "config");
    }

    #[test]
    fn secrets_unknown_options_and_bad_names_are_refused_by_name() {
        for (text, says) in [
            ("s3://AKIA:secret@host/bucket", "never carries credentials"),
            ("s3://host/bucket?key=secret", "unknown option 'key'"),
            ("s3://host/Bucket_1", "not a bucket name"),
            ("s3://host", "not a bucket name"),
            ("s3://host:99999/bucket", "port '99999'"),
            ("s3://host/bucket/../other", "plain path components"),
            // Wildcards and variables of the policies printed for a prefix.
            ("s3://host/backups/fleet/web*", "plain path components"),
            ("s3://host/backups/${aws:username}", "plain path components"),
            ("swift://host/c/fleet/db$1", "plain path components"),
            ("swift://host/c/fleet/{x}", "plain path components"),
            ("s3://host/bucket?tls=maybe", "tls=maybe"),
            ("gs://host/c", "scheme 'gs'"),
            ("swift://user:key@host/c", "never carries credentials"),
            ("swift://host/c?auth=v2", "auth=v2"),
            ("swift://host/a%2fb", "not a container name"),
            ("", "no repository location"),
        ] {
            let e = Location::parse(text).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadInput);
            assert!(e.to_string().contains(says), "{text}: {e}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }

    #[test]
    fn swift_urls_parse_to_a_canonical_form_that_parses_back() {
        let Location::Swift(s) =
            Location::parse("swift://127.0.0.1:8080/backups/fleet/db-01?auth=v1&tls=false")
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (s.container.as_str(), s.prefix.as_str(), s.auth, s.tls),
            ("backups", "fleet/db-01", SwiftAuth::V1, false)
        );
        assert_eq!(s.endpoint(), "http://127.0.0.1:8080");
        let text = Location::Swift(s.clone()).to_string();
        assert_eq!(
            text,
            "swift://127.0.0.1:8080/backups/fleet/db-01?auth=v1&tls=false"
        );
        assert_eq!(Location::parse(&text).unwrap(), Location::Swift(s));
        let Location::Swift(cloud) =
            Location::parse("swift://auth.cloud.example:5000/b?region=GRA").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (cloud.auth, cloud.tls, cloud.region.as_deref()),
            (SwiftAuth::V3, true, Some("GRA"))
        );
    }

    #[test]
    fn plain_storage_is_refused_off_loopback_only() {
        let plain = |u: &str| {
            Location::parse(u)
                .unwrap()
                .plain_off_loopback()
                .map(str::to_owned)
        };
        assert_eq!(
            plain("s3://10.0.0.5:8333/b-1/p?tls=false").as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(
            plain("swift://swift.example/c?tls=false").as_deref(),
            Some("swift.example")
        );
        assert_eq!(plain("s3://127.0.0.9:8333/b-1/p?tls=false"), None);
        assert_eq!(plain("s3://localhost:8333/b-1/p?tls=false"), None);
        assert_eq!(plain("s3://10.0.0.5/b-1/p"), None);
        assert_eq!(plain("/srv/backup"), None);
        let refused = crate::backend::open_with(
            "swift://swift.example/c?tls=false&auth=v1",
            &Default::default(),
        );
        let e = refused.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::BadInput);
        assert!(e.to_string().contains("in clear"), "{e}");
    }

    #[test]
    fn directories_are_made_absolute() {
        assert_eq!(
            Location::parse("file:///srv/backup").unwrap(),
            Location::Local("/srv/backup".into())
        );
        let Location::Local(p) = Location::parse("rel/repo").unwrap() else {
            panic!()
        };
        assert!(p.is_absolute() && p.ends_with("rel/repo"));
    }
}
