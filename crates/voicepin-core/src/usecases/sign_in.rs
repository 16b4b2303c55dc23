//! Sign-in: the one use case every channel calls (phone, HTTP, CLI).
//!
//! Every attempt runs exactly one Argon2 verification, whatever the mailbox's state, so an
//! unknown identity, a disabled or locked mailbox and a wrong PIN all answer `Failed` in the
//! same time. Counting is an optimistic read-modify-write: if another sign-in wrote the
//! mailbox in between, the attempt is re-applied to the fresh state (reusing the
//! verification while the hash is unchanged), so no failure is ever lost.

use time::OffsetDateTime;

use crate::access::{Operation, Target};
use crate::audit::{AuditAction, AuditEvent};
use crate::context::{Actor, Proof, RequestContext};
use crate::error::Result;
use crate::hashing::{PinHash, Verification};
use crate::ids::{DialPlanId, MailboxId};
use crate::mailbox::Mailbox;
use crate::notify::{Notification, OutboundMail, ResetReason};
use crate::pin::Pin;
use crate::policy::{DialPlan, MailboxPolicy};
use crate::ports::{Change, MailboxLookup, Write};
use crate::signin::{self, FailureConsequence, SignInOutcome, SignInReason};

use super::{VoicePin, mailbox_lookups, retry_on_conflict};

/// A sign-in attempt.
#[derive(Clone, Debug)]
pub struct SignIn {
    /// The identity keyed in or sent: an extension, an SMTP address, an alias or an id.
    pub identity: String,
    /// The dial plan the call came in on (a name or an id), which scopes extension lookups.
    pub dial_plan: Option<String>,
    /// The PIN.
    pub pin: Pin,
}

/// The answer to a sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInResult {
    /// What the caller is told.
    pub outcome: SignInOutcome,
    /// The mailbox signed in to; `None` when failed.
    pub mailbox: Option<MailboxId>,
    /// Its primary SMTP address; `None` when failed.
    pub address: Option<String>,
    /// Whether the mailbox was a first-time user before this sign-in (a full success clears
    /// the flag), so that the phone can run the first-time setup.
    pub first_time_user: bool,
}

impl SignInResult {
    fn failed() -> Self {
        Self { outcome: SignInOutcome::Failed, mailbox: None, address: None, first_time_user: false }
    }

    /// The caller once their PIN was accepted: the owner of the mailbox, on the channel and
    /// from the source of `context`. `None` when the sign-in failed.
    pub fn owner(&self, context: &RequestContext) -> Option<RequestContext> {
        if !matches!(self.outcome, SignInOutcome::Success | SignInOutcome::PinChangeRequired) {
            return None;
        }
        let (mailbox, address) = (self.mailbox?, self.address.clone()?);
        let actor = Actor::MailboxOwner { mailbox, address, proof: Proof::Pin };
        Some(RequestContext::new(actor, context.channel).from_source(context.source.clone()))
    }
}

/// A caller recognised by caller ID (exchange-um.md §5.2): the call may skip the extension
/// prompt. Recognition never replaces the PIN unless `pinless` says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecognisedCaller {
    /// The mailbox whose extension or phone number the caller ID matches.
    pub mailbox: MailboxId,
    /// PIN-less voice mail access: the policy and the mailbox both allow it, and the mailbox
    /// may be signed in to at all (§5.4).
    pub pinless: bool,
}

impl VoicePin {
    /// Signs in with an identity and a PIN.
    pub async fn sign_in(&self, context: &RequestContext, request: &SignIn) -> Result<SignInResult> {
        context.authorize(Operation::VoiceSignIn, Target::Any)?;
        let dial_plan = match &request.dial_plan {
            Some(identity) => Some(self.resolve_dial_plan(identity).await?.id),
            None => None,
        };
        let mut verified: Option<(PinHash, Verification)> = None;
        retry_on_conflict!(self.try_sign_in(context, request, dial_plan, &mut verified).await)
            .inspect(|result| self.telemetry.sign_in(result.outcome))
    }

