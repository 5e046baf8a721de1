//! The tower as witness of each node's snapshot chain (P8): the writer calls
//! [`witness`] for every `finished` event that carries a chain link.

use super::store::{ChainRec, JobRec, Store, WitnessRec, Writes};
use super::writer::Refuse;
use common::status::Event;

/// The tower as witness of each repository's chain (`docs/security.md`):
/// per node and repository it keeps the highest `seq` it acknowledged. A
/// report whose `seq` is not above it, or whose node did not see it (its
/// `prev_seq` is below), means storage or the node's state went back; a job
/// reporting another repository id means the repository was replaced. Either
/// is kept as evidence (its alert fires) until `bananaui alert ack`. Events
/// arrive in commit order (the spool delivers oldest first and stops at the
/// first one to retry), so an honest node never trips this.
pub fn witness(
    store: &Store,
    w: &mut Writes,
    node: &str,
    j: &mut JobRec,
    ev: &Event,
    now: i64,
) -> Result<(), Refuse> {
    let (Some(repo), Some(seq)) = (ev.repository.as_deref(), ev.seq) else {
        return Ok(());
    };
    if repo.is_empty() || repo.len() > 64 || !repo.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Refuse(400, "the repository id must be hex".into()));
    }
    let snap = ev.snapshot.as_deref().unwrap_or("?");
    let short = |s: &str| s.chars().take(8).collect::<String>();
    let evidence = |rule: &str, message: String| WitnessRec {
        rule: rule.to_owned(),
        node: node.to_owned(),
        job: ev.job.clone(),
        repository: repo.to_owned(),
        message,
        since: now,
    };
    if let Some(old) = j.repository.as_deref().filter(|old| *old != repo) {
        let msg = format!(
            "{node}/{}: snapshot {} is in repository {}, but this job reported repository {} until now: the repository was replaced or the node lost its state; check both before trusting either",
            ev.job,
            short(snap),
            short(repo),
            short(old)
        );
        w.put_witness(store, &evidence("repository-changed", msg))?;
    }
    j.repository = Some(repo.to_owned());
    j.seq = Some(seq);
    let known = w.chain(store, node, repo)?;
    let prev_seq = ev.prev_seq.unwrap_or(0);
    if let Some(c) = &known {
        let same = seq == c.seq && c.snapshot.as_deref() == ev.snapshot.as_deref();
        if same {
            return Ok(());
        }
        if seq <= c.seq || prev_seq < c.seq {
            let msg = format!(
                "{node}/{}: snapshot {} (seq {seq}) was committed after seq {prev_seq}, but this tower acknowledged seq {} (snapshot {}) in repository {}: storage or the node's state went back",
                ev.job,
                short(snap),
                c.seq,
                short(c.snapshot.as_deref().unwrap_or("?")),
                short(repo)
            );
            w.put_witness(store, &evidence("rollback", msg))?;
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
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::status::{EventKind, RunResult};

    fn report(repo: &str, seq: u64, prev_seq: Option<u64>, snap: &str) -> Event {
        let mut e = Event::new(EventKind::Finished, "r", "files", "fs", 1, 2);
        e.result = Some(RunResult::Success);
        e.repository = Some(repo.into());
        e.seq = Some(seq);
        e.prev_seq = prev_seq;
        e.snapshot = Some(snap.into());
        e
    }

    /// Applies reports in order; returns the rules with evidence after each.
    fn witnessed(reports: &[Event]) -> Vec<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut j = JobRec::new("n", "files", "fs", 0);
        let mut out = Vec::new();
        for (i, e) in reports.iter().enumerate() {
            let mut w = Writes::default();
            if witness(&store, &mut w, "n", &mut j, e, i as i64).is_err() {
                out.push(vec!["refused".to_owned()]);
                continue;
            }
            store.commit(w).unwrap();
            out.push(
                store
                    .witnesses()
                    .unwrap()
                    .into_iter()
                    .map(|w| w.rule)
                    .collect(),
            );
        }
        out
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
        assert_eq!(r[2], ["rollback"]);
        assert_eq!(r[3], ["rollback"], "the next honest run does not clear it");
        // A node that did not see a snapshot the tower knows.
        let r = witnessed(&[
            report("aa", 3, Some(2), "s3"),
            report("aa", 4, Some(2), "s4"),
        ]);
        assert_eq!(r[1], ["rollback"]);
    }

    #[test]
    fn another_repository_id_is_repository_changed_and_ids_must_be_hex() {
        let r = witnessed(&[report("aa", 5, Some(4), "s5"), report("bb", 1, None, "t1")]);
        assert_eq!(r[1], ["repository-changed"]);
        assert_eq!(
            witnessed(&[report("zz\u{1b}", 1, None, "s")])[0],
            ["refused"]
        );
    }
}
