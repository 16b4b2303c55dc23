//! The ranges and combinations the configuration's types do not express.

use super::load::value_error;
use super::{Config, ConfigError};

impl Config {
    /// Checks the ranges the types do not express.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
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
            ("sign_in.window_secs", self.sign_in.window_secs, 60, 86_400),
            ("sign_in.caller_id_delay_after", self.sign_in.caller_id_delay_after, 0, 1_000_000),
            ("sign_in.caller_id_refuse_after", self.sign_in.caller_id_refuse_after, 1, 1_000_000),
            ("sign_in.address_delay_after", self.sign_in.address_delay_after, 0, 1_000_000),
            ("sign_in.address_refuse_after", self.sign_in.address_refuse_after, 1, 1_000_000),
            ("sign_in.calling_system_delay_after", self.sign_in.calling_system_delay_after, 0, 1_000_000),
            ("sign_in.calling_system_refuse_after", self.sign_in.calling_system_refuse_after, 1, 1_000_000),
            ("sign_in.first_delay_ms", self.sign_in.first_delay_ms, 0, 60_000),
            ("sign_in.max_delay_ms", self.sign_in.max_delay_ms, 0, 60_000),
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
        self.token_lifetime()?;
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
}
