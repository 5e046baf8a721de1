//! The fleet view: one row per node and job, worst first. Columns are as
//! wide as what the rows on screen hold; when a row says why a job failed or
//! was partial, the error column gets the rest of the line (at 80 columns
//! before the optional ones), so the reason shows from 80×24 up. VERIFIED
//! (the age of the job's newest passing drill) and COPY (how far the node's
//! copies lag its backups) are always shown.

use super::app::App;
use super::model::{ago, bytes, span, verified, Row};
use super::ui::{bold, color};
use crate::api::State;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Row as TRow, Table, TableState};
use ratatui::Frame;

/// Column titles, in display order.
const TITLES: [&str; COLS] = [
    "STATE",
    "NODE",
    "JOB",
    "LAST SUCCESS",
    "RESULT",
    "VERIFIED",
    "COPY",
    "TOOK",
    "STORED",
    "NEXT DUE",
    "PLUGIN",
    "ERROR",
];
/// Columns.
const COLS: usize = 12;
/// Always shown: state, node, job, last success, result, verified, copy.
const MANDATORY: usize = 7;
const NODE: usize = 1;
const JOB: usize = 2;
const VERIFIED: usize = 5;
const COPY: usize = 6;
const ERROR: usize = 11;
/// The error column is given at least this much (or its content, if less)
/// before an optional column is added.
const ERROR_ROOM: usize = 40;

/// The cells of one row, in [`TITLES`] order.
fn cells(r: &Row, now: i64) -> [String; COLS] {
    [
        format!("{} {}", r.state.symbol(), r.state.name()),
        r.node.clone(),
        r.job.clone(),
        ago(r.last_success_at, now),
        r.result.clone(),
        verified(r, now),
        r.copy.text(),
        r.duration.map(span).unwrap_or_else(|| "—".into()),
        bytes(r.stored),
        r.next_due_at
            .map(|t| ago(Some(t), now))
            .unwrap_or_else(|| "—".into()),
        r.plugin.clone(),
        r.error.clone(),
    ]
}

fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Which columns to show and how wide, for `inner` columns of room: the
/// mandatory ones sized to content (long names capped), then the optional
/// ones while the error keeps its room; the error, when any row on screen
/// has one, takes what is left.
fn layout(rows: &[[String; COLS]], inner: usize) -> Vec<(usize, Constraint)> {
    let mut natural = TITLES.map(width);
    for r in rows {
        for (n, c) in natural.iter_mut().zip(r) {
            *n = (*n).max(width(c));
        }
    }
    let has_error = rows.iter().any(|r| !r[ERROR].is_empty());
    let room = if has_error {
        natural[ERROR].min(ERROR_ROOM)
    } else {
        0
    };
    // Long node and job names give way to the error first.
    let mut cols = Vec::new();
    for (node_cap, job_cap) in [(24, 20), (16, 12)] {
        let mut w = natural;
        w[NODE] = w[NODE].min(node_cap);
        w[JOB] = w[JOB].min(job_cap);
        cols = (0..MANDATORY).map(|i| (i, w[i])).collect::<Vec<_>>();
        let used = |cols: &[(usize, usize)]| {
            cols.iter().map(|(_, w)| w + 1).sum::<usize>() + if has_error { room + 1 } else { 0 }
        };
        if has_error && used(&cols) > inner && node_cap > 16 {
            continue;
        }
        for (i, &wi) in w.iter().enumerate().take(ERROR).skip(MANDATORY) {
            if used(&cols) + wi <= inner {
                cols.push((i, wi));
            }
        }
        break;
    }
    let mut out: Vec<(usize, Constraint)> = cols
        .into_iter()
        .map(|(i, w)| (i, Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX))))
        .collect();
    if has_error {
        out.push((ERROR, Constraint::Fill(1)));
    }
    out
}

