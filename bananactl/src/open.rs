//! How a command gets its repository and the key material it needs: the
//! key file, the node's Vault login (never an identity), a restore grant, or
//! a break-glass identity with the repository's signed key envelopes.

use crate::output::Output;
use crate::settings::Settings;
use anyhow::Context;
use common::crypto::age;
use common::crypto::keyfile::{KeyFile, RestoreKey};
use common::repo::Repository;
use std::path::{Path, PathBuf};

/// A repository opened with the key material one command needs.
pub struct Opened {
    /// The repository.
    pub repo: Repository,
    /// Backup half (and identities, when this command may read).
    pub key: KeyFile,
    /// The restore half (empty for a backup-only key or a Vault node).
    pub restore: RestoreKey,
    /// Signed break-glass envelopes to keep in the repository (Vault nodes).
    pub envelopes: Vec<String>,
    /// The run's Vault login, revoked when dropped (at the end of the command,
    /// also when it fails).
    pub session: Option<common::vault::Session>,
    /// The watch tower's URL from Vault (enrolled nodes).
    pub collector: Option<String>,
}

/// Where read commands get the restore half of the key.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReadKeyOpts {
    /// Read identities from this age identity file (e.g. the offline
    /// break-glass identity) instead of the key file.
    #[arg(long, value_name = "FILE")]
    pub identity_file: Option<PathBuf>,
    /// A restore grant printed by 'bananadm restore grant' ('-' reads it from stdin).
    #[arg(long, value_name = "TOKEN")]
    pub grant: Option<String>,
    /// Vault address for --grant on a machine that is not enrolled.
    #[arg(long, value_name = "URL")]
    pub vault_addr: Option<String>,
    /// Ed25519 key that signed the break-glass key envelopes (also read from
    /// '# banana-verify-key:' lines of the identity file); repeatable.
    #[arg(long, value_name = "HEX")]
    pub verify_key: Vec<String>,
    /// The node whose backups these are: a break-glass restore only trusts
    /// that node's key envelope (storage could present another node's).
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
}

/// Opens the repository with the node's own key: the key file, or (enrolled
/// nodes) what its Vault login may read — never an identity.
pub fn open(s: &Settings) -> anyhow::Result<Opened> {
    open_with(s, None)
}

/// As [`open`]; for an enrolled node, `create` makes the repository on first
/// use (the node's storage is chosen by the administrator).
pub fn open_with(s: &Settings, create: Option<&Output>) -> anyhow::Result<Opened> {
    match s.vault_node()? {
        Some(creds) => open_vault(s, &creds, create),
        None => open_at(&s.repo, || s.key()),
    }
}

/// Opens `location` with a key held in full (no Vault session). The key is
/// loaded after the repository is found: a missing repository is named before
/// a missing key file.
fn open_at(
    location: &str,
    key: impl FnOnce() -> anyhow::Result<KeyFile>,
) -> anyhow::Result<Opened> {
    let backend = common::backend::open(location)?;
    exists(backend.as_ref(), location)?;
    let key = key()?;
    let repo = Repository::open(backend, &key.backup_key())?;
    let restore = key.restore_key()?;
    Ok(Opened {
        repo,
        key,
        restore,
        envelopes: Vec::new(),
        session: None,
        collector: None,
    })
}

fn exists(backend: &dyn common::backend::Backend, location: &str) -> anyhow::Result<()> {
    // Name a missing repository before a missing key: it is the likelier mistake.
    if backend
        .list(common::backend::Kind::Config)
        .map(|c| c.is_empty())
        .unwrap_or(true)
    {
        return Err(common::Error::new(
            common::ErrorKind::RepoNotFound,
            format!("no repository at {location}"),
        )
        .hint("check --repo, or create one with 'bananactl init'")
        .into());
    }
    Ok(())
}

