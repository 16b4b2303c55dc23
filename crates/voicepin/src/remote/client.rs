//! A small blocking HTTP client for the voicepin API: JSON in and out, the token in the
//! `Authorization: Bearer` header only, and the server's problem details turned into the
//! CLI's one-line messages and exit codes.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use voicepin_wire::Problem;
use zeroize::Zeroizing;

use crate::cli::Secret;
use crate::exit::{self, Failure};

/// How long to wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take (the server hashes PINs with Argon2id: a second or two).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest request body written (a policy with both its texts is well below).
const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// No query parameters.
pub const NO_QUERY: &() = &();
/// The largest response body read (a page of 1000 mailboxes is well below).
const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a command over the API did not run. Its `Display` is the one line the CLI prints;
/// none ever contains the token.
#[derive(Debug)]
pub enum RemoteError {
    /// The command works only on the local data directory.
    LocalOnly(&'static str),
    /// `--server` is not a usable URL.
    BadServer(String),
    /// No token was given, or the token file could not be read.
    NoToken(String),
    /// The server could not be reached, or did not answer in time.
    Transport { server: String, error: String },
    /// The server refused the request with problem details.
    Problem(Box<Problem>),
    /// The server answered something that is not the voicepin API.
    Unexpected { status: u16, what: String },
}

impl RemoteError {
    /// The failure the CLI reports: a problem worded from its members, or the CLI's own code.
    pub fn failure(&self) -> Failure {
        match self {
            Self::Problem(problem) => Failure::from_problem(problem),
            Self::LocalOnly(_) => Failure::new(exit::LOCAL_ONLY, self.to_string()),
            Self::BadServer(_) => Failure::new(exit::BAD_SERVER, self.to_string()),
            Self::NoToken(_) => Failure::new(exit::NO_TOKEN, self.to_string()),
            Self::Transport { .. } => Failure::new(exit::UNREACHABLE, self.to_string()),
            Self::Unexpected { .. } => Failure::new(exit::UNEXPECTED, self.to_string()),
        }
    }
}

impl std::error::Error for RemoteError {}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LocalOnly(what) => write!(
                f,
                "{what} works only on the local data directory (--data-dir); run it on the server without --server"
            ),
            Self::BadServer(why) => write!(f, "--server (VOICEPIN_SERVER): {why}"),
            Self::NoToken(why) => write!(f, "--server needs an API token: {why}"),
            Self::Transport { server, error } => write!(f, "cannot reach the server {server}: {error}"),
            Self::Problem(problem) => f.write_str(&Failure::from_problem(problem).message),
            Self::Unexpected { status, what } => {
                write!(f, "the server answered HTTP {status} with {what}; is --server a voicepin server?")
            }
        }
    }
}

/// The methods the CLI uses.
#[derive(Clone, Copy, Debug)]
pub enum Method {
    /// Read.
    Get,
    /// Create, or act.
    Post,
    /// Replace (the PIN).
    Put,
    /// Change some properties.
    Patch,
    /// Remove, disable, revoke.
    Delete,
}

/// A connection to one server with one token.
pub struct Client {
    agent: ureq::Agent,
    /// `https://host[:port][/prefix]`, without a trailing slash.
    base: String,
    /// `Bearer <token>`, wiped on drop.
    authorization: Zeroizing<String>,
}

impl Client {
    /// A client for `server` (checked: https, or http to a loopback address only, so the
    /// token never crosses a network in clear text) with the token given.
    pub fn new(server: &str, token: &Secret) -> Result<Self, RemoteError> {
        let base = check_server(server)?;
        if token.expose().is_empty() {
            return Err(RemoteError::NoToken("give --token, --token-file or VOICEPIN_TOKEN".into()));
        }
        if token.expose().chars().any(|c| c.is_control() || c == ' ') {
            return Err(RemoteError::NoToken("the token has spaces or control characters".into()));
        }
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            // A redirect would be to somewhere the token was not meant for.
            .max_redirects(0)
            .user_agent(concat!("voicepin-cli/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self { agent: config.into(), base, authorization: Zeroizing::new(format!("Bearer {}", token.expose())) })
    }

    /// `GET` a resource under `/api/v1` with query parameters (the properties of `query`
    /// that are given), and its JSON as `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str, query: &impl Serialize) -> Result<T, RemoteError> {
        let url = format!("{}{}", self.url(path), query_string(query));
        let text = self.call(Method::Get, &url, None)?;
        answer(200, &text)
    }

    /// Sends `body` as JSON with `method` to a resource under `/api/v1`, and the JSON
    /// answered as `T`. The body is written into a buffer that is wiped once sent: it may
    /// hold a PIN.
    pub fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, RemoteError> {
        let bytes = match body {
            Some(body) => {
                // Large enough that serialising never reallocates (which would leave a copy
                // of the PIN behind in freed memory).
                let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_REQUEST_BYTES));
                serde_json::to_writer(&mut *bytes, body).map_err(|error| RemoteError::Unexpected {
                    status: 0,
                    what: format!("an unwritable body: {error}"),
                })?;
                Some(bytes)
            }
            None => None,
        };
        let text = self.call(method, &self.url(path), bytes.as_deref().map(Vec::as_slice))?;
        answer(200, &text)
    }

    /// `DELETE`s a resource under `/api/v1` (`path` may carry a query), ignoring any answer.
    pub fn delete(&self, path: &str) -> Result<(), RemoteError> {
        self.call(Method::Delete, &self.url(path), None).map(drop)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// The text of a successful answer (perhaps empty), or the refusal.
    fn call(&self, method: Method, url: &str, body: Option<&[u8]>) -> Result<String, RemoteError> {
        let authorization = self.authorization.as_str();
        let result = match (method, body) {
            (Method::Get, _) => self.agent.get(url).header("Authorization", authorization).call(),
            (Method::Delete, _) => self.agent.delete(url).header("Authorization", authorization).call(),
            (Method::Post, None) => self.agent.post(url).header("Authorization", authorization).send_empty(),
            (Method::Post, Some(body)) => {
                self.agent.post(url).header("Authorization", authorization).content_type("application/json").send(body)
            }
            (Method::Put, body) => self
                .agent
                .put(url)
                .header("Authorization", authorization)
                .content_type("application/json")
                .send(body.unwrap_or(b"{}")),
            (Method::Patch, body) => self
                .agent
                .patch(url)
                .header("Authorization", authorization)
                .content_type("application/json")
                .send(body.unwrap_or(b"{}")),
        };
        let mut response = result.map_err(|error| self.transport(&error))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|error| self.transport(&error))?;
        if (200..300).contains(&status) {
            return Ok(text);
        }
        match serde_json::from_str::<Problem>(&text) {
            Ok(mut problem) if !problem.code.is_empty() => {
                problem.status = status;
                Err(RemoteError::Problem(Box::new(problem)))
            }
            _ => Err(RemoteError::Unexpected { status, what: "no problem details".into() }),
        }
    }

    fn transport(&self, error: &ureq::Error) -> RemoteError {
        let error = match error {
            ureq::Error::Timeout(_) => "no answer in time".to_owned(),
            other => other.to_string(),
        };
        RemoteError::Transport { server: self.base.clone(), error }
    }
}

