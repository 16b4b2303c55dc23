//! Get-UMMailboxPIN, Set-UMMailboxPIN, lock, unlock, and the user's own PIN change and reset.

use time::OffsetDateTime;

use crate::access::{Operation, Target};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::error::{Error, Result};
use crate::hashing::Verification;
use crate::ids::MailboxId;
use crate::mailbox::{Mailbox, SmtpAddress};
use crate::notify::{Notification, OutboundMail, ResetReason};
use crate::pin::Pin;
use crate::ports::{Change, Write};
use crate::signin;

use super::{VoicePin, retry_on_conflict};

/// What Get-UMMailboxPIN reports, and a little more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinInfo {
    /// UserID: the mailbox's primary SMTP address.
    pub user_id: String,
    /// PinExpired: the PIN must be changed at the next sign-in (flag set, or lifetime passed).
    pub pin_expired: bool,
    /// FirstTimeUser.
    pub first_time_user: bool,
    /// LockedOut.
    pub locked_out: bool,
    /// Failed sign-ins since the last success or reset.
    pub consecutive_failures: u32,
    /// Failed sign-ins since the last success, across resets.
    pub total_failures: u32,
    /// When the PIN was set.
    pub pin_set_at: Option<OffsetDateTime>,
    /// When it expires under the current policy; `None` for never.
    pub pin_expires_at: Option<OffsetDateTime>,
    /// The last failed sign-in.
    pub last_failure_at: Option<OffsetDateTime>,
    /// The last successful sign-in.
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// Whether the mailbox is enabled for UM.
    pub um_enabled: bool,
}

/// What Set-UMMailboxPIN, lock or unlock did: the PIN state after it, and where the PIN went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinChange {
    /// The mailbox.
    pub mailbox_id: MailboxId,
    /// The PIN state now.
    pub info: PinInfo,
    /// The address the new PIN was mailed to (the mailbox, or NotifyEmail); `None` when it
    /// was not mailed (SendEmail false) or only the lock changed.
    pub mailed_to: Option<String>,
}

/// Set-UMMailboxPIN.
#[derive(Clone, Debug, Default)]
pub struct SetPin {
    /// Pin: the new PIN; generated when omitted.
    pub pin: Option<Pin>,
    /// PinExpired: default true.
    pub pin_expired: Option<bool>,
    /// LockedOut: default false, which clears a lockout; true locks.
    pub locked_out: Option<bool>,
    /// SendEmail: default true.
    pub send_email: Option<bool>,
    /// NotifyEmail: where the message goes instead of the mailbox.
    pub notify_email: Option<String>,
}

impl SetPin {
    /// Exchange's examples `Set-UMMailboxPIN -Identity x -LockedOut $true` (lock) and
    /// `-LockedOut $false` (unlock) change only the lock; a call with any PIN parameter
    /// (or none at all) sets a PIN. exchange-um.md §4.7 and §10 #8.
    pub fn lock_state_only(&self) -> Option<bool> {
        let sets_pin = self.pin.is_some()
            || self.pin_expired.is_some()
            || self.send_email.is_some()
            || self.notify_email.is_some();
        if sets_pin { None } else { self.locked_out }
    }
}

impl VoicePin {
    /// Get-UMMailboxPIN for one mailbox.
    pub async fn get_pin_info(&self, context: &RequestContext, identity: &str) -> Result<PinInfo> {
        context.authorize(Operation::ViewMailboxes, Target::Any)?;
        let mailbox = self.resolve_mailbox(identity).await?;
        let (policy, _) = self.policy_and_plan(&mailbox).await?;
        Ok(pin_info(&mailbox, &policy.pin, self.clock.now()))
    }

