//! `bananactl init`: create a repository, and a key file unless one exists.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::crypto::keyfile::KeyFile;
use common::repo::{RepoOptions, Repository};
use serde_json::json;

/// Create a repository.
#[derive(Debug, Args)]
pub struct InitCmd {
    /// Also encrypt every pack to this age recipient (a break-glass key kept
    /// offline); repeatable. Only when a new key file is created.
    #[arg(long = "add-recipient", value_name = "AGE_PUBKEY")]
    pub add_recipient: Vec<String>,
    /// xz preset for new chunks, 0 (fastest) to 9 [default: 0, or the config file's].
    #[arg(long, value_name = "0-9", value_parser = clap::value_parser!(u32).range(0..=9))]
    pub compression: Option<u32>,
    /// Target pack size in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub pack_size: u32,
}

impl InitCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        if s.vault_node()?.is_some() {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("this node takes its keys from Vault ({})", s.vault_credentials.display()),
            )
            .hint("its first backup creates the repository; use --key-file for a separate, key-file repository")
            .into());
        }
        create(
            s,
            out,
            &self.add_recipient,
            self.compression,
            Some(self.pack_size),
            false,
        )?;
        Ok(Status::Ok)
    }
}

/// Creates the key file (if missing) and the repository; reports both.
pub fn create(
    s: &Settings,
    out: &Output,
    extra: &[String],
    compression: Option<u32>,
    pack_mib: Option<u32>,
    first_use: bool,
) -> anyhow::Result<()> {
    let backend = s.backend()?;
    let (key, created_key) = if s.key_file.exists() {
        if !extra.is_empty() {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!(
                    "key file {} exists; --add-recipient only applies to a new key",
                    s.key_file.display()
                ),
            )
            .hint("a key is never modified; use a new --key-file path")
            .into());
        }
        (s.key()?, false)
    } else {
        let k = KeyFile::generate(extra)?;
        k.save_new(&s.key_file)?;
        (k, true)
    };
    let opts = RepoOptions {
        compression: compression
            .or(s.file.compression)
            .unwrap_or(RepoOptions::default().compression),
        pack_size: pack_mib
            .map(|m| m << 20)
            .unwrap_or(RepoOptions::default().pack_size),
        ..RepoOptions::default()
    };
    let repo = Repository::init(backend, &key.backup_key(), &opts)?;
    if created_key {
        out.notice(&format!(
            "created key file {} (mode 0600). Keep a copy somewhere safe: without it these backups cannot be restored.",
            s.key_file.display()
        ));
    }
    let (identity, _) =
        common::status::NodeIdentity::load_or_create(&s.state_dir.join("node.key"))?;
    let line = format!(
        "created repository {} at {}",
        repo.config().id.short(),
        s.repo
    );
    if first_use {
        // Part of another command: its summary is the one stdout line.
        out.notice(&line);
        return Ok(());
    }
    out.summary(
        json!({
            "command": "init", "repository": s.repo, "repository_id": repo.config().id.to_hex(),
            "key_file": s.key_file, "key_created": created_key, "recipients": key.recipients.len(),
            "status_public_key": identity.public_hex(),
        }),
        &line,
    );
    Ok(())
}
