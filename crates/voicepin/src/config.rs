//! The configuration: one [`Config`] with a section per concern, read from a TOML file
//! (`--config FILE` or `VOICEPIN_CONFIG`), then overridden key by key from the environment
//! (`VOICEPIN_<SECTION>__<KEY>`), then by command-line flags. Defaults are built in, so
//! `voicepin serve` runs with no configuration at all.
//!
//! Precedence, strongest first: flags (`--data-dir`, `serve --listen`,
//! `serve --mail-poll-seconds`), environment, file, defaults. Unknown keys are refused
//! wherever they come from: a typo must not silently leave a default in place. An empty
//! environment variable counts as unset.
//!
//! A small overlay over the `toml` crate rather than a layered-config library: the file is
//! checked on its own first (so its errors carry the file name, line and column), then each
//! environment variable on its own (so its errors name the variable). Every key is documented
//! in `voicepin.example.toml` at the repository root; a test keeps the two in step.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use voicepin_core::hashing::Argon2Cost;

/// The prefix of every environment variable of the configuration.
const ENV_PREFIX: &str = "VOICEPIN_";
/// The variable naming the configuration file.
pub const CONFIG_ENV: &str = "VOICEPIN_CONFIG";
/// The older name of `data.dir` in the environment, still honoured.
const LEGACY_DATA_DIR_ENV: &str = "VOICEPIN_DATA_DIR";
/// The older name of `log.level` in the environment (an `EnvFilter`), still honoured.
const LEGACY_LOG_ENV: &str = "VOICEPIN_LOG";

/// A configuration that cannot be used: which key, where it came from, and what is allowed.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a key in it is unknown or has a wrong type.
    #[error("configuration file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// The parser's message: line, column, the key and what it expected.
        message: String,
    },
    /// An environment variable names no key, or its value does not fit the key.
    #[error("environment variable {variable}: {message}")]
    Environment {
        /// The variable.
        variable: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A key's value is out of range (whatever its source).
    #[error("{key} ({variable}): {message}")]
    Value {
        /// The key, `section.key`.
        key: &'static str,
        /// The environment variable that overrides it, to point at both places.
        variable: String,
        /// What is allowed.
        message: String,
    },
}

/// The whole configuration. See `voicepin.example.toml` for every key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[data]`: where the database, keys and pickup folder live.
    pub data: DataConfig,
    /// `[http]`: the API server of `voicepin serve`.
    pub http: HttpConfig,
    /// `[store]`: the database.
    pub store: StoreConfig,
    /// `[mail]`: outgoing email.
    pub mail: MailConfig,
    /// `[security]`: keys and the Argon2id cost.
    pub security: SecurityConfig,
    /// `[log]`: diagnostics on standard error.
    pub log: LogConfig,
    /// `[sip]`: the telephone front end of `voicepin serve`.
    pub sip: SipConfig,
}

/// `[data]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// The data directory.
    pub dir: PathBuf,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self { dir: PathBuf::from("./voicepin-data") }
    }
}

/// `[http]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// `ADDRESS:PORT` the API listens on.
    pub listen: String,
    /// The address users reach the server at; an `https://` one marks session cookies
    /// `Secure` (a TLS-terminating proxy in front).
    pub public_url: Option<String>,
    /// Password sign-in attempts a minute from one source address.
    pub sign_in_attempts_per_source: u32,
    /// Password sign-in attempts a minute for one account name.
    pub sign_in_attempts_per_account: u32,
    /// Seconds for a request's headers to arrive, and for a kept-alive connection to send
    /// its next request (1 to 3600).
    pub header_read_timeout_secs: u32,
    /// Seconds for a request's body to arrive and its answer to leave (1 to 3600).
    pub request_timeout_secs: u32,
    /// Connections at once, from everyone (1 to 1000000).
    pub max_connections: u32,
    /// Connections at once from one address (1 to 1000000).
    pub max_connections_per_source: u32,
    /// Milliseconds every failed voice sign-in answer takes at least (0 to 10000).
    pub failed_sign_in_answer_ms: u32,
    /// `ADDRESS:PORT` serving `/metrics` without authentication; unset means none (the
    /// API's `/metrics` always needs a token).
    pub metrics_listen: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            sign_in_attempts_per_source: voicepin_web::limits::PER_SOURCE,
            sign_in_attempts_per_account: voicepin_web::limits::PER_ACCOUNT,
            header_read_timeout_secs: 10,
            request_timeout_secs: 30,
            max_connections: 4096,
            max_connections_per_source: 128,
            failed_sign_in_answer_ms: 250,
            metrics_listen: None,
        }
    }
}

