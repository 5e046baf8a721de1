//! A Swift location: `swift://AUTH_HOST[:PORT]/CONTAINER[/PREFIX][?auth=v1|v3&tls=BOOL&region=R]`.

use crate::backend::location::{authority, bad, below, endpoint, flag, prefix_of};
use crate::error::Result;

/// How a Swift user authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwiftAuth {
    /// `/auth/v1.0` (tempauth, swauth).
    V1,
    /// Keystone `/v3/auth/tokens`.
    V3,
}

/// A prefix in a Swift container, and where to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwiftLocation {
    /// Host of the authentication endpoint.
    pub host: String,
    /// Its port, when not the scheme's default.
    pub port: Option<u16>,
    /// The container.
    pub container: String,
    /// Object name prefix without leading or trailing `/` (may be empty).
    pub prefix: String,
    /// v1 or v3 (the default).
    pub auth: SwiftAuth,
    /// HTTPS (the default) or plain HTTP, for authentication.
    pub tls: bool,
    /// The catalog region (v3), when there are several.
    pub region: Option<String>,
}

impl SwiftLocation {
    /// The authentication endpoint's URL (scheme, host, port).
    pub fn endpoint(&self) -> String {
        endpoint(self.tls, &self.host, self.port)
    }

    /// The object name of `rel` (a path below the repository).
    pub fn key(&self, rel: &str) -> String {
        below(&self.prefix, rel)
    }
}

impl SwiftLocation {
    /// Parses the part of `location` after `swift://`.
    pub(crate) fn parse(location: &str, rest: &str) -> Result<SwiftLocation> {
        let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, port, path) = authority(location, main)?;
        let mut parts = path.splitn(2, '/');
        let container = parts.next().unwrap_or_default().to_owned();
        let ok = (1..=255).contains(&container.len())
            && container
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !ok {
            return Err(bad(location, format!("'{container}' is not a container name (1 to 255 of A-Z, a-z, 0-9, '-', '_', '.')"))
                    .hint("write swift://AUTH_HOST[:PORT]/CONTAINER/PREFIX"));
        }
        let mut sw = SwiftLocation {
            host,
            port,
            container,
            prefix: prefix_of(location, parts.next().unwrap_or_default())?,
            auth: SwiftAuth::V3,
            tls: true,
            region: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match (k, v) {
                ("auth", "v1") => sw.auth = SwiftAuth::V1,
                ("auth", "v3") => sw.auth = SwiftAuth::V3,
                ("auth", _) => return Err(bad(location, format!("auth={v} is not v1 or v3"))),
                ("tls", _) => sw.tls = flag(location, k, v)?,
                ("region", r)
                    if !r.is_empty()
                        && r.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) =>
                {
                    sw.region = Some(r.to_owned())
                }
                _ => {
                    return Err(bad(location, format!("unknown option '{k}'"))
                        .hint("options: auth=v1|v3, tls=true|false, region=NAME"))
                }
            }
        }
        Ok(sw)
    }
}

impl std::fmt::Display for SwiftLocation {
    /// The canonical text (`Location`'s).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self;
        write!(f, "swift://{}", s.host)?;
        if let Some(p) = s.port {
            write!(f, ":{p}")?;
        }
        write!(f, "/{}", s.container)?;
        if !s.prefix.is_empty() {
            write!(f, "/{}", s.prefix)?;
        }
        let auth = match s.auth {
            SwiftAuth::V1 => "v1",
            SwiftAuth::V3 => "v3",
        };
        write!(f, "?auth={auth}&tls={}", s.tls)?;
        if let Some(r) = &s.region {
            write!(f, "&region={r}")?;
        }
        Ok(())
    }
}
