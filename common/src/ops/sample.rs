//! `drill --sample` ([`crate::drill`]): which files of a snapshot a drill
//! restores. The walk's files come in runs of up to [`RUN_FILES`]
//! consecutive files (at most [`RUN_BYTES`]): files backed up one after
//! another share packs and groups of small blobs, so a run is restored as a
//! full restore would read it, and the drill's time scales to the whole
//! snapshot's. Each run gets a random priority; `N%` keeps the runs whose
//! priority falls in that share, `N` the N files of lowest priority, `SIZE`
//! the lowest until their sizes add up to SIZE. Memory is bounded by the
//! sample, not by the snapshot.

use crate::error::{Error, ErrorKind, Result};
use crate::format::Node;
use std::collections::BinaryHeap;
use std::path::PathBuf;

/// How much of a snapshot a drill restores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    /// This share of its files, in (0, 1], at random.
    Share(f64),
    /// This many files, at random.
    Files(u64),
    /// Files at random until their sizes add up to this many bytes.
    Bytes(u64),
}

impl Default for Sample {
    fn default() -> Sample {
        Sample::Share(0.01)
    }
}

impl std::str::FromStr for Sample {
    type Err = Error;

    fn from_str(s: &str) -> Result<Sample> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::BadInput,
                format!("--sample '{}': {why}", s.escape_debug()),
            )
            .hint("give N% (e.g. 1%: that share of the files), N (e.g. 200 files) or a size (e.g. 500M, 2G)")
        };
        let t = s.trim();
        if let Some(p) = t.strip_suffix('%') {
            return match p.trim().parse::<f64>() {
                Ok(p) if p > 0.0 && p <= 100.0 => Ok(Sample::Share(p / 100.0)),
                _ => Err(bad("a share is more than 0% and at most 100%")),
            };
        }
        if let Ok(n) = t.parse::<u64>() {
            return match n {
                0 => Err(bad("a sample has at least one file")),
                n => Ok(Sample::Files(n)),
            };
        }
        match proto::humanize::parse_size(t) {
            Ok(0) | Err(_) => Err(bad("not N%, N or a size")),
            Ok(n) => Ok(Sample::Bytes(n)),
        }
    }
}

impl std::fmt::Display for Sample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sample::Share(p) => write!(f, "{}%", p * 100.0),
            Sample::Files(n) => write!(f, "{n}"),
            Sample::Bytes(n) => write!(f, "{}", proto::humanize::bytes(*n)),
        }
    }
}

/// Most files in a run.
pub const RUN_FILES: u64 = 256;
/// A run ends once its files hold this many bytes.
pub const RUN_BYTES: u64 = 16 << 20;

/// A file met by the walk, with its priority.
struct Candidate {
    priority: u64,
    path: PathBuf,
    node: Node,
}

impl PartialEq for Candidate {
    fn eq(&self, o: &Self) -> bool {
        self.priority == o.priority
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Candidate {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.priority.cmp(&o.priority)
    }
}

/// Picks a sample as the files come.
pub struct Picker {
    sample: Sample,
    /// Kept so far, highest priority on top (the first to go).
    kept: BinaryHeap<Candidate>,
    /// Their sizes.
    kept_bytes: u64,
    /// With a share: the lowest priority seen, so a sample is never empty.
    lowest: Option<Candidate>,
    /// Files seen, and their bytes.
    pub seen: (u64, u64),
    /// The current run: its priority (low byte clear), files, bytes.
    run: (u64, u64, u64),
}

impl Picker {
    /// A picker of `sample`.
    pub fn new(sample: Sample) -> Picker {
        Picker {
            sample,
            kept: BinaryHeap::new(),
            kept_bytes: 0,
            lowest: None,
            seen: (0, 0),
            run: (0, RUN_FILES, 0),
        }
    }

    /// Offers the file `node` at `path` (in walk order).
    pub fn offer(&mut self, path: PathBuf, node: &Node) {
        let (prio, files, bytes) = &mut self.run;
        if *files >= RUN_FILES || *bytes >= RUN_BYTES {
            *prio = rand::random::<u64>() & !0xff;
            (*files, *bytes) = (0, 0);
        }
        // The run's files keep their order: a sample of N files takes whole
        // runs, and the first files of one more.
        let priority = *prio | *files;
        *files += 1;
        *bytes = bytes.saturating_add(node.size);
        self.offer_with(priority, path, node);
    }

