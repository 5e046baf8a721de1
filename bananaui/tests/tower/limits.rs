//! The front end's limits: oversized and lying requests, header floods,
//! thousands of idle connections, and thousands of malformed bodies: no crash,
//! no 5xx, bounded threads and memory, and real nodes still get through.

use crate::harness::*;
use proto::status::RunResult;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn proc_status(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// The read timeout of the towers below whose requests must be answered on
/// their merits: a loaded machine never gets near it, and an answer that
/// waited for it instead shows.
const LONG: Duration = Duration::from_secs(60);

#[test]
fn oversized_lying_and_flooding_requests_get_4xx_and_the_tower_lives() {
    let _serial = serial();
    let t = Tower::start(&format!(
        "[limits]\nread_timeout = \"{}s\"\n",
        LONG.as_secs()
    ));
    let pid = t.pid();
    let rss0 = proc_status(pid, "VmRSS:");
    let body = vec![b'{'; 64 * 1024 + 1];
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("body 64 KiB + 1", {
            let mut r = format!(
                "POST /api/v1/status HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(&body);
            r
        }, 413),
        ("Content-Length 10^9, short body",
            b"POST /api/v1/status HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n{}".to_vec(), 413),
        ("negative Content-Length",
            b"POST /api/v1/status HTTP/1.1\r\nContent-Length: -1\r\n\r\n{}".to_vec(), 400),
        ("garbage Content-Length",
            b"POST /api/v1/status HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n{}".to_vec(), 400),
        ("huge Content-Length",
            b"POST /api/v1/status HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n{}".to_vec(), 400),
        ("conflicting Content-Length",
            b"POST /api/v1/status HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".to_vec(), 400),
        ("chunked",
            b"POST /api/v1/status HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n".to_vec(), 400),
        ("no Content-Length",
            b"POST /api/v1/status HTTP/1.1\r\n\r\n{}".to_vec(), 411),
        ("8 KiB+ header line", {
            let mut r = b"GET /api/v1/fleet HTTP/1.1\r\nX-Long: ".to_vec();
            r.extend(std::iter::repeat_n(b'a', 8 * 1024 + 10));
            r.extend_from_slice(b"\r\n\r\n");
            r
        }, 431),
        ("10,000 headers", {
            let mut r = b"GET /api/v1/fleet HTTP/1.1\r\n".to_vec();
            for i in 0..10_000 {
                r.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
            }
            r.extend_from_slice(b"\r\n");
            r
        }, 431),
        ("binary request line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(), 400),
        ("unknown method", b"DELETE /api/v1/nodes HTTP/1.1\r\n\r\n".to_vec(), 405),
        ("absolute target", b"GET http://evil/ HTTP/1.1\r\n\r\n".to_vec(), 400),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), 400),
    ];
    // Each answered at once, not when the read timeout strikes.
    for (what, raw, want) in &cases {
        let start = Instant::now();
        let (got, body) = request(t.addr, raw);
        assert_eq!(got, *want, "{what}: {body}");
        assert!(
            start.elapsed() < LONG / 2,
            "{what} took {:?}",
            start.elapsed()
        );
    }
    // A body shorter than announced (within the cap): 408 once the deadline
    // passes (on a tower of its own with a 3 s read timeout: not before it,
    // and long before the client's own timeout).
    let short = Tower::start("[limits]\nread_timeout = \"3s\"\n");
    let start = Instant::now();
    let (got, _) = request(
        short.addr,
        b"POST /api/v1/status HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"v\":1",
    );
    assert_eq!(got, 408);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(30),
        "408 after {took:?}"
    );
    drop(short);
    assert_eq!(t.get("/api/v1/fleet").0, 200, "still serving");
    let rss1 = proc_status(pid, "VmRSS:");
    assert!(rss1 < rss0 + 10 * 1024, "RSS grew from {rss0} to {rss1} kB");
}

/// The read timeout of the idle connections below: above the default (10 s),
/// so a tower that ignored the setting shows, and long enough that a
/// legitimate push on a loaded machine is answered while they are held.
const IDLE: Duration = Duration::from_secs(20);

