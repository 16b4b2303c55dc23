//! TLS towards the SMTP relay: which certificates are trusted, and the streams handed to lettre.
//!
//! The relay's certificate is trusted when it is issued (through the intermediates it sends)
//! by the public roots or by a CA certificate of [`SmtpConfig::ca_file`](crate::SmtpConfig),
//! for the relay's host name; or when it **is** one of the certificates of that file, byte
//! for byte: a relay's own self-signed certificate (what `openssl req -x509` makes carries
//! `CA:TRUE`, which webpki refuses as a server's certificate with `CaUsedAsEndEntity`). Such a
//! pinned certificate must be within its validity period, and the relay must prove it holds
//! its key in the handshake; its names are not checked, since the file names exactly the
//! certificate to expect (as DANE-EE does).
//!
//! lettre 0.11 builds its rustls configuration itself, with no way to pass a verifier, so
//! the TLS is done here (tokio-rustls, the same rustls and ring) and the protected stream is
//! handed to lettre ([`RelayStream`]). STARTTLS is spoken here up to the handshake.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    self, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::error::{MailError, SendError};

/// The setting to name when the relay's certificate is not trusted.
pub const CA_FILE_SETTING: &str = "mail.smtp_ca_file (VOICEPIN_MAIL__SMTP_CA_FILE)";

/// How to protect connections to one relay.
#[derive(Clone)]
pub(crate) struct RelayTls {
    connector: TlsConnector,
    server_name: ServerName<'static>,
    ca_file: Option<PathBuf>,
}

impl fmt::Debug for RelayTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayTls").field("server_name", &self.server_name).field("ca_file", &self.ca_file).finish()
    }
}

impl RelayTls {
    /// TLS for `host`, trusting the public roots and the certificates of `ca_file`.
    pub(crate) fn new(host: &str, ca_file: Option<&Path>) -> Result<Self, MailError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let pinned = match ca_file {
            Some(path) => read_certificates(path)?,
            None => Vec::new(),
        };
        for certificate in &pinned {
            // A relay's own leaf need not make a trust anchor; it is trusted as itself.
            let _ = roots.add(certificate.clone());
        }
        let invalid = |e: String| MailError::Config(format!("TLS for {host}: {e}"));
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        let verifier = RelayVerifier { webpki, pinned, provider: provider.clone() };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let server_name = ServerName::try_from(host.to_owned()).map_err(|e| invalid(e.to_string()))?;
        Ok(Self {
            connector: TlsConnector::from(Arc::new(config)),
            server_name,
            ca_file: ca_file.map(Path::to_path_buf),
        })
    }

    /// The TLS handshake over `tcp`.
    pub(crate) async fn handshake(&self, tcp: TcpStream) -> Result<TlsStream<TcpStream>, SendError> {
        self.connector.connect(self.server_name.clone(), tcp).await.map_err(|e| self.handshake_failed(&e))
    }

    fn handshake_failed(&self, error: &io::Error) -> SendError {
        let untrusted = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)));
        if !untrusted {
            return SendError::Transient(format!("TLS handshake with the SMTP server failed: {error}"));
        }
        let advice = match &self.ca_file {
            None => format!(
                "set {CA_FILE_SETTING} to a PEM file holding the relay's own certificate or the CA that issued it"
            ),
            Some(path) => format!(
                "neither in {} nor issued by a CA in it: put the relay's own certificate or its CA there \
                 ({CA_FILE_SETTING})",
                path.display()
            ),
        };
        SendError::Transient(format!("the SMTP server's certificate is not trusted ({error}); {advice}"))
    }
}

/// The PEM certificates of a CA file; at least one.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, MailError> {
    let pem = std::fs::read(path).map_err(|e| MailError::io(format!("cannot read CA file {}", path.display()), e))?;
    let invalid = |why: String| MailError::Config(format!("CA file {}: {why}", path.display()));
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("not PEM: {e}")))?;
    if certificates.is_empty() {
        // Trusting nothing is surely a mistake.
        return Err(invalid("no PEM certificate in it".to_owned()));
    }
    for certificate in &certificates {
        validity(certificate).ok_or_else(|| invalid("a certificate in it is not X.509".to_owned()))?;
    }
    Ok(certificates)
}

