//! `bananaui node add | remove | list`: enrolment codes and removals are
//! files the running collector picks up (so they work while `serve` holds the
//! database); the list comes from the running tower's API.

use crate::cli::{AlertAckCmd, NodeAddCmd, NodeListCmd, NodeRemoveCmd};
use crate::collector::enrol;
use crate::exit::{Code, Failure};
use common::humanize::{age, ago, printable};

/// `bananaui node add`.
pub fn add(c: &NodeAddCmd) -> anyhow::Result<()> {
    let (_, data) = c.place.resolve()?;
    let now = common::unix_now();
    let url = c.url.as_deref().unwrap_or("URL");
    for node in &c.nodes {
        let code = enrol::add(&data, node, c.ttl, c.replace, now)?;
        println!("{node} {code}");
        eprintln!(
            "  on {node}: bananactl enroll --node {node} --collector {url} --collector-code {code}   (valid {}, single use)",
            age(i64::try_from(c.ttl).unwrap_or(i64::MAX))
        );
    }
    Ok(())
}

/// `bananaui node remove`.
pub fn remove(c: &NodeRemoveCmd) -> anyhow::Result<()> {
    let (cfg, data) = c.place.resolve()?;
    for node in &c.nodes {
        enrol::request_removal(&data, node, common::unix_now())?;
        println!(
            "{node}: removal queued; the collector forgets it within {} (alerts for it are dropped without notification)",
            age(cfg.alerts.interval.i())
        );
    }
    Ok(())
}

/// `bananaui alert ack`.
pub fn ack(c: &AlertAckCmd) -> anyhow::Result<()> {
    let (cfg, data) = c.place.resolve()?;
    enrol::request_ack(&data, &c.node, &c.rule, common::unix_now())?;
    println!(
        "{}: {} acknowledged; within {} the collector drops the evidence that reached it before now and resolves those alerts (evidence arriving later, or a later report that goes back again, fires anew)",
        c.node,
        c.rule,
        age(cfg.alerts.interval.i())
    );
    Ok(())
}

/// `bananaui node list`.
pub fn list(c: &NodeListCmd) -> anyhow::Result<()> {
    let client = crate::api::Client::new(
        &c.viewer.url,
        c.viewer.token()?,
        std::time::Duration::from_secs(10),
    )?;
    let nodes: crate::api::Nodes = client.get("/api/v1/nodes").map_err(|e| {
        Failure::error(
            Code::Unreachable,
            format!("the tower at {}: {e}", c.viewer.url),
        )
    })?;
    let now = common::unix_now();
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