    /// Get-UMMailboxPIN without an identity: the UM-enabled mailboxes of a page.
    /// Set-UMMailboxPIN: sets the given PIN or a generated one, marks it expired unless told
    /// otherwise, clears the failure counters and (unless LockedOut is true) the lockout, and
    /// emails the PIN to the user or NotifyEmail unless SendEmail is false.
    pub async fn set_pin(&self, context: &RequestContext, identity: &str, request: SetPin) -> Result<PinChange> {
        // Only the lock state: the lock or unlock use case, which authorizes itself.
        if let Some(locked) = request.lock_state_only() {
            return if locked { self.lock(context, identity).await } else { self.unlock(context, identity).await };
        }
        context.authorize(Operation::ResetPins, Target::Any)?;
        if request.locked_out == Some(true) {
            context.authorize(Operation::LockMailboxes, Target::Any)?;
        }
        retry_on_conflict!(self.try_set_pin(context, identity, &request).await)
    }

    async fn try_set_pin(&self, context: &RequestContext, identity: &str, request: &SetPin) -> Result<PinChange> {
        let mut mailbox = self.resolve_mailbox(identity).await?;
        if !mailbox.um_enabled {
            return Err(Error::NotUmEnabled(mailbox.smtp_address.to_string()));
        }
        let notify = request.notify_email.as_deref().map(|to| SmtpAddress::parse("NotifyEmail", to)).transpose()?;
        let (policy, plan) = self.policy_and_plan(&mailbox).await?;
        let pin = match &request.pin {
            Some(pin) => {
                self.check_new_pin(pin, &mailbox, &policy).await?;
                pin.clone()
            }
            None => self.generate_for(&mailbox, &policy).await?,
        };
        let now = self.clock.now();
        let expired = request.pin_expired.unwrap_or(true);
        let locked = request.locked_out.unwrap_or(false);
        let send_email = request.send_email.unwrap_or(true);
        let was_locked = mailbox.pin.locked_out;
        mailbox.pin.install(self.hash(&pin).await?, expired, now);
        mailbox.pin.clear_failures();
        mailbox.pin.locked_out = locked;

        let mut event = AuditEvent::new(context, now, AuditAction::PinSet, mailbox.smtp_address.as_str())
            .for_mailbox(mailbox.id)
            .with("pinGenerated", request.pin.is_none())
            .with("pinExpired", expired)
            .with("lockedOut", locked)
            .with("sendEmail", send_email);
        if was_locked != locked {
            event = event.with("lockChanged", if locked { "locked" } else { "unlocked" });
        }
        if let Some(to) = &notify {
            event = event.with("notifyEmail", to);
        }
        let mut change = Change::default();
        // The owner always hears of a PIN someone else set: with the PIN when it goes to
        // them, else a notice without it at their own address (issue 11, finding 6).
        let sent_to = notify.as_ref().filter(|to| *to != &mailbox.smtp_address);
        let owner_notice = match (send_email, sent_to) {
            (true, None) => None,
            (true, Some(to)) => Some(Some(to.to_string())),
            (false, _) => Some(None),
        };
        let mailed_to = send_email.then(|| notify.as_ref().unwrap_or(&mailbox.smtp_address).to_string());
        if send_email {
            change.mail.push(OutboundMail::new(
                &mailbox,
                &plan,
                notify.as_ref(),
                Notification::PinReset {
                    pin,
                    change_required: expired,
                    reset_pin_text: policy.reset_pin_text.as_str().to_owned(),
                    reason: ResetReason::Administrator,
                    locked_out: locked,
                },
                now,
            ));
        }
        if let Some(sent_to) = owner_notice {
            let notice = Notification::PinSetBySomeoneElse { sent_to };
            change.mail.push(OutboundMail::new(&mailbox, &plan, None, notice, now));
        }
        let info = pin_info(&mailbox, &policy.pin, now);
        let mailbox_id = mailbox.id;
        change.writes.push(Write::UpdateMailbox(mailbox));
        change.audit.push(event);
        self.commit(change).await?;
        Ok(PinChange { mailbox_id, info, mailed_to })
    }

    /// Locks the mailbox out of voice access (Set-UMMailboxPIN -LockedOut $true). Returns
    /// the PIN state after it.
    pub async fn lock(&self, context: &RequestContext, identity: &str) -> Result<PinChange> {
        context.authorize(Operation::LockMailboxes, Target::Any)?;
        retry_on_conflict!(self.try_set_lock(context, identity, true).await)
    }

