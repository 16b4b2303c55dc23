//! Administrator accounts: create, list, get, change, remove, reset a password, break-glass
//! recovery, and changing one's own password.
//!
//! Organization Management manages accounts; View-Only may read them. At least one enabled
//! Organization Management account stays: removing, disabling or demoting the last one is
//! refused (the check reads, then writes; two administrators demoting each other at the same
//! instant could both pass it, which `voicepin admin recover` repairs).

use subtle::ConstantTimeEq;

use crate::access::{Operation, Role, Target};
use crate::accounts::{AdminAccount, Password, Session, SessionSecret};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::error::{Error, ObjectKind, Result};
use crate::hashing::{PinHash, Verification};
use crate::ids::{AccountId, Revision, SessionId};
use crate::ports::{Change, Write};

use super::sessions::{SignedIn, session_auth};
use super::{VoicePin, retry_on_conflict};

/// Changes to an administrator account; `None` leaves a value as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountSettings {
    /// The new role.
    pub role: Option<Role>,
    /// Disable (true) or enable (false) the account. Disabling ends its sessions.
    pub disabled: Option<bool>,
}

impl VoicePin {
    /// Creates an administrator account with a one-time password, returned once; the account
    /// must change it at its first sign-in.
    pub async fn new_account(
        &self,
        context: &RequestContext,
        name: &str,
        role: Role,
    ) -> Result<(AdminAccount, Password)> {
        context.authorize(Operation::ManageAccounts, Target::Any)?;
        let name = AdminAccount::check_name(name)?;
        let password = Password::generate_one_time()?;
        let hash = self.hash_password(&password).await?;
        let account = self.insert_account(context, name, role, hash, AuditAction::AccountCreated).await?;
        Ok((account, password))
    }

    async fn insert_account(
        &self,
        context: &RequestContext,
        name: String,
        role: Role,
        hash: PinHash,
        action: AuditAction,
    ) -> Result<AdminAccount> {
        let now = self.clock.now();
        let mut account = AdminAccount {
            id: AccountId::new_random(),
            revision: Revision::NEW,
            name,
            role,
            password_hash: hash,
            must_change_password: true,
            failed_sign_ins: 0,
            locked_until: None,
            disabled: false,
            created_at: now,
            changed_at: now,
            last_sign_in_at: None,
        };
        let event = AuditEvent::new(context, now, action, &account.name).with("role", role.as_str());
        self.commit(Change {
            writes: vec![Write::InsertAccount(account.clone())],
            audit: vec![event],
            ..Change::default()
        })
        .await?;
        account.revision = account.revision.next();
        Ok(account)
    }

    /// Every administrator account (never a password hash leaves the core's types).
    pub async fn list_accounts(&self, context: &RequestContext) -> Result<Vec<AdminAccount>> {
        context.authorize(Operation::ViewAccounts, Target::Any)?;
        Ok(self.store.accounts().await?)
    }

    /// One administrator account, by name or id.
    pub async fn get_account(&self, context: &RequestContext, identity: &str) -> Result<AdminAccount> {
        context.authorize(Operation::ViewAccounts, Target::Any)?;
        self.resolve_account(identity).await
    }

    async fn resolve_account(&self, identity: &str) -> Result<AdminAccount> {
        let identity = identity.trim();
        let found = match identity.parse::<AccountId>() {
            Ok(id) => self.store.account(id).await?,
            Err(_) => self.store.account_by_name(identity).await?,
        };
        found.ok_or_else(|| Error::NotFound { kind: ObjectKind::Account, identity: identity.to_owned() })
    }

    /// Changes an account's role or disabled flag. Disabling ends its sessions and revokes
    /// the API tokens it made (and those they made).
    pub async fn set_account(
        &self,
        context: &RequestContext,
        identity: &str,
        settings: AccountSettings,
    ) -> Result<AdminAccount> {
        context.authorize(Operation::ManageAccounts, Target::Any)?;
        retry_on_conflict!(self.try_set_account(context, identity, &settings).await)
    }

