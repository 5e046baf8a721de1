//! The alerts view.

use super::app::App;
use super::model::{ago, clean, span};
use super::ui::{bold, clock, color};
use crate::api::State;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Row as TRow, Table};
use ratatui::Frame;

/// Rules whose alerts stay until acknowledged (the witness's evidence, and
/// snapshots a copy found lost at the source).
const EVIDENCE: [&str; 4] = [
    "rollback",
    "repository-changed",
    "witness-lost",
    "source-lost",
];

/// Firing alerts (scrollable) above the recently resolved ones.
pub fn draw(f: &mut Frame, app: &mut App, area: Rect, now: i64) {
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
    let h = top.height.saturating_sub(3) as usize;
    app.scroll = app
        .scroll
        .min(app.alerts.firing.len().saturating_sub(h.max(1)));
    let firing: Vec<TRow> = app
        .alerts
        .firing
        .iter()
        .skip(app.scroll)
        .map(|a| {
            TRow::new(vec![
                Span::styled(clean(&a.rule), color(app, State::Failed)),
                Span::raw(clean(&a.node)),
                Span::raw(clean(a.job.as_deref().unwrap_or("—"))),
                Span::raw(format!("{} ({})", ago(Some(a.since), now), clock(a.since))),
                Span::raw(clean(&a.message)),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(rule_width(app)),
        Constraint::Min(10),
        Constraint::Min(8),
        Constraint::Length(26),
        Constraint::Min(20),
    ];
    f.render_widget(
        Table::new(firing, widths)
            .header(TRow::new(
                ["RULE", "NODE", "JOB", "FIRING SINCE", "MESSAGE"].map(|h| Span::styled(h, bold())),
            ))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(firing_title(app)),
            ),
        top,
    );
    let resolved: Vec<TRow> = app
        .alerts
        .resolved
        .iter()
        .map(|a| {
            let lasted = a.resolved_at.map(|r| span(r - a.since)).unwrap_or_default();
            TRow::new(vec![
                Span::styled(clean(&a.rule), color(app, State::Ok)),
                Span::raw(clean(&a.node)),
                Span::raw(clean(a.job.as_deref().unwrap_or("—"))),
                Span::raw(format!("{} (lasted {lasted})", ago(a.resolved_at, now))),
                Span::raw(clean(&a.message)),
            ])
        })
        .collect();
    f.render_widget(
        Table::new(resolved, widths)
            .header(TRow::new(
                ["RULE", "NODE", "JOB", "RESOLVED", "MESSAGE"].map(|h| Span::styled(h, bold())),
            ))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" recently resolved "),
            ),
        bottom,
    );
}

/// The RULE column: as wide as the longest rule shown.
fn rule_width(app: &App) -> u16 {
    let longest = app
        .alerts
        .firing
        .iter()
        .chain(&app.alerts.resolved)
        .map(|a| a.rule.chars().count())
        .max()
        .unwrap_or(0);
    longest.clamp(4, 24) as u16
}

/// The firing table's title, saying how evidence is acknowledged when any fires.
fn firing_title(app: &App) -> String {
    let f = &app.alerts.firing;
    let hint = if f.iter().any(|a| EVIDENCE.contains(&a.rule.as_str())) {
        " — rollback, repository-changed, witness-lost and source-lost stay until 'bananaui alert ack NODE RULE' on the tower host"
    } else {
        ""
    };
    format!(" firing alerts ({}){hint} ", f.len())
}
