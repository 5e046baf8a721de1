//! Exclude patterns: a glob with a `/` matches the absolute path, one without
//! matches the entry's name.

use crate::error::{Error, ErrorKind, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::Path;

/// Compiled exclude patterns.
#[derive(Clone)]
pub struct Excludes {
    full: GlobSet,
    name: GlobSet,
}

impl Excludes {
    /// Compiles `patterns`; a bad one is an error quoting it.
    pub fn new(patterns: &[String]) -> Result<Excludes> {
        let mut full = GlobSetBuilder::new();
        let mut name = GlobSetBuilder::new();
        for p in patterns {
            let glob = globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .or_else(|_| Glob::new(p))
                .map_err(|e| {
                    Error::new(ErrorKind::BadInput, format!("exclude pattern '{p}': {e}"))
                })?;
            if p.contains('/') {
                full.add(glob);
            } else {
                name.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| Error::new(ErrorKind::BadInput, e.to_string()))
        };
        Ok(Excludes {
            full: build(full)?,
            name: build(name)?,
        })
    }

    /// Whether `path` is excluded.
    pub fn excluded(&self, path: &Path) -> bool {
        self.full.is_match(path) || path.file_name().is_some_and(|n| self.name.is_match(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_by_name_and_path() {
        let ex = Excludes::new(&["*.tmp".into(), "/var/cache/**".into()]).unwrap();
        assert!(ex.excluded(Path::new("/home/x/a.tmp")));
        assert!(ex.excluded(Path::new("/var/cache/apt/x")));
        assert!(!ex.excluded(Path::new("/var/lib/x")));
    }
}
