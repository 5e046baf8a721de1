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
        View::Fleet => super::fleet::draw(f, app, body, now),
        View::Detail => super::detail::draw(f, app, body, now),
        View::Alerts => super::alerts::draw(f, app, body, now),
    }
    footer(f, app, foot);
    if app.help {
        super::help::draw(f, area);
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
