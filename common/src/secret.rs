//! [`Secret`]: a string that is zeroized on drop and never shown by `Debug`.
//! Keys, credentials and tokens travel in it, so no log line or error can
//! print one by accident.

use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

/// A secret string: zeroized on drop, never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    /// The value, for the one place that must send or use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn never_shown() {
        let s = super::Secret::new("CANARY-7b1e");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "CANARY-7b1e");
    }
}