    fn offer_with(&mut self, priority: u64, path: PathBuf, node: &Node) {
        self.seen.0 += 1;
        self.seen.1 = self.seen.1.saturating_add(node.size);
        match self.sample {
            Sample::Share(p) => {
                if (priority as f64) < p * u64::MAX as f64 {
                    self.keep(priority, path, node);
                } else if self.kept.is_empty()
                    && self.lowest.as_ref().is_none_or(|l| priority < l.priority)
                {
                    self.lowest = Some(Candidate {
                        priority,
                        path,
                        node: node.clone(),
                    });
                }
            }
            Sample::Files(n) => {
                if (self.kept.len() as u64) < n
                    || self.kept.peek().is_some_and(|t| priority < t.priority)
                {
                    self.keep(priority, path, node);
                    while self.kept.len() as u64 > n {
                        self.drop_top();
                    }
                }
            }
            Sample::Bytes(b) => {
                if self.kept_bytes < b || self.kept.peek().is_some_and(|t| priority < t.priority) {
                    self.keep(priority, path, node);
                    // Drop the top while the rest still reaches `b`.
                    while self
                        .kept
                        .peek()
                        .is_some_and(|t| self.kept_bytes.saturating_sub(t.node.size) >= b)
                    {
                        self.drop_top();
                    }
                }
            }
        }
    }

    fn keep(&mut self, priority: u64, path: PathBuf, node: &Node) {
        self.kept_bytes = self.kept_bytes.saturating_add(node.size);
        self.kept.push(Candidate {
            priority,
            path,
            node: node.clone(),
        });
    }

    fn drop_top(&mut self) {
        if let Some(t) = self.kept.pop() {
            self.kept_bytes = self.kept_bytes.saturating_sub(t.node.size);
        }
    }

    /// The sample, in path order.
    pub fn finish(mut self) -> Vec<(PathBuf, Node)> {
        if self.kept.is_empty() {
            if let Some(l) = self.lowest.take() {
                self.kept.push(l);
            }
        }
        let mut out: Vec<(PathBuf, Node)> =
            self.kept.into_iter().map(|c| (c.path, c.node)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: u64) -> Node {
        let mut n = Node::new(b"f", crate::format::NodeKind::File);
        n.size = size;
        n
    }

    #[test]
    fn samples_parse_and_print() {
        assert_eq!("1%".parse::<Sample>().unwrap(), Sample::Share(0.01));
        assert_eq!("250".parse::<Sample>().unwrap(), Sample::Files(250));
        assert_eq!("1M".parse::<Sample>().unwrap(), Sample::Bytes(1 << 20));
        for bad in ["0", "0%", "101%", "x", "", "-3"] {
            let e = bad.parse::<Sample>().unwrap_err().to_string();
            assert!(e.starts_with("--sample '"), "{e}");
        }
        assert_eq!(Sample::Share(0.05).to_string(), "5%");
    }

    #[test]
    fn a_share_keeps_about_that_share_and_never_nothing() {
        // Files of a run's size: one run each.
        let mut p = Picker::new(Sample::Share(0.1));
        for i in 0..10_000u64 {
            p.offer(PathBuf::from(format!("/f{i}")), &file(RUN_BYTES));
        }
        let n = p.finish().len();
        assert!((800..=1200).contains(&n), "{n}");
        let mut p = Picker::new(Sample::Share(0.000_001));
        for i in 0..10u64 {
            p.offer(PathBuf::from(format!("/f{i}")), &file(1));
        }
        assert_eq!(p.finish().len(), 1);
    }

    #[test]
    fn small_files_come_in_runs_of_consecutive_files() {
        let mut p = Picker::new(Sample::Files(100));
        for i in 0..100_000u64 {
            p.offer(PathBuf::from(format!("/f{i:06}")), &file(100));
        }
        let got = p.finish();
        assert_eq!(got.len(), 100);
        let n = |p: &PathBuf| p.to_string_lossy()[2..].parse::<u64>().unwrap();
        let starts = got
            .windows(2)
            .filter(|w| n(&w[1].0) != n(&w[0].0) + 1)
            .count()
            + 1;
        assert!(starts <= 3, "{starts} runs for 100 files");
    }

    #[test]
    fn a_count_and_a_size_keep_the_lowest_priorities() {
        let mut p = Picker::new(Sample::Files(3));
        for i in 0..100u64 {
            p.offer_with(1000 - i, PathBuf::from(format!("/f{i:03}")), &file(1));
        }
        let got: Vec<_> = p.finish().into_iter().map(|(p, _)| p).collect();
        assert_eq!(got, ["/f097", "/f098", "/f099"].map(PathBuf::from));
        let mut p = Picker::new(Sample::Bytes(250));
        for i in 0..100u64 {
            p.offer_with(i, PathBuf::from(format!("/f{i:03}")), &file(100));
        }
        let got: Vec<_> = p.finish().into_iter().map(|(p, _)| p).collect();
        assert_eq!(got, ["/f000", "/f001", "/f002"].map(PathBuf::from));
    }
}