/// Webpki verification, or an exact match with a certificate of the CA file.
#[derive(Debug)]
struct RelayVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for RelayVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.pinned.iter().any(|pinned| pinned.as_ref() == end_entity.as_ref()) {
            let (not_before, not_after) = validity(end_entity).ok_or(CertificateError::BadEncoding)?;
            let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
            if now < not_before {
                return Err(CertificateError::NotValidYet.into());
            }
            if now > not_after {
                return Err(CertificateError::Expired.into());
            }
            return Ok(ServerCertVerified::assertion());
        }
        self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A certificate's notBefore and notAfter, in Unix seconds (RFC 5280 4.1.2.5).
fn validity(certificate: &[u8]) -> Option<(i64, i64)> {
    let (certificate, _) = element(certificate, 0x30)?;
    let (tbs, _) = element(certificate, 0x30)?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = element(rest, 0xa0)?.1; // version
    }
    rest = element(rest, 0x02)?.1; // serialNumber
    rest = element(rest, 0x30)?.1; // signature
    rest = element(rest, 0x30)?.1; // issuer
    let (validity, _) = element(rest, 0x30)?;
    let (not_before, rest) = time(validity)?;
    let (not_after, _) = time(rest)?;
    Some((not_before, not_after))
}

/// One DER element with tag `tag`: its contents and what follows it.
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7f);
            let (bytes, rest) = rest.split_at_checked(count)?;
            (bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b)), rest)
        }
        _ => return None,
    };
    rest.split_at_checked(length)
}

/// A UTCTime or GeneralizedTime in UTC (`Z`), in Unix seconds, and what follows it.
fn time(input: &[u8]) -> Option<(i64, &[u8])> {
    let (tag, digits) = match input.first()? {
        0x17 => (0x17, 2),
        0x18 => (0x18, 4),
        _ => return None,
    };
    let (text, rest) = element(input, tag)?;
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    if text.len() != digits + 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i32>().ok();
    let mut year = number(0..digits)?;
    if digits == 2 {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let field = |at: usize| number(digits + at..digits + at + 2).and_then(|n| u8::try_from(n).ok());
    let month = time::Month::try_from(field(0)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, field(2)?).ok()?;
    let at = date.with_hms(field(4)?, field(6)?, field(8)?).ok()?.assume_utc();
    Some((at.unix_timestamp(), rest))
}

/// Speaks plain SMTP up to STARTTLS: reads the greeting, says EHLO and, if the server offers
/// it, STARTTLS. Whether to go on with TLS: false when the server does not offer it.
pub(crate) async fn start_tls(tcp: &mut TcpStream, hello: &str) -> Result<bool, SendError> {
    read_reply(tcp, "greeting").await?;
    tcp.write_all(format!("EHLO {hello}\r\n").as_bytes()).await.map_err(lost)?;
    let capabilities = read_reply(tcp, "EHLO").await?;
    let offered = capabilities.lines().skip(1).any(|line| line.get(4..).is_some_and(|k| k.trim() == "STARTTLS"));
    if !offered {
        return Ok(false);
    }
    tcp.write_all(b"STARTTLS\r\n").await.map_err(lost)?;
    read_reply(tcp, "STARTTLS").await?;
    Ok(true)
}

fn lost(error: io::Error) -> SendError {
    SendError::Transient(format!("the SMTP server closed the connection: {error}"))
}

/// One reply, all its lines; a 2xx code or an error. Reads only up to the end of the reply:
/// the server says nothing more until the client's next command.
async fn read_reply(tcp: &mut TcpStream, after: &str) -> Result<String, SendError> {
    let mut reply = Vec::new();
    loop {
        let mut chunk = [0u8; 512];
        let read = tcp.read(&mut chunk).await.map_err(lost)?;
        if read == 0 {
            return Err(lost(io::ErrorKind::UnexpectedEof.into()));
        }
        reply.extend_from_slice(&chunk[..read]);
        if reply.len() > 64 * 1024 {
            return Err(SendError::Transient(format!("the SMTP server's reply to {after} is too long")));
        }
        let text = String::from_utf8_lossy(&reply);
        let complete =
            text.ends_with("\r\n") && text.lines().last().is_some_and(|l| l.as_bytes().get(3) != Some(&b'-'));
        if !complete {
            continue;
        }
        if !text.starts_with('2') {
            let status = text.lines().last().unwrap_or_default().trim();
            let error = format!("the SMTP server refused {after}: {status}");
            return Err(if text.starts_with('5') && after != "STARTTLS" {
                SendError::Permanent(error)
            } else {
                SendError::Transient(error)
            });
        }
        return Ok(text.into_owned());
    }
}

/// The stream lettre speaks SMTP over: plain TCP or TLS, both without Nagle's algorithm,
/// with a greeting of our own in front when the server's was already read (STARTTLS).
pub(crate) struct RelayStream {
    greeting: &'static [u8],
    inner: Inner,
}

enum Inner {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl RelayStream {
    /// Plain TCP whose greeting lettre reads itself.
    pub(crate) fn plain(tcp: TcpStream) -> Self {
        Self { greeting: b"", inner: Inner::Plain(tcp) }
    }

    /// Plain TCP after a STARTTLS the server did not offer: the greeting was read already.
    pub(crate) fn plain_greeted(tcp: TcpStream) -> Self {
        Self { greeting: b"220 greeted\r\n", inner: Inner::Plain(tcp) }
    }

    /// TLS from the first byte: the server greets over it.
    pub(crate) fn tls(tls: TlsStream<TcpStream>) -> Self {
        Self { greeting: b"", inner: Inner::Tls(Box::new(tls)) }
    }

    /// TLS after STARTTLS: lettre says EHLO again, over TLS, after our greeting.
    pub(crate) fn tls_greeted(tls: TlsStream<TcpStream>) -> Self {
        Self { greeting: b"220 TLS started\r\n", inner: Inner::Tls(Box::new(tls)) }
    }
}

impl fmt::Debug for RelayStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.inner {
            Inner::Plain(_) => "plain",
            Inner::Tls(_) => "tls",
        };
        f.debug_struct("RelayStream").field("inner", &kind).finish_non_exhaustive()
    }
}