    async fn try_set_account(
        &self,
        context: &RequestContext,
        identity: &str,
        settings: &AccountSettings,
    ) -> Result<AdminAccount> {
        let before = self.resolve_account(identity).await?;
        let mut account = before.clone();
        account.role = settings.role.unwrap_or(account.role);
        account.disabled = settings.disabled.unwrap_or(account.disabled);
        if account == before {
            return Ok(account);
        }
        if before.is_enabled_organization_manager() && !account.is_enabled_organization_manager() {
            self.keep_an_organization_manager(&before).await?;
        }
        let now = self.clock.now();
        account.changed_at = now;
        let event = AuditEvent::new(context, now, AuditAction::AccountChanged, &account.name)
            .with("role", account.role.as_str())
            .with("disabled", account.disabled);
        let mut change =
            Change { writes: vec![Write::UpdateAccount(account.clone())], audit: vec![event], ..Change::default() };
        if account.disabled {
            // Its sessions and the tokens it made end with it.
            change.writes.push(Write::DeleteSessionsOf(account.id));
            self.revoke_tokens_made_by(context, &account.name, "accountDisabled", now, &mut change).await?;
        }
        self.commit(change).await?;
        account.revision = account.revision.next();
        Ok(account)
    }

    /// Removes an account; its sessions and the API tokens it made end with it.
    pub async fn remove_account(&self, context: &RequestContext, identity: &str) -> Result<()> {
        context.authorize(Operation::ManageAccounts, Target::Any)?;
        retry_on_conflict!(self.try_remove_account(context, identity).await)
    }

    async fn try_remove_account(&self, context: &RequestContext, identity: &str) -> Result<()> {
        let account = self.resolve_account(identity).await?;
        if account.is_enabled_organization_manager() {
            self.keep_an_organization_manager(&account).await?;
        }
        let now = self.clock.now();
        let event = AuditEvent::new(context, now, AuditAction::AccountRemoved, &account.name)
            .with("role", account.role.as_str());
        let mut change = Change {
            writes: vec![Write::DeleteAccount(account.id, account.revision)],
            audit: vec![event],
            ..Change::default()
        };
        // Its sessions go with the account; the tokens it made are revoked.
        self.revoke_tokens_made_by(context, &account.name, "accountRemoved", now, &mut change).await?;
        self.commit(change).await
    }

    /// Refuses unless an enabled Organization Management account other than `account` exists.
    async fn keep_an_organization_manager(&self, account: &AdminAccount) -> Result<()> {
        let others = self.store.accounts().await?;
        if others.iter().any(|other| other.id != account.id && other.is_enabled_organization_manager()) {
            Ok(())
        } else {
            Err(Error::LastAdministrator(account.name.clone()))
        }
    }

    /// Sets a new one-time password on an account (returned once), unlocks it and ends its
    /// sessions.
    pub async fn reset_account_password(
        &self,
        context: &RequestContext,
        identity: &str,
    ) -> Result<(AdminAccount, Password)> {
        context.authorize(Operation::ManageAccounts, Target::Any)?;
        let password = Password::generate_one_time()?;
        let hash = self.hash_password(&password).await?;
        let account = retry_on_conflict!(
            self.try_install_one_time(
                context,
                self.resolve_account(identity).await?,
                &hash,
                AuditAction::AccountPasswordReset
            )
            .await
        )?;
        Ok((account, password))
    }

    async fn try_install_one_time(
        &self,
        context: &RequestContext,
        mut account: AdminAccount,
        hash: &PinHash,
        action: AuditAction,
    ) -> Result<AdminAccount> {
        let now = self.clock.now();
        account.install_one_time(hash.clone(), now);
        if action == AuditAction::AccountRecovered {
            account.disabled = false;
        }
        let event = AuditEvent::new(context, now, action, &account.name).with("role", account.role.as_str());
        self.commit(Change {
            writes: vec![Write::UpdateAccount(account.clone()), Write::DeleteSessionsOf(account.id)],
            audit: vec![event],
            ..Change::default()
        })
        .await?;
        account.revision = account.revision.next();
        Ok(account)
    }

    /// Break-glass, for whoever holds the data directory (the local command line, no role):
    /// a new one-time password for `name` (by default `admin`), which is also unlocked and
    /// enabled; an account that does not exist is created with Organization Management.
    pub async fn recover_account(
        &self,
        context: &RequestContext,
        name: Option<&str>,
    ) -> Result<(AdminAccount, Password)> {
        context.authorize(Operation::RecoverAccount, Target::Any)?;
        let name = AdminAccount::check_name(name.unwrap_or(AdminAccount::DEFAULT_NAME))?;
        let password = Password::generate_one_time()?;
        let hash = self.hash_password(&password).await?;
        let action = AuditAction::AccountRecovered;
        let account = retry_on_conflict!(match self.store.account_by_name(&name).await? {
            Some(account) => self.try_install_one_time(context, account, &hash, action).await,
            None => {
                self.insert_account(context, name.clone(), Role::OrganizationManagement, hash.clone(), action).await
            }
        })?;
        Ok((account, password))
    }

