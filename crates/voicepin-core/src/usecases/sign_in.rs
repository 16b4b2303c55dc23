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
use crate::throttle::{self, CountedSource, SourceKind, Standing, Verdict};

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
    ///
    /// Failures are also counted per source (caller ID, client address, calling system;
    /// [`crate::throttle`]): a source with too many in the window waits a growing delay
    /// before its attempt is tried, then is refused, answered exactly as a failed sign-in (the
    /// same outcome, after the same wait), with no PIN checked and nothing counted against a
    /// mailbox. Every failed answer leaves no earlier than the configured floor after the
    /// attempt began (plus its delay), whatever the reason, on every front end.
    pub async fn sign_in(&self, context: &RequestContext, request: &SignIn) -> Result<SignInResult> {
        context.authorize(Operation::VoiceSignIn, Target::Any)?;
        let started = self.clock.now();
        let dial_plan = match &request.dial_plan {
            Some(identity) => Some(self.resolve_dial_plan(identity).await?.id),
            None => None,
        };
        let counting = self.source_standing(context, started).await?;
        let wait = self.sign_in.throttle.wait(counting.standing.verdict);
        if let Some((kind, _)) = counting.standing.worst {
            self.telemetry.sign_in_throttled(kind, counting.standing.verdict == Verdict::Refuse);
        }
        self.pause.until(started + wait).await;
        let result = if counting.standing.verdict == Verdict::Refuse {
            self.refuse_sign_in(context, request, &counting).await
        } else {
            let mut verified: Option<(PinHash, Verification)> = None;
            retry_on_conflict!(self.try_sign_in(context, request, dial_plan, &mut verified, &counting).await)
        };
        if !matches!(&result, Ok(r) if r.outcome != SignInOutcome::Failed) {
            // Every failed answer leaves at the same time after the attempt began.
            self.pause.until(started + wait + self.sign_in.failed_answer).await;
        }
        result.inspect(|result| self.telemetry.sign_in(result.outcome))
    }

    /// How the attempt's sources stand: their failures in the window and the verdict.
    async fn source_standing(&self, context: &RequestContext, now: OffsetDateTime) -> Result<SourceCounting> {
        let policy = self.sign_in.throttle;
        let sources = throttle::counted_sources(context);
        let since = now - policy.window;
        let keys: Vec<String> = sources.iter().map(|s| s.key.clone()).collect();
        let counts = if keys.is_empty() { Vec::new() } else { self.store.sign_in_failures(&keys, since).await? };
        let failures: Vec<(SourceKind, u64)> = sources.iter().map(|s| s.kind).zip(counts).collect();
        let standing = policy.standing(&failures);
        Ok(SourceCounting { sources, failures, standing, forget_before: since })
    }

    /// Counts a failed attempt against its sources in `change`, and records in the audit
    /// log a source whose failures now reach a limit.
    fn count_source_failure(
        &self,
        context: &RequestContext,
        counting: &SourceCounting,
        now: OffsetDateTime,
        change: &mut Change,
    ) {
        if counting.sources.is_empty() {
            return;
        }
        let policy = self.sign_in.throttle;
        for (source, &(kind, before)) in counting.sources.iter().zip(&counting.failures) {
            if let Some(stage) = policy.starts_stage(kind, before.saturating_add(1)) {
                change.audit.push(
                    AuditEvent::new(&system(context), now, AuditAction::SourceThrottled, source.key.as_str())
                        .with("source", kind.as_str())
                        .with("stage", stage)
                        .with("failures", before.saturating_add(1))
                        .with("windowSeconds", policy.window.as_secs()),
                );
            }
        }
        change.writes.push(Write::CountSignInFailure {
            sources: counting.sources.iter().map(|s| s.key.clone()).collect(),
            at: now,
            forget_before: counting.forget_before,
        });
    }

    /// A refused attempt: the same work as a real one (a verification), audited, counted
    /// against its sources, answered as failed.
    async fn refuse_sign_in(
        &self,
        context: &RequestContext,
        request: &SignIn,
        counting: &SourceCounting,
    ) -> Result<SignInResult> {
        self.hasher.verify_decoy(&request.pin).await;
        let now = self.clock.now();
        let (kind, failures) = counting.standing.worst.unwrap_or((SourceKind::Address, 0));
        let mut change = Change::default();
        change.audit.push(
            AuditEvent::new(context, now, AuditAction::SignInFailed, unknown_target(&request.identity))
                .with("reason", "sourceThrottled")
                .with("source", kind.as_str())
                .with("failures", failures),
        );
        self.count_source_failure(context, counting, now, &mut change);
        self.commit(change).await?;
        Ok(SignInResult::failed())
    }

    async fn try_sign_in(
        &self,
        context: &RequestContext,
        request: &SignIn,
        dial_plan: Option<DialPlanId>,
        verified: &mut Option<(PinHash, Verification)>,
        counting: &SourceCounting,
    ) -> Result<SignInResult> {
        let Some(mut mailbox) = self.find_for_sign_in(&request.identity, dial_plan).await? else {
            self.hasher.verify_decoy(&request.pin).await;
            let now = self.clock.now();
            let event = AuditEvent::new(context, now, AuditAction::SignInFailed, unknown_target(&request.identity))
                .with("reason", SignInReason::UnknownIdentity.code());
            let mut change = Change { audit: vec![event], ..Change::default() };
            self.count_source_failure(context, counting, now, &mut change);
            self.commit(change).await?;
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
            let mut change = Change { audit: vec![event], ..Change::default() };
            self.count_source_failure(context, counting, now, &mut change);
            self.commit(change).await?;
            return Ok(SignInResult::failed());
        }

        let Some(hash) = mailbox.pin.hash.clone() else {
            let mut change = Change::default();
            self.count_source_failure(context, counting, now, &mut change);
            self.commit(change).await?;
            return Ok(SignInResult::failed());
        };
        let verification = self.verify_cached(request.pin.expose().as_bytes(), &hash, verified).await?;

        if verification == Verification::Mismatch {
            let mut counted = Change::default();
            self.count_source_failure(context, counting, now, &mut counted);
            self.record_failure_with(context, mailbox, &policy, &plan, now, "signIn", counted).await?;
            return Ok(SignInResult::failed());
        }

        let first_time_user = mailbox.pin.first_time_user;
        let (outcome, reason) = signin::succeed(&mut mailbox.pin, &policy.pin, request.pin.len(), context.channel, now);
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
        mailbox: Mailbox,
        policy: &MailboxPolicy,
        plan: &DialPlan,
        now: OffsetDateTime,
        purpose: &str,
    ) -> Result<()> {
        self.record_failure_with(context, mailbox, policy, plan, now, purpose, Change::default()).await
    }

    /// [`Self::record_failure`], committed together with `change` (the source's count).
    #[allow(clippy::too_many_arguments)]
    async fn record_failure_with(
        &self,
        context: &RequestContext,
        mut mailbox: Mailbox,
        policy: &MailboxPolicy,
        plan: &DialPlan,
        now: OffsetDateTime,
        purpose: &str,
        mut change: Change,
    ) -> Result<()> {
        let consequence = signin::fail(&mut mailbox.pin, &policy.pin, now);
        let address = mailbox.smtp_address.as_str().to_owned();
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

/// The sources of an attempt, their failures in the window before it, and the verdict.
struct SourceCounting {
    sources: Vec<CountedSource>,
    failures: Vec<(SourceKind, u64)>,
    standing: Standing,
    forget_before: OffsetDateTime,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::context::{CallerId, Channel, Source};
    use crate::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
    use crate::ports::{AuditQuery, Clock, Pause};
    use crate::throttle::{Limit, SignInSettings, ThrottlePolicy};
    use crate::usecases::memory_store::MemoryStore;
    use crate::usecases::{DialPlanSettings, EnableMailbox, NewDialPlan};

    const PIN: &str = "482913";
    const MAILBOXES: usize = 12;

    /// Time stands still: every attempt begins at the same instant, so the times the core
    /// asks to answer at can be compared exactly.
    struct StillClock(OffsetDateTime);

    impl Clock for StillClock {
        fn now(&self) -> OffsetDateTime {
            self.0
        }
    }

    /// Records when the core asks to answer, waiting for nothing.
    #[derive(Default)]
    struct Recorded(Mutex<Vec<OffsetDateTime>>);

    #[async_trait]
    impl Pause for Recorded {
        async fn until(&self, at: OffsetDateTime) {
            self.0.lock().unwrap().push(at);
        }
    }

    impl Recorded {
        /// The last time asked for since the previous call, as a delay from `start`.
        fn last(&self, start: OffsetDateTime) -> Duration {
            let mut asked = self.0.lock().unwrap();
            let last = asked.last().copied().expect("a pause");
            asked.clear();
            Duration::try_from(last - start).unwrap()
        }
    }

    const FLOOR: Duration = Duration::from_millis(250);

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            window: Duration::from_secs(600),
            caller_id: Limit { delay_after: 2, refuse_after: 4 },
            address: Limit { delay_after: 3, refuse_after: 8 },
            calling_system: Limit::NONE,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
        }
    }

    async fn seeded(throttle: ThrottlePolicy) -> (VoicePin, Arc<Recorded>, OffsetDateTime) {
        let cheap = Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 };
        let hasher = Argon2Hasher::new(vec![PepperKey::generate("test").unwrap()], cheap).unwrap();
        let start = OffsetDateTime::now_utc();
        let pause = Arc::new(Recorded::default());
        let voicepin = VoicePin::new(Arc::new(MemoryStore::default()), Arc::new(hasher), Arc::new(StillClock(start)))
            .with_sign_in(SignInSettings { failed_answer: FLOOR, throttle }, pause.clone());
        let root = RequestContext::local("root");
        let plan = NewDialPlan {
            name: "Main".into(),
            settings: DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() },
            generate_policy: true,
        };
        voicepin.new_dial_plan(&root, plan).await.unwrap();
        for n in 0..MAILBOXES {
            let enable = EnableMailbox {
                identity: format!("user{n}@example.com"),
                policy: Some("Main Default Policy".into()),
                extensions: vec![format!("{}", 10_000 + n)],
                pin: Some(Pin::new(PIN)),
                pin_expired: Some(false),
                ..EnableMailbox::default()
            };
            voicepin.enable_mailbox(&root, enable).await.unwrap();
        }
        pause.0.lock().unwrap().clear();
        (voicepin, pause, start)
    }

    fn pbx(address: &str, caller_id: &str) -> RequestContext {
        let caller_id = CallerId::parse("callerId", caller_id).ok();
        RequestContext::new(Actor::CallingSystem { name: "pbx1".into() }, Channel::Api)
            .from_source(Source::address(address.parse().unwrap()).with_caller_id(caller_id))
    }

    fn attempt(extension: usize, pin: &str) -> SignIn {
        SignIn { identity: format!("{}", 10_000 + extension), dial_plan: None, pin: Pin::new(pin) }
    }

    async fn failures_counted_on_mailboxes(voicepin: &VoicePin) -> u32 {
        let mut total = 0;
        for n in 0..MAILBOXES {
            let lookup = MailboxLookup::Extension { dial_plan: None, extension: format!("{}", 10_000 + n) };
            total += voicepin.store.find_mailboxes(&lookup).await.unwrap()[0].pin.total_failures;
        }
        total
    }

    /// Issue 11, finding 4: one source tries a wrong PIN on one mailbox after another,
    /// changing its caller ID each time (only its address stays). It is delayed after 3
    /// failures, refused after 8: refused attempts answer `failed` at the same time as the
    /// last delayed failures, check no PIN (even a right one fails) and count nothing against
    /// any mailbox. Another source still signs in.
    #[tokio::test]
    async fn a_spraying_source_is_delayed_then_refused_like_any_failure() {
        let (voicepin, pause, start) = seeded(policy()).await;
        let mut answered_at = Vec::new();
        for n in 0..MAILBOXES {
            let context = pbx("192.0.2.50", &format!("+1425555{n:04}"));
            let result = voicepin.sign_in(&context, &attempt(n, "000000")).await.unwrap();
            assert_eq!(result, SignInResult::failed());
            answered_at.push(pause.last(start));
        }
        let ms = |ms| FLOOR + Duration::from_millis(ms);
        // Failures 0-2 at the floor; then 100, 200, 400, 400, 400 ms more; then refused,
        // after the longest delay, exactly as the failures before.
        assert_eq!(
            answered_at,
            vec![ms(0), ms(0), ms(0), ms(100), ms(200), ms(400), ms(400), ms(400), ms(400), ms(400), ms(400), ms(400)]
        );
        assert_eq!(failures_counted_on_mailboxes(&voicepin).await, 8, "refused attempts count on no mailbox");

        // Refused: the right PIN is not even checked.
        let right = voicepin.sign_in(&pbx("192.0.2.50", "+14255559999"), &attempt(0, PIN)).await.unwrap();
        assert_eq!(right.outcome, SignInOutcome::Failed);
        assert_eq!(pause.last(start), ms(400));

        // Another address (and caller ID) is not held back.
        let other = voicepin.sign_in(&pbx("198.51.100.7", "+14255550000"), &attempt(0, PIN)).await.unwrap();
        assert_ne!(other.outcome, SignInOutcome::Failed);

        // The audit log says once when the address was delayed and once when refused.
        let events = voicepin.store.audit_events(&AuditQuery { limit: 10_000, ..AuditQuery::default() }).await.unwrap();
        let throttled: Vec<_> = events
            .iter()
            .filter(|e| e.action == AuditAction::SourceThrottled)
            .map(|e| (e.target.as_str(), e.details["stage"].as_str()))
            .collect();
        assert_eq!(throttled, vec![("address:192.0.2.50", "refused"), ("address:192.0.2.50", "delayed")]);
        let refused = events.iter().filter(|e| e.details.get("reason").map(String::as_str) == Some("sourceThrottled"));
        assert_eq!(refused.count(), MAILBOXES - 8 + 1);
        assert!(
            events
                .iter()
                .all(|e| e.source.as_deref().is_none_or(|s| s.chars().all(|c| c.is_ascii_graphic() || c == ' ')))
        );
    }

    /// A caller ID is held strictly: refused after 4 failures whatever address it calls from.
    #[tokio::test]
    async fn a_caller_id_is_counted_across_addresses() {
        let (voicepin, pause, start) = seeded(policy()).await;
        for n in 0..4 {
            let context = pbx(&format!("192.0.2.{n}"), "+14255550100");
            voicepin.sign_in(&context, &attempt(n, "000000")).await.unwrap();
        }
        let right = voicepin.sign_in(&pbx("192.0.2.99", "+14255550100"), &attempt(5, PIN)).await.unwrap();
        assert_eq!(right.outcome, SignInOutcome::Failed);
        assert_eq!(pause.last(start), FLOOR + Duration::from_millis(400));
        let other = voicepin.sign_in(&pbx("192.0.2.99", "+14255550101"), &attempt(5, PIN)).await.unwrap();
        assert_ne!(other.outcome, SignInOutcome::Failed);
    }

    /// Issue 11, findings 5 and 9: every failed answer leaves at the floor after the attempt
    /// began, whatever made it fail (an unknown extension, a wrong PIN, the wrong PIN that
    /// resets the PIN and sends mail), on every front end, since the core waits; a success
    /// does not wait.
    #[tokio::test]
    async fn every_failed_answer_leaves_at_the_floor() {
        let (voicepin, pause, start) = seeded(ThrottlePolicy::off()).await;
        let phone =
            RequestContext::anonymous(Channel::Phone).from_source(Source::address("192.0.2.1".parse().unwrap()));
        let unknown = voicepin.sign_in(&phone, &attempt(99, "000000")).await.unwrap();
        assert_eq!(unknown.outcome, SignInOutcome::Failed);
        assert_eq!(pause.last(start), FLOOR);
        for _ in 0..5 {
            voicepin.sign_in(&phone, &attempt(1, "000000")).await.unwrap();
            assert_eq!(pause.last(start), FLOOR);
        }
        let lookup = MailboxLookup::Extension { dial_plan: None, extension: "10001".into() };
        let reset = &voicepin.store.find_mailboxes(&lookup).await.unwrap()[0];
        assert!(reset.pin.expired && reset.pin.consecutive_failures == 0, "the fifth wrong PIN reset the PIN");
        let success = voicepin.sign_in(&phone, &attempt(2, PIN)).await.unwrap();
        assert_ne!(success.outcome, SignInOutcome::Failed);
        assert_eq!(pause.last(start), Duration::ZERO, "a success waits for no floor");
    }
}
