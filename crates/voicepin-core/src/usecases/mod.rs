//! The use cases: one function per operation, shared by every front end (CLI, HTTP API,
//! web pages, telephone). A rule lives here or in the modules they call, never in a front end.

mod accounts;
#[cfg(test)]
mod authorization_tests;
mod dial_plans;
mod greetings;
mod mailboxes;
#[cfg(test)]
mod memory_store;
mod pins;
mod policies;
mod queries;
mod self_service;
mod service;
mod sessions;
mod sign_in;
mod tokens;

use std::cell::RefCell;
use std::sync::Arc;

use crate::error::{Error, ObjectKind, Result, StoreError};
use crate::generate::{GenerateError, OsRandom, generate_pin};
use crate::hashing::{PinHash, PinHasher, Verification};
use crate::ids::{DialPlanId, MailboxId, PolicyId};
use crate::mailbox::Mailbox;
use crate::pin::Pin;
use crate::policy::{DialPlan, MailboxPolicy};
use crate::ports::{Change, Clock, MailboxLookup, NoPause, Pause, Store};
use crate::rules::{PinHistory, RuleContext, check_pin};
use crate::telemetry::{NoTelemetry, QueuedNotice, Telemetry};
use crate::throttle::SignInSettings;
use crate::tokens::{DEFAULT_TOKEN_LIFETIME, TokenLifetime};

pub use crate::tokens::MAX_TOKEN_DAYS;
pub use accounts::AccountSettings;
pub use dial_plans::{DialPlanSettings, NewDialPlan};
pub use mailboxes::{EnableMailbox, MailboxDetails, MailboxSettings};
pub use pins::{PinChange, PinInfo, SetPin};
pub use policies::{ExtendedSettings, NewPolicy, PolicyDetails, PolicySettings};
pub use queries::{AuditCursor, AuditFilter, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MailboxFilter, Page, page_size};
pub use self_service::{CONFIRM_PATH, LinkOpened, LinkReset};
pub use sessions::{SessionAuth, SignedIn};
pub use sign_in::{RecognisedCaller, SignIn, SignInResult};
pub use tokens::Principal;

/// How often a use case re-reads and retries after a concurrent write to the same object.
/// Each retry is one read and one write (a PIN verification is reused), so many are cheap.
const MAX_CONFLICT_RETRIES: usize = 200;

/// The voicepin application: every use case, over the ports it is given.
#[derive(Clone)]
pub struct VoicePin {
    store: Arc<dyn Store>,
    hasher: Arc<dyn PinHasher>,
    clock: Arc<dyn Clock>,
    telemetry: Arc<dyn Telemetry>,
    pause: Arc<dyn Pause>,
    sign_in: SignInSettings,
    token_lifetime: TokenLifetime,
}

impl VoicePin {
    /// The application over a store, a PIN hasher and a clock, reporting to no one.
    pub fn new(store: Arc<dyn Store>, hasher: Arc<dyn PinHasher>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            hasher,
            clock,
            telemetry: Arc::new(NoTelemetry),
            pause: Arc::new(NoPause),
            sign_in: SignInSettings::unthrottled(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
        }
    }

