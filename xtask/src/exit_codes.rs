//! The tables of `docs/exit-codes.md`, from each binary's `exit::TABLE`:
//! the prose around them is written by hand, each table follows a marker
//! line and is replaced whole.

use anyhow::bail;

/// The marker before a binary's table.
fn marker(bin: &str) -> String {
    format!("<!-- table: {bin} (cargo xtask gen, from {bin}/src/exit.rs) -->")
}

/// `doc` with every table regenerated.
pub fn render(doc: &str) -> anyhow::Result<String> {
    let tables = [
        ("bananactl", common::exit::markdown(bananactl::exit::TABLE)),
        ("bananadm", common::exit::markdown(bananadm::exit::TABLE)),
        ("bananaui", common::exit::markdown(bananaui::exit::TABLE)),
    ];
    let mut out = String::with_capacity(doc.len());
    let mut lines = doc.lines().peekable();
    let mut seen = 0;
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        if let Some((_, table)) = tables.iter().find(|(bin, _)| line == marker(bin)) {
            seen += 1;
            while lines.peek().is_some_and(|l| l.starts_with('|')) {
                lines.next();
            }
            out.push_str(table);
        }
    }
    if seen != tables.len() {
        bail!(
            "docs/exit-codes.md has {seen} of the {} table markers ({})",
            tables.len(),
            marker("BIN")
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_table_is_replaced_whole_and_the_prose_kept() {
        let doc = format!(
            "# x\n\n{}\n| old |\n|---|\n\nafter\n{}\n{}\n",
            super::marker("bananactl"),
            super::marker("bananadm"),
            super::marker("bananaui")
        );
        let out = super::render(&doc).unwrap();
        assert!(!out.contains("| old |"));
        assert!(out.contains("| 17 | storage unavailable |"));
        assert!(out.contains("\n\nafter\n"));
        assert!(super::render("# no markers\n").is_err());
    }
}
