//! The call flow's states and transitions (see the module docs of [`super`]).

use std::time::Duration;

use super::{
    Action, EndReason, Input, MailboxSummary, PinChangeAnswer, Prompt, RecordingKind, RulePrompt, SignInAnswer,
    choose_dial_plan,
};
use crate::ids::{DialPlanId, MailboxId};
use crate::pin::{MAX_PIN_LENGTH, Pin};
use crate::usecases::RecognisedCaller;

/// Timings of a call. The failure limits come from the dial plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowSettings {
    /// How long after a prompt ends the caller has for the first key (Exchange: 5 s).
    pub first_digit_timeout: Duration,
    /// How long between keys of one entry.
    pub inter_digit_timeout: Duration,
    /// The longest recorded name.
    pub max_name: Duration,
    /// The longest greeting (MaxGreetingDuration, default 5 minutes).
    pub max_greeting: Duration,
}

impl Default for FlowSettings {
    fn default() -> Self {
        Self {
            first_digit_timeout: Duration::from_secs(5),
            inter_digit_timeout: Duration::from_secs(5),
            max_name: Duration::from_secs(10),
            max_greeting: Duration::from_secs(300),
        }
    }
}

/// Who the PIN being keyed is for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity {
    /// An extension keyed in.
    Keyed(String),
    /// A mailbox recognised by caller ID.
    Recognised(MailboxId),
}

impl Identity {
    fn as_identity(&self) -> String {
        match self {
            Self::Keyed(extension) => extension.clone(),
            Self::Recognised(mailbox) => mailbox.to_string(),
        }
    }
}

/// Why the PIN is being changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChangeReason {
    Required,
    Chosen,
}

#[derive(Clone, Debug)]
enum State {
    Idle,
    Identifying,
    Extension,
    Pin,
    SigningIn,
    LoadingMailbox,
    NewPin(ChangeReason),
    ConfirmPin(ChangeReason, Pin),
    ChangingPin(ChangeReason),
    /// The record prompt and beep play; recording starts when they end.
    RecordPrompt(RecordingKind),
    Recording(RecordingKind),
    Review(RecordingKind),
    MainMenu,
    PersonalOptions,
    GreetingsMenu,
    Ending(EndReason),
    Ended,
}

impl State {
    /// States that collect keys (and so run the digit timer).
    fn collects(&self) -> bool {
        matches!(
            self,
            Self::Extension
                | Self::Pin
                | Self::NewPin(_)
                | Self::ConfirmPin(..)
                | Self::Review(_)
                | Self::MainMenu
                | Self::PersonalOptions
                | Self::GreetingsMenu
        )
    }
}

/// One call's flow. See the module docs of [`super`] for how to drive it.
#[derive(Debug)]
pub struct CallFlow {
    settings: FlowSettings,
    state: State,
    dial_plan: Option<DialPlanId>,
    extension_length: usize,
    logon_limit: u32,
    input_limit: u32,
    logon_failures: u32,
    input_failures: u32,
    recognised: Option<RecognisedCaller>,
    identity: Option<Identity>,
    entry: String,
    overlong: bool,
    playing: bool,
    deadline: Option<Duration>,
    /// The PIN the caller signed in with, for a change.
    current_pin: Option<Pin>,
    summary: Option<MailboxSummary>,
    /// Signed in with a PIN (not only PIN-less).
    authenticated: bool,
    /// Running the first-time setup.
    setup: bool,
    /// A PIN-less caller pressed 6: after the PIN, personal options.
    wants_personal_options: bool,
}

impl CallFlow {
    /// A flow waiting for [`Input::CallStarted`].
    pub fn new(settings: FlowSettings) -> Self {
        Self {
            settings,
            state: State::Idle,
            dial_plan: None,
            extension_length: 0,
            logon_limit: 3,
            input_limit: 3,
            logon_failures: 0,
            input_failures: 0,
            recognised: None,
            identity: None,
            entry: String::new(),
            overlong: false,
            playing: false,
            deadline: None,
            current_pin: None,
            summary: None,
            authenticated: false,
            setup: false,
            wants_personal_options: false,
        }
    }

