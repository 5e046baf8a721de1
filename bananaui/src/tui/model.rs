//! What the TUI shows: the API's answers (typed), flattened into node × job
//! rows with every string sanitised once per refresh, sorted and filtered.

use serde::Deserialize;

/// `GET /api/v1/fleet`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Fleet {
    /// Nodes by state.
    #[serde(default)]
    pub states: std::collections::BTreeMap<String, u64>,
    /// Firing alerts.
    #[serde(default)]
    pub alerts_firing: u64,
    /// The collector itself.
    #[serde(default)]
    pub collector: Collector,
}

/// The collector's own health.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Collector {
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Start time.
    #[serde(default)]
    pub started_at: i64,
    /// Events stored since start.
    #[serde(default)]
    pub ingested: u64,
    /// Requests refused since start.
    #[serde(default)]
    pub rejected: u64,
}

/// `GET /api/v1/nodes`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Nodes {
    /// Nodes, worst first.
    pub nodes: Vec<Node>,
}

/// A node.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Node {
    /// Name.
    pub name: String,
    /// State.
    pub state: String,
    /// Enrolment time.
    #[serde(default)]
    pub enrolled_at: i64,
    /// Last event.
    pub last_seen_at: Option<i64>,
    /// Agent version.
    pub agent: Option<String>,
    /// Jobs.
    #[serde(default)]
    pub jobs: Vec<Job>,
}

/// A node's job.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Job {
    /// Name.
    pub job: String,
    /// State.
    pub state: String,
    /// Plugin.
    #[serde(default)]
    pub plugin: String,
    /// Expected interval.
    pub every_secs: Option<u64>,
    /// Last start.
    pub last_started_at: Option<i64>,
    /// Last end.
    pub last_ended_at: Option<i64>,
    /// Last result.
    pub last_result: Option<String>,
    /// Last success.
    pub last_success_at: Option<i64>,
    /// Last duration.
    pub duration_secs: Option<i64>,
    /// Last file count.
    pub files: Option<u64>,
    /// Last logical size.
    pub bytes_total: Option<u64>,
    /// Last stored bytes.
    pub bytes_stored: Option<u64>,
    /// Next due.
    pub next_due_at: Option<i64>,
    /// Last error.
    pub error: Option<String>,
    /// A run is going.
    #[serde(default)]
    pub running: bool,
}

/// `GET /api/v1/nodes/{name}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Detail {
    /// The node.
    pub node: Node,
    /// Runs, newest first.
    #[serde(default)]
    pub runs: Vec<Run>,
    /// Its alerts.
    #[serde(default)]
    pub alerts: Vec<Alert>,
}

/// One run.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Run {
    /// Job.
    pub job: String,
    /// Start.
    pub started_at: i64,
    /// End.
    pub ended_at: i64,
    /// Seconds.
    #[serde(default)]
    pub duration_secs: i64,
    /// Result.
    pub result: String,
    /// Files.
    #[serde(default)]
    pub files: u64,
    /// Logical size.
    #[serde(default)]
    pub bytes_total: u64,
    /// Stored bytes.
    #[serde(default)]
    pub bytes_stored: u64,
    /// Warnings.
    #[serde(default)]
    pub warnings: u64,
    /// Error.
    pub error: Option<String>,
    /// When the tower received it (absent from older towers).
    pub received_at: Option<i64>,
}

/// `GET /api/v1/alerts`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Alerts {
    /// Firing.
    #[serde(default)]
    pub firing: Vec<Alert>,
    /// Recently resolved.
    #[serde(default)]
    pub resolved: Vec<Alert>,
}

/// An alert.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Alert {
    /// Rule.
    pub rule: String,
    /// Node.
    pub node: String,
    /// Job.
    pub job: Option<String>,
    /// Firing since.
    pub since: i64,
    /// Resolved at.
    pub resolved_at: Option<i64>,
    /// Text.
    #[serde(default)]
    pub message: String,
}

