//! The TUI's views on ratatui's `TestBackend`, with fixed data and a fixed
//! clock: fleet (wide, 80×24, tiny), 10,000 rows, hostile strings, node
//! detail, alerts, help, the unreachable banner, and NO_COLOR.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bananaui::api::{Alerts, Detail, Fleet, Node};
use bananaui::tui::app::{Action, App, Update, View};
use bananaui::tui::ui;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;
use ratatui::Terminal;
use serde_json::json;

const NOW: i64 = 1_795_000_000;

fn node(name: &str, state: &str, jobs: serde_json::Value) -> serde_json::Value {
    json!({"name": name, "state": state, "enrolled_at": NOW - 86400 * 30,
           "last_seen_at": NOW - 600, "agent": "bananactl 0.1.0", "jobs": jobs})
}

fn job(
    name: &str,
    state: &str,
    success_ago: Option<i64>,
    error: Option<&str>,
) -> serde_json::Value {
    json!({"job": name, "state": state, "plugin": "fs", "every_secs": 86400,
           "last_started_at": NOW - 4000, "last_ended_at": NOW - 3600,
           "last_result": if state == "failed" { "failed" } else { "success" },
           "last_success_at": success_ago.map(|a| NOW - a), "duration_secs": 400,
           "files": 1200, "bytes_total": 52_428_800u64, "bytes_stored": 1_048_576,
           "next_due_at": success_ago.map(|a| NOW - a + 86400), "error": error, "running": false})
}

/// `job` with a newest drill: passed or not, its last pass `verified_ago`.
fn drilled(
    mut job: serde_json::Value,
    passed: bool,
    verified_ago: Option<i64>,
    error: Option<&str>,
) -> serde_json::Value {
    job["last_drill"] = json!({"by": "drill-1", "at": NOW - 7200, "received_at": NOW - 7100,
        "passed": passed, "verified_at": verified_ago.map(|a| NOW - a),
        "snapshot": "1f2e3d4c5b6a7988", "error": error,
        "facts": {"mode": "drill", "sample": "1%", "deep": false, "files": 120, "bytes": 52_428_800u64,
                  "packs": 0, "streams": 0, "elapsed_ms": 1700, "rate_bps": 31_457_280u64,
                  "rto_secs": 180, "snapshot_bytes": 5_242_880_000u64}});
    job
}

const DAMAGE: &str =
    "snapshot 1f2e3d4c: /srv/pg/base/16384/2619: chunk 9ab1 does not match its hash";

fn fixture() -> Update {
    let nodes: Vec<Node> = serde_json::from_value(json!([
        node(
            "db-01",
            "failed",
            json!([drilled(
                job(
                    "pg",
                    "failed",
                    Some(90_000),
                    Some("pg_dump: connection refused")
                ),
                false,
                Some(864_000),
                Some(DAMAGE)
            )])
        ),
        node(
            "web-02",
            "late",
            json!([job("files", "late", Some(200_000), None)])
        ),
        node("new-03", "never", json!([])),
        node(
            "web-01",
            "ok",
            json!([
                drilled(
                    job("files", "ok", Some(3600), None),
                    true,
                    Some(172_800),
                    None
                ),
                job("etc", "ok", Some(7200), None)
            ])
        ),
    ]))
    .unwrap();
    let fleet: Fleet = serde_json::from_value(json!({
        "generated_at": NOW - 2, "nodes": 4, "jobs": 5,
        "states": {"failed": 1, "late": 1, "silent": 0, "never": 1, "running": 0, "ok": 1},
        "alerts_firing": 2,
        "collector": {"version": "0.1.0", "started_at": NOW - 7200, "ingested": 42, "rejected": 3}}))
    .unwrap();
    let alerts: Alerts = serde_json::from_value(json!({
        "generated_at": NOW - 2,
        "firing": [{"rule": "failed", "node": "db-01", "job": "pg", "state": "firing", "since": NOW - 3600, "resolved_at": null,
                    "message": "db-01/pg: last run failed: pg_dump: connection refused"},
                   {"rule": "overdue", "node": "web-02", "job": "files", "state": "firing", "since": NOW - 20000, "resolved_at": null,
                    "message": "web-02/files: last success 2d 7h ago, expected every 1d 0h"}],
        "resolved": [{"rule": "silent", "node": "web-01", "job": null, "state": "resolved", "since": NOW - 9000, "resolved_at": NOW - 8000,
                      "message": "nothing heard from web-01 for 2d 0h"}]}))
    .unwrap();
    Update::Data {
        fleet,
        nodes,
        alerts,
        at: NOW - 2,
    }
}