    /// The same application giving API tokens made without a lifetime this one (by default
    /// [`DEFAULT_TOKEN_LIFETIME`]; `never` only when configured so explicitly).
    #[must_use]
    pub fn with_token_lifetime(mut self, lifetime: TokenLifetime) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The same application with the sign-in settings of the service (the floor of every
    /// failed answer, throttling per source), waiting with `pause`. Without, sign-ins answer
    /// at once and are never throttled (tools, tests).
    #[must_use]
    pub fn with_sign_in(mut self, settings: SignInSettings, pause: Arc<dyn Pause>) -> Self {
        self.sign_in = settings;
        self.pause = pause;
        self
    }

    /// The same application reporting sign-ins, automatic resets and lockouts to `telemetry`
    /// (replacing any observer it had).
    #[must_use]
    pub fn with_telemetry(mut self, telemetry: Arc<dyn Telemetry>) -> Self {
        self.telemetry = telemetry;
        self
    }

    async fn commit(&self, change: Change) -> Result<()> {
        let queued: Vec<_> = change.mail.iter().map(|m| (m.id, m.notification.kind(), m.to.clone())).collect();
        self.store.commit(change).await.map_err(Error::from)?;
        for (id, kind, to) in &queued {
            self.telemetry.mail_queued(&QueuedNotice { id: *id, kind, to: to.as_str() });
        }
        Ok(())
    }

    /// Resolves a mailbox identity: an id, a primary SMTP address, an extension or an alias.
    pub(crate) async fn resolve_mailbox(&self, identity: &str) -> Result<Mailbox> {
        let identity = identity.trim();
        let lookups = mailbox_lookups(identity);
        for lookup in &lookups {
            let mut found = self.store.find_mailboxes(lookup).await?;
            match found.len() {
                0 => continue,
                1 => return Ok(found.remove(0)),
                _ => {
                    return Err(Error::Ambiguous { kind: ObjectKind::Mailbox, identity: identity.to_owned() });
                }
            }
        }
        Err(Error::NotFound { kind: ObjectKind::Mailbox, identity: identity.to_owned() })
    }

    /// Resolves a policy identity: an id or a name.
    pub(crate) async fn resolve_policy(&self, identity: &str) -> Result<MailboxPolicy> {
        let identity = identity.trim();
        let found = match identity.parse::<PolicyId>() {
            Ok(id) => self.store.policy(id).await?,
            Err(_) => self.store.policy_by_name(identity).await?,
        };
        found.ok_or_else(|| Error::NotFound { kind: ObjectKind::Policy, identity: identity.to_owned() })
    }

    /// Resolves a dial plan identity: an id or a name.
    pub(crate) async fn resolve_dial_plan(&self, identity: &str) -> Result<DialPlan> {
        let identity = identity.trim();
        let found = match identity.parse::<DialPlanId>() {
            Ok(id) => self.store.dial_plan(id).await?,
            Err(_) => self.store.dial_plan_by_name(identity).await?,
        };
        found.ok_or_else(|| Error::NotFound { kind: ObjectKind::DialPlan, identity: identity.to_owned() })
    }

    /// The policy and dial plan a stored mailbox refers to.
    pub(crate) async fn policy_and_plan(&self, mailbox: &Mailbox) -> Result<(MailboxPolicy, DialPlan)> {
        let policy = self.store.policy(mailbox.policy_id).await?.ok_or_else(|| missing("policy", mailbox.id))?;
        let plan = self.store.dial_plan(policy.dial_plan_id).await?.ok_or_else(|| missing("dial plan", mailbox.id))?;
        Ok((policy, plan))
    }

    /// Checks a new PIN for a mailbox against every rule of its policy, history included.
    pub(crate) async fn check_new_pin(&self, pin: &Pin, mailbox: &Mailbox, policy: &MailboxPolicy) -> Result<()> {
        let extensions = mailbox.extension_strings();
        // The rules are pure and cheap: a first pass records which history questions they
        // ask (verifications, each an Argon2 hash), the answers are awaited, and a second
        // pass gives the verdict with them.
        let questions = QuestionsAsked::default();
        let mut violations = check_pin(pin, &rule_context(mailbox, policy, &extensions, &questions));
        let questions = questions.into_inner();
        if !questions.is_empty() {
            let answers = self.answer_history(&mailbox.pin.history, questions).await;
            if !answers.is_empty() {
                violations = check_pin(pin, &rule_context(mailbox, policy, &extensions, &answers));
            }
        }
        if violations.is_empty() { Ok(()) } else { Err(Error::PinRejected(violations)) }
    }

    /// Generates a PIN that passes every rule for the mailbox, history included.
    pub(crate) async fn generate_for(&self, mailbox: &Mailbox, policy: &MailboxPolicy) -> Result<Pin> {
        let extensions = mailbox.extension_strings();
        // The generator draws until a candidate passes the pattern rules with the history
        // questions recorded (and answered "no"); the candidate is then checked against the
        // history for real, and drawn again in the rare case it was a recent PIN.
        for _ in 0..MAX_HISTORY_REDRAWS {
            let questions = QuestionsAsked::default();
            let candidate = generate_pin(&rule_context(mailbox, policy, &extensions, &questions), &mut OsRandom)
                .map_err(|e| match e {
                    GenerateError::Random(_) => Error::Random,
                    GenerateError::Exhausted => Error::GenerationFailed,
                })?;
            let questions = questions.into_inner();
            if self.answer_history(&mailbox.pin.history, questions).await.is_empty() {
                return Ok(candidate);
            }
        }
        Err(Error::GenerationFailed)
    }

    /// Answers the history questions the rules asked: which PINs are among the `depth` most
    /// recent hashes. A hash that cannot be verified (its key is gone) cannot be compared; it
    /// does not block the candidate.
    async fn answer_history(&self, hashes: &[PinHash], questions: Vec<(Pin, usize)>) -> KnownHistory {
        let mut found = Vec::new();
        for (pin, depth) in questions {
            for hash in hashes.iter().take(depth) {
                if matches!(self.hasher.verify(&pin, hash).await, Ok(Verification::Match)) {
                    found.push((pin, depth));
                    break;
                }
            }
        }
        KnownHistory(found)
    }

    /// Verifies a secret (a PIN's or a password's bytes) against a hash, reusing an earlier
    /// verification against the same hash: a retry after a conflict must not run Argon2 again.
    pub(super) async fn verify_cached(
        &self,
        secret: &[u8],
        hash: &PinHash,
        verified: &mut Option<(PinHash, Verification)>,
    ) -> Result<Verification> {
        match verified {
            Some((seen, result)) if seen == hash => Ok(*result),
            _ => {
                let result =
                    self.hasher.verify_secret(secret, hash).await.map_err(|e| Error::Hashing(e.to_string()))?;
                *verified = Some((hash.clone(), result));
                Ok(result)
            }
        }
    }

    pub(crate) async fn hash(&self, pin: &Pin) -> Result<PinHash> {
        self.hasher.hash(pin).await.map_err(|e| Error::Hashing(e.to_string()))
    }
}

fn rule_context<'a>(
    mailbox: &'a Mailbox,
    policy: &'a MailboxPolicy,
    extensions: &'a [String],
    history: &'a dyn PinHistory,
) -> RuleContext<'a> {
    RuleContext {
        policy: &policy.pin,
        extensions,
        first_name: &mailbox.first_name,
        last_name: &mailbox.last_name,
        history,
    }
}

