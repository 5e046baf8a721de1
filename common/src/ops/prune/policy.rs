//! Which snapshots a retention policy keeps (restic's `forget` rules, with
//! Banana's guards): per group of snapshots (host and job, as `snapshots
//! --latest` groups them), by the date the reaper trusts, not the time the
//! snapshot claims. Buckets are UTC hours, days, ISO weeks, months, years.
//!
//! - `last N`: the newest N that did not fail;
//! - `hourly/daily/weekly/monthly/yearly N`: the newest N buckets holding a
//!   snapshot that did not fail; each keeps its newest `ok`, else its
//!   newest `partial`;
//! - `within D`: every snapshot that did not fail, dated within D of the
//!   group's newest;
//! - `tag T`: every snapshot carrying T.
//!
//! A `failed` snapshot fills no bucket; it is kept until a newer one that
//! did not fail exists. The newest three that did not fail are never
//! forgotten, whatever the policy; nor is a snapshot whose date is too far
//! from the time it claims (`skewed`): it is held and reported.

use crate::format::{RunStatus, Snapshot};
use crate::id::Id;
use chrono::{DateTime, Datelike};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A retention policy; all zero keeps everything. The same flags on
/// `bananactl forget` and `bananadm node retention`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Policy {
    /// Keep the newest N snapshots that did not fail.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)
    )]
    pub keep_last: u32,
    /// Keep one snapshot for each of the last N hours that have one (UTC).
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)
    )]
    pub keep_hourly: u32,
    /// Keep one snapshot for each of the last N days that have one (UTC).
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)
    )]
    pub keep_daily: u32,
    /// Keep one snapshot for each of the last N ISO weeks that have one.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)
    )]
    pub keep_weekly: u32,
    /// Keep one snapshot for each of the last N months that have one.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)
    )]
    pub keep_monthly: u32,
    /// Keep one snapshot for each of the last N years that have one.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)
    )]
    pub keep_yearly: u32,
    /// Keep every snapshot within DURATION (e.g. 30d, 1y) of the newest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "DURATION", value_parser = parse_within))]
    pub keep_within: Option<u64>,
    /// Keep every snapshot carrying TAG; repeatable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "TAG"))]
    pub keep_tag: Vec<String>,
}

/// The guards a run keeps whatever the policy: how much of a job it may
/// forget, how far a snapshot's date may be from its claim. The same flags
/// on `bananactl forget`/`prune` and `bananadm prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Guards {
    /// Most of a job's snapshots one run may forget, in percent [default:
    /// 20]; the rest is held (exit 3) until the next run or --force.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(1..=100))
    )]
    pub max_forget: Option<u8>,
    /// A snapshot whose storage date is further than this from the time it
    /// claims is held and fills no bucket [default: 1h].
    #[cfg_attr(feature = "cli", arg(long, value_name = "DURATION", value_parser = parse_within))]
    pub max_skew: Option<u64>,
}

impl Guards {
    /// Sets them in `opts` where given.
    pub fn apply(&self, opts: &mut super::PruneOptions) {
        if let Some(p) = self.max_forget {
            opts.max_forget = f64::from(p) / 100.0;
        }
        if let Some(s) = self.max_skew {
            opts.max_skew = i64::try_from(s).unwrap_or(i64::MAX);
        }
    }
}

/// `30d`, `1y 6months`, `36h` → seconds.
pub fn parse_within(text: &str) -> std::result::Result<u64, String> {
    humantime::parse_duration(text)
        .map(|d| d.as_secs())
        .map_err(|e| format!("'{text}' is not a duration such as 30d or 1y ({e})"))
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Policy {
    /// Whether it keeps everything (no rule given).
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }

    /// The rules, for messages and forget records: `daily 7, monthly 12`.
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        for (name, n) in [
            ("last", self.keep_last),
            ("hourly", self.keep_hourly),
            ("daily", self.keep_daily),
            ("weekly", self.keep_weekly),
            ("monthly", self.keep_monthly),
            ("yearly", self.keep_yearly),
        ] {
            if n > 0 {
                out.push(format!("keep-{name} {n}"));
            }
        }
        if let Some(w) = self.keep_within {
            out.push(format!(
                "keep-within {}",
                humantime::format_duration(std::time::Duration::from_secs(w))
            ));
        }
        for t in &self.keep_tag {
            out.push(format!("keep-tag {t}"));
        }
        out.join(", ")
    }
}

/// One snapshot of a group, with the date the reaper trusts.
#[derive(Debug, Clone)]
pub struct Dated<'a> {
    /// Its id.
    pub id: Id,
    /// The snapshot.
    pub snap: &'a Snapshot,
    /// Unix seconds: when storage (or the reaper) first saw it.
    pub date: i64,
    /// Its date is too far from the time it claims: held, fills no bucket.
    pub skewed: bool,
}

