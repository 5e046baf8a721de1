//! `bananactl dump`: one file of a snapshot to stdout.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use common::format::tree::NodeKind;
use common::repo::BlobReader;
use std::io::Write;
use std::path::PathBuf;

/// Write a file's content to stdout.
#[derive(Debug, Args)]
pub struct DumpCmd {
    /// Snapshot: full id, unique prefix, or 'latest'.
    pub snapshot: String,
    /// Path of a regular file inside the snapshot (for --stdin backups: the --stdin-name).
    pub path: PathBuf,
    /// Where the restore half of the key comes from.
    #[command(flatten)]
    pub keys: super::ReadKeyOpts,
}

impl DumpCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, _out: &Output) -> anyhow::Result<Status> {
        let opened = super::open_read(s, &self.keys)?;
        let (repo, restore) = (&opened.repo, &opened.restore);
        let (_, snap) = repo.resolve(&self.snapshot)?;
        let loaded = repo.load_index()?;
        let mut reader = BlobReader::new(repo, &loaded.index, restore)?;
        let node = reader
            .lookup(&snap.tree, &self.path)?
            .filter(|n| n.kind == NodeKind::File)
            .ok_or_else(|| {
                common::Error::new(
                    common::ErrorKind::BadInput,
                    format!("'{}' is not a file in the snapshot", self.path.display()),
                )
                .hint("list the snapshot with 'bananactl ls SNAPSHOT'")
            })?;
        let mut stdout = std::io::stdout().lock();
        for id in &node.content {
            let data = reader.read(id)?;
            stdout.write_all(&data).context("writing to stdout")?;
        }
        stdout.flush().context("writing to stdout")?;
        Ok(Status::Ok)
    }
}
