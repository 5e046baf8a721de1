//! The systemd unit of the watch tower (`bananaui/systemd/banana-tower.service`):
//! `systemd-analyze verify` accepts it without a warning, its command line
//! parses, and it keeps the hardening the docs promise.
//!
//! `systemd-analyze` (Debian's `systemd` package, installed by
//! `scripts/services.sh install`) verifies unit files offline: no running
//! systemd is needed, and the unit's user need not exist. Without it the
//! verification skips, except under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

const UNIT: &str = include_str!("../systemd/banana-tower.service");
const NAME: &str = "banana-tower.service";
const INSTALLED: &str = "/usr/bin/bananaui";

/// `systemd-analyze`, or `None` (skip) outside CI when it is not installed.
fn systemd_analyze() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|d| d.join("systemd-analyze"))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "systemd-analyze is required in CI (scripts/services.sh install)"
        );
        eprintln!("skipping: systemd-analyze not installed (scripts/services.sh install)");
    }
    found
}

/// `path` as the first word of an `Exec*=` line.
fn exec_word(path: &Path) -> String {
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

/// The values of `key` in `section`.
fn values(section: &str, key: &str) -> Vec<String> {
    let mut current = "";
    let mut out = Vec::new();
    for line in UNIT.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = s;
            continue;
        }
        let (k, v) = line.split_once('=').expect("key=value");
        if current == section && k.trim() == key {
            out.push(v.trim().to_owned());
        }
    }
    out
}

#[test]
fn tower_unit_verifies_without_warnings() {
    let Some(analyze) = systemd_analyze() else {
        return;
    };
    // verify checks that ExecStart's binary exists and is executable: the
    // one under test stands in for /usr/bin/bananaui. Man pages are not
    // installed here, so Documentation=man: is not checked.
    let dir = tempfile::tempdir().unwrap();
    let bin = exec_word(Path::new(env!("CARGO_BIN_EXE_bananaui")));
    let path = dir.path().join(NAME);
    std::fs::write(&path, UNIT.replace(INSTALLED, &bin)).unwrap();
    let out = Command::new(analyze)
        .args(["verify", "--man=no"])
        .arg(&path)
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
    // Unknown keys and bad values are only warnings (exit 0): none about the
    // unit is allowed. Lines about other units (the host's) are not ours.
    assert!(
        !stderr.lines().any(|l| l.contains(NAME)),
        "systemd-analyze verify warned:\n{stderr}"
    );
}

#[test]
fn tower_unit_command_line_parses() {
    let exec = values("Service", "ExecStart");
    assert_eq!(exec.len(), 1, "{exec:?}");
    let args: Vec<&str> = exec[0].split_whitespace().collect();
    assert_eq!(args[..2], [INSTALLED, "serve"]);
    // The data directory is the one systemd creates for the unit's user,
    // and bananaui's default: serve and the operator's commands (`node add`
    // as that user) find the same one without --data.
    let state = values("Service", "StateDirectory");
    assert_eq!(state.len(), 1);
    let data = format!("/var/lib/{}", state[0]);
    assert_eq!(data, bananaui::config::DEFAULT_DATA);
    assert!(!args.contains(&"--data"), "{args:?}");
    // clap checks every flag and value before it answers --help.
    let out = Command::new(env!("CARGO_BIN_EXE_bananaui"))
        .args(&args[1..])
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        exec[0],
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tower_unit_is_hardened_and_restarted() {
    assert_eq!(values("Service", "Restart"), ["always"]);
    assert_eq!(values("Service", "User"), ["banana-tower"]);
    for (key, want) in [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("CapabilityBoundingSet", ""),
        ("SystemCallArchitectures", "native"),
        ("MemoryDenyWriteExecute", "yes"),
        ("LockPersonality", "yes"),
        ("RestrictNamespaces", "yes"),
        ("UMask", "0077"),
    ] {
        assert_eq!(values("Service", key), [want], "{key}");
    }
    assert!(values("Service", "SystemCallFilter")
        .iter()
        .any(|f| f == "@system-service"));
}
