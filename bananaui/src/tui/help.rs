//! The help overlay: every key.

use super::ui::bold;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// Every key, for the `?` overlay (and the man page's spirit).
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move (fleet), scroll (detail, alerts)"),
    ("PgUp PgDn  Space", "page"),
    ("Home End  g G", "first / last row"),
    ("Enter  → l", "node detail: jobs, run history, errors"),
    (
        "Esc  ← h  Backspace",
        "back to the fleet (from detail or alerts)",
    ),
    ("Esc (fleet)", "clear search and filter; once clear, quit"),
    ("/", "search node and job names (Enter keeps, Esc clears)"),
    ("f", "failed only (again: all)"),
    (
        "1-6  0",
        "only failed, late, silent, never, running, ok; 0 all",
    ),
    ("s", "sort: worst first, node, last success, size, duration"),
    ("a", "alerts: firing and recently resolved"),
    ("r", "refresh now"),
    ("?", "this help (any key closes it)"),
    ("q  Ctrl-C", "quit"),
];

/// The `?` overlay.
pub fn draw(f: &mut Frame, area: Rect) {
    let w = area.width.min(76);
    let h = (KEYS.len() as u16 + 4).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:<22}"), bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.insert(
        0,
        Line::from("States: ✗ failed  ! late  … silent  ∅ never  ▶ running  ✓ ok"),
    );
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" keys ")),
        r,
    );
}