impl HttpConfig {
    /// Whether users reach the server over https, so cookies must be `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|url| url.trim().to_ascii_lowercase().starts_with("https://"))
    }
}

/// `[store]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// A PostgreSQL URL; unset means SQLite in the data directory.
    pub url: Option<Url>,
}

/// `[mail]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// The SMTP server; unset means the pickup folder of the data directory.
    pub smtp_url: Option<Url>,
    /// The sender: `"Name <address>"` or a bare address.
    pub from: String,
    /// The organisation's name in the messages.
    pub organisation: Option<String>,
    /// Whom the messages tell users to contact.
    pub help_desk: Option<String>,
    /// The EHLO name; by default the host name.
    pub helo_name: Option<String>,
    /// A PEM file of extra CA certificates for the SMTP server.
    pub smtp_ca_file: Option<PathBuf>,
    /// A file holding the SMTP password.
    pub smtp_password_file: Option<PathBuf>,
    /// Seconds between two delivery runs of `voicepin serve`: how long a message queued by
    /// a local command or the API may wait for it (default 1).
    pub poll_seconds: f64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Voice Mail <voicepin@localhost>".into(),
            organisation: None,
            help_desk: None,
            helo_name: None,
            smtp_ca_file: None,
            smtp_password_file: None,
            poll_seconds: 1.0,
        }
    }
}

/// `[security]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// The pepper key file; by default `keys/pin-pepper.key` in the data directory.
    pub pepper_file: Option<PathBuf>,
    /// The mail sealing key file; by default `keys/mail.key` in the data directory.
    pub mail_key_file: Option<PathBuf>,
    /// Argon2id memory in KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id passes.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let cost = Argon2Cost::default();
        Self {
            pepper_file: None,
            mail_key_file: None,
            argon2_memory_kib: cost.memory_kib,
            argon2_iterations: cost.iterations,
            argon2_parallelism: cost.parallelism,
        }
    }
}

/// `[sip]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// Whether `voicepin serve` answers calls at all.
    pub enabled: bool,
    /// `ADDRESS:PORT` for SIP over UDP and TCP.
    pub listen: String,
    /// The IP address put in Contact and SDP; by default the listening address (required
    /// when that is 0.0.0.0 or ::).
    pub advertise: Option<String>,
    /// `FIRST-LAST`: the UDP ports for RTP, one even port per call.
    pub rtp_ports: String,
    /// Milliseconds of ringing (180) before a call is answered; 0 answers at once.
    pub answer_after_ms: u32,
    /// A folder of recorded prompts (`NAME.wav`, 8 kHz mono) replacing the built-in ones.
    pub prompts: Option<PathBuf>,
}

impl Default for SipConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: "127.0.0.1:5060".into(),
            advertise: None,
            rtp_ports: "20000-29999".into(),
            answer_after_ms: 0,
            prompts: None,
        }
    }
}

impl SipConfig {
    /// The listening address.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.parse().ok()
    }

    /// The advertised address, if set.
    pub fn advertise_ip(&self) -> Option<IpAddr> {
        self.advertise.as_deref().and_then(|a| a.trim().parse().ok())
    }

    /// The RTP port range.
    pub fn rtp_range(&self) -> Option<RangeInclusive<u16>> {
        let (first, last) = self.rtp_ports.split_once('-')?;
        let (first, last): (u16, u16) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
        (first >= 1024 && first < last).then_some(first..=last)
    }
}

/// `[log]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// An `EnvFilter` directive; by default `info` for `serve`, `warn` for other commands.
    pub level: Option<String>,
    /// `text` or `json` lines.
    pub format: LogFormat,
}

/// How log lines look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// A URL that may carry a password: never shown by `Debug`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Url(String);

impl Url {
    /// The URL, credentials included.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.0.split_once("://").map_or("?", |(scheme, _)| scheme);
        write!(f, "Url({scheme}://<hidden>)")
    }
}