/// An answer's JSON as `T`: anything else is not the voicepin API this client speaks.
fn answer<T: DeserializeOwned>(status: u16, text: &str) -> Result<T, RemoteError> {
    if text.trim().is_empty() {
        return Err(RemoteError::Unexpected { status, what: "no content where an object was expected".into() });
    }
    serde_json::from_str(text).map_err(|error| RemoteError::Unexpected {
        status,
        what: format!("a body that is not what this client expects ({error})"),
    })
}

/// `?name=value&...` of a query's given properties (none: empty), values percent-encoded.
fn query_string(query: &impl Serialize) -> String {
    let Ok(Value::Object(properties)) = serde_json::to_value(query) else { return String::new() };
    let mut out = String::new();
    for (name, value) in properties {
        let text = match value {
            Value::Null => continue,
            Value::String(text) => text,
            other => other.to_string(),
        };
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(&encode(&name));
        out.push('=');
        out.push_str(&encode(&text));
    }
    out
}

/// The server's base URL, checked: an `https://` URL, or `http://` to a loopback address.
fn check_server(server: &str) -> Result<String, RemoteError> {
    let server = server.trim().trim_end_matches('/');
    let (scheme, rest) = server
        .split_once("://")
        .ok_or_else(|| RemoteError::BadServer(format!("{server:?} is not a URL; like https://voicepin.contoso.com")))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || rest.contains(['?', '#']) {
        return Err(RemoteError::BadServer(format!(
            "{server:?} is not a server URL; like https://voicepin.contoso.com[:port][/path]"
        )));
    }
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(server.to_owned()),
        "http" if is_loopback(host) => Ok(server.to_owned()),
        "http" => Err(RemoteError::BadServer(format!(
            "plain http would send the token in clear text to {host}; use https:// (http only to a loopback \
             address)"
        ))),
        _ => Err(RemoteError::BadServer(format!("{server:?}: use https:// (or http:// to a loopback address)"))),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Percent-encodes a path segment or a query value: everything but RFC 3986's unreserved
/// characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_https_or_loopback_http() {
        assert_eq!(check_server("https://vp.contoso.com/").unwrap(), "https://vp.contoso.com");
        assert_eq!(
            check_server("https://vp.contoso.com:8443/voicepin").unwrap(),
            "https://vp.contoso.com:8443/voicepin"
        );
        assert!(check_server("http://127.0.0.1:8080").is_ok());
        assert!(check_server("http://localhost:8080").is_ok());
        assert!(check_server("http://[::1]:8080").is_ok());
        let error = check_server("http://vp.contoso.com").unwrap_err().to_string();
        assert!(error.contains("clear text to vp.contoso.com"), "{error}");
        assert!(check_server("vp.contoso.com").is_err());
        assert!(check_server("https://user:pw@vp.contoso.com").is_err());
        assert!(check_server("ftp://vp.contoso.com").is_err());
    }

    #[test]
    fn queries_carry_the_given_properties_only() {
        let query = voicepin_wire::MailboxListQuery {
            search: Some("Tony Smith".into()),
            locked_out: Some(true),
            limit: Some(10),
            ..Default::default()
        };
        assert_eq!(query_string(&query), "?search=Tony%20Smith&lockedOut=true&limit=10");
        assert_eq!(query_string(NO_QUERY), "");
    }

    #[test]
    fn identities_are_encoded_as_one_segment() {
        assert_eq!(encode("CONTOSO Default Policy"), "CONTOSO%20Default%20Policy");
        assert_eq!(encode("tony@contoso.com"), "tony%40contoso.com");
        assert_eq!(encode("a/b?c"), "a%2Fb%3Fc");
    }
}
