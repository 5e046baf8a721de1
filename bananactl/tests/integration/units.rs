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

/// Runs `systemd-analyze verify` on `units` (name, text), written to a
/// temporary directory with `/usr/bin/bananactl` replaced by the binary under
/// test (verify checks that it exists and is executable). Man pages are not
/// installed here, so `Documentation=man:` is not checked.
fn verify(analyze: &Path, units: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let bin = exec_word(Path::new(env!("CARGO_BIN_EXE_bananactl")));
    let mut paths = Vec::new();
    for (name, text) in units {
        let p = dir.path().join(name);
        std::fs::write(&p, text.replace(INSTALLED, &bin)).unwrap();
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
    // Unknown keys and bad values are only warnings (exit 0): none about our
    // units is allowed. Lines about other units (the host's) are not ours.
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| units.iter().any(|(name, _)| l.contains(name)))
        .collect();
    assert!(ours.is_empty(), "systemd-analyze verify warned:\n{stderr}");
}

/// `(section, key, value)` of every setting of a unit file.
fn settings(text: &str) -> Vec<(String, String, String)> {
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

/// The values of `key` in `section`.
fn values(text: &str, section: &str, key: &str) -> Vec<String> {
    settings(text)
        .into_iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v)
        .collect()
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
