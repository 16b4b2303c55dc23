//! The SMTP transport (lettre), configured by one URL.
//!
//! | URL | connection |
//! |---|---|
//! | `smtp://host` | plain SMTP, port 25, no TLS |
//! | `smtp://user:password@host:587?tls=required` | STARTTLS required (port 587 by default) |
//! | `smtp://host?tls=opportunistic` | STARTTLS when the server offers it |
//! | `smtps://host` | implicit TLS, port 465 |
//!
//! User and password are percent-decoded; the password may come from a file instead
//! ([`SmtpConfig::password_file`]). A PEM file can add to the public roots a private CA, or
//! the relay's own self-signed certificate, trusted as exactly that certificate
//! ([`crate::tls`]). Connections are pooled, reused between messages and opened without
//! Nagle's algorithm (see [`SmtpTransport`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::error::{MailError, SendError};
use crate::tls::{RelayStream, RelayTls, start_tls};
use crate::transport::{MessageInfo, Transport};

/// How long to wait for the server, by default (see [`SmtpConfig::timeout`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a connection may wait unused for the next message.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS: only for a relay on the same host or network.
    None,
    /// STARTTLS if the server offers it, plain otherwise.
    StartTlsOpportunistic,
    /// STARTTLS or nothing.
    StartTlsRequired,
    /// TLS from the first byte (`smtps`).
    ImplicitTls,
}

/// An SMTP URL, parsed. Its `Debug` and `Display` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// Host name or IP address (without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name to authenticate with, if any.
    pub user: Option<String>,
    password: Option<String>,
}

impl SmtpUrl {
    /// Parses `smtp://[user[:password]@]host[:port][/][?tls=required|opportunistic|none]`
    /// or `smtps://[user[:password]@]host[:port][/]`. Errors never repeat the URL: it may
    /// hold a password.
    pub fn parse(text: &str) -> Result<Self, MailError> {
        let invalid = |why: &str| MailError::Config(format!("SMTP URL: {why}"));
        let (scheme, rest) = text.trim().split_once("://").ok_or_else(|| invalid("expected smtp://… or smtps://…"))?;
        let implicit = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err(invalid("the scheme must be smtp or smtps")),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        if rest.contains('#') || query.is_some_and(|q| q.contains('#')) {
            return Err(invalid("a fragment (#) is not allowed"));
        }
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, ""),
        };
        if !path.is_empty() && path != "/" {
            return Err(invalid("a path is not allowed (set the HELO name with its own option)"));
        }

        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, password) = match info.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (info, None),
                };
                let user = percent_decode(user).ok_or_else(|| invalid("bad user name"))?;
                if user.is_empty() {
                    return Err(invalid("the user name is empty"));
                }
                let password =
                    password.map(|p| percent_decode(p).ok_or_else(|| invalid("bad password encoding"))).transpose()?;
                (Some(user), password)
            }
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| invalid("bad host or port"))?;

        let mut tls = None;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            match pair.split_once('=') {
                Some(("tls", value)) if tls.is_none() => tls = Some(value.to_ascii_lowercase()),
                Some(("tls", _)) => return Err(invalid("tls is given twice")),
                _ => return Err(invalid("the only query parameter is tls")),
            }
        }
        let security = match (implicit, tls.as_deref()) {
            (true, None) => SmtpSecurity::ImplicitTls,
            (true, Some(_)) => return Err(invalid("smtps is always TLS: drop the tls parameter")),
            (false, None | Some("none")) => SmtpSecurity::None,
            (false, Some("required")) => SmtpSecurity::StartTlsRequired,
            (false, Some("opportunistic")) => SmtpSecurity::StartTlsOpportunistic,
            (false, Some(_)) => return Err(invalid("tls must be required, opportunistic or none")),
        };
        let port = port.unwrap_or(match security {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTlsOpportunistic | SmtpSecurity::StartTlsRequired => 587,
            SmtpSecurity::ImplicitTls => 465,
        });
        Ok(Self { security, host, port, user, password })
    }

    /// The password given in the URL.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
}

