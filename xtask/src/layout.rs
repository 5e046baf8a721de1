//! Checks of the source layout that `docs/ARCHITECTURE.md` promises: every
//! module path it names exists, `common`'s layers import only the ones below
//! them, the TUI imports nothing from the collector or the alerts, and no
//! source file or function grows past the size limits.

use std::path::{Path, PathBuf};

/// Largest non-test source file, in lines.
pub const MAX_FILE_LINES: usize = 600;
/// Largest non-test function, in lines.
pub const MAX_FN_LINES: usize = 80;

/// `common`'s layers, lowest first.
const LAYERS: [&str; 7] = [
    "format", "crypto", "backend", "repo", "ops", "plugins", "drill",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file below `dir`, sorted.
pub fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every source file of the workspace's crates (`*/src/**.rs`).
fn all_sources() -> Vec<PathBuf> {
    [
        "proto",
        "common",
        "bananactl",
        "bananadm",
        "bananaui",
        "xtask",
    ]
    .iter()
    .flat_map(|c| sources(&root().join(c).join("src")))
    .collect()
}

/// Blanks out comments, string and char literals (keeping newlines), so
/// braces and paths are counted in code only.
pub fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let blank = |s: &[u8], out: &mut Vec<u8>| {
        out.extend(s.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }))
    };
    while i < b.len() {
        let rest = &b[i..];
        let end = if rest.starts_with(b"//") {
            rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len())
        } else if rest.starts_with(b"/*") {
            rest.windows(2)
                .position(|w| w == b"*/")
                .map_or(rest.len(), |p| p + 2)
        } else if rest.starts_with(b"r\"") || rest.starts_with(b"r#") {
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                0
            } else {
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                rest[2 + hashes..]
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .map_or(rest.len(), |p| 2 + hashes + p + close.len())
            }
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            (j + 1).min(rest.len())
        } else if rest[0] == b'\'' && rest.len() >= 3 && (rest[2] == b'\'' || rest[1] == b'\\') {
            // A char literal ('x', '\n', '\u{..}'), not a lifetime.
            rest[1..]
                .iter()
                .skip(1)
                .position(|&c| c == b'\'')
                .map_or(1, |p| p + 3)
        } else {
            0
        };
        if end == 0 {
            out.push(b[i]);
            i += 1;
        } else {
            blank(&rest[..end], &mut out);
            i += end;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The modules below `crate::` that the `use` items of a Rust source name,
/// groups included (`use crate::{repo, ops::x}` names `repo` and `ops`),
/// in every module and function body; nothing for a file syn cannot parse.
pub fn crate_uses(src: &str) -> Vec<String> {
    use syn::visit::Visit;
    struct Uses(Vec<String>);
    fn first(t: &syn::UseTree, out: &mut Vec<String>) {
        match t {
            syn::UseTree::Path(p) => out.push(p.ident.to_string()),
            syn::UseTree::Name(n) => out.push(n.ident.to_string()),
            syn::UseTree::Rename(r) => out.push(r.ident.to_string()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|i| first(i, out)),
            syn::UseTree::Glob(_) => {}
        }
    }
    fn below_crate(t: &syn::UseTree, out: &mut Vec<String>) {
        match t {
            syn::UseTree::Path(p) if p.ident == "crate" => first(&p.tree, out),
            syn::UseTree::Group(g) => g.items.iter().for_each(|i| below_crate(i, out)),
            _ => {}
        }
    }
    impl<'ast> Visit<'ast> for Uses {
        fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
            below_crate(&u.tree, &mut self.0);
        }
    }
    let Ok(file) = syn::parse_file(src) else {
        return Vec::new();
    };
    let mut v = Uses(Vec::new());
    v.visit_file(&file);
    v.0
}

/// The code of a file before its `#[cfg(test)] mod tests { … }` (a
/// `mod tests;` in another file cuts nothing).
fn non_test(code: &str) -> &str {
    code.find("#[cfg(test)]\nmod tests {")
        .map_or(code, |i| &code[..i])
}