    /// When to send [`Input::Timer`], in the call's time; `None` when no timer runs.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The mailbox signed in to with a PIN, if any (for the call's outcome).
    pub fn signed_in(&self) -> Option<MailboxId> {
        self.summary.as_ref().filter(|_| self.authenticated).map(|s| s.mailbox)
    }

    /// Whether the flow has hung up.
    pub fn ended(&self) -> bool {
        matches!(self.state, State::Ended)
    }

    /// Handles one input at `now` (time since the call began) and says what to do.
    pub fn handle(&mut self, now: Duration, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::CallStarted { called, caller_id, dial_plans } => {
                if !matches!(self.state, State::Idle) {
                    return out;
                }
                let Some(plan) = choose_dial_plan(&called, &dial_plans) else {
                    self.end(&mut out, vec![Prompt::SystemError], EndReason::NoDialPlan);
                    return out;
                };
                self.dial_plan = Some(plan.id);
                self.extension_length = usize::from(plan.extension_length.get());
                self.logon_limit = u32::from(plan.logon_failures_before_disconnect.get());
                self.input_limit = u32::from(plan.input_failures_before_disconnect.get());
                match caller_id.filter(|id| !id.trim().is_empty()) {
                    Some(caller_id) => {
                        self.state = State::Identifying;
                        out.push(Action::IdentifyCaller { dial_plan: plan.id, caller_id });
                    }
                    None => self.ask_extension(&mut out, vec![Prompt::Welcome]),
                }
            }
            Input::CallerIdentified(recognised) => {
                if !matches!(self.state, State::Identifying) {
                    return out;
                }
                self.recognised = recognised.clone();
                match recognised {
                    Some(caller) if caller.pinless => {
                        self.state = State::LoadingMailbox;
                        out.push(Action::LoadMailbox(caller.mailbox));
                    }
                    Some(caller) => {
                        self.ask_pin(&mut out, Identity::Recognised(caller.mailbox), vec![Prompt::Welcome]);
                    }
                    None => self.ask_extension(&mut out, vec![Prompt::Welcome]),
                }
            }
            Input::MailboxLoaded(summary) => {
                if !matches!(self.state, State::LoadingMailbox) {
                    return out;
                }
                match (summary, self.recognised.clone()) {
                    (Some(summary), _) => {
                        let mut prompts = vec![Prompt::Welcome];
                        prompts.extend(Prompt::new_messages(summary.new_voice_messages));
                        self.summary = Some(summary);
                        self.main_menu(&mut out, prompts);
                    }
                    (None, Some(caller)) => {
                        self.ask_pin(&mut out, Identity::Recognised(caller.mailbox), vec![Prompt::Welcome])
                    }
                    (None, None) => self.ask_extension(&mut out, vec![Prompt::Welcome]),
                }
            }
            Input::Digit(key) => self.digit(now, key, &mut out),
            Input::Timer => {
                if self.deadline.is_some_and(|deadline| now >= deadline) {
                    self.deadline = None;
                    self.timeout(&mut out);
                }
            }
            Input::PlaybackFinished => {
                if !self.playing {
                    return out;
                }
                self.playing = false;
                match self.state.clone() {
                    State::Ending(reason) => {
                        self.state = State::Ended;
                        self.deadline = None;
                        out.push(Action::HangUp(reason));
                    }
                    State::RecordPrompt(kind) => {
                        let max = match kind {
                            RecordingKind::Name => self.settings.max_name,
                            _ => self.settings.max_greeting,
                        };
                        self.state = State::Recording(kind);
                        // A safety net: the front end normally ends it at `max` itself.
                        self.deadline = Some(now + max + Duration::from_secs(1));
                        out.push(Action::StartRecording { kind, max });
                    }
                    state if state.collects() && self.deadline.is_none() => {
                        self.deadline = Some(now + self.settings.first_digit_timeout);
                    }
                    _ => {}
                }
            }
            Input::RecordingFinished => {
                if let State::Recording(kind) = self.state {
                    self.review(&mut out, kind);
                }
            }
            Input::SignInResult(answer) => {
                if matches!(self.state, State::SigningIn) {
                    self.signed_in_answer(&mut out, answer);
                }
            }
            Input::PinChangeResult(answer) => {
                if let State::ChangingPin(reason) = self.state {
                    self.pin_change_answer(&mut out, reason, answer);
                }
            }
        }
        out
    }

    // ----- prompts and states -------------------------------------------------------------

    fn play(&mut self, out: &mut Vec<Action>, prompts: Vec<Prompt>) {
        self.playing = true;
        self.deadline = None;
        out.push(Action::Play(prompts));
    }

    /// Enters a collecting state with its prompt after `before`.
    fn collect(&mut self, out: &mut Vec<Action>, state: State, mut before: Vec<Prompt>) {
        self.state = state;
        self.entry.clear();
        self.overlong = false;
        before.extend(self.state_prompts());
        self.play(out, before);
    }

    /// What a collecting state says (again, after an invalid entry or 0).
    fn state_prompts(&self) -> Vec<Prompt> {
        match &self.state {
            State::Extension => vec![Prompt::EnterExtension],
            State::Pin if matches!(self.identity, Some(Identity::Recognised(_))) => vec![Prompt::EnterPinOrStar],
            State::Pin => vec![Prompt::EnterPin],
            State::NewPin(_) => vec![Prompt::EnterNewPin],
            State::ConfirmPin(..) => vec![Prompt::EnterPinAgain],
            State::Review(_) => vec![Prompt::ReviewRecording],
            State::MainMenu => vec![Prompt::MainMenu],
            State::PersonalOptions => {
                let on = self.summary.as_ref().is_some_and(|s| s.out_of_office);
                let toggle = if on { Prompt::TurnOutOfOfficeOff } else { Prompt::TurnOutOfOfficeOn };
                vec![Prompt::PersonalOptions, toggle, Prompt::PersonalOptionsRest]
            }
            State::GreetingsMenu => vec![Prompt::GreetingsMenu],
            _ => Vec::new(),
        }
    }

    fn ask_extension(&mut self, out: &mut Vec<Action>, before: Vec<Prompt>) {
        self.identity = None;
        self.collect(out, State::Extension, before);
    }

    /// The PIN prompt: keys typed before it are dropped.
    fn ask_pin(&mut self, out: &mut Vec<Action>, identity: Identity, before: Vec<Prompt>) {
        self.identity = Some(identity);
        out.push(Action::FlushDigits);
        self.collect(out, State::Pin, before);
    }

    fn main_menu(&mut self, out: &mut Vec<Action>, before: Vec<Prompt>) {
        self.collect(out, State::MainMenu, before);
    }

    fn personal_options(&mut self, out: &mut Vec<Action>, before: Vec<Prompt>) {
        self.collect(out, State::PersonalOptions, before);
    }

    fn record(&mut self, out: &mut Vec<Action>, kind: RecordingKind, mut before: Vec<Prompt>) {
        self.state = State::RecordPrompt(kind);
        before.push(match kind {
            RecordingKind::Name => Prompt::RecordName,
            RecordingKind::PersonalGreeting => Prompt::RecordPersonalGreeting,
            RecordingKind::OutOfOfficeGreeting => Prompt::RecordOutOfOfficeGreeting,
        });
        before.push(Prompt::Beep);
        self.play(out, before);
    }

    fn review(&mut self, out: &mut Vec<Action>, kind: RecordingKind) {
        self.collect(out, State::Review(kind), Vec::new());
    }

    fn end(&mut self, out: &mut Vec<Action>, mut prompts: Vec<Prompt>, reason: EndReason) {
        self.state = State::Ending(reason);
        self.current_pin = None;
        prompts.push(Prompt::Goodbye);
        self.play(out, prompts);
    }

    /// An invalid entry or a silence: said, then the state's prompt again, until the limit.
    fn input_failure(&mut self, out: &mut Vec<Action>, said: Prompt) {
        self.input_failures += 1;
        if self.input_failures >= self.input_limit {
            self.end(out, vec![said, Prompt::TooManyFailures], EndReason::TooManyInputFailures);
        } else {
            let state = self.state.clone();
            self.collect(out, state, vec![said]);
        }
    }

    /// A failed sign-in, whatever the reason.
    fn logon_failure(&mut self, out: &mut Vec<Action>) {
        self.logon_failures += 1;
        self.current_pin = None;
        if self.logon_failures >= self.logon_limit {
            self.end(out, vec![Prompt::IncorrectPinOrExtension], EndReason::TooManySignInFailures);
            return;
        }
        match self.identity.clone() {
            Some(Identity::Recognised(mailbox)) => {
                self.ask_pin(out, Identity::Recognised(mailbox), vec![Prompt::IncorrectPinOrExtension])
            }
            _ => self.ask_extension(out, vec![Prompt::IncorrectPinOrExtension]),
        }
    }

    // ----- keys ---------------------------------------------------------------------------

    fn digit(&mut self, now: Duration, key: char, out: &mut Vec<Action>) {
        if !matches!(key, '0'..='9' | '*' | '#') {
            return;
        }
        if let State::Recording(kind) = self.state {
            if key == '#' {
                out.push(Action::StopRecording);
                self.review(out, kind);
            }
            return;
        }
        if !self.state.collects() {
            // Typed ahead while waiting for an answer, or during a goodbye: dropped.
            return;
        }
        if self.playing {
            self.playing = false;
            out.push(Action::StopPlayback);
        }
        self.deadline = Some(now + self.settings.inter_digit_timeout);
        match self.state.clone() {
            State::Extension => self.extension_key(key, out),
            State::Pin => self.pin_key(key, out),
            State::NewPin(reason) => {
                if let Some(pin) = self.pin_entry_key(key) {
                    self.new_pin(out, reason, pin);
                }
            }
            State::ConfirmPin(reason, first) => {
                if let Some(pin) = self.pin_entry_key(key) {
                    self.confirm_pin(out, reason, first, pin);
                }
            }
            State::Review(kind) => self.review_key(key, kind, out),
            State::MainMenu => self.main_menu_key(key, out),
            State::PersonalOptions => self.personal_options_key(key, out),
            State::GreetingsMenu => self.greetings_key(key, out),
            _ => {}
        }
    }

    fn extension_key(&mut self, key: char, out: &mut Vec<Action>) {
        match key {
            '#' => self.submit_extension(out),
            '*' => self.entry.clear(),
            // No submission at the plan's length: the prompt asks for #, and a # after an
            // automatic submission would land on the PIN prompt as an empty PIN.
            digit if self.entry.len() <= MAX_PIN_LENGTH => self.entry.push(digit),
            _ => {}
        }
    }

    fn submit_extension(&mut self, out: &mut Vec<Action>) {
        if self.entry.len() != self.extension_length {
            self.input_failure(out, Prompt::InvalidEntry);
            return;
        }
        self.input_failures = 0;
        let extension = std::mem::take(&mut self.entry);
        self.ask_pin(out, Identity::Keyed(extension), Vec::new());
    }

    fn pin_key(&mut self, key: char, out: &mut Vec<Action>) {
        let recognised = matches!(self.identity, Some(Identity::Recognised(_)));
        match key {
            '*' if recognised && self.entry.is_empty() && !self.overlong => {
                self.input_failures = 0;
                self.ask_extension(out, Vec::new());
            }
            '*' => {
                self.entry.clear();
                self.overlong = false;
            }
            '#' => self.submit_pin(out),
            digit => self.push_pin_digit(digit),
        }
    }

    fn push_pin_digit(&mut self, digit: char) {
        if self.entry.len() >= MAX_PIN_LENGTH {
            // Longer than any PIN: the whole entry is one failed attempt; nothing more is kept.
            self.overlong = true;
            self.entry.clear();
        } else if !self.overlong {
            self.entry.push(digit);
        }
    }

    fn submit_pin(&mut self, out: &mut Vec<Action>) {
        if self.overlong {
            self.overlong = false;
            self.logon_failure(out);
            return;
        }
        if self.entry.is_empty() {
            self.input_failure(out, Prompt::InvalidEntry);
            return;
        }
        let (Some(identity), Some(dial_plan)) = (self.identity.clone(), self.dial_plan) else {
            self.end(out, vec![Prompt::SystemError], EndReason::Unavailable);
            return;
        };
        self.input_failures = 0;
        let pin = Pin::new(std::mem::take(&mut self.entry));
        self.current_pin = Some(pin.clone());
        self.state = State::SigningIn;
        self.deadline = None;
        out.push(Action::SignIn { dial_plan, identity: identity.as_identity(), pin });
    }

    /// A key of a new-PIN entry: the PIN when `#` ends it.
    fn pin_entry_key(&mut self, key: char) -> Option<Pin> {
        match key {
            '#' => Some(Pin::new(std::mem::take(&mut self.entry))),
            '*' => {
                self.entry.clear();
                self.overlong = false;
                None
            }
            digit => {
                self.push_pin_digit(digit);
                None
            }
        }
    }

    fn new_pin(&mut self, out: &mut Vec<Action>, reason: ChangeReason, pin: Pin) {
        if self.overlong {
            self.input_failure(out, Prompt::Rule(RulePrompt::TooLong));
        } else if pin.is_empty() {
            self.input_failure(out, Prompt::InvalidEntry);
        } else {
            // Failures are not cleared before the change succeeds: rejected PINs add up.
            self.collect(out, State::ConfirmPin(reason, pin), Vec::new());
        }
    }

    fn confirm_pin(&mut self, out: &mut Vec<Action>, reason: ChangeReason, first: Pin, again: Pin) {
        if self.overlong || again != first {
            self.input_failures += 1;
            if self.input_failures >= self.input_limit {
                self.end(out, vec![Prompt::PinsDontMatch, Prompt::TooManyFailures], EndReason::TooManyInputFailures);
            } else {
                self.collect(out, State::NewPin(reason), vec![Prompt::PinsDontMatch]);
            }
            return;
        }
        let (Some(current), Some(summary)) = (self.current_pin.clone(), self.summary.as_ref()) else {
            self.end(out, vec![Prompt::SystemError], EndReason::Unavailable);
            return;
        };
        self.state = State::ChangingPin(reason);
        self.deadline = None;
        out.push(Action::ChangePin { mailbox: summary.mailbox, current, new: first });
    }

    fn review_key(&mut self, key: char, kind: RecordingKind, out: &mut Vec<Action>) {
        let Some(mailbox) = self.summary.as_ref().map(|s| s.mailbox) else {
            return;
        };
        match key {
            '1' => {
                self.input_failures = 0;
                out.push(Action::SaveRecording { mailbox, kind });
                self.after_recording(out, kind, mailbox);
            }
            '2' => {
                self.input_failures = 0;
                self.record(out, kind, Vec::new());
            }
            _ => self.input_failure(out, Prompt::InvalidEntry),
        }
    }

    fn after_recording(&mut self, out: &mut Vec<Action>, kind: RecordingKind, mailbox: MailboxId) {
        match (self.setup, kind) {
            (true, RecordingKind::Name) => {
                self.record(out, RecordingKind::PersonalGreeting, vec![Prompt::RecordingSaved])
            }
            (true, _) => {
                self.setup = false;
                if let Some(summary) = &mut self.summary {
                    summary.first_time_user = false;
                }
                out.push(Action::FirstTimeSetupDone(mailbox));
                self.arrive(out, vec![Prompt::RecordingSaved]);
            }
            (false, _) => self.personal_options(out, vec![Prompt::RecordingSaved]),
        }
    }

    fn main_menu_key(&mut self, key: char, out: &mut Vec<Action>) {
        match key {
            '6' if self.authenticated => {
                self.input_failures = 0;
                self.personal_options(out, Vec::new());
            }
            '6' => {
                // PIN-less access reaches voice mail only; personal options need the PIN.
                self.input_failures = 0;
                self.wants_personal_options = true;
                if let Some(mailbox) = self.summary.as_ref().map(|s| s.mailbox) {
                    self.ask_pin(out, Identity::Recognised(mailbox), Vec::new());
                }
            }
            '0' | '*' => self.main_menu(out, Vec::new()),
            _ => self.input_failure(out, Prompt::InvalidEntry),
        }
    }

    fn personal_options_key(&mut self, key: char, out: &mut Vec<Action>) {
        let Some(summary) = self.summary.as_mut() else {
            return;
        };
        let mailbox = summary.mailbox;
        match key {
            '1' => {
                self.input_failures = 0;
                summary.out_of_office = !summary.out_of_office;
                let on = summary.out_of_office;
                out.push(Action::SetOutOfOffice { mailbox, on });
                let said = if on { Prompt::OutOfOfficeOn } else { Prompt::OutOfOfficeOff };
                self.personal_options(out, vec![said]);
            }
            '2' => {
                self.input_failures = 0;
                self.collect(out, State::GreetingsMenu, Vec::new());
            }
            '3' => {
                self.input_failures = 0;
                self.collect(out, State::NewPin(ChangeReason::Chosen), Vec::new());
            }
            '*' => {
                self.input_failures = 0;
                self.main_menu(out, Vec::new());
            }
            '0' => self.personal_options(out, Vec::new()),
            _ => self.input_failure(out, Prompt::InvalidEntry),
        }
    }

    fn greetings_key(&mut self, key: char, out: &mut Vec<Action>) {
        match key {
            '1' => {
                self.input_failures = 0;
                self.record(out, RecordingKind::PersonalGreeting, Vec::new());
            }
            '2' => {
                self.input_failures = 0;
                self.record(out, RecordingKind::OutOfOfficeGreeting, Vec::new());
            }
            '*' => {
                self.input_failures = 0;
                self.personal_options(out, Vec::new());
            }
            '0' => self.collect(out, State::GreetingsMenu, Vec::new()),
            _ => self.input_failure(out, Prompt::InvalidEntry),
        }
    }

    // ----- timers and answers -------------------------------------------------------------

    fn timeout(&mut self, out: &mut Vec<Action>) {
        match self.state.clone() {
            State::Recording(kind) => {
                out.push(Action::StopRecording);
                self.review(out, kind);
            }
            // An extension keyed without # and shorter than the plan's length.
            State::Extension if !self.entry.is_empty() => self.submit_extension(out),
            state if state.collects() => self.input_failure(out, Prompt::NoInput),
            _ => {}
        }
    }

    fn signed_in_answer(&mut self, out: &mut Vec<Action>, answer: SignInAnswer) {
        match answer {
            SignInAnswer::Failed => self.logon_failure(out),
            SignInAnswer::Unavailable => self.end(out, vec![Prompt::SystemError], EndReason::Unavailable),
            SignInAnswer::SignedIn(summary) => {
                self.signed_in_with(summary);
                self.arrive(out, Vec::new());
            }
            SignInAnswer::PinChangeRequired(summary) => {
                self.signed_in_with(summary);
                self.collect(out, State::NewPin(ChangeReason::Required), vec![Prompt::PinExpired]);
            }
        }
    }

    fn signed_in_with(&mut self, summary: MailboxSummary) {
        self.logon_failures = 0;
        self.input_failures = 0;
        self.authenticated = true;
        self.setup = summary.first_time_user;
        self.summary = Some(summary);
    }

    /// Where a signed-in caller lands: the first-time setup, personal options (a PIN-less
    /// caller who asked for them) or the main menu with the message count.
    fn arrive(&mut self, out: &mut Vec<Action>, before: Vec<Prompt>) {
        if self.setup {
            self.record(out, RecordingKind::Name, before);
            return;
        }
        if std::mem::take(&mut self.wants_personal_options) {
            self.personal_options(out, before);
            return;
        }
        let mut prompts = before;
        if let Some(summary) = &self.summary {
            prompts.extend(Prompt::new_messages(summary.new_voice_messages));
        }
        self.main_menu(out, prompts);
    }

    fn pin_change_answer(&mut self, out: &mut Vec<Action>, reason: ChangeReason, answer: PinChangeAnswer) {
        match answer {
            PinChangeAnswer::Changed => {
                self.current_pin = None;
                self.input_failures = 0;
                match reason {
                    ChangeReason::Required => self.arrive(out, vec![Prompt::PinChanged]),
                    ChangeReason::Chosen => self.personal_options(out, vec![Prompt::PinChanged]),
                }
            }
            PinChangeAnswer::Rejected(violations) => {
                let mut said: Vec<Prompt> = Vec::new();
                for violation in &violations {
                    let prompt = Prompt::Rule(RulePrompt::for_violation(violation));
                    if !said.contains(&prompt) {
                        said.push(prompt);
                    }
                }
                self.input_failures += 1;
                if self.input_failures >= self.input_limit {
                    said.push(Prompt::TooManyFailures);
                    self.end(out, said, EndReason::TooManyInputFailures);
                } else {
                    self.collect(out, State::NewPin(reason), said);
                }
            }
            PinChangeAnswer::Failed => self.end(out, vec![Prompt::SystemError], EndReason::Unavailable),
        }
    }
}