    /// Unlocks the mailbox and clears its failure counters (Set-UMMailboxPIN -LockedOut $false).
    /// Returns the PIN state after it.
    pub async fn unlock(&self, context: &RequestContext, identity: &str) -> Result<PinChange> {
        context.authorize(Operation::UnlockMailboxes, Target::Any)?;
        retry_on_conflict!(self.try_set_lock(context, identity, false).await)
    }

    async fn try_set_lock(&self, context: &RequestContext, identity: &str, locked: bool) -> Result<PinChange> {
        let mut mailbox = self.resolve_mailbox(identity).await?;
        if !mailbox.um_enabled {
            return Err(Error::NotUmEnabled(mailbox.smtp_address.to_string()));
        }
        let action = if locked { AuditAction::MailboxLocked } else { AuditAction::MailboxUnlocked };
        let event = AuditEvent::new(context, self.clock.now(), action, mailbox.smtp_address.as_str())
            .for_mailbox(mailbox.id)
            .with("wasLockedOut", mailbox.pin.locked_out);
        mailbox.pin.locked_out = locked;
        if !locked {
            mailbox.pin.clear_failures();
        }
        let (policy, _) = self.policy_and_plan(&mailbox).await?;
        let info = pin_info(&mailbox, &policy.pin, self.clock.now());
        let mailbox_id = mailbox.id;
        self.commit(Change { writes: vec![Write::UpdateMailbox(mailbox)], audit: vec![event], ..Change::default() })
            .await?;
        Ok(PinChange { mailbox_id, info, mailed_to: None })
    }

    /// The user changes their own PIN: the current PIN (counted like a sign-in when wrong)
    /// and a new one, which must pass every rule. Clears PinExpired and FirstTimeUser and
    /// queues a "PIN changed" notice (without the PIN).
    pub async fn change_pin(
        &self,
        context: &RequestContext,
        identity: &str,
        current: &Pin,
        new: &Pin,
    ) -> Result<PinChange> {
        context.authorize_any(Operation::ChangeOwnPin)?;
        retry_on_conflict!(self.try_change_pin(context, identity, current, new).await)
    }

    async fn try_change_pin(
        &self,
        context: &RequestContext,
        identity: &str,
        current: &Pin,
        new: &Pin,
    ) -> Result<PinChange> {
        let mailbox = match self.resolve_mailbox(identity).await {
            Ok(mailbox) => mailbox,
            Err(Error::NotFound { .. } | Error::Ambiguous { .. }) => {
                self.hasher.verify_decoy(current).await;
                return Err(Error::AuthenticationFailed);
            }
            Err(other) => return Err(other),
        };
        if let Err(refused) = context.authorize(Operation::ChangeOwnPin, Target::Mailbox(mailbox.id)) {
            self.hasher.verify_decoy(current).await;
            return Err(refused);
        }
        let (policy, plan) = self.policy_and_plan(&mailbox).await?;
        let now = self.clock.now();
        if let Some(reason) = signin::refusal(&mailbox, &policy) {
            self.hasher.verify_decoy(current).await;
            let event = AuditEvent::new(context, now, AuditAction::SignInFailed, mailbox.smtp_address.as_str())
                .for_mailbox(mailbox.id)
                .with("reason", reason.code())
                .with("purpose", "changePin");
            self.commit(Change { audit: vec![event], ..Change::default() }).await?;
            return Err(Error::AuthenticationFailed);
        }
        let Some(hash) = &mailbox.pin.hash else {
            return Err(Error::AuthenticationFailed);
        };
        let verification = self.hasher.verify(current, hash).await.map_err(|e| Error::Hashing(e.to_string()))?;
        if verification == Verification::Mismatch {
            self.record_failure(context, mailbox, &policy, &plan, now, "changePin").await?;
            return Err(Error::AuthenticationFailed);
        }
        self.check_new_pin(new, &mailbox, &policy).await?;
        let mut mailbox = mailbox;
        signin::succeed(&mut mailbox.pin, &policy.pin, current.len(), context.channel, now);
        mailbox.pin.install(self.hash(new).await?, false, now);
        if signin::success_ends_first_time(context.channel) {
            mailbox.pin.first_time_user = false;
        }
        let event = AuditEvent::new(context, now, AuditAction::PinChanged, mailbox.smtp_address.as_str())
            .for_mailbox(mailbox.id);
        let mail = OutboundMail::new(&mailbox, &plan, None, Notification::PinChanged, now);
        let result = PinChange {
            mailbox_id: mailbox.id,
            info: pin_info(&mailbox, &policy.pin, now),
            mailed_to: Some(mailbox.smtp_address.to_string()),
        };
        self.commit(Change { writes: vec![Write::UpdateMailbox(mailbox)], mail: vec![mail], audit: vec![event] })
            .await?;
        Ok(result)
    }

