//! SIP messages as the user agent server reads them: the start line and the headers it acts
//! on, parsed with `ezk-sip-types` (compact forms, comma-joined values, name-addr grammar),
//! with the raw header values kept so that responses copy Via, From, To, Call-ID and CSeq
//! byte for byte (RFC 3261 §8.2.6.2).
//!
//! Parsing never panics on any input; anything it cannot read is a [`ParseError`], and when
//! the head was readable the error carries it so the caller can still answer 400.

use bytes::Bytes;
use ezk_sip_types::header::typed::{CSeq, CallID, FromTo, MaxForwards, Require, Via};
use ezk_sip_types::msg::{Line, PullParser};
use ezk_sip_types::{Headers, Name};
use thiserror::Error;

/// The methods this server knows; any other is [`Method::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// Starts a call.
    Invite,
    /// Confirms a final response to an INVITE.
    Ack,
    /// Ends a call.
    Bye,
    /// Withdraws a pending INVITE.
    Cancel,
    /// Asks for capabilities (PBX health checks).
    Options,
    /// Carries DTMF in a call.
    Info,
    /// Anything else, as written.
    Other(String),
}

impl Method {
    /// The method's token; methods are case-sensitive (RFC 3261 §7.1).
    pub fn from_token(token: &str) -> Self {
        match token {
            "INVITE" => Self::Invite,
            "ACK" => Self::Ack,
            "BYE" => Self::Bye,
            "CANCEL" => Self::Cancel,
            "OPTIONS" => Self::Options,
            "INFO" => Self::Info,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The token as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Invite => "INVITE",
            Self::Ack => "ACK",
            Self::Bye => "BYE",
            Self::Cancel => "CANCEL",
            Self::Options => "OPTIONS",
            Self::Info => "INFO",
            Self::Other(other) => other,
        }
    }
}

/// Why a datagram or segment is not a usable SIP message.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    /// Not SIP at all (no readable start line): dropped without an answer.
    #[error("not a SIP message: {0}")]
    NotSip(&'static str),
    /// A request whose head was read but which is broken: answered 400 when its Via allows.
    #[error("malformed request: {0}")]
    BadRequest(&'static str),
    /// A response that cannot be read: dropped.
    #[error("malformed response: {0}")]
    BadResponse(&'static str),
}

/// The topmost Via of a request: where its responses go and which transaction it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopVia {
    /// `UDP`, `TCP`, ... upper-cased.
    pub transport: String,
    /// The sent-by host (an address or a name), as written.
    pub host: String,
    /// The sent-by port, if written.
    pub port: Option<u16>,
    /// The branch parameter; empty if absent (an RFC 2543 client).
    pub branch: String,
    /// Whether the client asked for `rport` (RFC 3581).
    pub rport: bool,
}

impl TopVia {
    /// `host:port` as the transaction key's sent-by.
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }
}

/// A parsed request.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method of the start line.
    pub method: Method,
    /// The Request-URI as written.
    pub uri: String,
    /// Every header, raw values kept.
    pub headers: Headers,
    /// The body (exactly Content-Length bytes).
    pub body: Bytes,
    /// The topmost Via.
    pub via: TopVia,
    /// Call-ID.
    pub call_id: String,
    /// The CSeq number.
    pub cseq: u32,
    /// The CSeq method (equal to [`Request::method`], checked).
    pub cseq_method: Method,
    /// The From tag.
    pub from_tag: Option<String>,
    /// The To tag: present on requests inside a dialog.
    pub to_tag: Option<String>,
    /// Max-Forwards, if present.
    pub max_forwards: Option<u8>,
    /// The option tags of every Require header.
    pub require: Vec<String>,
}

/// A parsed response (only to our own BYE).
#[derive(Clone, Debug)]
pub struct Response {
    /// The status code.
    pub code: u16,
    /// The branch of the topmost Via: our client transaction.
    pub branch: String,
    /// The CSeq method.
    pub cseq_method: Method,
}

/// A SIP message.
#[derive(Clone, Debug)]
pub enum Message {
    /// A request (boxed: it is six times the size of a response).
    Request(Box<Request>),
    /// A response.
    Response(Response),
}