impl fmt::Display for SmtpUrl {
    /// The URL without its password, for logs and status pages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.security == SmtpSecurity::ImplicitTls { "smtps" } else { "smtp" };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.user {
            write!(f, "{}@", percent_encode(user))?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        match self.security {
            SmtpSecurity::StartTlsRequired => f.write_str("?tls=required"),
            SmtpSecurity::StartTlsOpportunistic => f.write_str("?tls=opportunistic"),
            SmtpSecurity::None | SmtpSecurity::ImplicitTls => Ok(()),
        }
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("security", &self.security)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Host and optional port; IPv6 literals in brackets.
fn split_host_port(text: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        host.parse::<std::net::Ipv6Addr>().ok()?;
        (host.to_owned(), port)
    } else {
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        };
        let valid =
            !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
        if !valid {
            return None;
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None => None,
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0)?),
    };
    Some((host, port))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Everything needed to reach the SMTP server.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    /// The server, as a URL (see the [module documentation](self)).
    pub url: SmtpUrl,
    /// The name to introduce ourselves with in EHLO; by default the host name.
    pub helo_name: Option<String>,
    /// A PEM file of certificates to trust besides the public roots: CAs that issue the
    /// relay's certificate, or the relay's own certificate, trusted as exactly itself.
    pub ca_file: Option<PathBuf>,
    /// A file holding the password (trailing line break ignored), instead of the URL.
    pub password_file: Option<PathBuf>,
    /// How long connecting (TCP, TLS, EHLO, AUTH) may take, and how long sending one
    /// message may take.
    pub timeout: Duration,
    /// The most connections open at once.
    pub max_connections: u32,
}

impl SmtpConfig {
    /// A configuration for `url`, with the defaults for everything else.
    pub fn new(url: &str) -> Result<Self, MailError> {
        Ok(Self {
            url: SmtpUrl::parse(url)?,
            helo_name: None,
            ca_file: None,
            password_file: None,
            timeout: DEFAULT_TIMEOUT,
            max_connections: 2,
        })
    }
}

/// Sends messages to an SMTP server, reusing connections.
///
/// lettre speaks SMTP, but the sockets and the TLS are set up here, for two reasons:
/// lettre leaves Nagle's algorithm on, and it writes a message's body and the final `.`
/// separately, so the `.` waits for the server's delayed ACK (40 ms on Linux, up to 200 ms
/// elsewhere): some 22 messages a second per connection instead of hundreds, so every
/// connection is opened with `TCP_NODELAY` (lettre/lettre#1159); and lettre takes no
/// certificate verifier of ours, which trusting a relay's self-signed certificate needs
/// ([`crate::tls`]).
///
/// At most [`SmtpConfig::max_connections`] connections are open at once. After each
/// message a connection waits for the next one, which checks it with NOOP first, or closes
/// it instead if it waited longer than a minute (servers drop idle clients after a few
/// minutes). Nothing is connected before the first message; dropping the transport simply
/// closes the sockets.
pub struct SmtpTransport {
    url: SmtpUrl,
    hello: ClientId,
    protection: Protection,
    credentials: Option<Credentials>,
    timeout: Duration,
    /// One permit per connection in use.
    permits: Semaphore,
    /// Connections between messages, the most recently used last.
    idle: Mutex<Vec<IdleConnection>>,
}

/// The TLS of a connection, with its parameters.
enum Protection {
    None,
    StartTls { tls: RelayTls, required: bool },
    Implicit(RelayTls),
}

