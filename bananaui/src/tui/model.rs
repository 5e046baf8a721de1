//! What the TUI shows: the API's answers ([`crate::api`]), flattened into
//! node × job rows with every string sanitised once per refresh, sorted and
//! filtered.

use crate::api::{Copy as CopyReport, Job, Node, Outcome, State};

pub use proto::humanize::printable as clean;

/// One table row: a node's job (or a node without jobs), display-ready.
#[derive(Debug, Clone)]
pub struct Row {
    /// State.
    pub state: State,
    /// Node name (sanitised).
    pub node: String,
    /// Job name (sanitised; "—" for a node without jobs).
    pub job: String,
    /// Plugin (sanitised).
    pub plugin: String,
    /// Last success.
    pub last_success_at: Option<i64>,
    /// Last result (sanitised).
    pub result: String,
    /// Last duration.
    pub duration: Option<i64>,
    /// Last stored bytes.
    pub stored: Option<u64>,
    /// Last logical size.
    pub total: Option<u64>,
    /// Next due.
    pub next_due_at: Option<i64>,
    /// Why the last run was not a full success (sanitised): a failed run's
    /// error, a partial run's first warning (or its count, from an agent that
    /// sends no text).
    pub error: String,
    /// When the newest passing drill of the job ran.
    pub verified_at: Option<i64>,
    /// The job's newest drill found damage.
    pub drill_failed: bool,
    /// The node's copies (the same on each of its rows).
    pub copy: CopyState,
    /// Lower-cased "node job", for search.
    key: String,
}

/// Where a node's copies stand, over its destinations: the COPY column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CopyState {
    /// No copy of the node reached the tower.
    #[default]
    None,
    /// The worst destination's lag (0: every backup copied); `lagging`
    /// while `copy-lag` holds for one.
    Lag {
        /// Seconds.
        secs: i64,
        /// `copy-lag` holds.
        lagging: bool,
    },
    /// A copy found snapshots lost at the source, not yet acknowledged.
    Lost,
}

impl CopyState {
    /// Of a node's copy reports.
    pub fn of(copies: &[CopyReport]) -> CopyState {
        if copies.iter().any(|c| c.source_lost_held > 0) {
            return CopyState::Lost;
        }
        match copies.iter().map(|c| c.lag_secs).max() {
            None => CopyState::None,
            Some(secs) => CopyState::Lag {
                secs,
                lagging: copies.iter().any(|c| c.lagging),
            },
        }
    }

    /// The cell: `—`, `ok`, the lag (`3h 0m`), or `LOST`.
    pub fn text(self) -> String {
        match self {
            CopyState::None => "—".into(),
            CopyState::Lag { secs: 0, .. } => "ok".into(),
            CopyState::Lag { secs, .. } => span(secs),
            CopyState::Lost => "LOST".into(),
        }
    }

    /// Shown in red: `copy-lag` holds, or evidence waits.
    pub fn bad(self) -> bool {
        matches!(self, CopyState::Lost | CopyState::Lag { lagging: true, .. })
    }
}

/// Table orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Worst first, then oldest success.
    State,
    /// By node, then job.
    Node,
    /// Oldest last success first.
    Age,
    /// Largest stored size first.
    Size,
    /// Longest duration first.
    Duration,
}

impl Sort {
    /// The next order (the `s` key).
    pub fn next(self) -> Sort {
        match self {
            Sort::State => Sort::Node,
            Sort::Node => Sort::Age,
            Sort::Age => Sort::Size,
            Sort::Size => Sort::Duration,
            Sort::Duration => Sort::State,
        }
    }
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Sort::State => "worst first",
            Sort::Node => "node",
            Sort::Age => "last success",
            Sort::Size => "size",
            Sort::Duration => "duration",
        }
    }
}

/// Flattens nodes into rows.
pub fn rows(nodes: &[Node]) -> Vec<Row> {
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        let node = clean(&n.name);
        let copy = CopyState::of(&n.copies);
        if n.jobs.is_empty() {
            out.push(Row {
                state: n.state,
                key: node.to_lowercase(),
                node,
                job: "—".into(),
                plugin: String::new(),
                last_success_at: None,
                result: String::new(),
                duration: None,
                stored: None,
                total: None,
                next_due_at: None,
                error: String::new(),
                verified_at: None,
                drill_failed: false,
                copy,
            });
            continue;
        }
        for j in &n.jobs {
            let job = clean(&j.job);
            out.push(Row {
                state: j.state,
                key: format!("{} {}", node.to_lowercase(), job.to_lowercase()),
                node: node.clone(),
                job,
                plugin: clean(&j.plugin),
                last_success_at: j.last_success_at,
                result: j.last_result.map(|r| r.name()).unwrap_or("").to_owned(),
                duration: j.duration_secs,
                stored: j.bytes_stored,
                total: j.bytes_total,
                next_due_at: j.next_due_at,
                error: why(j),
                verified_at: j.last_drill.as_ref().and_then(|d| d.verified_at),
                drill_failed: j.last_drill.as_ref().is_some_and(|d| !d.passed),
                copy,
            });
        }
    }
    out
}

