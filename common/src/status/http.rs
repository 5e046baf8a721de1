//! Sends envelopes and enrolment requests to the collector over HTTP(S),
//! each bounded in time: an unreachable or slow collector costs a run
//! seconds, never the backup (feature `status-http`).

use super::{Delivery, EnrolRequest, Envelope, NodeIdentity, Spool};
use crate::error::{Error, ErrorKind, Result};

/// Sends envelopes to the collector over HTTP(S), each with a short timeout:
/// an unreachable or slow collector costs a run seconds, never the backup.
pub struct Sender {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    url: String,
    base: String,
    /// Why the last delivery was put off, for the run's one message.
    held: std::sync::Mutex<Option<String>>,
}

impl Sender {
    /// A sender to `collector` (base URL), each request bounded by `timeout`.
    pub fn new(collector: &str, timeout: std::time::Duration) -> Result<Sender> {
        let base = collector.trim_end_matches('/');
        match url::Url::parse(base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(Error::new(
                    ErrorKind::BadInput,
                    format!("collector '{collector}' is not an http(s) URL"),
                ))
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("tokio runtime", e))?;
        // No pooled connection: each event is one short request, and a
        // connection a server (or proxy) closed meanwhile would cost the budget.
        // No redirect is followed: a status goes to the tower it names.
        let http = crate::bounded::client(timeout)
            .timeout(timeout)
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| Error::new(ErrorKind::Other, format!("HTTP client: {e}")))?;
        Ok(Sender {
            rt,
            http,
            url: format!("{base}/api/v1/status"),
            base: base.to_owned(),
            held: std::sync::Mutex::new(None),
        })
    }

    /// Presents an enrolment request; returns the HTTP status and the
    /// collector's answer (one line).
    pub fn enrol(&self, req: &EnrolRequest) -> Result<(u16, String)> {
        let call = self
            .http
            .post(format!("{}/api/v1/enrol", self.base))
            .json(req);
        self.rt
            .block_on(async {
                let r = call.send().await?;
                let status = r.status().as_u16();
                let text = crate::bounded::prefix(r, crate::bounded::ERROR_BODY).await;
                Ok::<_, reqwest::Error>((status, String::from_utf8_lossy(&text).into_owned()))
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "collector {} unreachable ({})",
                        self.base,
                        crate::bounded::root_cause(&e)
                    ),
                )
                .hint("check the URL and that the tower runs ('bananaui serve')")
            })
    }

    /// Presents an enrolment request of `what` (a node, a reaper); a refusal
    /// is an error with the tower's one-line reason.
    pub fn enrol_as(&self, req: &EnrolRequest, what: &str) -> Result<()> {
        let (status, body) = self.enrol(req)?;
        if status == 201 {
            return Ok(());
        }
        let msg = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "the watch tower {} refused the enrolment of {what}: {msg}",
                self.base
            ),
        ))
    }

    /// GETs `path` of the tower's read-only API (a viewer token if given)
    /// and decodes its JSON, read up to `cap` bytes.
    pub fn api_get(&self, path: &str, token: Option<&str>, cap: u64) -> Result<serde_json::Value> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let fail = |why: String| {
            Error::new(
                ErrorKind::Io,
                format!("the watch tower {}{path}: {why}", self.base),
            )
        };
        let body = self.rt.block_on(async {
            let r = req
                .send()
                .await
                .map_err(|e| fail(crate::bounded::root_cause(&e)))?;
            if !r.status().is_success() {
                return Err(fail(format!("HTTP {}", r.status().as_u16())));
            }
            crate::bounded::body(r, cap)
                .await
                .map_err(|_| fail(format!("no answer within {cap} bytes")))
        })?;
        serde_json::from_slice(&body).map_err(|e| fail(format!("not JSON: {e}")))
    }

    /// Delivers what `spool` holds, oldest first, each event signed by
    /// `id` as `node` when it is sent; all within `budget` (never past it,
    /// even against a tower that hangs), each request within `per_request`.
    /// Returns what [`Spool::deliver`] does.
    pub fn deliver(
        &self,
        spool: &Spool,
        (id, node): (&NodeIdentity, &str),
        budget: std::time::Duration,
        per_request: std::time::Duration,
    ) -> Result<(usize, usize)> {
        let deadline = std::time::Instant::now() + budget;
        spool.deliver(|ev| {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Delivery::Retry;
            }
            let env = id.sign(node, ev, crate::unix_now());
            self.send_within(&env, Some(left.min(per_request)))
        })
    }

    /// Posts one envelope.
    pub fn send(&self, env: &Envelope) -> Delivery {
        self.send_within(env, None)
    }

    /// Posts one envelope, giving up after `limit` (at most the client's timeout).
    pub fn send_within(&self, env: &Envelope, limit: Option<std::time::Duration>) -> Delivery {
        let mut req = self.http.post(&self.url).json(env);
        if let Some(l) = limit {
            req = req.timeout(l);
        }
        let status = self
            .rt
            .block_on(async { req.send().await.map(|r| r.status().as_u16()) });
        if let Err(e) = &status {
            tracing::debug!("status delivery: {e:?}");
        }
        let held = match &status {
            Err(e) if e.is_timeout() => Some(format!(
                "tower {} unreachable (no answer in time)",
                self.base
            )),
            Err(e) => Some(format!(
                "tower {} unreachable ({})",
                self.base,
                crate::bounded::root_cause(e)
            )),
            Ok(s @ (401 | 403)) => Some(format!(
                "tower {} answered {s} (this node is not enrolled there yet, or its clock is off)",
                self.base
            )),
            Ok(s @ (408 | 429 | 500..)) => Some(format!("tower {} answered {s}", self.base)),
            Ok(_) => None,
        };
        if held.is_some() {
            *self.held.lock().unwrap_or_else(|p| p.into_inner()) = held;
        }
        match status {
            // Stored, or already stored (the duplicate answer is a 200).
            Ok(s) if (200..300).contains(&s) => Delivery::Accepted,
            // 401/403: not enrolled at the collector yet, or a clock off;
            // 408/429: slow or throttled. Kept (the spool is bounded).
            Ok(401 | 403 | 408 | 429) | Ok(500..) | Err(_) => Delivery::Retry,
            // Any other answer: refused for good, kept aside in `refused/`.
            Ok(_) => Delivery::Refused,
        }
    }

    /// Why the last event held back was not delivered (one line), if any was.
    pub fn held_because(&self) -> Option<String> {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