struct IdleConnection {
    connection: AsyncSmtpConnection,
    since: Instant,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport").field("url", &self.url).finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// Builds the transport, reading the CA and password files: a configuration error shows
    /// here, at start-up. Nothing is connected yet, and no runtime is needed yet.
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        let url = &config.url;
        let protection = match url.security {
            SmtpSecurity::None if config.ca_file.is_some() => {
                return Err(MailError::Config("a CA file is given but the SMTP URL asks for no TLS".to_owned()));
            }
            SmtpSecurity::None => Protection::None,
            SmtpSecurity::StartTlsOpportunistic => {
                Protection::StartTls { tls: RelayTls::new(&url.host, config.ca_file.as_deref())?, required: false }
            }
            SmtpSecurity::StartTlsRequired => {
                Protection::StartTls { tls: RelayTls::new(&url.host, config.ca_file.as_deref())?, required: true }
            }
            SmtpSecurity::ImplicitTls => Protection::Implicit(RelayTls::new(&url.host, config.ca_file.as_deref())?),
        };
        let credentials = credentials(config)?;
        if credentials.is_some() && url.security == SmtpSecurity::None {
            tracing::warn!(server = %url, "the SMTP password will be sent without TLS");
        }
        Ok(Self {
            url: url.clone(),
            hello: config.helo_name.clone().map(ClientId::Domain).unwrap_or_default(),
            protection,
            credentials,
            timeout: config.timeout,
            permits: Semaphore::new(config.max_connections.max(1) as usize),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The server, without its password.
    pub fn url(&self) -> &SmtpUrl {
        &self.url
    }

    /// Connects (with TLS and authentication as configured) and says NOOP: whether the
    /// server is reachable and accepts us.
    pub async fn test_connection(&self) -> Result<(), SendError> {
        let _permit = self.permit().await?;
        let mut connection = self.checkout().await?;
        match tokio::time::timeout(self.timeout, connection.test_connected()).await {
            Ok(true) => {
                self.park(connection);
                Ok(())
            }
            Ok(false) => Err(SendError::Transient("the SMTP server did not answer NOOP".to_owned())),
            Err(_) => Err(self.timed_out("waiting for NOOP")),
        }
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, SendError> {
        // The semaphore is never closed.
        self.permits.acquire().await.map_err(|e| SendError::Transient(e.to_string()))
    }

    /// A connection ready for a message: a waiting one that still answers NOOP, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        let reuse_or_connect = async {
            loop {
                let waiting = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
                let Some(IdleConnection { mut connection, since }) = waiting else {
                    return self.connect().await;
                };
                if since.elapsed() < IDLE_TIMEOUT && connection.test_connected().await {
                    return Ok(connection);
                }
                // Closed by the server, or unused too long: QUIT if it still listens.
                connection.abort().await;
            }
        };
        tokio::time::timeout(self.timeout, reuse_or_connect).await.unwrap_or_else(|_| Err(self.timed_out("connecting")))
    }

    /// Opens a connection: TCP (and TLS for smtps), greeting, EHLO, STARTTLS, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let server = (self.url.host.as_str(), self.url.port);
        let unreachable = |e: std::io::Error| SendError::Transient(format!("cannot connect to {}: {e}", self.url));
        let mut tcp = TcpStream::connect(server).await.map_err(unreachable)?;
        tcp.set_nodelay(true).map_err(unreachable)?;
        let stream = match &self.protection {
            Protection::None => RelayStream::plain(tcp),
            Protection::Implicit(tls) => RelayStream::tls(tls.handshake(tcp).await?),
            Protection::StartTls { tls, required } => {
                if start_tls(&mut tcp, &self.hello.to_string()).await? {
                    RelayStream::tls_greeted(tls.handshake(tcp).await?)
                } else if *required {
                    return Err(SendError::Transient(format!(
                        "{} does not offer STARTTLS, which the SMTP URL requires (tls=required)",
                        self.url
                    )));
                } else {
                    RelayStream::plain_greeted(tcp)
                }
            }
        };
        let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
            .await
            .map_err(|e| classify(&e))?;
        if let Some(credentials) = &self.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await.map_err(|e| classify(&e))?;
        }
        tracing::debug!(server = %self.url, "SMTP connection opened");
        Ok(connection)
    }

    /// Keeps a connection for the next message, unless lettre found it broken.
    fn park(&self, connection: AsyncSmtpConnection) {
        if !connection.has_broken() {
            let waiting = IdleConnection { connection, since: Instant::now() };
            self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(waiting);
        }
    }

    fn timed_out(&self, step: &str) -> SendError {
        SendError::Transient(format!("no answer from {} within {:?} while {step}", self.url, self.timeout))
    }
}

