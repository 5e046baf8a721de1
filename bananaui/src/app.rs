//! The collector's routes: ingest and enrolment (POST), the read-only JSON API,
//! `/metrics` and the page (GET). `docs/api.md` documents every answer.

use crate::config::Config;
use crate::http::{Handler, Outcome, Reply, Request};
use crate::ingest::{Op, Writer};
use crate::store::{AlertState, NodeRec, Store};
use crate::view::{self, State};
use common::status::{EnrolRequest, Envelope, Event};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;

const PAGE: &str = include_str!("page.html");
const PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";

/// Unix seconds now.
pub fn now() -> i64 {
    common::repo::now().0
}

/// The collector.
pub struct App {
    store: Store,
    writer: Writer,
    cfg: Config,
    data: PathBuf,
    viewer_token: Option<blake3::Hash>,
    started_at: i64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    /// Open connections (for `/metrics`).
    pub gauges: Arc<crate::http::Gauges>,
}

impl App {
    /// The collector over `store`, writing through `writer`.
    pub fn new(
        store: Store,
        writer: Writer,
        cfg: Config,
        data: PathBuf,
        viewer_token: Option<String>,
        gauges: Arc<crate::http::Gauges>,
    ) -> App {
        App {
            store,
            writer,
            cfg,
            data,
            viewer_token: viewer_token.map(|t| blake3::hash(t.trim().as_bytes())),
            started_at: now(),
            rejected: Mutex::new(BTreeMap::new()),
            buckets: Mutex::new(HashMap::new()),
            gauges,
        }
    }

    fn reject(&self, reason: &'static str, status: u16, msg: &str) -> Outcome {
        self.refused(reason);
        Outcome::Now(Reply::error(status, msg))
    }

    fn store_error(&self, e: anyhow::Error) -> Outcome {
        tracing::error!("store: {e:#}");
        Outcome::Now(Reply::error(503, "the store could not be read; retry"))
    }

