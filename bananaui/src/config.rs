//! The collector's TOML configuration (`docs/collector.md` lists every key).

use anyhow::bail;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7460";

/// A duration written as `30s`, `10m`, `1h`, `2d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secs(pub u64);

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secs, D::Error> {
        let s = String::deserialize(d)?;
        proto::humanize::parse_duration(&s)
            .map(Secs)
            .map_err(serde::de::Error::custom)
    }
}

impl Secs {
    /// As a `Duration`.
    pub fn dur(self) -> Duration {
        Duration::from_secs(self.0)
    }
    /// As signed seconds.
    pub fn i(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// Data directory (the database and pending enrolments).
    pub data: Option<PathBuf>,
    /// File holding the viewer token (required when `listen` is not loopback).
    pub viewer_token_file: Option<PathBuf>,
    /// HTTP limits.
    pub limits: Limits,
    /// History kept per job.
    pub history: History,
    /// Alert rules.
    pub alerts: Rules,
    /// Where notifications go.
    #[serde(rename = "notifier")]
    pub notifiers: Vec<Notifier>,
}

/// HTTP limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body, bytes.
    pub max_body: usize,
    /// Largest request head (request line and headers), bytes.
    pub max_head: usize,
    /// Longest single header line, bytes.
    pub max_header_line: usize,
    /// Most headers in a request.
    pub max_headers: usize,
    /// Time a client has to send a whole request.
    pub read_timeout: Secs,
    /// Time a client has to take the answer.
    pub write_timeout: Secs,
    /// Most connections open at once (beyond: closed at once).
    pub max_connections: usize,
    /// Threads answering requests (reads of the store, verification).
    pub workers: usize,
    /// Events per second a node may send, sustained.
    pub node_rate: f64,
    /// Events a node may send in a burst.
    pub node_burst: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body: 64 * 1024,
            max_head: 16 * 1024,
            max_header_line: 8 * 1024,
            max_headers: 64,
            read_timeout: Secs(10),
            write_timeout: Secs(10),
            max_connections: 4096,
            workers: 4,
            node_rate: 1.0,
            node_burst: 60.0,
        }
    }
}

/// History kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct History {
    /// Runs kept per job.
    pub runs: u64,
    /// Days of runs and event ids kept (0: no age limit).
    pub days: u64,
}

impl Default for History {
    fn default() -> History {
        History {
            runs: 100,
            days: 90,
        }
    }
}

/// Alert rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// How often the rules run.
    pub interval: Secs,
    /// `overdue`: time allowed past a job's interval.
    pub grace: Secs,
    /// `silent`: a node that sent nothing for this long.
    pub silent_after: Secs,
    /// `never`: an enrolled node with no success after this long.
    pub never_after: Secs,
    /// `shrunk`: a successful run smaller than this fraction of the median of
    /// the previous ones.
    pub shrink_ratio: f64,
    /// `shrunk`: how many previous successful runs make the median (at least 3 needed).
    pub shrink_runs: usize,
    /// `shrunk`: ignore jobs whose median is below this many bytes.
    pub shrink_min_bytes: u64,
    /// Re-send firing alerts this often (unset: once per transition).
    pub repeat: Option<Secs>,
    /// `unpruned`: a node no reaper pruned for this long (only once a
    /// reaper is enrolled at this tower).
    pub prune_after: Secs,
    /// `undrilled`: a job no drill verified for this long.
    pub drill_after: Secs,
    /// `undrilled` from enrolment for every node; off (the default), only
    /// for nodes whose drills or checks have reached this tower.
    pub drill_required: bool,
    /// `copy-lag`: a successful backup not copied to a destination for
    /// this long.
    pub copy_after: Secs,
    /// `copy-lag` for every node that backs up, from enrolment, until a
    /// copy of it reaches this tower; off (the default), only for nodes
    /// whose copies have reached this tower.
    pub copy_required: bool,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            interval: Secs(5),
            grace: Secs(3600),
            silent_after: Secs(2 * 86400),
            never_after: Secs(86400),
            shrink_ratio: 0.5,
            shrink_runs: 5,
            shrink_min_bytes: 1 << 20,
            repeat: None,
            prune_after: Secs(3 * 86400),
            drill_after: Secs(35 * 86400),
            drill_required: false,
            copy_after: Secs(26 * 3600),
            copy_required: false,
        }
    }
}

