//! Splits the guides' shell blocks into simple commands, as the shell
//! would, for `guides.rs` to parse each `bananactl`/`bananadm`/`bananaui`
//! line with its CLI and to find the units a block starts.

use std::collections::HashMap;

/// The simple commands of a shell script, split as the shell would (quotes,
/// continuations, `|`, `&&`, `;`, `$(…)`; redirections and heredoc bodies
/// dropped), with leading `VAR=value` words, `runuser … --`, `export`,
/// `exec` and `do`/`then`/`if`/`until`/`!` removed. `$NAME` is replaced by
/// the value of an earlier literal `NAME=value`, else `x`.
pub fn commands(script: &str) -> Vec<Vec<String>> {
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for line in logical_lines(script) {
        let mut cmd: Vec<String> = Vec::new();
        let mut skip = false;
        let mut toks = tokens(&line);
        toks.push(Tok::Sep);
        for t in toks {
            match t {
                Tok::Redir => skip = true,
                Tok::W(_) if skip => skip = false,
                Tok::W(w) => cmd.push(w),
                Tok::Sep => {
                    if let Some(c) = simple(std::mem::take(&mut cmd), &mut vars) {
                        out.push(c);
                    }
                }
            }
        }
    }
    out
}

/// The script's lines with continuations joined and heredoc bodies left out.
fn logical_lines(script: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut heredoc: Option<String> = None;
    let mut cur = String::new();
    for l in script.lines() {
        if let Some(end) = &heredoc {
            if l.trim() == end {
                heredoc = None;
            }
            continue;
        }
        if let Some(i) = l.find("<<") {
            let rest = l[i + 2..].trim_start_matches('-').trim_start();
            let d: String = rest
                .trim_start_matches(['\'', '"'])
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !d.is_empty() {
                heredoc = Some(d);
            }
        }
        if let Some(s) = l.strip_suffix('\\') {
            cur.push_str(s);
            cur.push(' ');
            continue;
        }
        cur.push_str(l);
        lines.push(std::mem::take(&mut cur));
    }
    lines
}

#[derive(PartialEq)]
enum Tok {
    /// A word, unquoted.
    W(String),
    /// Ends a simple command: `|`, `||`, `&&`, `&`, `;`, `(`, `)`, `$(`.
    Sep,
    /// A redirection whose target is the next word.
    Redir,
}

/// One logical line as words, separators and redirections (`N>&M` dropped).
fn tokens(line: &str) -> Vec<Tok> {
    let c: Vec<char> = line.chars().collect();
    let (mut toks, mut w, mut in_w, mut i) = (Vec::new(), String::new(), false, 0);
    let flush = |toks: &mut Vec<Tok>, w: &mut String, in_w: &mut bool| {
        if *in_w {
            toks.push(Tok::W(std::mem::take(w)));
            *in_w = false;
        }
    };
    while i < c.len() {
        match c[i] {
            ' ' | '\t' => flush(&mut toks, &mut w, &mut in_w),
            '#' if !in_w => break,
            q @ ('\'' | '"') => {
                in_w = true;
                i += 1;
                while i < c.len() && c[i] != q {
                    if q == '"' && c[i] == '\\' && i + 1 < c.len() {
                        i += 1;
                    }
                    w.push(c[i]);
                    i += 1;
                }
            }
            '\\' if i + 1 < c.len() => {
                in_w = true;
                i += 1;
                w.push(c[i]);
            }
            '$' if c.get(i + 1) == Some(&'(') => {
                if in_w && w.ends_with('=') {
                    w.push('x');
                }
                flush(&mut toks, &mut w, &mut in_w);
                toks.push(Tok::Sep);
                i += 1;
            }
            '|' | '&' | ';' | '(' | ')' => {
                flush(&mut toks, &mut w, &mut in_w);
                toks.push(Tok::Sep);
                while i + 1 < c.len() && matches!(c[i + 1], '|' | '&') {
                    i += 1;
                }
            }
            '>' | '<' => {
                if in_w && w.chars().all(|d| d.is_ascii_digit()) {
                    w.clear();
                    in_w = false;
                } else {
                    flush(&mut toks, &mut w, &mut in_w);
                }
                while i + 1 < c.len() && matches!(c[i + 1], '>' | '<' | '&') {
                    i += 1;
                }
                if c[i] == '&' {
                    while i + 1 < c.len() && c[i + 1].is_ascii_digit() {
                        i += 1;
                    }
                } else {
                    toks.push(Tok::Redir);
                }
            }
            ch => {
                in_w = true;
                w.push(ch);
            }
        }
        i += 1;
    }
    flush(&mut toks, &mut w, &mut in_w);
    toks
}

/// The words of one simple command, prefixes removed and `$NAME` expanded;
/// `None` for an empty one, `for …` and `done`.
fn simple(mut w: Vec<String>, vars: &mut HashMap<String, String>) -> Option<Vec<String>> {
    let assign = |s: &str| {
        s.split_once('=').is_some_and(|(n, _)| {
            !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    loop {
        match w.first().map(String::as_str) {
            Some("do" | "then" | "else" | "if" | "while" | "until" | "!" | "export" | "exec") => {
                w.remove(0);
            }
            Some("runuser") => {
                let end = w.iter().position(|x| x == "--")?;
                w.drain(..=end);
            }
            Some(s) if assign(s) => {
                let (n, v) = s.split_once('=').unwrap();
                if !v.contains('$') && !v.is_empty() {
                    vars.insert(n.to_owned(), v.to_owned());
                }
                w.remove(0);
            }
            _ => break,
        }
    }
    let expand = |s: &String| {
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let r = rest[i + 1..].trim_start_matches('{');
            let n: String = r
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push_str(vars.get(&n).map_or("x", String::as_str));
            rest = r[n.len()..].trim_start_matches('}');
        }
        out.push_str(rest);
        out
    };
    let w: Vec<String> = w.iter().map(expand).collect();
    (!w.is_empty() && w[0] != "for" && w[0] != "done").then_some(w)
}