/// What the policy says about one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Kept, by these rules (`daily`, `last`, `newest-3`, `tag`...).
    Keep(Vec<&'static str>),
    /// Not kept by any rule.
    Forget,
    /// Kept without filling a bucket, for this reason (`skew`).
    Hold(&'static str),
}

/// How many snapshots that did not fail are never forgotten per group.
pub const ALWAYS_KEEP: usize = 3;

/// The verdict on each snapshot of one group (any order in; ids out).
pub fn decide(policy: &Policy, group: &[Dated<'_>]) -> BTreeMap<Id, Verdict> {
    let mut order: Vec<&Dated<'_>> = group.iter().collect();
    order.sort_by(|a, b| newest_first(a, b));
    let mut keep: BTreeMap<Id, Vec<&'static str>> = BTreeMap::new();
    let mut add = |id: Id, why: &'static str| keep.entry(id).or_default().push(why);
    let good: Vec<&Dated<'_>> = order
        .iter()
        .copied()
        .filter(|d| !d.skewed && d.snap.run.status != RunStatus::Failed)
        .collect();
    for d in good.iter().take(ALWAYS_KEEP) {
        add(d.id, "newest-3");
    }
    for d in good.iter().take(policy.keep_last as usize) {
        add(d.id, "last");
    }
    for (rule, count, key) in BUCKETS {
        for id in buckets(&good, count(policy) as usize, key) {
            add(id, rule);
        }
    }
    if let (Some(w), Some(newest)) = (policy.keep_within, good.first()) {
        let since = newest.date.saturating_sub(w as i64);
        for d in good.iter().filter(|d| d.date >= since) {
            add(d.id, "within");
        }
    }
    for d in &order {
        if !d.skewed && d.snap.tags.iter().any(|t| policy.keep_tag.contains(t)) {
            add(d.id, "tag");
        }
    }
    let newest_good = good.first();
    order
        .iter()
        .map(|d| {
            let v = if d.skewed {
                Verdict::Hold("skew")
            } else if let Some(why) = keep.remove(&d.id) {
                Verdict::Keep(why)
            } else if d.snap.run.status == RunStatus::Failed
                && newest_good.is_none_or(|n| newest_first(d, n).is_lt())
            {
                // A failure stays until something newer succeeded.
                Verdict::Keep(vec!["failed-newest"])
            } else {
                Verdict::Forget
            };
            (d.id, v)
        })
        .collect()
}

/// Newest first: by date, then the time the snapshot claims, its `seq`,
/// its id (dates are seconds: one run's snapshots may share one).
pub fn newest_first(a: &Dated<'_>, b: &Dated<'_>) -> std::cmp::Ordering {
    (b.date, b.snap.time, b.snap.seq, b.id).cmp(&(a.date, a.snap.time, a.snap.seq, a.id))
}

type BucketKey = fn(i64) -> i64;
type BucketCount = fn(&Policy) -> u32;

/// The bucket rules: name, how many buckets the policy keeps, key of a date.
const BUCKETS: [(&str, BucketCount, BucketKey); 5] = [
    ("hourly", |p| p.keep_hourly, |t| t.div_euclid(3600)),
    ("daily", |p| p.keep_daily, |t| t.div_euclid(86_400)),
    // 1970-01-01 was a Thursday: +3 days puts week starts on Mondays (ISO).
    (
        "weekly",
        |p| p.keep_weekly,
        |t| (t.div_euclid(86_400) + 3).div_euclid(7),
    ),
    (
        "monthly",
        |p| p.keep_monthly,
        |t| {
            let d = civil(t);
            i64::from(d.year()) * 12 + i64::from(d.month0())
        },
    ),
    ("yearly", |p| p.keep_yearly, |t| i64::from(civil(t).year())),
];

fn civil(t: i64) -> chrono::NaiveDate {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .date_naive()
}

/// The newest `n` buckets of `good` (newest first, none failed); from each,
/// its newest `ok` snapshot, else its newest `partial`.
fn buckets(good: &[&Dated<'_>], n: usize, key: BucketKey) -> Vec<Id> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < good.len() && out.len() < n {
        let k = key(good[i].date);
        let end = good[i..]
            .iter()
            .position(|d| key(d.date) != k)
            .map_or(good.len(), |p| i + p);
        let bucket = &good[i..end];
        let pick = bucket
            .iter()
            .find(|d| d.snap.run.status == RunStatus::Ok)
            .unwrap_or(&bucket[0]);
        out.push(pick.id);
        i = end;
    }
    out
}
