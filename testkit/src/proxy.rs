//! A fault-injecting HTTP proxy on loopback, between a client and a real
//! server: it passes each request through or, at configured rates, answers
//! 503, resets the connection, stalls past the client's timeout, or passes
//! the request and truncates the answer. It can also play dead (every
//! connection closed at once) and come back. Faults happen below the retry
//! layer, on the wire, so what is tested is what a flaky network does.
//!
//! One request per connection: the proxy asks the server to close after
//! each answer and tells the client the same, so every request is judged on
//! its own.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often each fault happens (fractions of requests, 0–1).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rates {
    /// Answered `503 Service Unavailable` without reaching the server.
    pub error: f64,
    /// The connection closed without an answer.
    pub reset: f64,
    /// Nothing for `stall_for`, then closed.
    pub stall: f64,
    /// Passed to the server; the client gets the head and half the body.
    pub truncate: f64,
    /// How long a stall lasts (longer than the client's timeout).
    pub stall_for: Duration,
}

struct State {
    upstream: SocketAddr,
    rates: Mutex<Rates>,
    down: AtomicBool,
    rng: Mutex<u64>,
    injected: AtomicU64,
    passed: AtomicU64,
    lines: Mutex<Vec<String>>,
}

/// The running proxy (threads end with the process).
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: SocketAddr, rates: Rates, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            upstream,
            rates: Mutex::new(rates),
            down: AtomicBool::new(false),
            rng: Mutex::new(seed | 1),
            injected: AtomicU64::new(0),
            passed: AtomicU64::new(0),
            lines: Mutex::new(Vec::new()),
        });
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(&st, conn);
                });
            }
        });
        FaultProxy { addr, state }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Plays dead (every connection closed at once) or comes back.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Changes the rates.
    pub fn set_rates(&self, r: Rates) {
        *self.state.rates.lock().unwrap_or_else(|p| p.into_inner()) = r;
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.state.injected.load(Ordering::Relaxed)
    }

    /// Requests passed through whole.
    pub fn passed(&self) -> u64 {
        self.state.passed.load(Ordering::Relaxed)
    }

    /// Requests so far whose first line contains `needle`.
    pub fn seen(&self, needle: &str) -> usize {
        let lines = self.state.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().filter(|l| l.contains(needle)).count()
    }
}

impl State {
    fn roll(&self) -> f64 {
        let mut s = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }
}

enum Fault {
    Error,
    Reset,
    Stall(Duration),
    Truncate,
}

fn pick(st: &State) -> Option<Fault> {
    let r = *st.rates.lock().unwrap_or_else(|p| p.into_inner());
    let x = st.roll();
    let mut edge = r.error;
    if x < edge {
        return Some(Fault::Error);
    }
    edge += r.reset;
    if x < edge {
        return Some(Fault::Reset);
    }
    edge += r.stall;
    if x < edge {
        return Some(Fault::Stall(r.stall_for));
    }
    edge += r.truncate;
    (x < edge).then_some(Fault::Truncate)
}

/// Reads one request: head and `Content-Length` body.
fn read_request(c: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 65536];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return Err(std::io::Error::other("head too long"));
        }
        let n = c.read(&mut tmp)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = c.read(&mut tmp)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    Ok(buf)
}

/// `raw` (a request or response) with `Connection: close` in its head.
fn closing(raw: &[u8]) -> Vec<u8> {
    let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return raw.to_vec();
    };
    let head = String::from_utf8_lossy(&raw[..i]);
    let mut out: Vec<u8> = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes();
    out.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    out.extend_from_slice(&raw[i + 4..]);
    out
}

fn forward(st: &State, req: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect_timeout(&st.upstream, Duration::from_secs(5))?;
    up.set_read_timeout(Some(Duration::from_secs(120)))?;
    up.write_all(&closing(req))?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    Ok(resp)
}

fn serve(st: &State, mut c: TcpStream) -> std::io::Result<()> {
    if st.down.load(Ordering::SeqCst) {
        return c.shutdown(Shutdown::Both);
    }
    c.set_read_timeout(Some(Duration::from_secs(120)))?;
    let req = read_request(&mut c)?;
    let first = req.split(|b| *b == b'\r').next().unwrap_or_default();
    st.lines
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(String::from_utf8_lossy(first).into_owned());
    let fault = pick(st);
    if fault.is_some() {
        st.injected.fetch_add(1, Ordering::Relaxed);
    }
    match fault {
        Some(Fault::Error) => c.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?,
        Some(Fault::Reset) => {}
        Some(Fault::Stall(d)) => std::thread::sleep(d),
        Some(Fault::Truncate) => {
            let resp = closing(&forward(st, &req)?);
            let body = resp
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(resp.len(), |i| i + 4);
            let cut = body + (resp.len() - body) / 2;
            // A body of nothing cannot be cut: the answer is cut in its head.
            let cut = if cut == body { body / 2 } else { cut };
            c.write_all(&resp[..cut])?;
        }
        None => {
            let resp = forward(st, &req)?;
            st.passed.fetch_add(1, Ordering::Relaxed);
            c.write_all(&closing(&resp))?;
        }
    }
    c.shutdown(Shutdown::Both)
}