/// The command-line flags that beat the environment and the file.
#[derive(Debug, Default)]
pub struct Flags {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `serve --listen`.
    pub listen: Option<String>,
    /// `serve --mail-poll-seconds`.
    pub mail_poll_seconds: Option<Duration>,
}

impl Config {
    /// Reads the file (if any), overlays the `VOICEPIN_*` variables of `env`, then `flags`,
    /// and checks every value.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: Flags,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => read_file(path)?,
            None => toml::Table::new(),
        };
        for (variable, section, key, value) in environment(env)? {
            let value = typed(&variable, &section, &key, &value)?;
            check_one(&variable, &section, &key, &value)?;
            let entry = table.entry(section).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(section) = entry {
                section.insert(key, value);
            }
        }
        let mut config = Self::deserialize(toml::Value::Table(table))
            .map_err(|e| ConfigError::File { path: PathBuf::from("(merged)"), message: e.to_string() })?;
        if let Some(dir) = flags.data_dir {
            config.data.dir = dir;
        }
        if let Some(listen) = flags.listen {
            config.http.listen = listen;
        }
        if let Some(poll) = flags.mail_poll_seconds {
            config.mail.poll_seconds = poll.as_secs_f64();
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks the ranges the types do not express.
    fn validate(&self) -> Result<(), ConfigError> {
        let http = &self.http.listen;
        let port_ok = http.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(value_error(
                "http.listen",
                format!("{http:?} is not allowed; allowed: ADDRESS:PORT, e.g. 127.0.0.1:8080"),
            ));
        }
        if let Some(url) = &self.http.public_url {
            let lower = url.trim().to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                return Err(value_error(
                    "http.public_url",
                    format!("{url:?} is not allowed; allowed: an http:// or https:// URL"),
                ));
            }
        }
        for (key, limit) in [
            ("http.sign_in_attempts_per_source", self.http.sign_in_attempts_per_source),
            ("http.sign_in_attempts_per_account", self.http.sign_in_attempts_per_account),
        ] {
            if !(1..=10_000).contains(&limit) {
                return Err(value_error(key, format!("{limit} is not allowed; allowed: 1 to 10000")));
            }
        }
        for (key, value, low, high) in [
            ("http.header_read_timeout_secs", self.http.header_read_timeout_secs, 1, 3_600),
            ("http.request_timeout_secs", self.http.request_timeout_secs, 1, 3_600),
            ("http.max_connections", self.http.max_connections, 1, 1_000_000),
            ("http.max_connections_per_source", self.http.max_connections_per_source, 1, 1_000_000),
            ("http.failed_sign_in_answer_ms", self.http.failed_sign_in_answer_ms, 0, 10_000),
        ] {
            if !(low..=high).contains(&value) {
                return Err(value_error(key, format!("{value} is not allowed; allowed: {low} to {high}")));
            }
        }
        if let Some(address) = &self.http.metrics_listen
            && address.parse::<std::net::SocketAddr>().is_err()
        {
            return Err(value_error(
                "http.metrics_listen",
                format!("{address:?} is not allowed; allowed: IP:PORT, e.g. 127.0.0.1:9464"),
            ));
        }
        if let Some(url) = &self.mail.smtp_url
            && voicepin_mail::SmtpConfig::new(url.expose()).is_err()
        {
            // The value is not repeated: it may hold a password.
            return Err(value_error(
                "mail.smtp_url",
                "this URL is not allowed; allowed: smtp://HOST[:PORT][?tls=required] or smtps://HOST[:PORT]".into(),
            ));
        }
        let poll = self.mail.poll_seconds;
        if !(poll > 0.0 && poll <= 86_400.0) {
            return Err(value_error(
                "mail.poll_seconds",
                format!("{poll} is not allowed; allowed: more than 0 and at most 86400"),
            ));
        }
        let security = &self.security;
        if !(1..=0x00ff_ffff).contains(&security.argon2_parallelism) {
            return Err(value_error(
                "security.argon2_parallelism",
                format!("{} is not allowed; allowed: 1 to 16777215", security.argon2_parallelism),
            ));
        }
        if security.argon2_iterations < 1 {
            return Err(value_error("security.argon2_iterations", "0 is not allowed; allowed: 1 or more".into()));
        }
        let least = 8 * security.argon2_parallelism;
        if security.argon2_memory_kib < least {
            return Err(value_error(
                "security.argon2_memory_kib",
                format!(
                    "{} is not allowed; allowed: at least 8 KiB per lane ({least} with argon2_parallelism {})",
                    security.argon2_memory_kib, security.argon2_parallelism
                ),
            ));
        }
        self.validate_sip()?;
        if let Some(url) = &self.store.url {
            let scheme = url.expose().split_once("://").map(|(s, _)| s.to_ascii_lowercase());
            if !matches!(scheme.as_deref(), Some("postgres" | "postgresql")) {
                return Err(value_error(
                    "store.url",
                    "allowed: a postgres://USER@HOST/DATABASE URL, or no value for SQLite in the data directory".into(),
                ));
            }
        }
        if let Some(level) = &self.log.level
            && let Err(error) = tracing_subscriber::EnvFilter::try_new(level)
        {
            return Err(value_error(
                "log.level",
                format!(
                    "{level:?} is not allowed ({error}); allowed: a level (error, warn, info, debug, trace) or filter directives such as \"info,sqlx=warn\""
                ),
            ));
        }
        Ok(())
    }

    fn validate_sip(&self) -> Result<(), ConfigError> {
        let sip = &self.sip;
        let Some(listen) = sip.listen_addr() else {
            return Err(value_error(
                "sip.listen",
                format!("{:?} is not allowed; allowed: IP:PORT, e.g. 127.0.0.1:5060", sip.listen),
            ));
        };
        if let Some(advertise) = &sip.advertise
            && sip.advertise_ip().is_none()
        {
            return Err(value_error(
                "sip.advertise",
                format!("{advertise:?} is not allowed; allowed: an IP address, e.g. 192.0.2.10"),
            ));
        }
        if sip.enabled && listen.ip().is_unspecified() && sip.advertise.is_none() {
            return Err(value_error(
                "sip.advertise",
                format!("required when sip.listen is {listen}; allowed: the IP address PBXs send calls to"),
            ));
        }
        if sip.answer_after_ms > 60_000 {
            return Err(value_error(
                "sip.answer_after_ms",
                format!("{} is not allowed; allowed: 0 to 60000", sip.answer_after_ms),
            ));
        }
        if sip.rtp_range().is_none() {
            return Err(value_error(
                "sip.rtp_ports",
                format!(
                    "{:?} is not allowed; allowed: FIRST-LAST with 1024 <= FIRST < LAST <= 65535, e.g. 20000-29999",
                    sip.rtp_ports
                ),
            ));
        }
        Ok(())
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data.dir
    }

    /// The pepper key file.
    pub fn pepper_file(&self) -> PathBuf {
        self.security.pepper_file.clone().unwrap_or_else(|| self.data.dir.join("keys").join("pin-pepper.key"))
    }

    /// The mail sealing key file.
    pub fn mail_key_file(&self) -> PathBuf {
        self.security.mail_key_file.clone().unwrap_or_else(|| self.data.dir.join("keys").join("mail.key"))
    }

    /// The Argon2id cost.
    pub fn argon2_cost(&self) -> Argon2Cost {
        Argon2Cost {
            memory_kib: self.security.argon2_memory_kib,
            iterations: self.security.argon2_iterations,
            parallelism: self.security.argon2_parallelism,
        }
    }

    /// Seconds between two delivery runs.
    pub fn mail_poll(&self) -> Duration {
        Duration::from_secs_f64(self.mail.poll_seconds)
    }

    /// The log filter: `log.level`, else `default`.
    pub fn log_filter(&self, default: &str) -> String {
        self.log.level.clone().unwrap_or_else(|| default.to_owned())
    }
}