fn open_vault(
    s: &Settings,
    creds: &common::vault::NodeCredentials,
    create: Option<&Output>,
) -> anyhow::Result<Opened> {
    let session = common::vault::Session::login(creds)?;
    let (agent, fleet) = session.agent()?;
    let mut recipients = agent.recipients.clone();
    for r in fleet.recipients {
        if !recipients.contains(&r) {
            recipients.push(r);
        }
    }
    let key = KeyFile::from_parts(agent.chunk_key.expose(), recipients, Vec::new())?;
    let location = if s.repo_explicit {
        s.repo.clone()
    } else {
        agent.storage.clone()
    };
    let backend = common::backend::open(&location)?;
    let repo = match (exists(backend.as_ref(), &location), create) {
        (Ok(()), _) => Repository::open(backend, &key.backup_key())?,
        (Err(_), Some(out)) => {
            let opts = common::repo::RepoOptions {
                compression: s
                    .file
                    .compression
                    .unwrap_or(common::repo::RepoOptions::default().compression),
                ..common::repo::RepoOptions::default()
            };
            let repo = Repository::init(backend, &key.backup_key(), &opts)?;
            out.notice(&format!(
                "bananactl: first backup of node {}: created repository at {location}",
                creds.node
            ));
            repo
        }
        (Err(e), None) => return Err(e),
    };
    // The break-glass envelopes live in the repository (write-once objects);
    // only a writing command stores them: reading never writes.
    if create.is_some() {
        for env in &agent.envelopes {
            let bytes = env.as_bytes();
            repo.backend().write(
                common::backend::Kind::Key,
                &common::Id::of_object(bytes).to_hex(),
                bytes,
            )?;
        }
    }
    Ok(Opened {
        repo,
        key,
        restore: RestoreKey::default(),
        envelopes: agent.envelopes,
        session: Some(session),
        collector: agent.collector,
    })
}

/// Opens the repository for a command that reads data: with a restore grant,
/// a break-glass identity file, or the node's own key.
pub fn open_read(s: &Settings, o: &ReadKeyOpts) -> anyhow::Result<Opened> {
    if let Some(grant) = &o.grant {
        return open_grant(s, o, grant);
    }
    let Some(idf) = &o.identity_file else {
        return open(s);
    };
    let identities = common::crypto::keyfile::load_identity_file(idf)?;
    let have_key_file = s.key_explicit || (s.vault_node()?.is_none() && s.key_file.exists());
    if have_key_file {
        match open(s) {
            Ok(mut opened) => {
                opened.restore = identities;
                return Ok(opened);
            }
            // The default key file may belong to another repository: the
            // envelopes are the break-glass path.
            Err(e)
                if !s.key_explicit
                    && crate::exit::kind(&e) == Some(common::ErrorKind::WrongKey) => {}
            Err(e) => return Err(e),
        }
    }
    open_envelope(s, o, idf, identities)
}

fn open_grant(s: &Settings, o: &ReadKeyOpts, grant: &str) -> anyhow::Result<Opened> {
    let grant = if grant == "-" {
        let mut g = String::new();
        std::io::stdin()
            .read_line(&mut g)
            .context("reading the grant from stdin")?;
        g
    } else {
        grant.to_owned()
    };
    let grant = common::vault::Secret::new(grant.trim());
    let loc = match (&o.vault_addr, s.vault_node()?) {
        // An enrolled node keeps its pinned CA and mounts when only the address changes.
        (Some(addr), Some(creds)) => common::vault::Location {
            addr: addr.trim_end_matches('/').to_owned(),
            ..creds.vault
        },
        (Some(addr), None) => common::vault::Location::new(addr),
        (None, Some(creds)) => creds.vault,
        (None, None) => {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                "--grant needs Vault's address",
            )
            .hint("pass --vault-addr, or run it on an enrolled node")
            .into())
        }
    };
    let secret = common::vault::read_with_grant(&loc, None, &grant)?;
    let identities: Vec<String> = secret
        .identities
        .iter()
        .map(|i| i.expose().to_owned())
        .collect();
    let recipients = identities
        .iter()
        .filter_map(|i| age::parse_identity(i).ok())
        .map(|i| age::recipient_of(&i))
        .collect();
    let key = KeyFile::from_parts(secret.chunk_key.expose(), recipients, identities)?;
    let location = if s.repo_explicit {
        s.repo.clone()
    } else {
        secret.storage.clone()
    };
    open_at(&location, || Ok(key))
}

