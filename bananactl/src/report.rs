//! Status for the watch tower: every backup run spools a `started` and a
//! `finished` event (signed with the node's own Ed25519 key when sent) and
//! delivers what is spooled, in order, within a few seconds at most. An
//! unreachable collector never fails or delays a backup beyond that (P7);
//! undelivered events go with the next run.

use crate::output::Output;
use crate::settings::Settings;
use common::status::{Event, EventKind, NodeIdentity, RunResult, Sender, Spool};
use std::time::Duration;

/// Events kept while the collector is away.
const SPOOL_MAX: usize = 1000;
/// Time a run may spend delivering, per delivery (`status_budget`).
const BUDGET: Duration = Duration::from_secs(3);
/// The longest `status_budget` taken.
const MAX_BUDGET: Duration = Duration::from_secs(600);

/// The tower this node enrolled at (`bananactl enroll --collector`), kept in
/// `STATE_DIR/collector.json`: used when no other collector is configured.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TowerState {
    /// The tower's URL.
    pub url: String,
    /// The node name enrolled there.
    pub node: String,
    /// Plain http:// off loopback was allowed at enrolment (`--insecure-http`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_http: bool,
}

impl TowerState {
    fn path(state_dir: &std::path::Path) -> std::path::PathBuf {
        state_dir.join("collector.json")
    }

    /// Reads it, if the node enrolled at a tower.
    pub fn load(state_dir: &std::path::Path) -> Option<TowerState> {
        let text = std::fs::read(Self::path(state_dir)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Writes it atomically.
    pub fn save(&self, state_dir: &std::path::Path) -> anyhow::Result<()> {
        use anyhow::Context;
        let path = Self::path(state_dir);
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("directory {}", state_dir.display()))?;
        common::fsutil::write_private(&path, &serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("{}", path.display()))
    }
}

/// What the tower should expect of a job: its interval, when it is next
/// due, and the node's configured jobs.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Interval between runs, seconds (for display and older towers).
    pub every: Option<u64>,
    /// Next due time by the schedule (Unix seconds).
    pub next_due: Option<i64>,
    /// Every configured job of the node.
    pub jobs: Option<Vec<String>>,
}

