//! The tower as witness of each node's snapshot chain (P8): the writer calls
//! [`witness`] for every `finished` event.

use super::store::{ChainRec, JobRec, Store, WitnessRec, Writes};
use super::writer::Refuse;
use proto::status::{Event, RunResult};

/// The first characters of an id, for messages.
fn short(s: &str) -> String {
    s.chars().take(8).collect()
}

/// A piece of evidence brought by `ev` about `repository`.
fn piece(
    rule: &str,
    node: &str,
    ev: &Event,
    repository: &str,
    message: String,
    now: i64,
) -> WitnessRec {
    WitnessRec {
        rule: rule.to_owned(),
        node: node.to_owned(),
        job: ev.job.clone(),
        repository: repository.to_owned(),
        message,
        since: now,
        id: Some(ev.id.clone()),
    }
}

/// The tower as witness of each repository's chain (`docs/security.md`):
/// per node and repository it keeps the highest `seq` it acknowledged. A
/// report whose `seq` is not above it, or whose node did not see it (its
/// `prev_seq` is below), means storage or the node's state went back
/// (`rollback`); a job reporting another repository id means the repository
/// was replaced (`repository-changed`); a job that stops reporting its
/// chain, or a chain that moves to a new job and repository, is no longer
/// witnessed (`witness-lost`). Each piece of evidence is kept (its alert
/// fires) until `bananaui alert ack`. Events arrive in commit order (the
/// spool delivers oldest first and stops at the first one to retry), so an
/// honest node never trips this.
pub fn witness(
    store: &Store,
    w: &mut Writes,
    node: &str,
    j: &mut JobRec,
    ev: &Event,
    now: i64,
) -> Result<(), Refuse> {
    if let Some(repo) = ev.repository.as_deref() {
        if repo.is_empty() || repo.len() > 64 || !repo.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refuse(400, "the repository id must be hex".into()));
        }
    }
    let (Some(repo), Some(seq)) = (ev.repository.as_deref(), ev.seq) else {
        return unlinked(store, w, node, j, ev, now);
    };
    let snap = ev.snapshot.as_deref().unwrap_or("?");
    match j.repository.as_deref() {
        Some(old) if old != repo => {
            let msg = format!(
                "{node}/{}: snapshot {} is in repository {}, but this job reported repository {} until now: the repository was replaced or the node lost its state; check both before trusting either",
                ev.job,
                short(snap),
                short(repo),
                short(old)
            );
            w.put_witness(
                store,
                &piece("repository-changed", node, ev, repo, msg, now),
            )?;
            // Said already: the old chain is not also `witness-lost` later.
            for (r, mut c) in unreported(store, w, node, &ev.job)? {
                if r == old {
                    c.lost = true;
                    w.put_chain(node, &r, &c)?;
                }
            }
        }
        Some(_) => {}
        None => moved(store, w, node, ev, repo, now)?,
    }
    j.repository = Some(repo.to_owned());
    j.seq = Some(seq);
    let known = w.chain(store, node, repo)?;
    if let Some(c) = &known {
        let same = seq == c.seq && c.snapshot.as_deref() == ev.snapshot.as_deref();
        if same {
            return Ok(());
        }
        let prev_seq = ev.prev_seq.unwrap_or(0);
        if seq <= c.seq || prev_seq < c.seq {
            let msg = format!(
                "{node}/{}: snapshot {} (seq {seq}) was committed after seq {prev_seq}, but this tower acknowledged seq {} (snapshot {}) in repository {}: storage or the node's state went back",
                ev.job,
                short(snap),
                c.seq,
                short(c.snapshot.as_deref().unwrap_or("?")),
                short(repo)
            );
            w.put_witness(store, &piece("rollback", node, ev, repo, msg, now))?;
        }
    }
    // The chain goes on from the node's latest report (after a rollback too:
    // the evidence stays, and the next honest run does not fire again).
    w.put_chain(
        node,
        repo,
        &ChainRec {
            seq,
            snapshot: ev.snapshot.clone(),
            at: now,
            job: Some(ev.job.clone()),
            lost: false,
        },
    )?;
    Ok(())
}

