//! `bananactl`: parse, set up logging, run one command, map the result to an
//! exit code (see `docs/exit-codes.md`).

use clap::Parser;

fn main() -> std::process::ExitCode {
    bananactl::exit::on_termination();
    let cli = bananactl::Cli::parse();
    bananactl::output::init_logging(cli.global.verbose, cli.global.quiet);
    let code = bananactl::run(cli);
    std::process::ExitCode::from(code)
}