/// A request whose head was read but not validated: enough to answer 400.
#[derive(Clone, Debug)]
pub struct RawHead {
    /// Every header.
    pub headers: Headers,
    /// The method of the start line.
    pub method: Method,
}

/// The result of [`parse`]: a message, or an error with the readable head if any.
pub type Parsed = Result<Message, (ParseError, Option<RawHead>)>;

/// Parses one whole message (a datagram, or one framed message of a stream).
pub fn parse(input: &[u8]) -> Parsed {
    let source = Bytes::copy_from_slice(input);
    let mut lines = PullParser::new(&source, 0);
    let start = match lines.next() {
        Some(Ok(line)) => line,
        _ => return Err((ParseError::NotSip("no start line"), None)),
    };
    let start = std::str::from_utf8(start).map_err(|_| (ParseError::NotSip("start line is not UTF-8"), None))?;
    let start = StartLine::read(start).ok_or((ParseError::NotSip("no SIP/2.0 start line"), None))?;
    let mut headers = Headers::new();
    let mut broken = None;
    for line in lines.by_ref() {
        let Ok(line) = line else {
            return Err((incomplete(&start), None));
        };
        let Ok(text) = std::str::from_utf8(line) else {
            broken = Some("a header is not UTF-8");
            continue;
        };
        match Line::parse(&source, text) {
            Ok((_, line)) if !line.name.as_print_str().is_empty() => headers.insert(line.name, line.value.trim()),
            _ => broken = Some("a header line has no name"),
        }
    }
    let head_end = lines.head_end();
    let body = body(&source, head_end, &headers);
    match start {
        StartLine::Request { method, uri } => {
            let head = RawHead { headers, method };
            if let Some(reason) = broken {
                return Err((ParseError::BadRequest(reason), Some(head)));
            }
            let body = match body {
                Ok(body) => body,
                Err(reason) => return Err((ParseError::BadRequest(reason), Some(head))),
            };
            match request(&head, uri, body) {
                Ok(request) => Ok(Message::Request(Box::new(request))),
                Err(reason) => Err((ParseError::BadRequest(reason), Some(head))),
            }
        }
        StartLine::Response { code } => {
            if let Some(reason) = broken {
                return Err((ParseError::BadResponse(reason), None));
            }
            response(&headers, code).map(Message::Response).map_err(|reason| (ParseError::BadResponse(reason), None))
        }
    }
}

fn incomplete(start: &StartLine) -> ParseError {
    match start {
        StartLine::Request { .. } => ParseError::NotSip("the head has no end"),
        StartLine::Response { .. } => ParseError::BadResponse("the head has no end"),
    }
}

enum StartLine {
    Request { method: Method, uri: String },
    Response { code: u16 },
}

impl StartLine {
    fn read(line: &str) -> Option<Self> {
        if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
            let code = rest.trim_start().split(' ').next()?;
            let code: u16 = code.trim().parse().ok()?;
            return (100..700).contains(&code).then_some(Self::Response { code });
        }
        let mut parts = line.split(' ');
        let method = parts.next()?;
        let uri = parts.next()?;
        let version = parts.next()?;
        let token =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b));
        if parts.next().is_some() || version != "SIP/2.0" || !token(method) || uri.is_empty() || !uri.contains(':') {
            return None;
        }
        Some(Self::Request { method: Method::from_token(method), uri: uri.to_owned() })
    }
}

/// Exactly Content-Length bytes after the head; all of them when the header is absent
/// (allowed on UDP only, where the framing layer does not apply).
fn body(source: &Bytes, head_end: usize, headers: &Headers) -> Result<Bytes, &'static str> {
    let rest = source.slice(head_end.min(source.len())..);
    let Some(length) = headers.get_raw(&Name::CONTENT_LENGTH).next() else {
        return Ok(rest);
    };
    let length: usize = length.trim().parse().map_err(|_| "Content-Length is not a number")?;
    if length > rest.len() {
        return Err("the body is shorter than Content-Length");
    }
    Ok(rest.slice(..length))
}