/// Makes node-provided text safe for a terminal: control characters (C0, DEL,
/// C1: every escape sequence starts with one) become visible `\x1b`-style
/// escapes, and bidirectional overrides are dropped; the result is one line.
pub fn clean(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}' => {}
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xff {
                    o.push_str(&format!("\\x{n:02x}"));
                } else {
                    o.push_str(&format!("\\u{{{n:x}}}"));
                }
            }
            c => o.push(c),
        }
    }
    o
}

/// A state, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Last run failed or partial.
    Failed,
    /// Overdue.
    Late,
    /// Node silent.
    Silent,
    /// Never succeeded.
    Never,
    /// Running.
    Running,
    /// Fine.
    Ok,
    /// A state this TUI does not know (a newer tower).
    Unknown,
}

impl State {
    /// Every known state, worst first.
    pub const ALL: [State; 6] = [
        State::Failed,
        State::Late,
        State::Silent,
        State::Never,
        State::Running,
        State::Ok,
    ];

    /// From the API's name.
    pub fn parse(s: &str) -> State {
        match s {
            "failed" => State::Failed,
            "late" => State::Late,
            "silent" => State::Silent,
            "never" => State::Never,
            "running" => State::Running,
            "ok" => State::Ok,
            _ => State::Unknown,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            State::Failed => "failed",
            State::Late => "late",
            State::Silent => "silent",
            State::Never => "never",
            State::Running => "running",
            State::Ok => "ok",
            State::Unknown => "?",
        }
    }

    /// A symbol that reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            State::Failed => "✗",
            State::Late => "!",
            State::Silent => "…",
            State::Never => "∅",
            State::Running => "▶",
            State::Ok => "✓",
            State::Unknown => "?",
        }
    }
}

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
    /// Last error (sanitised).
    pub error: String,
    /// Lower-cased "node job", for search.
    key: String,
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
        if n.jobs.is_empty() {
            out.push(Row {
                state: State::parse(&n.state),
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
            });
            continue;
        }
        for j in &n.jobs {
            let job = clean(&j.job);
            out.push(Row {
                state: State::parse(&j.state),
                key: format!("{} {}", node.to_lowercase(), job.to_lowercase()),
                node: node.clone(),
                job,
                plugin: clean(&j.plugin),
                last_success_at: j.last_success_at,
                result: clean(j.last_result.as_deref().unwrap_or("")),
                duration: j.duration_secs,
                stored: j.bytes_stored,
                total: j.bytes_total,
                next_due_at: j.next_due_at,
                error: clean(j.error.as_deref().unwrap_or("")),
            });
        }
    }
    out
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

/// "3h 12m ago" / "in 5m" relative to `now`.
pub fn ago(t: Option<i64>, now: i64) -> String {
    match t {
        None => "never".into(),
        Some(t) if t <= now => format!("{} ago", span(now.saturating_sub(t))),
        Some(t) => format!("in {}", span(t.saturating_sub(now))),
    }
}

/// "3h 12m" style (the same wording as the alert messages).
pub fn span(secs: i64) -> String {
    crate::alerts::age(secs)
}

/// "1.5 GiB" style.
pub fn bytes(b: Option<u64>) -> String {
    let Some(b) = b else {
        return "—".into();
    };
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_made_visible_and_inert() {
        assert_eq!(clean("a\u{1b}[31mb"), "a\\x1b[31mb");
        assert_eq!(clean("x\u{9b}2Jy\u{7}"), "x\\x9b2Jy\\x07");
        assert_eq!(clean("ab\u{202e}cd\nef"), "abcd\\x0aef");
        assert!(clean("\u{1b}]0;title\u{7}")
            .chars()
            .all(|c| !c.is_control()));
    }

    #[test]
    fn rows_sort_worst_first_and_search_narrows() {
        let job = |name: &str, state: &str, success: Option<i64>| Job {
            job: name.into(),
            state: state.into(),
            last_success_at: success,
            ..Job::default()
        };
        let nodes = vec![
            Node {
                name: "web-01".into(),
                state: "ok".into(),
                jobs: vec![job("files", "ok", Some(100)), job("db", "failed", Some(50))],
                ..Node::default()
            },
            Node {
                name: "db-02".into(),
                state: "never".into(),
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
