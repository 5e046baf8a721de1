//! `bananadm`: parse, set up logging, run one command, map the result to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    // A shell asking for completions (subcommands and flags) is answered and
    // the process exits here.
    clap_complete::CompleteEnv::with_factory(<bananadm::Cli as clap::CommandFactory>::command)
        .var("BANANA_COMPLETE")
        .complete();
    // A drill's scratch directory (a node's restored files) goes on a signal.
    common::plugins::remove_on_termination();
    let cli = bananadm::Cli::parse();
    bananadm::init_logging(cli.global.verbose);
    std::process::ExitCode::from(bananadm::run(cli))
}
