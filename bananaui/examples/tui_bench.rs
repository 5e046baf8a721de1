//! Frame render time of `bananaui tui` for a large fleet (`bench/tui.sh`):
//! builds N node rows from API-shaped JSON, then renders the fleet view on a
//! 200x50 `TestBackend` while scrolling, and prints time per frame and memory.
//!
//! `cargo run --release -p bananaui --example tui_bench -- 10000 100000`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bananaui::api::{Alerts, Fleet, Node};
use bananaui::tui::app::{App, Update};
use bananaui::tui::ui;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use std::time::Instant;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    let now = 1_795_000_000i64;
    for n in sizes {
        // The API's answer as text, built directly (no intermediate values, so
        // the memory counted below is the TUI's own).
        let mut text = String::from("{\"generated_at\":0,\"nodes\":[");
        for i in 0..n {
            let state = ["ok", "ok", "ok", "failed", "late", "never"][i % 6];
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                concat!(
                    "{{\"name\":\"node-{i:06}.dc{dc}.example.net\",\"state\":\"{state}\",\"enrolled_at\":{enrolled},",
                    "\"last_seen_at\":{seen},\"agent\":\"bananactl 0.1.0\",\"jobs\":[{{\"job\":\"files\",\"state\":\"{state}\",",
                    "\"plugin\":\"fs\",\"every_secs\":86400,\"last_started_at\":{started},\"last_ended_at\":{ended},",
                    "\"last_result\":\"success\",\"last_success_at\":{success},\"duration_secs\":{dur},\"files\":120000,",
                    "\"bytes_total\":{total},\"bytes_stored\":1048576,\"next_due_at\":{due},\"error\":null,\"running\":false}}]}}"
                ),
                i = i,
                dc = i % 7,
                state = state,
                enrolled = now - 86400 * 90,
                seen = now - (i as i64 % 86400),
                started = now - 4000,
                ended = now - 3600,
                success = now - (i as i64 % 200_000),
                dur = 400 + i as i64 % 300,
                total = 52_428_800u64 + i as u64,
                due = now + 3600,
            ));
        }
        text.push_str("]}");
        // Memory is counted from here: what parsing the answer and keeping the rows cost.
        let rss0 = rss_kb();
        let t = Instant::now();
        let nodes: bananaui::api::Nodes = serde_json::from_str(&text).unwrap();
        let parse = t.elapsed();
        let mut app = App::new("http://127.0.0.1:7460", true);
        let t = Instant::now();
        let nodes: Vec<Node> = nodes.nodes;
        app.update(Update::Data {
            fleet: Fleet::default(),
            nodes,
            alerts: Alerts::default(),
            at: now,
        });
        let build = t.elapsed();
        drop(text);
        let rss1 = rss_kb();
        let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
        let frames = 200;
        let t = Instant::now();
        for f in 0..frames {
            // Scroll as a user would: a page down every frame, wrapping.
            let code = if f % 50 == 49 {
                KeyCode::Home
            } else {
                KeyCode::PageDown
            };
            app.key(KeyEvent::new(code, KeyModifiers::NONE));
            term.draw(|fr| ui::draw(fr, &mut app, now)).unwrap();
        }
        let per_frame = t.elapsed() / frames;
        // Search over every row (one keystroke re-filters).
        let t = Instant::now();
        for c in ['/', 'd', 'c', '3', '\n'] {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            app.key(KeyEvent::new(code, KeyModifiers::NONE));
        }
        let search = t.elapsed() / 3;
        println!(
            "{n:>7} rows: frame {:.2} ms (200x50, scrolling), parse JSON {:.0} ms, build+sort {:.0} ms, search keystroke {:.1} ms, memory +{} MiB",
            per_frame.as_secs_f64() * 1e3,
            parse.as_secs_f64() * 1e3,
            build.as_secs_f64() * 1e3,
            search.as_secs_f64() * 1e3,
            rss1.saturating_sub(rss0) / 1024
        );
    }
}
