//! The fleet view: one row per node and job, worst first, with as many
//! columns as the terminal is wide.

use super::app::App;
use super::model::{ago, bytes, span};
use super::ui::{bold, color};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Row as TRow, Table, TableState};
use ratatui::Frame;

/// Columns by terminal width: (title, width).
fn columns(width: u16) -> Vec<(&'static str, Constraint)> {
    let mut c = vec![
        ("STATE", Constraint::Length(9)),
        ("NODE", Constraint::Min(10)),
        ("JOB", Constraint::Min(8)),
        ("LAST SUCCESS", Constraint::Length(14)),
        ("RESULT", Constraint::Length(8)),
    ];
    if width >= 80 {
        c.push(("TOOK", Constraint::Length(8)));
        c.push(("STORED", Constraint::Length(10)));
    }
    if width >= 110 {
        c.push(("NEXT DUE", Constraint::Length(14)));
        c.push(("PLUGIN", Constraint::Length(7)));
    }
    if width >= 140 {
        c.push(("ERROR", Constraint::Min(20)));
    }
    c
}

/// The fleet table: node × job rows; only the rows on screen are built.
pub fn draw(f: &mut Frame, app: &mut App, area: Rect, now: i64) {
    let cols = columns(area.width);
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
    let rows: Vec<TRow> = app.visible[app.offset..end]
        .iter()
        .map(|&i| {
            let r = &app.rows[i];
            let mut cells = vec![
                Span::styled(
                    format!("{} {}", r.state.symbol(), r.state.name()),
                    color(app, r.state),
                ),
                Span::raw(r.node.clone()),
                Span::raw(r.job.clone()),
                Span::raw(ago(r.last_success_at, now)),
                Span::raw(r.result.clone()),
            ];
            if cols.len() > 5 {
                cells.push(Span::raw(
                    r.duration.map(span).unwrap_or_else(|| "—".into()),
                ));
                cells.push(Span::raw(bytes(r.stored)));
            }
            if cols.len() > 7 {
                cells.push(Span::raw(
                    r.next_due_at
                        .map(|t| ago(Some(t), now))
                        .unwrap_or_else(|| "—".into()),
                ));
                cells.push(Span::raw(r.plugin.clone()));
            }
            if cols.len() > 9 {
                cells.push(Span::raw(r.error.clone()));
            }
            TRow::new(cells)
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
            .map(|(t, _)| Span::styled(*t, bold()))
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
