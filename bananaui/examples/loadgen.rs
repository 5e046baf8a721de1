//! Load generator for `bench/collector.sh`: N simulated nodes (in-memory
//! identities, enrolled through the real enrolment endpoint) push signed
//! `finished` statuses over loopback to a running `bananaui serve`.
//!
//! Phase 1 (closed loop, `--concurrency` clients): sustained acknowledged
//! (durable: the tower answers only after its group commit) statuses/s.
//! Phase 2 (open loop at `--rate`/s): latency measured from each request's
//! scheduled send time, so queueing is counted (no coordinated omission).
//!
//! `cargo run --release -p bananaui --example loadgen -- --url http://127.0.0.1:7460 --data DIR`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proto::status::{Event, EventKind, NodeIdentity, RunResult};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Opts {
    addr: SocketAddr,
    data: std::path::PathBuf,
    nodes: usize,
    duration: u64,
    concurrency: usize,
    rate: u64,
}

fn opts() -> Opts {
    let mut o = Opts {
        addr: "127.0.0.1:7460".parse().unwrap(),
        data: "bench/work/tower".into(),
        nodes: 10_000,
        duration: 10,
        concurrency: 64,
        rate: 500,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--url" => {
                o.addr = v
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .parse()
                    .unwrap()
            }
            "--data" => o.data = v.into(),
            "--nodes" => o.nodes = v.parse().unwrap(),
            "--duration" => o.duration = v.parse().unwrap(),
            "--concurrency" => o.concurrency = v.parse().unwrap(),
            "--rate" => o.rate = v.parse().unwrap(),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

fn now() -> i64 {
    proto::unix_now()
}

fn post(addr: SocketAddr, path: &str, body: &[u8]) -> u16 {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return 0;
    };
    let _ = s.set_nodelay(true);
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: tower\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    if s.write_all(&req).is_err() {
        return 0;
    }
    let mut out = Vec::with_capacity(512);
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn status(id: &NodeIdentity, node: &str) -> Vec<u8> {
    let t = now();
    let run = hex::encode(rand::random::<[u8; 16]>());
    let mut e = Event::new(EventKind::Finished, &run, "backup", "fs", t - 60, t);
    e.ended_at = Some(t);
    e.result = Some(RunResult::Success);
    e.every_secs = Some(86400);
    e.files = 1234;
    e.bytes_total = 50 << 20;
    e.bytes_stored = 1 << 20;
    serde_json::to_vec(&id.sign(node, &e, t)).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let o = opts();
    let t0 = Instant::now();
    let nodes: Arc<Vec<(String, NodeIdentity)>> = Arc::new(
        (0..o.nodes)
            .map(|i| (format!("sim-{i:06}"), NodeIdentity::generate()))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (nodes, next, data, addr) = (nodes.clone(), next.clone(), o.data.clone(), o.addr);
            std::thread::spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, id)) = nodes.get(i) else {
                    break;
                };
                let code = bananaui::collector::enrol::add(
                    &data,
                    name,
                    3600,
                    true,
                    Default::default(),
                    now(),
                )
                .unwrap();
                let req = id.enrol_request(name, &code, now());
                let s = post(addr, "/api/v1/enrol", &serde_json::to_vec(&req).unwrap());
                assert!(s == 201, "enrolling {name}: HTTP {s}");
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    println!(
        "enrolled {} nodes in {:.1} s",
        o.nodes,
        t0.elapsed().as_secs_f64()
    );

    // Phase 1: closed loop, as fast as acknowledgements come.
    let end = Instant::now() + Duration::from_secs(o.duration);
    let start = Instant::now();
    let handles: Vec<_> = (0..o.concurrency)
        .map(|c| {
            let nodes = nodes.clone();
            let addr = o.addr;
            let conc = o.concurrency;
            std::thread::spawn(move || {
                let (mut ok, mut other, mut lat) = (0u64, 0u64, Vec::new());
                let mut i = c;
                while Instant::now() < end {
                    let (name, id) = &nodes[i % nodes.len()];
                    i += conc;
                    let body = status(id, name);
                    let t = Instant::now();
                    if post(addr, "/api/v1/status", &body) == 200 {
                        ok += 1;
                        lat.push(t.elapsed());
                    } else {
                        other += 1;
                    }
                }
                (ok, other, lat)
            })
        })
        .collect();
    let (mut ok, mut other, mut lat) = (0, 0, Vec::new());
    for h in handles {
        let (a, b, l) = h.join().unwrap();
        ok += a;
        other += b;
        lat.extend(l);
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "sustained: {:.0} acknowledged statuses/s ({ok} in {secs:.1} s, {other} not acknowledged, {} clients); latency p50 {:.1} ms, p99 {:.1} ms",
        ok as f64 / secs,
        o.concurrency,
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
    );

    // Phase 2: open loop at a fixed offered rate.
    let total = o.rate * o.duration;
    let interval = Duration::from_secs_f64(1.0 / o.rate as f64);
    let senders = 32usize;
    let begin = Instant::now() + Duration::from_millis(200);
    let handles: Vec<_> = (0..senders)
        .map(|s| {
            let nodes = nodes.clone();
            let addr = o.addr;
            std::thread::spawn(move || {
                let (mut ok, mut other, mut lat) = (0u64, 0u64, Vec::new());
                let mut k = s as u64;
                while k < total {
                    let due = begin + interval * k as u32;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let (name, id) = &nodes[(k as usize * 7919) % nodes.len()];
                    let body = status(id, name);
                    if post(addr, "/api/v1/status", &body) == 200 {
                        ok += 1;
                        lat.push(due.elapsed());
                    } else {
                        other += 1;
                    }
                    k += senders as u64;
                }
                (ok, other, lat)
            })
        })
        .collect();
    let (mut ok, mut other, mut lat) = (0, 0, Vec::new());
    for h in handles {
        let (a, b, l) = h.join().unwrap();
        ok += a;
        other += b;
        lat.extend(l);
    }
    lat.sort();
    println!(
        "at {} statuses/s offered for {} s: {ok} acknowledged, {other} not; latency from scheduled send p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        o.rate,
        o.duration,
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}
