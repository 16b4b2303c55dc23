//! voicepin's email: every PIN a user learns reaches them by email.
//!
//! The use cases of `voicepin-core` queue an [`OutboundMail`](voicepin_core::notify::OutboundMail)
//! in the same transaction as the change that causes it (the store's outbox). This crate
//! turns those into real messages and delivers them:
//! - [`render()`]: the [`templates`] (welcome, PIN reset, locked out, PIN changed), a plain-text
//!   and an HTML part, with the administrator's policy texts made safe ([`policy_text`]);
//! - [`MailSettings`]: the sender and how the organisation presents itself;
//! - [`Transport`]: where messages go; [`PickupFolder`] writes `.eml` files,
//!   [`SmtpTransport`] talks to a mail server configured by one URL ([`SmtpConfig`]), over
//!   TLS that trusts what [`tls`] says;
//! - [`deliver_due`]: one delivery run over the outbox, with retries and backoff
//!   ([`RetryPolicy`]), reported as a [`DeliveryReport`] and summed up by [`Counters`].
//!
//! The PIN appears only in the bodies of the welcome and reset messages: never in a
//! subject, a header, an error or a log line.

#![warn(missing_docs)]

pub mod deliver;
pub mod error;
pub mod policy_text;
pub mod settings;
pub mod smtp;
pub mod templates;
pub mod tls;
pub mod transport;

pub use deliver::{
    AttemptOutcome, Attempted, CLAIM_LEASE, Counters, CountersSnapshot, DeliveryReport, RetryPolicy, deliver_due,
    deliver_due_observed,
};
pub use error::{MailError, SendError};
pub use settings::MailSettings;
pub use smtp::{SmtpConfig, SmtpSecurity, SmtpTransport, SmtpUrl};
pub use templates::{render, render_test};
pub use transport::{MessageInfo, PickupFolder, Transport};
