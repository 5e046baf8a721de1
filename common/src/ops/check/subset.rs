//! `check --read-data-subset`: which packs a partial verification reads,
//! with restic's semantics. `K/M` reads the packs of group K of M (a pack's
//! group is its name's first four bytes modulo M), so M runs, K = 1..M, read
//! every pack exactly once; `N%` reads that share of the packs and `SIZE`
//! packs up to that many bytes, both picked at random anew each run.

use crate::error::{Error, ErrorKind, Result};
use crate::id::Id;
use rand::seq::SliceRandom;

/// A subset of the packs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Subset {
    /// Group `k` (1-based) of `m`.
    Group {
        /// Which group, 1..=m.
        k: u32,
        /// How many groups.
        m: u32,
    },
    /// This share of the packs, in (0, 1], at random.
    Share(f64),
    /// Packs up to this many bytes, at random.
    Bytes(u64),
}

impl std::str::FromStr for Subset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Subset> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::BadInput,
                format!("--read-data-subset '{}': {why}", s.escape_debug()),
            )
            .hint("give K/M (e.g. 3/7: the third of seven groups of packs), N% (e.g. 5%) or a size (e.g. 500M, 2G)")
        };
        let t = s.trim();
        if let Some((k, m)) = t.split_once('/') {
            let (Ok(k), Ok(m)) = (k.trim().parse::<u32>(), m.trim().parse::<u32>()) else {
                return Err(bad("K/M takes two whole numbers"));
            };
            if k == 0 || m == 0 || k > m {
                return Err(bad("K/M needs 1 <= K <= M"));
            }
            return Ok(Subset::Group { k, m });
        }
        if let Some(p) = t.strip_suffix('%') {
            return match p.trim().parse::<f64>() {
                Ok(p) if p > 0.0 && p <= 100.0 => Ok(Subset::Share(p / 100.0)),
                _ => Err(bad("a share is more than 0% and at most 100%")),
            };
        }
        match proto::humanize::parse_size(t) {
            Ok(0) | Err(_) => Err(bad("not K/M, N% or a size")),
            Ok(n) => Ok(Subset::Bytes(n)),
        }
    }
}

impl std::fmt::Display for Subset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subset::Group { k, m } => write!(f, "{k}/{m}"),
            Subset::Share(p) => write!(f, "{}%", p * 100.0),
            Subset::Bytes(n) => write!(f, "{}", proto::humanize::bytes(*n)),
        }
    }
}

impl Subset {
    /// The group (0-based) of `id` among `m`.
    fn group(id: &Id, m: u32) -> u32 {
        let b = &id.0;
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]) % m
    }

    /// The packs of `packs` (id, size) this subset reads, sorted by name.
    pub fn pick(&self, packs: &[(Id, u64)]) -> Vec<Id> {
        let mut out: Vec<Id> = match *self {
            Subset::Group { k, m } => packs
                .iter()
                .filter(|(id, _)| Self::group(id, m) == k - 1)
                .map(|(id, _)| *id)
                .collect(),
            Subset::Share(p) => {
                let n = ((packs.len() as f64) * p).ceil() as usize;
                let mut all: Vec<Id> = packs.iter().map(|(id, _)| *id).collect();
                all.shuffle(&mut rand::thread_rng());
                all.truncate(n);
                all
            }
            Subset::Bytes(limit) => {
                let mut all: Vec<&(Id, u64)> = packs.iter().collect();
                all.shuffle(&mut rand::thread_rng());
                let mut total = 0u64;
                let mut out = Vec::new();
                for (id, size) in all {
                    if total.saturating_add(*size) > limit {
                        continue;
                    }
                    total += size;
                    out.push(*id);
                }
                out
            }
        };
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packs(n: usize) -> Vec<(Id, u64)> {
        (0..n)
            .map(|i| (Id::of_object(&(i as u64).to_le_bytes()), 1000 + i as u64))
            .collect()
    }

    #[test]
    fn groups_cover_every_pack_once_and_shares_are_near_their_size() {
        let all = packs(500);
        let mut seen = std::collections::HashMap::new();
        for k in 1..=5 {
            for id in (Subset::Group { k, m: 5 }).pick(&all) {
                *seen.entry(id).or_insert(0) += 1;
            }
        }
        assert_eq!(seen.len(), 500);
        assert!(seen.values().all(|&n| n == 1));
        let ten = Subset::Share(0.10).pick(&all).len();
        assert!((40..=60).contains(&ten), "{ten}");
        let bytes = Subset::Bytes(10_500).pick(&all);
        let sum: u64 = all
            .iter()
            .filter(|(id, _)| bytes.contains(id))
            .map(|(_, s)| s)
            .sum();
        assert!(sum <= 10_500 && bytes.len() >= 8, "{sum} {}", bytes.len());
    }

    #[test]
    fn subsets_parse_as_restic_writes_them_and_nonsense_is_one_line() {
        assert_eq!(
            "2/7".parse::<Subset>().unwrap(),
            Subset::Group { k: 2, m: 7 }
        );
        assert_eq!("10%".parse::<Subset>().unwrap(), Subset::Share(0.10));
        assert_eq!("500M".parse::<Subset>().unwrap(), Subset::Bytes(500 << 20));
        for bad in ["0/5", "6/5", "x/5", "0%", "101%", "", "lots", "1/0"] {
            let e = bad.parse::<Subset>().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadInput, "{bad}");
            assert!(e.to_string().contains("--read-data-subset"), "{e}");
        }
    }
}
