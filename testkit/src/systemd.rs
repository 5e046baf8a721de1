//! Systemd units checked offline: `systemd-analyze verify` (Debian's
//! `systemd` package; no running systemd needed, the unit's user need not
//! exist) and the settings of a unit file, for the tests of every unit Banana
//! ships.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `systemd-analyze`, or `None` (skip) outside CI when it is not installed.
pub fn analyze() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|d| d.join("systemd-analyze"))
        .find(|p| p.is_file());
    crate::require("systemd-analyze", found.is_some());
    found
}

/// `path` as the first word of an `Exec*=` line.
pub fn exec_word(path: &Path) -> String {
    let s = path.to_str().expect("UTF-8 binary path");
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        return s.to_owned();
    }
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%");
    format!("\"{escaped}\"")
}

/// Runs `systemd-analyze verify` on `units` (name, text), written to a
/// temporary directory with `installed` (the path the package installs the
/// binary at) replaced by `binary`, the one under test: verify checks that it
/// exists and is executable. Man pages are not installed here, so
/// `Documentation=man:` is not checked. Unknown keys and bad values are only
/// warnings (exit 0): none about these units is allowed; lines about other
/// units (the host's) are not theirs.
pub fn verify(analyze: &Path, units: &[(&str, &str)], installed: &str, binary: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = exec_word(binary);
    let mut paths = Vec::new();
    for (name, text) in units {
        let p = dir.join(name);
        std::fs::write(&p, text.replace(installed, &bin)).unwrap();
        paths.push(p);
    }
    let out = Command::new(analyze)
        .args(["verify", "--man=no"])
        .args(&paths)
        .env("SYSTEMD_LOG_LEVEL", "info")
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "systemd-analyze verify failed ({}):\n{stderr}",
        out.status
    );
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| units.iter().any(|(name, _)| l.contains(name)))
        .collect();
    assert!(ours.is_empty(), "systemd-analyze verify warned:\n{stderr}");
}

/// `(section, key, value)` of every setting of a unit file.
pub fn settings(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_owned();
            continue;
        }
        let (k, v) = line.split_once('=').expect("key=value");
        out.push((section.clone(), k.trim().to_owned(), v.trim().to_owned()));
    }
    out
}

/// The values of `key` in `section` of a unit file.
pub fn values(text: &str, section: &str, key: &str) -> Vec<String> {
    settings(text)
        .into_iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v)
        .collect()
}
