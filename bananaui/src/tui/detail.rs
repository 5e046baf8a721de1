//! The node detail view.

use super::app::App;
use super::model::{ago, bytes, clean, plural, span};
use super::ui::{bold, color};
use crate::api::{Copy as CopyReport, Detail, Drill, Node, Outcome, State};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row as TRow, Sparkline, Table, Wrap};
use ratatui::Frame;

/// One node: who and how fresh, its jobs, size and duration charts, and
/// the run history.
pub fn draw(f: &mut Frame, app: &mut App, area: Rect, now: i64) {
    let name = app.detail_node.clone().unwrap_or_default();
    // Taken out while drawing (the history scroll is written back to app).
    let Some(d) = app.detail.take() else {
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
    // The node's info, wrapped whole (why its jobs failed comes first), then
    // its jobs; the charts only where the history keeps room below them.
    let info = info(app, &d, now);
    let info_h = u16::try_from(info.line_count(area.width.saturating_sub(2)))
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(8).max(6));
    let jobs_h = n.jobs.len().min(5) as u16 + 3;
    let rest = area.height.saturating_sub(info_h + jobs_h);
    let charts_h = if rest >= 5 + 8 { 5 } else { 0 };
    let [info_area, jobs, charts_area, runs] = Layout::vertical([
        Constraint::Length(info_h),
        Constraint::Length(jobs_h),
        Constraint::Length(charts_h),
        Constraint::Min(4),
    ])
    .areas(area);

    f.render_widget(info, info_area);
    jobs_table(f, app, n, jobs, now);
    if charts_h > 0 {
        charts(f, app, &d, charts_area);
    }
    history(f, app, &d, runs, now);
    app.detail = Some(d);
}

/// Why each job whose last run was not a full success is so: a failed
/// run's error, a partial run's warnings and first warning.
fn why(app: &App, n: &Node, now: i64) -> Vec<Line<'static>> {
    n.jobs
        .iter()
        .filter_map(|j| {
            let ended = ago(j.last_ended_at, now);
            let what = match j.last_result? {
                Outcome::Failed => format!("failed {ended}"),
                Outcome::Partial => match j.warnings.filter(|w| *w > 0) {
                    Some(w) => format!("partial {ended}, {}", plural(w, "warning", "warnings")),
                    None => format!("partial {ended}"),
                },
                _ => return None,
            };
            let first = if j.last_result == Some(Outcome::Partial) {
                "first: "
            } else {
                ""
            };
            let err = j
                .error
                .as_deref()
                .map(|e| format!(": {first}{}", clean(e)))
                .unwrap_or_default();
            Some(Line::from(vec![
                Span::styled(format!("{} ", clean(&j.job)), color(app, State::Failed)),
                Span::raw(format!("{what}{err}")),
            ]))
        })
        .collect()
}

/// Who, and how fresh: state, agent, delivery hints, why jobs failed.
fn info(app: &App, d: &Detail, now: i64) -> Paragraph<'static> {
    let n = &d.node;
    let state = n.state;
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
    if let Some(r) = n.refused_events.filter(|&r| r > 0) {
        lines.push(Line::from(vec![
            Span::styled("delivery: ", color(app, State::Failed)),
            Span::raw(format!(
                "{r} status event(s) were refused by the tower and are kept on the node (STATE/spool/refused/)"
            )),
        ]));
    } else if let Some((delay, _)) = late.first() {
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
    lines.extend(chain(n));
    lines.extend(prune(app, n, now));
    let why = why(app, n, now);
    if why.is_empty() {
        // Nothing failing now: the last error kept, if any.
        match d.runs.iter().find_map(|r| r.error.as_ref().map(|e| (r, e))) {
            Some((r, e)) => lines.push(Line::from(vec![
                Span::styled("last error ", color(app, State::Failed)),
                Span::raw(format!(
                    "{} {}: {}",
                    ago(Some(r.ended_at), now),
                    clean(&r.job),
                    clean(e)
                )),
            ])),
            None => lines.push(Line::from("no errors in the kept history")),
        }
    }
    lines.extend(why);
    lines.extend(drills(app, n, now));
    lines.extend(copies(app, n, now));
    Paragraph::new(lines).wrap(Wrap { trim: true }).block(
        Block::default()
            .borders(Borders::ALL)
            .title(format!(" node {} ", clean(&n.name))),
    )
}