fn credentials(config: &SmtpConfig) -> Result<Option<Credentials>, MailError> {
    let url = &config.url;
    let from_file = match &config.password_file {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| MailError::io(format!("cannot read password file {}", path.display()), e))?;
            Some(text.trim_end_matches(['\r', '\n']).to_owned())
        }
    };
    let password = match (url.password(), from_file) {
        (Some(_), Some(_)) => {
            return Err(MailError::Config("the SMTP password is given both in the URL and in a file".to_owned()));
        }
        (Some(password), None) => Some(password.to_owned()),
        (None, from_file) => from_file,
    };
    match (&url.user, password) {
        (Some(user), Some(password)) => Ok(Some(Credentials::new(user.clone(), password))),
        (Some(_), None) => Err(MailError::Config("the SMTP URL names a user but no password is given".to_owned())),
        (None, Some(_)) => Err(MailError::Config("an SMTP password is given but the URL names no user".to_owned())),
        (None, None) => Ok(None),
    }
}

/// 5xx means this message will never be accepted, except the authentication replies:
/// those are about our configuration, and the message should wait until it is fixed.
fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    let code = error.status().map(u16::from);
    let text = error.to_string();
    match code {
        Some(530 | 534 | 535 | 538) => {
            SendError::Transient(format!("{text} (authentication refused: check the SMTP user and password)"))
        }
        _ if error.is_permanent() => SendError::Permanent(text),
        _ => SendError::Transient(text),
    }
}

