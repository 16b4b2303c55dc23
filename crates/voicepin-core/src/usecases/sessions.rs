//! Password sign-in, browser sessions and sign-out.
//!
//! Every attempt runs one Argon2 verification, whether the account exists, is disabled,
//! locked, or the password is wrong, and all of these answer [`Error::AuthenticationFailed`]
//! alike; the audit log records which it was. Failures are counted on the account with an
//! optimistic read-modify-write (a conflict re-applies the attempt to the fresh account,
//! reusing the verification), so concurrent attempts are all counted.

use time::OffsetDateTime;

use crate::access::{Operation, Target};
use crate::accounts::{AdminAccount, Password, SESSION_IDLE_TIMEOUT, Session, SessionSecret};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::context::Actor;
use crate::error::{Error, Result};
use crate::hashing::{PinHash, Verification};
use crate::ids::{AccountId, SessionId};
use crate::ports::{Change, Write};

use super::{Principal, VoicePin, retry_on_conflict};

/// Who a valid session speaks for (`Debug` leaves the CSRF token out).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionAuth {
    /// The account's name and role.
    pub principal: Principal,
    /// The account.
    pub account_id: AccountId,
    /// The session.
    pub session_id: SessionId,
    /// The token unsafe requests must carry in `X-CSRF-Token`.
    pub csrf_token: String,
    /// The account signed in with a one-time password and must change it first.
    pub must_change_password: bool,
    /// When the session ends unless used again.
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for SessionAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionAuth")
            .field("principal", &self.principal)
            .field("account_id", &self.account_id)
            .field("session_id", &self.session_id)
            .field("csrf_token", &"<redacted>")
            .field("must_change_password", &self.must_change_password)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl SessionAuth {
    /// The rule of one-time passwords: a session whose account must change its password may
    /// change it and sign out, nothing else.
    pub fn require_password_changed(&self) -> Result<()> {
        if self.must_change_password { Err(Error::PasswordChangeRequired) } else { Ok(()) }
    }
}

/// A new session: its cookie value (shown once) and who it speaks for.
#[derive(Debug)]
pub struct SignedIn {
    /// The cookie value.
    pub secret: SessionSecret,
    /// The session's principal, CSRF token and expiry.
    pub auth: SessionAuth,
}

impl VoicePin {
    /// Signs an administrator in with a name and password; a session on success. Every
    /// failure is [`Error::AuthenticationFailed`]; the fifth in a row locks the account for
    /// fifteen minutes. `context` says where the attempt came from (its actor is replaced by
    /// the account's name when the account exists).
    pub async fn sign_in_with_password(
        &self,
        context: &RequestContext,
        name: &str,
        password: &Password,
    ) -> Result<SignedIn> {
        context.authorize(Operation::PasswordSignIn, Target::Any)?;
        let mut verified: Option<(PinHash, Verification)> = None;
        retry_on_conflict!(self.try_sign_in_with_password(context, name, password, &mut verified).await)
    }