fn top_via(headers: &Headers) -> Result<TopVia, &'static str> {
    let vias: Vec<Via> = headers.get_named().map_err(|_| "no readable Via")?;
    let via = vias.first().ok_or("no Via")?;
    Ok(TopVia {
        transport: via.transport.to_ascii_uppercase(),
        host: via.sent_by.host.to_string(),
        port: via.sent_by.port,
        branch: via.params.get_val("branch").map(|b| b.to_string()).unwrap_or_default(),
        rport: via.params.get("rport").is_some(),
    })
}

fn request(head: &RawHead, uri: String, body: Bytes) -> Result<Request, &'static str> {
    let headers = &head.headers;
    let via = top_via(headers)?;
    let call_id: CallID = headers.get_named().map_err(|_| "no Call-ID")?;
    let cseq: CSeq = headers.get_named().map_err(|_| "no readable CSeq")?;
    let from: FromTo = headers.get(Name::FROM).map_err(|_| "no readable From")?;
    let to: FromTo = headers.get(Name::TO).map_err(|_| "no readable To")?;
    let cseq_method = Method::from_token(&cseq.method.to_string());
    if cseq_method != head.method {
        return Err("the CSeq method differs from the request's");
    }
    let max_forwards = match headers.get_raw(&Name::MAX_FORWARDS).next() {
        Some(_) => Some(headers.get_named::<MaxForwards>().map_err(|_| "Max-Forwards is not a number")?.0),
        None => None,
    };
    let require = match headers.contains(&Name::REQUIRE) {
        true => headers
            .get_named::<Vec<Require>>()
            .map_err(|_| "no readable Require")?
            .into_iter()
            .map(|r| r.0.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect(),
        false => Vec::new(),
    };
    Ok(Request {
        method: head.method.clone(),
        uri,
        headers: headers.clone(),
        body,
        via,
        call_id: call_id.0.trim().to_owned(),
        cseq: cseq.cseq,
        cseq_method,
        from_tag: from.tag.map(|t| t.to_string()),
        to_tag: to.tag.map(|t| t.to_string()),
        max_forwards,
        require,
    })
}

fn response(headers: &Headers, code: u16) -> Result<Response, &'static str> {
    let via = top_via(headers)?;
    let cseq: CSeq = headers.get_named().map_err(|_| "no readable CSeq")?;
    Ok(Response { code, branch: via.branch, cseq_method: Method::from_token(&cseq.method.to_string()) })
}

impl Request {
    /// The first raw value of a header (one header line; comma-joined values stay joined).
    pub fn header(&self, name: &Name) -> Option<&str> {
        self.headers.get_raw(name).next().map(|v| v.as_str())
    }