    async fn try_sign_in(
        &self,
        context: &RequestContext,
        request: &SignIn,
        dial_plan: Option<DialPlanId>,
        verified: &mut Option<(PinHash, Verification)>,
    ) -> Result<SignInResult> {
        let Some(mut mailbox) = self.find_for_sign_in(&request.identity, dial_plan).await? else {
            self.hasher.verify_decoy(&request.pin).await;
            let event = AuditEvent::new(
                context,
                self.clock.now(),
                AuditAction::SignInFailed,
                unknown_target(&request.identity),
            )
            .with("reason", SignInReason::UnknownIdentity.code());
            self.commit(Change { audit: vec![event], ..Change::default() }).await?;
            return Ok(SignInResult::failed());
        };
        let (policy, plan) = self.policy_and_plan(&mailbox).await?;
        let now = self.clock.now();

        if let Some(reason) = signin::refusal(&mailbox, &policy) {
            // Same work as a real attempt, then nothing counted.
            match &mailbox.pin.hash {
                Some(hash) => {
                    let _ = self.hasher.verify(&request.pin, hash).await;
                }
                None => self.hasher.verify_decoy(&request.pin).await,
            }
            let event = AuditEvent::new(context, now, AuditAction::SignInFailed, mailbox.smtp_address.as_str())
                .for_mailbox(mailbox.id)
                .with("reason", reason.code());
            self.commit(Change { audit: vec![event], ..Change::default() }).await?;
            return Ok(SignInResult::failed());
        }

        let Some(hash) = mailbox.pin.hash.clone() else {
            return Ok(SignInResult::failed());
        };
        let verification = self.verify_cached(request.pin.expose().as_bytes(), &hash, verified).await?;

        if verification == Verification::Mismatch {
            self.record_failure(context, mailbox, &policy, &plan, now, "signIn").await?;
            return Ok(SignInResult::failed());
        }

        let first_time_user = mailbox.pin.first_time_user;
        let (outcome, reason) = signin::succeed(&mut mailbox.pin, &policy.pin, request.pin.len(), now);
        let mut change = Change::default();
        change.audit.push(
            AuditEvent::new(context, now, AuditAction::SignInSucceeded, mailbox.smtp_address.as_str())
                .for_mailbox(mailbox.id)
                .with("outcome", outcome.as_str())
                .with("reason", reason.code()),
        );
        if self.hasher.needs_rehash(&hash) {
            let rehashed = self.hash(&request.pin).await?;
            if mailbox.pin.history.first() == Some(&hash) {
                mailbox.pin.history[0] = rehashed.clone();
            }
            mailbox.pin.hash = Some(rehashed);
            change.audit.push(
                AuditEvent::new(context, now, AuditAction::PinRehashed, mailbox.smtp_address.as_str())
                    .for_mailbox(mailbox.id),
            );
        }
        let (id, address) = (mailbox.id, mailbox.smtp_address.to_string());
        change.writes.push(Write::UpdateMailbox(mailbox));
        self.commit(change).await?;
        Ok(SignInResult { outcome, mailbox: Some(id), address: Some(address), first_time_user })
    }

    /// The dial plans a call may have come in on, for routing it by the number called: what
    /// an anonymous caller or a calling system may read before anyone has signed in.
    pub async fn dial_plans_for_calls(&self, context: &RequestContext) -> Result<Vec<DialPlan>> {
        context.authorize(Operation::VoiceSignIn, Target::Any)?;
        Ok(self.store.dial_plans().await?)
    }

    /// The mailbox a caller ID names within a dial plan: one of its extensions (digits) or
    /// phone numbers (E.164, with or without the `+`). `None` when it names none or several.
    pub async fn recognise_caller(
        &self,
        context: &RequestContext,
        dial_plan: Option<DialPlanId>,
        caller_id: &str,
    ) -> Result<Option<RecognisedCaller>> {
        context.authorize(Operation::VoiceSignIn, Target::Any)?;
        let caller_id = caller_id.trim();
        let digits = caller_id.strip_prefix('+').unwrap_or(caller_id);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let mut lookups = Vec::with_capacity(2);
        if !caller_id.starts_with('+') {
            lookups.push(MailboxLookup::Extension { dial_plan, extension: digits.to_owned() });
        }
        lookups.push(MailboxLookup::PhoneNumber(format!("+{digits}")));
        for lookup in lookups {
            let mut found = self.store.find_mailboxes(&lookup).await?;
            if found.len() > 1 {
                return Ok(None);
            }
            if let Some(mailbox) = found.pop() {
                let (policy, _) = self.policy_and_plan(&mailbox).await?;
                let pinless = policy.allow_pinless_voice_mail_access
                    && mailbox.pinless_access_to_voice_mail_enabled
                    && signin::refusal(&mailbox, &policy).is_none();
                return Ok(Some(RecognisedCaller { mailbox: mailbox.id, pinless }));
            }
        }
        Ok(None)
    }

