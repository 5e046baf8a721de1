//! `bananactl`: parse, set up logging, run one command, map the result to an
//! exit code (see `docs/exit-codes.md`).

use clap::Parser;

fn main() -> std::process::ExitCode {
    // A shell asking for completions (bananactl::complete::VAR) is answered
    // and the process exits here.
    bananactl::complete::handle();
    bananactl::exit::on_termination();
    let cli = match bananactl::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // A script that asked for JSON gets its error line too (stdout),
            // then clap's usage text on stderr and exit 2.
            use clap::error::ErrorKind as K;
            let asked_json = std::env::args_os().any(|a| a == "--json");
            if asked_json && !matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                let msg = first.strip_prefix("error: ").unwrap_or(first);
                println!(
                    "{}",
                    serde_json::json!({"message_type": "error", "message": msg, "exit_code": 2})
                );
            }
            e.exit()
        }
    };
    bananactl::output::init_logging(cli.global.verbose, cli.global.quiet);
    let code = bananactl::run(cli);
    std::process::ExitCode::from(code)
}
