//! The pages: the sections each has, the pages they name, lint by mandoc and
//! groff, and the examples (each parsed by its CLI, enough of them, the same
//! at the end of `--help`).

use super::examples::{self, Example};
use super::{binaries, command_pages, pages, Binary, Page, SYSTEM_PAGES};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const SECTIONS: [&str; 9] = [
    "NAME",
    "SYNOPSIS",
    "DESCRIPTION",
    "OPTIONS",
    "EXIT STATUS",
    "ENVIRONMENT",
    "FILES",
    "EXAMPLES",
    "SEE ALSO",
];

/// Every page as text.
fn texts() -> Vec<(PathBuf, String)> {
    pages()
        .unwrap()
        .into_iter()
        .map(|(p, t)| (p, String::from_utf8(t).unwrap()))
        .collect()
}

/// The `NAME(N)` references of a page, font changes and `.BR` undone.
fn references(text: &str) -> Vec<String> {
    let plain = text
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fR", "")
        .replace("\\fI", "");
    let mut out = Vec::new();
    for line in plain.lines() {
        let line = match line.strip_prefix(".BR ") {
            Some(rest) => rest.replacen(" (", "(", 1),
            None => line.to_owned(),
        };
        for (at, _) in line.match_indices('(') {
            let sect: String = line[at + 1..].chars().take(2).collect();
            if !matches!(sect.as_str(), "1)" | "5)" | "7)" | "8)") {
                continue;
            }
            let name: String = line[..at]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                out.push(format!("{name}({sect}"));
            }
        }
    }
    out
}

/// Every `NAME(N)` a man page mentions is a page that exists, or one of the
/// system's pages named in [`SYSTEM_PAGES`].
#[test]
fn man_pages_name_only_pages_that_exist() {
    let all = texts();
    let made: BTreeSet<String> = all
        .iter()
        .filter_map(|(p, _)| {
            let stem = p.file_stem()?.to_str()?;
            let sect = p.extension()?.to_str()?;
            Some(format!("{stem}({sect})"))
        })
        .collect();
    assert!(made.len() > 60 && made.contains("banana(7)"), "{made:?}");
    let mut missing = Vec::new();
    let mut named = 0;
    for (path, text) in &all {
        for r in references(text) {
            named += 1;
            if !made.contains(&r) && !SYSTEM_PAGES.contains(&r.as_str()) {
                missing.push(format!("{}: {r}", path.display()));
            }
        }
    }
    assert!(named > 300, "only {named} references found");
    assert!(missing.is_empty(), "pages named but not made: {missing:#?}");
    assert_eq!(
        references(".BR nope (1),\nsee \\fBx\\-y\\fR(8) and systemd.timer(5)"),
        ["nope(1)", "x-y(8)", "systemd.timer(5)"]
    );
}

#[test]
fn every_page_has_its_sections_in_order() {
    for (path, text) in texts() {
        let heads: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix(".SH "))
            .map(|h| h.trim_matches('"').to_owned())
            .collect();
        let overview = path.extension().is_some_and(|e| e == "7");
        let want: Vec<&str> = SECTIONS
            .iter()
            .copied()
            .filter(|s| !(overview && *s == "OPTIONS"))
            .collect();
        let found: Vec<&str> = heads
            .iter()
            .map(String::as_str)
            .filter(|h| want.contains(h))
            .collect();
        assert_eq!(found, want, "{}: sections {heads:?}", path.display());
    }
}

/// `mandoc`, or `None` (the test then skips) where it is not installed;
/// under CI it must be.
fn mandoc() -> Option<&'static str> {
    let there = Command::new("mandoc").arg("-V").output().is_ok();
    if !there {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "mandoc is not installed (apt-get install mandoc; scripts/test.sh does)"
        );
        eprintln!("skipped: mandoc is not installed (apt-get install mandoc)");
    }
    there.then_some("mandoc")
}