    /// Token bucket per node: `node_rate` per second, `node_burst` at once.
    fn allow(&self, node: &str) -> bool {
        let l = &self.cfg.limits;
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let t = Instant::now();
        let (tokens, last) = b.entry(node.to_owned()).or_insert((l.node_burst, t));
        *tokens = (*tokens + t.duration_since(*last).as_secs_f64() * l.node_rate).min(l.node_burst);
        *last = t;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn ingest(&self, req: &Request) -> Outcome {
        let env: Envelope = match serde_json::from_slice(&req.body) {
            Ok(e) => e,
            Err(e) => return self.reject("malformed", 400, &format!("not a status envelope: {e}")),
        };
        if common::vault::valid_node_name(&env.node).is_err() {
            return self.reject("malformed", 400, "the node name is not valid");
        }
        let node = match self.store.node(&env.node) {
            Ok(Some(n)) => n,
            Ok(None) => {
                return self.reject(
                    "unknown_node",
                    403,
                    &format!("node '{}' is not enrolled at this tower", env.node),
                )
            }
            Err(e) => return self.store_error(e),
        };
        let key = match common::status::parse_public(&node.public_key) {
            Ok(k) => k,
            Err(e) => return self.store_error(anyhow::anyhow!("key of node {}: {e}", node.name)),
        };
        let now = now();
        let event = match common::status::verify(&env, &key, now) {
            Ok(ev) => ev,
            Err(r) => {
                let reason = match r {
                    common::status::Rejection::Malformed(_) => "malformed",
                    common::status::Rejection::BadSignature => "bad_signature",
                    common::status::Rejection::Expired => "expired",
                };
                let msg = match &r {
                    common::status::Rejection::Malformed(m) => m.clone(),
                    common::status::Rejection::BadSignature => {
                        format!(
                            "the signature does not verify under node '{}''s key",
                            env.node
                        )
                    }
                    common::status::Rejection::Expired => {
                        "the timestamp is outside the 5 minute window (check the node's clock)"
                            .into()
                    }
                };
                return self.reject(reason, r.status(), &msg);
            }
        };
        if let Err(msg) = check_event(&event, now) {
            return self.reject("malformed", 400, &msg);
        }
        if !self.allow(&env.node) {
            return self.reject(
                "rate_limited",
                429,
                "too many events from this node; retry later",
            );
        }
        let (tx, rx) = oneshot::channel();
        let op = Op::Event {
            node: env.node,
            key: node.public_key.clone(),
            ts: env.timestamp,
            nonce: env.nonce,
            body_hash: env.body_hash,
            event: Box::new(event),
            now,
            reply: tx,
        };
        if self.writer.send(op) {
            Outcome::Later(rx)
        } else {
            self.reject("busy", 503, "the collector is busy; retry")
        }
    }

    fn enrol(&self, req: &Request) -> Outcome {
        let er: EnrolRequest = match serde_json::from_slice(&req.body) {
            Ok(e) => e,
            Err(e) => {
                return self.reject("malformed", 400, &format!("not an enrolment request: {e}"))
            }
        };
        if common::vault::valid_node_name(&er.node).is_err() {
            return self.reject("malformed", 400, "the node name is not valid");
        }
        let now = now();
        let refused = "no enrolment is pending for this node under this code (issue one with 'bananaui node add NAME' on the tower)";
        let pending = match crate::enrol::read(&self.data, &er.node) {
            Ok(Some(p)) => p,
            Ok(None) => return self.reject("enrolment", 403, refused),
            Err(e) => return self.store_error(e),
        };
        let presented = blake3::hash(er.code.trim().as_bytes());
        let expected = blake3::Hash::from_hex(&pending.code_hash).ok();
        // blake3::Hash compares in constant time.
        if expected != Some(presented) {
            return self.reject("enrolment", 403, refused);
        }
        if now > pending.expires_at {
            return self.reject(
                "enrolment",
                403,
                "this enrolment code has expired; issue a new one with 'bananaui node add'",
            );
        }
        if let Err(r) = common::status::verify_enrol(&er, now) {
            let (reason, msg) = match r {
                common::status::Rejection::Malformed(_) => (
                    "malformed",
                    "the enrolment request is malformed (public key or version)",
                ),
                common::status::Rejection::Expired => (
                    "expired",
                    "the enrolment request's timestamp is outside the 5 minute window (check the node's clock)",
                ),
                common::status::Rejection::BadSignature => (
                    "bad_signature",
                    "the enrolment request is not signed by the key it presents",
                ),
            };
            return self.reject(reason, r.status(), msg);
        }
        let (tx, rx) = oneshot::channel();
        let op = Op::Enrol {
            rec: NodeRec {
                name: er.node.clone(),
                public_key: er.public_key.to_ascii_lowercase(),
                enrolled_at: now,
                last_seen_at: None,
                agent: None,
            },
            replace: pending.replace,
            pending: crate::enrol::pending_path(&self.data, &er.node),
            code_hash: pending.code_hash.clone(),
            reply: tx,
        };
        if self.writer.send(op) {
            Outcome::Later(rx)
        } else {
            self.reject("busy", 503, "the collector is busy; retry")
        }
    }

    fn authorized(&self, req: &Request) -> bool {
        let Some(want) = self.viewer_token else {
            return true;
        };
        req.header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| blake3::hash(t.trim().as_bytes()) == want)
    }

    fn fleet(&self) -> anyhow::Result<Vec<view::NodeView>> {
        Ok(view::fleet(
            self.store.nodes()?,
            self.store.jobs()?,
            &self.cfg.alerts,
            now(),
        ))
    }

    fn api_fleet(&self) -> anyhow::Result<Value> {
        let now = now();
        let fleet = self.fleet()?;
        let mut states: BTreeMap<&str, u64> = State::ALL.iter().map(|s| (s.name(), 0)).collect();
        let mut jobs = 0;
        for n in &fleet {
            *states.entry(n.state.name()).or_default() += 1;
            jobs += n.jobs.len();
        }
        let firing = self
            .store
            .alerts()?
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .count();
        Ok(json!({
            "generated_at": now,
            "nodes": fleet.len(),
            "jobs": jobs,
            "states": states,
            "alerts_firing": firing,
            "collector": {
                "version": env!("CARGO_PKG_VERSION"),
                "started_at": self.started_at,
                "ingested": self.writer.stats.stored.load(Ordering::Relaxed),
                "rejected": self.rejected.lock().map(|r| r.values().sum::<u64>()).unwrap_or(0)
                    + self.writer.stats.refused.load(Ordering::Relaxed),
            },
        }))
    }

