//! Names and addresses: the node-name rule (a name becomes part of Vault
//! paths and policy names, the tower's store, status envelopes), and the
//! plain-http rule for the URLs a node or the admin CLI talks to.

use crate::error::{Error, ErrorKind, Result};

/// Checks a node name: 1–63 characters, lowercase letters, digits, `-`, `_`,
/// `.`, not starting with `-` or `.`.
pub fn valid_node_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
        })
        && !name.starts_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::BadInput,
            format!("node name '{name}' is not valid"),
        )
        .hint("use 1-63 characters: lowercase letters, digits, '-', '_', '.'"))
    }
}

/// Whether `name` is a valid job name: letters, digits, `.`, `_`, `-`, at
/// most 64, not starting with `.`.
pub fn valid_job_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !name.starts_with('.')
}

/// Whether `url` is plain `http` to a host other than loopback: where a
/// secret (an enrolment code, a token, a status) would cross the network in
/// clear. Unparsable URLs count.
pub fn plain_http_off_host(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return true;
    };
    if u.scheme() != "http" {
        return false;
    }
    let host = u.host_str().unwrap_or_default();
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    match ip.parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_loopback(),
        Err(_) => !host.eq_ignore_ascii_case("localhost"),
    }
}

/// Why a name handed over by a server, a plugin or a snapshot (a database
/// or stream name) cannot be passed to a program or used as a file name, if
/// it cannot: empty, `.`/`..`, a `/`, a control character (NUL included),
/// a leading `-` (a program would take it as an option), over 255 bytes.
pub fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name == "." || name == ".." {
        Some("it is '.' or '..'")
    } else if name.contains('/') {
        Some("it holds '/'")
    } else if name.chars().any(char::is_control) {
        Some("it holds control characters")
    } else if name.starts_with('-') {
        Some("it starts with '-' (a program would take it as an option)")
    } else if name.len() > 255 {
        Some("it is longer than 255 bytes")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn node_names() {
        assert!(super::valid_node_name("web-01.example").is_ok());
        for bad in ["", "Web", "a/b", "-x", "a b", &"x".repeat(64)] {
            assert!(super::valid_node_name(bad).is_err(), "{bad}");
        }
    }
}
