//! Administrator accounts, their passwords, and browser sessions.
//!
//! A password is hashed with the same keyed Argon2id as a PIN (see [`crate::hashing`]). A new
//! account, a reset and a break-glass recovery each get a generated one-time password: the
//! account must change it before it may do anything else. Repeated failed sign-ins lock the
//! account for a while ([`LOCKOUT_THRESHOLD`], [`LOCKOUT_DURATION`]).
//!
//! A session is what a browser holds after a password sign-in: a cookie whose value reads
//! `vps_<session id>_<secret>`. Like an API token, only its SHA-256 is stored. The CSRF token
//! of a session is derived from the cookie's secret (a SHA-256 under another label), so it is
//! stored nowhere and a copy of the database yields neither.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::access::Role;
use crate::hashing::PinHash;
use crate::ids::{AccountId, Revision, SessionId};
use crate::invalid::InvalidValue;
use crate::tokens::{bearer_id, generate_bearer, sha256_hex};

/// The fewest characters of a password.
pub const MIN_PASSWORD_LENGTH: usize = 12;
/// The most characters of a password.
pub const MAX_PASSWORD_LENGTH: usize = 128;
/// Consecutive failed sign-ins that lock an account.
pub const LOCKOUT_THRESHOLD: u32 = 5;
/// How long a lockout lasts.
pub const LOCKOUT_DURATION: Duration = Duration::minutes(15);
/// A session ends after this long without a request.
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after the sign-in, however busy.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// A session's last-seen time is written at most this often (not on every request).
pub const SESSION_TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// Characters of a one-time password: no 0/O or 1/I, so it can be read out and typed.
/// 32 of them: five bits each, drawn without bias from a byte.
const ONE_TIME_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const ONE_TIME_GROUPS: usize = 4;
const ONE_TIME_GROUP_LENGTH: usize = 5;

