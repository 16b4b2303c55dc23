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

mod load;
mod schema;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;
use voicepin_core::hashing::Argon2Cost;

#[cfg(test)]
use load::{env_name, known_keys, to_table};
pub use schema::*;

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

    /// The sign-in settings the core applies on every front end: the floor of a failed
    /// answer (`http.failed_sign_in_answer_ms`) and `[sign_in]`'s throttling.
    pub fn sign_in_settings(&self) -> voicepin_core::throttle::SignInSettings {
        use voicepin_core::throttle::{Limit, SignInSettings, ThrottlePolicy};
        let s = &self.sign_in;
        SignInSettings {
            failed_answer: Duration::from_millis(self.http.failed_sign_in_answer_ms.into()),
            throttle: ThrottlePolicy {
                window: Duration::from_secs(s.window_secs.into()),
                caller_id: Limit { delay_after: s.caller_id_delay_after, refuse_after: s.caller_id_refuse_after },
                address: Limit { delay_after: s.address_delay_after, refuse_after: s.address_refuse_after },
                calling_system: Limit {
                    delay_after: s.calling_system_delay_after,
                    refuse_after: s.calling_system_refuse_after,
                },
                first_delay: Duration::from_millis(s.first_delay_ms.into()),
                max_delay: Duration::from_millis(s.max_delay_ms.into()),
            },
        }
    }

    /// The lifetime of API tokens made without one (`security.api_token_lifetime`).
    pub fn token_lifetime(&self) -> Result<voicepin_core::tokens::TokenLifetime, ConfigError> {
        let text = &self.security.api_token_lifetime;
        voicepin_core::tokens::TokenLifetime::parse("security.api_token_lifetime", text).map_err(|_| {
            load::value_error(
                "security.api_token_lifetime",
                format!("{text:?} is not allowed; allowed: a number of days such as \"90d\" (1 to 3650), or \"never\""),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeSet;

    use super::*;

    const EXAMPLE: &str = include_str!("../../../../voicepin.example.toml");

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
