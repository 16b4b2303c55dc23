//! The one-time confirmation links of the self-service pages (`/my/voicemail`): a user who
//! asks to reset their voice mail PIN gets a link at the mailbox's address; following it
//! proves they read that mailbox ([`crate::context::Proof::EmailLink`]).
//!
//! A link carries `vpl_<link id>_<256 random bits>`: the id finds the stored record, the
//! secret is checked against its SHA-256 (like an API token: nobody can search a 256-bit
//! space). Only the digest is stored; the link itself exists only in the sealed message.
//! A link is short-lived ([`LINK_LIFETIME`]) and single use.

use std::fmt;

use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::ids::{LinkId, MailboxId};
use crate::tokens::{bearer_id, generate_bearer, sha256_hex};

const PREFIX: &str = "vpl_";

/// How long a confirmation link can be followed.
pub const LINK_LIFETIME: Duration = Duration::minutes(15);

/// At most this many links are sent to one mailbox in [`LINK_WINDOW`]; further requests
/// send nothing (and answer the same).
pub const LINKS_PER_MAILBOX: u64 = 3;

/// The window of [`LINKS_PER_MAILBOX`].
pub const LINK_WINDOW: Duration = Duration::hours(1);

/// A link's secret, as mailed or presented: redacted in `Debug`, wiped on drop.
pub struct LinkSecret(Zeroizing<String>);

impl LinkSecret {
    /// A new secret for the link `id`.
    pub fn generate(id: LinkId) -> Result<Self, crate::Error> {
        Ok(Self(generate_bearer(PREFIX, id.0)?))
    }

    /// Wraps a presented secret (from the link's query string or a form).
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The secret's text: only for the message that carries it and the form that posts it back.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The link id part, if the secret is well formed.
    pub fn id(&self) -> Option<LinkId> {
        bearer_id(&self.0, PREFIX).map(LinkId)
    }

    /// The SHA-256 of the secret, hex: what is stored.
    pub fn digest(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

impl fmt::Debug for LinkSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkSecret(<redacted>)")
    }
}

/// The address of a confirmation page with its secret: a secret itself (it is in the
/// sealed message only), redacted in `Debug`, wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkUrl(Zeroizing<String>);

impl LinkUrl {
    /// Wraps a whole link.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The link's text: only for the message body.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for LinkUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkUrl(<redacted>)")
    }
}

/// A stored confirmation link: everything but the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinResetLink {
    /// Identifier; part of the secret's text.
    pub id: LinkId,
    /// The mailbox whose owner it was sent to.
    pub mailbox_id: MailboxId,
    /// The SHA-256 of the secret, hex.
    pub secret_digest: String,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// When it was used (the PIN was reset); a used link never works again.
    pub used_at: Option<OffsetDateTime>,
}

impl PinResetLink {
    /// A new link for `mailbox_id` with `secret`, made `now`.
    pub fn new(mailbox_id: MailboxId, secret: &LinkSecret, now: OffsetDateTime) -> Option<Self> {
        Some(Self {
            id: secret.id()?,
            mailbox_id,
            secret_digest: secret.digest(),
            created_at: now,
            expires_at: now + LINK_LIFETIME,
            used_at: None,
        })
    }

    /// Whether `secret` is this link's, compared in constant time.
    pub fn matches(&self, secret: &LinkSecret) -> bool {
        secret.digest().as_bytes().ct_eq(self.secret_digest.as_bytes()).into()
    }

    /// Whether the link can still be followed at `now`: not used, not expired.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_matches_its_secret_only_and_until_it_expires_or_is_used() {
        let now = OffsetDateTime::now_utc();
        let secret = LinkSecret::generate(LinkId::new_random()).unwrap();
        let mut link = PinResetLink::new(MailboxId::new_random(), &secret, now).unwrap();
        assert!(link.matches(&secret));
        assert!(!link.matches(&LinkSecret::generate(link.id).unwrap()));
        assert!(!link.secret_digest.contains(secret.expose()));
        assert!(link.is_usable(now + Duration::minutes(14)));
        assert!(!link.is_usable(now + LINK_LIFETIME));
        link.used_at = Some(now);
        assert!(!link.is_usable(now));
        assert_eq!(format!("{secret:?}"), "LinkSecret(<redacted>)");
        assert_eq!(format!("{:?}", LinkUrl::new("https://x/?link=vpl_1")), "LinkUrl(<redacted>)");
        for text in ["", "vpl_", "vpl_nothex_abc", "vpt_6f1f5a3e2c7b4f7e9a510c2d4b8e9f10_abc"] {
            assert_eq!(LinkSecret::new(text).id(), None, "{text}");
        }
    }
}