/// A password as typed or generated: a secret, redacted in `Debug`, wiped on drop.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps typed text (not checked: see [`Password::check_new`]).
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// A one-time password: 4 groups of 5 characters from a 32-character alphabet (100
    /// bits), from the operating system's random number generator.
    pub fn generate_one_time() -> Result<Self, crate::Error> {
        let mut random = Zeroizing::new([0u8; ONE_TIME_GROUPS * ONE_TIME_GROUP_LENGTH]);
        getrandom::fill(random.as_mut_slice()).map_err(|_| crate::Error::Random)?;
        let mut text = Zeroizing::new(String::with_capacity(ONE_TIME_GROUPS * (ONE_TIME_GROUP_LENGTH + 1)));
        for (i, byte) in random.iter().enumerate() {
            if i > 0 && i % ONE_TIME_GROUP_LENGTH == 0 {
                text.push('-');
            }
            text.push(char::from(ONE_TIME_ALPHABET[usize::from(byte & 31)]));
        }
        Ok(Self(Zeroizing::new(std::mem::take(&mut *text))))
    }

    /// The characters: only for hashing, or to show a generated password once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The rules of a new password, in this one place: 12 to 128 characters, and not the
    /// account's name.
    pub fn check_new(&self, field: &'static str, account: &str) -> Result<(), InvalidValue> {
        let length = self.0.chars().count();
        let allowed = "12 to 128 characters, not the account's name";
        if !(MIN_PASSWORD_LENGTH..=MAX_PASSWORD_LENGTH).contains(&length) {
            return Err(InvalidValue::new(field, allowed, format!("<{length} characters>")));
        }
        if self.0.trim().to_lowercase() == account.trim().to_lowercase() {
            return Err(InvalidValue::new(field, allowed, "<the account's name>".to_owned()));
        }
        Ok(())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An administrator account: who may sign in to the API and the admin center with a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminAccount {
    /// Identifier.
    pub id: AccountId,
    /// Version for optimistic concurrency.
    pub revision: Revision,
    /// The sign-in name, unique regardless of case.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The password's keyed Argon2id hash (PHC string, like a PIN's).
    pub password_hash: PinHash,
    /// The password is a one-time password: the account must change it before anything else.
    pub must_change_password: bool,
    /// Failed sign-ins since the last success or lockout.
    pub failed_sign_ins: u32,
    /// Locked until this time (after too many failures).
    pub locked_until: Option<OffsetDateTime>,
    /// A disabled account cannot sign in; its sessions stop working.
    pub disabled: bool,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it was last changed by an administrator (role, flag, password).
    pub changed_at: OffsetDateTime,
    /// The last successful sign-in.
    pub last_sign_in_at: Option<OffsetDateTime>,
}

impl AdminAccount {
    /// Exchange-style name of the name parameter.
    pub const FIELD: &'static str = "Name";
    /// The account `voicepin admin recover` and the first start make.
    pub const DEFAULT_NAME: &'static str = "admin";

    /// Checks an account name: 1-64 letters, digits, dots, dashes, underscores or `@`.
    pub fn check_name(name: &str) -> Result<String, InvalidValue> {
        let name = name.trim();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
        if valid {
            Ok(name.to_owned())
        } else {
            Err(InvalidValue::new(
                Self::FIELD,
                "1 to 64 letters, digits, dots, dashes, underscores or @",
                name.to_owned(),
            ))
        }
    }

    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// Whether the account counts as an enabled Organization Management account.
    pub fn is_enabled_organization_manager(&self) -> bool {
        !self.disabled && self.role == Role::OrganizationManagement
    }

    /// Counts a failed sign-in; true when this failure locks the account.
    pub fn count_failure(&mut self, now: OffsetDateTime) -> bool {
        self.failed_sign_ins = self.failed_sign_ins.saturating_add(1);
        if self.failed_sign_ins >= LOCKOUT_THRESHOLD {
            self.failed_sign_ins = 0;
            self.locked_until = Some(now + LOCKOUT_DURATION);
            true
        } else {
            false
        }
    }

    /// Installs a one-time password hash: must be changed, failures and lockout cleared.
    pub fn install_one_time(&mut self, hash: PinHash, now: OffsetDateTime) {
        self.install_password(hash, true, now);
    }

    /// Installs a password hash (one to change at the next sign-in, or the account's own),
    /// failures and lockout cleared.
    pub fn install_password(&mut self, hash: PinHash, must_change: bool, now: OffsetDateTime) {
        self.password_hash = hash;
        self.must_change_password = must_change;
        self.clear_failures();
        self.changed_at = now;
    }

    /// Clears the failed sign-ins and any lockout (a success, a new password).
    pub fn clear_failures(&mut self) {
        self.failed_sign_ins = 0;
        self.locked_until = None;
    }
}

/// A session's cookie value: a secret, redacted in `Debug`, wiped on drop.
pub struct SessionSecret(Zeroizing<String>);

const SESSION_PREFIX: &str = "vps_";

impl SessionSecret {
    /// A new secret (256 random bits) for the session `id`.
    pub fn generate(id: SessionId) -> Result<Self, crate::Error> {
        Ok(Self(generate_bearer(SESSION_PREFIX, id.0)?))
    }

    /// Wraps a presented cookie value.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The cookie value, to set once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The session id part, if the value is well formed.
    pub fn id(&self) -> Option<SessionId> {
        bearer_id(&self.0, SESSION_PREFIX).map(SessionId)
    }

    /// The SHA-256 of the value, hex: what is stored.
    pub fn digest(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }

    /// The session's CSRF token: a SHA-256 of the secret under its own label, base64url.
    /// Not derivable from the stored digest.
    pub fn csrf_token(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"voicepin csrf token\0");
        hasher.update(self.0.as_bytes());
        URL_SAFE_NO_PAD.encode(hasher.finalize())
    }

    /// Whether `presented` is this session's CSRF token, compared in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        self.csrf_token().as_bytes().ct_eq(presented.trim().as_bytes()).into()
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(<redacted>)")
    }
}

/// A browser session of an administrator account: everything but the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Identifier; part of the cookie value.
    pub id: SessionId,
    /// The account signed in.
    pub account_id: AccountId,
    /// SHA-256 of the cookie value, hex.
    pub secret_digest: String,
    /// When it began.
    pub created_at: OffsetDateTime,
    /// The last request seen (written at most once per [`SESSION_TOUCH_INTERVAL`]).
    pub last_seen_at: OffsetDateTime,
    /// The absolute end: [`SESSION_LIFETIME`] after the sign-in.
    pub expires_at: OffsetDateTime,
}

impl Session {
    /// A session beginning `now`.
    pub fn begin(id: SessionId, account_id: AccountId, secret: &SessionSecret, now: OffsetDateTime) -> Self {
        Self {
            id,
            account_id,
            secret_digest: secret.digest(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + SESSION_LIFETIME,
        }
    }

    /// When it ends if no further request comes: the idle timeout or the absolute end.
    pub fn ends_at(&self) -> OffsetDateTime {
        (self.last_seen_at + SESSION_IDLE_TIMEOUT).min(self.expires_at)
    }

    /// Whether it still works at `now`.
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        now < self.ends_at()
    }

