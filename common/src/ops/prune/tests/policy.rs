//! The policy table of docs/retention.md, against a second, set-based
//! reading of it.

use super::*;
use crate::ops::prune::policy::{decide, Dated};
use chrono::Datelike;

/// 100 snapshots of 3 jobs over two years: irregular gaps, some partial,
/// some failed, a few tagged.
fn two_years() -> Vec<(Id, Snapshot)> {
    let mut out = Vec::new();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut t = 1_700_000_000i64;
    for i in 0..100u32 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Mostly a few days apart, sometimes hours, sometimes weeks.
        t += match rng % 10 {
            0 => 3 * 3600,
            1..=6 => (rng % 5 + 1) as i64 * DAY,
            7 | 8 => (rng % 10 + 3) as i64 * DAY,
            _ => 20 * DAY,
        };
        let status = match rng % 11 {
            0 | 1 => RunStatus::Failed,
            2 | 3 => RunStatus::Partial,
            _ => RunStatus::Ok,
        };
        let job = ["etc", "db", "home"][(rng % 3) as usize];
        let tags: &[&str] = if i % 17 == 0 { &["keep"] } else { &[] };
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&i.to_be_bytes());
        out.push((Id(id), snap(t, job, status, tags)));
    }
    out
}

/// The table in docs/retention.md, written as sets: a second reading of
/// the rules, independent of `policy::decide`'s loop.
fn reference(p: &Policy, group: &[Dated<'_>]) -> BTreeSet<Id> {
    let good: Vec<&Dated<'_>> = group
        .iter()
        .filter(|d| !d.skewed && d.snap.run.status != RunStatus::Failed)
        .collect();
    let newest_first = |v: &mut Vec<&Dated<'_>>| {
        v.sort_by_key(|d| std::cmp::Reverse((d.date, d.snap.time, d.snap.seq, d.id)))
    };
    let mut good = good;
    newest_first(&mut good);
    let mut keep = BTreeSet::new();
    keep.extend(good.iter().take(3).map(|d| d.id));
    keep.extend(good.iter().take(p.keep_last as usize).map(|d| d.id));
    let date = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap().date_naive();
    type Key = Box<dyn Fn(i64) -> String>;
    let rules: [(u32, Key); 5] = [
        (p.keep_hourly, Box::new(move |t| format!("{}", t / 3600))),
        (p.keep_daily, Box::new(move |t| date(t).to_string())),
        (
            p.keep_weekly,
            Box::new(move |t| {
                let w = date(t).iso_week();
                format!("{}-{}", w.year(), w.week())
            }),
        ),
        (
            p.keep_monthly,
            Box::new(move |t| format!("{}-{}", date(t).year(), date(t).month())),
        ),
        (p.keep_yearly, Box::new(move |t| date(t).year().to_string())),
    ];
    for (n, key) in &rules {
        let mut keys: Vec<String> = Vec::new();
        for d in &good {
            let k = key(d.date);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        for k in keys.iter().take(*n as usize) {
            let in_bucket: Vec<&&Dated<'_>> = good.iter().filter(|d| key(d.date) == *k).collect();
            let pick = in_bucket
                .iter()
                .find(|d| d.snap.run.status == RunStatus::Ok)
                .or(in_bucket.first())
                .unwrap();
            keep.insert(pick.id);
        }
    }
    if let (Some(w), Some(newest)) = (p.keep_within, good.first()) {
        keep.extend(
            good.iter()
                .filter(|d| d.date >= newest.date - w as i64)
                .map(|d| d.id),
        );
    }
    for d in group {
        if !d.skewed && d.snap.tags.iter().any(|t| p.keep_tag.contains(t)) {
            keep.insert(d.id);
        }
        let newer_good = good.iter().any(|g| {
            (g.date, g.snap.time, g.snap.seq, g.id) > (d.date, d.snap.time, d.snap.seq, d.id)
        });
        if d.snap.run.status == RunStatus::Failed && !newer_good && !d.skewed {
            keep.insert(d.id);
        }
    }
    keep
}

fn policies() -> Vec<Policy> {
    let p = |f: &dyn Fn(&mut Policy)| {
        let mut p = Policy::default();
        f(&mut p);
        p
    };
    vec![
        p(&|p| p.keep_last = 1),
        p(&|p| p.keep_last = 10),
        p(&|p| p.keep_hourly = 48),
        p(&|p| p.keep_daily = 7),
        p(&|p| p.keep_daily = 30),
        p(&|p| p.keep_weekly = 8),
        p(&|p| p.keep_monthly = 12),
        p(&|p| p.keep_yearly = 5),
        p(&|p| p.keep_within = Some(60 * DAY as u64)),
        p(&|p| p.keep_tag = vec!["keep".into()]),
        p(&|p| {
            p.keep_daily = 7;
            p.keep_weekly = 4;
            p.keep_monthly = 12;
            p.keep_yearly = 3
        }),
        p(&|p| {
            p.keep_last = 2;
            p.keep_within = Some(10 * DAY as u64);
            p.keep_tag = vec!["keep".into()]
        }),
    ]
}

#[test]
fn policies_keep_what_the_table_says() {
    let all = two_years();
    let mut jobs: BTreeMap<&str, Vec<Dated<'_>>> = BTreeMap::new();
    for (i, (id, s)) in all.iter().enumerate() {
        jobs.entry(s.run.job.as_deref().unwrap())
            .or_default()
            .push(Dated {
                id: *id,
                snap: s,
                date: s.time.0,
                // Two snapshots whose storage date disagrees with their claim.
                skewed: i == 40 || i == 97,
            });
    }
    let mut forgotten_somewhere = 0;
    for p in policies() {
        for (job, group) in &jobs {
            let verdicts = decide(&p, group);
            let kept: BTreeSet<Id> = verdicts
                .iter()
                .filter(|(_, v)| matches!(v, Verdict::Keep(_)))
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(
                kept,
                reference(&p, group),
                "policy {} job {job}",
                p.describe()
            );
            for d in group.iter().filter(|d| d.skewed) {
                assert_eq!(verdicts[&d.id], Verdict::Hold("skew"));
            }
            forgotten_somewhere += verdicts.values().filter(|v| **v == Verdict::Forget).count();
        }
    }
    assert!(
        forgotten_somewhere > 200,
        "the policies must forget something"
    );
    // A hand-checked case: daily 2 over one day of three runs (ok at 01:00,
    // partial at 05:00, failed at 09:00) and one the day before.
    let day = 1_700_006_400; // 2023-11-15 00:00 UTC
    let s = [
        snap(day - 3600, "j", RunStatus::Ok, &[]),
        snap(day + 3600, "j", RunStatus::Ok, &[]),
        snap(day + 5 * 3600, "j", RunStatus::Partial, &[]),
        snap(day + 9 * 3600, "j", RunStatus::Failed, &[]),
        snap(day - 3 * DAY, "j", RunStatus::Ok, &[]),
        snap(day - 4 * DAY, "j", RunStatus::Ok, &[]),
    ];
    let group: Vec<Dated<'_>> = s
        .iter()
        .enumerate()
        .map(|(i, s)| Dated {
            id: Id([i as u8; 32]),
            snap: s,
            date: s.time.0,
            skewed: false,
        })
        .collect();
    let v = decide(
        &Policy {
            keep_daily: 2,
            ..Default::default()
        },
        &group,
    );
    // Newest 3 that did not fail: 2, 1, 0. Daily: today's newest ok (1), the
    // day before's (0). The failure is the newest run: kept. 4 and 5 go.
    assert!(matches!(v[&Id([1; 32])], Verdict::Keep(ref w) if w.contains(&"daily")));
    assert!(matches!(v[&Id([3; 32])], Verdict::Keep(ref w) if w == &["failed-newest"]));
    assert_eq!(v[&Id([4; 32])], Verdict::Forget);
    assert_eq!(v[&Id([5; 32])], Verdict::Forget);
}