    /// The media type of the body, lower-cased and without parameters.
    pub fn content_type(&self) -> Option<String> {
        let value = self.header(&Name::CONTENT_TYPE)?;
        Some(value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
    }

    /// The user part of the Request-URI: the number that was dialled.
    pub fn uri_user(&self) -> Option<String> {
        uri_user(&self.uri)
    }

    /// The user part of the From URI: the caller ID.
    pub fn from_user(&self) -> Option<String> {
        let from = self.header(&Name::FROM)?;
        uri_user(addr_spec(from))
    }

    /// The Contact's URI: where requests inside the dialog go.
    pub fn contact_uri(&self) -> Option<String> {
        self.header(&Name::CONTACT).map(|c| addr_spec(c).to_owned())
    }
}

/// The addr-spec of a name-addr or addr-spec header value: `"A" <sip:a@b>;tag=1` → `sip:a@b`.
pub fn addr_spec(value: &str) -> &str {
    if let Some(open) = value.find('<') {
        let rest = &value[open + 1..];
        return rest.split('>').next().unwrap_or(rest).trim();
    }
    value.split(';').next().unwrap_or(value).trim()
}

/// The user part of a `sip:`, `sips:` or `tel:` URI, unescaped of nothing (digits expected).
pub fn uri_user(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    match scheme.to_ascii_lowercase().as_str() {
        "tel" => Some(rest.split(';').next().unwrap_or_default().to_owned()).filter(|u| !u.is_empty()),
        "sip" | "sips" => {
            let (user, _) = rest.split_once('@')?;
            let user = user.split([';', ':']).next().unwrap_or_default();
            (!user.is_empty()).then(|| user.to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const COMPACT_INVITE: &str = "INVITE sip:+14255550100@127.0.0.1:5060 SIP/2.0\r\n\
        v: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-1;rport\r\n\
        f: \"Tony\" <sip:+14255550123@127.0.0.1>;tag=abc\r\n\
        t: <sip:+14255550100@127.0.0.1>\r\n\
        i: 1-2-3@127.0.0.1\r\n\
        CSeq: 1 INVITE\r\n\
        m: <sip:tony@127.0.0.1:5080;transport=udp>\r\n\
        Max-Forwards: 70\r\n\
        c: application/sdp\r\n\
        l: 4\r\n\r\nv=0\r\nextra";

    fn request(text: &str) -> Request {
        match parse(text.as_bytes()) {
            Ok(Message::Request(request)) => *request,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_compact_invite_is_read() {
        let r = request(COMPACT_INVITE);
        assert_eq!(r.method, Method::Invite);
        assert_eq!(r.via.branch, "z9hG4bK-1");
        assert!(r.via.rport);
        assert_eq!(r.via.sent_by(), "127.0.0.1:5080");
        assert_eq!(r.call_id, "1-2-3@127.0.0.1");
        assert_eq!((r.cseq, r.cseq_method.clone()), (1, Method::Invite));
        assert_eq!(r.from_tag.as_deref(), Some("abc"));
        assert_eq!(r.to_tag, None);
        assert_eq!(r.max_forwards, Some(70));
        assert_eq!(&r.body[..], b"v=0\r");
        assert_eq!(r.content_type().as_deref(), Some("application/sdp"));
        assert_eq!(r.uri_user().as_deref(), Some("+14255550100"));
        assert_eq!(r.from_user().as_deref(), Some("+14255550123"));
        assert_eq!(r.contact_uri().as_deref(), Some("sip:tony@127.0.0.1:5080;transport=udp"));
    }

    #[test]
    fn require_tags_are_listed() {
        let text = COMPACT_INVITE.replace("Max-Forwards: 70", "Require: 100rel, timer\r\nMax-Forwards: 0");
        let r = request(&text);
        assert_eq!(r.require, ["100rel", "timer"]);
        assert_eq!(r.max_forwards, Some(0));
    }

    #[test]
    fn broken_requests_keep_their_head_for_a_400() {
        for (from, to) in [
            ("CSeq: 1 INVITE", "CSeq: 1 BYE"),
            ("CSeq: 1 INVITE", "CSeq: x INVITE"),
            ("l: 4", "l: 400"),
            ("i: 1-2-3@127.0.0.1\r\n", ""),
            ("Max-Forwards: 70", "Max-Forwards: many"),
        ] {
            let text = COMPACT_INVITE.replace(from, to);
            match parse(text.as_bytes()) {
                Err((ParseError::BadRequest(_), Some(head))) => assert_eq!(head.method, Method::Invite),
                other => panic!("{from} -> {to}: {other:?}"),
            }
        }
    }

    #[test]
    fn garbage_is_not_sip() {
        for input in [&b""[..], b"\r\n\r\n", b"hello", b"\xff\xfe\r\n\r\n", b"INVITE sip:a SIP/3.0\r\n\r\n"] {
            assert!(matches!(parse(input), Err((ParseError::NotSip(_), None))), "{input:?}");
        }
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(Method::from_token("invite"), Method::Other("invite".into()));
        assert_eq!(Method::from_token("INVITEX"), Method::Other("INVITEX".into()));
    }

    #[test]
    fn a_response_names_its_branch() {
        let text = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbye1\r\n\
            CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
        match parse(text.as_bytes()) {
            Ok(Message::Response(r)) => {
                assert_eq!((r.code, r.branch.as_str(), r.cseq_method), (200, "z9hG4bKbye1", Method::Bye))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn uri_users() {
        assert_eq!(uri_user("sip:36697@pbx;user=phone").as_deref(), Some("36697"));
        assert_eq!(uri_user("sip:a:pw@pbx").as_deref(), Some("a"));
        assert_eq!(uri_user("tel:+14255550100;phone-context=x").as_deref(), Some("+14255550100"));
        assert_eq!(uri_user("sip:pbx.example"), None);
        assert_eq!(addr_spec("\"A, B\" <sip:a@b;lr>;tag=1"), "sip:a@b;lr");
    }
}