    /// Whether the last-seen time is old enough to be written again.
    pub fn needs_touch(&self, now: OffsetDateTime) -> bool {
        now - self.last_seen_at >= SESSION_TOUCH_INTERVAL
    }

    /// Whether `secret` is this session's, compared in constant time.
    pub fn matches(&self, secret: &SessionSecret) -> bool {
        secret.digest().as_bytes().ct_eq(self.secret_digest.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_four_groups_of_five_and_differ() {
        let one = Password::generate_one_time().unwrap();
        let two = Password::generate_one_time().unwrap();
        assert_ne!(one.expose(), two.expose());
        let groups: Vec<&str> = one.expose().split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == 5 && g.bytes().all(|b| ONE_TIME_ALPHABET.contains(&b))));
        assert!(one.check_new("Password", "admin").is_ok());
        assert_eq!(format!("{one:?}"), "Password(<redacted>)");
    }

    #[test]
    fn password_rules() {
        assert!(Password::new("correct horse").check_new("Password", "admin").is_ok());
        let short = Password::new("short").check_new("NewPassword", "admin").unwrap_err();
        assert_eq!(short.field, "NewPassword");
        assert!(!short.given.contains("short"));
        assert!(Password::new("x".repeat(129)).check_new("Password", "admin").is_err());
        assert!(Password::new("x".repeat(128)).check_new("Password", "admin").is_ok());
        let named = Password::new("Helpdesk.Lead").check_new("Password", "helpdesk.lead").unwrap_err();
        assert!(!named.given.contains("Helpdesk"));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(AdminAccount::check_name(" admin ").unwrap(), "admin");
        assert!(AdminAccount::check_name("jane@contoso.com").is_ok());
        assert!(AdminAccount::check_name("").is_err());
        assert!(AdminAccount::check_name("two words").is_err());
    }

    fn account() -> AdminAccount {
        let now = OffsetDateTime::UNIX_EPOCH;
        AdminAccount {
            id: AccountId::new_random(),
            revision: Revision::NEW,
            name: "admin".into(),
            role: Role::OrganizationManagement,
            password_hash: PinHash::from_stored("x"),
            must_change_password: false,
            failed_sign_ins: 0,
            locked_until: None,
            disabled: false,
            created_at: now,
            changed_at: now,
            last_sign_in_at: None,
        }
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1);
        let mut account = account();
        for _ in 0..4 {
            assert!(!account.count_failure(now));
        }
        assert!(account.count_failure(now));
        assert!(account.is_locked(now + Duration::minutes(14)));
        assert!(!account.is_locked(now + Duration::minutes(15)));
        assert_eq!(account.failed_sign_ins, 0);
        account.install_one_time(PinHash::from_stored("y"), now);
        assert!(!account.is_locked(now) && account.must_change_password);
    }

    #[test]
    fn sessions_end_when_idle_or_old_and_match_only_their_secret() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1);
        let id = SessionId::new_random();
        let secret = SessionSecret::generate(id).unwrap();
        assert_eq!(secret.id(), Some(id));
        let mut session = Session::begin(id, AccountId::new_random(), &secret, now);
        assert!(session.matches(&secret));
        assert!(!session.matches(&SessionSecret::generate(id).unwrap()));
        assert!(session.is_active(now + Duration::minutes(29)));
        assert!(!session.is_active(now + Duration::minutes(30)));
        assert!(!session.needs_touch(now + Duration::seconds(59)));
        assert!(session.needs_touch(now + Duration::minutes(1)));
        session.last_seen_at = now + Duration::hours(11) + Duration::minutes(50);
        assert_eq!(session.ends_at(), now + SESSION_LIFETIME);
        assert!(!secret.digest().contains(secret.expose()));
        assert!(secret.csrf_matches(&secret.csrf_token()));
        assert!(!secret.csrf_matches("nope"));
        assert_ne!(secret.csrf_token(), secret.digest());
        assert_eq!(format!("{secret:?}"), "SessionSecret(<redacted>)");
        for text in ["", "vps_", "vps_zz_a", "vpt_x_y"] {
            assert_eq!(SessionSecret::new(text).id(), None, "{text}");
        }
    }
}