/// Runs `cmd` on `page`; its stdout and stderr together.
fn run(cmd: &mut Command, page: &Path) -> String {
    let out = cmd.arg(page).output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `mandoc -T lint -W warning` and `groff -ww -man` say nothing about any
/// page (mandoc's style notes, below warning, are allowed).
#[test]
fn every_page_passes_mandoc_and_groff_without_a_warning() {
    let Some(mandoc) = mandoc() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut complaints = Vec::new();
    for (path, text) in texts() {
        let file = dir.path().join(path.file_name().unwrap());
        std::fs::write(&file, &text).unwrap();
        let lint = run(
            Command::new(mandoc).args(["-T", "lint", "-W", "warning"]),
            &file,
        );
        let groff = run(
            Command::new("groff").args(["-ww", "-man", "-Tutf8", "-z"]),
            &file,
        );
        for said in [lint, groff].iter().filter(|s| !s.trim().is_empty()) {
            complaints.push(format!("{}:\n{said}", path.display()));
        }
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
}

/// A page's examples.
fn examples_of(page: &Page) -> Vec<Example> {
    let text = page.cmd.get_after_help().map(|t| t.to_string());
    examples::parse(text.as_deref().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{}: {e:#}", page.name))
}

/// The command path a command line runs (`["node", "add"]`), if the binary
/// parses it at all.
fn path_of(bin: &Binary, words: &[String]) -> Result<Vec<String>, clap::Error> {
    (bin.parse)(words)?;
    let matches = (bin.command)().try_get_matches_from(words)?;
    let mut path = Vec::new();
    let mut m = &matches;
    while let Some((name, sub)) = m.subcommand() {
        path.push(name.to_owned());
        m = sub;
    }
    Ok(path)
}

/// Every command line of every example parses with its binary's CLI, each
/// example runs at least one of the binaries, and each page's examples run
/// its own command at least once.
#[test]
fn every_example_parses_with_its_cli() {
    let bins = binaries();
    let mut bad = Vec::new();
    let mut count = 0;
    let overview = examples::parse(super::banana7::example_text()).unwrap();
    let mut all: Vec<(String, Vec<String>, Vec<Example>)> =
        vec![("banana(7)".into(), Vec::new(), overview)];
    for bin in &bins {
        for page in command_pages(bin) {
            all.push((page.name.clone(), page.path.clone(), examples_of(&page)));
        }
    }
    for (page, want, exs) in &all {
        // A group's examples may run the commands below it.
        let mut runs_itself = want.is_empty();
        for ex in exs {
            count += 1;
            let mut ran = false;
            for line in examples::commands(ex) {
                for words in examples::simple_commands(&line).unwrap() {
                    let Some(at) = words.iter().position(|w| bins.iter().any(|b| b.name == *w))
                    else {
                        continue;
                    };
                    let bin = bins.iter().find(|b| b.name == words[at]).unwrap();
                    ran = true;
                    match path_of(bin, &words[at..]) {
                        Ok(path) => {
                            let full: Vec<String> =
                                std::iter::once(bin.name.to_owned()).chain(path).collect();
                            runs_itself |= full.starts_with(want);
                        }
                        Err(e) => bad.push(format!("{page}: {line}\n{e}")),
                    }
                }
            }
            if !ran {
                bad.push(format!("{page}: {:?} runs no Banana binary", ex.what));
            }
        }
        if !runs_itself {
            bad.push(format!("{page}: no example runs the command itself"));
        }
    }
    assert!(count > 120, "only {count} examples");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// At least three examples for each binary and each of its commands, one
/// for every command below; no line wider than 80 columns (a terminal would
/// wrap the help and break the command).
#[test]
fn every_command_has_enough_examples_that_fit_a_terminal() {
    let mut bad = Vec::new();
    for bin in binaries() {
        for page in command_pages(&bin) {
            let n = examples_of(&page).len();
            let want = if page.depth <= 1 { 3 } else { 1 };
            if n < want {
                bad.push(format!("{}: {n} examples, want {want}", page.name));
            }
            let text = page
                .cmd
                .get_after_help()
                .map(|t| t.to_string())
                .unwrap_or_default();
            for line in text.lines().filter(|l| l.chars().count() > 80) {
                bad.push(format!("{}: longer than 80: {line:?}", page.name));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `--help` (and `-h`) end with the examples the man page shows.
#[test]
fn help_ends_with_the_examples() {
    for bin in binaries() {
        for page in command_pages(&bin) {
            let examples = page.cmd.get_after_help().unwrap().to_string();
            let mut cmd = page.cmd.clone();
            for help in [cmd.render_long_help(), cmd.render_help()] {
                let help = help.to_string();
                assert!(
                    help.trim_end().ends_with(examples.trim_end()),
                    "{}: --help ends {:?}",
                    page.name,
                    &help[help.len().saturating_sub(200)..]
                );
            }
        }
    }
}

/// The acceptance check of the issue: `man bananactl-backup` shows EXAMPLES
/// and EXIT STATUS, with the examples of `bananactl backup --help`.
#[test]
fn the_backup_page_shows_examples_and_exit_status() {
    let all = texts();
    let (_, page) = all
        .iter()
        .find(|(p, _)| p.ends_with("bananactl-backup.1"))
        .unwrap();
    assert!(page.contains(".SH EXAMPLES\n") && page.contains(".SH \"EXIT STATUS\"\n"));
    assert!(page.contains("bananactl backup /etc /srv \\-\\-job files \\-\\-every 1d\n"));
    assert!(page.contains(".SS \"Global options\"\n") && page.contains("BANANA_REPO"));
    assert!(page.contains(".B 16\nrepository missing:"), "{page}");
}
