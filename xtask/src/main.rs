//! `cargo xtask gen`: writes man pages and shell completions from the clap
//! definitions into `man/` and `completions/`, and the tables of
//! `docs/exit-codes.md` from the binaries' exit-code tables. `cargo xtask check-gen` (and the
//! test below) fail when the committed files differ from what the CLI generates.

mod exit_codes;
mod fuzz;
#[cfg(test)]
mod layout;

use anyhow::{bail, Context};
use clap::CommandFactory;
use clap_complete::Shell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every generated file: relative path → content.
fn generate() -> anyhow::Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for (bin, cmd) in [
        ("bananactl", bananactl::Cli::command()),
        ("bananadm", bananadm::Cli::command()),
        ("bananaui", bananaui::Cli::command()),
    ] {
        man_pages(&cmd, bin, &mut files)?;
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let name = match shell {
                Shell::Bash => format!("{bin}.bash"),
                Shell::Zsh => format!("_{bin}"),
                _ => format!("{bin}.fish"),
            };
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), bin, &mut buf);
            files.insert(PathBuf::from("completions").join(name), buf);
        }
    }
    let doc = PathBuf::from("docs/exit-codes.md");
    let current = std::fs::read_to_string(root().join(&doc))
        .with_context(|| format!("reading {}", doc.display()))?;
    files.insert(doc, exit_codes::render(&current)?.into_bytes());
    Ok(files)
}

fn man_pages(
    cmd: &clap::Command,
    name: &str,
    files: &mut BTreeMap<PathBuf, Vec<u8>>,
) -> anyhow::Result<()> {
    // No `help` subcommand in the pages: it has no page of its own, and a
    // page names only pages that exist (tested).
    let cmd = cmd
        .clone()
        .name(name.to_owned())
        .bin_name(name.replace('-', " "))
        .disable_help_subcommand(true);
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .context("rendering man page")?;
    files.insert(PathBuf::from("man").join(format!("{name}.1")), buf);
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        man_pages(sub, &format!("{name}-{}", sub.get_name()), files)?;
    }
    Ok(())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Paths whose committed content differs from the generated one (or is extra).
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
        _ => bail!("usage: cargo xtask gen | check-gen | fuzz-seeds"),
    }
}

#[cfg(test)]
mod tests {
    /// Every `NAME(1)` a man page mentions is a page that exists.
    #[test]
    fn man_pages_name_only_pages_that_exist() {
        let files = super::generate().unwrap();
        let pages: std::collections::BTreeSet<String> = files
            .keys()
            .filter(|p| p.starts_with("man"))
            .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
            .collect();
        assert!(pages.len() > 50, "{pages:?}");
        let mut missing = Vec::new();
        for (path, text) in files.iter().filter(|(p, _)| p.starts_with("man")) {
            let text = String::from_utf8_lossy(text).replace("\\-", "-");
            for (at, _) in text.match_indices("(1)") {
                let name: String = text[..at]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if !name.is_empty() && !pages.contains(&name) {
                    missing.push(format!("{}: {name}(1)", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "pages named but not made: {missing:#?}");
    }

    #[test]
    fn generated_files_are_committed_and_current() {
        let bad = super::drift().unwrap();
        assert!(
            bad.is_empty(),
            "generated files drifted from the source: {bad:?}; run 'cargo xtask gen'"
        );
    }
}