#[test]
fn two_thousand_idle_connections_are_closed_in_time_while_a_node_gets_through() {
    let _serial = serial();
    raise_fd_limit();
    let t = Tower::start(&format!(
        "[limits]\nread_timeout = \"{}s\"\n",
        IDLE.as_secs()
    ));
    let a = t.enrol("web-01");
    let pid = t.pid();
    let rss0 = proc_status(pid, "VmRSS:");
    let threads0 = proc_status(pid, "Threads:");
    let mut idle = Vec::new();
    let first = Instant::now();
    for i in 0..2000 {
        let mut s = TcpStream::connect(t.addr).unwrap();
        // Half of them start a request and never finish it.
        if i % 2 == 0 {
            s.write_all(b"POST /api/v1/status HTTP/1.1\r\nHost: t\r\n")
                .unwrap();
        }
        idle.push(s);
    }
    let opened = Instant::now();
    // All of them held (and the metrics request itself).
    t.wait_for("2000 open connections", || {
        t.metric("banana_collector_open_connections") >= 2000.0
    });
    let threads = proc_status(pid, "Threads:");
    let rss = proc_status(pid, "VmRSS:");
    // A legitimate push goes through meanwhile: answered while the idle
    // connections are still held, not once they time out.
    let ev = finished("db", RunResult::Success, 10);
    let start = Instant::now();
    let (s, body) = t.post("/api/v1/status", &signed(&a, "web-01", &ev));
    assert_eq!(s, 200, "{body}");
    let pushed = start.elapsed();
    let mut last = idle.last().unwrap();
    last.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    assert!(
        matches!(last.read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the push ({pushed:?}) waited for the idle connections to be closed"
    );
    last.set_nonblocking(false).unwrap();
    eprintln!(
        "2000 idle: threads {threads0} -> {threads}, RSS {rss0} -> {rss} kB, push {pushed:?}"
    );
    assert!(
        threads <= threads0 + 4 && threads < 32,
        "threads {threads0} -> {threads}"
    );
    assert!(rss < rss0 + 10 * 1024, "RSS grew from {rss0} to {rss} kB");
    // Every idle connection is closed by the tower at its timeout: not
    // before it (the first one was opened before `first`: a lower bound a
    // loaded machine only makes later), and within a bound that leaves a
    // loaded machine room.
    for (i, mut s) in idle.into_iter().enumerate() {
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut buf = Vec::new();
        // The tower closes it (after a 408 for a half-sent request): EOF,
        // not our read timeout.
        let r = s.read_to_end(&mut buf);
        assert!(r.is_ok(), "an idle connection was not closed: {r:?}");
        if i == 0 {
            let closed = first.elapsed();
            assert!(closed >= IDLE, "closed after {closed:?}, before {IDLE:?}");
        }
    }
    let all_closed = opened.elapsed();
    assert!(
        all_closed < IDLE + Duration::from_secs(60),
        "idle connections lasted {all_closed:?}"
    );
    t.wait_for("open connections back to 1", || {
        t.metric("banana_collector_open_connections") <= 1.0
    });
}

/// A deterministic generator of hostile bodies.
fn malformed(i: usize, valid: &[u8]) -> Vec<u8> {
    let mut rng = (i as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(1);
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    match i % 12 {
        0 => b"{not json".to_vec(),
        1 => {
            let depth = 1 + (next() % 100_000) as usize;
            let mut v = vec![b'['; depth];
            v.extend(std::iter::repeat_n(b']', depth));
            v.truncate(60_000);
            v
        }
        2 => format!("{{\"v\":1e{}}}", next() % 1_000_000).into_bytes(),
        3 => format!("{{\"v\":{}{}}}", next(), "9".repeat(400)).into_bytes(),
        4 => {
            let mut v = valid.to_vec();
            let at = (next() as usize) % v.len();
            v[at] = 0xff;
            v
        }
        5 => String::from_utf8_lossy(valid)
            .replace("\"v\":1", "\"v\":\"1\"")
            .into_bytes(),
        6 => String::from_utf8_lossy(valid)
            .replace("\"timestamp\":", "\"timestamp\":\"x\",\"t\":")
            .into_bytes(),
        7 => (0..(next() % 2000)).map(|_| next() as u8).collect(),
        8 => {
            // Flip one byte of a valid envelope.
            let mut v = valid.to_vec();
            let at = (next() as usize) % v.len();
            v[at] = v[at].wrapping_add(1 + (next() % 200) as u8);
            v
        }
        9 => b"null".to_vec(),
        10 => format!("{{\"v\":1,\"node\":\"{}\"}}", "\\ud800".repeat(100)).into_bytes(),
        _ => {
            // An envelope whose body is hostile JSON (deep, huge numbers).
            let mut env: serde_json::Value = serde_json::from_slice(valid).unwrap();
            env["body"] = format!("{}1e999999{}", "[".repeat(200), "]".repeat(200)).into();
            serde_json::to_vec(&env).unwrap()
        }
    }
}

#[test]
fn five_thousand_malformed_requests_give_no_crash_and_no_5xx() {
    let _serial = serial();
    let t = Tower::start("[limits]\nnode_rate = 100000.0\nnode_burst = 100000.0\n");
    let a = t.enrol("web-01");
    let valid = signed(&a, "web-01", &finished("db", RunResult::Success, 1));
    let addr = t.addr;
    let mut workers = Vec::new();
    for w in 0..4 {
        let valid = valid.clone();
        workers.push(std::thread::spawn(move || {
            let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
            for i in (w..5200).step_by(4) {
                let body = malformed(i, &valid);
                let path = if i % 5 == 0 {
                    "/api/v1/enrol"
                } else {
                    "/api/v1/status"
                };
                let (s, _) = post(addr, path, &body, &[]);
                *statuses.entry(s).or_default() += 1;
            }
            statuses
        }));
    }
    let mut all = std::collections::BTreeMap::<u16, u32>::new();
    for w in workers {
        for (s, n) in w.join().unwrap() {
            *all.entry(s).or_default() += n;
        }
    }
    eprintln!("5200 malformed requests: {all:?}");
    assert!(
        all.keys().all(|&s| (400..500).contains(&s) || s == 200),
        "{all:?}"
    );
    assert!(
        !all.contains_key(&0),
        "a connection died without an answer: {all:?}"
    );
    // Still alive and still right.
    let ok = signed(&a, "web-01", &finished("db", RunResult::Success, 1));
    assert_eq!(t.post("/api/v1/status", &ok).0, 200);
    assert!(!t.log.lock().unwrap().contains("panicked"));
}
