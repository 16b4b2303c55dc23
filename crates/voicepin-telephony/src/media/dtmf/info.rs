//! DTMF in SIP INFO requests: `application/dtmf-relay` (`Signal=5\r\nDuration=160`, the
//! Cisco form most PBXs send) and `application/dtmf` (the body is the key).
//!
//! Both name the key as a character, or as its event number (`10` for `*`, `11` for `#`, as
//! some gateways send). The session answers 200 to a parsed body, 415 to another content
//! type and 400 to a malformed body ([`InfoError::status`]).

use thiserror::Error;

use super::Digit;

/// Why an INFO body gave no digit.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InfoError {
    /// Not a DTMF content type: answer 415.
    #[error("unsupported content type {0:?}")]
    UnsupportedContentType(String),
    /// A DTMF content type whose body names no key: answer 400.
    #[error("malformed DTMF body")]
    Malformed,
}

impl InfoError {
    /// A stable code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedContentType(_) => "info-unsupported-content-type",
            Self::Malformed => "info-malformed-body",
        }
    }

    /// The SIP response status for the INFO.
    pub fn status(&self) -> u16 {
        match self {
            Self::UnsupportedContentType(_) => 415,
            Self::Malformed => 400,
        }
    }
}

/// The Content-Types accepted, for the Accept header of a 415.
pub const ACCEPTED_CONTENT_TYPES: &str = "application/dtmf-relay, application/dtmf";

/// The key an INFO body carries. `Ok(None)` only for an empty body, which some user agents
/// send as a keep-alive.
pub fn parse_info(content_type: &str, body: &[u8]) -> Result<Option<Digit>, InfoError> {
    let media_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let text = std::str::from_utf8(body).map_err(|_| InfoError::Malformed)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    match media_type.as_str() {
        "application/dtmf-relay" => parse_relay(text).map(Some),
        "application/dtmf" => key(text.trim()).map(Some).ok_or(InfoError::Malformed),
        _ => Err(InfoError::UnsupportedContentType(media_type)),
    }
}

fn parse_relay(text: &str) -> Result<Digit, InfoError> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("signal"))
        .and_then(|(_, value)| key(value.trim()))
        .ok_or(InfoError::Malformed)
}

fn key(value: &str) -> Option<Digit> {
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (Some(single), None) => Digit::from_char(single),
        _ => value.parse::<u8>().ok().filter(|&event| event <= 15).and_then(Digit::from_event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digit(text: &str) -> Result<Option<char>, InfoError> {
        parse_info("application/dtmf-relay", text.as_bytes()).map(|d| d.map(Digit::as_char))
    }

    #[test]
    fn dtmf_relay_bodies() {
        assert_eq!(digit("Signal=5\r\nDuration=160\r\n"), Ok(Some('5')));
        assert_eq!(digit("Signal= #\nDuration= 250"), Ok(Some('#')));
        assert_eq!(digit("signal=*\r\n"), Ok(Some('*')));
        assert_eq!(digit("Duration=160\r\nSignal=0"), Ok(Some('0')));
        assert_eq!(digit("Signal=10\r\nDuration=160"), Ok(Some('*')));
        assert_eq!(digit("Signal=11"), Ok(Some('#')));
        assert_eq!(digit("Signal=d"), Ok(Some('D')));
        assert_eq!(digit("Signal=16"), Err(InfoError::Malformed));
        assert_eq!(digit("Signal=\r\n"), Err(InfoError::Malformed));
        assert_eq!(digit("Duration=160"), Err(InfoError::Malformed));
        assert_eq!(digit("Signal=55"), Err(InfoError::Malformed));
        assert_eq!(digit(""), Ok(None));
    }

    #[test]
    fn dtmf_bodies() {
        let parse = |ct: &str, body: &[u8]| parse_info(ct, body).map(|d| d.map(Digit::as_char));
        assert_eq!(parse("application/dtmf", b"5"), Ok(Some('5')));
        assert_eq!(parse("Application/DTMF; charset=us-ascii", b" 9\r\n"), Ok(Some('9')));
        assert_eq!(parse("application/dtmf", b"11"), Ok(Some('#')));
        assert_eq!(parse("application/dtmf", b"x"), Err(InfoError::Malformed));
        assert_eq!(parse("application/dtmf", &[0xFF]), Err(InfoError::Malformed));
    }

    #[test]
    fn other_content_types_are_415() {
        let error = parse_info("application/sdp", b"v=0");
        assert_eq!(error, Err(InfoError::UnsupportedContentType("application/sdp".into())));
        assert_eq!(error.map_err(|e| e.status()), Err(415));
        assert_eq!(InfoError::Malformed.status(), 400);
    }
}
