//! The telephone call flow (Outlook Voice Access, exchange-um.md §4.2, §4.3, §4.6, §5): a
//! sans-IO state machine from "call answered" to "hang up", driven by digits, timers and
//! the answers of the use cases, with no I/O in it.
//!
//! # Driving it
//! The telephone front end owns one [`CallFlow`] per call and a clock of its own (time since
//! the call was answered). It feeds every event to [`CallFlow::handle`] with the current
//! time, and carries out the [`Action`]s that come back, in order:
//!
//! | Input | When |
//! |---|---|
//! | [`Input::CallStarted`] | once, after the call is answered: called number, caller ID, every dial plan |
//! | [`Input::CallerIdentified`] | the answer to [`Action::IdentifyCaller`] (`VoicePin::recognise_caller`) |
//! | [`Input::Digit`] | every key, from any DTMF source, as it arrives (also while prompts play) |
//! | [`Input::PlaybackFinished`] | the prompts of the last [`Action::Play`] all played (not when stopped) |
//! | [`Input::Timer`] | the time passed [`CallFlow::deadline`] (early or stale ticks are ignored) |
//! | [`Input::RecordingFinished`] | a recording ended by itself (maximum length, silence, error) |
//! | [`Input::SignInResult`] | the answer to [`Action::SignIn`] (`VoicePin::sign_in`, then the mailbox's summary) |
//! | [`Input::MailboxLoaded`] | the answer to [`Action::LoadMailbox`] (PIN-less access only) |
//! | [`Input::PinChangeResult`] | the answer to [`Action::ChangePin`] (`VoicePin::change_pin`) |
//!
//! | Action | The front end |
//! |---|---|
//! | [`Action::IdentifyCaller`] | looks the caller ID up, answers [`Input::CallerIdentified`] |
//! | [`Action::Play`] | stops what plays and plays these prompts in order |
//! | [`Action::StopPlayback`] | stops playing (the caller barged in with a key) |
//! | [`Action::FlushDigits`] | drops keys it holds but has not delivered yet |
//! | [`Action::SignIn`] | calls the sign-in use case, answers [`Input::SignInResult`] |
//! | [`Action::LoadMailbox`] | reads the mailbox's summary, answers [`Input::MailboxLoaded`] |
//! | [`Action::ChangePin`] | calls the change-PIN use case, answers [`Input::PinChangeResult`] |
//! | [`Action::StartRecording`] / [`Action::StopRecording`] | records the caller's audio (after the beep prompt played) |
//! | [`Action::SaveRecording`] | stores the last recording as the mailbox's name or greeting |
//! | [`Action::SetOutOfOffice`] | turns the out-of-office greeting on or off |
//! | [`Action::FirstTimeSetupDone`] | the first-time user finished the setup |
//! | [`Action::HangUp`] | sends BYE; the reason is the call's outcome for metrics |
//!
//! There is one timer: after each action batch, [`CallFlow::deadline`] says when to send
//! [`Input::Timer`] (or `None`). A fake clock in tests is just a `Duration`.
//!
//! # Rules it keeps
//! - A caller never learns whether an extension exists, is disabled or is locked: every
//!   failed sign-in sounds the same ([`Prompt::IncorrectPinOrExtension`]).
//! - LogonFailuresBeforeDisconnect failed sign-ins in one call end it; so do
//!   InputFailuresBeforeDisconnect invalid entries or silences in a row.
//! - Keys typed ahead are dropped before the PIN prompt; a PIN entry longer than 24 digits
//!   counts as one failed sign-in (and is never sent on, so no suffix of it can match).
//! - Caller ID only skips the extension prompt (`*` there goes back to it); it replaces the
//!   PIN only when the policy and the mailbox allow PIN-less access, and then only for the
//!   main menu: personal options still ask for the PIN.

mod machine;
mod prompt;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use crate::recording::RecordingKind;
pub use machine::{CallFlow, FlowSettings};
pub use prompt::{Prompt, RulePrompt};

use crate::ids::{DialPlanId, MailboxId};
use crate::pin::Pin;
use crate::policy::DialPlan;
use crate::rules::PinRuleViolation;
use crate::usecases::RecognisedCaller;

/// What happened on the call.
#[derive(Clone, Debug)]
pub enum Input {
    /// The call was answered.
    CallStarted {
        /// The number the caller dialled (the Request-URI's user part or To).
        called: String,
        /// The caller's number (From or P-Asserted-Identity), if any.
        caller_id: Option<String>,
        /// Every dial plan: the called number picks one by its access numbers.
        dial_plans: Vec<DialPlan>,
    },
    /// The answer to [`Action::IdentifyCaller`].
    CallerIdentified(Option<RecognisedCaller>),
    /// A key: `0`-`9`, `*`, `#` (A-D are ignored).
    Digit(char),
    /// The deadline passed.
    Timer,
    /// The prompts of the last [`Action::Play`] finished playing.
    PlaybackFinished,
    /// A recording ended without [`Action::StopRecording`].
    RecordingFinished,
    /// The answer to [`Action::SignIn`].
    SignInResult(SignInAnswer),
    /// The answer to [`Action::LoadMailbox`]; `None` if it could not be read.
    MailboxLoaded(Option<MailboxSummary>),
    /// The answer to [`Action::ChangePin`].
    PinChangeResult(PinChangeAnswer),
}

