//! When a job is due. Pure: times are Unix seconds, the clock is a
//! parameter, so a test can run a simulated day in a millisecond.
//!
//! - `every = D` runs on a grid: once per period D, at a phase fixed per
//!   node and job (a hash of both), so a fleet spreads over the period and a
//!   job never drifts by the timer's granularity. A job that never ran is
//!   due at once.
//! - `schedule = "CRON"` runs at the expression's times in the node's time
//!   zone, each delayed by a per-node, per-job jitter below `jitter`
//!   (default 5 minutes, at most half the expression's shortest gap). A job
//!   that never ran waits for the next time.
//! - After a failure the job is retried with exponential backoff (1 min
//!   doubling to 1 h), or at its next scheduled time if that comes first.

use chrono::TimeZone;

/// How a job is scheduled.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Once per this many seconds.
    Every(u64),
    /// At the times of a cron expression (text kept for display).
    Cron(Box<croner::Cron>, String),
}

/// Default upper bound of a cron job's jitter.
pub const DEFAULT_JITTER: u64 = 300;
/// Longest retry backoff.
pub const MAX_BACKOFF: i64 = 3600;

impl Schedule {
    /// Parses a cron expression (5 fields, or an alias like `@daily`).
    pub fn cron(text: &str) -> Result<Schedule, String> {
        let cron = croner::Cron::new(text)
            .parse()
            .map_err(|e| format!("schedule '{text}' is not a cron expression: {e}"))?;
        // One that never matches (30 February) would make the job never due.
        if cron_after(&cron, 1_767_225_600, &chrono::Utc).is_none() {
            return Err(format!("schedule '{text}' never matches a date"));
        }
        Ok(Schedule::Cron(Box::new(cron), text.to_owned()))
    }

    /// `every 1d` or `cron 30 2 * * *`.
    pub fn describe(&self) -> String {
        match self {
            Schedule::Every(s) => format!("every {}", crate::jobs::duration(*s)),
            Schedule::Cron(_, t) => format!("cron {t}"),
        }
    }
}

/// A schedule placed for one node and job: the jitter is fixed.
#[derive(Debug, Clone)]
pub struct Timing<Tz: TimeZone> {
    schedule: Schedule,
    /// Grid phase (`every`) or delay (cron), seconds.
    offset: i64,
    tz: Tz,
}

