//! API tokens: bearer secrets for the HTTP API, each bound to a role, expiring, revocable.
//!
//! A token reads `vpt_<token id>_<secret>`: the id finds the stored record, the secret (256
//! random bits) is checked against its SHA-256. A fast hash is enough here, unlike for a
//! PIN: nobody can search a 256-bit space. The secret is shown once, when it is made.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::access::Role;
use crate::context::ActorKind;
use crate::ids::{Revision, TokenId};
use crate::invalid::InvalidValue;

const PREFIX: &str = "vpt_";
const SECRET_BYTES: usize = 32;

/// A token as presented: a secret, redacted in `Debug`, wiped on drop.
pub struct TokenSecret(Zeroizing<String>);

impl TokenSecret {
    /// A new secret for the token `id`.
    pub fn generate(id: TokenId) -> Result<Self, crate::Error> {
        Ok(Self(generate_bearer(PREFIX, id.0)?))
    }

    /// Wraps a presented token (from an `Authorization: Bearer` header).
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The whole token, to show once to whoever created it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The id part, if the token is well formed.
    pub fn id(&self) -> Option<TokenId> {
        bearer_id(&self.0, PREFIX).map(TokenId)
    }

    /// The SHA-256 of the whole token, hex: what is stored.
    pub fn digest(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(<redacted>)")
    }
}

/// A new bearer secret, `<prefix><id>_<256 random bits, base64url>` (API tokens, session
/// cookies): the id finds the stored record, the random part is the secret.
pub(crate) fn generate_bearer(prefix: &str, id: uuid::Uuid) -> Result<Zeroizing<String>, crate::Error> {
    let mut random = Zeroizing::new([0u8; SECRET_BYTES]);
    getrandom::fill(random.as_mut_slice()).map_err(|_| crate::Error::Random)?;
    let encoded = Zeroizing::new(URL_SAFE_NO_PAD.encode(random.as_slice()));
    Ok(Zeroizing::new(format!("{prefix}{}_{}", id.simple(), encoded.as_str())))
}

/// The id part of a bearer secret made by [`generate_bearer`], if it is well formed.
pub(crate) fn bearer_id(text: &str, prefix: &str) -> Option<uuid::Uuid> {
    let (id, secret) = text.strip_prefix(prefix)?.split_once('_')?;
    if secret.is_empty() {
        return None;
    }
    uuid::Uuid::try_parse(id).ok()
}

/// The SHA-256 of `bytes`, lower-case hex: how bearer secrets (API tokens, session cookies)
/// are stored.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// How long a new API token lives: a number of days, or until revoked, which must be
/// asked for by name (`never`); a token made without either gets the configured default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenLifetime {
    /// This many days (1 to [`MAX_TOKEN_DAYS`]).
    Days(u32),
    /// Until revoked.
    Never,
}

/// The longest a token may live, in days.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// The lifetime of a token made without one, unless configured otherwise.
pub const DEFAULT_TOKEN_LIFETIME: TokenLifetime = TokenLifetime::Days(90);

impl TokenLifetime {
    /// What a lifetime may be, for messages.
    pub const ALLOWED: &'static str = "a number of days from 1 to 3650, or never";

    /// Checks a lifetime in days.
    pub fn days(field: &'static str, days: u32) -> Result<Self, InvalidValue> {
        if (1..=MAX_TOKEN_DAYS).contains(&days) {
            Ok(Self::Days(days))
        } else {
            Err(InvalidValue::new(field, Self::ALLOWED, days.to_string()))
        }
    }

    /// Parses `never` or a number of days (an optional `d` after it: `90d`).
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("never") {
            return Ok(Self::Never);
        }
        let digits = text.strip_suffix(['d', 'D']).unwrap_or(text);
        match digits.parse::<u32>() {
            Ok(days) => Self::days(field, days),
            Err(_) => Err(InvalidValue::new(field, Self::ALLOWED, text.chars().take(32).collect())),
        }
    }

    /// When a token made at `now` expires; `None` for never.
    pub fn expiry(self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            Self::Days(days) => Some(now + time::Duration::days(i64::from(days))),
            Self::Never => None,
        }
    }
}

impl fmt::Display for TokenLifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Days(days) => write!(f, "{days}d"),
            Self::Never => f.write_str("never"),
        }
    }
}