/// The fleet table: node × job rows; only the rows on screen are built.
pub fn draw(f: &mut Frame, app: &mut App, area: Rect, now: i64) {
    let height = area.height.saturating_sub(3) as usize;
    app.page = height.max(1);
    let total = app.visible.len();
    // Keep the selection in view; render only the rows on screen (100,000 rows cost nothing).
    if app.selected < app.offset {
        app.offset = app.selected;
    } else if height > 0 && app.selected >= app.offset + height {
        app.offset = app.selected + 1 - height;
    }
    app.offset = app.offset.min(total.saturating_sub(height.max(1)));
    let end = (app.offset + height).min(total);
    let on_screen: Vec<[String; COLS]> = app.visible[app.offset..end]
        .iter()
        .map(|&i| cells(&app.rows[i], now))
        .collect();
    let cols = layout(&on_screen, area.width.saturating_sub(2) as usize);
    let rows: Vec<TRow> = app.visible[app.offset..end]
        .iter()
        .zip(on_screen)
        .map(|(&i, mut c)| {
            let r = &app.rows[i];
            let (state, damaged, uncopied) = (r.state, r.drill_failed, r.copy.bad());
            TRow::new(
                cols.iter()
                    .map(|&(col, _)| {
                        let text = std::mem::take(&mut c[col]);
                        match col {
                            0 => Span::styled(text, color(app, state)),
                            VERIFIED if damaged => Span::styled(text, color(app, State::Failed)),
                            COPY if uncopied => Span::styled(text, color(app, State::Failed)),
                            _ => Span::raw(text),
                        }
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let title = format!(" {} of {} rows ", total, app.rows.len());
    let pos = if total == 0 {
        " no rows ".to_owned()
    } else {
        format!(" {}/{} ", app.selected + 1, total)
    };
    let header = TRow::new(
        cols.iter()
            .map(|&(i, _)| Span::styled(TITLES[i], bold()))
            .collect::<Vec<_>>(),
    );
    let table = Table::new(rows, cols.iter().map(|(_, w)| *w).collect::<Vec<_>>())
        .header(header)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(title)
                .title_bottom(Line::from(pos).right_aligned()),
        )
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .column_spacing(1);
    let mut st = TableState::default();
    if total > 0 {
        st.select(Some(app.selected - app.offset));
    }
    f.render_stateful_widget(table, area, &mut st);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(node: &str, error: &str) -> [String; COLS] {
        let mut r: [String; COLS] = Default::default();
        r[0] = "✗ failed".into();
        r[NODE] = node.into();
        r[JOB] = "pg".into();
        r[3] = "1d 1h ago".into();
        r[4] = "failed".into();
        r[VERIFIED] = "2d 3h".into();
        r[COPY] = "3h 0m".into();
        r[7] = "6m 40s".into();
        r[8] = "1.0 MiB".into();
        r[9] = "in 3h 0m".into();
        r[10] = "fs".into();
        r[ERROR] = error.into();
        r
    }

    #[test]
    fn the_error_gets_the_rest_before_optional_columns() {
        let titles =
            |c: &[(usize, Constraint)]| c.iter().map(|(i, _)| TITLES[*i]).collect::<Vec<_>>();
        // 80 columns, a long error: the optional columns give way.
        let c = layout(&[row("db-01", &"x".repeat(100))], 78);
        assert_eq!(
            titles(&c),
            [
                "STATE",
                "NODE",
                "JOB",
                "LAST SUCCESS",
                "RESULT",
                "VERIFIED",
                "COPY",
                "ERROR"
            ]
        );
        // No error on screen: the optional columns that fit, no error column.
        let c = layout(&[row("db-01", "")], 78);
        assert_eq!(
            titles(&c),
            [
                "STATE",
                "NODE",
                "JOB",
                "LAST SUCCESS",
                "RESULT",
                "VERIFIED",
                "COPY",
                "TOOK",
                "STORED",
                "NEXT DUE"
            ]
        );
        // Wide: everything.
        assert_eq!(layout(&[row("db-01", "boom")], 200).len(), COLS);
        // A very long node name is capped so that the error keeps its room.
        let c = layout(&[row(&"n".repeat(60), &"x".repeat(100))], 78);
        assert_eq!(c[1].1, Constraint::Length(16));
        assert_eq!(c.last().map(|(i, _)| *i), Some(ERROR));
    }
}