/// The error column of a job (sanitised).
pub fn why(j: &Job) -> String {
    match (&j.error, j.last_result, j.warnings) {
        (Some(e), _, _) => clean(e),
        (None, Some(Outcome::Partial), Some(w)) if w > 0 => plural(w, "warning", "warnings"),
        _ => String::new(),
    }
}

/// The VERIFIED column: how long ago the newest passing drill ran (`—`
/// for a job never drilled), marked `✗` while the newest drill failed.
pub fn verified(r: &Row, now: i64) -> String {
    let age = r.verified_at.map(|t| span(now.saturating_sub(t)));
    match (r.drill_failed, age) {
        (true, Some(a)) => format!("✗ {a}"),
        (true, None) => "✗ never".into(),
        (false, Some(a)) => a,
        (false, None) => "—".into(),
    }
}

/// `1 warning`, `3 warnings`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Sorts rows in place.
pub fn sort(rows: &mut [Row], by: Sort) {
    let name = |a: &Row, b: &Row| a.node.cmp(&b.node).then_with(|| a.job.cmp(&b.job));
    match by {
        Sort::State => rows.sort_by(|a, b| {
            a.state
                .cmp(&b.state)
                .then_with(|| a.last_success_at.cmp(&b.last_success_at))
                .then_with(|| name(a, b))
        }),
        Sort::Node => rows.sort_by(name),
        Sort::Age => rows.sort_by(|a, b| {
            a.last_success_at
                .cmp(&b.last_success_at)
                .then_with(|| name(a, b))
        }),
        Sort::Size => rows.sort_by(|a, b| b.stored.cmp(&a.stored).then_with(|| name(a, b))),
        Sort::Duration => rows.sort_by(|a, b| b.duration.cmp(&a.duration).then_with(|| name(a, b))),
    }
}

/// Indices of the rows matching a search (every word a case-insensitive
/// substring of "node job") and a state filter.
pub fn select(rows: &[Row], search: &str, only: Option<State>) -> Vec<usize> {
    let needle = search.to_lowercase();
    let terms: Vec<&str> = needle.split_whitespace().collect();
    rows.iter()
        .enumerate()
        .filter(|(_, r)| only.is_none_or(|s| r.state == s))
        .filter(|(_, r)| terms.iter().all(|t| r.key.contains(t)))
        .map(|(i, _)| i)
        .collect()
}

pub use proto::humanize::ago;

/// "3h 12m" style (the same wording as the alert messages).
pub fn span(secs: i64) -> String {
    proto::humanize::age(secs)
}

/// "1.5 GiB" style; "—" when unknown.
pub fn bytes(b: Option<u64>) -> String {
    b.map_or_else(|| "—".into(), proto::humanize::bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_column_says_why_a_run_was_partial() {
        let partial = |error: Option<&str>, warnings| Job {
            last_result: Some(Outcome::Partial),
            error: error.map(str::to_owned),
            warnings: Some(warnings),
            ..Job::default()
        };
        assert_eq!(
            why(&partial(Some("cannot read /x\x1b"), 3)),
            "cannot read /x\\x1b"
        );
        // An agent that sends no text: the count.
        assert_eq!(why(&partial(None, 3)), "3 warnings");
        assert_eq!(why(&partial(None, 1)), "1 warning");
        assert_eq!(why(&Job::default()), "");
    }

    #[test]
    fn rows_sort_worst_first_and_search_narrows() {
        let job = |name: &str, state: State, success: Option<i64>| Job {
            job: name.into(),
            state,
            last_success_at: success,
            ..Job::default()
        };
        let nodes = vec![
            Node {
                name: "web-01".into(),
                state: State::Ok,
                jobs: vec![
                    job("files", State::Ok, Some(100)),
                    job("db", State::Failed, Some(50)),
                ],
                ..Node::default()
            },
            Node {
                name: "db-02".into(),
                state: State::Never,
                ..Node::default()
            },
        ];
        let mut r = rows(&nodes);
        sort(&mut r, Sort::State);
        let order: Vec<_> = r
            .iter()
            .map(|r| (r.node.as_str(), r.job.as_str()))
            .collect();
        assert_eq!(
            order,
            [("web-01", "db"), ("db-02", "—"), ("web-01", "files")]
        );
        assert_eq!(select(&r, "DB", None), vec![0, 1]);
        assert_eq!(select(&r, "", Some(State::Failed)), vec![0]);
        assert_eq!(select(&r, "web files", None), vec![2]);
    }
}