    async fn try_sign_in_with_password(
        &self,
        context: &RequestContext,
        name: &str,
        password: &Password,
        verified: &mut Option<(PinHash, Verification)>,
    ) -> Result<SignedIn> {
        let found = match AdminAccount::check_name(name) {
            Ok(name) => self.store.account_by_name(&name).await?,
            Err(_) => None,
        };
        let now = self.clock.now();
        let Some(mut account) = found else {
            self.hasher.verify_decoy_secret(password.expose().as_bytes()).await;
            let event = AuditEvent::new(context, now, AuditAction::AccountSignInFailed, unknown_account(name))
                .with("reason", "unknownAccount");
            self.commit(Change { audit: vec![event], ..Change::default() }).await?;
            return Err(Error::AuthenticationFailed);
        };
        let context = RequestContext { actor: Actor::from_role(account.name.clone(), account.role), ..context.clone() };
        let verification = self.verify_cached(password.expose().as_bytes(), &account.password_hash, verified).await?;
        let refusal = if account.disabled {
            Some("disabled")
        } else if account.is_locked(now) {
            Some("locked")
        } else {
            None
        };
        if let Some(reason) = refusal {
            let event = AuditEvent::new(&context, now, AuditAction::AccountSignInFailed, &account.name)
                .with("reason", reason)
                .with("purpose", "signIn");
            self.commit(Change { audit: vec![event], ..Change::default() }).await?;
            return Err(Error::AuthenticationFailed);
        }
        if verification == Verification::Mismatch {
            let change = self.failure_change(&context, &mut account, now, "wrongPassword", "signIn");
            self.commit(change).await?;
            return Err(Error::AuthenticationFailed);
        }

        account.clear_failures();
        account.last_sign_in_at = Some(now);
        if self.hasher.needs_rehash(&account.password_hash) {
            account.password_hash = self.hash_password(password).await?;
        }
        let id = SessionId::new_random();
        let secret = SessionSecret::generate(id)?;
        let session = Session::begin(id, account.id, &secret, now);
        let event = AuditEvent::new(&context, now, AuditAction::AccountSignedIn, &account.name)
            .with("mustChangePassword", account.must_change_password);
        let auth = session_auth(&account, &session, &secret);
        self.commit(Change {
            writes: vec![
                Write::UpdateAccount(account),
                Write::InsertSession(session),
                // Sessions nobody presents again end here, not in the table forever.
                Write::PurgeEndedSessions { now, idle_since: now - SESSION_IDLE_TIMEOUT },
            ],
            audit: vec![event],
            ..Change::default()
        })
        .await?;
        Ok(SignedIn { secret, auth })
    }

    /// Who a session cookie speaks for; [`Error::AuthenticationFailed`] for anything
    /// malformed, unknown, expired, or of a disabled or removed account. Slides the idle
    /// timeout, writing the last-seen time at most once a minute.
    pub async fn authenticate_session(&self, secret: &SessionSecret) -> Result<SessionAuth> {
        let Some(id) = secret.id() else { return Err(Error::AuthenticationFailed) };
        let Some(mut session) = self.store.session(id).await?.filter(|s| s.matches(secret)) else {
            return Err(Error::AuthenticationFailed);
        };
        let now = self.clock.now();
        if !session.is_active(now) {
            self.commit(Change { writes: vec![Write::DeleteSession(id)], ..Change::default() }).await?;
            return Err(Error::AuthenticationFailed);
        }
        let account = match self.store.account(session.account_id).await? {
            Some(account) if !account.disabled => account,
            _ => return Err(Error::AuthenticationFailed),
        };
        if session.needs_touch(now) {
            self.commit(Change { writes: vec![Write::TouchSession(id, now)], ..Change::default() }).await?;
            session.last_seen_at = now;
        }
        Ok(session_auth(&account, &session, secret))
    }

    /// Ends a session.
    pub async fn sign_out(&self, context: &RequestContext, session: &SessionAuth) -> Result<()> {
        context.authorize(Operation::ManageOwnAccount, Target::Any)?;
        let event = AuditEvent::new(context, self.clock.now(), AuditAction::AccountSignedOut, &session.principal.name);
        self.commit(Change {
            writes: vec![Write::DeleteSession(session.session_id)],
            audit: vec![event],
            ..Change::default()
        })
        .await
    }
}

pub(super) fn session_auth(account: &AdminAccount, session: &Session, secret: &SessionSecret) -> SessionAuth {
    SessionAuth {
        principal: Principal { name: account.name.clone(), role: account.role },
        account_id: account.id,
        session_id: session.id,
        csrf_token: secret.csrf_token(),
        must_change_password: account.must_change_password,
        expires_at: session.ends_at(),
    }
}

/// How an unknown account name appears in the audit log: by its length only, since it may
/// be a password typed in the wrong field.
fn unknown_account(name: &str) -> String {
    format!("<unknown account, {} characters>", name.trim().chars().count())
}
