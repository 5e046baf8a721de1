//! Drawing: a pure function of the app state and the time, so every view is
//! tested on a `TestBackend`.

use super::app::{App, View};
use super::model::{ago, bytes, clean, span, State};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Clear, Paragraph, Row as TRow, Sparkline, Table, TableState, Wrap,
};
use ratatui::Frame;

fn color(app: &App, s: State) -> Style {
    if !app.color {
        return Style::default();
    }
    let c = match s {
        State::Failed => Color::Red,
        State::Late => Color::Yellow,
        State::Silent => Color::Magenta,
        State::Never => Color::Blue,
        State::Running => Color::Cyan,
        State::Ok => Color::Green,
        State::Unknown => Color::Gray,
    };
    Style::default().fg(c)
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

fn clock(t: i64) -> String {
    let s = t.rem_euclid(86400);
    format!("{:02}:{:02}:{:02} UTC", s / 3600, s % 3600 / 60, s % 60)
}

/// Draws the whole screen at time `now`.
pub fn draw(f: &mut Frame, app: &mut App, now: i64) {
    let area = f.area();
    let banner = u16::from(app.error.is_some());
    let [head, ban, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(banner),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    header(f, app, head, now);
    if let Some((since, e)) = &app.error {
        let data = match app.last_ok {
            Some(t) => format!("showing data from {}", ago(Some(t), now)),
            None => "no data yet".to_owned(),
        };
        let mut style = Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED);
        if app.color {
            style = Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD);
        }
        let text = format!(
            " ⚠ COLLECTOR UNREACHABLE since {}: {e} — {data} ",
            clock(*since)
        );
        f.render_widget(Paragraph::new(text).style(style), ban);
    }
    match app.view {
        View::Fleet => fleet(f, app, body, now),
        View::Detail => detail(f, app, body, now),
        View::Alerts => alerts(f, app, body, now),
    }
    footer(f, app, foot);
    if app.help {
        help(f, area);
    }
}

fn header(f: &mut Frame, app: &App, area: Rect, now: i64) {
    let mut title = vec![
        Span::styled("Banana watch tower ", bold()),
        Span::raw(app.url.clone()),
    ];
    if let Some(fl) = &app.fleet {
        let c = &fl.collector;
        title.push(Span::raw(format!(
            "  collector {} up {}, {} stored, {} refused",
            clean(&c.version),
            span(now.saturating_sub(c.started_at)),
            c.ingested,
            c.rejected
        )));
    }
    match (app.last_ok, &app.error) {
        (Some(t), None) => title.push(Span::raw(format!("  updated {}", ago(Some(t), now)))),
        (None, None) => title.push(Span::raw("  connecting…")),
        _ => {}
    }
    let mut counts = Vec::new();
    for s in State::ALL {
        let n = app
            .fleet
            .as_ref()
            .and_then(|fl| fl.states.get(s.name()).copied())
            .unwrap_or(0);
        let mut st = color(app, s);
        if n > 0 && matches!(s, State::Failed | State::Late | State::Silent) {
            st = st.add_modifier(Modifier::BOLD);
        }
        counts.push(Span::styled(format!("{} {} {n}", s.symbol(), s.name()), st));
        counts.push(Span::raw("  "));
    }
    if let Some(fl) = &app.fleet {
        counts.push(Span::raw(format!(
            "│ nodes {}  alerts firing {}",
            fl.states.values().sum::<u64>(),
            fl.alerts_firing
        )));
    }
    f.render_widget(
        Paragraph::new(vec![Line::from(title), Line::from(counts)]),
        area,
    );
}