/// The environment variable of a key: `http.listen` is `VOICEPIN_HTTP__LISTEN`.
pub fn env_name(section: &str, key: &str) -> String {
    format!("{ENV_PREFIX}{}__{}", section.to_ascii_uppercase(), key.to_ascii_uppercase())
}

fn value_error(key: &'static str, message: String) -> ConfigError {
    let variable = key.split_once('.').map_or_else(String::new, |(section, name)| env_name(section, name));
    ConfigError::Value { key, variable, message }
}

/// The file as a table, after checking it alone against [`Config`].
fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable { path: path.to_owned(), source })?;
    let file_error = |e: toml::de::Error| ConfigError::File { path: path.to_owned(), message: located(&text, &e) };
    // Parsed straight into the struct first, so an unknown key or a wrong type is reported
    // with its line and column.
    toml::from_str::<Config>(&text).map_err(file_error)?;
    toml::from_str::<toml::Table>(&text).map_err(file_error)
}

/// The parser's message on one line, after its position: `line 3, column 1: unknown field ...`.
/// The offending line itself is not quoted (it may hold a password in a URL).
fn located(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    let Some(span) = error.span() else { return message };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    match key_at(text, line) {
        Some(key) => format!("line {line}, column {column} ({key}): {message}"),
        None => format!("line {line}, column {column}: {message}"),
    }
}