    fn api_nodes(&self) -> anyhow::Result<Value> {
        let now = now();
        let fleet = self.fleet()?;
        let rules = &self.cfg.alerts;
        Ok(json!({
            "generated_at": now,
            "nodes": fleet.iter().map(|n| n.json(rules, now)).collect::<Vec<_>>(),
        }))
    }

    fn api_node(&self, name: &str, query: Option<&str>) -> anyhow::Result<Option<Value>> {
        let now = now();
        let Some(node) = self.store.node(name)? else {
            return Ok(None);
        };
        let limit = query
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("runs=")))
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(50)
            .min(1000);
        let jobs = self.store.jobs_of(name)?;
        let mut runs = Vec::new();
        for j in &jobs {
            runs.extend(self.store.runs(name, &j.job, limit)?);
        }
        runs.sort_by_key(|r| std::cmp::Reverse(r.ended_at));
        let alerts: Vec<_> = self
            .store
            .alerts()?
            .into_iter()
            .filter(|a| a.node == name)
            .collect();
        let rules = &self.cfg.alerts;
        let state = view::node_state(&node, &jobs, rules, now);
        let v = view::NodeView { node, jobs, state };
        Ok(Some(json!({
            "generated_at": now,
            "node": v.json(rules, now),
            "runs": runs.iter().map(|r| json!({
                "job": r.job, "run": r.run, "started_at": r.started_at, "ended_at": r.ended_at,
                "duration_secs": (r.ended_at - r.started_at).max(0), "result": r.result,
                "snapshot": r.snapshot, "files": r.files, "bytes_read": r.bytes_read,
                "bytes_added": r.bytes_added, "bytes_stored": r.bytes_stored,
                "bytes_total": r.bytes_total, "warnings": r.warnings, "error": r.error,
                "agent": r.agent, "received_at": r.received_at,
            })).collect::<Vec<_>>(),
            "alerts": alerts.iter().map(alert_json).collect::<Vec<_>>(),
        })))
    }

    fn api_alerts(&self) -> anyhow::Result<Value> {
        let mut alerts = self.store.alerts()?;
        alerts.sort_by_key(|a| std::cmp::Reverse(a.since));
        let (firing, resolved): (Vec<_>, Vec<_>) =
            alerts.iter().partition(|a| a.state == AlertState::Firing);
        let mut resolved = resolved;
        resolved.sort_by_key(|a| std::cmp::Reverse(a.resolved_at));
        resolved.truncate(200);
        Ok(json!({
            "generated_at": now(),
            "firing": firing.iter().map(|a| alert_json(a)).collect::<Vec<_>>(),
            "resolved": resolved.iter().map(|a| alert_json(a)).collect::<Vec<_>>(),
        }))
    }

    fn metrics(&self) -> anyhow::Result<String> {
        let now = now();
        let rules = &self.cfg.alerts;
        let fleet = self.fleet()?;
        let mut m = String::new();
        let family = |name: &str, kind: &str, help: &str, m: &mut String| {
            let _ = writeln!(m, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        type Get = fn(&crate::store::JobRec) -> Option<f64>;
        let per_job: [(&str, &str, Get); 6] = [
            (
                "banana_job_last_success_timestamp_seconds",
                "End of the last successful run.",
                |j| j.last_success_at.map(|t| t as f64),
            ),
            (
                "banana_job_last_run_timestamp_seconds",
                "End of the last run.",
                |j| j.last_run.as_ref().map(|r| r.ended_at as f64),
            ),
            (
                "banana_job_last_run_success",
                "1 if the last run succeeded, 0 if it failed or was partial.",
                |j| {
                    j.last_run.as_ref().map(|r| {
                        f64::from(u8::from(r.result == common::status::RunResult::Success))
                    })
                },
            ),
            (
                "banana_job_last_run_duration_seconds",
                "Duration of the last run.",
                |j| {
                    j.last_run
                        .as_ref()
                        .map(|r| (r.ended_at - r.started_at).max(0) as f64)
                },
            ),
            (
                "banana_job_last_run_bytes_total",
                "Logical size of the last run's snapshot.",
                |j| j.last_run.as_ref().map(|r| r.bytes_total as f64),
            ),
            (
                "banana_job_last_run_bytes_stored",
                "Bytes the last run wrote to storage.",
                |j| j.last_run.as_ref().map(|r| r.bytes_stored as f64),
            ),
        ];
        for (name, help, get) in per_job {
            family(name, "gauge", help, &mut m);
            for n in &fleet {
                for j in &n.jobs {
                    if let Some(v) = get(j) {
                        let _ = writeln!(
                            m,
                            "{name}{{node=\"{}\",job=\"{}\"}} {v}",
                            label(&n.node.name),
                            label(&j.job)
                        );
                    }
                }
            }
        }
        family(
            "banana_job_state",
            "gauge",
            "1 for the job's current state.",
            &mut m,
        );
        for n in &fleet {
            for j in &n.jobs {
                let s = view::job_state(&n.node, j, rules, now);
                let _ = writeln!(
                    m,
                    "banana_job_state{{node=\"{}\",job=\"{}\",state=\"{}\"}} 1",
                    label(&n.node.name),
                    label(&j.job),
                    s.name()
                );
            }
        }
        family("banana_nodes", "gauge", "Enrolled nodes by state.", &mut m);
        let mut counts: BTreeMap<&str, u64> = State::ALL.iter().map(|s| (s.name(), 0)).collect();
        for n in &fleet {
            *counts.entry(n.state.name()).or_default() += 1;
        }
        for (s, c) in counts {
            let _ = writeln!(m, "banana_nodes{{state=\"{s}\"}} {c}");
        }
        family(
            "banana_alerts_firing",
            "gauge",
            "Firing alerts by rule.",
            &mut m,
        );
        let mut by_rule: BTreeMap<String, u64> = ["overdue", "failed", "silent", "shrunk", "never"]
            .iter()
            .map(|r| ((*r).to_owned(), 0))
            .collect();
        for a in self.store.alerts()? {
            if a.state == AlertState::Firing {
                *by_rule.entry(a.rule).or_default() += 1;
            }
        }
        for (r, c) in by_rule {
            let _ = writeln!(m, "banana_alerts_firing{{rule=\"{}\"}} {c}", label(&r));
        }
        let st = &self.writer.stats;
        for (name, help, v) in [
            (
                "banana_collector_ingested_total",
                "Events stored.",
                &st.stored,
            ),
            (
                "banana_collector_duplicates_total",
                "Events received again (already stored).",
                &st.duplicates,
            ),
            (
                "banana_collector_commits_total",
                "Group commits to disk.",
                &st.commits,
            ),
        ] {
            family(name, "counter", help, &mut m);
            let _ = writeln!(m, "{name} {}", v.load(Ordering::Relaxed));
        }
        family(
            "banana_collector_rejected_total",
            "counter",
            "Requests refused, by reason.",
            &mut m,
        );
        let rejected = self.rejected.lock().map(|r| r.clone()).unwrap_or_default();
        for (reason, c) in rejected {
            let _ = writeln!(
                m,
                "banana_collector_rejected_total{{reason=\"{reason}\"}} {c}"
            );
        }
        let _ = writeln!(
            m,
            "banana_collector_rejected_total{{reason=\"writer\"}} {}",
            st.refused.load(Ordering::Relaxed)
        );
        family(
            "banana_collector_open_connections",
            "gauge",
            "Connections open now.",
            &mut m,
        );
        let _ = writeln!(
            m,
            "banana_collector_open_connections {}",
            self.gauges.open.load(Ordering::Relaxed)
        );
        family(
            "banana_collector_start_time_seconds",
            "gauge",
            "When the collector started.",
            &mut m,
        );
        let _ = writeln!(m, "banana_collector_start_time_seconds {}", self.started_at);
        Ok(m)
    }
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn label(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

fn alert_json(a: &crate::store::AlertRec) -> Value {
    json!({
        "rule": a.rule, "node": a.node, "job": a.job, "state": a.state,
        "since": a.since, "resolved_at": a.resolved_at, "message": a.message,
    })
}

/// Fields a node names things with: printable, bounded.
fn check_event(e: &Event, now: i64) -> Result<(), String> {
    let latest = now + common::status::WINDOW_SECS;
    let ended = e.ended_at.unwrap_or(e.at);
    let times_ok = (0..=latest).contains(&e.at)
        && (0..=latest).contains(&e.started_at)
        && (e.started_at..=latest).contains(&ended);
    if !times_ok {
        return Err("event times must be in the past (node clock) and end after they start".into());
    }
    let name_ok = |s: &str, max: usize| {
        !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
    };
    let id_ok = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !name_ok(&e.job, 128) {
        return Err("job must be 1-128 printable characters".into());
    }
    if !name_ok(&e.plugin, 64) {
        return Err("plugin must be 1-64 printable characters".into());
    }
    if !id_ok(&e.id) || !id_ok(&e.run) {
        return Err("id and run must be 1-64 letters, digits or '-'".into());
    }
    if e.agent.chars().count() > 128 || e.snapshot.as_ref().is_some_and(|s| s.len() > 128) {
        return Err("agent and snapshot are at most 128 characters".into());
    }
    Ok(())
}

impl Handler for App {
    fn handle(&self, req: Request) -> Outcome {
        let path = req.path.as_str();
        let post = req.method == "POST";
        match (post, path) {
            (true, "/api/v1/status") => return self.ingest(&req),
            (true, "/api/v1/enrol") => return self.enrol(&req),
            (true, _) => {
                return self.reject(
                    "bad_request",
                    405,
                    "only /api/v1/status and /api/v1/enrol take POST",
                )
            }
            (false, "/") => {
                let mut r = Reply::text(200, "text/html; charset=utf-8", PAGE.as_bytes().to_vec());
                r.headers
                    .push(("Content-Security-Policy", PAGE_CSP.to_owned()));
                r.headers
                    .push(("Referrer-Policy", "no-referrer".to_owned()));
                return Outcome::Now(r);
            }
            (false, "/api/v1/status" | "/api/v1/enrol") => {
                return self.reject("bad_request", 405, "POST only")
            }
            _ => {}
        }
        if !(path.starts_with("/api/v1/") || path == "/metrics") {
            return Outcome::Now(Reply::error(404, "no such page"));
        }
        if !self.authorized(&req) {
            self.refused("unauthorized");
            let mut r = Reply::error(
                401,
                "a viewer token is required: Authorization: Bearer TOKEN",
            );
            r.headers
                .push(("WWW-Authenticate", "Bearer realm=\"bananaui\"".to_owned()));
            return Outcome::Now(r);
        }
        let result = match path {
            "/api/v1/fleet" => self.api_fleet().map(|v| Some(Reply::json(200, &v))),
            "/api/v1/nodes" => self.api_nodes().map(|v| Some(Reply::json(200, &v))),
            "/api/v1/alerts" => self.api_alerts().map(|v| Some(Reply::json(200, &v))),
            "/metrics" => self.metrics().map(|m| {
                Some(Reply::text(
                    200,
                    "text/plain; version=0.0.4; charset=utf-8",
                    m.into_bytes(),
                ))
            }),
            p => match p.strip_prefix("/api/v1/nodes/") {
                Some(name) if common::vault::valid_node_name(name).is_ok() => self
                    .api_node(name, req.query.as_deref())
                    .map(|v| v.map(|v| Reply::json(200, &v))),
                _ => Ok(None),
            },
        };
        match result {
            Ok(Some(r)) => Outcome::Now(r),
            Ok(None) => Outcome::Now(Reply::error(404, "no such node or page")),
            Err(e) => self.store_error(e),
        }
    }

    fn refused(&self, reason: &'static str) {
        if let Ok(mut r) = self.rejected.lock() {
            *r.entry(reason).or_default() += 1;
        }
    }
}
