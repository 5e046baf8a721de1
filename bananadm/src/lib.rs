//! `bananadm`, Banana's admin CLI: sets Vault up, enrols nodes, rotates keys,
//! grants restores, registers break-glass recipients. The CLI definition plus
//! glue over `common::vault`; `docs/vault.md` describes the layout it writes.

pub mod commands;
pub mod examples;
pub mod exit;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Banana's admin CLI: Vault setup, node enrolment, key rotation, restore grants.
///
/// The admin token is read from the environment (VAULT_TOKEN) or from
/// --token-file, never from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "bananadm",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = crate::examples::TOP
)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: GlobalOpts,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args, Clone)]
pub struct GlobalOpts {
    /// Vault's address.
    #[arg(
        long,
        global = true,
        env = "VAULT_ADDR",
        hide_env_values = true,
        value_name = "URL",
        default_value = "http://127.0.0.1:8200"
    )]
    pub vault_addr: String,
    /// PEM file of the CA that signed Vault's certificate.
    #[arg(
        long,
        global = true,
        env = "VAULT_CACERT",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub vault_ca: Option<PathBuf>,
    /// File holding the admin token [default: the VAULT_TOKEN environment variable].
    #[arg(
        long,
        global = true,
        env = "BANANA_ADMIN_TOKEN_FILE",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub token_file: Option<PathBuf>,
    /// KV v2 mount Banana uses.
    #[arg(long, global = true, default_value = common::vault::DEFAULT_MOUNT, value_name = "PATH")]
    pub mount: String,
    /// AppRole auth mount Banana uses.
    #[arg(long, global = true, default_value = common::vault::DEFAULT_APPROLE, value_name = "PATH")]
    pub approle_mount: String,
    /// Allow --vault-addr to be plain http:// on a non-loopback address (the
    /// admin token would cross the network in clear).
    #[arg(long, global = true)]
    pub insecure_http: bool,
    /// Machine output: one JSON object per line.
    #[arg(long, global = true)]
    pub json: bool,
    /// More detail on stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// bananadm's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set Vault up for Banana.
    #[command(subcommand, after_help = crate::examples::VAULT)]
    Vault(commands::vault::VaultCmd),
    /// Enrol, inspect, rotate and remove nodes.
    #[command(subcommand, after_help = crate::examples::NODE)]
    Node(commands::node::NodeCmd),
    /// Grant a restore.
    #[command(subcommand, after_help = crate::examples::RESTORE)]
    Restore(commands::grant::RestoreCmd),
    /// Offline break-glass recipients every backup is also encrypted to.
    #[command(subcommand, after_help = crate::examples::BREAKGLASS)]
    Breakglass(commands::breakglass::BreakglassCmd),
    /// What to install on the storage: append-only S3 policies.
    #[command(subcommand, after_help = crate::examples::STORAGE)]
    Storage(commands::storage::StorageCmd),
    /// Forget and delete by each node's retention policy (reaper host,
    /// banana-reaper token; never decrypts).
    #[command(after_help = crate::examples::PRUNE)]
    Prune(commands::prune::PruneCmd),
    /// The reaper's Vault token and policy.
    #[command(subcommand, after_help = crate::examples::REAPER)]
    Reaper(commands::reaper::ReaperTokenCmd),
    /// Prove nodes' backups restore (drill host, admin token): a restore
    /// grant per node, a sample restored and verified, the grant revoked.
    #[command(after_help = crate::examples::DRILL)]
    Drill(commands::drill::DrillCmd),
    /// The drill host's link to the watch tower.
    #[command(subcommand, after_help = crate::examples::DRILL_HOST)]
    DrillHost(commands::drill::DrillHostCmd),
    /// Copy nodes' repositories to their second locations (copier host,
    /// banana-copier token; objects checked against their names, never
    /// decrypted, nothing deleted).
    #[command(after_help = crate::examples::COPY)]
    Copy(commands::copy::CopyCmd),
    /// The copier's Vault token and policy, and its link to the tower.
    #[command(subcommand, after_help = crate::examples::COPIER)]
    Copier(commands::copy::CopierCmd),
}

/// Installs the stderr logger. HTTP and Vault client internals stay at warn:
/// their debug output could carry request bodies.
pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter =
        format!("{level},vaultrs=off,rustify=off,reqwest=off,hyper=off,hyper_util=off,rustls=off");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let out = commands::Out {
        json: cli.global.json,
    };
    match commands::dispatch(&cli) {
        Ok(()) => u8::from(exit::Code::OK),
        Err(e) => {
            let code = exit::code_for(&e).get();
            let msg = format!("{e:#}");
            if out.json {
                println!(
                    "{}",
                    serde_json::json!({"message_type": "error", "message": msg, "exit_code": code})
                );
            }
            eprintln!("bananadm: error: {msg}");
            code
        }
    }
}
