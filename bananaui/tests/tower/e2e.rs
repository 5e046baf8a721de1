//! End to end with real agents: alerts fire and resolve once each and reach a
//! webhook (a dead one blocks nothing); a stopped collector never delays a
//! backup and gets the spooled events in order afterwards (P7); node-provided
//! text is inert in the API and the page; the page renders in Chromium.

use crate::harness::*;
use proto::status::RunResult;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// A webhook receiver: `testkit::Receiver`, each body JSON.
struct Hook(testkit::Receiver);

impl Hook {
    fn start() -> Hook {
        Hook(testkit::Receiver::start(0).unwrap())
    }

    fn port(&self) -> u16 {
        self.0.port()
    }

    fn messages(&self, node: &str, rule: &str) -> Vec<String> {
        self.0
            .json()
            .iter()
            .filter(|m| m["alert"]["node"] == node && m["alert"]["rule"] == rule)
            .map(|m| m["alert"]["state"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The live webhook's timeout: an answer from the test's receiver on a
/// loaded machine must not count as lost (a retry would notify twice).
const HOOK_TIMEOUT: &str = "timeout = \"120s\"";

#[test]
fn alerts_fire_and_resolve_once_each_through_a_webhook() {
    let _serial = serial();
    let hook = Hook::start();
    // A dead webhook: it takes every connection and never answers, each
    // attempt waits its minute.
    let dead = testkit::Trap::loopback();
    let cfg = format!(
        "[alerts]\ninterval = \"1s\"\ngrace = \"2s\"\n\n\
         [[notifier]]\ntype = \"webhook\"\nurl = \"{}/dead\"\ntimeout = \"60s\"\nretries = 3\n\n\
         [[notifier]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\n{HOOK_TIMEOUT}\n",
        dead.url(),
        hook.port()
    );
    let t = Tower::start(&cfg);
    let late = Agent::new(&t, "late-01");
    let flaky = Agent::new(&t, "flaky-01");
    // late-01 succeeds once, expected every 3 s, then stops running.
    assert!(late.backup("files", "3s").status.success());
    // flaky-01 fails (a real failed run), then succeeds.
    assert!(!flaky.failing("db", "1h").status.success());
    t.wait_for("failed fires at the webhook", || {
        hook.messages("flaky-01", "failed") == ["firing"]
    });
    let fleet = t.get_json("/api/v1/nodes");
    assert_eq!(
        fleet["nodes"][0]["name"], "flaky-01",
        "worst first: {fleet}"
    );
    assert_eq!(fleet["nodes"][0]["state"], "failed");
    assert!(flaky.backup("db", "1h").status.success());
    t.wait_for("failed resolves at the webhook", || {
        hook.messages("flaky-01", "failed") == ["firing", "resolved"]
    });
    // overdue: due 3 s after the success, fires after the 2 s grace (by
    // the tower's own clock: when it fired, against the due time it holds).
    t.wait_for("overdue fires", || {
        hook.messages("late-01", "overdue") == ["firing"]
    });
    let job = &t.get_json("/api/v1/nodes/late-01")["node"]["jobs"][0];
    let (success, due) = (
        job["last_success_at"].as_i64().unwrap(),
        job["next_due_at"].as_i64().unwrap(),
    );
    assert!(due >= success + 3, "{job}");
    let alerts = t.get_json("/api/v1/alerts");
    let firing: Vec<_> = alerts["firing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_owned(),
                a["node"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        firing,
        vec![("overdue".to_owned(), "late-01".to_owned())],
        "{alerts}"
    );
    let since = alerts["firing"][0]["since"].as_i64().unwrap();
    assert!(since > due + 2, "fired at {since}, due {due} + grace 2");
    assert_eq!(alerts["resolved"][0]["rule"], "failed");
    // More ticks (a probe's alert fires and resolves at the webhook after
    // them): still exactly one message per transition, even with the dead
    // webhook retrying beside it.
    Probe::new(&t).settle(&t, Some(&hook.0));
    assert_eq!(hook.messages("flaky-01", "failed"), ["firing", "resolved"]);
    assert_eq!(hook.messages("late-01", "overdue"), ["firing"]);
    // The dead webhook blocked nothing: while its notifier waits out its
    // minutes, ingest stores a run (the node gives up on a tower after
    // seconds) and the API answers, well within one of its attempts.
    assert!(dead.connections() > 0, "the dead webhook was never tried");
    let start = Instant::now();
    assert!(flaky.backup("db", "1h").status.success());
    assert_eq!(t.get("/api/v1/fleet").0, 200);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    let runs = t.get_json("/api/v1/nodes/flaky-01")["runs"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(runs, 3, "the run was not stored");
    // Metrics tell the same story.
    assert_eq!(t.metric("banana_alerts_firing{rule=\"overdue\"}"), 1.0);
    assert_eq!(
        t.metric("banana_job_last_run_success{node=\"flaky-01\",job=\"db\"}"),
        1.0
    );
    // Every answer decodes exactly into the typed API the TUI reads, with
    // every nested kind present (runs, firing and resolved alerts, jobs).
    use bananaui::api;
    let fleet: api::Fleet = t.exact("/api/v1/fleet");
    assert_eq!(fleet.nodes, 3, "late-01, flaky-01 and the probe");
    let nodes: api::Nodes = t.exact("/api/v1/nodes");
    assert!(nodes.nodes.iter().all(|n| !n.jobs.is_empty()));
    let detail: api::Detail = t.exact("/api/v1/nodes/flaky-01");
    assert!(!detail.runs.is_empty() && !detail.alerts.is_empty());
    let alerts: api::Alerts = t.exact("/api/v1/alerts");
    assert!(!alerts.firing.is_empty() && !alerts.resolved.is_empty());
}

#[test]
fn a_stopped_collector_never_delays_a_backup_and_gets_the_spool_later() {
    let _serial = serial();
    let mut t = Tower::start("");
    let node = Agent::new(&t, "web-01");
    node.default_budget();
    let start = Instant::now();
    assert!(node.backup("files", "1d").status.success());
    let baseline = start.elapsed();
    t.kill9();
    for _ in 0..2 {
        let start = Instant::now();
        let out = node.backup("files", "1d");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let took = start.elapsed();
        // By design at most the 3 s delivery budget per event; the bound
        // leaves a loaded machine's run-to-run variation room and still
        // catches a run that waits for the collector.
        assert!(
            took < baseline + Duration::from_secs(30),
            "backup took {took:?} (baseline {baseline:?})"
        );
    }
    t.restart_same_port();
    assert!(node.backup("files", "1d").status.success());
    let detail = t.get_json("/api/v1/nodes/web-01");
    let runs = detail["runs"].as_array().unwrap();
    let spool: Vec<_> = std::fs::read_dir(node.dir.path().join("state/spool"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    let (_, metrics) = t.get("/metrics");
    assert_eq!(
        runs.len(),
        4,
        "{detail}\nSPOOL {spool:?}\nMETRICS {metrics}\nLOG {}",
        t.log.lock().unwrap()
    );
    // Newest first, in the order they ran, each once. Times are whole
    // seconds and these runs are short: runs that ended in the same second
    // may come in either order; one that ended later started later.
    let times: Vec<(i64, i64)> = runs
        .iter()
        .map(|r| {
            let t = |k: &str| r[k].as_i64().unwrap();
            (t("ended_at"), t("started_at"))
        })
        .collect();
    assert!(
        times
            .windows(2)
            .all(|w| w[0].0 >= w[1].0 && (w[0].0 == w[1].0 || w[0].1 >= w[1].1)),
        "(ended, started): {times:?}"
    );
    let ids: std::collections::HashSet<_> =
        runs.iter().map(|r| r["run"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    // This process got the 4 spooled events and the 2 of the last run.
    assert_eq!(t.metric("banana_collector_ingested_total"), 6.0);
}

#[test]
fn a_long_run_sends_heartbeats_and_shows_as_running() {
    let _serial = serial();
    let t = Tower::start("");
    let node = Agent::new(&t, "db-01");
    std::fs::write(
        node.dir.path().join("empty.toml"),
        format!("{LOADED}heartbeat = \"1s\"\n"),
    )
    .unwrap();
    // A dump fed slowly until the tower has shown it running and got two
    // heartbeats: it lasts as long as that takes, however loaded the machine.
    let mut child = node
        .cmd(&[
            "backup",
            "--stdin",
            "--stdin-name",
            "dump.sql",
            "--job",
            "pg",
            "--every",
            "1d",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut seen_running = false;
    let end = Instant::now() + PATIENCE;
    loop {
        stdin.write_all(b"INSERT INTO t VALUES (1);\n").unwrap();
        let (s, body) = t.get("/api/v1/nodes/db-01");
        if s == 200 {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            if v["node"]["jobs"][0]["running"] == true && v["node"]["jobs"][0]["state"] == "running"
            {
                seen_running = true;
            }
        }
        // `started` and two heartbeats.
        let events = t.metric("banana_collector_ingested_total");
        if seen_running && events >= 3.0 {
            break;
        }
        assert!(
            Instant::now() < end,
            "running shown: {seen_running}, {events} events"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    // started + at least two heartbeats + finished.
    let events = t.metric("banana_collector_ingested_total");
    assert!(events >= 4.0, "{events} events");
    let detail = t.get_json("/api/v1/nodes/db-01");
    assert_eq!(detail["runs"].as_array().unwrap().len(), 1);
    assert_eq!(detail["node"]["jobs"][0]["running"], false);
    assert_eq!(detail["node"]["jobs"][0]["state"], "ok");
}

#[test]
fn a_removed_node_is_forgotten_and_can_no_longer_speak() {
    let t = Tower::start("[alerts]\ninterval = \"1s\"\n");
    let gone = t.enrol("old-01");
    let kept = t.enrol("web-01");
    for (id, n) in [(&gone, "old-01"), (&kept, "web-01")] {
        let ev = finished("files", RunResult::Failed, 1);
        assert_eq!(t.post("/api/v1/status", &signed(id, n, &ev)).0, 200);
    }
    t.wait_for("both failed alerts", || {
        t.get_json("/api/v1/alerts")["firing"]
            .as_array()
            .unwrap()
            .len()
            == 2
    });
    // `node list` shows both (from the API).
    let list = |json: bool| {
        let mut c = std::process::Command::new(bananaui());
        c.args(["node", "list", "--url", &t.url()]);
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let before = list(false);
    assert!(
        before.contains("old-01") && before.contains("web-01"),
        "{before}"
    );
    let out = std::process::Command::new(bananaui())
        .args(["node", "remove", "old-01", "--data"])
        .arg(t.data())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.wait_for("node forgotten", || t.get("/api/v1/nodes/old-01").0 == 404);
    let after = list(true);
    assert_eq!(after.lines().count(), 1, "{after}");
    assert!(after.contains("\"node\":\"web-01\""), "{after}");
    let alerts = t.get_json("/api/v1/alerts");
    assert_eq!(alerts["firing"].as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts["firing"][0]["node"], "web-01");
    // Its key is gone: it cannot speak any more.
    let ev = finished("files", RunResult::Success, 1);
    assert_eq!(
        t.post("/api/v1/status", &signed(&gone, "old-01", &ev)).0,
        403
    );
    assert!(!t.data().join("pending/old-01.remove").exists());
}

#[test]
fn a_hung_collector_costs_a_backup_at_most_the_budget_per_event() {
    let _serial = serial();
    let t = Tower::start("");
    let node = Agent::new(&t, "web-01");
    node.default_budget();
    let start = Instant::now();
    assert!(node.backup("files", "1d").status.success());
    let baseline = start.elapsed();
    // SIGSTOP: the kernel still accepts connections, nothing ever answers.
    let pid = nix::unistd::Pid::from_raw(t.pid() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    let start = Instant::now();
    let src = node.dir.path().join("src");
    std::fs::write(src.join("f"), format!("data {}", now())).unwrap();
    let out = node.run_within(
        &[
            "backup",
            src.to_str().unwrap(),
            "--job",
            "files",
            "--every",
            "1d",
        ],
        PATIENCE,
    );
    let took = start.elapsed();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two events (started, finished), 3 s budget each: 6 s by design. The
    // bound leaves a loaded machine room and still catches a run that
    // waits on the hung tower beyond its budget.
    assert!(
        took < baseline + Duration::from_secs(30),
        "backup took {took:?} (baseline {baseline:?})"
    );
    eprintln!("hung tower: backup {took:?}, baseline {baseline:?}");
    // Back to life: the next run delivers what was spooled.
    assert!(node.backup("files", "1d").status.success());
    let detail = t.get_json("/api/v1/nodes/web-01");
    assert_eq!(detail["runs"].as_array().unwrap().len(), 3, "{detail}");
}

const HOSTILE_JOB: &str = "<script>alert(1)</script>";
const HOSTILE_ERR: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}<img src=x onerror=alert(2)> failed";

pub fn chromium_dom(url: &str) -> Option<String> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(chromium) = chromium else {
        testkit::require("chromium", false);
        return None;
    };
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stderr(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_page_renders_real_agents_and_node_text_stays_inert() {
    let t = Tower::start("");
    let good = Agent::new(&t, "web-01");
    let bad = Agent::new(&t, "db-01");
    assert!(good.backup("files", "1d").status.success());
    assert!(!bad.failing("pg", "1d").status.success());
    // Hostile strings from a (compromised) enrolled node.
    let evil = t.enrol("evil-01");
    let mut ev = finished(HOSTILE_JOB, RunResult::Failed, 0);
    ev.error = Some(HOSTILE_ERR.to_owned());
    ev.agent = "\u{1b}[31mbananactl".to_owned();
    assert_eq!(
        t.post("/api/v1/status", &signed(&evil, "evil-01", &ev)).0,
        200
    );

    // The API: no raw markup, no raw control characters.
    for path in [
        "/api/v1/nodes",
        "/api/v1/nodes/evil-01",
        "/api/v1/fleet",
        "/metrics",
    ] {
        let (s, body) = t.get(path);
        assert_eq!(s, 200);
        // JSON escapes markup; /metrics is text/plain + nosniff (Prometheus
        // label syntax has no escape for it), so only control characters matter there.
        if path != "/metrics" {
            assert!(
                !body.contains('<') && !body.contains('>'),
                "{path}: raw markup"
            );
        }
        assert!(
            !body.chars().any(|c| c.is_control() && c != '\n'),
            "{path}: raw control character"
        );
    }
    let (_, body) = t.get("/api/v1/nodes/evil-01");
    assert!(body.contains("\\u003cscript\\u003e"), "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["node"]["jobs"][0]["error"], HOSTILE_ERR,
        "kept exactly, escaped in transport"
    );
    // Headers a browser relies on.
    let (_, raw) = (0, {
        let mut s = std::net::TcpStream::connect(t.addr).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    });
    assert!(
        raw.contains("Content-Security-Policy: default-src 'none'"),
        "{raw}"
    );
    assert!(raw.contains("X-Content-Type-Options: nosniff"));

    // The page in a real browser.
    let Some(dom) = chromium_dom(&format!("{}/", t.url())) else {
        return;
    };
    assert!(
        dom.contains(r#"data-node="db-01" data-state="failed""#),
        "{dom}"
    );
    assert!(
        dom.contains(r#"data-node="web-01" data-state="ok""#),
        "{dom}"
    );
    assert!(
        dom.contains(r#"data-node="evil-01" data-state="failed""#),
        "{dom}"
    );
    // Worst first: the failed rows come before the good one.
    let pos = |s: &str| dom.find(s).unwrap();
    assert!(pos(r#"data-node="db-01""#) < pos(r#"data-node="web-01""#));
    // Counts by state.
    assert!(dom.contains(r#"data-count-state="failed">2<"#), "{dom}");
    // The hostile text is shown as text: no element was created from it.
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{dom}"
    );
    assert!(!dom.contains("<script>alert(1)"));
    assert!(!dom.contains("<img src=\"x\""));
    assert!(!dom.contains('\u{1b}'), "raw ESC reached the page");
}
