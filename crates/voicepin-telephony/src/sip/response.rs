//! Writing responses (RFC 3261 §8.2.6) and our own BYE (§15.1.1) as bytes.
//!
//! A response copies every Via (the topmost one marked with `received` and `rport` per
//! RFC 3581), From, To, Call-ID and CSeq from its request; the To gets our tag when the
//! response makes or belongs to a dialog.

use std::fmt::Write as _;
use std::net::SocketAddr;

use ezk_sip_types::{Headers, Name};

use super::Transport;

/// The methods this server accepts, for `Allow`.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO";

/// The reason phrase of a status code this server sends.
pub fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// What a response carries besides the copied headers.
#[derive(Debug, Default)]
pub struct Extra<'a> {
    /// Our To tag.
    pub to_tag: Option<&'a str>,
    /// More header lines, `(name, value)`.
    pub headers: Vec<(&'static str, String)>,
    /// `(content type, body)`.
    pub body: Option<(&'static str, &'a [u8])>,
}

/// A response to a request whose head is `headers`, received from `source`.
pub fn response(
    headers: &Headers,
    source: SocketAddr,
    rport: bool,
    code: u16,
    user_agent: &str,
    extra: &Extra<'_>,
) -> Vec<u8> {
    let mut text = format!("SIP/2.0 {code} {}\r\n", reason(code));
    for (index, via) in headers.get_raw(&Name::VIA).enumerate() {
        let via = if index == 0 { mark_top_via(via, source, rport) } else { via.to_string() };
        let _ = write!(text, "Via: {via}\r\n");
    }
    for (name, header) in [("From", Name::FROM), ("To", Name::TO), ("Call-ID", Name::CALL_ID), ("CSeq", Name::CSEQ)] {
        for value in headers.get_raw(&header) {
            let value = value.as_str();
            if header == Name::TO
                && let Some(tag) = extra.to_tag
                && !has_tag(value)
            {
                let _ = write!(text, "{name}: {value};tag={tag}\r\n");
            } else {
                let _ = write!(text, "{name}: {value}\r\n");
            }
        }
    }
    for (name, value) in &extra.headers {
        let _ = write!(text, "{name}: {value}\r\n");
    }
    let _ = write!(text, "Server: {user_agent}\r\n");
    finish(text, extra.body)
}

/// Our BYE in a dialog.
#[derive(Debug)]
pub struct Bye<'a> {
    /// The Request-URI: the remote target.
    pub uri: &'a str,
    /// How it is sent.
    pub transport: Transport,
    /// Our address for the Via.
    pub advertise: &'a str,
    /// The new branch.
    pub branch: &'a str,
    /// Our From: the INVITE's To, with our tag.
    pub from: String,
    /// Their To: the INVITE's From.
    pub to: &'a str,
    /// The Call-ID.
    pub call_id: &'a str,
    /// Our CSeq.
    pub cseq: u32,
    /// The route set, from the INVITE's Record-Route (in order, RFC 3261 §12.1.1).
    pub routes: Vec<String>,
    /// The User-Agent.
    pub user_agent: &'a str,
}

impl Bye<'_> {
    /// The request's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = format!("BYE {} SIP/2.0\r\n", self.uri);
        let _ = write!(text, "Via: SIP/2.0/{} {};branch={};rport\r\n", self.transport, self.advertise, self.branch);
        let _ = write!(text, "Max-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\n", self.from, self.to);
        let _ = write!(text, "Call-ID: {}\r\nCSeq: {} BYE\r\n", self.call_id, self.cseq);
        for route in &self.routes {
            let _ = write!(text, "Route: {route}\r\n");
        }
        let _ = write!(text, "User-Agent: {}\r\n", self.user_agent);
        finish(text, None)
    }
}

fn finish(mut text: String, body: Option<(&str, &[u8])>) -> Vec<u8> {
    match body {
        Some((content_type, body)) => {
            let _ = write!(text, "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len());
            let mut bytes = text.into_bytes();
            bytes.extend_from_slice(body);
            bytes
        }
        None => {
            text.push_str("Content-Length: 0\r\n\r\n");
            text.into_bytes()
        }
    }
}

/// Whether a From/To value carries a tag parameter (outside its `<...>`).
pub fn has_tag(value: &str) -> bool {
    let params = match value.rfind('>') {
        Some(close) => &value[close..],
        None => value,
    };
    params.split(';').skip(1).any(|p| p.trim().to_ascii_lowercase().starts_with("tag="))
}

/// The first Via of a header line marked with where it really came from: `received` always
/// (harmless when equal), `rport=PORT` when asked for (RFC 3581 §4).
fn mark_top_via(line: &str, source: SocketAddr, rport: bool) -> String {
    let (first, rest) = split_first_value(line);
    let mut parts = first.split(';');
    let mut marked = parts.next().unwrap_or_default().trim().to_owned();
    for param in parts {
        let name = param.split('=').next().unwrap_or_default().trim().to_ascii_lowercase();
        if name != "rport" && name != "received" {
            marked.push(';');
            marked.push_str(param.trim());
        }
    }
    let _ = write!(marked, ";received={}", source.ip());
    if rport {
        let _ = write!(marked, ";rport={}", source.port());
    }
    match rest {
        Some(rest) => format!("{marked},{rest}"),
        None => marked,
    }
}

/// A header line's first comma-separated value, and the rest (commas in quotes kept).
fn split_first_value(line: &str) -> (&str, Option<&str>) {
    let mut quoted = false;
    for (index, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => return (&line[..index], Some(&line[index + 1..])),
            _ => {}
        }
    }
    (line, None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_top_via_is_marked_and_the_others_kept() {
        let source: SocketAddr = "192.0.2.7:6000".parse().unwrap();
        let line = "SIP/2.0/UDP 10.0.0.1:5080;branch=z9hG4bKa;rport, SIP/2.0/UDP p;branch=z9hG4bKb";
        assert_eq!(
            mark_top_via(line, source, true),
            "SIP/2.0/UDP 10.0.0.1:5080;branch=z9hG4bKa;received=192.0.2.7;rport=6000, SIP/2.0/UDP p;branch=z9hG4bKb"
        );
        assert_eq!(
            mark_top_via("SIP/2.0/TCP h;branch=z9hG4bKa", source, false),
            "SIP/2.0/TCP h;branch=z9hG4bKa;received=192.0.2.7"
        );
    }

    #[test]
    fn tags_are_found_outside_the_uri_only() {
        assert!(has_tag("<sip:a@b>;tag=1"));
        assert!(!has_tag("<sip:a@b;tag=1>"));
        assert!(has_tag("sip:a@b;tag=1"));
        assert!(!has_tag("\"x\" <sip:a@b>"));
    }
}
