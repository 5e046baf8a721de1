//! The collector's routes: ingest and enrolment (POST), the read-only JSON API,
//! `/metrics` and the page (GET). `docs/api.md` documents every answer.

use super::http::{Handler, Outcome, Reply, Request};
use super::ingest::{check_event, principal};
use super::store::{AlertState, NodeRec, Store};
use super::view;
use super::writer::{EventOp, Op, Writer};
use crate::api::{self, State};
use crate::config::Config;
use proto::status::{EnrolRequest, Envelope};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;

const PAGE: &str = include_str!("page.html");
const PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";

use proto::unix_now as now;

/// The collector.
pub struct App {
    pub(super) store: Store,
    pub(super) writer: Writer,
    pub(super) cfg: Config,
    data: PathBuf,
    viewer_token: Option<blake3::Hash>,
    pub(super) started_at: i64,
    pub(super) rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// Status posts refused here (before the writer).
    statuses_refused: AtomicU64,
    /// Enrolment requests refused here (before the writer).
    enrolments_refused: AtomicU64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    /// Open connections (for `/metrics`).
    pub gauges: Arc<super::http::Gauges>,
}

impl App {
    /// The collector over `store`, writing through `writer`.
    pub fn new(
        store: Store,
        writer: Writer,
        cfg: Config,
        data: PathBuf,
        viewer_token: Option<String>,
        gauges: Arc<super::http::Gauges>,
    ) -> App {
        App {
            store,
            writer,
            cfg,
            data,
            viewer_token: viewer_token.map(|t| blake3::hash(t.trim().as_bytes())),
            started_at: now(),
            rejected: Mutex::new(BTreeMap::new()),
            statuses_refused: AtomicU64::new(0),
            enrolments_refused: AtomicU64::new(0),
            buckets: Mutex::new(HashMap::new()),
            gauges,
        }
    }

