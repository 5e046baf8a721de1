//! The man pages: one per command of the three binaries (section 1) and the
//! overview `banana(7)`. clap_mangen renders NAME, SYNOPSIS, DESCRIPTION,
//! OPTIONS (a subcommand's global options in a subsection of their own) and
//! COMMANDS; the rest is written here: EXIT STATUS from the binary's
//! exit-code table, ENVIRONMENT from its options' variables and what it
//! reads besides, FILES, EXAMPLES from the command's `after_help` (the same
//! text `--help` ends with), SEE ALSO naming only pages that exist.

mod about;
mod banana7;
pub mod examples;
pub mod roff;
#[cfg(test)]
mod tests;

pub use about::{binaries, Binary};

use anyhow::Context;
use roff::{esc, section};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The date on every page: when their content last changed in substance
/// (a fixed date keeps `cargo xtask check-gen` stable).
pub const DATE: &str = "2026-12-07";

/// The manual every page belongs to.
const MANUAL: &str = "Banana Manual";

/// Defines `\*(Aq`, which clap_mangen writes for an apostrophe.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// The systems' pages a page may name (checked like Banana's own).
pub const SYSTEM_PAGES: &[&str] = &["systemd.timer(5)", "crontab(5)"];

/// A command's page name and its clap definition, built (global options
/// propagated), with no `help` subcommand.
pub struct Page {
    /// The page's name (`bananactl-key-export`).
    pub name: String,
    /// The command, built.
    pub cmd: clap::Command,
    /// The parent page, for a subcommand.
    pub parent: Option<String>,
    /// How deep: 0 for a binary, 1 for its commands, …
    pub depth: usize,
    /// The command's names from the binary's down (`bananadm node add`).
    #[cfg_attr(not(test), allow(dead_code))]
    pub path: Vec<String>,
}

/// Every command page of a binary, the binary's own first.
pub fn command_pages(bin: &Binary) -> Vec<Page> {
    let mut cmd = no_help_subcommand((bin.command)().name(bin.name));
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, None, &[], &mut out);
    out
}

fn no_help_subcommand(cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    names
        .iter()
        .fold(cmd.disable_help_subcommand(true), |c, n| {
            c.mut_subcommand(n, no_help_subcommand)
        })
}

fn walk(cmd: &clap::Command, parent: Option<&str>, above: &[String], out: &mut Vec<Page>) {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_owned();
    let mut path = above.to_vec();
    path.push(cmd.get_name().to_owned());
    for sub in cmd.get_subcommands() {
        walk(sub, Some(&name), &path, out);
    }
    out.push(Page {
        name,
        cmd: cmd.clone(),
        parent: parent.map(str::to_owned),
        depth: above.len(),
        path,
    });
}

/// Every page: `man/NAME.SECTION` → content.
pub fn pages() -> anyhow::Result<BTreeMap<PathBuf, Vec<u8>>> {
    let bins = binaries();
    let all: Vec<(usize, Page)> = bins
        .iter()
        .enumerate()
        .flat_map(|(i, b)| command_pages(b).into_iter().map(move |p| (i, p)))
        .collect();
    let mut names: BTreeSet<String> = all.iter().map(|(_, p)| format!("{}(1)", p.name)).collect();
    names.insert("banana(7)".to_owned());
    let mut files = BTreeMap::new();
    for (i, page) in &all {
        let text = render(&bins[*i], page, &names)
            .with_context(|| format!("rendering the page {}", page.name))?;
        files.insert(
            PathBuf::from("man").join(format!("{}.1", page.name)),
            text.into_bytes(),
        );
    }
    files.insert(
        PathBuf::from("man/banana.7"),
        banana7::render(&bins)?.into_bytes(),
    );
    Ok(files)
}

/// The page of one command.
fn render(bin: &Binary, page: &Page, names: &BTreeSet<String>) -> anyhow::Result<String> {
    let version = page.cmd.get_version().unwrap_or_default();
    let mut out = format!(
        "{PREAMBLE}.TH {} 1 {DATE} \"{} {version}\" \"{MANUAL}\"\n",
        esc(&page.name.to_uppercase()),
        bin.name
    );
    let sub = page.depth > 0;
    // A subcommand's global options get a subsection of their own.
    let own = hide(&page.cmd, |a| sub && a.is_global_set())
        .subcommand_help_heading("COMMANDS")
        .subcommand_value_name("COMMAND");
    let man = clap_mangen::Man::new(own);
    out.push_str(&mangen(|w| man.render_name_section(w))?);
    out.push_str(&mangen(|w| man.render_synopsis_section(w))?);
    out.push_str(&mangen(|w| man.render_description_section(w))?);
    out.push_str(&options(&mangen(|w| man.render_options_section(w))?));
    if sub && page.cmd.get_arguments().any(|a| a.is_global_set()) {
        let globals = clap_mangen::Man::new(hide(&page.cmd, |a| !a.is_global_set()));
        let text = options(&mangen(|w| globals.render_options_section(w))?);
        out.push_str(&text.replacen(".SH OPTIONS\n", ".SS \"Global options\"\n", 1));
    }
    if page.cmd.has_subcommands() {
        out.push_str(&mangen(|w| man.render_subcommands_section(w))?);
    }
    out.push_str(&exit_status(bin));
    out.push_str(&environment(bin, &page.cmd));
    out.push_str(&files(bin));
    let text = page.cmd.get_after_help().map(|t| t.to_string());
    let ex = examples::parse(text.as_deref().unwrap_or("Examples:"))
        .with_context(|| format!("the examples of {}", page.name))?;
    out.push_str(&examples::section(&ex));
    out.push_str(&see_also(page, names));
    out.push_str(&mangen(|w| man.render_version_section(w))?);
    Ok(roff::ascii(&out))
}

