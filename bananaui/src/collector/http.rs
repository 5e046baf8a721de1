//! The collector's HTTP/1.1 front end.
//!
//! tiny_http 0.12's own server loop cannot be bounded: it starts one thread per
//! open connection, reads header lines without a length or count cap, treats an
//! invalid `Content-Length` as "no body", and stops accepting for good on the
//! first `accept()` error. So this module owns the sockets (tokio tasks, not
//! threads, so idle connections cost a few hundred bytes) and enforces:
//!
//! - one deadline for the whole request (`read_timeout`), another for the answer;
//! - at most `max_connections` open at once (beyond: closed at once);
//! - a capped head (`max_head` bytes, `max_header_line` per line, `max_headers`),
//!   parsed by `httparse` (hyper's parser, fuzzed for years);
//! - a strict `Content-Length` (digits only, one value, at most `max_body`,
//!   checked before any body byte is read; no `Transfer-Encoding`);
//! - one request per connection (`Connection: close`).
//!
//! Requests are then answered on a fixed pool of blocking threads; tiny_http
//! writes the answers (`Response::raw_print`).

use crate::config::Limits;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

/// A parsed request.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `HEAD` or `POST`.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body (at most `max_body`).
    pub body: Vec<u8>,
    /// The peer.
    pub peer: SocketAddr,
}

impl Request {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content type.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON answer; `<`, `>` and `&` are escaped so node-provided text can
    /// never be read as markup, whatever a client does with it.
    pub fn json<T: serde::Serialize + ?Sized>(status: u16, v: &T) -> Reply {
        let text = serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned());
        let mut out = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            match c {
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                // serde_json leaves DEL and C1 raw: escape every control character.
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            body: out.into_bytes(),
            headers: Vec::new(),
        }
    }

    /// A JSON error: `{"error": msg}`.
    pub fn error(status: u16, msg: &str) -> Reply {
        Reply::json(status, &serde_json::json!({ "error": msg }))
    }

    /// Plain text.
    pub fn text(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    fn bytes(self, head_only: bool) -> Vec<u8> {
        let mut r = tiny_http::Response::from_data(self.body).with_status_code(self.status);
        let fixed = [
            ("Content-Type", self.content_type),
            ("Server", "bananaui"),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store"),
        ];
        let extra = self.headers.iter().map(|(k, v)| (*k, v.as_str()));
        for (k, v) in fixed.into_iter().chain(extra) {
            if let Some(h) = header(k, v) {
                r.add_header(h);
            }
        }
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = r.raw_print(&mut out, tiny_http::HTTPVersion(1, 1), &[], head_only, None);
        // tiny_http drops a `Connection` header given to it; without one an
        // HTTP/1.1 client keeps the connection for its next request and
        // races our close ("connection closed before message completed").
        let status_line = out
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(0, |p| p + 2);
        out.splice(status_line..status_line, *b"Connection: close\r\n");
        out
    }
}

fn header(k: &str, v: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).ok()
}

/// What the application does with a request: answers now, or later (an
/// ingest waits for its group commit without holding a thread).
pub enum Outcome {
    /// The answer.
    Now(Reply),
    /// The answer, once the writer has made the record durable.
    Later(tokio::sync::oneshot::Receiver<Reply>),
}

/// The application behind the front end.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request (called on a blocking worker thread).
    fn handle(&self, req: Request) -> Outcome;
    /// Counts a request refused by the front end itself.
    fn refused(&self, reason: &'static str);
}

/// Live counts, for tests and metrics.
#[derive(Debug, Default)]
pub struct Gauges {
    /// Connections open now.
    pub open: AtomicUsize,
}

/// Serves `listener` until `shutdown` completes.
pub fn serve(
    listener: std::net::TcpListener,
    limits: Limits,
    app: Arc<dyn Handler>,
    gauges: Arc<Gauges>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(limits.workers)
        .thread_name("bananaui-http")
        .enable_all()
        .build()?;
    listener.set_nonblocking(true)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let limits = Arc::new(limits);
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                () = &mut shutdown => return Ok(()),
            };
            let (stream, peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: wait a little, never stop accepting.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if gauges.open.load(Ordering::Relaxed) >= limits.max_connections {
                app.refused("connections");
                drop(stream);
                continue;
            }
            gauges.open.fetch_add(1, Ordering::Relaxed);
            let (app, limits) = (app.clone(), limits.clone());
            let slot = Slot(gauges.clone());
            tokio::spawn(async move {
                let _slot = slot;
                connection(stream, peer, &limits, app).await;
            });
        }
    })
}

