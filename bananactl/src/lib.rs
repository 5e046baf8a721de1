//! `bananactl`, Banana's node agent: the CLI definition plus glue over `common`.
//! `main.rs` parses and calls [`run`]; tests and `xtask` reach [`Cli`] here.

pub mod cli;
pub mod commands;
pub mod complete;
pub mod examples;
pub mod exit;
pub mod jobs;
pub mod open;
pub mod output;
pub mod report;
pub mod settings;

pub use cli::Cli;

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    let out = output::Output::new(&cli.global);
    let result = commands::dispatch(&cli, &out);
    exit::finish(result, &out)
}
