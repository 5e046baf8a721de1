//! `bananaui tui`: the watch tower in a terminal, over the JSON API. The
//! terminal is always restored: on quit, on error, on panic (hook) and on
//! SIGTERM/SIGINT (flags checked by the loop). SIGHUP keeps its default
//! action: the terminal is gone (ssh dropped, tmux killed), there is nothing
//! to restore, and catching it left crossterm reading EOF in a busy loop.

mod alerts;
pub mod app;
mod detail;
mod fleet;
pub mod help;
pub mod model;
pub mod poll;
pub mod ui;

use app::{Action, App};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `bananaui tui`: checks the URL, then runs until the user quits.
pub fn cmd(c: &crate::cli::TuiCmd) -> anyhow::Result<()> {
    match url::Url::parse(&c.viewer.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            return Err(crate::exit::fail(
                crate::exit::Code::USAGE,
                format!(
                    "--url '{}' is not an http(s) URL (e.g. http://127.0.0.1:7460)",
                    c.viewer.url
                ),
            ))
        }
    }
    let token = c.viewer.token()?;
    run(Options {
        url: c.viewer.url.clone(),
        token,
        refresh: std::time::Duration::from_secs(c.refresh),
    })
}

/// Options of `bananaui tui`.
pub struct Options {
    /// The tower's URL.
    pub url: String,
    /// Viewer token.
    pub token: Option<String>,
    /// Poll interval.
    pub refresh: Duration,
}

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
    }
}

/// Runs the TUI until the user quits.
pub fn run(o: Options) -> anyhow::Result<()> {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    let (utx, urx) = std::sync::mpsc::channel();
    let (ctx, crx) = std::sync::mpsc::channel();
    poll::start(o.url.clone(), o.token, o.refresh, utx, crx)?;

    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        prev(info);
    }));
    enable_raw_mode()?;
    let _guard = Restore;
    execute!(std::io::stdout(), EnterAlternateScreen)?;
    let mut term =
        ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let mut app = App::new(&o.url, color);
    let mut dirty = true;
    let mut last_draw = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        loop {
            match urx.try_recv() {
                Ok(u) => {
                    app.update(u);
                    dirty = true;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    if app.error.is_none() {
                        app.update(app::Update::Error(
                            "the poller stopped; restart bananaui tui".into(),
                            proto::unix_now(),
                        ));
                        dirty = true;
                    }
                    break;
                }
            }
        }
        if dirty || last_draw.elapsed() >= Duration::from_secs(1) {
            let now = proto::unix_now();
            term.draw(|f| ui::draw(f, &mut app, now))?;
            dirty = false;
            last_draw = Instant::now();
        }
        if event::poll(Duration::from_millis(100))? {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    dirty = true;
                    match app.key(k) {
                        Action::Quit => break,
                        Action::Detail(d) => {
                            let _ = ctx.send(poll::Cmd::Detail(d));
                        }
                        Action::Refresh => {
                            let _ = ctx.send(poll::Cmd::Refresh);
                        }
                        Action::None => {}
                    }
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
    }
    Ok(())
}