/// A finished run without a chain link. A failed run that wrote no snapshot
/// has none; any other, from a job that reported its chain before, means
/// the tower no longer witnesses that job (`witness-lost`, once: the job's
/// `seq` is forgotten until it reports one again).
fn unlinked(
    store: &Store,
    w: &mut Writes,
    node: &str,
    j: &mut JobRec,
    ev: &Event,
    now: i64,
) -> Result<(), Refuse> {
    let wrote = ev.snapshot.is_some() || !matches!(ev.result, None | Some(RunResult::Failed));
    let Some(seq) = j.seq.filter(|_| wrote) else {
        return Ok(());
    };
    let repo = j.repository.clone().unwrap_or_default();
    let msg = format!(
        "{node}/{}: a run reported snapshot {} without its place in a chain, but this job reported seq {seq} in repository {} until now: the node no longer reports its chain, so this tower no longer witnesses it (an older agent, or a node hiding what storage does); check that repository's snapshots",
        ev.job,
        short(ev.snapshot.as_deref().unwrap_or("none")),
        short(&repo)
    );
    w.put_witness(store, &piece("witness-lost", node, ev, &repo, msg, now))?;
    j.seq = None;
    Ok(())
}

/// The chains of `node` (repository, record) that no job but `job` reports
/// and that are not already known to be lost.
fn unreported(
    store: &Store,
    w: &Writes,
    node: &str,
    job: &str,
) -> Result<Vec<(String, ChainRec)>, Refuse> {
    let reported: Vec<String> = w
        .jobs_of(store, node)?
        .into_iter()
        .filter(|o| o.job != job)
        .filter_map(|o| o.repository)
        .collect();
    Ok(w.chains_of(store, node)?
        .into_iter()
        .filter(|(r, c)| !c.lost && !reported.contains(r))
        .collect())
}