/// A copy of `cmd` with the arguments `pred` picks hidden.
fn hide(cmd: &clap::Command, pred: impl Fn(&clap::Arg) -> bool) -> clap::Command {
    cmd.clone()
        .mut_args(|a| if pred(&a) { a.hide(true) } else { a })
}

/// One clap_mangen section as text, without the preamble each repeats.
fn mangen(
    f: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    f(&mut buf).context("rendering a man page section")?;
    let text = String::from_utf8(buf).context("clap_mangen wrote non-UTF-8")?;
    Ok(text.strip_prefix(PREAMBLE).unwrap_or(&text).to_owned())
}

/// clap_mangen's OPTIONS with its blank line and double break before the
/// possible values (mandoc: "skipping paragraph macro") as one `.sp`.
/// A word too long for a line (a URL with its query) gets break points
/// after its `/`, `?` and `&` (groff: "cannot adjust line").
fn options(text: &str) -> String {
    let text = text
        .replace("\n.br\n\n.br\n", "\n.sp\n")
        .replace("\n.br\n\\fIPossible values", "\n.sp\n\\fIPossible values");
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line.starts_with('.') {
            out.push_str(line);
        } else {
            let words: Vec<String> = line.split(' ').map(breakable).collect();
            out.push_str(&words.join(" "));
        }
        out.push('\n');
    }
    out
}

/// `word` with break points (`\:`) after `/`, `?` and `&` when it is longer
/// than half a line.
fn breakable(word: &str) -> String {
    if word.len() <= 40 {
        return word.to_owned();
    }
    let mut out = String::with_capacity(word.len() + 16);
    for c in word.chars() {
        out.push(c);
        if matches!(c, '/' | '?' | '&') {
            out.push_str("\\:");
        }
    }
    out
}

/// EXIT STATUS, from the binary's exit-code table.
fn exit_status(bin: &Binary) -> String {
    let mut out = section("EXIT STATUS");
    for row in bin.table {
        let codes: Vec<String> = row.codes.iter().map(|c| c.to_string()).collect();
        out.push_str(&format!(
            ".TP\n.B {}\n{}: {}\n",
            codes.join(", "),
            esc(row.name),
            roff::markdown(row.meaning)
        ));
        if row.action.trim() != "\u{2014}" {
            out.push_str(&format!(
                ".br\n\\fIWhat to do:\\fR {}\n",
                roff::markdown(row.action)
            ));
        }
    }
    out.push_str(&format!(
        ".PP\nThe table with more detail: /usr/share/doc/{}/exit\\-codes.md.\n",
        bin.name
    ));
    out
}

/// ENVIRONMENT: the variables of the command's options, then what the
/// binary reads besides. Never a value.
fn environment(bin: &Binary, cmd: &clap::Command) -> String {
    let mut out = section("ENVIRONMENT");
    let mut seen = BTreeSet::new();
    let mut args: Vec<&clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.get_env().is_some())
        .collect();
    args.sort_by_key(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()));
    for arg in args {
        let var = arg
            .get_env()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !seen.insert(var.clone()) {
            continue;
        }
        let flag = arg.get_long().map_or(String::new(), |l| format!("--{l}"));
        out.push_str(&format!(
            ".TP\n.B {}\nThe default of {}.\n",
            esc(&var),
            bold(&flag)
        ));
    }
    for (names, what) in bin.env {
        let names: Vec<String> = names.split(", ").map(bold).collect();
        out.push_str(&format!(".TP\n{}\n{}\n", names.join(", "), esc(what)));
    }
    out
}

/// FILES of the binary.
fn files(bin: &Binary) -> String {
    let mut out = section("FILES");
    for (paths, what) in bin.files {
        let paths: Vec<String> = paths
            .split(", ")
            .map(|p| format!("\\fI\\%{}\\fR", esc(p)))
            .collect();
        out.push_str(&format!(".TP\n{}\n{}\n", paths.join(", "), esc(what)));
    }
    out
}

/// `text` in bold, escaped.
fn bold(text: &str) -> String {
    format!("\\fB\\%{}\\fR", esc(text))
}

/// SEE ALSO: the parent, the children, the other binaries, banana(7) and
/// the system pages the command's use involves; only pages that exist.
fn see_also(page: &Page, names: &BTreeSet<String>) -> String {
    let mut refs: Vec<String> = Vec::new();
    if let Some(parent) = &page.parent {
        refs.push(format!("{parent}(1)"));
    }
    for sub in page.cmd.get_subcommands() {
        refs.push(format!(
            "{}(1)",
            sub.get_display_name().unwrap_or(sub.get_name())
        ));
    }
    for other in ["bananactl", "bananadm", "bananaui"] {
        if other != page.name {
            refs.push(format!("{other}(1)"));
        }
    }
    refs.push("banana(7)".to_owned());
    let timers = [
        "bananactl-run",
        "bananadm-prune",
        "bananadm-drill",
        "bananadm-copy",
    ];
    if timers.contains(&page.name.as_str()) {
        refs.push("systemd.timer(5)".to_owned());
    }
    if page.name == "bananactl-run" {
        refs.push("crontab(5)".to_owned());
    }
    let mut seen = BTreeSet::new();
    refs.retain(|r| {
        (names.contains(r) || SYSTEM_PAGES.contains(&r.as_str())) && seen.insert(r.clone())
    });
    let mut out = section("SEE ALSO");
    let n = refs.len();
    for (i, r) in refs.iter().enumerate() {
        let (name, sect) = r.split_once('(').unwrap_or((r, "1)"));
        let comma = if i + 1 < n { "," } else { "" };
        out.push_str(&format!(".BR {} ({}{comma}\n", esc(name), sect));
    }
    out
}
