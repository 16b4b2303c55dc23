//! Reading the configuration: the file, then the environment key by key, then the flags;
//! each source checked on its own so that an error names the file's line or the variable.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::schema::every_key_set;
use super::{Config, ConfigError, ENV_PREFIX, Flags, LEGACY_DATA_DIR_ENV, LEGACY_LOG_ENV};

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
}

/// The environment variable of a key: `http.listen` is `VOICEPIN_HTTP__LISTEN`.
pub fn env_name(section: &str, key: &str) -> String {
    format!("{ENV_PREFIX}{}__{}", section.to_ascii_uppercase(), key.to_ascii_uppercase())
}

pub(super) fn value_error(key: &'static str, message: String) -> ConfigError {
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
pub(super) fn to_table(config: &Config) -> toml::Table {
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
