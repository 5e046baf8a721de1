//! The TUI's state and keys, apart from the terminal (so rendering and keys
//! are tested on a `TestBackend` with fixed data).

use super::model::{self, Row, Sort};
use crate::api::{Alerts, Detail, Fleet, Node, State};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Node × job table.
    Fleet,
    /// One node.
    Detail,
    /// Firing and resolved alerts.
    Alerts,
}

/// What the poller reports.
#[derive(Debug)]
pub enum Update {
    /// A full refresh.
    Data {
        /// Fleet summary.
        fleet: Fleet,
        /// Nodes.
        nodes: Vec<Node>,
        /// Alerts.
        alerts: Alerts,
        /// When (Unix seconds).
        at: i64,
    },
    /// A node's detail.
    Detail(String, Box<Detail>),
    /// A node's detail could not be fetched.
    DetailError(String, String),
    /// The collector did not answer.
    Error(String, i64),
}

/// What the loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing more.
    None,
    /// Leave.
    Quit,
    /// Poll this node's detail (or stop, with `None`).
    Detail(Option<String>),
    /// Poll now.
    Refresh,
}

/// Everything on screen.
pub struct App {
    /// The tower's URL (shown in the header).
    pub url: String,
    /// Current screen.
    pub view: View,
    /// Help overlay shown.
    pub help: bool,
    /// Colours allowed (`NO_COLOR` unset).
    pub color: bool,
    /// Fleet summary.
    pub fleet: Option<Fleet>,
    /// All rows, sorted.
    pub rows: Vec<Row>,
    /// Indices into `rows` after search and filter.
    pub visible: Vec<usize>,
    /// Alerts.
    pub alerts: Alerts,
    /// Open node's name.
    pub detail_node: Option<String>,
    /// Its data, once fetched.
    pub detail: Option<Detail>,
    /// Why it could not be fetched.
    pub detail_error: Option<String>,
    /// The job whose row was opened (its runs make the charts).
    pub detail_job: Option<String>,
    /// Selected line in `visible`.
    pub selected: usize,
    /// First line shown.
    pub offset: usize,
    /// Scroll of the detail's run list and of the alerts view.
    pub scroll: usize,
    /// Search text.
    pub search: String,
    /// Typing a search.
    pub searching: bool,
    /// State filter.
    pub only: Option<State>,
    /// Order.
    pub sort: Sort,
    /// Last successful refresh.
    pub last_ok: Option<i64>,
    /// Unreachable since, and why.
    pub error: Option<(i64, String)>,
    /// Rows the table showed last frame (for paging).
    pub page: usize,
}

impl App {
    /// An empty app for `url`.
    pub fn new(url: &str, color: bool) -> App {
        App {
            url: model::clean(url),
            view: View::Fleet,
            help: false,
            color,
            fleet: None,
            rows: Vec::new(),
            visible: Vec::new(),
            alerts: Alerts::default(),
            detail_node: None,
            detail: None,
            detail_error: None,
            detail_job: None,
            selected: 0,
            offset: 0,
            scroll: 0,
            search: String::new(),
            searching: false,
            only: None,
            sort: Sort::State,
            last_ok: None,
            error: None,
            page: 20,
        }
    }

    fn selected_key(&self) -> Option<(String, String)> {
        let r = &self.rows[*self.visible.get(self.selected)?];
        Some((r.node.clone(), r.job.clone()))
    }

    /// Where a (node, job) row is among the visible rows.
    fn find(&self, key: Option<(String, String)>) -> Option<usize> {
        let (n, j) = key?;
        self.visible
            .iter()
            .position(|&i| self.rows[i].node == n && self.rows[i].job == j)
    }

    /// Recomputes the visible rows, keeping the selected row if it is still there.
    pub fn refilter(&mut self) {
        let keep = self.selected_key();
        self.visible = model::select(&self.rows, &self.search, self.only);
        self.selected = self
            .find(keep)
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
    }