/// The lookups an identity text may mean, in the order they are tried.
fn mailbox_lookups(identity: &str) -> Vec<MailboxLookup> {
    if let Ok(id) = identity.parse::<MailboxId>() {
        return vec![MailboxLookup::Id(id)];
    }
    if identity.contains('@') {
        return vec![MailboxLookup::SmtpAddress(identity.to_lowercase())];
    }
    if identity.starts_with('+') {
        return vec![MailboxLookup::PhoneNumber(identity.to_owned())];
    }
    let mut lookups = Vec::with_capacity(2);
    if !identity.is_empty() && identity.bytes().all(|b| b.is_ascii_digit()) {
        lookups.push(MailboxLookup::Extension { dial_plan: None, extension: identity.to_owned() });
    }
    lookups.push(MailboxLookup::Alias(identity.to_lowercase()));
    lookups
}

fn missing(what: &str, mailbox: MailboxId) -> Error {
    Error::Store(StoreError::Backend(format!("the {what} of mailbox {mailbox} is missing")))
}

/// How often [`VoicePin::generate_for`] draws again after a candidate turned out to be a
/// recent PIN (a chance of about history / 10^length each time).
const MAX_HISTORY_REDRAWS: usize = 100;

/// A history that answers "no" to every question and records the questions asked.
#[derive(Default)]
struct QuestionsAsked(RefCell<Vec<(Pin, usize)>>);

impl QuestionsAsked {
    fn into_inner(self) -> Vec<(Pin, usize)> {
        self.0.into_inner()
    }
}

impl PinHistory for QuestionsAsked {
    fn contains(&self, pin: &Pin, depth: usize) -> bool {
        self.0.borrow_mut().push((pin.clone(), depth));
        false
    }
}

/// The questions whose answer was "yes": the PINs found among the `depth` most recent hashes.
struct KnownHistory(Vec<(Pin, usize)>);

impl KnownHistory {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PinHistory for KnownHistory {
    fn contains(&self, pin: &Pin, depth: usize) -> bool {
        self.0.iter().any(|(found, asked)| found == pin && *asked == depth)
    }
}

/// Runs `attempt` again while it fails with a conflict.
macro_rules! retry_on_conflict {
    ($attempt:expr) => {{
        let mut tries = 0;
        loop {
            match $attempt {
                Err($crate::error::Error::Conflict) if tries < $crate::usecases::MAX_CONFLICT_RETRIES => tries += 1,
                other => break other,
            }
        }
    }};
}
pub(crate) use retry_on_conflict;
