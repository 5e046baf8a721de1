//! `bananaui node add | remove | list` and `alert ack`. Codes and
//! acknowledgements are asked of the collector serving the data directory,
//! over its admin socket (`collector/admin.rs`): it checks its store and
//! answers, or nothing runs there and the command refuses. Removals are
//! files the collector picks up (they also wait for its next start); the
//! list comes from the running tower's API.

use crate::cli::{AlertAckCmd, NodeAddCmd, NodeListCmd, NodeRemoveCmd};
use crate::collector::admin::{self, Answer, Request};
use crate::collector::enrol;
use crate::exit::{self, Code};
use proto::humanize::{age, ago, printable};

/// `bananaui node add`.
pub fn add(c: &NodeAddCmd) -> anyhow::Result<()> {
    let url = match c.url.as_deref() {
        Some(u) => check_url(u)?,
        None => "URL".to_owned(),
    };
    let (_, data) = c.place.resolve()?;
    for node in &c.nodes {
        let req = Request::Add {
            node: node.clone(),
            ttl_secs: c.ttl,
            replace: c.replace,
            reaper: c.reaper,
            drill: c.drill,
            copier: c.copier,
        };
        let code = match admin::ask(&data, &req)? {
            Answer::Code { code } => code,
            other => return Err(admin::failure(other)),
        };
        println!("{node} {code}");
        let valid = age(i64::try_from(c.ttl).unwrap_or(i64::MAX));
        if c.reaper {
            eprintln!(
                "  on the reaper host: bananadm reaper enroll --name {node} --collector {url} --collector-code {code}   (valid {valid}, single use)"
            );
        } else if c.drill {
            eprintln!(
                "  on the drill host: bananadm drill-host enroll --name {node} --collector {url} --collector-code {code}   (valid {valid}, single use)"
            );
        } else if c.copier {
            eprintln!(
                "  on the copier: bananadm copier enroll --name {node} --collector {url} --collector-code {code}   (valid {valid}, single use)"
            );
        } else {
            eprintln!(
                "  on {node}: bananactl enroll --node {node} --collector {url} --collector-code {code}   (valid {valid}, single use)"
            );
        }
    }
    if c.url.is_none() {
        eprintln!("  (URL: how nodes reach this tower; give it with --url)");
    }
    Ok(())
}

/// The tower's URL as nodes reach it: http or https, with a host.
fn check_url(u: &str) -> anyhow::Result<String> {
    match url::Url::parse(u) {
        Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => {
            Ok(u.trim_end_matches('/').to_owned())
        }
        _ => Err(exit::fail(
            Code::USAGE,
            format!(
                "--url '{}' is not an http(s) URL: give the URL nodes reach this tower at (e.g. https://tower.example.net:8443)",
                u.escape_debug()
            ),
        )),
    }
}

/// `bananaui node remove`.
pub fn remove(c: &NodeRemoveCmd) -> anyhow::Result<()> {
    let (cfg, data) = c.place.resolve()?;
    for node in &c.nodes {
        enrol::request_removal(&data, node, proto::unix_now())?;
        println!(
            "{node}: removal queued; the collector forgets it within {} (alerts for it are dropped without notification)",
            age(cfg.alerts.interval.i())
        );
    }
    Ok(())
}

/// `bananaui alert ack`.
pub fn ack(c: &AlertAckCmd) -> anyhow::Result<()> {
    let (_, data) = c.place.resolve()?;
    let req = Request::Ack {
        node: c.node.clone(),
        rule: c.rule.clone(),
    };
    match admin::ask(&data, &req)? {
        Answer::Acked {
            pieces,
            within_secs,
        } => {
            println!(
                "{}: {} acknowledged ({pieces} piece(s) of evidence); within {} the collector drops the evidence that reached it before now and resolves those alerts (evidence arriving later, or a later report that goes back again, fires anew)",
                c.node,
                c.rule,
                age(i64::try_from(within_secs).unwrap_or(i64::MAX))
            );
            Ok(())
        }
        other => Err(admin::failure(other)),
    }
}

/// `bananaui node list`.
pub fn list(c: &NodeListCmd) -> anyhow::Result<()> {
    let client = crate::api::Client::new(
        &c.viewer.url,
        c.viewer.token()?,
        std::time::Duration::from_secs(10),
    )?;
    let nodes: crate::api::Nodes = client.get("/api/v1/nodes").map_err(|e| {
        exit::fail(
            exit::UNREACHABLE,
            format!("the tower at {}: {e}", c.viewer.url),
        )
    })?;
    crate::complete::remember(
        &nodes
            .nodes
            .iter()
            .map(|n| n.name.clone())
            .collect::<Vec<_>>(),
    );
    let now = proto::unix_now();
    for n in &nodes.nodes {
        if c.json {
            println!(
                "{}",
                serde_json::json!({"node": n.name, "state": n.state, "last_seen_at": n.last_seen_at,
                                   "enrolled_at": n.enrolled_at, "agent": n.agent, "jobs": n.jobs.len()})
            );
        } else {
            println!(
                "{:<8} {:<32} last heard {:<14} {} job(s)  {}",
                n.state.name(),
                printable(&n.name),
                ago(n.last_seen_at, now),
                n.jobs.len(),
                printable(n.agent.as_deref().unwrap_or("")),
            );
        }
    }
    Ok(())
}
