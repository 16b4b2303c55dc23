//! The command line: `voicepin <object> <verb>`, options named after the Exchange parameters
//! in kebab case. The cmdlet syntax (`voicepin Set-UMMailboxPIN -Identity ...`) is translated
//! into these commands by [`crate::cmdlet`], so both share every check and message.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod objects;

pub use objects::*;

/// voicepin: voice mail PINs the way Exchange Unified Messaging managed them, rebuilt.
///
/// Commands work on the local data directory, or on a server with --server and --token.
/// Exchange cmdlets work too, verbatim:
/// voicepin Set-UMMailboxPIN -Identity tonysmith@contoso.com -PIN 1985848 -PinExpired $true
#[derive(Debug, Parser)]
#[command(name = "voicepin", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// The data directory (database, keys, mail pickup folder) [default: ./voicepin-data;
    /// env: VOICEPIN_DATA__DIR or VOICEPIN_DATA_DIR; config: data.dir].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The configuration file (TOML; every key in voicepin.example.toml).
    #[arg(long, global = true, value_name = "FILE", env = crate::config::CONFIG_ENV)]
    pub config: Option<PathBuf>,

    /// Print JSON (camelCase Exchange property names) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(flatten)]
    pub remote: RemoteOptions,

    #[command(subcommand)]
    pub command: Command,
}

/// Where the commands run: on the local data directory, or on a server over its HTTP API.
#[derive(Debug, Args)]
pub struct RemoteOptions {
    /// Run the command on this voicepin server (https://host, or http:// on loopback) through
    /// its HTTP API, authorised and audited as the token's name and role.
    #[arg(long, global = true, value_name = "URL", env = "VOICEPIN_SERVER")]
    pub server: Option<String>,
    /// The API token for --server. Prefer VOICEPIN_TOKEN or --token-file: a command line is
    /// visible to other users of the machine.
    #[arg(
        long,
        global = true,
        value_name = "TOKEN",
        env = "VOICEPIN_TOKEN",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub token: Option<Secret>,
    /// Read the API token for --server from this file (its first line).
    #[arg(long, global = true, value_name = "FILE", env = "VOICEPIN_TOKEN_FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service on the data directory: the HTTP API and the mail delivery worker,
    /// until SIGTERM or Ctrl-C. On the first start it creates the administrator account
    /// `admin` and prints its one-time password once (and an initial API token).
    Serve {
        /// Where the HTTP API listens [default: 127.0.0.1:8080; env: VOICEPIN_HTTP__LISTEN;
        /// config: http.listen].
        #[arg(long, value_name = "ADDRESS:PORT")]
        listen: Option<String>,
        /// Seconds between two delivery runs of the mail outbox [default: 1;
        /// env: VOICEPIN_MAIL__POLL_SECONDS; config: mail.poll_seconds].
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        mail_poll_seconds: Option<std::time::Duration>,
    },
    /// UM dial plans (New-, Get-, Set-, Remove-UMDialPlan).
    #[command(subcommand, name = "dialplan", alias = "dial-plan")]
    DialPlan(DialPlanCommand),
    /// UM mailbox policies (New-, Get-, Set-, Remove-UMMailboxPolicy).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// UM mailboxes (Enable-, Disable-, Get-, Set-UMMailbox).
    #[command(subcommand)]
    Mailbox(MailboxCommand),
    /// PINs (Get-, Set-UMMailboxPIN, lock, unlock, sign-in test).
    #[command(subcommand)]
    Pin(PinCommand),
    /// The mail outbox.
    #[command(subcommand)]
    Mail(MailCommand),
    /// The audit log, newest first.
    Audit(AuditArgs),
    /// Pepper keys for PIN hashing.
    #[command(subcommand)]
    Key(KeyCommand),
    /// API tokens for the HTTP API (shown once when created).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Administrator accounts (one-time passwords shown once); `admin recover` is break-glass.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// The object a command acts on: positional, or `--identity` as Exchange scripts write it.
#[derive(Debug, Args)]
pub struct Identity {
    /// Name, address, alias, extension or id.
    #[arg(value_name = "IDENTITY", required_unless_present = "identity_option")]
    identity: Option<String>,
    /// The same, as an option.
    #[arg(
        long = "identity",
        id = "identity_option",
        value_name = "IDENTITY",
        conflicts_with = "identity",
        hide = true
    )]
    identity_option: Option<String>,
}

impl Identity {
    /// The identity given either way.
    pub fn get(self) -> String {
        self.identity.or(self.identity_option).unwrap_or_default()
    }
}

/// An optional object: every object when omitted.
#[derive(Debug, Args)]
pub struct OptionalIdentity {
    /// Name, address, alias, extension or id; all when omitted.
    #[arg(value_name = "IDENTITY")]
    identity: Option<String>,
    /// The same, as an option.
    #[arg(
        long = "identity",
        id = "identity_option",
        value_name = "IDENTITY",
        conflicts_with = "identity",
        hide = true
    )]
    identity_option: Option<String>,
}

impl OptionalIdentity {
    /// The identity given either way, if any.
    pub fn get(self) -> Option<String> {
        self.identity.or(self.identity_option)
    }
}

/// The name of a new object: positional, or `--name`.
#[derive(Debug, Args)]
pub struct NewName {
    /// Name, unique.
    #[arg(value_name = "NAME", required_unless_present = "name_option")]
    name: Option<String>,
    /// The same, as an option.
    #[arg(long = "name", id = "name_option", value_name = "NAME", conflicts_with = "name", hide = true)]
    name_option: Option<String>,
}

impl NewName {
    /// The name given either way.
    pub fn get(self) -> String {
        self.name.or(self.name_option).unwrap_or_default()
    }
}

/// A secret from the command line or the environment (the API token): redacted in `Debug`,
/// wiped on drop.
#[derive(Clone)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(text: String) -> Self {
        Self(zeroize::Zeroizing::new(text))
    }

    /// The secret itself, to send.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Never fails: clap would quote a refused value in its message.
fn parse_secret(text: &str) -> Result<Secret, String> {
    Ok(Secret::new(text.trim().to_owned()))
}

/// Booleans as Exchange scripts and people write them.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().trim_start_matches('$').to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false ($true or $false)".into()),
    }
}

fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 86_400.0 => Ok(std::time::Duration::from_secs_f64(seconds)),
        _ => Err("expected a number of seconds, more than 0 and at most 86400".into()),
    }
}

pub(crate) fn parse_result_size(text: &str) -> Result<u32, String> {
    if text.trim().eq_ignore_ascii_case("unlimited") {
        return Ok(u32::MAX);
    }
    match text.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a positive number or unlimited".into()),
    }
}

pub(crate) fn parse_country_code(text: &str) -> Result<String, String> {
    let code = text.trim();
    if (1..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_owned())
    } else {
        Err("expected 1 to 4 digits".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn booleans_accept_powershell_forms() {
        for text in ["$true", "$TRUE", "true", "True", "1", "yes"] {
            assert_eq!(parse_bool(text), Ok(true), "{text}");
        }
        for text in ["$false", "false", "0", "no"] {
            assert_eq!(parse_bool(text), Ok(false), "{text}");
        }
        assert!(parse_bool("maybe").is_err());
    }
}
