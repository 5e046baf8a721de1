//! The systemd unit of the watch tower (`bananaui/systemd/banana-tower.service`):
//! `systemd-analyze verify` accepts it without a warning, its command line
//! parses, and it keeps the hardening the docs promise.
//!
//! `systemd-analyze` (Debian's `systemd` package, installed by
//! `scripts/services.sh install`) verifies unit files offline: no running
//! systemd is needed, and the unit's user need not exist. Without it the
//! verification skips, except under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

const UNIT: &str = include_str!("../systemd/banana-tower.service");
const NAME: &str = "banana-tower.service";
const INSTALLED: &str = "/usr/bin/bananaui";

/// The values of `key` in `section` of the unit.
fn values(section: &str, key: &str) -> Vec<String> {
    testkit::systemd::values(UNIT, section, key)
}

#[test]
fn tower_unit_verifies_without_warnings() {
    let Some(analyze) = testkit::systemd::analyze() else {
        return;
    };
    let bin = Path::new(env!("CARGO_BIN_EXE_bananaui"));
    testkit::systemd::verify(&analyze, &[(NAME, UNIT)], INSTALLED, bin);
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