/// A job's first chain report at this tower, in `repo`: a chain of the node
/// that no job reports any more (its job retired) has moved where the tower
/// does not follow it (`witness-lost`, once per chain).
fn moved(
    store: &Store,
    w: &mut Writes,
    node: &str,
    ev: &Event,
    repo: &str,
    now: i64,
) -> Result<(), Refuse> {
    for (old, mut c) in unreported(store, w, node, &ev.job)? {
        if old == repo {
            continue;
        }
        let msg = format!(
            "{node}/{}: a new job reports repository {}, and no job reports repository {} any more (its chain was at seq {}{}): the chain moved where this tower does not witness it; check that repository's snapshots before trusting the new one",
            ev.job,
            short(repo),
            short(&old),
            c.seq,
            c.job.as_deref().map(|j| format!(", job {j}")).unwrap_or_default()
        );
        w.put_witness(store, &piece("witness-lost", node, ev, &old, msg, now))?;
        c.lost = true;
        w.put_chain(node, &old, &c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::status::EventKind;

    fn report(repo: &str, seq: u64, prev_seq: Option<u64>, snap: &str) -> Event {
        on("files", repo, seq, prev_seq, snap)
    }

    fn on(job: &str, repo: &str, seq: u64, prev_seq: Option<u64>, snap: &str) -> Event {
        let mut e = Event::new(EventKind::Finished, "r", job, "fs", 1, 2);
        e.result = Some(RunResult::Success);
        e.repository = Some(repo.into());
        e.seq = Some(seq);
        e.prev_seq = prev_seq;
        e.snapshot = Some(snap.into());
        e
    }

    /// Applies reports in order (each job kept in the store, as the writer
    /// does); returns the (rule, job) pieces of evidence after each.
    fn witnessed(reports: &[Event]) -> Vec<Vec<(String, String)>> {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut out = Vec::new();
        for (i, e) in reports.iter().enumerate() {
            let mut w = Writes::default();
            let mut j = w
                .job(&store, "n", &e.job)
                .unwrap()
                .unwrap_or_else(|| JobRec::new("n", &e.job, "fs", 0));
            if witness(&store, &mut w, "n", &mut j, e, i as i64).is_err() {
                out.push(vec![("refused".to_owned(), String::new())]);
                continue;
            }
            w.put_job(&j).unwrap();
            store.commit(w).unwrap();
            out.push(
                store
                    .witnesses()
                    .unwrap()
                    .into_iter()
                    .map(|w| (w.rule, w.job))
                    .collect(),
            );
        }
        out
    }

    fn rules(r: &[(String, String)]) -> Vec<&str> {
        r.iter().map(|(rule, _)| rule.as_str()).collect()
    }

    #[test]
    fn an_honest_chain_raises_nothing_even_when_a_report_comes_twice() {
        let r = witnessed(&[
            report("aa", 1, None, "s1"),
            report("aa", 2, Some(1), "s2"),
            report("aa", 2, Some(1), "s2"),
            report("aa", 4, Some(3), "s4"),
        ]);
        assert!(r.iter().all(Vec::is_empty), "{r:?}");
    }

    #[test]
    fn going_back_is_evidence_that_stays() {
        // A report that reuses a seq (storage and state rewound together).
        let r = witnessed(&[
            report("aa", 1, None, "s1"),
            report("aa", 2, Some(1), "s2"),
            report("aa", 2, Some(1), "other"),
            report("aa", 3, Some(2), "s3"),
        ]);
        assert_eq!(rules(&r[2]), ["rollback"]);
        assert_eq!(
            rules(&r[3]),
            ["rollback"],
            "the next honest run does not clear it"
        );
        // A node that did not see a snapshot the tower knows.
        let r = witnessed(&[
            report("aa", 3, Some(2), "s3"),
            report("aa", 4, Some(2), "s4"),
        ]);
        assert_eq!(rules(&r[1]), ["rollback"]);
    }

    #[test]
    fn each_rollback_is_its_own_piece_of_evidence() {
        let r = witnessed(&[
            on("a", "aa", 1, None, "a1"),
            on("b", "bb", 1, None, "b1"),
            on("a", "aa", 1, None, "a2"),
            on("b", "bb", 1, None, "b2"),
            on("a", "aa", 1, None, "a3"),
        ]);
        let pieces = |i: usize| {
            let mut p: Vec<String> = r[i]
                .iter()
                .map(|(rule, job)| format!("{rule} {job}"))
                .collect();
            p.sort();
            p
        };
        assert_eq!(pieces(3), ["rollback a", "rollback b"]);
        // The same job going back again is a third piece, not merged.
        assert_eq!(pieces(4), ["rollback a", "rollback a", "rollback b"]);
    }

    #[test]
    fn another_repository_id_is_repository_changed_and_ids_must_be_hex() {
        let r = witnessed(&[report("aa", 5, Some(4), "s5"), report("bb", 1, None, "t1")]);
        assert_eq!(rules(&r[1]), ["repository-changed"]);
        assert_eq!(
            witnessed(&[report("zz\u{1b}", 1, None, "s")])[0][0].0,
            "refused"
        );
        let mut no_seq = report("zz", 1, None, "s");
        no_seq.seq = None;
        assert_eq!(witnessed(&[no_seq])[0][0].0, "refused");
    }

    #[test]
    fn a_snapshot_without_its_chain_is_witness_lost_once() {
        let mut unlinked = report("aa", 0, None, "s3");
        unlinked.repository = None;
        unlinked.seq = None;
        let mut failed = unlinked.clone();
        failed.result = Some(RunResult::Failed);
        failed.snapshot = None;
        let r = witnessed(&[
            report("aa", 1, None, "s1"),
            failed.clone(),
            unlinked.clone(),
            unlinked.clone(),
        ]);
        assert!(r[1].is_empty(), "a failed run without a snapshot: {r:?}");
        assert_eq!(rules(&r[2]), ["witness-lost"]);
        assert_eq!(
            rules(&r[3]),
            ["witness-lost"],
            "once, until it reports again"
        );
        // A job that never reported its chain loses nothing.
        assert!(witnessed(&[unlinked])[0].is_empty());
    }

    #[test]
    fn a_chain_no_job_reports_that_moves_to_a_new_job_is_witness_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let send = |e: &Event, retire: Option<&str>| {
            let mut w = Writes::default();
            if let Some(old) = retire {
                w.remove_job(&store, "n", old).unwrap();
            }
            let mut j = w
                .job(&store, "n", &e.job)
                .unwrap()
                .unwrap_or_else(|| JobRec::new("n", &e.job, "fs", 0));
            assert!(witness(&store, &mut w, "n", &mut j, e, 0).is_ok());
            w.put_job(&j).unwrap();
            store.commit(w).unwrap();
            rules(
                &store
                    .witnesses()
                    .unwrap()
                    .into_iter()
                    .map(|w| (w.rule, w.repository))
                    .collect::<Vec<_>>(),
            )
            .join(" ")
        };
        send(&on("files", "aa", 1, None, "f1"), None);
        // Another job beside it, on another repository: nothing.
        assert_eq!(send(&on("home", "bb", 2, Some(1), "h2"), None), "");
        // A renamed job in the same repository: nothing.
        assert_eq!(
            send(&on("files2", "aa", 3, Some(1), "f3"), Some("files")),
            ""
        );
        // Its job gone, the chain of aa shows up in cc under a new name.
        assert_eq!(
            send(&on("files3", "cc", 1, None, "g1"), Some("files2")),
            "witness-lost"
        );
        let w = store.witnesses().unwrap();
        assert_eq!(
            (w[0].job.as_str(), w[0].repository.as_str()),
            ("files3", "aa")
        );
        // aa is not said again; cc, left behind now, is.
        assert_eq!(
            send(&on("files4", "dd", 1, None, "g1"), Some("files3")),
            "witness-lost witness-lost"
        );
    }
}
