//! Which snapshots a command looks at: `--job`, `--host`, `--tag`, `--path`
//! (shared by snapshots, restore, ls, dump, diff and find), and what
//! `latest` means among them.

use clap::Args;
use common::format::{RunStatus, Snapshot};
use common::repo::Repository;
use common::Id;
use std::path::PathBuf;

/// Snapshot filters; a snapshot must match every one given.
#[derive(Debug, Args, Clone, Default)]
pub struct Filter {
    /// Only snapshots of this job.
    #[arg(long, value_name = "NAME", add = clap_complete::ArgValueCandidates::new(crate::complete::jobs))]
    pub job: Option<String>,
    /// Only snapshots of this host.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Only snapshots carrying this tag; repeat to require several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only snapshots that backed up this path (exactly as recorded, e.g.
    /// /etc, or stdin:NAME and command:NAME for streams); repeat to require
    /// several.
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `/etc/` and `/etc` are the same recorded path.
fn normal(p: &[u8]) -> &[u8] {
    match p {
        [rest @ .., b'/'] if !rest.is_empty() => normal(rest),
        _ => p,
    }
}

impl Filter {
    /// Whether `snap` passes every filter.
    pub fn matches(&self, snap: &Snapshot) -> bool {
        use std::os::unix::ffi::OsStrExt;
        self.job
            .as_ref()
            .is_none_or(|j| snap.run.job.as_ref() == Some(j))
            && self.host.as_ref().is_none_or(|h| &snap.hostname == h)
            && self.tags.iter().all(|t| snap.tags.contains(t))
            && self.paths.iter().all(|p| {
                let want = normal(p.as_os_str().as_bytes());
                snap.paths.iter().any(|have| normal(have) == want)
            })
    }

    /// Whether any filter is set.
    pub fn any(&self) -> bool {
        self.job.is_some() || self.host.is_some() || !self.tags.is_empty() || !self.paths.is_empty()
    }

    /// The snapshots of `all` (oldest first) that pass.
    pub fn apply(&self, all: Vec<(Id, Snapshot)>) -> Vec<(Id, Snapshot)> {
        all.into_iter().filter(|(_, s)| self.matches(s)).collect()
    }

    /// Resolves `spec` (`latest`, an id or a prefix) among the snapshots of
    /// `repo` that pass; a `latest` restore warns about chain gaps first.
    pub fn resolve(
        &self,
        repo: &Repository,
        spec: &str,
        out: Option<&crate::output::Output>,
    ) -> anyhow::Result<(Id, Snapshot)> {
        let all = repo.snapshots()?;
        if let (Some(out), "latest") = (out, spec) {
            // What "latest" means depends on what storage kept: show the holes.
            super::warn_gaps(repo, &all, out)?;
        }
        Ok(repo.resolve_in(self.apply(all), spec)?)
    }
}

/// The newest `n` snapshots of each (host, job) that did not fail, in the
/// order of `all` (oldest first): `snapshots --latest N`.
pub fn latest(all: Vec<(Id, Snapshot)>, n: usize) -> Vec<(Id, Snapshot)> {
    let mut seen: std::collections::HashMap<(String, Option<String>), usize> =
        std::collections::HashMap::new();
    let mut keep = vec![false; all.len()];
    for (i, (_, s)) in all.iter().enumerate().rev() {
        if s.run.status == RunStatus::Failed {
            continue;
        }
        let count = seen
            .entry((s.hostname.clone(), s.run.job.clone()))
            .or_default();
        if *count < n {
            *count += 1;
            keep[i] = true;
        }
    }
    all.into_iter()
        .zip(keep)
        .filter_map(|(x, k)| k.then_some(x))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_bytes::ByteBuf;

    fn snap(t: i64, host: &str, job: Option<&str>, tags: &[&str], paths: &[&str]) -> Snapshot {
        let mut s: Snapshot = serde_json::from_value(serde_json::json!({
            "time": [t, 0], "hostname": host, "username": "root", "paths": [], "tags": [],
            "parent": null, "tree": Id::default(), "refs": Id::default(), "indexes": [],
            "summary": common::format::Summary::default(), "program": "t",
        }))
        .unwrap();
        s.tags = tags.iter().map(|t| t.to_string()).collect();
        s.paths = paths
            .iter()
            .map(|p| ByteBuf::from(p.as_bytes().to_vec()))
            .collect();
        s.run.job = job.map(str::to_owned);
        s
    }

    #[test]
    fn filters_select_exactly_what_they_name() {
        let all: Vec<(Id, Snapshot)> = vec![
            snap(1, "a", Some("etc"), &["daily"], &["/etc"]),
            snap(2, "a", Some("db"), &[], &["command:db"]),
            snap(3, "b", Some("etc"), &["daily", "x"], &["/etc/", "/srv"]),
            snap(4, "a", None, &["x"], &["/home"]),
            snap(5, "a", Some("etc"), &[], &["/etc"]),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, s)| (Id([i as u8; 32]), s))
        .collect();
        let times = |f: Filter| -> Vec<i64> {
            f.apply(all.clone()).iter().map(|(_, s)| s.time.0).collect()
        };
        let f = |job: Option<&str>, host: Option<&str>, tags: &[&str], paths: &[&str]| Filter {
            job: job.map(Into::into),
            host: host.map(Into::into),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            paths: paths.iter().map(PathBuf::from).collect(),
        };
        let table: Vec<(Filter, Vec<i64>)> = vec![
            (Filter::default(), vec![1, 2, 3, 4, 5]),
            (f(Some("etc"), None, &[], &[]), vec![1, 3, 5]),
            (f(Some("etc"), Some("a"), &[], &[]), vec![1, 5]),
            (f(None, None, &["daily"], &[]), vec![1, 3]),
            (f(None, None, &["daily", "x"], &[]), vec![3]),
            (f(None, None, &[], &["/etc"]), vec![1, 3, 5]),
            (f(None, None, &[], &["/etc/", "/srv"]), vec![3]),
            (f(None, None, &[], &["command:db"]), vec![2]),
            (f(Some("nope"), None, &[], &[]), vec![]),
            (f(None, Some("b"), &["x"], &[]), vec![3]),
        ];
        for (filter, want) in table {
            assert_eq!(times(filter.clone()), want, "{filter:?}");
        }
    }

    #[test]
    fn latest_n_is_per_host_and_job_and_skips_failed() {
        let mut all: Vec<(Id, Snapshot)> = Vec::new();
        for (i, (host, job)) in [
            ("a", "etc"),
            ("a", "db"),
            ("a", "etc"),
            ("b", "etc"),
            ("a", "etc"),
            ("a", "db"),
        ]
        .iter()
        .enumerate()
        {
            all.push((Id([i as u8; 32]), snap(i as i64, host, Some(job), &[], &[])));
        }
        all[4].1.run.status = RunStatus::Failed;
        let t = |v: Vec<(Id, Snapshot)>| -> Vec<i64> { v.iter().map(|(_, s)| s.time.0).collect() };
        assert_eq!(t(latest(all.clone(), 1)), vec![2, 3, 5]);
        assert_eq!(t(latest(all.clone(), 2)), vec![0, 1, 2, 3, 5]);
        assert_eq!(t(latest(all, 0)), Vec::<i64>::new());
    }
}
