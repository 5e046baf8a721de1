//! `bananadm`: parse, set up logging, run one command, map the result to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = bananadm::Cli::parse();
    bananadm::init_logging(cli.global.verbose);
    std::process::ExitCode::from(bananadm::run(cli))
}
