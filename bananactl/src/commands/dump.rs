//! `bananactl dump`: one file of a snapshot to stdout.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use common::format::NodeKind;
use common::repo::BlobReader;
use std::io::Write;
use std::path::PathBuf;

/// Write a file's content to stdout.
#[derive(Debug, Args)]
pub struct DumpCmd {
    /// Snapshot: full id, unique prefix, or 'latest'.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::snapshots))]
    pub snapshot: String,
    /// Path of a regular file inside the snapshot (a stream job's stream is
    /// /NAME) [default: a stream snapshot's only stream].
    pub path: Option<PathBuf>,
    /// Which snapshots 'latest' chooses among.
    #[command(flatten)]
    pub filter: super::select::Filter,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

impl DumpCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, _out: &Output) -> anyhow::Result<Status> {
        let opened = super::open_read(s, &self.keys)?;
        let (repo, restore) = (&opened.repo, &opened.restore);
        let (_, snap) = self.filter.resolve(repo, &self.snapshot, None)?;
        let loaded = repo.load_index()?;
        let mut reader = BlobReader::new(repo, &loaded.index, restore)?;
        let not_a_file = |what: String| {
            common::Error::new(common::ErrorKind::BadInput, what)
                .hint("list the snapshot with 'bananactl ls SNAPSHOT'")
        };
        let node = match &self.path {
            Some(path) => {
                let node = super::lookup_named(&mut reader, &snap.tree, path)?;
                if node.kind != NodeKind::File {
                    let what = match node.kind {
                        NodeKind::Dir => "directory",
                        k => super::ls::kind_name(k),
                    };
                    let shown = super::show_path(path);
                    let err = common::Error::new(
                        common::ErrorKind::BadInput,
                        match (&node.target, node.kind) {
                            (Some(t), NodeKind::Symlink) => format!(
                                "'{shown}' is a symlink in the snapshot (to '{}'), not a file",
                                super::show(t)
                            ),
                            _ => format!("'{shown}' is a {what} in the snapshot, not a file"),
                        },
                    );
                    return Err(match node.kind {
                        NodeKind::Dir => err.hint(format!("dump writes one file; restore a directory with 'bananactl restore SNAPSHOT --target DIR --include {shown}'")),
                        NodeKind::Symlink => err.hint("dump the path it points to, if the snapshot holds it"),
                        _ => err.hint("dump writes the content of a regular file"),
                    }
                    .into());
                }
                node
            }
            None => {
                // A stream snapshot (stdin, command, database) holds one file.
                let mut nodes = reader.tree(&snap.tree)?.nodes;
                // Before jobs, a --stdin snapshot recorded no plugin.
                let stream = match snap.run.plugin.as_deref() {
                    Some(p) => p != "fs",
                    None => snap.paths.iter().any(|p| p.starts_with(b"stdin:")),
                };
                match (stream, nodes.len(), nodes.first().map(|n| n.kind)) {
                    (true, 1, Some(NodeKind::File)) => nodes.remove(0),
                    _ => {
                        return Err(not_a_file(
                            "this snapshot is not a single stream: name the file to dump".into(),
                        )
                        .into())
                    }
                }
            }
        };
        let mut stdout = std::io::stdout().lock();
        for id in &node.content {
            let data = reader.read(id)?;
            stdout.write_all(&data).context("writing to stdout")?;
        }
        stdout.flush().context("writing to stdout")?;
        Ok(Status::Ok)
    }
}
