//! `bananactl restore SNAP --job NAME --to-server [--database NEWNAME]`: a
//! database job's streams back into the server its job names.

use crate::exit::Status;
use crate::output::{bytes, Output};
use crate::settings::Settings;
use common::format::{Node, NodeKind};
use common::plugins::{JobPlugin, ServerRestore};
use common::repo::BlobReader;
use common::{Error, ErrorKind};
use serde_json::json;
use std::io::Write;

/// Runs it.
pub fn run(s: &Settings, out: &Output, cmd: &super::restore::RestoreCmd) -> anyhow::Result<Status> {
    let name = cmd.filter.job.as_deref().unwrap_or_default();
    let job = database_job(s, name)?;
    let opened = super::open_read(s, &cmd.keys)?;
    let (_secret, plugin) = credentials(s, cmd, &job)?;
    let server = restorer(&*plugin, &job.name)?;
    let (repo, key) = (&opened.repo, &opened.restore);
    let (id, snap) = cmd.filter.resolve(repo, &cmd.snapshot, Some(out))?;
    let loaded = repo.load_index()?;
    let mut reader = BlobReader::new(repo, &loaded.index, key)?;
    let (streams, skipped) = streams(&mut reader, &snap.tree, cmd, &id, server)?;
    for sk in &skipped {
        out.warn("restore", &sk.name, &sk.why);
    }
    let mut restored = Vec::new();
    let mut total = 0;
    for (original, node) in &streams {
        let db = cmd.database.clone().unwrap_or_else(|| original.clone());
        let into = format!("the client restoring '{db}'");
        let mut feed = |w: &mut dyn Write| write_stream(&mut reader, node, w, &into);
        let stream = String::from_utf8_lossy(&node.name);
        server.restore(&stream, original, cmd.database.as_deref(), &mut feed)?;
        total += node.size;
        restored.push(db);
    }
    let names: Vec<&str> = skipped.iter().map(|s| s.name.as_str()).collect();
    out.summary(
        json!({"command": "restore", "snapshot_id": id.to_hex(), "to_server": true, "databases": restored, "bytes": total, "skipped": names}),
        &format!(
            "restored snapshot {} into the server of job '{name}': databases {} ({}){}",
            id.short(),
            restored.join(", "),
            bytes(total),
            if names.is_empty() {
                String::new()
            } else {
                format!("; skipped {}", names.join(", "))
            }
        ),
    );
    // A stream whose name cannot be passed safely was not restored.
    Ok(if skipped.iter().any(|s| s.refused) {
        Status::Damaged
    } else {
        Status::Ok
    })
}

/// `restore SNAP --job ETCD --target DIR`: the snapshot restored into the
/// new data directory DIR (`etcdctl snapshot restore`).
pub fn etcd(
    s: &Settings,
    out: &Output,
    cmd: &super::restore::RestoreCmd,
    job: &crate::jobs::Job,
    target: &std::path::Path,
) -> anyhow::Result<Status> {
    let opened = super::open_read(s, &cmd.keys)?;
    let (repo, key) = (&opened.repo, &opened.restore);
    let (id, snap) = cmd.filter.resolve(repo, &cmd.snapshot, Some(out))?;
    let loaded = repo.load_index()?;
    let mut reader = BlobReader::new(repo, &loaded.index, key)?;
    let node = reader
        .tree(&snap.tree)?
        .nodes
        .into_iter()
        .find(|n| n.name == b"etcd.snapshot" && n.kind == NodeKind::File)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::BadInput,
                format!(
                    "snapshot {} of job '{}' holds no etcd snapshot",
                    id.short(),
                    job.name
                ),
            )
        })?;
    let mut feed =
        |w: &mut dyn Write| write_stream(&mut reader, &node, w, "the etcd snapshot file");
    let st = common::plugins::etcd::restore(
        &s.state_dir,
        target,
        &cmd.etcd_name,
        &cmd.etcd_peer_url,
        &mut feed,
    )?;
    out.summary(
        json!({"command": "restore", "snapshot_id": id.to_hex(), "target": target, "etcd": st}),
        &format!(
            "restored etcd snapshot {} (revision {}, {} keys) into the new data directory {} for member '{}'",
            id.short(),
            st["revision"],
            st["totalKey"],
            target.display(),
            cmd.etcd_name
        ),
    );
    Ok(Status::Ok)
}

/// The job's plugin with the credentials to restore with, and the private
/// file holding them while it lives: an admin's `--defaults-file` (mysql),
/// else a job's credentials from Vault (the node logs in for them as for a
/// backup), else the job's own files.
fn credentials(
    s: &Settings,
    cmd: &super::restore::RestoreCmd,
    job: &crate::jobs::Job,
) -> anyhow::Result<(Option<crate::jobs::plugins::SecretFile>, Box<dyn JobPlugin>)> {
    let takes = job.plugin.server().is_some_and(|r| r.takes_defaults_file());
    if cmd.defaults_file.is_some() && !takes {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "--defaults-file is a MariaDB/MySQL client file; job '{}' is a '{}' job",
                job.name,
                job.plugin.name()
            ),
        )
        .hint("leave it out: the job's own credentials are used")
        .into());
    }
    // An admin's client file stands where the job's credentials file
    // would, and replaces its Vault credentials.
    if let Some(f) = &cmd.defaults_file {
        let env = common::plugins::RunEnv {
            state_dir: s.state_dir.clone(),
            plugin_path: s.plugin_path(),
            secret_file: Some(f.clone()),
            ..Default::default()
        };
        return Ok((None, job.plugin.for_run(&env)));
    }
    let secrets = match job.vault_credentials {
        true => Some(node_secrets(s)?),
        false => None,
    };
    job.for_run(&s.state_dir, &s.plugin_path(), secrets.as_ref())
}