fn render(app: &mut App, w: u16, h: u16) -> (Vec<String>, ratatui::buffer::Buffer) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app, NOW)).unwrap();
    let buf = t.backend().buffer().clone();
    let lines = (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect();
    (lines, buf)
}

fn key(app: &mut App, c: KeyCode) -> Action {
    app.key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn app() -> App {
    let mut a = App::new("http://127.0.0.1:7460", true);
    a.update(fixture());
    a
}

fn row_of(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not on screen:\n{}", lines.join("\n")))
}

#[test]
fn fleet_view_is_worst_first_with_counts_and_symbols() {
    let mut a = app();
    let (lines, buf) = render(&mut a, 150, 30);
    let screen = lines.join("\n");
    assert!(
        lines[0].contains("Banana watch tower") && lines[0].contains("collector 0.1.0 up 2h 0m"),
        "{screen}"
    );
    assert!(
        lines[1].contains("✗ failed 1")
            && lines[1].contains("✓ ok 1")
            && lines[1].contains("alerts firing 2"),
        "{screen}"
    );
    // Worst first: failed, late, never, then the ok rows.
    let order: Vec<usize> = ["db-01", "web-02", "new-03", "web-01"]
        .iter()
        .map(|n| row_of(&lines, n))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{screen}");
    let db = &lines[order[0]];
    assert!(
        db.contains("✗ failed")
            && db.contains("pg")
            && db.contains("1d 1h ago")
            && db.contains("failed"),
        "{db}"
    );
    assert!(
        db.contains("6m 40s") && db.contains("1.0 MiB") && db.contains("pg_dump: conn"),
        "{db}"
    );
    // The failed state is red, the first row selected (reversed).
    let y = order[0] as u16;
    let x = lines[order[0]]
        .find('✗')
        .map(|b| lines[order[0]][..b].chars().count() as u16)
        .unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    assert!(buf[(x + 3, y)]
        .modifier
        .contains(ratatui::style::Modifier::REVERSED));
    assert!(screen.contains("1/5"), "position shown: {screen}");
    // VERIFIED: the age of the newest passing drill, red and marked while
    // the newest drill failed; "—" for a job never drilled.
    let x = lines[order[0]]
        .find("✗ 10d 0h")
        .map(|b| lines[order[0]][..b].chars().count() as u16)
        .unwrap_or_else(|| panic!("{screen}"));
    assert_eq!(buf[(x, y)].fg, Color::Red);
    let files = &lines[row_of(&lines, "web-01 files")];
    assert!(files.contains(" 2d 0h "), "{screen}");
    assert!(lines[order[1]].contains(" — "), "{screen}");
}

/// At 200 columns every column shows, VERIFIED among them, and the error whole.
#[test]
fn two_hundred_columns_show_every_column_with_verified() {
    let mut a = app();
    let (lines, buf) = render(&mut a, 200, 24);
    let screen = lines.join("\n");
    let header = &lines[row_of(&lines, "LAST SUCCESS")];
    let titles = [
        "STATE",
        "NODE",
        "JOB",
        "LAST SUCCESS",
        "RESULT",
        "VERIFIED",
        "TOOK",
        "STORED",
        "NEXT DUE",
        "PLUGIN",
        "ERROR",
    ];
    let at: Vec<usize> = titles
        .iter()
        .map(|t| header.find(t).unwrap_or_else(|| panic!("{t}:\n{screen}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{header}");
    let y = row_of(&lines, "db-01");
    let db = &lines[y];
    assert!(
        db.contains("✗ 10d 0h") && db.contains("pg_dump: connection refused"),
        "{screen}"
    );
    // The VERIFIED cell sits under its title, red.
    let col = header[..at[5]].chars().count() as u16;
    assert_eq!(buf[(col, y as u16)].symbol(), "✗");
    assert_eq!(buf[(col, y as u16)].fg, Color::Red);
    assert!(
        lines[row_of(&lines, "web-01 files")].contains("2d 0h"),
        "{screen}"
    );
}

#[test]
fn eighty_by_twenty_four_keeps_the_essentials_and_tiny_does_not_panic() {
    let mut a = app();
    let (lines, _) = render(&mut a, 80, 24);
    let screen = lines.join("\n");
    // Why a job failed comes before the optional columns (issue 23, 17);
    // VERIFIED is always there (issue 26, 5).
    for h in [
        "STATE",
        "NODE",
        "JOB",
        "LAST SUCCESS",
        "RESULT",
        "VERIFIED",
        "ERROR",
    ] {
        assert!(screen.contains(h), "{h} missing at 80x24:\n{screen}");
    }
    for h in ["TOOK", "STORED", "PLUGIN"] {
        assert!(!screen.contains(h), "{h} at 80x24:\n{screen}");
    }
    // The reason starts in the row (the rest is in the detail).
    let db = &lines[row_of(&lines, "db-01")];
    assert!(
        db.contains("✗ 10d 0h") && db.contains("pg_dump: connection"),
        "{screen}"
    );
    assert!(lines[row_of(&lines, "new-03")].contains("—"), "{screen}");
    assert!(
        lines[row_of(&lines, "web-01 files")].contains("2d 0h"),
        "{screen}"
    );
    assert!(screen.contains("q quit"), "{screen}");
    // The header's counts are whole, on as many lines as they need.
    for c in [
        "✗ failed 1",
        "∅ never 1",
        "✓ ok 1",
        "nodes 4",
        "alerts firing 2",
    ] {
        assert!(lines.iter().any(|l| l.contains(c)), "{c}:\n{screen}");
    }
    let mut big = app();
    let mut fleet = big.fleet.clone().unwrap();
    fleet.states.insert("never".into(), 10_000);
    fleet.states.insert("failed".into(), 12_345);
    fleet.alerts_firing = 22_345;
    fleet.collector.ingested = 1_234_567;
    fleet.collector.statuses_refused = 89_012;
    fleet.collector.enrolments_refused = 3_456;
    big.fleet = Some(fleet);
    let (lines, _) = render(&mut big, 80, 24);
    let screen = lines.join("\n");
    for c in [
        "✗ failed 12345",
        "∅ never 10000",
        "nodes 22347",
        "alerts firing 22345",
        "statuses 1234567 stored, 89012 refused",
        "enrolments 3456 refused",
    ] {
        assert!(lines.iter().any(|l| l.contains(c)), "{c}:\n{screen}");
    }
    for (w, h) in [(40, 10), (20, 5), (1, 1)] {
        render(&mut a, w, h);
    }
    a.help = true;
    render(&mut a, 30, 8);
}

#[test]
fn ten_thousand_rows_scroll_and_search_narrows() {
    let nodes: Vec<Node> = (0..10_000)
        .map(|i| {
            let state = if i % 1000 == 0 { "failed" } else { "ok" };
            serde_json::from_value(node(
                &format!("n{i:05}"),
                state,
                json!([job("files", state, Some(3600 + i), None)]),
            ))
            .unwrap()
        })
        .collect();
    let mut a = App::new("http://t", true);
    a.update(Update::Data {
        fleet: Fleet::default(),
        nodes,
        alerts: Alerts::default(),
        at: NOW,
    });
    let (lines, _) = render(&mut a, 120, 40);
    assert!(
        lines.iter().any(|l| l.contains("10000 of 10000 rows")),
        "{}",
        lines.join("\n")
    );
    assert!(lines[5].contains("✗ failed"), "failed first: {}", lines[5]);
    key(&mut a, KeyCode::End);
    let (lines, _) = render(&mut a, 120, 40);
    assert!(lines.iter().any(|l| l.contains("10000/10000")));
    key(&mut a, KeyCode::PageUp);
    let (lines, _) = render(&mut a, 120, 40);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("{}/10000", 10000 - a.page))),
        "{}",
        lines.join("\n")
    );
    // Search: '/' then text narrows the table.
    key(&mut a, KeyCode::Char('/'));
    for c in "n0999".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    let (lines, _) = render(&mut a, 120, 40);
    let screen = lines.join("\n");
    assert!(
        screen.contains("10 of 10000 rows") && screen.contains("[search: n0999]"),
        "{screen}"
    );
    // 'f': failed only.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('f'));
    let (lines, _) = render(&mut a, 120, 40);
    assert!(lines.join("\n").contains("10 of 10000 rows"));
}