/// One run's reporter; `None` when no collector is configured. While the run
/// goes, a thread sends a `heartbeat` every `heartbeat` interval (default 5
/// minutes), so the tower shows a long run as running rather than late.
pub struct Reporter {
    inner: std::sync::Arc<Inner>,
    beat: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

struct Inner {
    node: String,
    identity: NodeIdentity,
    /// The spool and the sender, used by one thread at a time.
    io: std::sync::Mutex<(Spool, Sender)>,
    run: String,
    job: String,
    plugin: String,
    expect: Expect,
    started_at: i64,
    /// Time a delivery may take.
    budget: Duration,
    /// The run's `finished` event is spooled.
    finished: std::sync::Mutex<bool>,
    /// The run said once that events are held back.
    told: std::sync::atomic::AtomicBool,
}

/// The name this node reports under: its Vault enrolment's, else the one
/// it enrolled at the tower with, else `host` or the host name.
pub fn node_name_or(s: &Settings, host: Option<&String>) -> anyhow::Result<String> {
    Ok(match s.vault_node()? {
        Some(c) => c.node,
        None => match TowerState::load(&s.state_dir) {
            Some(t) => t.node,
            None => hostname(s, host),
        },
    })
}

/// The host name snapshots record: `--host`, the config's `hostname`, the
/// system's.
pub fn hostname(s: &Settings, flag: Option<&String>) -> String {
    flag.cloned()
        .or_else(|| s.file.hostname.clone())
        .or_else(|| {
            nix::unistd::gethostname()
                .ok()
                .map(|h| h.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// [`node_name_or`] without a `--host`.
pub fn node_name(s: &Settings) -> anyhow::Result<String> {
    node_name_or(s, None)
}

fn now() -> i64 {
    common::unix_now()
}

impl Reporter {
    /// Sets up reporting for a run, or says why not (a warning, never an error).
    pub fn start(
        s: &Settings,
        out: &Output,
        collector: Option<String>,
        node: &str,
        job: &str,
        plugin: &str,
        expect: Expect,
    ) -> Option<Reporter> {
        let (mut r, heartbeat) = Self::open(s, out, collector, node, (job, plugin), expect)?;
        r.beat = r.heartbeats(heartbeat);
        Some(r)
    }

    /// Sets up reporting of one-off events (`drill`), without heartbeats.
    pub fn for_events(
        s: &Settings,
        out: &Output,
        collector: Option<String>,
        node: &str,
    ) -> Option<Reporter> {
        Self::open(s, out, collector, node, ("", "drill"), Expect::default()).map(|(r, _)| r)
    }

    /// A new event of this reporter's kind of run.
    pub fn event(&self, kind: EventKind) -> Event {
        self.inner.event(kind)
    }

    /// Spools `e` and delivers what is spooled, within the budget.
    pub fn send(&self, e: Event) {
        self.inner.emit(e);
        self.inner.tell_held();
    }

    fn open(
        s: &Settings,
        out: &Output,
        collector: Option<String>,
        node: &str,
        (job, plugin): (&str, &str),
        expect: Expect,
    ) -> Option<(Reporter, Duration)> {
        let tower = TowerState::load(&s.state_dir);
        let collector = collector
            .or_else(|| s.collector.clone())
            .or_else(|| tower.as_ref().map(|t| t.url.clone()))?;
        let allowed = s.file.insecure_http.unwrap_or(false)
            || tower.is_some_and(|t| t.insecure_http && t.url == collector);
        if common::names::plain_http_off_host(&collector) && !allowed {
            out.warn(
                "status",
                &collector,
                "no status reporting: the tower's URL is plain http off loopback (events would cross the network in clear); use its https:// URL, or set insecure_http = true in the config",
            );
            return None;
        }
        let budget = status_budget(s, out, &collector);
        let setup = || -> common::Result<Inner> {
            let (identity, _) = NodeIdentity::load_or_create(&s.state_dir.join("node.key"))?;
            let spool = Spool::open(&s.state_dir.join("spool"), SPOOL_MAX)?;
            let sender = Sender::new(&collector, request_timeout(budget))?;
            Ok(Inner {
                node: node.to_owned(),
                identity,
                io: std::sync::Mutex::new((spool, sender)),
                run: hex::encode(rand::random::<[u8; 16]>()),
                job: job.to_owned(),
                plugin: plugin.to_owned(),
                expect: expect.clone(),
                started_at: now(),
                budget,
                finished: std::sync::Mutex::new(false),
                told: std::sync::atomic::AtomicBool::new(false),
            })
        };
        let heartbeat = match s
            .file
            .heartbeat
            .as_deref()
            .map(common::humanize::parse_duration)
        {
            None => Duration::from_secs(300),
            Some(Ok(secs)) => Duration::from_secs(secs),
            Some(Err(m)) => {
                out.warn("status", &collector, &format!("heartbeat: {m}; using 5m"));
                Duration::from_secs(300)
            }
        };
        match setup() {
            Ok(inner) => Some((
                Reporter {
                    inner: std::sync::Arc::new(inner),
                    beat: None,
                },
                heartbeat,
            )),
            Err(e) => {
                out.warn(
                    "status",
                    &collector,
                    &format!("no status reporting this run: {e}"),
                );
                None
            }
        }
    }

    fn heartbeats(
        &self,
        every: Duration,
    ) -> Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)> {
        let (stop, wait) = std::sync::mpsc::channel::<()>();
        let inner = self.inner.clone();
        let h = std::thread::Builder::new()
            .name("status-heartbeat".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(every)
                {
                    inner.emit(inner.event(EventKind::Heartbeat));
                }
            })
            .ok()?;
        Some((stop, h))
    }

    /// Spools and sends the `started` event.
    pub fn started(&self) {
        self.inner.emit(self.inner.event(EventKind::Started));
    }

    /// Spools (without sending) the `finished` event of a run that
    /// committed snapshot `done` to the repository `repository` (hex id).
    /// Called under the commit lock, so the finished events of a node's
    /// concurrent jobs reach the tower in the order of their chain.
    pub fn committed(
        &self,
        repository: &str,
        done: &common::ops::backup::BackupOutcome,
        requests: u64,
    ) {
        let mut e = self.inner.event(EventKind::Finished);
        e.storage_requests = (requests > 0).then_some(requests);
        e.ended_at = Some(now());
        e.repository = Some(repository.to_owned());
        let m = &done.snapshot.summary;
        let partial = done.partial || done.link.rollback.is_some();
        e.result = Some(if done.failed.is_some() {
            RunResult::Failed
        } else if partial {
            RunResult::Partial
        } else {
            RunResult::Success
        });
        e.snapshot = Some(done.id.to_hex());
        e.files = m.files;
        e.bytes_read = m.bytes_read;
        e.bytes_added = m.bytes_added;
        e.bytes_stored = m.bytes_stored;
        e.bytes_total = m.total_bytes;
        e.warnings = m.warnings;
        e.seq = Some(done.link.seq);
        e.prev = done.link.prev.map(|p| p.to_hex());
        e.prev_seq = done.link.prev_seq;
        if let Some(msg) = &done.failed {
            e = e.with_error(msg);
        } else if let Some(msg) = &done.link.rollback {
            e = e.with_error(msg);
            e.reason = Some("rollback".into());
        } else if done.partial {
            e.reason = Some("unreadable".into());
            // The tower shows why: the first warning (of `warnings`).
            if let Some(why) = &done.partial_because {
                e = e.with_error(why);
            }
        }
        self.inner.spool(&e);
        *self
            .inner
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = true;
    }

    /// Stops the heartbeats, spools the `finished` event of a run that
    /// failed (one that committed spooled it already), and delivers.
    pub fn finished(&mut self, failed: Option<&anyhow::Error>) {
        if let Some((stop, h)) = self.beat.take() {
            drop(stop);
            let _ = h.join();
        }
        let done = *self
            .inner
            .finished
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match failed {
            Some(err) if !done => {
                let mut e = self.inner.event(EventKind::Finished);
                e.ended_at = Some(now());
                e.result = Some(RunResult::Failed);
                e = e.with_error(&format!("{err:#}"));
                self.inner.emit(e);
            }
            _ => self.inner.deliver(),
        }
        self.inner.tell_held();
    }
}

/// The config's `status_budget` (default [`BUDGET`], at most
/// [`MAX_BUDGET`]); a bad value is a warning and the default.
fn status_budget(s: &Settings, out: &Output, collector: &str) -> Duration {
    match s
        .file
        .status_budget
        .as_deref()
        .map(common::humanize::parse_duration)
    {
        None => BUDGET,
        Some(Ok(secs)) => Duration::from_secs(secs.max(1)).min(MAX_BUDGET),
        Some(Err(m)) => {
            out.warn(
                "status",
                collector,
                &format!("status_budget: {m}; using 3s"),
            );
            BUDGET
        }
    }
}

/// One request's timeout within a delivery of `budget`: 2 s of the default
/// 3 s, so one hung request leaves time for the next event.
fn request_timeout(budget: Duration) -> Duration {
    budget
        .saturating_sub(Duration::from_secs(1))
        .max(budget / 2)
}

impl Inner {
    fn event(&self, kind: EventKind) -> Event {
        let mut e = Event::new(
            kind,
            &self.run,
            &self.job,
            &self.plugin,
            self.started_at,
            now(),
        );
        e.every_secs = self.expect.every;
        e.next_due_at = self.expect.next_due;
        e.jobs = self.expect.jobs.clone();
        let io = self.io.lock().unwrap_or_else(|p| p.into_inner());
        e.refused = Some(io.0.refused_count()).filter(|&n| n > 0);
        e
    }

    /// Spools an event without sending it.
    fn spool(&self, e: &Event) {
        let io = self.io.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(err) = io.0.push(e) {
            tracing::warn!("status spool: {err}");
        }
    }

    fn emit(&self, e: Event) {
        self.spool(&e);
        self.deliver();
    }

    /// Delivers what is spooled, oldest first, within the budget.
    fn deliver(&self) {
        let io = self.io.lock().unwrap_or_else(|p| p.into_inner());
        let (spool, sender) = &*io;
        let result = sender.deliver(
            spool,
            (&self.identity, &self.node),
            self.budget,
            request_timeout(self.budget),
        );
        if let Err(err) = result {
            tracing::warn!("status delivery: {err}");
        }
    }

    /// Says once, at the default level, what the tower will not see yet
    /// (after the run's last delivery).
    fn tell_held(&self) {
        let io = self.io.lock().unwrap_or_else(|p| p.into_inner());
        let (spool, sender) = &*io;
        let Some(why) = sender.held_because() else {
            return;
        };
        let held = spool.pending_count();
        if held > 0 && !self.told.swap(true, std::sync::atomic::Ordering::Relaxed) {
            let events = common::humanize::count(held, "event", "events");
            tracing::warn!("status for {events} held: {why}; they will be sent later");
        }
    }
}