/// (name, lines) of every function with a body in `code`.
pub fn functions(code: &str) -> Vec<(String, usize)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = code[i..].find("fn ") {
        let start = i + p;
        i = start + 3;
        let ident_ok =
            start == 0 || !(b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_');
        if !ident_ok {
            continue;
        }
        let name: String = code[start + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let (Some(brace), semi) = (code[start..].find('{'), code[start..].find(';')) else {
            continue;
        };
        if semi.is_some_and(|s| s < brace) {
            continue; // a declaration without a body
        }
        let mut depth = 0usize;
        let mut end = start + brace;
        for (k, &c) in b[start + brace..].iter().enumerate() {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = start + brace + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((name, code[start..=end].lines().count()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(p: &Path) -> String {
        p.strip_prefix(root()).unwrap_or(p).display().to_string()
    }

    #[test]
    fn every_module_path_in_the_architecture_doc_exists() {
        let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
        let mut named = 0;
        for part in doc.split('`').skip(1).step_by(2) {
            let is_path = [
                "proto/",
                "common/",
                "bananactl/",
                "bananadm/",
                "bananaui/",
                "xtask/",
            ]
            .iter()
            .any(|c| part.starts_with(c))
                && part.contains("/src/");
            if is_path {
                named += 1;
                assert!(
                    root().join(part.trim_end_matches('/')).exists(),
                    "docs/ARCHITECTURE.md names {part}, which does not exist"
                );
            }
        }
        assert!(named > 50, "only {named} paths found in the doc");
    }

    #[test]
    fn common_layers_import_only_the_ones_below_them() {
        for (rank, layer) in LAYERS.iter().enumerate() {
            for f in sources(&root().join("common/src").join(layer)) {
                let text = std::fs::read_to_string(&f).unwrap();
                let code = code_only(&text);
                let uses = crate_uses(&text);
                for higher in &LAYERS[rank + 1..] {
                    assert!(
                        !code.contains(&format!("crate::{higher}"))
                            && !uses.iter().any(|u| u == higher),
                        "{} ({layer}) imports the higher layer {higher}",
                        rel(&f)
                    );
                }
            }
        }
    }

    #[test]
    fn the_checks_see_grouped_imports_and_code_after_a_mod_tests_line() {
        let planted =
            "use crate::{format::x, ops::backup::{a, b}};\nfn f() { use crate::repo as r; }\n";
        assert_eq!(crate_uses(planted), ["format", "ops", "repo"]);
        let long: String = std::iter::once("#[cfg(test)]\nmod tests;\nfn long() {\n".to_owned())
            .chain((0..80).map(|i| format!("    let x{i} = {i};\n")))
            .chain(std::iter::once("}\n".to_owned()))
            .collect();
        let code = code_only(&long);
        assert_eq!(functions(non_test(&code)), [("long".to_owned(), 82)]);
    }

    #[test]
    fn the_agents_lower_modules_import_nothing_from_its_commands() {
        let agent = root().join("bananactl/src");
        let mut files = sources(&agent.join("jobs"));
        for f in [
            "open.rs",
            "exit.rs",
            "report.rs",
            "settings.rs",
            "output.rs",
        ] {
            files.push(agent.join(f));
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let code = code_only(&text);
            assert!(
                !code.contains("crate::commands")
                    && !crate_uses(&text).iter().any(|u| u == "commands"),
                "{} imports from commands (move what it needs down)",
                rel(&f)
            );
        }
    }

    #[test]
    fn the_tui_imports_only_the_api_from_the_tower() {
        for f in sources(&root().join("bananaui/src/tui")) {
            let code = code_only(&std::fs::read_to_string(&f).unwrap());
            for other in [
                "crate::collector",
                "crate::alerts",
                "crate::config",
                "crate::nodes",
            ] {
                assert!(!code.contains(other), "{} uses {other}", rel(&f));
            }
        }
    }

    #[test]
    fn no_source_file_or_function_is_too_long() {
        let mut too_long = Vec::new();
        for f in all_sources() {
            let text = std::fs::read_to_string(&f).unwrap();
            let code = code_only(&text);
            let lines = non_test(&code).lines().count();
            if lines > MAX_FILE_LINES {
                too_long.push(format!("{}: {lines} lines", rel(&f)));
            }
            for (name, n) in functions(non_test(&code)) {
                if n > MAX_FN_LINES {
                    too_long.push(format!("{}: fn {name}: {n} lines", rel(&f)));
                }
            }
        }
        assert!(
            too_long.is_empty(),
            "over {MAX_FILE_LINES} lines a file or {MAX_FN_LINES} a function (split along its phases):\n{}",
            too_long.join("\n")
        );
    }

    #[test]
    fn the_scanner_sees_code_not_strings() {
        let src = "fn a() {\n let s = \"}\"; // }\n let c = '{';\n}\nfn b<'x>(v: &'x str) { let r = r#\"{\"#; }\n";
        let f = functions(&code_only(src));
        assert_eq!(f, vec![("a".to_owned(), 4), ("b".to_owned(), 1)]);
    }
}