/// A stable hash of node and job, for the phase.
fn spread(node: &str, job: &str) -> u64 {
    let h = blake3::hash(format!("banana-jitter\0{node}\0{job}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    u64::from_le_bytes(b)
}

/// The next cron time strictly after `t`, in `tz`.
fn cron_after<Tz: TimeZone>(cron: &croner::Cron, t: i64, tz: &Tz) -> Option<i64> {
    let at = tz.timestamp_opt(t, 0).single()?;
    cron.find_next_occurrence(&at, false)
        .ok()
        .map(|d| d.timestamp())
}

impl<Tz: TimeZone> Timing<Tz> {
    /// The schedule of `job` on `node`; `jitter` bounds a cron job's delay.
    pub fn new(schedule: Schedule, node: &str, job: &str, jitter: u64, tz: Tz) -> Timing<Tz> {
        let h = spread(node, job);
        let offset = match &schedule {
            Schedule::Every(p) => (h % (*p).max(1)) as i64,
            Schedule::Cron(c, _) => {
                // The shortest gap among the next few times bounds the delay.
                let mut gap = i64::MAX;
                let mut t = cron_after(c, 1_767_225_600, &tz); // 2026-01-01
                for _ in 0..16 {
                    let Some(a) = t else { break };
                    let b = cron_after(c, a, &tz);
                    if let Some(b) = b {
                        gap = gap.min(b - a);
                    }
                    t = b;
                }
                let window = (jitter as i64).min(gap / 2).max(0);
                if window == 0 {
                    0
                } else {
                    (h % window as u64) as i64
                }
            }
        };
        Timing {
            schedule,
            offset,
            tz,
        }
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The first scheduled time strictly after `t` (jitter included).
    pub fn next_after(&self, t: i64) -> Option<i64> {
        match &self.schedule {
            Schedule::Every(p) => {
                let p = i64::try_from(*p).ok()?.max(1);
                let into = (t - self.offset).rem_euclid(p);
                Some(t - into + p)
            }
            Schedule::Cron(c, _) => {
                cron_after(c, t - self.offset, &self.tz).map(|n| n + self.offset)
            }
        }
    }
}

impl<Tz: TimeZone> Timing<Tz> {
    /// The next run after one that started at `start`: the next scheduled
    /// time, except that an `every` job never runs again within half a
    /// period of a run off its grid (its first run, a retry, one by hand).
    pub fn next_run_after(&self, start: i64) -> Option<i64> {
        let next = self.next_after(start)?;
        match self.schedule {
            Schedule::Every(p) => {
                let p = i64::try_from(p).ok()?;
                Some(if next - start < p / 2 { next + p } else { next })
            }
            Schedule::Cron(..) => Some(next),
        }
    }
}

/// What `run` needs to know of a job's past.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Past {
    /// When the job was first seen in the config.
    pub first_seen: i64,
    /// When the last attempt started and ended.
    pub last_attempt: Option<(i64, i64)>,
    /// Failures since the last success.
    pub failures: u32,
}

/// The retry delay after `failures` consecutive failures.
pub fn backoff(failures: u32) -> i64 {
    if failures == 0 {
        return 0;
    }
    (60i64 << (failures - 1).min(10)).min(MAX_BACKOFF)
}

/// When the job is next due (it may be in the past: due now).
pub fn due_at<Tz: TimeZone>(t: &Timing<Tz>, past: &Past) -> Option<i64> {
    match past.last_attempt {
        None => match t.schedule {
            Schedule::Every(_) => Some(past.first_seen),
            Schedule::Cron(..) => t.next_after(past.first_seen),
        },
        Some((start, end)) => {
            let next = t.next_run_after(start);
            if past.failures == 0 {
                return next;
            }
            let retry = end.saturating_add(backoff(past.failures));
            Some(next.map_or(retry, |n| n.min(retry)))
        }
    }
}

/// Why the job is due when [`due_at`] says (for `bananactl jobs`): its
/// first run, a retry, or its place on the schedule: `every 1d, phase
/// 04:32 UTC` (the grid point of each period, fixed per node and job) or
/// `cron 30 2 * * *, delayed 3m12s` (its jitter).
pub fn why_due<Tz: TimeZone>(t: &Timing<Tz>, past: &Past) -> String {
    let dur = |s: i64| crate::jobs::duration(s.max(0) as u64);
    let Some((start, end)) = past.last_attempt else {
        return match t.schedule {
            Schedule::Every(_) => "never ran: due at once".into(),
            Schedule::Cron(..) => "never ran: waits for its first scheduled time".into(),
        };
    };
    if past.failures > 0 {
        let retry = end.saturating_add(backoff(past.failures));
        if t.next_run_after(start).is_none_or(|n| retry < n) {
            return format!(
                "retry {} after {} failure{} (runs with 'run --now' at once)",
                dur(backoff(past.failures)),
                past.failures,
                if past.failures == 1 { "" } else { "s" }
            );
        }
    }
    match &t.schedule {
        Schedule::Every(p) => {
            let p = (*p).max(1) as i64;
            let phase = if p <= 86_400 && 86_400 % p == 0 {
                format!("{:02}:{:02} UTC", t.offset / 3600, (t.offset % 3600) / 60)
            } else {
                format!("{} into each period", dur(t.offset))
            };
            format!("every {}, phase {phase}", dur(p))
        }
        Schedule::Cron(_, text) if t.offset > 0 => {
            format!("cron {text}, delayed {} (jitter)", dur(t.offset))
        }
        Schedule::Cron(_, text) => format!("cron {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    const DAY0: i64 = 1_796_083_200; // 2026-12-01T00:00:00Z

    /// Runs three jobs over a simulated day, ticking every 5 minutes as the
    /// timer does; every run takes 1 s and succeeds.
    fn simulate(timings: &[Timing<Utc>], first_seen: i64) -> Vec<Vec<i64>> {
        let mut past = vec![
            Past {
                first_seen,
                ..Past::default()
            };
            timings.len()
        ];
        let mut runs = vec![Vec::new(); timings.len()];
        let mut now = DAY0;
        while now < DAY0 + 86_400 {
            for (i, t) in timings.iter().enumerate() {
                if due_at(t, &past[i]).is_some_and(|d| d <= now) {
                    runs[i].push(now);
                    past[i].last_attempt = Some((now, now + 1));
                }
            }
            now += 300;
        }
        runs
    }

    #[test]
    fn a_simulated_day_runs_each_job_exactly_when_due() {
        let hourly = Timing::new(Schedule::Every(3600), "node-7", "etc", 0, Utc);
        let nightly = Timing::new(
            Schedule::cron("30 2 * * *").unwrap(),
            "node-7",
            "ldap",
            0,
            Utc,
        );
        let quarter = Timing::new(
            Schedule::cron("*/15 * * * *").unwrap(),
            "node-7",
            "q",
            0,
            Utc,
        );
        let phase = hourly.offset;
        assert!((0..3600).contains(&phase));
        let runs = simulate(&[hourly, nightly, quarter], DAY0 - 1);
        // every 1h: at once (never ran), then the first tick at or after
        // each grid point phase + k·1h, skipping one within half an hour of
        // that first, off-grid run.
        let mut want = vec![DAY0];
        for k in 0..24 {
            let slot = DAY0 + phase + k * 3600;
            let tick = slot + (300 - (slot - DAY0) % 300) % 300;
            if slot - DAY0 >= 1800 && tick < DAY0 + 86_400 {
                want.push(tick);
            }
        }
        want.dedup();
        assert_eq!(runs[0], want);
        // 30 2 * * *: once, at 02:30, not at first sight.
        assert_eq!(runs[1], vec![DAY0 + 2 * 3600 + 1800]);
        // */15: every quarter hour from 00:00 (first seen just before).
        let q: Vec<i64> = (0..96).map(|k| DAY0 + k * 900).collect();
        assert_eq!(runs[2], q);
    }

    #[test]
    fn jitter_is_per_node_bounded_and_stable() {
        let cron = || Schedule::cron("0 3 * * *").unwrap();
        let offsets: std::collections::HashSet<i64> = (0..50)
            .map(|n| Timing::new(cron(), &format!("node-{n}"), "etc", 600, Utc).offset)
            .collect();
        assert!(offsets.len() > 40, "a fleet spreads: {offsets:?}");
        assert!(offsets.iter().all(|o| (0..600).contains(o)));
        let a = Timing::new(cron(), "n", "etc", 600, Utc);
        let b = Timing::new(cron(), "n", "etc", 600, Utc);
        assert_eq!(a.offset, b.offset);
        let next = a.next_after(DAY0).unwrap();
        assert_eq!(next, DAY0 + 3 * 3600 + a.offset);
        // Every minute: the jitter stays under half the gap.
        let m = Timing::new(Schedule::cron("* * * * *").unwrap(), "n", "j", 600, Utc);
        assert!(m.offset < 30);
    }

    #[test]
    fn failures_back_off_but_never_past_the_next_time() {
        let t = Timing::new(Schedule::Every(86_400), "n", "j", 0, Utc);
        let start = DAY0 + 100;
        let mut p = Past {
            first_seen: DAY0,
            last_attempt: Some((start, start + 10)),
            failures: 1,
        };
        assert_eq!(due_at(&t, &p), Some(start + 10 + 60));
        p.failures = 3;
        assert_eq!(due_at(&t, &p), Some(start + 10 + 240));
        p.failures = 30;
        let next = t.next_run_after(start).unwrap();
        assert_eq!(due_at(&t, &p), Some((start + 10 + MAX_BACKOFF).min(next)));
        p.failures = 0;
        assert_eq!(due_at(&t, &p), Some(next));
        // On the grid, at least half a period after the run.
        assert!(next >= start + 43_200 && next < start + 86_400 + 43_200);
        assert_eq!(
            next.rem_euclid(86_400),
            t.next_after(DAY0).unwrap().rem_euclid(86_400)
        );
    }
}
