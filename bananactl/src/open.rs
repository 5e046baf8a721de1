//! How a command gets its repository and the key material it needs: the
//! key file, the node's Vault login (never an identity), a restore grant, or
//! a break-glass identity with the repository's signed key envelopes.

use crate::output::Output;
use crate::settings::Settings;
use anyhow::Context;
use common::crypto::age;
use common::crypto::{KeyFile, RestoreKey};
use common::ops::state::{self, LocationRecord};
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
    /// The node's job credentials from Vault (`bananadm node secret`).
    pub job_secrets: crate::jobs::JobSecrets,
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
    /// Allow --vault-addr to be plain http:// on a non-loopback address (the
    /// grant and the identities would cross the network in clear).
    #[arg(long)]
    pub insecure_http: bool,
}

/// Opens the repository with the node's own key: the key file, or (enrolled
/// nodes) what its Vault login may read — never an identity.
pub fn open(s: &Settings) -> anyhow::Result<Opened> {
    open_with(s, Create::No)
}

/// Whether a writing command may create the repository.
#[derive(Clone, Copy)]
pub enum Create<'o> {
    /// Never (reading commands, key-file nodes).
    No,
    /// An enrolled node's first backup, where the administrator chose the
    /// storage and this node never wrote there.
    FirstUse(&'o Output),
    /// `init --force-new`: a new repository in an empty location, even where
    /// this node wrote before.
    ForceNew(&'o Output),
}

/// As [`open`]; for an enrolled node, `create` says whether the repository
/// may be made.
pub fn open_with(s: &Settings, create: Create<'_>) -> anyhow::Result<Opened> {
    match s.vault_node()? {
        Some(creds) => open_vault(s, &creds, create),
        None => open_at(s, &s.repo, None, || s.key()),
    }
}

/// Opens `location` with a key held in full (no Vault session). The key is
/// loaded after the repository is found: a missing repository is named before
/// a missing key file.
fn open_at(
    s: &Settings,
    location: &str,
    storage: Option<&common::backend::StorageCredentials>,
    key: impl FnOnce() -> anyhow::Result<KeyFile>,
) -> anyhow::Result<Opened> {
    let backend = s.open_backend(location, storage)?;
    let record = check_location(s, backend.as_ref(), location)?;
    let key = key()?;
    let repo = Repository::open(backend, &key.backup_key())?;
    same_repository(&repo, record.as_ref(), location)?;
    let restore = key.restore_key()?;
    Ok(Opened {
        repo,
        key,
        restore,
        envelopes: Vec::new(),
        session: None,
        collector: None,
        job_secrets: Default::default(),
    })
}

/// A location holds a repository; otherwise the error says why: exit 16
/// (`repository-missing`) where this node wrote before, naming what it last
/// wrote, else exit 10. A location that cannot be listed is exit 1, never
/// "missing". Returns what this node recorded for the location.
pub fn check_location(
    s: &Settings,
    backend: &dyn common::backend::Backend,
    location: &str,
) -> anyhow::Result<Option<LocationRecord>> {
    use common::backend::Presence;
    let record = state::location_record(&s.state_dir, &backend.location());
    let presence = backend.presence()?;
    let what = match presence {
        Presence::Repository => return Ok(record),
        Presence::Missing => "is missing",
        Presence::Empty => "is empty",
        Presence::Other => "no longer holds a repository",
    };
    Err(match &record {
        Some(r) => missing(location, what, r),
        None => common::Error::new(
            common::ErrorKind::RepoNotFound,
            format!("no repository at {location}"),
        )
        .hint("check --repo, or create one with 'bananactl init'"),
    }
    .into())
}

fn missing(location: &str, what: &str, r: &LocationRecord) -> common::Error {
    common::Error::new(
        common::ErrorKind::RepoMissing,
        format!(
            "the repository at {location} {what}, but {} (storage unmounted, wiped, moved or rolled back?); nothing was written",
            r.last_write()
        ),
    )
    .hint("check the mount and the storage; to start over in an empty location: bananactl init --force-new")
}

/// The repository found is the one this node wrote to.
fn same_repository(
    repo: &Repository,
    record: Option<&LocationRecord>,
    location: &str,
) -> anyhow::Result<()> {
    match record {
        Some(r) if r.repository != repo.config().id.to_hex() => {
            let what = format!(
                "holds another repository ({}) than this node's ({})",
                repo.config().id.short(),
                r.repository.get(..8).unwrap_or(&r.repository)
            );
            Err(missing(location, &what, r).into())
        }
        _ => Ok(()),
    }
}

fn open_vault(
    s: &Settings,
    creds: &common::vault::NodeCredentials,
    create: Create<'_>,
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
    let backend = s.open_backend(&location, agent.storage_credentials.as_ref())?;
    let found = check_location(s, backend.as_ref(), &location);
    let repo = match (found, create) {
        (Ok(record), Create::No | Create::FirstUse(_)) => {
            let repo = Repository::open(backend, &key.backup_key())?;
            same_repository(&repo, record.as_ref(), &location)?;
            repo
        }
        (Err(e), Create::FirstUse(out))
            if crate::exit::kind(&e) == Some(common::ErrorKind::RepoNotFound) =>
        {
            // Jobs of one `run` may all be first: one creates, the others open.
            let _creating = first_use_lock(s)?;
            match check_location(s, backend.as_ref(), &location) {
                Ok(record) => {
                    let repo = Repository::open(backend, &key.backup_key())?;
                    same_repository(&repo, record.as_ref(), &location)?;
                    repo
                }
                Err(_) => {
                    let repo = init_repository(s, backend, &key)?;
                    out.notice(&format!(
                        "bananactl: first backup of node {}: created repository at {location}",
                        creds.node
                    ));
                    repo
                }
            }
        }
        (Err(e), Create::ForceNew(_)) if is_gone(&e) => init_repository(s, backend, &key)?,
        (Ok(_), Create::ForceNew(_)) => {
            return Err(common::Error::new(
                common::ErrorKind::BadInput,
                format!("a repository already exists at {location}"),
            )
            .hint("--force-new starts a repository only in an empty location; nothing is deleted")
            .into())
        }
        (Err(e), _) => return Err(e),
    };
    // The break-glass envelopes live in the repository (write-once objects);
    // only a writing command stores them: reading never writes.
    if !matches!(create, Create::No) {
        store_envelopes(&repo, &agent.envelopes)?;
    }
    Ok(Opened {
        repo,
        key,
        restore: RestoreKey::default(),
        envelopes: agent.envelopes,
        session: Some(session),
        collector: agent.collector,
        job_secrets: agent.job_secrets,
    })
}

/// Stores the break-glass key envelopes (write-once `keys/` objects).
fn store_envelopes(repo: &Repository, envelopes: &[String]) -> anyhow::Result<()> {
    for env in envelopes {
        let bytes = env.as_bytes();
        repo.backend().write(
            common::backend::Kind::Key,
            &common::Id::of_object(bytes).to_hex(),
            bytes,
        )?;
    }
    Ok(())
}

/// Held while this node creates a repository on first use (`flock` on
/// `STATE_DIR/first-use.lock`, waited for), so concurrent jobs create it once.
pub struct FirstUseLock(#[allow(dead_code)] std::fs::File);

/// Waits for and takes the first-use lock.
pub fn first_use_lock(s: &Settings) -> anyhow::Result<FirstUseLock> {
    use anyhow::Context;
    use std::os::fd::AsFd;
    let path = s.state_dir.join("first-use.lock");
    common::fsutil::private_dir(&s.state_dir)
        .with_context(|| format!("state directory {}", s.state_dir.display()))?;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("lock file {}", path.display()))?;
    rustix::fs::flock(f.as_fd(), rustix::fs::FlockOperation::LockExclusive)
        .map_err(std::io::Error::from)
        .with_context(|| format!("lock file {}", path.display()))?;
    Ok(FirstUseLock(f))
}

/// Whether an error says the repository is not there (missing or gone).
pub fn is_gone(e: &anyhow::Error) -> bool {
    matches!(
        crate::exit::kind(e),
        Some(common::ErrorKind::RepoNotFound | common::ErrorKind::RepoMissing)
    )
}

/// Creates a repository with the node's key and records the location.
pub fn init_repository(
    s: &Settings,
    backend: Box<dyn common::backend::Backend>,
    key: &KeyFile,
) -> anyhow::Result<Repository> {
    let opts = common::repo::RepoOptions {
        codec: s.file.compression.unwrap_or_default(),
        ..common::repo::RepoOptions::default()
    };
    let location = backend.location();
    let repo = Repository::init(backend, &key.backup_key(), &opts)?;
    state::record_location(&s.state_dir, &location, &repo.config().id, None)?;
    Ok(repo)
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
    let identities = common::crypto::load_identity_file(idf)?;
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
            insecure_http: o.insecure_http,
            ..creds.vault
        },
        (Some(addr), None) => common::vault::Location {
            insecure_http: o.insecure_http,
            ..common::vault::Location::new(addr)
        },
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
    let secret = common::vault::read_with_grant(&loc, o.node.as_deref(), &grant)?;
    let key = secret.key_file()?;
    let location = if s.repo_explicit {
        s.repo.clone()
    } else {
        secret.storage.clone()
    };
    // The grant's storage credential is for the node's repository; another
    // location (its second copy, docs/copy.md) is reached with the config's
    // or the environment's.
    let credentials = (location == secret.storage)
        .then_some(secret.storage_credentials.as_ref())
        .flatten();
    open_at(s, &location, credentials, || Ok(key))
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
    let backend = s.backend()?;
    check_location(s, backend.as_ref(), &s.repo)?;
    let mut last_err = None;
    for (name, _) in backend.list(common::backend::Kind::Key)? {
        let bytes = backend.read(
            common::backend::Kind::Key,
            &name,
            common::format::MAX_ENVELOPE,
        )?;
        match open_with_envelope(&bytes, &trusted, node, &identities) {
            Ok(key) => {
                let repo = Repository::open(s.backend()?, &key.backup_key());
                match repo {
                    Ok(repo) => {
                        return Ok(Opened {
                            repo,
                            key,
                            restore: identities,
                            envelopes: Vec::new(),
                            session: None,
                            collector: None,
                            job_secrets: Default::default(),
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