    /// The mailbox an identity names, or `None` when it names none or several.
    async fn find_for_sign_in(&self, identity: &str, dial_plan: Option<DialPlanId>) -> Result<Option<Mailbox>> {
        let identity = identity.trim();
        for lookup in mailbox_lookups(identity) {
            let lookup = match lookup {
                MailboxLookup::Extension { extension, .. } => MailboxLookup::Extension { dial_plan, extension },
                other => other,
            };
            let mut found = self.store.find_mailboxes(&lookup).await?;
            match found.len() {
                0 => continue,
                1 => return Ok(found.pop()),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Counts a failed PIN and applies the consequences: an automatic reset with its email,
    /// or a lockout with its notice. Commits with the mailbox's revision (conflicts retry).
    pub(super) async fn record_failure(
        &self,
        context: &RequestContext,
        mut mailbox: Mailbox,
        policy: &MailboxPolicy,
        plan: &DialPlan,
        now: OffsetDateTime,
        purpose: &str,
    ) -> Result<()> {
        let consequence = signin::fail(&mut mailbox.pin, &policy.pin, now);
        let address = mailbox.smtp_address.as_str().to_owned();
        let mut change = Change::default();
        change.audit.push(
            AuditEvent::new(context, now, AuditAction::SignInFailed, &address)
                .for_mailbox(mailbox.id)
                .with("reason", SignInReason::WrongPin.code())
                .with("purpose", purpose)
                .with("consecutiveFailures", mailbox.pin.consecutive_failures)
                .with("totalFailures", mailbox.pin.total_failures),
        );
        match consequence {
            FailureConsequence::Counted => {}
            FailureConsequence::ResetPin => {
                let pin = self.generate_for(&mailbox, policy).await?;
                mailbox.pin.install(self.hash(&pin).await?, true, now);
                let notification = Notification::PinReset {
                    pin,
                    change_required: true,
                    reset_pin_text: policy.reset_pin_text.as_str().to_owned(),
                    reason: ResetReason::TooManyFailures,
                    locked_out: mailbox.pin.locked_out,
                };
                change.mail.push(OutboundMail::new(&mailbox, plan, None, notification, now));
                change.audit.push(
                    AuditEvent::new(&system(context), now, AuditAction::PinAutoReset, &address)
                        .for_mailbox(mailbox.id)
                        .with("logonFailuresBeforePinReset", policy.pin.logon_failures_before_pin_reset),
                );
            }
            FailureConsequence::LockedOut => {
                change.mail.push(OutboundMail::new(&mailbox, plan, None, Notification::LockedOut, now));
                change.audit.push(
                    AuditEvent::new(&system(context), now, AuditAction::MailboxLocked, &address)
                        .for_mailbox(mailbox.id)
                        .with("maxLogonAttempts", policy.pin.max_logon_attempts),
                );
            }
        }
        change.writes.push(Write::UpdateMailbox(mailbox));
        self.commit(change).await?;
        match consequence {
            FailureConsequence::Counted => {}
            FailureConsequence::ResetPin => self.telemetry.pin_auto_reset(),
            FailureConsequence::LockedOut => self.telemetry.locked_out(),
        }
        Ok(())
    }
}

/// How an unknown identity appears in the audit log. Callers key PINs at the extension
/// prompt by mistake, so digits (or anything else without `@`) are never recorded; an
/// address cannot be a PIN and is kept, for spotting sprays.
fn unknown_target(identity: &str) -> String {
    let identity = identity.trim();
    if identity.contains('@') {
        identity.to_owned()
    } else {
        format!("<unknown identity, {} characters>", identity.chars().count())
    }
}

/// Consequences of failures are voicepin's own acts, on the channel the attempt came in on.
fn system(context: &RequestContext) -> RequestContext {
    context.as_system()
}