    /// Refuses a request: counted by reason, logged (at info: a refused
    /// status or enrolment is what an operator looks for), answered.
    fn reject(&self, req: &Request, reason: &'static str, status: u16, msg: &str) -> Outcome {
        self.refused(reason);
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/api/v1/status") => self.statuses_refused.fetch_add(1, Ordering::Relaxed),
            ("POST", "/api/v1/enrol") => self.enrolments_refused.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        tracing::info!(
            "refused {} {} from {}: {status} {}",
            req.method,
            proto::humanize::printable(&req.path),
            req.peer,
            proto::humanize::printable(msg)
        );
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
            Err(e) => {
                return self.reject(
                    req,
                    "malformed",
                    400,
                    &format!("not a status envelope: {e}"),
                )
            }
        };
        if proto::names::valid_node_name(&env.node).is_err() {
            return self.reject(req, "malformed", 400, "the node name is not valid");
        }
        let node = match self.store.node(&env.node) {
            Ok(Some(n)) => n,
            Ok(None) => {
                return self.reject(
                    req,
                    "unknown_node",
                    403,
                    &format!("node '{}' is not enrolled at this tower", env.node),
                )
            }
            Err(e) => return self.store_error(e),
        };
        let key = match proto::status::parse_public(&node.public_key) {
            Ok(k) => k,
            Err(e) => return self.store_error(anyhow::anyhow!("key of node {}: {e}", node.name)),
        };
        let now = now();
        let event = match proto::status::verify(&env, &key, now) {
            Ok(ev) => ev,
            Err(r) => {
                let (reason, msg) = rejection(&r, &env.node);
                return self.reject(req, reason, r.status(), &msg);
            }
        };
        if let Err((status, msg)) = check_event(&event, now) {
            return self.reject(req, "malformed", status, &msg);
        }
        if let Err(msg) = principal(&node, &event) {
            return self.reject(req, "wrong_principal", 403, &msg);
        }
        if !self.allow(&env.node) {
            return self.reject(
                req,
                "rate_limited",
                429,
                "too many events from this node; retry later",
            );
        }
        let (tx, rx) = oneshot::channel();
        let op = Op::Event(Box::new(EventOp {
            node: env.node,
            key: node.public_key.clone(),
            ts: env.timestamp,
            nonce: env.nonce,
            body_hash: env.body_hash,
            event,
            now,
            reply: tx,
        }));
        if self.writer.send(op) {
            Outcome::Later(rx)
        } else {
            self.reject(req, "busy", 503, "the collector is busy; retry")
        }
    }

    fn enrol(&self, req: &Request) -> Outcome {
        let er: EnrolRequest = match serde_json::from_slice(&req.body) {
            Ok(e) => e,
            Err(e) => {
                return self.reject(
                    req,
                    "malformed",
                    400,
                    &format!("not an enrolment request: {e}"),
                )
            }
        };
        if proto::names::valid_node_name(&er.node).is_err() {
            return self.reject(req, "malformed", 400, "the node name is not valid");
        }
        let now = now();
        let refused = "no enrolment is pending for this node under this code (issue one with 'bananaui node add NAME' on the tower)";
        let pending = match super::enrol::read(&self.data, &er.node) {
            Ok(Some(p)) => p,
            Ok(None) => return self.reject(req, "enrolment", 403, refused),
            Err(e) => return self.store_error(e),
        };
        let presented = blake3::hash(er.code.trim().as_bytes());
        let expected = blake3::Hash::from_hex(&pending.code_hash).ok();
        // blake3::Hash compares in constant time.
        if expected != Some(presented) {
            return self.reject(req, "enrolment", 403, refused);
        }
        if now > pending.expires_at {
            return self.reject(
                req,
                "enrolment",
                403,
                "this enrolment code has expired; issue a new one with 'bananaui node add'",
            );
        }
        if let Err(r) = proto::status::verify_enrol(&er, now) {
            let (reason, msg) = match r {
                proto::status::Rejection::Malformed(_) => (
                    "malformed",
                    "the enrolment request is malformed (public key or version)",
                ),
                proto::status::Rejection::Expired => (
                    "expired",
                    "the enrolment request's timestamp is outside the 5 minute window (check the node's clock)",
                ),
                proto::status::Rejection::BadSignature => (
                    "bad_signature",
                    "the enrolment request is not signed by the key it presents",
                ),
            };
            return self.reject(req, reason, r.status(), msg);
        }
        let (tx, rx) = oneshot::channel();
        let op = Op::Enrol {
            rec: Box::new(NodeRec {
                name: er.node.clone(),
                public_key: er.public_key.to_ascii_lowercase(),
                enrolled_at: now,
                last_seen_at: None,
                agent: None,
                refused_events: None,
                reaper: pending.reaper,
                drill_host: pending.drill_host,
                copier: pending.copier,
                ..NodeRec::default()
            }),
            replace: pending.replace,
            pending: super::enrol::pending_path(&self.data, &er.node),
            code_hash: pending.code_hash.clone(),
            reply: tx,
        };
        if self.writer.send(op) {
            Outcome::Later(rx)
        } else {
            self.reject(req, "busy", 503, "the collector is busy; retry")
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

    pub(super) fn fleet(&self) -> anyhow::Result<Vec<view::NodeView>> {
        Ok(view::fleet(
            self.store.nodes()?,
            self.store.jobs()?,
            &self.store.witnesses()?,
            &self.cfg.alerts,
            now(),
        ))
    }

    fn api_fleet(&self) -> anyhow::Result<api::Fleet> {
        let fleet = self.fleet()?;
        let mut states: BTreeMap<String, u64> = State::ALL
            .iter()
            .map(|s| (s.name().to_owned(), 0))
            .collect();
        let mut jobs = 0;
        for n in &fleet {
            *states.entry(n.state.name().to_owned()).or_default() += 1;
            jobs += n.jobs.len() as u64;
        }
        let firing = self
            .store
            .alerts()?
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .count() as u64;
        Ok(api::Fleet {
            generated_at: now(),
            nodes: fleet.len() as u64,
            jobs,
            states,
            alerts_firing: firing,
            collector: api::Collector {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                started_at: self.started_at,
                ingested: self.writer.stats.stored.load(Ordering::Relaxed),
                rejected: self
                    .rejected
                    .lock()
                    .map(|r| r.values().sum::<u64>())
                    .unwrap_or(0)
                    + self.writer.stats.refused_statuses.load(Ordering::Relaxed)
                    + self.writer.stats.refused_enrolments.load(Ordering::Relaxed),
                statuses_refused: self.statuses_refused.load(Ordering::Relaxed)
                    + self.writer.stats.refused_statuses.load(Ordering::Relaxed),
                enrolments_refused: self.enrolments_refused.load(Ordering::Relaxed)
                    + self.writer.stats.refused_enrolments.load(Ordering::Relaxed),
            },
        })
    }

    fn api_nodes(&self) -> anyhow::Result<api::Nodes> {
        let now = now();
        let rules = &self.cfg.alerts;
        Ok(api::Nodes {
            generated_at: now,
            nodes: self.fleet()?.iter().map(|n| n.api(rules, now)).collect(),
        })
    }

    fn api_node(&self, name: &str, query: Option<&str>) -> anyhow::Result<Option<api::Detail>> {
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
        let alerts = self
            .store
            .alerts()?
            .iter()
            .filter(|a| a.node == name)
            .map(view::alert)
            .collect();
        let rules = &self.cfg.alerts;
        let state = view::node_state(&node, &jobs, rules, now);
        let lost_held = view::lost_held(&self.store.witnesses_of(name)?)
            .remove(name)
            .unwrap_or_default();
        let v = view::NodeView {
            node,
            jobs,
            state,
            lost_held,
        };
        Ok(Some(api::Detail {
            generated_at: now,
            node: v.api(rules, now),
            runs: runs.iter().map(view::run).collect(),
            alerts,
        }))
    }

    fn api_alerts(&self) -> anyhow::Result<api::Alerts> {
        let mut alerts = self.store.alerts()?;
        alerts.sort_by_key(|a| std::cmp::Reverse(a.since));
        let (firing, mut resolved): (Vec<_>, Vec<_>) =
            alerts.iter().partition(|a| a.state == AlertState::Firing);
        resolved.sort_by_key(|a| std::cmp::Reverse(a.resolved_at));
        resolved.truncate(200);
        Ok(api::Alerts {
            generated_at: now(),
            firing: firing.into_iter().map(view::alert).collect(),
            resolved: resolved.into_iter().map(view::alert).collect(),
        })
    }
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
                    &req,
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
                return self.reject(&req, "bad_request", 405, "POST only")
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
            "/metrics" => super::metrics::render(self).map(|m| {
                Some(Reply::text(
                    200,
                    "text/plain; version=0.0.4; charset=utf-8",
                    m.into_bytes(),
                ))
            }),
            p => match p.strip_prefix("/api/v1/nodes/") {
                Some(name) if proto::names::valid_node_name(name).is_ok() => self
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

/// Why a status envelope did not verify: the counter's name and one line.
fn rejection(r: &proto::status::Rejection, node: &str) -> (&'static str, String) {
    use proto::status::Rejection;
    match r {
        Rejection::Malformed(m) => ("malformed", m.clone()),
        Rejection::BadSignature => (
            "bad_signature",
            format!("the signature does not verify under node '{node}''s key"),
        ),
        Rejection::Expired => (
            "expired",
            "the timestamp is outside the 5 minute window (check the node's clock)".into(),
        ),
    }
}
