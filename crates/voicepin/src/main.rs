//! The `voicepin` binary: the command line (with Exchange's cmdlet syntax) over the use cases.
//!
//! Exit codes: 0 done; 1 refused (not found, rejected PIN, in use ...) or a failed sign-in
//! test; 2 bad input (unknown option, value out of range).

mod admin;
mod app;
mod cli;
mod cmdlet;
mod http;
mod keys;
mod output;
mod run;
mod serve;

use std::process::ExitCode;

use clap::Parser as _;
use clap::error::ErrorKind;

use crate::cli::Cli;
use crate::run::Completion;

const EXIT_REFUSED: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("VOICEPIN_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();

    let args: Vec<String> = std::env::args().collect();
    let args = match cmdlet::translate_args(&args) {
        Ok(Some(translated)) => translated,
        Ok(None) => args,
        Err(error) => {
            eprintln!("voicepin: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            // clap's first line names the option and what it takes; the rest is advice.
            let rendered = error.render().to_string();
            let first: Vec<&str> = rendered.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            eprintln!("voicepin: {}", first.join(" ").trim_start_matches("error: "));
            return ExitCode::from(EXIT_USAGE);
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("voicepin: cannot start the runtime: {error}");
            return ExitCode::from(EXIT_REFUSED);
        }
    };
    match runtime.block_on(run::run(cli)) {
        Ok(Completion::Done) => ExitCode::SUCCESS,
        Ok(Completion::SignInFailed) => ExitCode::from(EXIT_REFUSED),
        Err(error) => {
            eprintln!("voicepin: {}", run::describe(&error));
            ExitCode::from(if run::is_usage_error(&error) { EXIT_USAGE } else { EXIT_REFUSED })
        }
    }
}
