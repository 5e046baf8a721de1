//! The machine's ceiling for a first backup of large files: each stage a
//! backup runs, timed alone on one core over the same files, so the bench
//! can say how close bananactl comes (issue 29: within 15 %). Run by
//! `bench/ceiling.sh`; see bench/README.md.
//!
//!   cargo run --release -p banana-common --example ceiling -- DIR [THREADS]
//!
//! Stages, as the pipeline runs them: read (page cache to memory), chunk
//! (FastCDC with a keyed gear table, the chunk copied out), BLAKE3 (the
//! keyed id), compress (the entropy check, then zstd level 3 or raw), and
//! age (the pack body's encryption). The walking thread does the first
//! three in turn; compression runs on THREADS workers (default: the
//! cores); one thread encrypts. The ceiling is the larger of the work over
//! the cores and the busiest thread's share.

use common::crypto::keyfile::KeyFile;
use common::format::chunker::{self, ChunkerParams};
use common::format::codec::{self, Codec};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => files(&p, out),
            Ok(m) if m.is_file() => out.push(p),
            _ => {}
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: ceiling DIR [THREADS]");
        std::process::exit(2);
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads: usize = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(cores);
    let mut paths = Vec::new();
    files(Path::new(dir), &mut paths);

    let t = Instant::now();
    let data: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    let read = t.elapsed().as_secs_f64();
    let bytes: usize = data.iter().map(Vec::len).sum();

    let params = ChunkerParams::default();
    let t = Instant::now();
    let chunks: Vec<Vec<u8>> = data
        .iter()
        .flat_map(|d| chunker::chunks(&d[..], d.len() as u64, params, 7))
        .filter_map(Result::ok)
        .collect();
    let chunk = t.elapsed().as_secs_f64();
    drop(data);

    let key = [7u8; 32];
    let t = Instant::now();
    let ids: Vec<[u8; 32]> = chunks
        .iter()
        .map(|c| *blake3::keyed_hash(&key, c).as_bytes())
        .collect();
    let hash = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let payloads: Vec<Vec<u8>> = chunks
        .iter()
        .map(|c| codec::compress(c, Codec::Zstd(3)))
        .collect();
    let compress = t.elapsed().as_secs_f64();
    let stored: usize = payloads.iter().map(Vec::len).sum();

    let recipients = match KeyFile::generate(&[]) {
        Ok(k) => k.backup_key().recipients,
        Err(e) => {
            eprintln!("cannot make a key: {e}");
            std::process::exit(1);
        }
    };
    let t = Instant::now();
    let mut encrypted = 0usize;
    for pack in payloads.chunks(16) {
        let Ok(mut w) = common::crypto::age::writer(&recipients, Vec::new()) else {
            std::process::exit(1);
        };
        for p in pack {
            let _ = w.write_all(p);
        }
        encrypted += w.finish().map_or(0, |v| v.len());
    }
    let age = t.elapsed().as_secs_f64();

    let walker = read + chunk + hash;
    let work = walker + compress + age;
    let ceiling = (work / cores as f64)
        .max(walker)
        .max(compress / threads as f64)
        .max(age);
    let mib = bytes as f64 / 1048576.0;
    let rate = |s: f64| mib / s.max(1e-9);
    println!(
        "{} files, {:.0} MiB, {} chunks ({} ids), {:.0} MiB stored, {:.0} MiB encrypted",
        paths.len(),
        mib,
        chunks.len(),
        ids.len(),
        stored as f64 / 1048576.0,
        encrypted as f64 / 1048576.0
    );
    for (name, s) in [
        ("read", read),
        ("chunk", chunk),
        ("blake3", hash),
        ("compress", compress),
        ("age", age),
    ] {
        println!("  {name:<9} {s:6.2} s  {:7.0} MiB/s  (one core)", rate(s));
    }
    println!(
        "work {work:.2} s on one core; walking thread {walker:.2} s; {cores} cores, {threads} compressing: ceiling {ceiling:.2} s"
    );
}