impl AsyncRead for RelayStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.greeting.is_empty() {
            let n = this.greeting.len().min(buf.remaining());
            buf.put_slice(&this.greeting[..n]);
            this.greeting = &this.greeting[n..];
            return Poll::Ready(Ok(()));
        }
        match &mut this.inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Inner::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for RelayStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_write(cx, data),
            Inner::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, data),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Inner::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Inner::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

impl AsyncTokioStream for RelayStream {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        match &self.inner {
            Inner::Plain(tcp) => tcp.peer_addr(),
            Inner::Tls(tls) => tls.get_ref().0.peer_addr(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
    }

    fn verifier(ca_file: &str) -> RelayVerifier {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let pinned = read_certificates(&fixture(ca_file)).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(pinned[0].clone()).unwrap();
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
        RelayVerifier { webpki, pinned, provider }
    }

    fn at(unix: i64) -> UnixTime {
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(unix.try_into().unwrap()))
    }

    #[test]
    fn validity_is_read_from_the_certificate() {
        let certificate = &read_certificates(&fixture("self-signed.pem")).unwrap()[0];
        let (not_before, not_after) = validity(certificate).unwrap();
        // Made on 2026-12-06 for 100 years.
        assert!((1_796_000_000..1_797_000_000).contains(&not_before), "{not_before}");
        assert!(not_after - not_before > 99 * 365 * 86_400);
        assert_eq!(validity(b"\x30\x03\x02\x01\x01"), None);
    }

    #[test]
    fn a_pinned_certificate_is_trusted_as_itself_within_its_validity() {
        let verifier = verifier("self-signed.pem");
        let certificate = verifier.pinned[0].clone();
        let (not_before, not_after) = validity(&certificate).unwrap();
        // Any name: the file names the certificate itself.
        let name = ServerName::try_from("127.0.0.1").unwrap();
        assert!(verifier.verify_server_cert(&certificate, &[], &name, &[], at(not_before + 10)).is_ok());
        let expired = verifier.verify_server_cert(&certificate, &[], &name, &[], at(not_after + 1)).unwrap_err();
        assert_eq!(expired, rustls::Error::InvalidCertificate(CertificateError::Expired));
        let early = verifier.verify_server_cert(&certificate, &[], &name, &[], at(not_before - 1)).unwrap_err();
        assert_eq!(early, rustls::Error::InvalidCertificate(CertificateError::NotValidYet));
    }

    #[test]
    fn another_certificate_goes_through_webpki() {
        let verifier = verifier("self-signed.pem");
        let other = CertificateDer::pem_file_iter(fixture("test-server.pem")).unwrap().next().unwrap().unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let error = verifier.verify_server_cert(&other, &[], &name, &[], UnixTime::now()).unwrap_err();
        assert!(matches!(error, rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)), "{error:?}");
    }
}
