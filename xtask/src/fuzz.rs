//! The fuzz corpora (`fuzz/corpus/<target>/`): `cargo run -p xtask
//! --features fuzz -- fuzz-seeds` writes valid inputs for each target, and the test below replays every
//! committed input (seeds, what the fuzzer found, crash cases) through the
//! same entry points the fuzz targets call, so CI checks them all.

#[cfg(feature = "fuzz")]
use std::path::Path;

/// The entry point of each fuzz target, by name.
#[cfg(test)]
pub fn target(name: &str) -> Option<fn(&[u8])> {
    use common::testing::fuzz as f;
    Some(match name {
        "sealed_object" => f::sealed_object,
        "pack" => f::pack,
        "tree" => f::tree,
        "blob" => f::blob,
        "zstd" => f::zstd,
        "pack_plain" => f::pack_plain,
        "key_file" => f::key_file,
        "key_envelope" => f::key_envelope,
        "status" => f::status,
        "request_head" => bananaui::collector::http::fuzz_request_head,
        "config" => config,
        _ => return None,
    })
}

#[cfg(test)]
fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = bananactl::settings::parse_file(text, "fuzz");
        let _ = bananaui::config::Config::parse(text, "fuzz");
    }
}

/// Writes the seed inputs; returns how many.
#[cfg(feature = "fuzz")]
pub fn write_seeds(corpus: &Path) -> anyhow::Result<usize> {
    let mut seeds = common::testing::fuzz::seeds();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples");
    for f in ["bananactl.toml", "bananaui.toml"] {
        seeds.push(("config", std::fs::read(docs.join(f))?));
    }
    seeds.push((
        "request_head",
        b"POST /api/v1/status HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
    ));
    seeds.push((
        "request_head",
        b"GET /api/v1/nodes?runs=5 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer x\r\n\r\n".to_vec(),
    ));
    // Seeds are rewritten whole (the fuzzer's own finds, named by hash, stay).
    for (t, _) in &seeds {
        let Ok(entries) = std::fs::read_dir(corpus.join(t)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("seed-") {
                std::fs::remove_file(e.path())?;
            }
        }
    }
    for (i, (t, bytes)) in seeds.iter().enumerate() {
        let dir = corpus.join(t);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("seed-{i:02}")), bytes)?;
    }
    Ok(seeds.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn fuzz_corpora_replay() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
        let mut replayed = 0;
        for dir in std::fs::read_dir(&corpus).unwrap().flatten() {
            let name = dir.file_name().to_string_lossy().into_owned();
            let f = super::target(&name).unwrap_or_else(|| panic!("no fuzz target {name}"));
            for input in std::fs::read_dir(dir.path()).unwrap().flatten() {
                f(&std::fs::read(input.path()).unwrap());
                replayed += 1;
            }
        }
        assert!(replayed >= 11, "only {replayed} corpus inputs");
    }
}
