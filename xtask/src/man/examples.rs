//! The examples of a command's `after_help` (the binaries' `examples`
//! modules): parsed into the man page's EXAMPLES section, and split into
//! argument vectors for the test that runs every one through the CLI.

use super::roff::esc;
use anyhow::{bail, Context};

/// One example: what it does, and its command lines as written (a line
/// ending in ` \` goes on in the next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The description.
    pub what: String,
    /// The command lines, without the help's indentation.
    pub lines: Vec<String>,
}

/// The examples of an `after_help` text: an `Examples:` line, then each
/// example's description indented by two spaces and its command lines by
/// four (or more: a continued line).
pub fn parse(text: &str) -> anyhow::Result<Vec<Example>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    if lines.next() != Some("Examples:") {
        bail!("after_help does not start with 'Examples:': {text:?}");
    }
    let mut out: Vec<Example> = Vec::new();
    for line in lines {
        if let Some(cmd) = line.strip_prefix("    ") {
            let ex = out
                .last_mut()
                .with_context(|| format!("a command before any description: {line:?}"))?;
            ex.lines.push(cmd.to_owned());
        } else if let Some(what) = line.strip_prefix("  ").filter(|w| !w.starts_with(' ')) {
            if out.last().is_some_and(|e| e.lines.is_empty()) {
                bail!("an example without a command line: {what:?}");
            }
            out.push(Example {
                what: what.to_owned(),
                lines: Vec::new(),
            });
        } else {
            bail!("neither a description (2 spaces) nor a command (4): {line:?}");
        }
    }
    if out.last().is_some_and(|e| e.lines.is_empty()) {
        bail!("the last example has no command line");
    }
    Ok(out)
}

/// The commands of an example, continued lines joined.
#[cfg(test)]
pub fn commands(ex: &Example) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in &ex.lines {
        match line.strip_suffix(" \\") {
            Some(head) => {
                cur.push_str(head.trim_start());
                cur.push(' ');
            }
            None => {
                cur.push_str(line.trim_start());
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The EXAMPLES section of a page (empty without examples).
pub fn section(examples: &[Example]) -> String {
    if examples.is_empty() {
        return String::new();
    }
    let mut out = super::roff::section("EXAMPLES");
    for (i, ex) in examples.iter().enumerate() {
        // The first paragraph of a section needs no `.PP` (mandoc warns).
        let pp = if i == 0 { "" } else { ".PP\n" };
        out.push_str(&format!("{pp}{}\n.RS 4\n.EX\n", esc(&ex.what)));
        for line in &ex.lines {
            out.push_str(&esc(line));
            out.push('\n');
        }
        out.push_str(".EE\n.RE\n");
    }
    out
}

/// A command line split into words as a POSIX shell would (quotes and
/// backslashes; no expansion), with `|`, `;`, `&&` and `||` as words of
/// their own.
#[cfg(test)]
pub fn words(line: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => bail!("unclosed ' in {line:?}"),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => w.extend(chars.next()),
                        Some(c) => w.push(c),
                        None => bail!("unclosed \" in {line:?}"),
                    }
                }
            }
            '\\' => cur.get_or_insert_with(String::new).extend(chars.next()),
            ' ' | '\t' => out.extend(cur.take()),
            '&' if cur.as_ref().is_some_and(|w| w.ends_with('>')) => {
                cur.get_or_insert_with(String::new).push(c);
            }
            '|' | ';' | '&' => {
                out.extend(cur.take());
                let mut op = c.to_string();
                if chars.peek() == Some(&c) {
                    op.extend(chars.next());
                }
                out.push(op);
            }
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(cur);
    Ok(out)
}

/// The simple commands of a command line: split at `|`, `;`, `&&` and
/// `||`, redirections (`> FILE`, `< FILE`, `2>FILE` …) left out.
#[cfg(test)]
pub fn simple_commands(line: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut out = vec![Vec::new()];
    let mut skip_next = false;
    for w in words(line)? {
        if skip_next {
            skip_next = false;
        } else if ["|", ";", "&&", "||", "&"].contains(&w.as_str()) {
            out.push(Vec::new());
        } else if let Some(target) = redirection(&w) {
            skip_next = target.is_empty();
        } else if let Some(cmd) = out.last_mut() {
            cmd.push(w);
        }
    }
    out.retain(|c| !c.is_empty());
    Ok(out)
}

/// The target of a redirection word (`>`, `2>`, `>>f`, `<f`), empty when
/// it is the next word; `None` for any other word.
#[cfg(test)]
fn redirection(w: &str) -> Option<&str> {
    let rest = w.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest.strip_prefix(">>").or_else(|| rest.strip_prefix('>'));
    let rest = rest.or_else(|| w.strip_prefix('<'))?;
    Some(rest.trim_start_matches('&'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_format_parses() {
        let text = "Examples:\n  Do it:\n    a --b 'c d' \\\n      e\n  Again:\n    f | g > h\n";
        let ex = parse(text).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(commands(&ex[0]), ["a --b 'c d' e"]);
        assert_eq!(
            words(&commands(&ex[0])[0]).unwrap(),
            ["a", "--b", "c d", "e"]
        );
        assert_eq!(
            simple_commands("f x | g > h").unwrap(),
            [vec!["f", "x"], vec!["g"]]
        );
        assert_eq!(
            simple_commands("a 2>/dev/null <in; b").unwrap(),
            [vec!["a"], vec!["b"]]
        );
        assert_eq!(
            simple_commands("a 2>&1 && b").unwrap(),
            [vec!["a"], vec!["b"]]
        );
        assert!(parse("Usage:\n  x\n").is_err());
        assert!(parse("Examples:\n  what:\n  no command:\n    x\n").is_err());
        assert!(parse("Examples:\n    x\n").is_err());
        let roff = section(&ex);
        assert!(
            roff.contains(".EX\na \\-\\-b \\(aqc d\\(aq \\e\n  e\n.EE"),
            "{roff}"
        );
    }
}