/// The plugin's restore into its server (checked by [`database_job`]).
fn restorer<'p>(plugin: &'p dyn JobPlugin, job: &str) -> anyhow::Result<&'p dyn ServerRestore> {
    plugin
        .server()
        .ok_or_else(|| not_a_database(job, plugin).into())
}

/// `restore --to-server` of a job whose plugin restores into no server.
fn not_a_database(job: &str, plugin: &dyn JobPlugin) -> Error {
    Error::new(
        ErrorKind::BadInput,
        format!(
            "job '{job}' is a '{}' job, not a database job",
            plugin.name()
        ),
    )
    .hint("restore it into a directory with --target DIR")
}

/// A stream of the snapshot that is not restored.
struct Skipped {
    /// Its name, printable.
    name: String,
    /// Why, for the warning.
    why: String,
    /// Refused (its name cannot be passed safely), not merely left out
    /// (accounts without `--accounts`).
    refused: bool,
}

/// Streams of the snapshot to restore, and the others.
type Streams = (Vec<(String, Node)>, Vec<Skipped>);

/// The database streams of a snapshot, globals first (roles before the
/// databases they own); with a rename, the one database alone. A stream
/// whose name cannot be passed safely (the rule of plan and database names:
/// a snapshot may come from a compromised node) and, without `--accounts`,
/// an account stream are left out, each with why.
fn streams(
    reader: &mut BlobReader<'_>,
    tree: &common::Id,
    cmd: &super::restore::RestoreCmd,
    id: &common::Id,
    plugin: &dyn ServerRestore,
) -> anyhow::Result<Streams> {
    let rename = cmd.database.is_some();
    let mut streams: Vec<(String, Node)> = Vec::new();
    let mut skipped = Vec::new();
    for n in reader.tree(tree)?.nodes {
        let file = String::from_utf8_lossy(&n.name).into_owned();
        let db = plugin.database(&file);
        let (NodeKind::File, Some(db)) = (n.kind, db) else {
            continue;
        };
        let shown = common::humanize::printable(&file);
        if let Some(why) = unsafe_stream(plugin, &n.name, db) {
            skipped.push(Skipped {
                name: shown,
                why: format!("not restored: its name cannot be passed safely ({why})"),
                refused: true,
            });
        } else if !cmd.accounts && plugin.accounts(&file) {
            skipped.push(Skipped {
                name: shown,
                why: "accounts not restored: give --accounts to restore them".into(),
                refused: false,
            });
        } else {
            streams.push((db.to_owned(), n));
        }
    }
    // Roles first, so the databases' owners exist; not with a rename.
    let global = |n: &Node| plugin.global(&String::from_utf8_lossy(&n.name));
    streams.sort_by_key(|(db, n)| (!global(n), db.clone()));
    if rename {
        streams.retain(|(_, n)| !global(n));
        if streams.len() != 1 {
            return Err(Error::new(
                ErrorKind::BadInput,
                format!(
                    "snapshot {} holds {} databases; --database renames only one",
                    id.short(),
                    streams.len()
                ),
            )
            .hint("back up that database alone in a job of its own")
            .into());
        }
    }
    Ok((streams, skipped))
}

/// Why a stream named `file` (database `db`) may not reach a client's or a
/// plugin's argv, if it may not.
fn unsafe_stream(plugin: &dyn ServerRestore, file: &[u8], db: &str) -> Option<&'static str> {
    if std::str::from_utf8(file).is_err() {
        return Some("it is not UTF-8");
    }
    common::names::unsafe_name(db).or_else(|| plugin.unsafe_database(db))
}

/// The configured database job `name`.
fn database_job(s: &Settings, name: &str) -> anyhow::Result<crate::jobs::Job> {
    let jobs = s.jobs();
    let job = jobs.into_iter().find(|j| j.name == name).ok_or_else(|| {
        Error::new(
            ErrorKind::BadInput,
            format!(
                "job '{}' is not configured in {}",
                common::humanize::printable(name),
                s.config_name()
            ),
        )
        .hint("--to-server restores into the server a configured database job names")
    })?;
    if job.plugin.server().is_none() {
        return Err(not_a_database(name, &*job.plugin).into());
    }
    Ok(job)
}

/// The node's job credentials, read with its own Vault login.
fn node_secrets(s: &Settings) -> anyhow::Result<crate::jobs::JobSecrets> {
    let creds = s.vault_node()?.ok_or_else(|| {
        Error::new(
            ErrorKind::BadInput,
            "this job's credentials are in Vault, but this node is not enrolled",
        )
        .hint("give an admin's client file with --defaults-file")
    })?;
    let session = common::vault::Session::login(&creds)?;
    let (agent, _) = session.agent()?;
    Ok(agent.job_secrets)
}

/// Writes a stream's chunks, verified, to `w` (`into` names it in errors).
fn write_stream(
    reader: &mut BlobReader<'_>,
    node: &Node,
    w: &mut dyn Write,
    into: &str,
) -> common::Result<()> {
    for chunk in &node.content {
        let data = reader.read(chunk)?;
        w.write_all(&data).map_err(|e| common::Error::io(into, e))?;
    }
    Ok(())
}
