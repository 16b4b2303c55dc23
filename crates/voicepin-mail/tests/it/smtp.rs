//! The SMTP transport against the test server, through deliver_due and the SQLite outbox.

use std::time::Duration;

use voicepin_core::audit::AuditAction;
use voicepin_core::notify::Notification;
use voicepin_core::ports::{AuditQuery, MailStatus, Store};
use voicepin_mail::{MailSettings, MessageInfo, SendError, SmtpConfig, SmtpTransport, Transport, deliver_due, render};

use super::smtp_server::{Behaviour, ServerTls, SmtpServer, ca_file, self_signed_file, unused_addr};
use super::support::{CREATED, PIN, capture_logs, every_kind, mail, parse, queue, record, store};

fn secs(n: i64) -> time::Duration {
    time::Duration::seconds(n)
}

fn transport(url: &str) -> SmtpTransport {
    let mut config = SmtpConfig::new(url).unwrap();
    config.timeout = Duration::from_secs(5);
    SmtpTransport::new(&config).unwrap()
}

fn settings() -> MailSettings {
    MailSettings::new("Voice Mail <voicemail@contoso.com>").unwrap()
}

#[tokio::test]
async fn plain_delivery_reaches_the_server_once() {
    let server = SmtpServer::start(Behaviour::default()).await;
    let (store, _dir) = store().await;
    let queued = mail(every_kind().remove(0));
    let id = queued.id;
    queue(&store, vec![queued]).await;
    let smtp = transport(&server.url(""));

    let report = deliver_due(&store, &smtp, &settings(), CREATED).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(record(&store, id).await.status, MailStatus::Sent);

    let received = server.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.mail_from, "voicemail@contoso.com");
    assert_eq!(message.rcpt_to, ["tony@contoso.com"]);
    assert_eq!(message.auth_user, None);
    assert!(message.data.contains(&format!("Message-ID: <{id}@contoso.com>")));
    let parsed = parse(message.data.as_bytes());
    assert!(parsed.bodies[0].1.contains(PIN));

    let again = deliver_due(&store, &smtp, &settings(), CREATED + secs(3600)).await.unwrap();
    assert!(again.is_empty());
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn connections_are_reused_and_helo_is_configurable() {
    let server = SmtpServer::start(Behaviour::default()).await;
    let (store, _dir) = store().await;
    queue(&store, every_kind().into_iter().map(mail).collect()).await;
    let mut config = SmtpConfig::new(&server.url("")).unwrap();
    config.helo_name = Some("voicepin.contoso.com".to_owned());
    let smtp = SmtpTransport::new(&config).unwrap();

    let report = deliver_due(&store, &smtp, &settings(), CREATED).await.unwrap();
    assert_eq!(report.sent, 8);
    let received = server.received();
    assert_eq!(received.len(), 8);
    assert!(received.iter().all(|r| r.helo == "voicepin.contoso.com"));
    // One after the other, the messages share one connection.
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn auth_plain_with_a_percent_encoded_password() {
    let server = SmtpServer::start(Behaviour {
        credentials: Some(("relay@contoso.com".to_owned(), "p@ss:w0rd %".to_owned())),
        mechanisms: Some("PLAIN".to_owned()),
        ..Behaviour::default()
    })
    .await;
    let smtp = transport(&server.url("relay%40contoso.com:p%40ss%3Aw0rd%20%25@"));
    let queued = mail(Notification::PinChanged);
    let message = render(&queued, &settings()).unwrap();
    let info = MessageInfo { id: queued.id, created_at: queued.created_at };
    smtp.send(&message, &info).await.unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].auth_user.as_deref(), Some("relay@contoso.com"));
}