/// One open connection, counted until dropped (also if its task panics).
struct Slot(Arc<Gauges>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request the front end refuses, with its status and counter name.
struct Refusal(u16, &'static str, &'static str);

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    limits: &Limits,
    app: Arc<dyn Handler>,
) {
    let _ = stream.set_nodelay(true);
    let deadline = Instant::now() + limits.read_timeout.dur();
    // Allocate nothing until the client sends something: idle connections are cheap.
    if timeout_at(deadline, stream.readable()).await.is_err() {
        app.refused("timeout");
        return;
    }
    let (req, head_only) = match read_request(&mut stream, peer, limits, deadline).await {
        Ok(Some(r)) => {
            let head = r.method == "HEAD";
            (r, head)
        }
        Ok(None) => return,
        Err(Refusal(status, reason, msg)) => {
            app.refused(reason);
            write(&mut stream, Reply::error(status, msg).bytes(false), limits).await;
            linger(&mut stream).await;
            return;
        }
    };
    let worker = app.clone();
    let outcome = tokio::task::spawn_blocking(move || worker.handle(req)).await;
    let reply = match outcome {
        Ok(Outcome::Now(r)) => r,
        Ok(Outcome::Later(rx)) => rx
            .await
            .unwrap_or_else(|_| Reply::error(503, "the store is not available; retry")),
        Err(_) => Reply::error(500, "internal error"),
    };
    write(&mut stream, reply.bytes(head_only), limits).await;
}

async fn write(stream: &mut TcpStream, bytes: Vec<u8>, limits: &Limits) {
    let deadline = Instant::now() + limits.write_timeout.dur();
    let _ = timeout_at(deadline, async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    })
    .await;
}

/// After refusing a request whose rest is still arriving, reads and drops a
/// bounded amount for a short time, so the client sees the answer instead of a
/// reset (closing with unread data makes the kernel send RST).
async fn linger(stream: &mut TcpStream) {
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut sink: Vec<u8> = Vec::new();
    let mut left: usize = 1 << 20;
    while left > 0 {
        sink.clear();
        match read_some(stream, &mut sink, 4096, deadline).await {
            Ok(n) => left = left.saturating_sub(n),
            Err(_) => break,
        }
    }
}

enum ReadEnd {
    Timeout,
    Closed,
}

/// Reads what is available (at most about `want` bytes) onto `buf`, waiting
/// until `deadline`. Memory is taken only once bytes have arrived, so a
/// waiting connection holds no buffer.
async fn read_some(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    want: usize,
    deadline: Instant,
) -> Result<usize, ReadEnd> {
    loop {
        match timeout_at(deadline, stream.readable()).await {
            Err(_) => return Err(ReadEnd::Timeout),
            Ok(Err(_)) => return Err(ReadEnd::Closed),
            Ok(Ok(())) => {}
        }
        buf.reserve_exact(want.max(1));
        match stream.try_read_buf(buf) {
            Ok(0) => return Err(ReadEnd::Closed),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return Err(ReadEnd::Closed),
        }
    }
}

/// Where the line being received starts (after the last CRLF).
fn line_start(buf: &[u8]) -> usize {
    buf.windows(2)
        .rposition(|w| w == b"\r\n")
        .map_or(0, |p| p + 2)
}

/// The request head, parsed by `httparse` (hyper's parser) within the caps.
struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    /// Bytes received after the head (the start of the body).
    rest: Vec<u8>,
}

fn too_large(what: &'static str) -> Refusal {
    Refusal(431, "header_too_large", what)
}

/// Reads until the head is complete, refusing heads, lines or header counts
/// over the caps as soon as they are exceeded. `Ok(None)`: the client sent
/// nothing, or went away.
async fn read_head(
    stream: &mut TcpStream,
    limits: &Limits,
    deadline: Instant,
) -> Result<Option<Head>, Refusal> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        if let Some(head) = parse_head(&buf, limits)? {
            return Ok(Some(head));
        }
        // The line being received must stay under the line cap, the head under its cap.
        if buf.len() - line_start(&buf) > limits.max_header_line {
            return Err(too_large("a header line is too long"));
        }
        if buf.len() >= limits.max_head {
            return Err(too_large("the request head is too large"));
        }
        let room = (limits.max_head - buf.len()).min(2048);
        match read_some(stream, &mut buf, room, deadline).await {
            Err(ReadEnd::Timeout) if buf.is_empty() => return Ok(None),
            Err(ReadEnd::Timeout) => {
                return Err(Refusal(408, "timeout", "request not received in time"))
            }
            Err(ReadEnd::Closed) => return Ok(None),
            Ok(_) => {}
        }
    }
}

