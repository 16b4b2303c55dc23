//! API tokens: create (shown once), list, revoke, and authenticate a bearer token.

use time::{Duration, OffsetDateTime};

use crate::access::{Operation, Role, Target};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::error::{Error, InvalidValue, ObjectKind, Result};
use crate::ids::{Revision, TokenId};
use crate::ports::{Change, Write};
use crate::tokens::{ApiToken, TokenSecret};

use super::{VoicePin, retry_on_conflict};

/// Who a valid bearer token speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's name, the actor in the audit log.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// The longest a token may live, in days.
pub const MAX_TOKEN_DAYS: u32 = 3650;

impl VoicePin {
    /// Creates an API token for `role`, valid for `expires_in_days` (or until revoked). The
    /// secret is returned once and never stored.
    pub async fn create_token(
        &self,
        context: &RequestContext,
        name: &str,
        role: Role,
        expires_in_days: Option<u32>,
    ) -> Result<(ApiToken, TokenSecret)> {
        context.authorize(Operation::ManageAccounts, Target::Any)?;
        let name = ApiToken::check_name(name)?;
        if let Some(days) = expires_in_days
            && !(1..=MAX_TOKEN_DAYS).contains(&days)
        {
            return Err(InvalidValue::new("Expires", "1 to 3650 days", days.to_string()).into());
        }
        let now = self.clock.now();
        let id = TokenId::new_random();
        let secret = TokenSecret::generate(id)?;
        let mut token = ApiToken {
            id,
            revision: Revision::NEW,
            name,
            role,
            secret_digest: secret.digest(),
            created_by: context.actor.name().to_owned(),
            created_at: now,
            expires_at: expires_in_days.map(|days| now + Duration::days(i64::from(days))),
            revoked_at: None,
        };
        let mut event =
            AuditEvent::new(context, now, AuditAction::TokenCreated, &token.name).with("role", role.as_str());
        if let Some(at) = token.expires_at {
            event = event.with("expiresAt", at);
        }
        self.commit(Change {
            writes: vec![Write::InsertToken(token.clone())],
            audit: vec![event],
            ..Change::default()
        })
        .await?;
        token.revision = token.revision.next();
        Ok((token, secret))
    }

    /// Every API token (never their secrets).
    pub async fn list_tokens(&self, context: &RequestContext) -> Result<Vec<ApiToken>> {
        context.authorize(Operation::ViewAccounts, Target::Any)?;
        Ok(self.store.tokens().await?)
    }

    /// Revokes a token, by name or id: it stops working at once.
    pub async fn revoke_token(&self, context: &RequestContext, identity: &str) -> Result<ApiToken> {
        context.authorize(Operation::ManageAccounts, Target::Any)?;
        retry_on_conflict!(self.try_revoke_token(context, identity).await)
    }

    async fn try_revoke_token(&self, context: &RequestContext, identity: &str) -> Result<ApiToken> {
        let identity = identity.trim();
        let found = match identity.parse::<TokenId>() {
            Ok(id) => self.store.token(id).await?,
            Err(_) => self.store.token_by_name(identity).await?,
        };
        let mut token =
            found.ok_or_else(|| Error::NotFound { kind: ObjectKind::Token, identity: identity.to_owned() })?;
        if token.revoked_at.is_some() {
            return Ok(token);
        }
        let now = self.clock.now();
        token.revoked_at = Some(now);
        let event = AuditEvent::new(context, now, AuditAction::TokenRevoked, &token.name);
        self.commit(Change {
            writes: vec![Write::UpdateToken(token.clone())],
            audit: vec![event],
            ..Change::default()
        })
        .await?;
        token.revision = token.revision.next();
        Ok(token)
    }

    /// The principal a bearer token speaks for; [`Error::AuthenticationFailed`] for anything
    /// malformed, unknown, expired or revoked, all alike.
    pub async fn authenticate_token(&self, secret: &TokenSecret) -> Result<Principal> {
        let Some(id) = secret.id() else { return Err(Error::AuthenticationFailed) };
        let token = self.store.token(id).await?;
        match token {
            Some(token) if token.matches(secret) && token.is_active(self.now()) => {
                Ok(Principal { name: token.name, role: token.role })
            }
            _ => Err(Error::AuthenticationFailed),
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}
