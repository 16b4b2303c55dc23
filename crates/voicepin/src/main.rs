//! The `voicepin` binary: the command line (with Exchange's cmdlet syntax) over the use cases.
//!
//! Exit codes: 0 done; 1 refused (not found, rejected PIN, in use ...) or a failed sign-in
//! test; 2 bad input (unknown option, value out of range).

mod app;
mod cli;
mod cmdlet;
mod config;
mod datadir;
mod exit;
mod http;
mod input;
mod keys;
mod local;
mod output;
mod remote;
mod requests;
mod sender;
mod serve;

use std::process::ExitCode;

use clap::Parser as _;
use clap::error::ErrorKind;

use crate::cli::Cli;
use crate::config::{Config, ConfigError, Flags, LogFormat};
use crate::exit::{Completion, EXIT_REFUSED, EXIT_USAGE, Failure};

/// The arguments as text; one that is not valid UTF-8 is bad input, named by its position
/// and shown with its invalid bytes replaced (never a panic).
fn utf8_args(args: impl Iterator<Item = std::ffi::OsString>) -> Result<Vec<String>, String> {
    args.enumerate()
        .map(|(index, arg)| {
            arg.into_string().map_err(|arg| {
                format!("argument {index} ({:?}) is not valid UTF-8; voicepin takes UTF-8 text", arg.to_string_lossy())
            })
        })
        .collect()
}

fn main() -> ExitCode {
    let args = match utf8_args(std::env::args_os()) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("voicepin: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
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

    let config = match load_config(&cli) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("voicepin: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    init_logging(&config, matches!(cli.command, cli::Command::Serve { .. }));

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("voicepin: cannot start the runtime: {error}");
            return ExitCode::from(EXIT_REFUSED);
        }
    };
    let completion = if cli.remote.server.is_some() {
        // The HTTP client blocks: off the runtime's worker threads.
        runtime.block_on(async move { tokio::task::spawn_blocking(move || remote::run(cli)).await? })
    } else {
        runtime.block_on(local::run(cli, &config))
    };
    match completion {
        Ok(Completion::Done) => ExitCode::SUCCESS,
        Ok(Completion::SignInFailed) => ExitCode::from(EXIT_REFUSED),
        Err(error) => {
            let failure = Failure::of(&error);
            eprintln!("voicepin: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

/// The configuration: the file of `--config` (or `VOICEPIN_CONFIG`), the environment, then
/// the flags.
fn load_config(cli: &Cli) -> Result<Config, ConfigError> {
    let mut flags = Flags { data_dir: cli.data_dir.clone(), ..Flags::default() };
    if let cli::Command::Serve { listen, mail_poll_seconds } = &cli.command {
        flags.listen = listen.clone();
        flags.mail_poll_seconds = *mail_poll_seconds;
    }
    let env =
        std::env::vars_os().filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)));
    Config::load(cli.config.as_deref(), env, flags)
}

/// Diagnostics on standard error, as text or JSON lines; `serve` logs at info by default
/// (a line per HTTP request), the other commands only warnings.
fn init_logging(config: &Config, serving: bool) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let filter = config.log_filter(if serving { "info" } else { "warn" });
    // The filter was checked with the configuration.
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let quiet_wire = tracing_subscriber::filter::filter_fn(|meta| !wire_secret_risk(meta.target(), *meta.level()));
    match config.log.format {
        // Colours only for a terminal: a log file or journald gets plain text.
        LogFormat::Text => {
            builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).finish().with(quiet_wire).init()
        }
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .finish()
            .with(quiet_wire)
            .init(),
    }
}

/// Whether an event would come from inside an HTTP, TLS or SMTP library below INFO: at DEBUG
/// and TRACE those dump the headers and bytes on the wire (the CLI's bearer token, an SMTP
/// password), so no log level lets them through. voicepin's own events say what happened.
fn wire_secret_risk(target: &str, level: tracing::Level) -> bool {
    const WIRE: [&str; 9] =
        ["ureq", "ureq_proto", "hyper", "hyper_util", "h2", "rustls", "lettre", "axum", "tower_http"];
    level > tracing::Level::INFO
        && WIRE.iter().any(|crate_name| {
            target == *crate_name || target.strip_prefix(crate_name).is_some_and(|rest| rest.starts_with("::"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_libraries_never_log_below_info() {
        assert!(wire_secret_risk("ureq::unversioned::transport", tracing::Level::TRACE));
        assert!(wire_secret_risk("ureq_proto::client", tracing::Level::DEBUG));
        assert!(wire_secret_risk("hyper", tracing::Level::TRACE));
        assert!(!wire_secret_risk("ureq", tracing::Level::WARN));
        assert!(!wire_secret_risk("ureqx", tracing::Level::TRACE));
        assert!(!wire_secret_risk("voicepin::remote", tracing::Level::TRACE));
    }

    #[test]
    fn non_utf8_arguments_are_bad_input() {
        use std::os::unix::ffi::OsStringExt as _;
        let args = vec!["voicepin".into(), std::ffi::OsString::from_vec(vec![b'a', 0xff])];
        let error = utf8_args(args.into_iter()).unwrap_err();
        assert!(error.contains("argument 1") && error.contains("UTF-8"), "{error}");
    }
}