/// The newest prune a reaper reported: when, what it forgot and freed,
/// what it held back.
fn prune(app: &App, n: &Node, now: i64) -> Option<Line<'static>> {
    if n.reaper {
        return Some(Line::from("reaper: sends prune reports for other nodes"));
    }
    let p = n.last_prune.as_ref()?;
    let mut text = format!(
        "{} by {}: forgot {}, freed {}",
        ago(Some(p.at), now),
        clean(&p.reaper),
        plural(p.forgotten.len() as u64, "snapshot", "snapshots"),
        bytes(Some(p.freed_bytes))
    );
    if let Some(e) = &p.error {
        text.push_str(&format!("; failed: {}", clean(e)));
    }
    if let Some(h) = p.held.first() {
        text.push_str(&format!("; held {}, first: {}", p.held.len(), clean(h)));
    }
    let bad = p.error.is_some() || !p.held.is_empty();
    Some(Line::from(vec![
        Span::styled(
            "pruned ",
            if bad {
                color(app, State::Failed)
            } else {
                Style::default()
            },
        ),
        Span::raw(text),
    ]))
}

/// The newest drill of each job and the node's newest subset check, one
/// line each: passed or FAILED, when, by whom, what it verified, how fast,
/// the RTO, and what it found.
fn drills(app: &App, n: &Node, now: i64) -> Vec<Line<'static>> {
    if n.drill_host {
        return vec![Line::from(
            "drill host: sends drill reports for other nodes",
        )];
    }
    let jobs = n
        .jobs
        .iter()
        .filter_map(|j| Some((format!("drill {}", clean(&j.job)), j.last_drill.as_ref()?)));
    let check = n
        .last_check
        .as_ref()
        .map(|c| ("subset check".to_owned(), c));
    jobs.chain(check)
        .map(|(what, d)| drill(app, what, d, now))
        .collect()
}

/// `drill files passed 2d 0h ago by drill-1: 120 files, 50.0 MiB, 30.0
/// MiB/s, RTO 3m 0s`.
fn drill(app: &App, what: String, d: &Drill, now: i64) -> Line<'static> {
    let f = &d.facts;
    let mut text = format!(" {} by {}: ", ago(Some(d.at), now), clean(&d.by));
    if f.mode == "check" {
        text.push_str(&plural(f.packs, "pack", "packs"));
    } else {
        text.push_str(&plural(f.files, "file", "files"));
    }
    text.push_str(&format!(", {}", bytes(Some(f.bytes))));
    if let Some(r) = f.rate_bps {
        text.push_str(&format!(", {}/s", bytes(Some(r))));
    }
    if let Some(r) = f.rto_secs {
        text.push_str(&format!(
            ", RTO {}",
            span(i64::try_from(r).unwrap_or(i64::MAX))
        ));
    }
    let (word, style) = if d.passed {
        ("passed", Style::default())
    } else {
        if let Some(v) = d.verified_at {
            text.push_str(&format!(" (last passed {})", ago(Some(v), now)));
        }
        ("FAILED", color(app, State::Failed))
    };
    if let Some(e) = &d.error {
        text.push_str(&format!(": {}", clean(e)));
    }
    Line::from(vec![
        Span::styled(format!("{what} "), style),
        Span::styled(word, style),
        Span::raw(text),
    ])
}

/// The newest copy to each destination, one line each.
fn copies(app: &App, n: &Node, now: i64) -> Vec<Line<'static>> {
    if n.copier {
        return vec![Line::from("copier: sends copy reports for other nodes")];
    }
    n.copies
        .iter()
        .map(|c| copy(app, &n.name, c, now))
        .collect()
}