#[async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, message: &Message, _info: &MessageInfo) -> Result<(), SendError> {
        let _permit = self.permit().await?;
        let mut connection = self.checkout().await?;
        let bytes = message.formatted();
        match tokio::time::timeout(self.timeout, connection.send(message.envelope(), &bytes)).await {
            Ok(result) => {
                self.park(connection);
                result.map(|_| ()).map_err(|e| classify(&e))
            }
            // Somewhere mid-exchange: the connection cannot be used again.
            Err(_) => Err(self.timed_out("sending")),
        }
    }

    fn destination(&self, _info: &MessageInfo) -> String {
        format!("sent to {}", self.url.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SmtpUrl {
        SmtpUrl::parse(text).unwrap()
    }

    #[test]
    fn plain_smtp_defaults_to_port_25() {
        let url = parse("smtp://mail.contoso.com");
        assert_eq!(url.security, SmtpSecurity::None);
        assert_eq!((url.host.as_str(), url.port), ("mail.contoso.com", 25));
        assert_eq!((url.user.as_deref(), url.password()), (None, None));
        assert_eq!(parse("smtp://mail.contoso.com:2525/").port, 2525);
    }

    #[test]
    fn starttls_defaults_to_port_587() {
        let url = parse("smtp://relay:s3cret@mail.contoso.com?tls=required");
        assert_eq!(url.security, SmtpSecurity::StartTlsRequired);
        assert_eq!(url.port, 587);
        assert_eq!(url.user.as_deref(), Some("relay"));
        assert_eq!(url.password(), Some("s3cret"));
        let url = parse("SMTP://mail.contoso.com:25?tls=Opportunistic");
        assert_eq!(url.security, SmtpSecurity::StartTlsOpportunistic);
        assert_eq!(url.port, 25);
    }

    #[test]
    fn smtps_is_implicit_tls_on_465() {
        let url = parse("smtps://mail.contoso.com");
        assert_eq!(url.security, SmtpSecurity::ImplicitTls);
        assert_eq!(url.port, 465);
        assert!(SmtpUrl::parse("smtps://mail.contoso.com?tls=required").is_err());
    }

    #[test]
    fn user_and_password_are_percent_decoded() {
        let url = parse("smtp://voice%40contoso.com:p%3Ass%40w%2Fo%25rd@mail.contoso.com:587");
        assert_eq!(url.user.as_deref(), Some("voice@contoso.com"));
        assert_eq!(url.password(), Some("p:ss@w/o%rd"));
        // An unencoded @ in the password still works: the host follows the last @.
        let url = parse("smtp://relay:p@ss@mail.contoso.com");
        assert_eq!(url.password(), Some("p@ss"));
        assert_eq!(url.host, "mail.contoso.com");
        let url = parse("smtp://caf%C3%A9:x@h");
        assert_eq!(url.user.as_deref(), Some("caf\u{e9}"));
    }

    #[test]
    fn ipv6_literals_take_brackets() {
        let url = parse("smtp://[::1]:2525");
        assert_eq!((url.host.as_str(), url.port), ("::1", 2525));
        assert_eq!(url.to_string(), "smtp://[::1]:2525");
        assert_eq!(parse("smtp://[2001:db8::25]").port, 25);
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_the_password() {
        for text in [
            "mail.contoso.com",
            "http://mail.contoso.com",
            "smtp://",
            "smtp://:pw@host",
            "smtp://host:0",
            "smtp://host:99999",
            "smtp://host:port",
            "smtp://ho st",
            "smtp://host/helo",
            "smtp://host?tls=maybe",
            "smtp://host?tls=required&tls=none",
            "smtp://host?starttls=1",
            "smtp://user:hunter2%zz@host",
            "smtp://user:hunter2@host#frag",
            "smtp://[::1",
            "smtp://[nothex]:25",
        ] {
            let error = SmtpUrl::parse(text).unwrap_err();
            assert_eq!(error.code(), "mail-config-invalid", "{text}");
            assert!(!error.to_string().contains("hunter2"), "{text}: {error}");
        }
    }

    #[test]
    fn display_and_debug_hide_the_password() {
        let url = parse("smtp://relay%20user:hunter2@Mail.Contoso.com?tls=required");
        assert_eq!(url.to_string(), "smtp://relay%20user@mail.contoso.com:587?tls=required");
        let debug = format!("{url:?}");
        assert!(!debug.contains("hunter2"));
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn password_may_come_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smtp-password");
        std::fs::write(&path, "from file\n").unwrap();
        let mut config = SmtpConfig::new("smtp://relay@mail.contoso.com?tls=required").unwrap();
        config.password_file = Some(path.clone());
        assert!(credentials(&config).unwrap().is_some());
        assert!(SmtpTransport::new(&config).is_ok());

        let mut both = SmtpConfig::new("smtp://relay:x@mail.contoso.com").unwrap();
        both.password_file = Some(path.clone());
        assert_eq!(credentials(&both).unwrap_err().code(), "mail-config-invalid");

        let no_password = SmtpConfig::new("smtp://relay@mail.contoso.com").unwrap();
        assert!(credentials(&no_password).is_err());

        let mut no_user = SmtpConfig::new("smtp://mail.contoso.com").unwrap();
        no_user.password_file = Some(path);
        assert!(credentials(&no_user).is_err());

        let mut missing = SmtpConfig::new("smtp://relay@mail.contoso.com").unwrap();
        missing.password_file = Some(dir.path().join("nope"));
        assert_eq!(credentials(&missing).unwrap_err().code(), "mail-io-failed");
    }

    #[test]
    fn a_ca_file_must_be_pem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\nnot base64!\n").unwrap();
        let mut config = SmtpConfig::new("smtps://mail.contoso.com").unwrap();
        config.ca_file = Some(path);
        assert_eq!(SmtpTransport::new(&config).unwrap_err().code(), "mail-config-invalid");
        let mut plain = SmtpConfig::new("smtp://mail.contoso.com").unwrap();
        plain.ca_file = Some(dir.path().join("ca.pem"));
        assert!(SmtpTransport::new(&plain).is_err());
    }
}