    /// The user resets their own PIN from the web (Exchange's ResetPIN): a generated PIN,
    /// expired, emailed to the mailbox. The counters are cleared; a lockout stays, since only
    /// an administrator unlocks (exchange-um.md §10 #7).
    pub async fn reset_own_pin(&self, context: &RequestContext, identity: &str) -> Result<PinChange> {
        context.authorize_any(Operation::ResetOwnPin)?;
        retry_on_conflict!(self.try_reset_own_pin(context, identity).await)
    }

    async fn try_reset_own_pin(&self, context: &RequestContext, identity: &str) -> Result<PinChange> {
        let mailbox = self.resolve_mailbox(identity).await?;
        let (change, result) = self.own_reset(context, mailbox).await?;
        self.commit(change).await?;
        Ok(result)
    }

    /// The change of an owner's reset of their own PIN, not committed: a generated PIN by
    /// the policy (history included), expired so that the phone asks for a new one at the
    /// next sign-in, the counters cleared, a lockout kept (only an administrator unlocks;
    /// the message says so), the PIN mailed to the mailbox, the event audited; and what it
    /// will have done once committed.
    pub(super) async fn own_reset(
        &self,
        context: &RequestContext,
        mut mailbox: Mailbox,
    ) -> Result<(Change, PinChange)> {
        context.authorize(Operation::ResetOwnPin, Target::Mailbox(mailbox.id))?;
        if !mailbox.um_enabled {
            return Err(Error::NotUmEnabled(mailbox.smtp_address.to_string()));
        }
        let (policy, plan) = self.policy_and_plan(&mailbox).await?;
        let pin = self.generate_for(&mailbox, &policy).await?;
        let now = self.clock.now();
        mailbox.pin.install(self.hash(&pin).await?, true, now);
        mailbox.pin.clear_failures();
        let locked_out = mailbox.pin.locked_out;
        let notification = Notification::PinReset {
            pin,
            change_required: true,
            reset_pin_text: policy.reset_pin_text.as_str().to_owned(),
            reason: ResetReason::SelfService,
            locked_out,
        };
        let mail = OutboundMail::new(&mailbox, &plan, None, notification, now);
        let mut event = AuditEvent::new(context, now, AuditAction::PinSelfReset, mailbox.smtp_address.as_str())
            .for_mailbox(mailbox.id)
            .with("lockedOut", locked_out);
        if let crate::context::Actor::MailboxOwner { proof, .. } = &context.actor {
            event = event.with("proof", proof.as_str());
        }
        let result = PinChange {
            mailbox_id: mailbox.id,
            info: pin_info(&mailbox, &policy.pin, now),
            mailed_to: Some(mailbox.smtp_address.to_string()),
        };
        Ok((Change { writes: vec![Write::UpdateMailbox(mailbox)], mail: vec![mail], audit: vec![event] }, result))
    }
}

pub(super) fn pin_info(mailbox: &Mailbox, policy: &crate::policy::PinPolicy, now: OffsetDateTime) -> PinInfo {
    let state = &mailbox.pin;
    PinInfo {
        user_id: mailbox.smtp_address.to_string(),
        pin_expired: state.must_change(policy, now),
        first_time_user: state.first_time_user,
        locked_out: state.locked_out,
        consecutive_failures: state.consecutive_failures,
        total_failures: state.total_failures,
        pin_set_at: state.set_at,
        pin_expires_at: state.expires_at(policy),
        last_failure_at: state.last_failure_at,
        last_sign_in_at: state.last_sign_in_at,
        um_enabled: mailbox.um_enabled,
    }
}
