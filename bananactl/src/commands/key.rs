//! `bananactl key`: key file management.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;

/// Key file commands.
#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Write a copy of the key file.
    #[command(after_help = crate::examples::KEY_EXPORT)]
    Export(ExportCmd),
}

/// Export a key.
#[derive(Debug, Args)]
pub struct ExportCmd {
    /// Keep only the backup half (recipients and chunk key, no identity): what a
    /// node that may write but must not read its backups gets.
    #[arg(long)]
    pub backup_only: bool,
    /// Where to write it (must not exist).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

impl KeyCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        match self {
            KeyCmd::Export(c) => {
                let key = s.key()?;
                let exported = if c.backup_only {
                    key.backup_only()
                } else {
                    key.clone()
                };
                exported.save_new(&c.out)?;
                out.summary(
                    json!({"command": "key export", "file": c.out, "backup_only": c.backup_only}),
                    &format!(
                        "wrote {} key file {}",
                        if c.backup_only {
                            "a backup-only"
                        } else {
                            "a full"
                        },
                        c.out.display()
                    ),
                );
                Ok(Status::Ok)
            }
        }
    }
}
