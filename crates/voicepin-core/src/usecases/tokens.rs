//! API tokens: create (shown once), list, revoke, and authenticate a bearer token.

use time::OffsetDateTime;

use crate::access::{Operation, Role, Target};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::context::ActorKind;
use crate::error::{Error, ObjectKind, Result};
use crate::ids::{Revision, TokenId};
use crate::ports::{Change, Write};
use crate::tokens::{ApiToken, TokenLifetime, TokenSecret};

use super::{VoicePin, retry_on_conflict};

/// Who a valid bearer token speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's name, the actor in the audit log.
    pub name: String,
    /// Its role.
    pub role: Role,
}

impl VoicePin {
    /// Creates an API token for `role`, living `lifetime` (a number of days, or `never`
    /// said explicitly; `None` is the configured default, [`Self::with_token_lifetime`]).
    /// It records who made it. The secret is returned once and never stored.
    pub async fn create_token(
        &self,
        context: &RequestContext,
        name: &str,
        role: Role,
        lifetime: Option<TokenLifetime>,
    ) -> Result<(ApiToken, TokenSecret)> {
        context.authorize(Operation::ManageAccounts, Target::Any)?;
        let name = ApiToken::check_name(name)?;
        let lifetime = match lifetime.unwrap_or(self.token_lifetime) {
            TokenLifetime::Days(days) => TokenLifetime::days("Expires", days)?,
            TokenLifetime::Never => TokenLifetime::Never,
        };
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
            created_by_kind: context.actor.kind(),
            created_at: now,
            expires_at: lifetime.expiry(now),
            revoked_at: None,
        };
        let mut event =
            AuditEvent::new(context, now, AuditAction::TokenCreated, &token.name).with("role", role.as_str());
        event = match token.expires_at {
            Some(at) => event.with("expiresAt", at),
            None => event.with("expiresAt", "never"),
        };
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

    /// Revocations, in `change`, of every active token an administrator account made, and
    /// of those the tokens made in turn: they end with the account (disabled or removed).
    pub(super) async fn revoke_tokens_made_by(
        &self,
        context: &RequestContext,
        account_name: &str,
        reason: &str,
        now: OffsetDateTime,
        change: &mut Change,
    ) -> Result<()> {
        let tokens = self.store.tokens().await?;
        let mut makers = vec![account_name.to_lowercase()];
        let mut revoked: Vec<ApiToken> = Vec::new();
        while let Some(maker) = makers.pop() {
            for token in &tokens {
                let made_by_maker = token.created_by_kind == ActorKind::Administrator
                    && token.created_by.to_lowercase() == maker
                    && token.revoked_at.is_none();
                if made_by_maker && !revoked.iter().any(|r| r.id == token.id) {
                    let mut token = token.clone();
                    token.revoked_at = Some(now);
                    makers.push(token.name.to_lowercase());
                    change.audit.push(
                        AuditEvent::new(&context.as_system(), now, AuditAction::TokenRevoked, &token.name)
                            .with("reason", reason)
                            .with("createdBy", &token.created_by),
                    );
                    revoked.push(token);
                }
            }
        }
        change.writes.extend(revoked.into_iter().map(Write::UpdateToken));
        Ok(())
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}
