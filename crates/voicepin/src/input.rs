//! What a command reads besides its arguments: a PIN from standard input, and who runs it.

use std::io::BufRead as _;

use anyhow::{Context, Result};
use voicepin_core::Pin;

/// Reads a PIN given on the command line, or from standard input for `-`.
pub fn pin_argument(text: Option<String>) -> Result<Option<Pin>> {
    match text {
        Some(text) if text == "-" => read_pin_line().map(Some),
        Some(text) => Ok(Some(Pin::new(text.trim()))),
        None => Ok(None),
    }
}

/// One line of standard input as a PIN (the line break and surrounding blanks removed).
pub fn read_pin_line() -> Result<Pin> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line).context("reading the PIN from standard input")?;
    Ok(Pin::new(line.trim()))
}

/// Who runs the command, for the audit log: the login name, or the numeric user id.
pub fn local_user() -> String {
    let named =
        ["SUDO_USER", "USER", "LOGNAME"].iter().find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
    named.unwrap_or_else(|| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/proc/self").map_or_else(|_| "unknown".into(), |m| format!("uid{}", m.uid()))
    })
}