#[test]
fn hostile_node_text_reaches_the_screen_inert() {
    let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}<script>\u{9b}31m\u{202e}gnp.exe";
    let nodes: Vec<Node> = serde_json::from_value(json!([node(
        "evil-01",
        "failed",
        json!([job(evil, "failed", None, Some(evil))])
    )]))
    .unwrap();
    let mut a = App::new("http://t\u{1b}[31m", true);
    a.update(Update::Data {
        fleet: Fleet::default(),
        nodes,
        alerts: Alerts::default(),
        at: NOW,
    });
    let (lines, buf) = render(&mut a, 200, 20);
    let screen = lines.join("\n");
    assert!(
        screen.contains("\\x1b[2J\\x1b]0;pwned\\x07<script>\\x9b31m"),
        "{screen}"
    );
    for cell in buf.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c.is_control() || c == '\u{202e}'),
            "raw {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn node_detail_shows_jobs_history_charts_errors_and_late_delivery() {
    let mut a = app();
    // The failed row is first; Enter asks the poller for its detail.
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        Action::Detail(Some("db-01".into()))
    );
    assert_eq!(a.view, View::Detail);
    let (lines, _) = render(&mut a, 120, 40);
    assert!(lines.join("\n").contains("loading db-01"));
    let runs: Vec<_> = (0..30)
        .map(|i| {
            let end = NOW - 86400 * i;
            let failed = i == 0;
            json!({"job": "pg", "run": format!("r{i}"), "started_at": end - 100 - i, "ended_at": end,
                   "duration_secs": 100 + i, "result": if failed {"failed"} else {"success"},
                   "files": 10, "bytes_total": 1000 + i * 10, "bytes_stored": 100, "warnings": 0,
                   "snapshot": null, "bytes_read": 0, "bytes_added": 0, "agent": "bananactl 0.1.0",
                   "error": if failed { Some("pg_dump: connection refused") } else { None },
                   "received_at": if i == 3 { end + 7200 } else { end + 1 }})
        })
        .collect();
    // Another job's much larger runs must not enter the opened job's charts.
    let mut runs = runs;
    for i in 0..5 {
        runs.push(json!({"job": "etc", "run": format!("e{i}"), "started_at": NOW - 50 - i, "ended_at": NOW - 40 - i,
                         "duration_secs": 3600, "result": "success", "files": 1, "bytes_total": 1u64 << 30,
                         "bytes_stored": 1, "warnings": 0, "error": null, "snapshot": null,
                         "bytes_read": 0, "bytes_added": 0, "agent": "bananactl 0.1.0", "received_at": null}));
    }
    let pg = job(
        "pg",
        "failed",
        Some(90_000),
        Some("pg_dump: connection refused"),
    );
    let mut n = node(
        "db-01",
        "failed",
        json!([drilled(pg, false, Some(864_000), Some(DAMAGE))]),
    );
    n["last_check"] = json!({"by": "db-01", "at": NOW - 3600, "received_at": NOW - 3600,
        "passed": true, "verified_at": NOW - 3600, "snapshot": null, "error": null,
        "facts": {"mode": "check", "sample": "2/5", "packs": 40, "bytes": 1_073_741_824u64}});
    let d: Detail = serde_json::from_value(json!({
        "generated_at": NOW, "node": n, "runs": runs, "alerts": []}))
    .unwrap();
    a.update(Update::Detail("db-01".into(), Box::new(d)));
    let (lines, _) = render(&mut a, 120, 40);
    let screen = lines.join("\n");
    for want in [
        "node db-01",
        "agent bananactl 0.1.0",
        "arrived late",
        "latest 2h 0m after it ended",
        "pg failed 1h 0m ago: pg_dump: connection refused",
        " jobs ",
        "every 1d 0h",
        "pg: size, last 30 runs (max 1.3 KiB)",
        "duration (max 2m 9s)",
        "run history (35 kept)",
        "ENDED",
        // The newest drill of each job and the subset check, one line each.
        "drill pg FAILED 2h 0m ago by drill-1: 120 files, 50.0 MiB, 30.0 MiB/s, RTO 3m 0s (last passed 10d 0h ago): snapshot",
        "chunk 9ab1 does not match its hash",
        "subset check passed 1h 0m ago by db-01: 40 packs, 1.0 GiB",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    // Esc goes back and stops polling the detail.
    assert_eq!(key(&mut a, KeyCode::Esc), Action::Detail(None));
    assert_eq!(a.view, View::Fleet);
}

