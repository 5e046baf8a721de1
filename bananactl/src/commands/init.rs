//! `bananactl init`: create a repository, and a key file unless one exists.

use crate::exit::Status;
use crate::output::Output;
use crate::settings::Settings;
use clap::Args;
use common::crypto::KeyFile;
use common::format::Codec;
use common::repo::{RepoOptions, Repository};
use serde_json::json;

/// Create a repository.
#[derive(Debug, Args)]
pub struct InitCmd {
    /// Also encrypt every pack to this age recipient (a break-glass key kept
    /// offline); repeatable. Only when a new key file is created.
    #[arg(long = "add-recipient", value_name = "AGE_PUBKEY")]
    pub add_recipient: Vec<String>,
    /// The repository's codec for new chunks: zstd[:1-19], xz[:0-9] (smaller,
    /// several times slower) or none; a bare 0-9 is an xz preset [default:
    /// zstd:3, or the config file's].
    #[arg(long, value_name = "CODEC", value_parser = parse_codec)]
    pub compression: Option<Codec>,
    /// Target pack size in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub pack_size: u32,
    /// Start a new repository in an empty location where this node wrote
    /// before (its repository went missing: exit 16). Deletes nothing; on
    /// append-only storage, start over under a new prefix instead. Also for
    /// nodes that take their keys from Vault.
    #[arg(long)]
    pub force_new: bool,
}

impl InitCmd {
    /// Runs it.
    pub fn run(&self, s: &Settings, out: &Output) -> anyhow::Result<Status> {
        if s.vault_node()?.is_some() {
            if !self.force_new {
                return Err(common::Error::new(
                    common::ErrorKind::BadInput,
                    format!("this node takes its keys from Vault ({})", s.vault_credentials.display()),
                )
                .hint("its first backup creates the repository (after a lost repository: init --force-new); use --key-file for a separate, key-file repository")
                .into());
            }
            let opened = super::open_with(s, super::Create::ForceNew(out))?;
            let repo = &opened.repo;
            out.summary(
                json!({"command": "init", "repository": repo.backend().location(),
                       "repository_id": repo.config().id.to_hex(), "force_new": true}),
                &format!(
                    "created repository {} at {} (a new start: older backups stay where they were)",
                    repo.config().id.short(),
                    repo.backend().location()
                ),
            );
            return Ok(Status::Ok);
        }
        let opts = Create {
            extra: &self.add_recipient,
            compression: self.compression,
            pack_mib: Some(self.pack_size),
            first_use: false,
            force_new: self.force_new,
        };
        create(s, out, &opts)?;
        Ok(Status::Ok)
    }
}

/// How `create` makes a repository.
pub struct Create<'a> {
    /// Break-glass recipients for a new key file.
    pub extra: &'a [String],
    /// The codec.
    pub compression: Option<Codec>,
    /// Target pack size, MiB.
    pub pack_mib: Option<u32>,
    /// Part of another command (the embedded default's first use).
    pub first_use: bool,
    /// Where this node wrote before (`--force-new`).
    pub force_new: bool,
}

/// The new repository's options: flags, else the config file, else defaults.
fn repo_options(s: &Settings, compression: Option<Codec>, pack_mib: Option<u32>) -> RepoOptions {
    RepoOptions {
        codec: compression.or(s.file.compression).unwrap_or_default(),
        pack_size: pack_mib
            .map(|m| m << 20)
            .unwrap_or(RepoOptions::default().pack_size),
        ..RepoOptions::default()
    }
}

/// A Swift container is made by init when missing (and allowed); says so.
fn announce_container(
    s: &Settings,
    backend: &dyn common::backend::Backend,
    out: &Output,
) -> anyhow::Result<()> {
    if let Ok(common::backend::Location::Swift(l)) = common::backend::Location::parse(&s.repo) {
        if backend.presence()? == common::backend::Presence::Missing {
            out.notice(&format!(
                "bananactl: creating Swift container '{}'",
                l.container
            ));
        }
    }
    Ok(())
}

/// A repository this node wrote at the location that is gone: an alarm,
/// not a fresh start, unless asked (`--force-new`).
fn refuse_lost(
    s: &Settings,
    backend: &dyn common::backend::Backend,
    force_new: bool,
) -> anyhow::Result<()> {
    let record = common::ops::state::location_record(&s.state_dir, &backend.location());
    if let Some(r) = record {
        let gone = backend.presence()? != common::backend::Presence::Repository;
        if gone && !force_new {
            return Err(common::Error::new(
                common::ErrorKind::RepoMissing,
                format!(
                    "{} had a repository of this node: {}",
                    s.repo,
                    r.last_write()
                ),
            )
            .hint("if that repository is lost, start a new one with 'bananactl init --force-new' (deletes nothing)")
            .into());
        }
    }
    Ok(())
}

/// The key for a new repository: the key file's, or a new one (saved) with
/// the break-glass recipients `extra`. The location is checked first: a new
/// key is made only for a repository that will be created with it (a key
/// for nothing would send the next command to the wrong place).
fn key_for(
    s: &Settings,
    backend: &dyn common::backend::Backend,
    extra: &[String],
) -> anyhow::Result<(KeyFile, bool)> {
    if s.key_file.exists() {
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
        backend.creatable()?;
        return Ok((s.key()?, false));
    }
    backend.creatable()?;
    let k = KeyFile::generate(extra)?;
    k.save_new(&s.key_file)?;
    Ok((k, true))
}

/// Creates the key file (if missing) and the repository; reports both.
pub fn create(s: &Settings, out: &Output, c: &Create<'_>) -> anyhow::Result<()> {
    let (compression, pack_mib, first_use) = (c.compression, c.pack_mib, c.first_use);
    let backend = s.backend()?;
    refuse_lost(s, backend.as_ref(), c.force_new)?;
    let (key, created_key) = key_for(s, backend.as_ref(), c.extra)?;
    announce_container(s, backend.as_ref(), out)?;
    let opts = repo_options(s, compression, pack_mib);
    let repo = Repository::init(backend, &key.backup_key(), &opts)?;
    let location = repo.backend().location();
    common::ops::state::record_location(&s.state_dir, &location, &repo.config().id, None)?;
    if created_key {
        out.notice(&format!(
            "created key file {} (mode 0600). Keep a copy somewhere safe: without it these backups cannot be restored.",
            s.key_file.display()
        ));
    }
    let (identity, _) =
        common::status::NodeIdentity::load_or_create(&s.state_dir.join("node.key"))?;
    let codec = repo
        .config()
        .codec()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let line = format!(
        "created repository {} at {} (format {}, {codec})",
        repo.config().id.short(),
        s.repo,
        repo.config().version
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
            "status_public_key": identity.public_hex(), "format_version": repo.config().version,
            "codec": codec,
        }),
        &line,
    );
    Ok(())
}

/// `--compression`: a codec name (`zstd:3`, `xz:0`, `none`) or an xz preset.
pub fn parse_codec(s: &str) -> Result<Codec, String> {
    s.parse::<Codec>().map_err(|e| e.to_string())
}
