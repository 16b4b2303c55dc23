//! A tiny SMTP server for the tests: EHLO, STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT, optionally over implicit TLS; told in advance how to answer
//! MAIL, RCPT and the end of DATA. Its certificate is in `tests/fixtures`. The delivery
//! benchmark (`benches/delivery.rs`) uses it too.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A message the server accepted.
#[derive(Clone, Debug)]
pub struct Received {
    pub helo: String,
    pub auth_user: Option<String>,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
}

/// Whether and how the server speaks TLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServerTls {
    /// Plain SMTP only.
    #[default]
    None,
    /// STARTTLS offered after EHLO.
    StartTls,
    /// STARTTLS, with the relay's own self-signed certificate ([`self_signed_file`]).
    StartTlsSelfSigned,
    /// TLS from the first byte (smtps).
    Implicit,
}

/// The CA that signed the server's certificate.
pub fn ca_file() -> std::path::PathBuf {
    fixture("test-ca.pem")
}

/// The self-signed (`CA:TRUE`) certificate of a [`ServerTls::StartTlsSelfSigned`] server.
pub fn self_signed_file() -> std::path::PathBuf {
    fixture("self-signed.pem")
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn acceptor(name: &str) -> TlsAcceptor {
    let certificates =
        CertificateDer::pem_file_iter(fixture(&format!("{name}.pem"))).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture(&format!("{name}.key"))).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// How the server behaves.
#[derive(Debug, Default)]
pub struct Behaviour {
    /// TLS, if any.
    pub tls: ServerTls,
    /// The user and password AUTH must give; without it, AUTH is not offered.
    pub credentials: Option<(String, String)>,
    /// The mechanisms offered (default "PLAIN LOGIN").
    pub mechanisms: Option<String>,
    /// Replies to the next MAIL commands (default 250).
    pub mail_replies: VecDeque<String>,
    /// Replies to the next RCPT commands (default 250).
    pub rcpt_replies: VecDeque<String>,
    /// Replies to the next ends of DATA (default 250).
    pub data_replies: VecDeque<String>,
}

#[derive(Debug, Default)]
struct Shared {
    behaviour: Behaviour,
    received: Vec<Received>,
    connections: usize,
    auth_failures: usize,
}

/// A running test server; stops when dropped.
pub struct SmtpServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    tasks: JoinSet<()>,
}

impl SmtpServer {
    /// Listens on a free loopback port.
    pub async fn start(behaviour: Behaviour) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), behaviour).await
    }

    /// Listens on `addr` (a port used before, to come back after being down).
    pub async fn start_on(addr: SocketAddr, behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared { behaviour, ..Shared::default() }));
        let mut tasks = JoinSet::new();
        let accept_shared = Arc::clone(&shared);
        tasks.spawn(async move {
            let mut sessions = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let tls = {
                    let mut shared = accept_shared.lock().unwrap();
                    shared.connections += 1;
                    shared.behaviour.tls
                };
                let session_shared = Arc::clone(&accept_shared);
                sessions.spawn(async move {
                    let _ = serve(stream, session_shared, tls).await;
                });
            }
        });
        Self { addr, shared, tasks }
    }

    /// The URL of this server, with an optional `user:password@`.
    pub fn url(&self, userinfo: &str) -> String {
        format!("smtp://{userinfo}{}", self.addr)
    }

    /// The messages accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// The messages accepted so far, forgotten by the server (a benchmark's server would
    /// otherwise hold every message it ever received).
    #[allow(dead_code)] // used by benches/delivery.rs, not by the tests
    pub fn take_received(&self) -> Vec<Received> {
        std::mem::take(&mut self.shared.lock().unwrap().received)
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.shared.lock().unwrap().connections
    }

    /// How many AUTH attempts were refused.
    pub fn auth_failures(&self) -> usize {
        self.shared.lock().unwrap().auth_failures
    }

    /// Stops listening and drops every open connection; the port is free again.
    pub async fn stop(mut self) -> SocketAddr {
        self.tasks.shutdown().await;
        self.addr
    }
}