    /// Changes the password of the signed-in account, which proves it knows the current one.
    /// A wrong current password counts as a failed sign-in (and may lock the account). The
    /// account's sessions all end, `session` (where the change is made) included, and a new
    /// session takes its place: a new id and a new CSRF token, so that a session id or token
    /// seen before the change (a fixation, a leak) is worth nothing after it.
    pub async fn change_own_password(
        &self,
        context: &RequestContext,
        account: AccountId,
        session: SessionId,
        current: &Password,
        new: &Password,
    ) -> Result<SignedIn> {
        context.authorize(Operation::ManageOwnAccount, Target::Any)?;
        let mut verified: Option<(PinHash, Verification)> = None;
        let mut new_hash: Option<PinHash> = None;
        retry_on_conflict!(
            self.try_change_own_password(context, (account, session), current, new, &mut verified, &mut new_hash).await
        )
    }

    async fn try_change_own_password(
        &self,
        context: &RequestContext,
        (id, session): (AccountId, SessionId),
        current: &Password,
        new: &Password,
        verified: &mut Option<(PinHash, Verification)>,
        new_hash: &mut Option<PinHash>,
    ) -> Result<SignedIn> {
        // `session`, where the change is made, ends like the others (see the writes below).
        let _ = session;
        let mut account = self.store.account(id).await?.ok_or(Error::AuthenticationFailed)?;
        new.check_new("NewPassword", &account.name)?;
        let now = self.clock.now();
        let verification = self.verify_cached(current.expose().as_bytes(), &account.password_hash, verified).await?;
        if account.disabled || account.is_locked(now) {
            return Err(Error::AuthenticationFailed);
        }
        if verification == Verification::Mismatch {
            let change = self.failure_change(context, &mut account, now, "wrongPassword", "changePassword");
            self.commit(change).await?;
            return Err(Error::AuthenticationFailed);
        }
        if bool::from(new.expose().as_bytes().ct_eq(current.expose().as_bytes())) {
            return Err(crate::InvalidValue::new(
                "NewPassword",
                "12 to 128 characters, other than the current password",
                "<the current password>".to_owned(),
            )
            .into());
        }
        let hash = match new_hash {
            Some(hash) => hash.clone(),
            None => new_hash.insert(self.hash_password(new).await?).clone(),
        };
        account.install_password(hash, false, now);
        let event = AuditEvent::new(context, now, AuditAction::AccountPasswordChanged, &account.name);
        // Every session of the account (with the old password) ends, this one included; the
        // new one replaces it.
        let new_id = SessionId::new_random();
        let secret = SessionSecret::generate(new_id)?;
        let new_session = Session::begin(new_id, account.id, &secret, now);
        let auth = session_auth(&account, &new_session, &secret);
        let writes = vec![
            Write::DeleteOtherSessions(account.id, new_id),
            Write::UpdateAccount(account),
            Write::InsertSession(new_session),
        ];
        self.commit(Change { writes, audit: vec![event], ..Change::default() }).await?;
        Ok(SignedIn { secret, auth })
    }

    /// Counts a failed password check on `account`: the update, the failure's audit event,
    /// and the lockout's when this failure locks it.
    pub(super) fn failure_change(
        &self,
        context: &RequestContext,
        account: &mut AdminAccount,
        now: time::OffsetDateTime,
        reason: &str,
        purpose: &str,
    ) -> Change {
        let locked = account.count_failure(now);
        let mut audit = vec![
            AuditEvent::new(context, now, AuditAction::AccountSignInFailed, &account.name)
                .with("reason", reason)
                .with("purpose", purpose)
                .with(
                    "failedSignIns",
                    if locked { crate::accounts::LOCKOUT_THRESHOLD } else { account.failed_sign_ins },
                ),
        ];
        if let Some(until) = account.locked_until.filter(|_| locked) {
            let system = context.as_system();
            audit.push(
                AuditEvent::new(&system, now, AuditAction::AccountLocked, &account.name).with("lockedUntil", until),
            );
        }
        Change { writes: vec![Write::UpdateAccount(account.clone())], audit, ..Change::default() }
    }

    pub(super) async fn hash_password(&self, password: &Password) -> Result<PinHash> {
        self.hasher.hash_secret(password.expose().as_bytes()).await.map_err(|e| Error::Hashing(e.to_string()))
    }
}
