//! A compromised node trying to steer retention with forged dates.

use super::*;

/// A snapshot as a node could write it: any time it likes, storage dating
/// it `written`.
fn forge(f: &Fixture, time: i64, written: i64, seq: u64, tag: &str) -> Id {
    let mut s = snap(time, "a", RunStatus::Ok, &[tag]);
    s.seq = Some(seq);
    s.summary.duration_ms = 5_000;
    let id = f
        .repo
        .save(Kind::Snapshot, crate::crypto::SealKind::Snapshot, &s)
        .unwrap();
    f.mem.set_written(Kind::Snapshot, &id.to_hex(), written);
    id
}

fn daily(keep_daily: u32, force: bool, now: i64) -> PruneOptions {
    PruneOptions {
        policies: Policies {
            default: Some(Policy {
                keep_daily,
                ..Default::default()
            }),
            jobs: BTreeMap::new(),
        },
        grace: 0,
        force,
        forget_only: true,
        by: "test".into(),
        now: Some(now),
        ..Default::default()
    }
}

/// 60 real dailies, pruned to 30; then the node, compromised, writes 20
/// snapshots claiming times a year off, re-uploads 5 real ones (storage
/// dates them now) and floods today with 500 tiny ones. Forced, the prune
/// keeps every real snapshot an honest day (one real backup today) keeps;
/// the 20 are held and kept; unforced, it stops at max_forget (exit 3).
/// The repository before and after the next day: 60 real dailies pruned to
/// 30 with `keep-daily 30`; then either one honest backup, or the attack.
fn world(attack: bool) -> (Fixture, Vec<Id>, i64) {
    let f = fixture();
    let mut real = Vec::new();
    for d in 0..60 {
        real.push(forge(
            &f,
            real_day(d),
            real_day(d) + 5,
            d as u64 + 1,
            "real",
        ));
    }
    let first = prune(
        &f.repo,
        f.state.path(),
        &daily(30, true, real_day(59) + 3600),
    )
    .unwrap();
    assert_eq!(first.forgotten.len(), 30);
    let now = real_day(60) + 3600;
    let mut seq = 61;
    if !attack {
        forge(&f, real_day(60), real_day(60) + 5, seq, "real");
        return (f, real, now);
    }
    for i in 0..20i64 {
        let off = if i % 2 == 0 { 365 * DAY } else { -365 * DAY };
        forge(&f, now + off + i, now - 60 + i, seq, "forged");
        seq += 1;
    }
    for id in &real[50..55] {
        f.mem.set_written(Kind::Snapshot, &id.to_hex(), now - 30);
    }
    for i in 0..500 {
        let t = now - 3600 + i * 7;
        forge(&f, t, t + 5, seq, "tiny");
        seq += 1;
    }
    (f, real, now)
}

fn real_day(d: i64) -> i64 {
    let start = 1_780_000_000 - 1_780_000_000 % DAY;
    start + d * DAY + 2 * 3600
}

/// The real snapshots still in the repository.
fn kept_real(f: &Fixture) -> BTreeSet<Id> {
    f.repo
        .snapshots()
        .unwrap()
        .into_iter()
        .filter(|(_, s)| s.tags == ["real"])
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn a_compromised_node_cannot_steer_retention() {
    let (honest, honest_real, now) = world(false);
    prune(&honest.repo, honest.state.path(), &daily(30, true, now)).unwrap();
    // Positions (days) of the real snapshots an honest day keeps.
    let honest_days: BTreeSet<usize> = kept_real(&honest)
        .iter()
        .filter_map(|id| honest_real.iter().position(|r| r == id))
        .collect();
    assert_eq!(
        honest_days.len(),
        29,
        "one real day makes way for today's backup"
    );

    let (f, real, now) = world(true);
    let capped = prune(&f.repo, f.state.path(), &daily(30, false, now)).unwrap();
    let group = 30 + 20 + 500;
    assert_eq!(
        capped.forgotten.len(),
        (group as f64 * DEFAULT_MAX_FORGET).ceil() as usize
    );
    assert!(capped.held.iter().any(|h| h.reason == "max-forget"));
    let forced = prune(&f.repo, f.state.path(), &daily(30, true, now)).unwrap();
    let skewed = forced.held.iter().filter(|h| h.reason == "skew").count();
    assert_eq!(skewed, 20, "{:?}", forced.held);
    let left = f.repo.snapshots().unwrap();
    assert_eq!(
        left.iter().filter(|(_, s)| s.tags == ["forged"]).count(),
        20
    );
    let kept = kept_real(&f);
    for i in honest_days {
        assert!(
            kept.contains(&real[i]),
            "real day {i} forgotten under attack"
        );
    }
    // The re-uploaded ones kept their dates: still days 50–54, kept.
    assert!(real[50..55].iter().all(|id| kept.contains(id)));
}