#[tokio::test]
async fn auth_login_with_the_password_from_a_file() {
    let server = SmtpServer::start(Behaviour {
        credentials: Some(("relay".to_owned(), "from a file".to_owned())),
        mechanisms: Some("LOGIN".to_owned()),
        ..Behaviour::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("smtp-password");
    std::fs::write(&password_file, "from a file\n").unwrap();
    let mut config = SmtpConfig::new(&server.url("relay@")).unwrap();
    config.password_file = Some(password_file);
    let smtp = SmtpTransport::new(&config).unwrap();

    smtp.test_connection().await.unwrap();
    let queued = mail(Notification::LockedOut);
    let message = render(&queued, &settings()).unwrap();
    let info = MessageInfo { id: queued.id, created_at: queued.created_at };
    smtp.send(&message, &info).await.unwrap();
    assert_eq!(server.received()[0].auth_user.as_deref(), Some("relay"));
}

#[tokio::test]
async fn a_refused_password_keeps_the_message_queued() {
    let server = SmtpServer::start(Behaviour {
        credentials: Some(("relay".to_owned(), "right".to_owned())),
        ..Behaviour::default()
    })
    .await;
    let (store, _dir) = store().await;
    let queued = mail(Notification::PinChanged);
    let id = queued.id;
    queue(&store, vec![queued]).await;
    let smtp = transport(&server.url("relay:wrong@"));

    let report = deliver_due(&store, &smtp, &settings(), CREATED).await.unwrap();
    assert_eq!(report.retried, 1, "a configuration error, not the message's fault");
    assert!(server.auth_failures() >= 1);
    let record = record(&store, id).await;
    assert_eq!(record.status, MailStatus::Queued);
    let error = record.last_error.unwrap();
    assert!(error.contains("authentication refused"), "{error}");
    assert!(!error.contains("wrong"), "{error}");
}

#[tokio::test]
async fn a_451_is_retried_and_then_delivered_once() {
    let server = SmtpServer::start(Behaviour {
        mail_replies: ["451 4.3.0 Mail server temporarily rejected message".to_owned()].into(),
        ..Behaviour::default()
    })
    .await;
    let (store, _dir) = store().await;
    let queued = mail(every_kind().remove(1));
    let id = queued.id;
    queue(&store, vec![queued]).await;
    let smtp = transport(&server.url(""));

    let report = deliver_due(&store, &smtp, &settings(), CREATED).await.unwrap();
    assert_eq!(report.retried, 1);
    assert!(server.received().is_empty());
    let retry = record(&store, id).await;
    assert_eq!(retry.status, MailStatus::Queued);
    assert!(retry.last_error.as_deref().unwrap().contains("451"));

    let report = deliver_due(&store, &smtp, &settings(), retry.next_attempt_at).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(server.received().len(), 1);
    assert_eq!(record(&store, id).await.status, MailStatus::Sent);
}

#[tokio::test]
async fn a_550_is_given_up_and_recorded() {
    let server = SmtpServer::start(Behaviour {
        rcpt_replies: ["550 5.1.1 User unknown".to_owned()].into(),
        ..Behaviour::default()
    })
    .await;
    let (store, _dir) = store().await;
    let queued = mail(every_kind().remove(2));
    let id = queued.id;
    queue(&store, vec![queued]).await;
    let smtp = transport(&server.url(""));

    let report = deliver_due(&store, &smtp, &settings(), CREATED).await.unwrap();
    assert_eq!(report.failed, 1);
    let failed = record(&store, id).await;
    assert_eq!(failed.status, MailStatus::Failed);
    assert!(failed.last_error.as_deref().unwrap().contains("550"));
    assert!(server.received().is_empty());
    // The audit log says so, with the server's reply and never the body.
    let query = AuditQuery { action: Some(AuditAction::MailFailed), ..AuditQuery::default() };
    let events = store.audit_events(&query).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["mailId"], id.to_string());
    assert!(events[0].details["reason"].contains("550"));
    assert_eq!(events[0].channel, voicepin_core::audit::Channel::System);

    // `voicepin mail retry` once the address is fixed on the server.
    assert!(store.requeue_mail(id, CREATED + secs(60)).await.unwrap());
    let report = deliver_due(&store, &smtp, &settings(), CREATED + secs(60)).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_554_after_data_is_permanent_too() {
    let server = SmtpServer::start(Behaviour {
        data_replies: ["554 5.6.0 Message rejected".to_owned()].into(),
        ..Behaviour::default()
    })
    .await;
    let smtp = transport(&server.url(""));
    let queued = mail(Notification::PinChanged);
    let message = render(&queued, &settings()).unwrap();
    let info = MessageInfo { id: queued.id, created_at: queued.created_at };
    let error = smtp.send(&message, &info).await.unwrap_err();
    assert!(matches!(error, SendError::Permanent(_)), "{error:?}");
    // The connection survives a refused message.
    smtp.send(&message, &info).await.unwrap();
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_server_that_is_down_then_back_gets_the_message() {
    let addr = unused_addr().await;
    let (store, _dir) = store().await;
    let queued = mail(every_kind().remove(3));
    let id = queued.id;
    queue(&store, vec![queued]).await;
    let smtp = transport(&format!("smtp://{addr}"));

    let report = deliver_due(&store, &smtp, &settings(), CREATED).await.unwrap();
    assert_eq!(report.retried, 1);
    let retry = record(&store, id).await;
    assert_eq!(retry.status, MailStatus::Queued);
    assert!(retry.last_error.is_some());

    let server = SmtpServer::start_on(addr, Behaviour::default()).await;
    let report = deliver_due(&store, &smtp, &settings(), retry.next_attempt_at).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_server_restart_between_runs_does_not_lose_mail() {
    let server = SmtpServer::start(Behaviour::default()).await;
    let (store, _dir) = store().await;
    let smtp = transport(&server.url(""));
    queue(&store, vec![mail(Notification::PinChanged)]).await;
    assert_eq!(deliver_due(&store, &smtp, &settings(), CREATED).await.unwrap().sent, 1);

    // The pooled connection dies with the server.
    let addr = server.stop().await;
    let second = mail(Notification::LockedOut);
    let id = second.id;
    queue(&store, vec![second]).await;
    let report = deliver_due(&store, &smtp, &settings(), CREATED + secs(1)).await.unwrap();
    assert_eq!(report.retried, 1);

    let server = SmtpServer::start_on(addr, Behaviour::default()).await;
    let at = record(&store, id).await.next_attempt_at;
    let report = deliver_due(&store, &smtp, &settings(), at).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(server.received().len(), 1);
}

fn tls_transport(url: &str, trust_test_ca: bool) -> SmtpTransport {
    let mut config = SmtpConfig::new(url).unwrap();
    config.timeout = Duration::from_secs(5);
    if trust_test_ca {
        config.ca_file = Some(ca_file());
    }
    SmtpTransport::new(&config).unwrap()
}

async fn send_one(smtp: &SmtpTransport) -> Result<(), SendError> {
    let queued = mail(every_kind().remove(1));
    let message = render(&queued, &settings()).unwrap();
    let info = MessageInfo { id: queued.id, created_at: queued.created_at };
    smtp.send(&message, &info).await
}

#[tokio::test]
async fn starttls_required_with_a_private_ca_and_auth() {
    let server = SmtpServer::start(Behaviour {
        tls: ServerTls::StartTls,
        credentials: Some(("relay".to_owned(), "s3cret".to_owned())),
        ..Behaviour::default()
    })
    .await;
    let smtp = tls_transport(&format!("smtp://relay:s3cret@{}?tls=required", server.addr), true);
    send_one(&smtp).await.unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].tls, "sent after STARTTLS");
    assert_eq!(received[0].auth_user.as_deref(), Some("relay"));
    assert!(parse(received[0].data.as_bytes()).bodies[0].1.contains(PIN));
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_transient_failure() {
    let server = SmtpServer::start(Behaviour { tls: ServerTls::StartTls, ..Behaviour::default() }).await;
    let smtp = tls_transport(&format!("smtp://{}?tls=required", server.addr), false);
    let error = send_one(&smtp).await.unwrap_err();
    assert!(matches!(error, SendError::Transient(_)), "{error:?}");
    assert!(error.to_string().contains("certificate"), "{error}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn an_untrusted_certificate_names_the_setting_to_set() {
    let server = SmtpServer::start(Behaviour { tls: ServerTls::StartTls, ..Behaviour::default() }).await;
    let smtp = tls_transport(&format!("smtp://{}?tls=required", server.addr), false);
    let error = send_one(&smtp).await.unwrap_err().to_string();
    assert!(error.contains("mail.smtp_ca_file (VOICEPIN_MAIL__SMTP_CA_FILE)"), "{error}");
}

/// The relay's own certificate, made by `openssl req -x509`: `CA:TRUE`, no subjectAltName.
fn self_signed_transport(server: &SmtpServer, trusted: bool) -> SmtpTransport {
    let mut config = SmtpConfig::new(&format!("smtp://relay:s3cret@{}?tls=required", server.addr)).unwrap();
    config.timeout = Duration::from_secs(5);
    config.ca_file = trusted.then(self_signed_file);
    SmtpTransport::new(&config).unwrap()
}

#[tokio::test]
async fn starttls_with_the_relays_own_self_signed_certificate() {
    let server = SmtpServer::start(Behaviour {
        tls: ServerTls::StartTlsSelfSigned,
        credentials: Some(("relay".to_owned(), "s3cret".to_owned())),
        ..Behaviour::default()
    })
    .await;
    send_one(&self_signed_transport(&server, true)).await.unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].tls, "sent after STARTTLS");
    assert_eq!(received[0].auth_user.as_deref(), Some("relay"));
    assert!(parse(received[0].data.as_bytes()).bodies[0].1.contains(PIN));
}

#[tokio::test]
async fn a_self_signed_certificate_not_in_the_ca_file_is_refused() {
    let server = SmtpServer::start(Behaviour {
        tls: ServerTls::StartTlsSelfSigned,
        credentials: Some(("relay".to_owned(), "s3cret".to_owned())),
        ..Behaviour::default()
    })
    .await;
    let error = send_one(&self_signed_transport(&server, false)).await.unwrap_err();
    assert!(matches!(error, SendError::Transient(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("certificate is not trusted"), "{text}");
    assert!(text.contains("mail.smtp_ca_file (VOICEPIN_MAIL__SMTP_CA_FILE)"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");

    // The private CA of the other tests does not vouch for it either.
    let mut config = SmtpConfig::new(&format!("smtp://{}?tls=required", server.addr)).unwrap();
    config.ca_file = Some(ca_file());
    let error = send_one(&SmtpTransport::new(&config).unwrap()).await.unwrap_err().to_string();
    assert!(error.contains(&ca_file().display().to_string()), "{error}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn tls_required_but_not_offered_sends_nothing() {
    let server = SmtpServer::start(Behaviour::default()).await;
    let smtp = tls_transport(&format!("smtp://{}?tls=required", server.addr), true);
    let error = send_one(&smtp).await.unwrap_err();
    assert!(matches!(error, SendError::Transient(_)), "{error:?}");
    assert!(error.to_string().contains("STARTTLS"), "{error}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn opportunistic_tls_uses_starttls_when_offered_and_plain_otherwise() {
    let plain = SmtpServer::start(Behaviour::default()).await;
    let smtp = tls_transport(&format!("smtp://{}?tls=opportunistic", plain.addr), true);
    send_one(&smtp).await.unwrap();
    assert!(!plain.received()[0].tls);

    let offering = SmtpServer::start(Behaviour { tls: ServerTls::StartTls, ..Behaviour::default() }).await;
    let smtp = tls_transport(&format!("smtp://{}?tls=opportunistic", offering.addr), true);
    send_one(&smtp).await.unwrap();
    assert!(offering.received()[0].tls);
}

#[tokio::test]
async fn smtps_is_tls_from_the_first_byte() {
    let server = SmtpServer::start(Behaviour { tls: ServerTls::Implicit, ..Behaviour::default() }).await;
    let smtp = tls_transport(&format!("smtps://{}", server.addr), true);
    smtp.test_connection().await.unwrap();
    send_one(&smtp).await.unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].tls);
}

#[tokio::test]
async fn no_pin_reaches_the_logs_over_smtp() {
    let (captured, _guard) = capture_logs();
    let server = SmtpServer::start(Behaviour {
        rcpt_replies: ["451 4.3.0 later".to_owned()].into(),
        credentials: Some(("relay".to_owned(), "s3cret".to_owned())),
        ..Behaviour::default()
    })
    .await;
    let (store, _dir) = store().await;
    queue(&store, every_kind().into_iter().map(mail).collect()).await;
    let smtp = transport(&server.url("relay:s3cret@"));
    let first = deliver_due(&store, &smtp, &settings(), CREATED).await.unwrap();
    let second = deliver_due(&store, &smtp, &settings(), CREATED + secs(3600)).await.unwrap();
    assert_eq!((first.sent + second.sent, first.retried), (8, 1));

    let logs = captured.text();
    assert!(logs.contains("mail sent"), "{logs}");
    assert!(!logs.contains(PIN), "{logs}");
    assert!(!logs.contains("s3cret"), "{logs}");
}
