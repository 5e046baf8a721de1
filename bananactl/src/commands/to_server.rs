//! `bananactl restore SNAP --job NAME --to-server [--database NEWNAME]`: a
//! database job's streams back into the server its job names.

use crate::exit::Status;
use crate::jobs::Plugin;
use crate::output::{bytes, Output};
use crate::settings::Settings;
use common::format::tree::NodeKind;
use common::ops::backup::mysql;
use common::repo::BlobReader;
use common::{Error, ErrorKind};
use serde_json::json;
use std::io::Write;

/// Runs it.
pub fn run(s: &Settings, out: &Output, cmd: &super::restore::RestoreCmd) -> anyhow::Result<Status> {
    let name = cmd.filter.job.as_deref().unwrap_or_default();
    let jobs = s.jobs();
    let job = jobs.iter().find(|j| j.name == name).ok_or_else(|| {
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
    let Plugin::Mysql(spec) = &job.plugin else {
        return Err(Error::new(
            ErrorKind::BadInput,
            format!(
                "job '{name}' is a '{}' job, not a database job",
                job.plugin.name()
            ),
        )
        .hint("restore it into a directory with --target DIR")
        .into());
    };
    let opened = super::open_read(s, &cmd.keys)?;
    let (repo, key) = (&opened.repo, &opened.restore);
    let (id, snap) = cmd.filter.resolve(repo, &cmd.snapshot, Some(out))?;
    let loaded = repo.load_index()?;
    let mut reader = BlobReader::new(repo, &loaded.index, key)?;
    let streams: Vec<_> = reader
        .tree(&snap.tree)?
        .nodes
        .into_iter()
        .filter(|n| n.kind == NodeKind::File && n.name.ends_with(b".sql"))
        .collect();
    if cmd.database.is_some() && streams.len() != 1 {
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
    let mut restored = Vec::new();
    let mut total = 0;
    for node in &streams {
        let original = String::from_utf8_lossy(&node.name[..node.name.len() - 4]).into_owned();
        let db = cmd.database.clone().unwrap_or(original);
        let defaults = cmd.defaults_file.as_ref().unwrap_or(&spec.defaults_file);
        mysql::restore(defaults, &db, &mut |w: &mut dyn Write| {
            for chunk in &node.content {
                let data = reader.read(chunk)?;
                w.write_all(&data)
                    .map_err(|e| common::Error::io(format!("the client restoring '{db}'"), e))?;
            }
            Ok(())
        })?;
        total += node.size;
        restored.push(db);
    }
    out.summary(
        json!({"command": "restore", "snapshot_id": id.to_hex(), "to_server": true, "databases": restored, "bytes": total}),
        &format!(
            "restored snapshot {} into the server of job '{name}': databases {} ({})",
            id.short(),
            restored.join(", "),
            bytes(total)
        ),
    );
    Ok(Status::Ok)
}