/// What a signed-in caller's menus need to know about their mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxSummary {
    /// The mailbox.
    pub mailbox: MailboxId,
    /// A first-time user: set up name and greeting after sign-in
    /// ([`crate::usecases::SignInResult::first_time_user`]).
    pub first_time_user: bool,
    /// New voice messages waiting (0 until voice message deposit exists).
    pub new_voice_messages: u32,
    /// Whether the out-of-office greeting is on.
    pub out_of_office: bool,
}

/// The answer of the sign-in use case, as the flow needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInAnswer {
    /// Signed in ([`crate::signin::SignInOutcome::Success`]).
    SignedIn(MailboxSummary),
    /// Signed in, but the PIN must change first ([`crate::signin::SignInOutcome::PinChangeRequired`]).
    PinChangeRequired(MailboxSummary),
    /// Not signed in (whatever the reason).
    Failed,
    /// The service could not answer (storage down): the call ends politely.
    Unavailable,
}

/// The answer of the change-PIN use case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinChangeAnswer {
    /// Changed.
    Changed,
    /// The new PIN breaks these rules ([`crate::Error::PinRejected`]).
    Rejected(Vec<PinRuleViolation>),
    /// Anything else (the current PIN no longer works, storage down): the call ends.
    Failed,
}

/// Why the flow hung up: the call's outcome for metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// The called number matches no dial plan (and there are several).
    NoDialPlan,
    /// LogonFailuresBeforeDisconnect failed sign-ins.
    TooManySignInFailures,
    /// InputFailuresBeforeDisconnect invalid entries or silences in a row.
    TooManyInputFailures,
    /// A use case could not answer.
    Unavailable,
}

impl EndReason {
    /// A stable label for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoDialPlan => "no-dial-plan",
            Self::TooManySignInFailures => "sign-in-failures",
            Self::TooManyInputFailures => "input-failures",
            Self::Unavailable => "unavailable",
        }
    }
}

/// What the front end must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Look the caller ID up in this dial plan; answer [`Input::CallerIdentified`].
    IdentifyCaller {
        /// The dial plan of the call.
        dial_plan: DialPlanId,
        /// The caller ID.
        caller_id: String,
    },
    /// Stop what plays, then play these in order; answer [`Input::PlaybackFinished`].
    Play(Vec<Prompt>),
    /// Stop playing (no [`Input::PlaybackFinished`] follows).
    StopPlayback,
    /// Drop keys received but not yet delivered.
    FlushDigits,
    /// Call the sign-in use case; answer [`Input::SignInResult`].
    SignIn {
        /// The call's dial plan (scopes the extension).
        dial_plan: DialPlanId,
        /// The extension keyed in, or the recognised mailbox's id.
        identity: String,
        /// The PIN keyed in.
        pin: Pin,
    },
    /// Read the mailbox's summary; answer [`Input::MailboxLoaded`].
    LoadMailbox(MailboxId),
    /// Call the change-PIN use case; answer [`Input::PinChangeResult`].
    ChangePin {
        /// The mailbox.
        mailbox: MailboxId,
        /// The PIN the caller signed in with.
        current: Pin,
        /// The new PIN, keyed twice.
        new: Pin,
    },
    /// Start recording the caller (at most `max`); [`Input::RecordingFinished`] if it ends
    /// by itself.
    StartRecording {
        /// What it is for.
        kind: RecordingKind,
        /// The longest recording.
        max: Duration,
    },
    /// Stop recording and keep the audio for [`Action::SaveRecording`].
    StopRecording,
    /// Store the last recording for the mailbox.
    SaveRecording {
        /// The mailbox.
        mailbox: MailboxId,
        /// What it is.
        kind: RecordingKind,
    },
    /// Turn the out-of-office greeting on or off.
    SetOutOfOffice {
        /// The mailbox.
        mailbox: MailboxId,
        /// On or off.
        on: bool,
    },
    /// A first-time user recorded their name and greeting.
    FirstTimeSetupDone(MailboxId),
    /// End the call.
    HangUp(EndReason),
}

/// The dial plan a called number reaches: the one whose access numbers contain it (digits
/// compared, a leading `+` and punctuation ignored), or the only dial plan when there is one.
pub fn choose_dial_plan<'a>(called: &str, dial_plans: &'a [DialPlan]) -> Option<&'a DialPlan> {
    let digits = |text: &str| text.chars().filter(char::is_ascii_digit).collect::<String>();
    let called = digits(called);
    let by_number = (!called.is_empty())
        .then(|| dial_plans.iter().find(|plan| plan.access_numbers.iter().any(|n| digits(n.as_str()) == called)))
        .flatten();
    match (by_number, dial_plans) {
        (Some(plan), _) => Some(plan),
        (None, [only]) => Some(only),
        _ => None,
    }
}