/// The `section.key` assigned on a line (1-based), if it is a plain `key = value` line.
fn key_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let (key, _) = lines.get(line.checked_sub(1)?)?.split_once('=')?;
    let key = key.trim();
    let section = lines[..line - 1]
        .iter()
        .rev()
        .find_map(|l| l.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')))
        .map(str::trim);
    Some(match section {
        Some(section) => format!("{section}.{key}"),
        None => key.to_owned(),
    })
}

/// A configuration as a table of sections.
fn to_table(config: &Config) -> toml::Table {
    match toml::Value::try_from(config) {
        Ok(toml::Value::Table(table)) => table,
        _ => toml::Table::new(),
    }
}

/// The `VOICEPIN_<SECTION>__<KEY>` variables (and the two older names) as
/// `(variable, section, key, value)`, blank ones left out.
fn environment(
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(String, String, String, String)>, ConfigError> {
    let mut found = Vec::new();
    let mut legacy = Vec::new();
    for (variable, value) in env {
        if value.trim().is_empty() {
            continue;
        }
        if variable == LEGACY_DATA_DIR_ENV {
            legacy.push((variable, "data".to_owned(), "dir".to_owned(), value));
            continue;
        }
        if variable == LEGACY_LOG_ENV {
            legacy.push((variable, "log".to_owned(), "level".to_owned(), value));
            continue;
        }
        let Some(rest) = variable.strip_prefix(ENV_PREFIX) else { continue };
        let Some((section, key)) = rest.split_once("__") else { continue };
        found.push((variable.clone(), section.to_ascii_lowercase(), key.to_ascii_lowercase(), value));
    }
    // An older name gives way to the new one when both are set.
    for old in legacy {
        if !found.iter().any(|(_, section, key, _)| *section == old.1 && *key == old.2) {
            found.push(old);
        }
    }
    found.sort();
    Ok(found)
}

/// The value of a variable in the type its key takes (known from the defaults; keys
/// without a default are text).
fn typed(variable: &str, section: &str, key: &str, value: &str) -> Result<toml::Value, ConfigError> {
    let defaults = to_table(&Config::default());
    let default = defaults.get(section).and_then(|s| s.get(key));
    let error = |allowed: &str| ConfigError::Environment {
        variable: variable.to_owned(),
        message: format!("{value:?} is not allowed for {section}.{key}; allowed: {allowed}"),
    };
    let text = value.trim();
    Ok(match default {
        Some(toml::Value::Integer(_)) => {
            toml::Value::Integer(text.parse().map_err(|_| error("a whole number, e.g. 19456"))?)
        }
        Some(toml::Value::Float(_)) => toml::Value::Float(text.parse().map_err(|_| error("a number, e.g. 5 or 0.5"))?),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(text.parse().map_err(|_| error("true or false"))?),
        _ => toml::Value::String(value.to_owned()),
    })
}

/// Checks one variable alone against [`Config`]: an unknown section or key, or a value of
/// the wrong kind, is reported under the variable's name.
fn check_one(variable: &str, section: &str, key: &str, value: &toml::Value) -> Result<(), ConfigError> {
    let mut inner = toml::Table::new();
    inner.insert(key.to_owned(), value.clone());
    let mut outer = toml::Table::new();
    outer.insert(section.to_owned(), toml::Value::Table(inner));
    Config::deserialize(toml::Value::Table(outer)).map(drop).map_err(|e| {
        let message = e.message().to_owned();
        let message = if message.starts_with("unknown field") {
            let allowed = known_keys().into_iter().map(|(s, k)| env_name(&s, &k)).collect::<Vec<_>>().join(", ");
            format!("no such setting ({section}.{key}); allowed: {allowed}")
        } else {
            format!("{section}.{key}: {message}")
        };
        ConfigError::Environment { variable: variable.to_owned(), message }
    })
}

/// Every `(section, key)` of [`Config`].
pub fn known_keys() -> Vec<(String, String)> {
    let table = to_table(&every_key_set());
    let mut keys = Vec::new();
    for (section, values) in &table {
        if let toml::Value::Table(values) = values {
            keys.extend(values.keys().map(|key| (section.clone(), key.clone())));
        }
    }
    keys
}

/// A configuration with every optional key given a value, so that serialising it names
/// every key. Spelled out field by field (no `..Default::default()`): a new key does not
/// compile until it is listed here, and the example file's test then asks for its docs.
fn every_key_set() -> Config {
    let example = PathBuf::from("example");
    Config {
        data: DataConfig { dir: example.clone() },
        http: HttpConfig {
            listen: String::new(),
            public_url: Some(String::new()),
            sign_in_attempts_per_source: 0,
            sign_in_attempts_per_account: 0,
            header_read_timeout_secs: 0,
            request_timeout_secs: 0,
            max_connections: 0,
            max_connections_per_source: 0,
            failed_sign_in_answer_ms: 0,
            metrics_listen: Some(String::new()),
        },
        store: StoreConfig { url: Some(Url(String::new())) },
        mail: MailConfig {
            smtp_url: Some(Url(String::new())),
            from: String::new(),
            organisation: Some(String::new()),
            help_desk: Some(String::new()),
            helo_name: Some(String::new()),
            smtp_ca_file: Some(example.clone()),
            smtp_password_file: Some(example.clone()),
            poll_seconds: 0.0,
        },
        security: SecurityConfig {
            pepper_file: Some(example.clone()),
            mail_key_file: Some(example),
            argon2_memory_kib: 0,
            argon2_iterations: 0,
            argon2_parallelism: 0,
        },
        log: LogConfig { level: Some(String::new()), format: LogFormat::Text },
        sip: SipConfig {
            enabled: true,
            listen: String::new(),
            advertise: Some(String::new()),
            rtp_ports: String::new(),
            answer_after_ms: 0,
            prompts: Some(PathBuf::from("example")),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeSet;

    use super::*;

    const EXAMPLE: &str = include_str!("../../../voicepin.example.toml");

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        file
    }

    fn load(text: Option<&str>, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let file = text.map(file);
        Config::load(file.as_ref().map(|f| f.path()), env(vars), Flags::default())
    }

    /// The example with every `# key = value` line uncommented, and its `[section] key` pairs.
    fn uncommented_example() -> (String, BTreeSet<(String, String)>) {
        let mut text = String::new();
        let mut keys = BTreeSet::new();
        let mut section = String::new();
        for line in EXAMPLE.lines() {
            let trimmed = line.trim();
            if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                section = name.to_owned();
                text.push_str(trimmed);
            } else if let Some(assignment) = trimmed.strip_prefix("# ").filter(|s| is_assignment(s)) {
                let key = assignment.split('=').next().unwrap().trim();
                assert!(keys.insert((section.clone(), key.to_owned())), "{section}.{key} is documented twice");
                text.push_str(assignment);
            }
            text.push('\n');
        }
        (text, keys)
    }

    fn is_assignment(text: &str) -> bool {
        text.split_once(" = ")
            .is_some_and(|(key, _)| key.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()))
    }

    #[test]
    fn the_example_file_documents_every_key_with_its_default_and_variable() {
        let (text, documented) = uncommented_example();
        let known: BTreeSet<(String, String)> = known_keys().into_iter().collect();
        assert_eq!(documented, known, "voicepin.example.toml and Config disagree");
        for (section, key) in &known {
            assert!(EXAMPLE.contains(&env_name(section, key)), "{} is not mentioned", env_name(section, key));
        }
        // Every key parses, and every key with a default shows that default.
        let example: Config = toml::from_str(&text).unwrap();
        let example = to_table(&example);
        let defaults = to_table(&Config::default());
        for (section, values) in &defaults {
            for (key, value) in values.as_table().unwrap() {
                assert_eq!(Some(value), example[section].get(key), "the default of {section}.{key}");
            }
        }
        // As shipped (everything commented out) it is the defaults.
        assert_eq!(toml::from_str::<Config>(EXAMPLE).unwrap(), Config::default());
    }

    #[test]
    fn no_configuration_gives_the_embedded_defaults() {
        let config = load(None, &[]).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.data_dir(), Path::new("./voicepin-data"));
        assert_eq!(config.http.listen, "127.0.0.1:8080");
        assert_eq!(config.pepper_file(), Path::new("./voicepin-data/keys/pin-pepper.key"));
        assert_eq!(config.argon2_cost(), Argon2Cost::default());
        assert_eq!(config.mail_poll(), Duration::from_secs(1));
    }

    #[test]
    fn the_file_sets_keys_and_the_environment_overrides_it() {
        let text =
            "[http]\nlisten = \"127.0.0.1:9000\"\n[security]\nargon2_iterations = 3\n[mail]\nfrom = \"a@b.example\"\n";
        let config = load(
            Some(text),
            &[
                ("VOICEPIN_HTTP__LISTEN", "127.0.0.1:18080"),
                ("VOICEPIN_SECURITY__ARGON2_MEMORY_KIB", "256"),
                ("VOICEPIN_MAIL__POLL_SECONDS", "0.5"),
                ("VOICEPIN_MAIL__ORGANISATION", ""),
                ("HOME", "/root"),
            ],
        )
        .unwrap();
        assert_eq!(config.http.listen, "127.0.0.1:18080");
        assert_eq!(config.security.argon2_iterations, 3);
        assert_eq!(config.security.argon2_memory_kib, 256);
        assert_eq!(config.mail.from, "a@b.example");
        assert_eq!(config.mail.poll_seconds, 0.5);
        assert_eq!(config.mail.organisation, None, "a blank variable counts as unset");
    }

    #[test]
    fn flags_beat_the_environment() {
        let file = file("[data]\ndir = \"/from/file\"\n");
        let flags = Flags {
            data_dir: Some("/from/flag".into()),
            listen: Some("127.0.0.1:1".into()),
            mail_poll_seconds: Some(Duration::from_secs(2)),
        };
        let vars = env(&[("VOICEPIN_DATA__DIR", "/from/env"), ("VOICEPIN_HTTP__LISTEN", "127.0.0.1:2")]);
        let config = Config::load(Some(file.path()), vars, flags).unwrap();
        assert_eq!(config.data_dir(), Path::new("/from/flag"));
        assert_eq!(config.http.listen, "127.0.0.1:1");
        assert_eq!(config.mail_poll(), Duration::from_secs(2));
    }

    #[test]
    fn the_older_variable_names_still_work_and_give_way_to_the_new_ones() {
        let config = load(None, &[("VOICEPIN_DATA_DIR", "/old"), ("VOICEPIN_LOG", "debug")]).unwrap();
        assert_eq!(config.data_dir(), Path::new("/old"));
        assert_eq!(config.log.level.as_deref(), Some("debug"));
        let config = load(None, &[("VOICEPIN_DATA_DIR", "/old"), ("VOICEPIN_DATA__DIR", "/new")]).unwrap();
        assert_eq!(config.data_dir(), Path::new("/new"));
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused_with_its_line() {
        let error = load(Some("[http]\nlisten = \"127.0.0.1:1\"\nlisen = \"x\"\n"), &[]).unwrap_err().to_string();
        assert!(error.contains("line 3"), "{error}");
        assert!(error.contains("unknown field `lisen`") && error.contains("`listen`"), "{error}");
        let error = load(Some("[htttp]\nlisten = \"x\"\n"), &[]).unwrap_err().to_string();
        assert!(error.contains("unknown field `htttp`") && error.contains("`http`"), "{error}");
    }

    #[test]
    fn an_unknown_variable_is_refused_by_name() {
        let error = load(None, &[("VOICEPIN_HTTP__LISEN", "127.0.0.1:1")]).unwrap_err().to_string();
        assert!(error.starts_with("environment variable VOICEPIN_HTTP__LISEN: no such setting"), "{error}");
        assert!(error.contains("VOICEPIN_HTTP__LISTEN"), "lists the allowed names: {error}");
        let error = load(None, &[("VOICEPIN_WEB__PORT", "1")]).unwrap_err().to_string();
        assert!(error.contains("VOICEPIN_WEB__PORT"), "{error}");
    }

    #[test]
    fn a_bad_value_names_the_key_and_what_is_allowed() {
        let error = load(None, &[("VOICEPIN_SECURITY__ARGON2_ITERATIONS", "lots")]).unwrap_err().to_string();
        assert_eq!(
            error,
            "environment variable VOICEPIN_SECURITY__ARGON2_ITERATIONS: \"lots\" is not allowed for \
             security.argon2_iterations; allowed: a whole number, e.g. 19456"
        );
        let error = load(Some("[log]\nformat = \"xml\"\n"), &[]).unwrap_err().to_string();
        assert!(error.contains("line 2") && error.contains("`text`") && error.contains("`json`"), "{error}");
        let error = load(None, &[("VOICEPIN_LOG__FORMAT", "xml")]).unwrap_err().to_string();
        assert!(error.contains("VOICEPIN_LOG__FORMAT") && error.contains("`json`"), "{error}");
        let error = load(Some("[security]\nargon2_memory_kib = \"many\"\n"), &[]).unwrap_err().to_string();
        assert!(error.contains("line 2, column 21 (security.argon2_memory_kib)"), "{error}");
        let error = load(None, &[("VOICEPIN_HTTP__LISTEN", "8080")]).unwrap_err().to_string();
        assert!(error.starts_with("http.listen (VOICEPIN_HTTP__LISTEN)") && error.contains("ADDRESS:PORT"), "{error}");
        let error = load(None, &[("VOICEPIN_STORE__URL", "mysql://x")]).unwrap_err().to_string();
        assert!(error.starts_with("store.url") && !error.contains("mysql://x"), "{error}");
        let error = load(None, &[("VOICEPIN_SECURITY__ARGON2_MEMORY_KIB", "4")]).unwrap_err().to_string();
        assert!(error.contains("at least 8 KiB per lane"), "{error}");
    }

    #[test]
    fn sip_settings_are_checked() {
        let config =
            load(None, &[("VOICEPIN_SIP__LISTEN", "127.0.0.1:5070"), ("VOICEPIN_SIP__ENABLED", "false")]).unwrap();
        assert_eq!(config.sip.listen_addr(), Some("127.0.0.1:5070".parse().unwrap()));
        assert!(!config.sip.enabled);
        assert_eq!(config.sip.rtp_range(), Some(20000..=29999));
        let error = load(None, &[("VOICEPIN_SIP__LISTEN", "5060")]).unwrap_err().to_string();
        assert!(error.starts_with("sip.listen (VOICEPIN_SIP__LISTEN)"), "{error}");
        let error = load(None, &[("VOICEPIN_SIP__LISTEN", "0.0.0.0:5060")]).unwrap_err().to_string();
        assert!(error.starts_with("sip.advertise"), "{error}");
        let config =
            load(None, &[("VOICEPIN_SIP__LISTEN", "0.0.0.0:5060"), ("VOICEPIN_SIP__ADVERTISE", "192.0.2.1")]).unwrap();
        assert_eq!(config.sip.advertise_ip(), Some("192.0.2.1".parse().unwrap()));
        for ports in ["30000-20000", "100-200", "x", "20000-70000"] {
            let error = load(None, &[("VOICEPIN_SIP__RTP_PORTS", ports)]).unwrap_err().to_string();
            assert!(error.starts_with("sip.rtp_ports"), "{ports}: {error}");
        }
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let error = Config::load(Some(Path::new("/nonexistent/voicepin.toml")), Vec::new(), Flags::default());
        assert!(error.unwrap_err().to_string().contains("/nonexistent/voicepin.toml"));
    }

    #[test]
    fn urls_hide_their_credentials_in_debug() {
        let config = load(None, &[("VOICEPIN_MAIL__SMTP_URL", "smtp://u:secret@host:587")]).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("secret") && debug.contains("smtp://<hidden>"), "{debug}");
        assert_eq!(config.mail.smtp_url.unwrap().expose(), "smtp://u:secret@host:587");
    }
}
