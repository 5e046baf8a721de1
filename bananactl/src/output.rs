//! What the user sees: a one-line summary on success (quiet under cron), a
//! progress bar on a terminal, or JSON lines with a `message_type` (`progress`,
//! `warning`, `summary`, `error`, and per-command item types) for scripts.
//! Debug logs go through `tracing` to stderr and never carry secrets.

use crate::cli::GlobalOpts;
use common::progress::{Observer, Progress, WarningKind};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Installs the stderr log subscriber: warnings by default, more with `-v`.
pub fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    // Vault and HTTP client internals stay silent at every level: their debug
    // output can carry request bodies, and their errors reach the user through
    // ours, which name the path and never the secret.
    let quiet_deps = "vaultrs=off,rustify=off,reqwest=off,hyper=off,hyper_util=off,rustls=off";
    let base = std::env::var("BANANA_LOG").unwrap_or_else(|_| level.to_owned());
    let filter = tracing_subscriber::EnvFilter::new(format!("{base},{quiet_deps}"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour only for a person: cron mail and journald get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// The output channel of one run.
#[derive(Debug)]
pub struct Output {
    /// JSON lines on stdout.
    pub json: bool,
    /// Nothing on success.
    pub quiet: bool,
    /// Verbosity.
    pub verbose: u8,
    tty: bool,
}

impl Output {
    /// From the global options.
    pub fn new(g: &GlobalOpts) -> Output {
        Output {
            json: g.json,
            quiet: g.quiet,
            verbose: g.verbose,
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// Whether progress is shown (a bar on a terminal, or JSON progress
    /// lines): only then is a backup's total counted ahead, on a side
    /// thread that walks the tree a second time (a cron or systemd run,
    /// or `--quiet`, does not pay for it).
    pub fn shows_progress(&self) -> bool {
        self.json || (self.tty && !self.quiet)
    }

    /// One JSON object as a line on stdout.
    pub fn json_line(&self, v: &Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{v}");
        let _ = out.flush();
    }

    /// A human line on stdout (not in JSON mode, not when quiet).
    pub fn line(&self, s: &str) {
        if !self.json && !self.quiet {
            println!("{s}");
        }
    }

    /// Information for humans on stderr (`init`'s key warning, first-use notices).
    pub fn notice(&self, s: &str) {
        if !self.json && !self.quiet {
            eprintln!("{s}");
        }
    }

    /// The command's summary: JSON with `message_type: summary`, or one line.
    pub fn summary(&self, mut v: Value, line: &str) {
        if self.json {
            v["message_type"] = json!("summary");
            self.json_line(&v);
        } else {
            self.line(line);
        }
    }

    /// A warning (never suppressed by `--quiet`).
    pub fn warn(&self, kind: &str, path: &str, msg: &str) {
        if self.json {
            self.json_line(
                &json!({"message_type": "warning", "kind": kind, "path": path, "message": msg}),
            );
        } else {
            // Paths and messages may carry names from a snapshot: inert on a terminal.
            eprintln!(
                "warning: {}: {}",
                common::humanize::printable(path),
                common::humanize::printable(msg)
            );
        }
    }

    /// The final error, one line.
    pub fn error(&self, err: &anyhow::Error, code: u8) {
        let msg = format!("{err:#}");
        if self.json {
            self.json_line(&json!({"message_type": "error", "message": msg, "exit_code": code}));
        }
        eprintln!("bananactl: error: {}", common::humanize::printable(&msg));
    }

    /// An observer for a long operation: progress bar on a terminal, JSON
    /// progress lines every second with `--json`, nothing otherwise.
    pub fn observer(&self, verb: &'static str) -> Reporter<'_> {
        let bar = (self.tty && !self.json && !self.quiet).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar
        });
        Reporter {
            out: self,
            bar,
            verb,
            started: Instant::now(),
            last_json: Mutex::new(Instant::now()),
            warnings: AtomicU64::new(0),
        }
    }
}

/// Bridges `common`'s events to the output.
pub struct Reporter<'a> {
    out: &'a Output,
    bar: Option<ProgressBar>,
    verb: &'static str,
    started: Instant,
    last_json: Mutex<Instant>,
    warnings: AtomicU64,
}

impl Reporter<'_> {
    /// Removes the progress bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    /// Warnings seen so far.
    pub fn warnings(&self) -> u64 {
        self.warnings.load(Ordering::Relaxed)
    }
}

pub use common::humanize::bytes;

impl Observer for Reporter<'_> {
    fn warn(&self, kind: WarningKind, path: &str, message: &str) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => bar.suspend(|| self.out.warn(kind.as_str(), path, message)),
            None => self.out.warn(kind.as_str(), path, message),
        }
    }

    fn progress(&self, p: &Progress) {
        let files = Progress::get(&p.files);
        let done = Progress::get(&p.bytes);
        let total = Progress::get(&p.total_bytes);
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let eta = (Progress::get(&p.total_known) == 1 && total > done && rate > 0.0).then(|| {
            humantime::format_duration(std::time::Duration::from_secs(
                ((total - done) as f64 / rate) as u64,
            ))
            .to_string()
        });
        if let Some(bar) = &self.bar {
            // What the counter counts: entries met (files, directories and
            // others) for a backup or restore, packs read for a check.
            let (one, many) = match self.verb {
                "check" => ("pack", "packs"),
                _ => ("entry", "entries"),
            };
            let mut msg = format!(
                "{} {}, {} ({}/s)",
                self.verb,
                common::humanize::count(files, one, many),
                bytes(done),
                bytes(rate as u64)
            );
            if total > 0 {
                msg.push_str(&format!(" of {}", bytes(total)));
            }
            if let Some(eta) = &eta {
                msg.push_str(&format!(", ETA {eta}"));
            }
            bar.set_message(msg);
            bar.tick();
        } else if self.out.json {
            let mut last = self.last_json.lock().unwrap_or_else(|p| p.into_inner());
            if last.elapsed().as_millis() >= 1000 {
                *last = Instant::now();
                self.out.json_line(&json!({
                    "message_type": "progress", "action": self.verb, "files": files,
                    "counting": if self.verb == "check" { "packs" } else { "entries" }, "bytes": done,
                    "total_files": Progress::get(&p.total_files), "total_bytes": total,
                    "seconds_elapsed": secs as u64, "bytes_per_second": rate as u64,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Output;

    fn out(json: bool, quiet: bool, tty: bool) -> Output {
        Output {
            json,
            quiet,
            verbose: 0,
            tty,
        }
    }

    #[test]
    fn totals_are_counted_only_where_progress_is_shown() {
        // cron or systemd (no terminal), --quiet: nothing shows progress.
        assert!(!out(false, false, false).shows_progress());
        assert!(!out(false, true, true).shows_progress());
        // A terminal, or JSON progress lines (with totals) on stdout.
        assert!(out(false, false, true).shows_progress());
        assert!(out(true, true, false).shows_progress());
    }
}
