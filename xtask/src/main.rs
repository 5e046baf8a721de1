//! `cargo xtask gen`: writes man pages (`man/`: a page per command, and
//! `banana(7)`) and shell completions from the clap definitions into `man/`
//! and `completions/`, and the tables of
//! `docs/exit-codes.md` from the binaries' exit-code tables. `cargo xtask check-gen` (and the
//! test below) fail when the committed files differ from what the CLI generates.

mod deb;
mod exit_codes;
mod fuzz;
#[cfg(test)]
mod layout;
mod man;

use anyhow::{bail, Context};
use clap_complete::env::EnvCompleter;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every generated file: relative path → content.
fn generate() -> anyhow::Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = man::pages()?;
    for bin in man::binaries() {
        for (shell, name) in [
            (
                &clap_complete::env::Bash as &dyn EnvCompleter,
                format!("{}.bash", bin.name),
            ),
            (&clap_complete::env::Zsh, format!("_{}", bin.name)),
            (&clap_complete::env::Fish, format!("{}.fish", bin.name)),
        ] {
            files.insert(
                PathBuf::from("completions").join(name),
                registration(shell, bin.name)?,
            );
        }
    }
    let doc = PathBuf::from("docs/exit-codes.md");
    let current = std::fs::read_to_string(root().join(&doc))
        .with_context(|| format!("reading {}", doc.display()))?;
    files.insert(doc, exit_codes::render(&current)?.into_bytes());
    Ok(files)
}

/// A shell's completion script for `bin`: it asks the installed `bin` at
/// each TAB (`BANANA_COMPLETE=SHELL bin -- WORDS…`), so that values come
/// from the node and the fleet (bananactl/src/complete.rs,
/// bananaui/src/complete.rs), and the script never drifts from the binary.
fn registration(shell: &dyn EnvCompleter, bin: &str) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    shell.write_registration(bananactl::complete::VAR, bin, bin, bin, &mut buf)?;
    if shell.name() == "zsh" {
        // Autoloaded from fpath as _BIN: complete on the first TAB too.
        buf.extend_from_slice(
            format!(
                "if [ \"$funcstack[1]\" = \"_{bin}\" ]; then\n    _clap_dynamic_completer_{bin} \"$@\"\nfi\n"
            )
            .as_bytes(),
        );
    }
    Ok(buf)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Paths whose committed content differs from the generated one, or that
/// `man/` (every section: `*.1`, `banana.7`) or `completions/` hold and
/// nothing generates.
fn drift() -> anyhow::Result<Vec<PathBuf>> {
    let files = generate()?;
    let mut bad = Vec::new();
    for (rel, content) in &files {
        if std::fs::read(root().join(rel)).ok().as_deref() != Some(content.as_slice()) {
            bad.push(rel.clone());
        }
    }
    for dir in ["man", "completions"] {
        for e in std::fs::read_dir(root().join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let rel = PathBuf::from(dir).join(e.file_name());
            if !files.contains_key(&rel) {
                bad.push(rel);
            }
        }
    }
    Ok(bad)
}

fn main() -> anyhow::Result<()> {
    match std::env::args().nth(1).as_deref() {
        Some("gen") => {
            for dir in ["man", "completions"] {
                let d = root().join(dir);
                if d.exists() {
                    std::fs::remove_dir_all(&d)
                        .with_context(|| format!("clearing {}", d.display()))?;
                }
                std::fs::create_dir_all(&d)?;
            }
            let files = generate()?;
            for (rel, content) in &files {
                std::fs::write(root().join(rel), content)
                    .with_context(|| format!("writing {}", rel.display()))?;
            }
            println!(
                "wrote {} files into man/, completions/ and docs/",
                files.len()
            );
            Ok(())
        }
        Some("check-gen") => {
            let bad = drift()?;
            if !bad.is_empty() {
                bail!("out of date: {:?}; run 'cargo xtask gen' and commit", bad);
            }
            println!("man/, completions/ and docs/exit-codes.md are up to date");
            Ok(())
        }
        #[cfg(feature = "fuzz")]
        Some("fuzz-seeds") => {
            let n = fuzz::write_seeds(&root().join("fuzz/corpus"))?;
            println!("wrote {n} seed inputs under fuzz/corpus/");
            Ok(())
        }
        #[cfg(not(feature = "fuzz"))]
        Some("fuzz-seeds") => {
            bail!("the seeds need common's test code: cargo run -p xtask --features fuzz -- fuzz-seeds")
        }
        Some("deb") => deb::main(&std::env::args().skip(2).collect::<Vec<_>>()),
        _ => bail!("usage: cargo xtask gen | check-gen | deb | fuzz-seeds"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_files_are_committed_and_current() {
        let bad = super::drift().unwrap();
        assert!(
            bad.is_empty(),
            "generated files drifted from the source: {bad:?}; run 'cargo xtask gen'"
        );
    }
}