/// Parses what arrived so far: `Ok(None)` while the head is incomplete.
fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<Head>, Refusal> {
    if buf.is_empty() {
        return Ok(None);
    }
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut slots);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => {
            let head = &buf[..n];
            if head
                .split(|&c| c == b'\n')
                .any(|l| l.len() > limits.max_header_line + 1)
            {
                return Err(too_large("a header line is too long"));
            }
            head_of(&req, buf[n..].to_vec()).map(Some)
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(too_large("too many headers")),
        Err(httparse::Error::Version) => {
            Err(Refusal(400, "bad_request", "only HTTP/1.0 and HTTP/1.1"))
        }
        Err(_) => Err(Refusal(400, "bad_request", "malformed request head")),
    }
}

/// The fuzz target's entry: a request head as received, parsed and checked
/// (length, headers) within the default limits. Never panics.
pub fn fuzz_request_head(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(Some(head)) = parse_head(data, &limits) {
        let _ = body_length(&head.method, &head.headers, limits.max_body);
    }
}

/// Checks a complete head: method, target, header values.
fn head_of(req: &httparse::Request<'_, '_>, rest: Vec<u8>) -> Result<Head, Refusal> {
    let method = req.method.unwrap_or_default();
    if !matches!(method, "GET" | "HEAD" | "POST") {
        return Err(Refusal(405, "bad_request", "method not allowed"));
    }
    let target = req.path.unwrap_or_default();
    if !target.starts_with('/') {
        return Err(Refusal(400, "bad_request", "the target must be a path"));
    }
    let mut headers = Vec::with_capacity(req.headers.len());
    for h in req.headers.iter() {
        let v = std::str::from_utf8(h.value)
            .map_err(|_| Refusal(400, "bad_request", "a header value is not UTF-8"))?;
        headers.push((h.name.to_ascii_lowercase(), v.trim().to_owned()));
    }
    Ok(Head {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        rest,
    })
}

/// The body's length: one strict `Content-Length` (digits only, repeats
/// only with the same value), required for POST; no `Transfer-Encoding`.
fn body_length(method: &str, headers: &[(String, String)], max: usize) -> Result<usize, Refusal> {
    if headers.iter().any(|(k, _)| k == "transfer-encoding") {
        return Err(Refusal(
            400,
            "bad_request",
            "Transfer-Encoding is not accepted; send Content-Length",
        ));
    }
    let bad = || {
        Refusal(
            400,
            "bad_request",
            "Content-Length must be a decimal number",
        )
    };
    let mut length: Option<u64> = None;
    for (_, v) in headers.iter().filter(|(k, _)| k == "content-length") {
        if v.is_empty() || v.len() > 19 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u64 = v.parse().map_err(|_| bad())?;
        if length.is_some_and(|l| l != n) {
            return Err(Refusal(
                400,
                "bad_request",
                "conflicting Content-Length headers",
            ));
        }
        length = Some(n);
    }
    let length = match (method, length) {
        ("POST", None) => return Err(Refusal(411, "bad_request", "Content-Length required")),
        (_, l) => l.unwrap_or(0),
    };
    if length > max as u64 {
        return Err(Refusal(413, "too_large", "request body too large"));
    }
    Ok(length as usize)
}

async fn read_request(
    stream: &mut TcpStream,
    peer: SocketAddr,
    limits: &Limits,
    deadline: Instant,
) -> Result<Option<Request>, Refusal> {
    let Some(head) = read_head(stream, limits, deadline).await? else {
        return Ok(None);
    };
    let length = body_length(&head.method, &head.headers, limits.max_body)?;
    let mut body = head.rest;
    let over = || {
        Refusal(
            400,
            "bad_request",
            "more data than Content-Length (one request per connection)",
        )
    };
    if body.len() > length {
        return Err(over());
    }
    let expects = head
        .headers
        .iter()
        .any(|(k, v)| k == "expect" && v.eq_ignore_ascii_case("100-continue"));
    if body.len() < length && expects {
        let _ = timeout_at(deadline, stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")).await;
    }
    body.reserve_exact(length - body.len());
    while body.len() < length {
        let want = length - body.len();
        match read_some(stream, &mut body, want, deadline).await {
            Err(ReadEnd::Timeout) => {
                return Err(Refusal(408, "timeout", "request body not received in time"))
            }
            Err(ReadEnd::Closed) => return Ok(None),
            Ok(_) => {}
        }
    }
    if body.len() > length {
        return Err(over());
    }
    let (path, query) = match head.target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (head.target, None),
    };
    Ok(Some(Request {
        method: head.method,
        path,
        query,
        headers: head.headers,
        body,
        peer,
    }))
}