/// Break-glass without Vault or key file: the chunk key comes from a key
/// envelope in the repository, trusted only if signed by a verify key kept
/// with the identity.
fn open_envelope(
    s: &Settings,
    o: &ReadKeyOpts,
    idf: &Path,
    identities: RestoreKey,
) -> anyhow::Result<Opened> {
    if !s.repo_explicit {
        return Err(common::Error::new(
            common::ErrorKind::BadInput,
            "a break-glass restore needs the repository location",
        )
        .hint("pass --repo")
        .into());
    }
    let trusted = verify_keys(o, idf)?;
    let Some(node) = o.node.as_deref() else {
        return Err(common::Error::new(
            common::ErrorKind::BadInput,
            "a break-glass restore needs the node's name",
        )
        .hint("pass --node NAME: only that node's signed key envelope is trusted")
        .into());
    };
    let backend = common::backend::open(&s.repo)?;
    exists(backend.as_ref(), &s.repo)?;
    let mut last_err = None;
    for (name, _) in backend.list(common::backend::Kind::Key)? {
        let bytes = backend.read(common::backend::Kind::Key, &name)?;
        match open_with_envelope(&bytes, &trusted, node, &identities) {
            Ok(key) => {
                let repo = Repository::open(common::backend::open(&s.repo)?, &key.backup_key());
                match repo {
                    Ok(repo) => {
                        return Ok(Opened {
                            repo,
                            key,
                            restore: identities,
                            envelopes: Vec::new(),
                            session: None,
                            collector: None,
                        })
                    }
                    Err(e) => last_err = Some(e),
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(match last_err {
        Some(e) => anyhow::Error::from(e).context(format!(
            "no key envelope in {} opens with {}",
            s.repo,
            idf.display()
        )),
        None => common::Error::new(
            common::ErrorKind::WrongKey,
            format!("{} holds no break-glass key envelope", s.repo),
        )
        .hint("pass --key-file with the node's key")
        .into(),
    })
}

/// The verify keys a break-glass restore trusts: `# banana-verify-key:`
/// lines of the identity file and `--verify-key`; at least one.
fn verify_keys(
    o: &ReadKeyOpts,
    idf: &Path,
) -> anyhow::Result<Vec<common::crypto::envelope::VerifyingKey>> {
    let text =
        std::fs::read_to_string(idf).with_context(|| format!("identity file {}", idf.display()))?;
    let mut trusted = Vec::new();
    for k in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# banana-verify-key:"))
        .chain(o.verify_key.iter().map(String::as_str))
    {
        trusted.push(common::crypto::envelope::parse_verify_key(k)?);
    }
    if trusted.is_empty() {
        return Err(common::Error::new(
            common::ErrorKind::BadInput,
            format!(
                "no key file, and {} names no verify key for the repository's key envelopes",
                idf.display()
            ),
        )
        .hint("pass --verify-key (kept with the break-glass identity) or --key-file")
        .into());
    }
    Ok(trusted)
}

/// The key an envelope holds, if it is `node`'s, signed by a trusted key and
/// opened by the identities.
fn open_with_envelope(
    bytes: &[u8],
    trusted: &[common::crypto::envelope::VerifyingKey],
    node: &str,
    identities: &RestoreKey,
) -> common::Result<KeyFile> {
    let content = common::crypto::envelope::open(bytes, trusted, &identities.identities)?;
    if content.node != node {
        return Err(common::Error::new(
            common::ErrorKind::WrongKey,
            format!(
                "the repository holds the key envelope of node '{}', not '{node}'",
                content.node
            ),
        ));
    }
    let ids: Vec<String> = identities
        .identities
        .iter()
        .map(|i| age::identity_secret(i).expose().to_owned())
        .collect();
    let recipients = identities
        .identities
        .iter()
        .map(age::recipient_of)
        .collect();
    KeyFile::from_parts(content.chunk_key.expose(), recipients, ids)
}
