//! The index's resident memory and lookup time at ten million blobs: the
//! unit-level benchmark `bench/index.sh` runs (see bench/README.md).
//!
//!   cargo run --release -p banana-common --example index_memory -- [BLOBS] [grouped|lone]
//!
//! Builds an index of BLOBS random ids in packs of 10,000 blobs, either in
//! compression groups of 700 (files under 64 KiB, most blobs) or each blob
//! compressed alone (chunks of large files), and prints the resident set
//! before and after (VmRSS), bytes per blob, and the time of a million
//! lookups that hit and a million that miss.

use common::format::{BlobEntry, BlobKind, IndexPack};
use common::id::Id;
use common::repo::Index;
use std::time::Instant;

fn rss_bytes() -> u64 {
    status_bytes("VmRSS:")
}

fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn id(i: u64) -> Id {
    Id(*blake3::hash(&i.to_le_bytes()).as_bytes())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let blobs: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let grouped = args.get(2).is_none_or(|m| m != "lone");
    const PER_PACK: u64 = 10_000;
    const PER_GROUP: u64 = 700;
    let before = rss_bytes();
    let t = Instant::now();
    let mut index = Index::default();
    let mut next = 0u64;
    let mut pack = 0u64;
    while next < blobs {
        let n = PER_PACK.min(blobs - next);
        let entries = (0..n)
            .map(|j| {
                let (g, b) = (j / PER_GROUP, j % PER_GROUP);
                BlobEntry {
                    id: id(next + j),
                    kind: BlobKind::Data,
                    offset: if grouped {
                        g as u32 * 400_000
                    } else {
                        j as u32 * 1_000_000
                    },
                    length: if grouped { 300_000 } else { 900_000 },
                    raw_length: if grouped { 700 } else { 1 << 20 },
                    inner: if grouped { b as u32 * 700 } else { 0 },
                    group_length: if grouped { PER_GROUP as u32 * 700 } else { 0 },
                }
            })
            .collect();
        index.add_pack(&IndexPack {
            id: Id(*blake3::hash(&pack.to_be_bytes()).as_bytes()),
            body_len: 1 << 32,
            blobs: entries,
        });
        next += n;
        pack += 1;
    }
    let built = t.elapsed();
    let after = rss_bytes();
    let lookups = 1_000_000u64.min(blobs);
    let t = Instant::now();
    let mut hits = 0u64;
    for i in 0..lookups {
        hits += u64::from(index.contains(&id(i * (blobs / lookups))));
    }
    let hit_time = t.elapsed();
    let t = Instant::now();
    for i in 0..lookups {
        hits += u64::from(index.contains(&id(blobs + i)));
    }
    let miss_time = t.elapsed();
    let per = |b: u64| b as f64 / blobs as f64;
    println!(
        "index {} blobs ({}): built in {:.2} s; rss {:.0} -> {:.0} MiB: {:.1} bytes per blob \
         (estimate {:.1}, peak {:.1}); lookup hit {:.0} ns, miss {:.0} ns (id hashing included); {} hits",
        blobs,
        if grouped { "groups of 700" } else { "each alone" },
        built.as_secs_f64(),
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        per(after.saturating_sub(before)),
        per(index.resident_estimate() as u64),
        per(status_bytes("VmHWM:").saturating_sub(before)),
        hit_time.as_nanos() as f64 / lookups as f64,
        miss_time.as_nanos() as f64 / lookups as f64,
        hits,
    );
}
