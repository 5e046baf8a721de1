//! `bananaui`: parse, set up logging, run one command, map the result to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    // A shell asking for completions is answered and the process exits here.
    bananaui::complete::handle();
    let cli = bananaui::Cli::parse();
    bananaui::init_logging(cli.verbose);
    std::process::ExitCode::from(bananaui::run(cli))
}