/// `copy to s3://b/web-01 success 2h 0m ago by copier-1: 12 objects, 5.0
/// MiB, 1 snapshot; listed 2h 0m ago, up to date; newest 1f2e3d4c (3h 0m
/// ago)`; in red while it failed, lags or found snapshots lost at the source.
fn copy(app: &App, node: &str, c: &CopyReport, now: i64) -> Line<'static> {
    let mut text = format!(
        " {} by {}: {}, {}, {}",
        ago(Some(c.at), now),
        clean(&c.by),
        plural(c.objects, "object", "objects"),
        bytes(Some(c.bytes)),
        plural(c.snapshots, "snapshot", "snapshots")
    );
    match c.listed_at {
        Some(l) => text.push_str(&format!("; listed {}", ago(Some(l), now))),
        None => text.push_str("; never copied whole"),
    }
    if c.lag_secs > 0 {
        text.push_str(&format!(", {} behind", span(c.lag_secs)));
    } else {
        text.push_str(", up to date");
    }
    if let Some(s) = &c.newest {
        let short: String = s.chars().take(8).collect();
        text.push_str(&format!("; newest {}", clean(&short)));
        if let Some(t) = c.newest_at {
            text.push_str(&format!(" ({})", ago(Some(t), now)));
        }
    }
    if let Some(first) = c.source_lost.first() {
        let short: String = first.chars().take(8).collect();
        text.push_str(&format!(
            "; {} lost at the source, first {}",
            plural(c.source_lost.len() as u64, "snapshot", "snapshots"),
            clean(&short)
        ));
    }
    if c.source_lost_held > 0 {
        text.push_str(&format!(
            " (unacknowledged: bananaui alert ack {} source-lost)",
            clean(node)
        ));
    }
    if let Some(e) = &c.error {
        text.push_str(&format!(": {}", clean(e)));
    }
    let bad = c.result == Outcome::Failed || c.lagging || c.source_lost_held > 0;
    let style = if bad {
        color(app, State::Failed)
    } else {
        Style::default()
    };
    let word = match c.result {
        Outcome::Failed => "FAILED",
        r => r.name(),
    };
    Line::from(vec![
        Span::styled(format!("copy to {} ", clean(&c.destination)), style),
        Span::styled(word, style),
        Span::raw(text),
    ])
}

/// Where each job's chain stands, as the tower witnessed it.
fn chain(n: &Node) -> Option<Line<'static>> {
    let chains: Vec<String> = n
        .jobs
        .iter()
        .filter_map(|j| {
            let repo = clean(&j.repository.as_deref()?.chars().take(8).collect::<String>());
            Some(match j.seq {
                Some(seq) => format!("{} seq {seq} in {repo}", clean(&j.job)),
                // The job stopped reporting its chain (`witness-lost`).
                None => format!("{} not witnessed (was in {repo})", clean(&j.job)),
            })
        })
        .collect();
    (!chains.is_empty()).then(|| Line::from(format!("chain: {}", chains.join(", "))))
}

/// The node's jobs with their schedule and next due time.
fn jobs_table(f: &mut Frame, app: &App, n: &Node, area: Rect, now: i64) {
    let jrows: Vec<TRow> = n
        .jobs
        .iter()
        .map(|j| {
            let s = j.state;
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
    f.render_widget(jt, area);
}

/// Size and duration of the opened job's kept runs, oldest to newest.
fn charts(f: &mut Frame, app: &App, d: &Detail, area: Rect) {
    let n = &d.node;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
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
}

/// The run history of all the node's jobs, newest first.
fn history(f: &mut Frame, app: &mut App, d: &Detail, area: Rect, now: i64) {
    let h = area.height.saturating_sub(3) as usize;
    app.scroll = app.scroll.min(d.runs.len().saturating_sub(h.max(1)));
    let rrows: Vec<TRow> = d
        .runs
        .iter()
        .skip(app.scroll)
        .take(h)
        .map(|r| {
            let s = if r.result == Outcome::Success {
                State::Ok
            } else {
                State::Failed
            };
            TRow::new(vec![
                Span::raw(ago(Some(r.ended_at), now)),
                Span::raw(clean(&r.job)),
                Span::styled(r.result.name(), color(app, s)),
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
    f.render_widget(rt, area);
}