/// A notification target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "lowercase")]
pub enum Notifier {
    /// POST the alert as JSON.
    Webhook {
        /// URL (http or https).
        url: String,
        /// Per attempt.
        #[serde(default = "five_secs")]
        timeout: Secs,
        /// Attempts after the first.
        #[serde(default = "three")]
        retries: u32,
    },
    /// Run a program with the alert as JSON on stdin.
    Command {
        /// Program and arguments (no shell).
        command: Vec<String>,
        /// Killed after this long.
        #[serde(default = "ten_secs")]
        timeout: Secs,
    },
}

fn five_secs() -> Secs {
    Secs(5)
}
fn ten_secs() -> Secs {
    Secs(10)
}
fn three() -> u32 {
    3
}

impl Config {
    /// Reads `path` (or the defaults when `None`).
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            crate::exit::fail(
                crate::exit::Code::USAGE,
                format!("collector config {}: {e}", path.display()),
            )
        })?;
        Config::parse(&text, &format!("collector config {}", path.display()))
    }

    /// Parses and checks a config file's text; `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> anyhow::Result<Config> {
        let usage = |m: String| crate::exit::fail(crate::exit::Code::USAGE, m);
        let c: Config = toml::from_str(text).map_err(|e| {
            usage(format!(
                "{what}: {}",
                e.to_string().lines().collect::<Vec<_>>().join(" ")
            ))
        })?;
        c.validate().map_err(|e| usage(format!("{what}: {e:#}")))?;
        Ok(c)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let l = &self.limits;
        if l.max_body == 0 || l.max_head < 256 || l.max_header_line < 64 || l.max_headers == 0 {
            bail!("limits are too small (max_body > 0, max_head >= 256, max_header_line >= 64, max_headers > 0)");
        }
        if l.workers == 0 || l.max_connections == 0 {
            bail!("limits.workers and limits.max_connections must be positive");
        }
        if !(l.node_rate > 0.0 && l.node_burst >= 1.0) {
            bail!("limits.node_rate must be > 0 and limits.node_burst >= 1");
        }
        if !(self.alerts.shrink_ratio > 0.0 && self.alerts.shrink_ratio < 1.0) {
            bail!("alerts.shrink_ratio must be between 0 and 1");
        }
        for n in &self.notifiers {
            match n {
                Notifier::Webhook { url, .. } => {
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        bail!("notifier webhook '{url}' is not an http(s) URL");
                    }
                }
                Notifier::Command { command, .. } => {
                    if command.is_empty() {
                        bail!("a command notifier needs a program: command = [\"/path\", ...]");
                    }
                }
            }
        }
        Ok(())
    }
}

/// The tower's data directory when neither `--data` nor `data` names one.
/// One place whoever runs the command (the service's `StateDirectory=`, see
/// `bananaui/systemd/banana-tower.service`), so `node add` run by hand finds
/// the collector that `serve` runs; not under `/var/lib/banana`, which a
/// node's agent on the same host makes 0700.
pub const DEFAULT_DATA: &str = "/var/lib/banana-tower";

/// [`DEFAULT_DATA`] as a path.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from(DEFAULT_DATA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let text = include_str!("../../docs/examples/bananaui.toml");
        let c: Config = toml::from_str(text).unwrap();
        c.validate().unwrap();
        assert_eq!(c.notifiers.len(), 2);
        assert_eq!(c.alerts.grace, Secs(7200));
    }

    /// The package's conffile: as shipped (all comments, every default), and
    /// with every commented-out key and table enabled.
    #[test]
    fn the_packaged_config_parses_as_shipped_and_uncommented() {
        let text = include_str!("../debian/bananaui.toml");
        let shipped = Config::parse(text, "bananaui.toml").unwrap();
        assert_eq!(shipped.listen, Config::parse("", "empty").unwrap().listen);
        let enabled: String = text
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.starts_with('[') || l.contains(" = "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(enabled.lines().count() >= 8, "{enabled}");
        Config::parse(&enabled, "bananaui.toml, uncommented").unwrap();
    }

    #[test]
    fn a_bad_duration_is_refused_by_name() {
        let err = toml::from_str::<Config>("[alerts]\ngrace = \"soon\"\n").unwrap_err();
        assert!(err.to_string().contains("soon"), "{err}");
    }
}