/// A free loopback port nobody listens on (for a server that is down).
pub async fn unused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// How a session ended.
enum End {
    Closed,
    /// The client said STARTTLS and was told to go ahead.
    StartTls,
}

async fn serve(tcp: TcpStream, shared: Arc<Mutex<Shared>>, tls: ServerTls) -> std::io::Result<()> {
    match tls {
        ServerTls::None => {
            session(&mut BufReader::new(tcp), &shared, Mode::Plain).await?;
        }
        ServerTls::Implicit => {
            let secure = acceptor("test-server").accept(tcp).await?;
            session(&mut BufReader::new(secure), &shared, Mode::Secure { greet: true }).await?;
        }
        ServerTls::StartTls | ServerTls::StartTlsSelfSigned => {
            let name = if tls == ServerTls::StartTls { "test-server" } else { "self-signed" };
            let mut plain = BufReader::new(tcp);
            if let End::StartTls = session(&mut plain, &shared, Mode::OfferStartTls).await? {
                // The client waits for the 220 before its handshake: nothing is buffered.
                let secure = acceptor(name).accept(plain.into_inner()).await?;
                session(&mut BufReader::new(secure), &shared, Mode::Secure { greet: false }).await?;
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Mode {
    Plain,
    OfferStartTls,
    Secure { greet: bool },
}

async fn session<S>(stream: &mut BufReader<S>, shared: &Mutex<Shared>, mode: Mode) -> std::io::Result<End>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let secure = matches!(mode, Mode::Secure { .. });
    if !matches!(mode, Mode::Secure { greet: false }) {
        reply(stream, "220 localhost ESMTP voicepin-test").await?;
    }
    let mut helo = String::new();
    let mut auth_user = None;
    let mut mail_from = None;
    let mut rcpt_to = Vec::new();
    loop {
        let Some(line) = read_line(stream).await? else {
            return Ok(End::Closed);
        };
        let upper = line.to_ascii_uppercase();
        let verb = upper.split(' ').next().unwrap_or("").to_owned();
        match verb.as_str() {
            "EHLO" | "HELO" => {
                helo = line[5.min(line.len())..].trim().to_owned();
                let (needs_auth, mechanisms) = {
                    let shared = shared.lock().unwrap();
                    (
                        shared.behaviour.credentials.is_some(),
                        shared.behaviour.mechanisms.clone().unwrap_or_else(|| "PLAIN LOGIN".to_owned()),
                    )
                };
                let mut lines = vec!["250-localhost".to_owned(), "250-8BITMIME".to_owned()];
                if matches!(mode, Mode::OfferStartTls) {
                    lines.push("250-STARTTLS".to_owned());
                }
                if needs_auth {
                    lines.push(format!("250-AUTH {mechanisms}"));
                }
                lines.push("250 SIZE 10240000".to_owned());
                reply(stream, &lines.join("\r\n")).await?;
            }
            "AUTH" => {
                let mut words = line.split_whitespace().skip(1);
                let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
                let initial = words.next().map(str::to_owned);
                let given = match mechanism.as_str() {
                    "PLAIN" => {
                        let response = match initial {
                            Some(r) => r,
                            None => {
                                reply(stream, "334 ").await?;
                                read_line(stream).await?.unwrap_or_default()
                            }
                        };
                        let decoded = base64_decode(&response);
                        let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
                        (parts.len() == 3).then(|| {
                            (
                                String::from_utf8_lossy(parts[1]).into_owned(),
                                String::from_utf8_lossy(parts[2]).into_owned(),
                            )
                        })
                    }
                    "LOGIN" => {
                        reply(stream, "334 VXNlcm5hbWU6").await?;
                        let user = read_line(stream).await?.unwrap_or_default();
                        reply(stream, "334 UGFzc3dvcmQ6").await?;
                        let password = read_line(stream).await?.unwrap_or_default();
                        Some((
                            String::from_utf8_lossy(&base64_decode(&user)).into_owned(),
                            String::from_utf8_lossy(&base64_decode(&password)).into_owned(),
                        ))
                    }
                    _ => None,
                };
                let ok = {
                    let mut shared = shared.lock().unwrap();
                    let ok = given.is_some() && shared.behaviour.credentials == given;
                    if !ok {
                        shared.auth_failures += 1;
                    }
                    ok
                };
                if ok {
                    auth_user = given.map(|(user, _)| user);
                    reply(stream, "235 2.7.0 Authentication successful").await?;
                } else {
                    reply(stream, "535 5.7.8 Authentication credentials invalid").await?;
                }
            }
            "MAIL" => {
                let answer = {
                    let mut shared = shared.lock().unwrap();
                    if shared.behaviour.credentials.is_some() && auth_user.is_none() {
                        "530 5.7.0 Authentication required".to_owned()
                    } else {
                        shared.behaviour.mail_replies.pop_front().unwrap_or_else(|| "250 2.1.0 OK".to_owned())
                    }
                };
                if answer.starts_with('2') {
                    mail_from = Some(address_of(&line));
                    rcpt_to.clear();
                }
                reply(stream, &answer).await?;
            }
            "RCPT" => {
                let answer = shared
                    .lock()
                    .unwrap()
                    .behaviour
                    .rcpt_replies
                    .pop_front()
                    .unwrap_or_else(|| "250 2.1.5 OK".to_owned());
                if answer.starts_with('2') {
                    rcpt_to.push(address_of(&line));
                }
                reply(stream, &answer).await?;
            }
            "DATA" => {
                if mail_from.is_none() || rcpt_to.is_empty() {
                    reply(stream, "503 5.5.1 Bad sequence of commands").await?;
                    continue;
                }
                reply(stream, "354 End data with <CR><LF>.<CR><LF>").await?;
                let mut data = String::new();
                loop {
                    let Some(line) = read_line(stream).await? else {
                        return Ok(End::Closed);
                    };
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push_str("\r\n");
                }
                let answer = {
                    let mut shared = shared.lock().unwrap();
                    let answer =
                        shared.behaviour.data_replies.pop_front().unwrap_or_else(|| "250 2.0.0 queued".to_owned());
                    if answer.starts_with('2') {
                        shared.received.push(Received {
                            helo: helo.clone(),
                            auth_user: auth_user.clone(),
                            mail_from: mail_from.clone().unwrap_or_default(),
                            rcpt_to: rcpt_to.clone(),
                            data,
                            tls: secure,
                        });
                    }
                    answer
                };
                mail_from = None;
                rcpt_to.clear();
                reply(stream, &answer).await?;
            }
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                reply(stream, "250 2.0.0 OK").await?;
            }
            "STARTTLS" if matches!(mode, Mode::OfferStartTls) => {
                reply(stream, "220 2.0.0 Ready to start TLS").await?;
                return Ok(End::StartTls);
            }
            "NOOP" => reply(stream, "250 2.0.0 OK").await?,
            "QUIT" => {
                reply(stream, "221 2.0.0 Bye").await?;
                return Ok(End::Closed);
            }
            _ => reply(stream, "502 5.5.2 Command not recognized").await?,
        }
    }
}

/// One write per reply, as real servers do: a reply split over two writes waits for the
/// client's delayed ACK (Nagle), some 40 ms per command on Linux.
async fn reply<S: AsyncWrite + Unpin>(stream: &mut S, text: &str) -> std::io::Result<()> {
    stream.write_all(format!("{text}\r\n").as_bytes()).await?;
    stream.flush().await
}

async fn read_line<S: AsyncRead + Unpin>(stream: &mut BufReader<S>) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if stream.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

fn address_of(line: &str) -> String {
    line.split('<').nth(1).and_then(|rest| rest.split('>').next()).unwrap_or("").to_owned()
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.trim().bytes() {
        if c == b'=' {
            break;
        }
        let Some(value) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}