    /// Applies what the poller reports.
    pub fn update(&mut self, u: Update) {
        match u {
            Update::Data {
                fleet,
                nodes,
                alerts,
                at,
            } => {
                let keep = self.selected_key();
                let mut rows = model::rows(&nodes);
                model::sort(&mut rows, self.sort);
                self.rows = rows;
                self.fleet = Some(fleet);
                self.alerts = alerts;
                self.last_ok = Some(at);
                self.error = None;
                self.visible = model::select(&self.rows, &self.search, self.only);
                self.selected = self
                    .find(keep)
                    .unwrap_or(self.selected)
                    .min(self.visible.len().saturating_sub(1));
            }
            Update::Detail(name, d) => {
                if self.detail_node.as_deref() == Some(name.as_str()) {
                    self.detail = Some(*d);
                    self.detail_error = None;
                }
            }
            Update::DetailError(name, e) => {
                if self.detail_node.as_deref() == Some(name.as_str()) {
                    self.detail_error = Some(model::clean(&e));
                }
            }
            Update::Error(e, at) => {
                let since = self.error.as_ref().map_or(at, |(s, _)| *s);
                self.error = Some((since, model::clean(&e)));
            }
        }
    }

    fn move_to(&mut self, i: usize) {
        self.selected = i.min(self.visible.len().saturating_sub(1));
    }

    /// Handles a key.
    pub fn key(&mut self, k: KeyEvent) -> Action {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if self.help {
            self.help = false;
            return Action::None;
        }
        if self.searching {
            match k.code {
                KeyCode::Enter => self.searching = false,
                KeyCode::Esc => {
                    self.searching = false;
                    self.search.clear();
                    self.refilter();
                }
                KeyCode::Backspace => {
                    self.search.pop();
                    self.refilter();
                }
                KeyCode::Char(c) if !c.is_control() && self.search.chars().count() < 64 => {
                    self.search.push(c);
                    self.refilter();
                }
                _ => {}
            }
            return Action::None;
        }
        match k.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char('r') => return Action::Refresh,
            _ => {}
        }
        match self.view {
            View::Fleet => self.fleet_key(k),
            View::Detail | View::Alerts => match k.code {
                KeyCode::Esc | KeyCode::Backspace | KeyCode::Left | KeyCode::Char('h') => {
                    self.switch(View::Fleet)
                }
                KeyCode::Char('a') => self.switch(View::Alerts),
                KeyCode::Down | KeyCode::Char('j') => {
                    self.scroll += 1;
                    Action::None
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    self.scroll = self.scroll.saturating_sub(1);
                    Action::None
                }
                _ => Action::None,
            },
        }
    }

    /// Goes to `to`; leaving the detail tells the poller to stop polling it.
    fn switch(&mut self, to: View) -> Action {
        let was_detail = self.view == View::Detail;
        self.view = to;
        self.scroll = 0;
        if was_detail {
            self.detail_node = None;
            self.detail = None;
            return Action::Detail(None);
        }
        Action::None
    }

    fn fleet_key(&mut self, k: KeyEvent) -> Action {
        let page = self.page.max(1);
        match k.code {
            KeyCode::Esc => {
                if self.search.is_empty() && self.only.is_none() {
                    return Action::Quit;
                }
                self.search.clear();
                self.only = None;
                self.refilter();
            }
            KeyCode::Char('/') => self.searching = true,
            KeyCode::Down | KeyCode::Char('j') => self.move_to(self.selected + 1),
            KeyCode::Up | KeyCode::Char('k') => self.move_to(self.selected.saturating_sub(1)),
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_to(self.selected + page),
            KeyCode::PageUp => self.move_to(self.selected.saturating_sub(page)),
            KeyCode::Home | KeyCode::Char('g') => self.move_to(0),
            KeyCode::End | KeyCode::Char('G') => self.move_to(usize::MAX),
            KeyCode::Char('s') => {
                self.sort = self.sort.next();
                let keep = self.selected_key();
                model::sort(&mut self.rows, self.sort);
                self.visible = model::select(&self.rows, &self.search, self.only);
                self.selected = self.find(keep).unwrap_or(0);
            }
            KeyCode::Char('f') => {
                self.only = if self.only == Some(State::Failed) {
                    None
                } else {
                    Some(State::Failed)
                };
                self.refilter();
            }
            KeyCode::Char(c @ '0'..='6') => {
                self.only = match c {
                    '0' => None,
                    c => Some(State::ALL[c as usize - '1' as usize]),
                };
                self.refilter();
            }
            KeyCode::Char('a') => return self.switch(View::Alerts),
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => {
                if let Some(&i) = self.visible.get(self.selected) {
                    let node = self.rows[i].node.clone();
                    self.detail_job = Some(self.rows[i].job.clone());
                    self.view = View::Detail;
                    self.scroll = 0;
                    self.detail = None;
                    self.detail_node = Some(node.clone());
                    return Action::Detail(Some(node));
                }
            }
            _ => {}
        }
        Action::None
    }
}
