//! The systemd units and the cron example that run `bananactl run` on a node
//! (`bananactl/systemd/`, `docs/examples/cron.d-banana`): `systemd-analyze
//! verify` accepts the units without a warning, their command lines parse,
//! and the agent's hardening hides nothing from a backup.
//!
//! `systemd-analyze` (Debian's `systemd` package, installed by
//! `scripts/services.sh install`) verifies unit files offline: no running
//! systemd is needed. Without it the verification skips, except under
//! `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

const SERVICE: &str = include_str!("../../systemd/banana-agent.service");
const TIMER: &str = include_str!("../../systemd/banana-agent.timer");
const CRON: &str = include_str!("../../../docs/examples/cron.d-banana");
const INSTALLED: &str = "/usr/bin/bananactl";

use testkit::systemd::values;

fn systemd_analyze() -> Option<PathBuf> {
    testkit::systemd::analyze()
}

fn verify(analyze: &Path, units: &[(&str, &str)]) {
    let bin = Path::new(env!("CARGO_BIN_EXE_bananactl"));
    testkit::systemd::verify(analyze, units, INSTALLED, bin);
}

/// The installed command line `line` (starting with `/usr/bin/bananactl`)
/// parses: the binary under test accepts its arguments followed by `--help`.
fn assert_parses(line: &str) {
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(args.first(), Some(&INSTALLED), "{line}");
    let out = Command::new(env!("CARGO_BIN_EXE_bananactl"))
        .args(&args[1..])
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn units_verify_without_warnings() {
    let Some(analyze) = systemd_analyze() else {
        return;
    };
    verify(
        &analyze,
        &[
            ("banana-agent.service", SERVICE),
            ("banana-agent.timer", TIMER),
        ],
    );
}

#[test]
fn units_agent_service_runs_the_due_jobs_quietly() {
    assert_eq!(values(SERVICE, "Service", "Type"), ["oneshot"]);
    let exec = values(SERVICE, "Service", "ExecStart");
    assert_eq!(exec, [format!("{INSTALLED} --quiet run")]);
    assert_parses(&exec[0]);
    assert!(values(SERVICE, "Service", "Restart").is_empty());
}

#[test]
fn units_agent_hardening_hides_nothing_from_a_backup() {
    for key in [
        "ProtectHome",
        "PrivateTmp",
        "PrivateDevices",
        "ProtectKernelModules",
        "TemporaryFileSystem",
        "InaccessiblePaths",
        "BindPaths",
        "BindReadOnlyPaths",
        "RootDirectory",
        "RootImage",
        "DynamicUser",
        "PrivateUsers",
        "ProtectProc",
        "ProcSubset",
    ] {
        assert!(
            values(SERVICE, "Service", key).is_empty(),
            "{key}= would hide data from the backup"
        );
    }
    assert!(values(SERVICE, "Service", "User")
        .iter()
        .all(|u| u == "root"));
    assert_eq!(values(SERVICE, "Service", "ProtectSystem"), ["strict"]);
    assert_eq!(values(SERVICE, "Service", "NoNewPrivileges"), ["yes"]);
    let writable: Vec<String> = values(SERVICE, "Service", "ReadWritePaths")
        .iter()
        .flat_map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    for p in ["/var/lib/banana", "/etc/banana"] {
        assert!(writable.iter().any(|w| w == p), "{p} not in {writable:?}");
    }
}

#[test]
fn units_timer_fires_every_five_minutes_spread_and_catching_up() {
    assert_eq!(values(TIMER, "Timer", "OnCalendar"), ["*:0/5"]);
    assert_eq!(values(TIMER, "Timer", "Persistent"), ["true"]);
    assert_eq!(values(TIMER, "Timer", "FixedRandomDelay"), ["true"]);
    assert!(!values(TIMER, "Timer", "RandomizedDelaySec").is_empty());
    assert_eq!(values(TIMER, "Timer", "Unit"), ["banana-agent.service"]);
    assert_eq!(values(TIMER, "Install", "WantedBy"), ["timers.target"]);
}

#[test]
fn units_cron_example_runs_every_five_minutes_as_root() {
    let entries: Vec<&str> = CRON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        // Variable assignments (PATH=, MAILTO=) are not entries.
        .filter(|l| !l.split_whitespace().next().is_some_and(|w| w.contains('=')))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let fields: Vec<&str> = entries[0].splitn(7, char::is_whitespace).collect();
    assert_eq!(fields.len(), 7, "{}", entries[0]);
    assert_eq!(fields[..6], ["*/5", "*", "*", "*", "*", "root"]);
    // The command up to a redirection or a '#' (neither is used unquoted).
    let command = fields[6]
        .split(['>', '|', ';', '&'])
        .next()
        .unwrap_or_default()
        .trim();
    assert!(!fields[6].contains('%'), "cron turns % into a newline");
    assert_eq!(command, format!("{INSTALLED} --quiet run"));
    assert_parses(command);
}
