//! A fake HTTP receiver on loopback: records every request's path and body
//! and answers with a status the test chooses (200 by default). It stops when
//! dropped, and by itself after an hour (a leaked one does not live on; no
//! test, however slow the machine, uses one that long).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path.
    pub path: String,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// The receiver; see the module docs.
pub struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    /// Listens on 127.0.0.1:`port` (0: any free port).
    pub fn start(port: u16) -> std::io::Result<Receiver> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let stop = Arc::new(AtomicBool::new(false));
        let (g, st, s) = (got.clone(), stop.clone(), status.clone());
        let thread = std::thread::spawn(move || {
            let end = Instant::now() + Duration::from_secs(3600);
            while !st.load(Ordering::Relaxed) && Instant::now() < end {
                match listener.accept() {
                    Ok((sock, _)) => {
                        if let Some(r) = serve_one(sock, s.load(Ordering::Relaxed)) {
                            g.lock().unwrap_or_else(|p| p.into_inner()).push(r);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Receiver {
            port,
            got,
            status,
            stop,
            thread: Some(thread),
        })
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Answers later requests with `status`.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Received> {
        self.got.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Every body so far that is JSON, decoded.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.requests()
            .iter()
            .filter_map(|r| serde_json::from_slice(&r.body).ok())
            .collect()
    }
}

fn serve_one(sock: std::net::TcpStream, status: u16) -> Option<Received> {
    sock.set_nonblocking(false).ok()?;
    // Ends a client that never sends, not a slow one on a loaded machine.
    sock.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let mut r = BufReader::new(sock.try_clone().ok()?);
    let mut first = String::new();
    r.read_line(&mut first).ok()?;
    let path = first.split(' ').nth(1).unwrap_or_default().to_owned();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len.min(16 << 20)];
    let complete = r.read_exact(&mut body).is_ok();
    let mut sock = sock;
    let answer =
        format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");
    let _ = sock.write_all(answer.as_bytes());
    complete.then_some(Received { path, body })
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
