//! Writing roff by hand: escaping text, and the Markdown of the exit-code
//! tables turned into roff.

/// `text` escaped for a roff text line or a macro argument: backslashes,
/// hyphens (`\-`, so commands copy as typed), quotes and backticks as the
/// ASCII characters, anything else outside ASCII as a `\[uXXXX]` escape, and
/// a leading `.` or `'` kept from being read as a request.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    text.chars().for_each(|c| esc_char(c, &mut out));
    lead(out)
}

/// One character of [`esc`].
fn esc_char(c: char, out: &mut String) {
    match c {
        '\\' => out.push_str("\\e"),
        '-' => out.push_str("\\-"),
        '\'' => out.push_str("\\(aq"),
        '`' => out.push_str("\\(ga"),
        c if c.is_ascii() => out.push(c),
        c => out.push_str(&format!("\\[u{:04X}]", c as u32)),
    }
}

/// A text line that starts with a `.` (or a `'`, which [`esc`] never
/// leaves) guarded by `\&`.
fn lead(line: String) -> String {
    if line.starts_with('.') || line.starts_with('\'') {
        format!("\\&{line}")
    } else {
        line
    }
}

/// Every character outside ASCII in a whole page as a `\[uXXXX]` escape
/// (clap_mangen writes them as they are; groff without preconv would not
/// read them).
pub fn ascii(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out
}

/// A line of Markdown (a cell of an exit-code table) as roff text:
/// `**bold**` in bold, code spans as plain text, `[text](url)` as its text.
pub fn markdown(md: &str) -> String {
    let mut out = String::with_capacity(md.len() + 16);
    let mut bold = false;
    let mut rest = md;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("**") {
            out.push_str(if bold { "\\fR" } else { "\\fB" });
            bold = !bold;
            rest = after;
        } else if let Some(after) = rest.strip_prefix('`') {
            rest = after;
        } else if let Some((text, after)) = link(rest) {
            text.chars().for_each(|c| esc_char(c, &mut out));
            rest = after;
        } else {
            esc_char(c, &mut out);
            rest = &rest[c.len_utf8()..];
        }
    }
    if bold {
        out.push_str("\\fR");
    }
    lead(out)
}

/// `[text](url)` at the start of `s`: the text and what follows.
fn link(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let after = inner[close + 1..].strip_prefix('(')?;
    let end = after.find(')')?;
    Some((&inner[..close], &after[end + 1..]))
}

/// A `.SH` line.
pub fn section(title: &str) -> String {
    if title.contains(' ') {
        format!(".SH \"{title}\"\n")
    } else {
        format!(".SH {title}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_roff() {
        assert_eq!(esc("--repo 'x'"), "\\-\\-repo \\(aqx\\(aq");
        assert_eq!(esc(".hidden a\\b"), "\\&.hidden a\\eb");
        assert_eq!(esc("s3://\u{2026}"), "s3://\\[u2026]");
    }

    #[test]
    fn markdown_loses_its_markup() {
        assert_eq!(
            markdown("**backup**: see [jobs.md](jobs.md) and `--force`"),
            "\\fBbackup\\fR: see jobs.md and \\-\\-force"
        );
        assert_eq!(markdown("[default: x]"), "[default: x]");
    }
}
