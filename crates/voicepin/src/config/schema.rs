//! What the configuration says: its sections and keys with their defaults (the schema the
//! file, the environment and the example file are checked against).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use voicepin_core::hashing::Argon2Cost;

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
    /// `[sign_in]`: failed PIN sign-ins counted per source, across mailboxes.
    pub sign_in: SignInConfig,
}

/// `[sign_in]`: throttling of PIN spraying (failed voice sign-ins per source, on every
/// front end). A source is a caller ID (one person: strict), a client address or a calling
/// system's token (everyone behind a PBX: loose).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignInConfig {
    /// Seconds back that failures count (60 to 86400).
    pub window_secs: u32,
    /// Failures of one caller ID in the window before its attempts are delayed.
    pub caller_id_delay_after: u32,
    /// Failures of one caller ID in the window before its attempts are refused.
    pub caller_id_refuse_after: u32,
    /// Failures from one client address before its attempts are delayed.
    pub address_delay_after: u32,
    /// Failures from one client address before its attempts are refused.
    pub address_refuse_after: u32,
    /// Failures of one calling system (its token) before its attempts are delayed.
    pub calling_system_delay_after: u32,
    /// Failures of one calling system (its token) before its attempts are refused.
    pub calling_system_refuse_after: u32,
    /// The first delay in milliseconds; it doubles with each further failure.
    pub first_delay_ms: u32,
    /// The longest delay in milliseconds, which every refused attempt also waits.
    pub max_delay_ms: u32,
}

impl Default for SignInConfig {
    fn default() -> Self {
        let policy = voicepin_core::throttle::ThrottlePolicy::default();
        let ms = |d: std::time::Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        Self {
            window_secs: u32::try_from(policy.window.as_secs()).unwrap_or(u32::MAX),
            caller_id_delay_after: policy.caller_id.delay_after,
            caller_id_refuse_after: policy.caller_id.refuse_after,
            address_delay_after: policy.address.delay_after,
            address_refuse_after: policy.address.refuse_after,
            calling_system_delay_after: policy.calling_system.delay_after,
            calling_system_refuse_after: policy.calling_system.refuse_after,
            first_delay_ms: ms(policy.first_delay),
            max_delay_ms: ms(policy.max_delay),
        }
    }
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
    /// How long an API token made without a lifetime lives: `"90d"` (1 to 3650 days), or
    /// `"never"`, said explicitly.
    pub api_token_lifetime: String,
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
            api_token_lifetime: voicepin_core::tokens::DEFAULT_TOKEN_LIFETIME.to_string(),
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

/// A configuration with every optional key given a value, so that serialising it names
/// every key. Spelled out field by field (no `..Default::default()`): a new key does not
/// compile until it is listed here, and the example file's test then asks for its docs.
pub(super) fn every_key_set() -> Config {
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
            api_token_lifetime: String::new(),
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
        sign_in: SignInConfig {
            window_secs: 0,
            caller_id_delay_after: 0,
            caller_id_refuse_after: 0,
            address_delay_after: 0,
            address_refuse_after: 0,
            calling_system_delay_after: 0,
            calling_system_refuse_after: 0,
            first_delay_ms: 0,
            max_delay_ms: 0,
        },
    }
}