#[test]
fn alerts_view_help_banner_and_no_color() {
    let mut a = app();
    key(&mut a, KeyCode::Char('a'));
    let (lines, _) = render(&mut a, 120, 30);
    let screen = lines.join("\n");
    assert!(
        screen.contains("firing alerts (2)") && screen.contains("db-01/pg: last run failed"),
        "{screen}"
    );
    assert!(
        screen.contains("recently resolved") && screen.contains("lasted 16m 40s"),
        "{screen}"
    );
    key(&mut a, KeyCode::Esc);
    // Help lists every key.
    key(&mut a, KeyCode::Char('?'));
    let (lines, _) = render(&mut a, 100, 30);
    let screen = lines.join("\n");
    for (k, _) in bananaui::tui::help::KEYS {
        assert!(screen.contains(k), "help misses {k}:\n{screen}");
    }
    key(&mut a, KeyCode::Char('x'));
    assert!(!a.help);
    // Unreachable: banner, data kept with its age.
    a.update(Update::Error("connection refused".into(), NOW - 30));
    let (lines, _) = render(&mut a, 120, 30);
    assert!(
        lines[2].contains("COLLECTOR UNREACHABLE") && lines[2].contains("showing data from 2s ago"),
        "{}",
        lines[2]
    );
    assert!(lines.join("\n").contains("db-01"), "data still on screen");
    // NO_COLOR: not one coloured cell.
    let mut mono = App::new("http://t", false);
    mono.update(fixture());
    let (_, buf) = render(&mut mono, 120, 30);
    assert!(buf
        .content()
        .iter()
        .all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
    assert_eq!(key(&mut mono, KeyCode::Char('q')), Action::Quit);
}

/// A copy report of a node to `dest`, `lag` seconds behind.
fn copy(dest: &str, lag: i64, lagging: bool, held: u64) -> serde_json::Value {
    json!({"by": "copier-1", "destination": dest, "at": NOW - 7200, "received_at": NOW - 7190,
           "result": if held > 0 { "partial" } else { "success" }, "error": null,
           "objects": 120, "bytes": 52_428_800u64, "snapshots": 3,
           "newest": "5a6b7c8d9e0f", "newest_at": NOW - 10_800,
           "source_lost": if held > 0 { json!(["1f2e3d4c5b6a"]) } else { json!([]) },
           "copied_at": NOW - 7200, "listed_at": NOW - 7300,
           "lag_secs": lag, "lagging": lagging, "source_lost_held": held})
}

/// COPY: per node, the worst destination's lag (`ok` when every backup is
/// copied), red while `copy-lag` holds, `LOST` (red) while lost snapshots
/// wait for an ack, `—` for a node no copy reached; the detail lists each
/// destination, its client-given name made inert.
#[test]
fn the_copy_column_shows_lag_lost_and_nothing_and_the_detail_each_destination() {
    let evil = "s3://x/\u{1b}]0;pwned\u{7}<b>\u{202e}";
    let mut ok = node("ok-01", "ok", json!([job("files", "ok", Some(3600), None)]));
    ok["copies"] = json!([copy("s3://a", 0, false, 0), copy(evil, 0, false, 0)]);
    let mut late = node(
        "late-01",
        "ok",
        json!([job("files", "ok", Some(3600), None)]),
    );
    late["copies"] = json!([copy("s3://a", 0, false, 0), copy("s3://b", 10_800, true, 0)]);
    let mut lost = node(
        "lost-01",
        "ok",
        json!([job("files", "ok", Some(3600), None)]),
    );
    lost["copies"] = json!([copy("s3://a", 0, false, 1)]);
    let none = node(
        "none-01",
        "ok",
        json!([job("files", "ok", Some(3600), None)]),
    );
    let nodes: Vec<Node> = serde_json::from_value(json!([ok, late, lost, none])).unwrap();
    let mut a = App::new("http://t", true);
    a.update(Update::Data {
        fleet: Fleet::default(),
        nodes,
        alerts: Alerts::default(),
        at: NOW,
    });
    for width in [80, 200] {
        let (lines, buf) = render(&mut a, width, 20);
        let screen = lines.join("\n");
        let header = &lines[row_of(&lines, "LAST SUCCESS")];
        let col = header[..header.find("COPY").unwrap_or_else(|| panic!("{screen}"))]
            .chars()
            .count() as u16;
        let cell = |node: &str| {
            let y = row_of(&lines, node);
            let text: String = lines[y].chars().skip(col as usize).take(6).collect();
            (text.trim().to_owned(), buf[(col, y as u16)].fg)
        };
        assert_eq!(cell("ok-01"), ("ok".into(), Color::Reset), "{screen}");
        assert_eq!(cell("late-01"), ("3h 0m".into(), Color::Red), "{screen}");
        assert_eq!(cell("lost-01"), ("LOST".into(), Color::Red), "{screen}");
        assert_eq!(cell("none-01").0, "—", "{screen}");
    }
    // The detail: one line per destination, the hostile one inert.
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        Action::Detail(Some("late-01".into()))
    );
    a.update(Update::Detail("late-01".into(), Box::new(ok_detail(evil))));
    let (lines, buf) = render(&mut a, 160, 30);
    let screen = lines.join("\n");
    for want in [
        "copy to s3://a success 2h 0m ago by copier-1: 120 objects, 50.0 MiB, 3 snapshots; listed 2h 1m ago, up to date; newest 5a6b7c8d (3h 0m ago)",
        "copy to s3://x/\\x1b]0;pwned\\x07<b> success",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    for cell in buf.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c.is_control() || c == '\u{202e}'),
            "raw {:?}",
            cell.symbol()
        );
    }
}

/// A detail with ok-01's copies (under the name of the opened row).
fn ok_detail(evil: &str) -> Detail {
    let mut n = node(
        "late-01",
        "ok",
        json!([job("files", "ok", Some(3600), None)]),
    );
    n["copies"] = json!([copy("s3://a", 0, false, 0), copy(evil, 0, false, 0)]);
    serde_json::from_value(json!({"generated_at": NOW, "node": n, "runs": [], "alerts": []}))
        .unwrap()
}
