//! One file per command group, over `common::vault`.

pub mod breakglass;
pub mod copy;
pub mod drill;
pub mod grant;
pub mod node;
pub mod node_secret;
pub mod prune;
pub mod reaper;
pub mod storage;
pub mod tower;
pub mod vault;

use crate::{Cli, Command, GlobalOpts};
use anyhow::Context;
use common::vault::{Location, Secret, Vault};
use common::ErrorKind;

/// Output mode.
pub struct Out {
    /// JSON lines instead of text.
    pub json: bool,
}

impl Out {
    /// Prints a result: JSON with `message_type: summary`, or the text.
    pub fn summary(&self, mut v: serde_json::Value, text: &str) {
        if self.json {
            v["message_type"] = "summary".into();
            println!("{v}");
        } else {
            println!("{text}");
        }
    }
}

/// Runs the command.
pub fn dispatch(cli: &Cli) -> anyhow::Result<()> {
    let out = Out {
        json: cli.global.json,
    };
    match &cli.command {
        Command::Vault(c) => c.run(&cli.global, &out),
        Command::Node(c) => c.run(&cli.global, &out),
        Command::Restore(c) => c.run(&cli.global, &out),
        Command::Breakglass(c) => c.run(&cli.global, &out),
        Command::Storage(c) => c.run(&out),
        Command::Prune(c) => c.run(&cli.global, &out),
        Command::Reaper(c) => c.run(&cli.global, &out),
        Command::Drill(c) => c.run(&cli.global, &out),
        Command::DrillHost(c) => c.run(&cli.global, &out),
        Command::Copy(c) => c.run(&cli.global, &out),
        Command::Copier(c) => c.run(&cli.global, &out),
    }
}

/// Vault location from the global options.
pub fn location(g: &GlobalOpts) -> Location {
    let mut loc = Location::new(&g.vault_addr);
    loc.ca_file = g.vault_ca.as_ref().map(|p| p.display().to_string());
    loc.mount = g.mount.trim_matches('/').to_owned();
    loc.approle = g.approle_mount.trim_matches('/').to_owned();
    loc.insecure_http = g.insecure_http;
    loc
}

/// The admin token: `--token-file`, else `VAULT_TOKEN`; never argv.
fn admin_token(g: &GlobalOpts) -> anyhow::Result<Secret> {
    let token = match &g.token_file {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("token file {}", p.display()))?
        }
        None => std::env::var("VAULT_TOKEN").unwrap_or_default(),
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(common::Error::new(ErrorKind::BadInput, "no admin token")
            .hint("set VAULT_TOKEN or pass --token-file (a token with the banana-admin policy)")
            .into());
    }
    Ok(Secret::new(token))
}

/// A Vault client logged in with the admin token.
pub fn admin(g: &GlobalOpts) -> anyhow::Result<Vault> {
    let mut v = Vault::connect(&location(g))?;
    v.set_token(admin_token(g)?);
    Ok(v)
}

/// The storage at `location` with a credential from Vault (none for a
/// directory), defaults for the rest.
pub(crate) fn storage(
    location: &str,
    credentials: &Option<common::vault::StorageCredentials>,
) -> common::Result<Box<dyn common::backend::Backend>> {
    common::backend::open_with(
        location,
        &common::backend::OpenOptions {
            credentials: credentials.clone(),
            ..Default::default()
        },
    )
}

/// Parses `30s`, `10m`, `1h`, `2d` into seconds.
pub fn duration_secs(s: &str) -> Result<u64, String> {
    common::humanize::parse_duration(s)
}
