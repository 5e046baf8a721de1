//! The reaper's, the drill host's and the copier's systemd units (`bananadm/systemd/`):
//! `systemd-analyze verify` accepts them without a warning, the command
//! line parses, and the service gets the token as a credential, never on
//! its command line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use testkit::systemd::values;

const SERVICE: &str = include_str!("../systemd/banana-reaper.service");
const TIMER: &str = include_str!("../systemd/banana-reaper.timer");
const DRILL_SERVICE: &str = include_str!("../systemd/banana-drill.service");
const DRILL_TIMER: &str = include_str!("../systemd/banana-drill.timer");
const COPY_SERVICE: &str = include_str!("../systemd/banana-copy.service");
const COPY_TIMER: &str = include_str!("../systemd/banana-copy.timer");
const INSTALLED: &str = "/usr/bin/bananadm";

#[test]
fn reaper_units_verify_without_warnings() {
    let Some(analyze) = testkit::systemd::analyze() else {
        return;
    };
    testkit::systemd::verify(
        &analyze,
        &[
            ("banana-reaper.service", SERVICE),
            ("banana-reaper.timer", TIMER),
        ],
        INSTALLED,
        Path::new(env!("CARGO_BIN_EXE_bananadm")),
    );
}

#[test]
fn reaper_service_prunes_every_node_with_a_credential_token() {
    assert_eq!(values(SERVICE, "Service", "Type"), ["oneshot"]);
    let exec = values(SERVICE, "Service", "ExecStart");
    assert_eq!(
        exec,
        [format!(
            "{INSTALLED} --token-file %d/reaper.token prune --all"
        )]
    );
    assert_eq!(
        values(SERVICE, "Service", "LoadCredential"),
        ["reaper.token:/etc/banana/reaper.token"]
    );
    // The command line parses (the token path as systemd would expand it).
    let args: Vec<String> = exec[0]
        .replace("%d", "/run/credentials/banana-reaper.service")
        .split_whitespace()
        .skip(1)
        .map(str::to_owned)
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args(&args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(values(TIMER, "Timer", "Unit"), ["banana-reaper.service"]);
    assert_eq!(values(TIMER, "Timer", "Persistent"), ["true"]);
}

/// A principal's service and timer (`name` as in `banana-NAME.service`):
/// they verify, the service runs `exec` with the token `cred` handed over
/// as a systemd credential, its command line parses as systemd expands it
/// (%% is a percent sign), and the timer starts the service.
fn principal_units(name: &str, (service, timer): (&str, &str), exec: &str, cred: &str) {
    let unit = format!("banana-{name}.service");
    if let Some(analyze) = testkit::systemd::analyze() {
        testkit::systemd::verify(
            &analyze,
            &[
                (unit.as_str(), service),
                (&format!("banana-{name}.timer"), timer),
            ],
            INSTALLED,
            Path::new(env!("CARGO_BIN_EXE_bananadm")),
        );
    }
    let got = values(service, "Service", "ExecStart");
    assert_eq!(got, [format!("{INSTALLED} {exec}")]);
    assert_eq!(values(service, "Service", "LoadCredential"), [cred]);
    let args: Vec<String> = got[0]
        .replace("%d", &format!("/run/credentials/{unit}"))
        .replace("%%", "%")
        .split_whitespace()
        .skip(1)
        .map(str::to_owned)
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_bananadm"))
        .args(&args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(values(timer, "Timer", "Unit"), [unit]);
}

#[test]
fn drill_units_verify_and_drill_every_node_with_a_credential_token() {
    principal_units(
        "drill",
        (DRILL_SERVICE, DRILL_TIMER),
        "--token-file %d/drill.token drill --all --sample 1%%",
        "drill.token:/etc/banana/drill.token",
    );
}

#[test]
fn copy_units_verify_and_copy_every_node_with_a_credential_token() {
    principal_units(
        "copy",
        (COPY_SERVICE, COPY_TIMER),
        "--token-file %d/copier.token copy --all",
        "copier.token:/etc/banana/copier.token",
    );
}
