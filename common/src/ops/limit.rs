//! A shared bandwidth budget for uploads (a backup's packs, a copy's
//! objects): each object reserves its time slot at the rate.

use std::time::{Duration, Instant};

/// Bytes per second, shared by the threads that upload.
pub(crate) struct Limiter {
    rate: u64,
    next: std::sync::Mutex<Instant>,
}

impl Limiter {
    /// A budget of `rate` bytes per second (at least 1).
    pub(crate) fn new(rate: u64) -> Limiter {
        Limiter {
            rate: rate.max(1),
            next: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Reserves the time `bytes` take at the rate and waits for its start;
    /// returns its end (an upload done sooner waits for it too).
    pub(crate) fn reserve(&self, bytes: usize) -> Instant {
        let slot = Duration::from_secs_f64(bytes as f64 / self.rate as f64);
        let start = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + slot;
            start
        };
        sleep_until(start);
        start + slot
    }
}

/// Sleeps until `t` (not at all when it has passed).
pub(crate) fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}
