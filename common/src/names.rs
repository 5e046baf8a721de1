//! Node names: one rule for every place a name becomes part of a path or a
//! key (Vault paths and policy names, the tower's store, status envelopes).

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
