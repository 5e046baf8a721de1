//! An acknowledged status survives kill -9: under steady load the collector is
//! killed 20 times at random moments; every event it answered 200 for is in
//! the store afterwards.

use crate::harness::*;
use proto::status::RunResult;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

#[test]
fn no_acknowledged_status_is_lost_to_kill_9() {
    let _serial = serial();
    let mut t = Tower::start(
        "[limits]\nnode_rate = 100000.0\nnode_burst = 100000.0\n[history]\nruns = 100000\n",
    );
    let nodes: Vec<_> = (0..8)
        .map(|i| {
            let name = format!("load-{i}");
            let id = t.enrol(&name);
            (name, id)
        })
        .collect();
    let addr = Arc::new(RwLock::new(t.addr));
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<HashSet<(String, String)>>> = Arc::default();
    let mut workers = Vec::new();
    for (name, id) in nodes {
        let (addr, stop, acked) = (addr.clone(), stop.clone(), acked.clone());
        workers.push(std::thread::spawn(move || {
            // Bounded: at most 20 minutes even if never told to stop.
            let end = Instant::now() + Duration::from_secs(1200);
            while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                let ev = finished("db", RunResult::Success, 1);
                // Until acknowledged (or stopped), as the node's spool would.
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    let a: SocketAddr = *addr.read().unwrap();
                    let (s, body) = post(a, "/api/v1/status", &signed(&id, &name, &ev), &[]);
                    if s == 200 {
                        assert!(body.contains("\"stored\""), "{body}");
                        acked.lock().unwrap().insert((name.clone(), ev.id.clone()));
                        break;
                    }
                    assert!(s == 0 || s == 503, "unexpected {s}: {body}");
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }));
    }
    // Killed on progress, not on a clock: each time once the restarted
    // collector has acknowledged a random 5 to 24 more events, so it dies
    // under load however slow the machine (and the load is enough).
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let acks_beyond = |n: usize, what: &str| {
        let end = Instant::now() + PATIENCE;
        while acked.lock().unwrap().len() < n {
            assert!(Instant::now() < end, "{what}: not {n} acknowledged");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    for kill in 0..20 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let before = acked.lock().unwrap().len();
        acks_beyond(before + 5 + (rng % 20) as usize, &format!("kill {kill}"));
        let before = acked.lock().unwrap().len();
        t.kill9();
        t.restart();
        *addr.write().unwrap() = t.addr;
        eprintln!("kill {kill}: {before} acknowledged so far");
    }
    let before = acked.lock().unwrap().len();
    acks_beyond(before.max(200) + 10, "after the last restart");
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    t.kill9();
    let acked = acked.lock().unwrap();
    let store = t.store();
    let lost: Vec<_> = acked
        .iter()
        .filter(|(n, id)| !store.has_event(n, id).unwrap())
        .collect();
    eprintln!(
        "{} acknowledged, {} stored, {} lost",
        acked.len(),
        store.event_count(),
        lost.len()
    );
    assert!(acked.len() > 200, "too little load: {}", acked.len());
    assert!(
        lost.is_empty(),
        "lost {} acknowledged events: {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    // Nothing stored twice: runs equal distinct stored events.
    let runs: usize = (0..8)
        .map(|i| {
            store
                .runs(&format!("load-{i}"), "db", usize::MAX)
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(runs, store.event_count());
}