/// A stored API token: everything but the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// Identifier; part of the token text.
    pub id: TokenId,
    /// Version for optimistic concurrency.
    pub revision: Revision,
    /// A name to recognise it by, unique ("asterisk-pbx1", "helpdesk-script").
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// SHA-256 of the token, hex.
    pub secret_digest: String,
    /// Who made it: an account's or token's name, or the operating-system user.
    pub created_by: String,
    /// What kind of actor made it: an administrator's tokens end when the account is
    /// disabled or removed.
    pub created_by_kind: ActorKind,
    /// When.
    pub created_at: OffsetDateTime,
    /// When it stops working; `None` for never.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiToken {
    /// Exchange-style name of the name parameter.
    pub const FIELD: &'static str = "Name";

    /// Checks a token name: 1-64 letters, digits, dots, dashes or underscores.
    pub fn check_name(name: &str) -> Result<String, InvalidValue> {
        let name = name.trim();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if valid {
            Ok(name.to_owned())
        } else {
            Err(InvalidValue::new(Self::FIELD, "1 to 64 letters, digits, dots, dashes or underscores", name.to_owned()))
        }
    }

    /// Whether the token works at `now`: not revoked, not expired.
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }

    /// Whether `secret` is this token's, compared in constant time.
    pub fn matches(&self, secret: &TokenSecret) -> bool {
        secret.digest().as_bytes().ct_eq(self.secret_digest.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_id_and_matches_only_itself() {
        let id = TokenId::new_random();
        let secret = TokenSecret::generate(id).unwrap();
        assert!(secret.expose().starts_with("vpt_"));
        assert_eq!(secret.id(), Some(id));
        let token = ApiToken {
            id,
            revision: Revision::NEW,
            name: "pbx1".into(),
            role: Role::VoiceService,
            secret_digest: secret.digest(),
            created_by: "admin".into(),
            created_by_kind: ActorKind::Administrator,
            created_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: None,
            revoked_at: None,
        };
        assert!(token.matches(&secret));
        let other = TokenSecret::generate(id).unwrap();
        assert!(!token.matches(&other));
        assert_eq!(format!("{secret:?}"), "TokenSecret(<redacted>)");
        assert!(!secret.digest().contains(secret.expose()));
    }

    #[test]
    fn lifetimes_are_days_or_never_said_explicitly() {
        assert_eq!(TokenLifetime::parse("Expires", "never"), Ok(TokenLifetime::Never));
        assert_eq!(TokenLifetime::parse("Expires", "90"), Ok(TokenLifetime::Days(90)));
        assert_eq!(TokenLifetime::parse("Expires", "30d"), Ok(TokenLifetime::Days(30)));
        for bad in ["", "0", "3651", "forever", "-1"] {
            assert!(TokenLifetime::parse("Expires", bad).is_err(), "{bad:?}");
        }
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(TokenLifetime::Days(2).expiry(now), Some(now + time::Duration::days(2)));
        assert_eq!(TokenLifetime::Never.expiry(now), None);
        assert_eq!(DEFAULT_TOKEN_LIFETIME.to_string(), "90d");
    }

    #[test]
    fn malformed_tokens_have_no_id() {
        for text in ["", "vpt_", "vpt_nothex_abc", "xyz_0123", &format!("vpt_{}_", TokenId::new_random().0.simple())] {
            assert_eq!(TokenSecret::new(text).id(), None, "{text}");
        }
    }

    #[test]
    fn activity_follows_expiry_and_revocation() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(10);
        let mut token = ApiToken {
            id: TokenId::new_random(),
            revision: Revision::NEW,
            name: "t".into(),
            role: Role::ViewOnly,
            secret_digest: String::new(),
            created_by: "admin".into(),
            created_by_kind: ActorKind::Administrator,
            created_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: Some(now + time::Duration::days(1)),
            revoked_at: None,
        };
        assert!(token.is_active(now));
        assert!(!token.is_active(now + time::Duration::days(1)));
        token.expires_at = None;
        token.revoked_at = Some(now);
        assert!(!token.is_active(now));
    }

    #[test]
    fn names_are_checked() {
        assert!(ApiToken::check_name("asterisk-pbx1").is_ok());
        assert!(ApiToken::check_name("").is_err());
        assert!(ApiToken::check_name("two words").is_err());
    }
}