fn footer(f: &mut Frame, app: &App, area: Rect) {
    let text = if app.searching {
        format!("/{}▏  (Enter keep, Esc clear)", app.search)
    } else {
        let mut t = match app.view {
            View::Fleet => format!(
                "q quit  ? help  / search  ⏎ detail  a alerts  s sort: {}  f failed  1-6 state  0 all",
                app.sort.name()
            ),
            View::Detail => "q quit  ? help  Esc back  ↑↓ runs  a alerts".to_owned(),
            View::Alerts => "q quit  ? help  Esc back  ↑↓ scroll".to_owned(),
        };
        if !app.search.is_empty() {
            t.push_str(&format!("  [search: {}]", app.search));
        }
        if let Some(s) = app.only {
            t.push_str(&format!("  [only {}]", s.name()));
        }
        t
    };
    f.render_widget(
        Paragraph::new(text).style(Style::default().add_modifier(Modifier::DIM)),
        area,
    );
}

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

fn fleet(f: &mut Frame, app: &mut App, area: Rect, now: i64) {
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

fn detail(f: &mut Frame, app: &mut App, area: Rect, now: i64) {
    let name = app.detail_node.clone().unwrap_or_default();
    let Some(d) = &app.detail else {
        f.render_widget(
            Paragraph::new(match &app.detail_error {
                Some(e) => format!("cannot load {name}: {e}"),
                None => format!("loading {name}…"),
            })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {name} ")),
            ),
            area,
        );
        return;
    };
    let n = &d.node;
    let state = State::parse(&n.state);
    let jobs_h = n.jobs.len().min(5) as u16 + 3;
    let [info, jobs, charts, runs] = Layout::vertical([
        Constraint::Length(6),
        Constraint::Length(jobs_h),
        Constraint::Length(5),
        Constraint::Min(4),
    ])
    .areas(area);

    // Who, and how fresh.
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} {} ", state.symbol(), clean(&n.name)),
            bold().patch(color(app, state)),
        ),
        Span::styled(state.name(), color(app, state)),
        Span::raw(format!(
            "   agent {}   enrolled {}   last heard {}",
            clean(n.agent.as_deref().unwrap_or("—")),
            ago(Some(n.enrolled_at), now),
            ago(n.last_seen_at, now)
        )),
    ])];
    let late: Vec<_> = d
        .runs
        .iter()
        .filter_map(|r| r.received_at.map(|rx| (rx.saturating_sub(r.ended_at), r)))
        .filter(|(delay, _)| *delay > 120)
        .collect();
    if let Some((delay, _)) = late.first() {
        lines.push(Line::from(format!(
            "delivery: {} run(s) arrived late (latest {} after it ended): spooled on the node while the tower was unreachable",
            late.len(),
            span(*delay),
        )));
    } else if n
        .last_seen_at
        .is_some_and(|t| now.saturating_sub(t) > 86400)
    {
        lines.push(Line::from("delivery: nothing heard for over a day: node down, cron stopped, or its spool cannot reach the tower"));
    } else {
        lines.push(Line::from("delivery: on time"));
    }
    let errors: Vec<_> = d
        .runs
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| (r, e)))
        .take(2)
        .collect();
    for (r, e) in &errors {
        lines.push(Line::from(vec![
            Span::styled("last error ", color(app, State::Failed)),
            Span::raw(format!(
                "{} {}: {}",
                ago(Some(r.ended_at), now),
                clean(&r.job),
                clean(e)
            )),
        ]));
    }
    if errors.is_empty() {
        lines.push(Line::from("no errors in the kept history"));
    }
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" node {} ", clean(&n.name))),
        ),
        info,
    );

    // Jobs.
    let jrows: Vec<TRow> = n
        .jobs
        .iter()
        .map(|j| {
            let s = State::parse(&j.state);
            TRow::new(vec![
                Span::styled(format!("{} {}", s.symbol(), s.name()), color(app, s)),
                Span::raw(clean(&j.job)),
                Span::raw(clean(&j.plugin)),
                Span::raw(ago(j.last_success_at, now)),
                Span::raw(
                    j.every_secs
                        .map(|e| format!("every {}", span(e as i64)))
                        .unwrap_or_else(|| "—".into()),
                ),
                Span::raw(
                    j.next_due_at
                        .map(|t| ago(Some(t), now))
                        .unwrap_or_else(|| "—".into()),
                ),
            ])
        })
        .collect();
    let jt = Table::new(
        jrows,
        [
            Constraint::Length(9),
            Constraint::Min(8),
            Constraint::Length(7),
            Constraint::Length(14),
            Constraint::Length(12),
            Constraint::Length(14),
        ],
    )
    .header(TRow::new(
        [
            "STATE",
            "JOB",
            "PLUGIN",
            "LAST SUCCESS",
            "SCHEDULE",
            "NEXT DUE",
        ]
        .map(|h| Span::styled(h, bold())),
    ))
    .block(Block::default().borders(Borders::ALL).title(" jobs "));
    f.render_widget(jt, jobs);

    // Size and duration over the kept runs, oldest to newest.
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(charts);
    let width = left.width.saturating_sub(2) as usize;
    // One job's runs (the row that was opened; else the node's first job):
    // mixing jobs would make the charts meaningless.
    let job = app
        .detail_job
        .clone()
        .filter(|j| n.jobs.iter().any(|x| clean(&x.job) == *j))
        .or_else(|| n.jobs.first().map(|j| clean(&j.job)))
        .unwrap_or_default();
    let mut series: Vec<_> = d
        .runs
        .iter()
        .filter(|r| clean(&r.job) == job)
        .take(width)
        .collect();
    series.reverse();
    let sizes: Vec<u64> = series.iter().map(|r| r.bytes_total).collect();
    let durs: Vec<u64> = series
        .iter()
        .map(|r| r.duration_secs.max(0) as u64)
        .collect();
    let max_size = bytes(sizes.iter().max().copied());
    let max_dur = span(durs.iter().max().copied().unwrap_or(0) as i64);
    let spark_style = if app.color {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default()
    };
    f.render_widget(
        Sparkline::default().data(&sizes).style(spark_style).block(
            Block::default().borders(Borders::ALL).title(format!(
                " {job}: size, last {} runs (max {max_size}) ",
                sizes.len()
            )),
        ),
        left,
    );
    f.render_widget(
        Sparkline::default().data(&durs).style(spark_style).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" duration (max {max_dur}) ")),
        ),
        right,
    );

    // Run history, newest first.
    let h = runs.height.saturating_sub(3) as usize;
    app.scroll = app.scroll.min(d.runs.len().saturating_sub(h.max(1)));
    let rrows: Vec<TRow> = d
        .runs
        .iter()
        .skip(app.scroll)
        .take(h)
        .map(|r| {
            let s = if r.result == "success" {
                State::Ok
            } else {
                State::Failed
            };
            TRow::new(vec![
                Span::raw(ago(Some(r.ended_at), now)),
                Span::raw(clean(&r.job)),
                Span::styled(clean(&r.result), color(app, s)),
                Span::raw(span(r.duration_secs)),
                Span::raw(r.files.to_string()),
                Span::raw(bytes(Some(r.bytes_total))),
                Span::raw(bytes(Some(r.bytes_stored))),
                Span::raw(clean(r.error.as_deref().unwrap_or(""))),
            ])
        })
        .collect();
    let rt = Table::new(
        rrows,
        [
            Constraint::Length(12),
            Constraint::Min(8),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Min(10),
        ],
    )
    .header(TRow::new(
        [
            "ENDED", "JOB", "RESULT", "TOOK", "FILES", "SIZE", "STORED", "ERROR",
        ]
        .map(|h| Span::styled(h, bold())),
    ))
    .block(
        Block::default()
            .borders(Borders::ALL)
            .title(format!(" run history ({} kept) ", d.runs.len())),
    );
    f.render_widget(rt, runs);
}

fn alerts(f: &mut Frame, app: &mut App, area: Rect, now: i64) {
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
        Constraint::Length(8),
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
                    .title(format!(" firing alerts ({}) ", app.alerts.firing.len())),
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

fn help(f: &mut Frame, area: Rect) {
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
