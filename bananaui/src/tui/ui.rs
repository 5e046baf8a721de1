//! Drawing: a pure function of the app state and the time, so every view is
//! tested on a `TestBackend`.

use super::app::{App, View};
use super::model::{ago, clean, span};
use crate::api::State;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub(super) fn color(app: &App, s: State) -> Style {
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

pub(super) fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub(super) fn clock(t: i64) -> String {
    let s = t.rem_euclid(86400);
    format!("{:02}:{:02}:{:02} UTC", s / 3600, s % 3600 / 60, s % 60)
}

/// Draws the whole screen at time `now`.
pub fn draw(f: &mut Frame, app: &mut App, now: i64) {
    let area = f.area();
    let banner = u16::from(app.error.is_some());
    let head_lines = header(app, area.width, now);
    // The header never takes more than a third of the screen.
    let head_h = (head_lines.len() as u16).min((area.height / 3).max(2));
    let [head, ban, body, foot] = Layout::vertical([
        Constraint::Length(head_h),
        Constraint::Length(banner),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(head_lines), head);
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
        View::Fleet => super::fleet::draw(f, app, body, now),
        View::Detail => super::detail::draw(f, app, body, now),
        View::Alerts => super::alerts::draw(f, app, body, now),
    }
    footer(f, app, foot);
    if app.help {
        super::help::draw(f, area);
    }
}

/// The header: who and how healthy the collector is, then the counts by
/// state. Each is a run of whole pieces, wrapped between pieces and never
/// inside one, so a count is never cut (`nodes 10000`, not `nodes 10`).
fn header(app: &App, width: u16, now: i64) -> Vec<Line<'static>> {
    let mut title = vec![
        Span::styled("Banana watch tower", bold()),
        Span::raw(app.url.clone()),
    ];
    if let Some(fl) = &app.fleet {
        let c = &fl.collector;
        title.push(Span::raw(format!(
            "collector {} up {}",
            clean(&c.version),
            span(now.saturating_sub(c.started_at))
        )));
        title.push(Span::raw(format!(
            "statuses {} stored, {} refused",
            c.ingested, c.statuses_refused
        )));
        title.push(Span::raw(format!(
            "enrolments {} refused",
            c.enrolments_refused
        )));
    }
    match (app.last_ok, &app.error) {
        (Some(t), None) => title.push(Span::raw(format!("updated {}", ago(Some(t), now)))),
        (None, None) => title.push(Span::raw("connecting…")),
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
    }
    if let Some(fl) = &app.fleet {
        counts.push(Span::raw(format!(
            "nodes {}",
            fl.states.values().sum::<u64>()
        )));
        counts.push(Span::raw(format!("alerts firing {}", fl.alerts_firing)));
    }
    let mut lines = flow(title, width);
    lines.extend(flow(counts, width));
    lines
}

/// Lays `pieces` out on lines of `width`, two spaces apart, breaking only
/// between pieces (a piece wider than the line gets a line of its own).
fn flow(pieces: Vec<Span<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for p in pieces {
        let w = p.width();
        if !line.is_empty() && used + 2 + w > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        if !line.is_empty() {
            line.push(Span::raw("  "));
            used += 2;
        }
        used += w;
        line.push(p);
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
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
