//! The call flow, path by path, with a fake clock (a `Duration` since the call began).

use std::time::Duration;

use super::*;
use crate::ids::{DialPlanId, MailboxId, Revision};
use crate::policy::{
    AccessNumber, DialPlan, ExtensionLength, InputFailuresBeforeDisconnect, LogonFailuresBeforeDisconnect, ObjectName,
};
use crate::rules::PinRuleViolation;
use crate::usecases::RecognisedCaller;
use Prompt as P;

fn plan(name: &str, access: &[&str]) -> DialPlan {
    DialPlan {
        id: DialPlanId::new_random(),
        revision: Revision::NEW,
        name: ObjectName::parse("Name", name).unwrap(),
        extension_length: ExtensionLength::new(5).unwrap(),
        access_numbers: access.iter().map(|n| AccessNumber::parse(n).unwrap()).collect(),
        logon_failures_before_disconnect: LogonFailuresBeforeDisconnect::default(),
        input_failures_before_disconnect: InputFailuresBeforeDisconnect::default(),
    }
}

fn summary(first_time_user: bool) -> MailboxSummary {
    MailboxSummary { mailbox: MailboxId::new_random(), first_time_user, new_voice_messages: 0, out_of_office: false }
}

struct Call {
    flow: CallFlow,
    now: Duration,
    plan: DialPlan,
}

impl Call {
    fn with_plan(plan: DialPlan) -> Self {
        Self { flow: CallFlow::new(FlowSettings::default()), now: Duration::ZERO, plan }
    }

    fn new() -> Self {
        Self::with_plan(plan("Plan", &["+14255550100"]))
    }

    fn send(&mut self, input: Input) -> Vec<Action> {
        self.flow.handle(self.now, input)
    }

    fn start(&mut self, caller_id: Option<&str>) -> Vec<Action> {
        let dial_plans = vec![self.plan.clone()];
        self.send(Input::CallStarted {
            called: "+1 425 555 0100".into(),
            caller_id: caller_id.map(Into::into),
            dial_plans,
        })
    }

    /// Keys, 200 ms apart; every action.
    fn keys(&mut self, keys: &str) -> Vec<Action> {
        let mut all = Vec::new();
        for key in keys.chars() {
            self.now += Duration::from_millis(200);
            all.extend(self.send(Input::Digit(key)));
        }
        all
    }

    fn played(&mut self) -> Vec<Action> {
        self.now += Duration::from_secs(2);
        self.send(Input::PlaybackFinished)
    }

    /// Lets the clock run to the deadline and fires the timer.
    fn wait(&mut self) -> Vec<Action> {
        let deadline = self.flow.deadline().expect("a timer runs");
        assert!(deadline > self.now);
        self.now = deadline;
        self.send(Input::Timer)
    }

    /// A caller without caller ID who signs in to a mailbox.
    fn signed_in(answer: SignInAnswer) -> (Self, Vec<Action>) {
        let mut call = Self::new();
        call.start(None);
        call.played();
        call.keys("12345#");
        let actions = call.keys("246810#");
        assert!(matches!(actions.last(), Some(Action::SignIn { .. })));
        let actions = call.send(Input::SignInResult(answer));
        (call, actions)
    }
}

/// The prompts of the last Play among the actions.
fn said(actions: &[Action]) -> Vec<Prompt> {
    actions
        .iter()
        .rev()
        .find_map(|a| match a {
            Action::Play(prompts) => Some(prompts.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn main_menu_with(count: u32) -> Vec<Prompt> {
    let mut prompts = Prompt::new_messages(count);
    prompts.push(P::MainMenu);
    prompts
}

#[test]
fn the_called_number_picks_the_dial_plan() {
    let a = plan("A", &["+14255550100", "5550101"]);
    let b = plan("B", &["+442071234567"]);
    let plans = [a.clone(), b.clone()];
    assert_eq!(choose_dial_plan("sip:+44 20 7123 4567", &plans).map(|p| p.id), Some(b.id));
    assert_eq!(choose_dial_plan("5550101", &plans).map(|p| p.id), Some(a.id));
    assert_eq!(choose_dial_plan("999", &plans), None);
    assert_eq!(choose_dial_plan("999", std::slice::from_ref(&b)).map(|p| p.id), Some(b.id));
    assert_eq!(choose_dial_plan("", &[]), None);
}

#[test]
fn a_number_of_no_dial_plan_says_goodbye() {
    let mut flow = CallFlow::new(FlowSettings::default());
    let plans = vec![plan("A", &["100"]), plan("B", &["200"])];
    let actions =
        flow.handle(Duration::ZERO, Input::CallStarted { called: "300".into(), caller_id: None, dial_plans: plans });
    assert_eq!(said(&actions), [P::SystemError, P::Goodbye]);
    let actions = flow.handle(Duration::from_secs(3), Input::PlaybackFinished);
    assert_eq!(actions, [Action::HangUp(EndReason::NoDialPlan)]);
    assert!(flow.ended());
}

#[test]
fn extension_then_pin_then_main_menu() {
    let mut call = Call::new();
    let actions = call.start(None);
    assert_eq!(said(&actions), [P::Welcome, P::EnterExtension]);
    assert_eq!(call.flow.deadline(), None, "the timer starts when the prompt ends");
    call.played();
    assert_eq!(call.flow.deadline(), Some(call.now + Duration::from_secs(5)));
    let actions = call.keys("12345#");
    assert!(!actions.contains(&Action::StopPlayback), "the prompt had ended");
    assert!(actions.contains(&Action::FlushDigits));
    assert_eq!(said(&actions), [P::EnterPin]);
    let actions = call.keys("246810#");
    let Some(Action::SignIn { dial_plan, identity, pin }) = actions.last() else { panic!("{actions:?}") };
    assert_eq!((*dial_plan, identity.as_str(), pin.expose()), (call.plan.id, "12345", "246810"));
    assert!(call.flow.deadline().is_none(), "no timer while signing in");
    let actions = call.send(Input::SignInResult(SignInAnswer::SignedIn(summary(false))));
    assert_eq!(said(&actions), main_menu_with(0));
    assert!(call.flow.signed_in().is_some());
}

#[test]
fn the_pin_never_shows_in_debug_output() {
    let mut call = Call::new();
    call.start(None);
    call.keys("12345#");
    let actions = call.keys("97531#");
    let text = format!("{actions:?}");
    assert!(!text.contains("97531"), "{text}");
}

#[test]
fn a_key_during_a_prompt_stops_it() {
    let mut call = Call::new();
    call.start(None);
    let actions = call.keys("1");
    assert_eq!(actions, [Action::StopPlayback]);
    assert_eq!(call.flow.deadline(), Some(call.now + Duration::from_secs(5)));
    // A late PlaybackFinished (the stop raced the end) changes nothing.
    assert!(call.send(Input::PlaybackFinished).is_empty());
}

#[test]
fn an_extension_without_pound_is_taken_after_the_pause() {
    let mut call = Call::new();
    call.start(None);
    call.played();
    call.keys("12345");
    let actions = call.wait();
    assert_eq!(said(&actions), [P::EnterPin]);
}

#[test]
fn a_wrong_length_extension_is_invalid_input() {
    let mut call = Call::new();
    call.start(None);
    call.played();
    let actions = call.keys("123#");
    assert_eq!(said(&actions), [P::InvalidEntry, P::EnterExtension]);
    let actions = call.keys("123456#");
    assert_eq!(said(&actions), [P::InvalidEntry, P::EnterExtension]);
    let actions = call.keys("#");
    assert_eq!(said(&actions), [P::InvalidEntry, P::TooManyFailures, P::Goodbye]);
    assert_eq!(call.played(), [Action::HangUp(EndReason::TooManyInputFailures)]);
}

#[test]
fn a_recognised_caller_skips_to_the_pin_and_star_goes_back() {
    let mut call = Call::new();
    let actions = call.start(Some("+14255550123"));
    assert_eq!(actions, [Action::IdentifyCaller { dial_plan: call.plan.id, caller_id: "+14255550123".into() }]);
    // Keys before the PIN prompt are dropped.
    assert!(call.keys("999").is_empty());
    let mailbox = MailboxId::new_random();
    let actions = call.send(Input::CallerIdentified(Some(RecognisedCaller { mailbox, pinless: false })));
    assert_eq!(actions.first(), Some(&Action::FlushDigits));
    assert_eq!(said(&actions), [P::Welcome, P::EnterPinOrStar]);
    call.played();
    let actions = call.keys("5555#");
    let Some(Action::SignIn { identity, .. }) = actions.last() else { panic!("{actions:?}") };
    assert_eq!(identity, &mailbox.to_string());
    // A failure goes back to the PIN prompt, where * switches to the extension.
    let actions = call.send(Input::SignInResult(SignInAnswer::Failed));
    assert_eq!(said(&actions), [P::IncorrectPinOrExtension, P::EnterPinOrStar]);
    let actions = call.keys("*");
    assert_eq!(said(&actions), [P::EnterExtension]);
    let actions = call.keys("54321#");
    assert_eq!(said(&actions), [P::EnterPin]);
}

#[test]
fn an_unknown_caller_id_asks_for_the_extension() {
    let mut call = Call::new();
    call.start(Some("+14255550999"));
    let actions = call.send(Input::CallerIdentified(None));
    assert_eq!(said(&actions), [P::Welcome, P::EnterExtension]);
}

#[test]
fn wrong_pins_end_the_call_after_the_dial_plans_limit() {
    let mut plan = plan("Plan", &[]);
    plan.logon_failures_before_disconnect = LogonFailuresBeforeDisconnect::new(2).unwrap();
    let mut call = Call::with_plan(plan);
    call.start(None);
    call.keys("12345#");
    call.keys("1111#");
    // Unknown, disabled, locked and wrong all arrive as Failed and sound the same.
    let actions = call.send(Input::SignInResult(SignInAnswer::Failed));
    assert_eq!(said(&actions), [P::IncorrectPinOrExtension, P::EnterExtension]);
    call.keys("12345#");
    call.keys("2222#");
    let actions = call.send(Input::SignInResult(SignInAnswer::Failed));
    assert_eq!(said(&actions), [P::IncorrectPinOrExtension, P::Goodbye]);
    assert!(call.keys("1").is_empty(), "keys during the goodbye do nothing");
    assert_eq!(call.played(), [Action::HangUp(EndReason::TooManySignInFailures)]);
}

#[test]
fn three_wrong_pins_by_default() {
    let mut call = Call::new();
    call.start(None);
    for attempt in 1..=3 {
        call.keys("12345#");
        call.keys("1111#");
        let actions = call.send(Input::SignInResult(SignInAnswer::Failed));
        let expected = if attempt < 3 { P::EnterExtension } else { P::Goodbye };
        assert_eq!(said(&actions).last(), Some(&expected), "attempt {attempt}");
    }
}

#[test]
fn an_entry_longer_than_24_digits_is_one_failed_attempt_and_never_sent() {
    let mut call = Call::new();
    call.start(None);
    call.keys("12345#");
    let actions = call.keys(&format!("{}#", "1234567890".repeat(3)));
    assert!(!actions.iter().any(|a| matches!(a, Action::SignIn { .. })), "{actions:?}");
    assert_eq!(said(&actions), [P::IncorrectPinOrExtension, P::EnterExtension]);
    // Exactly 24 digits are a PIN.
    call.keys("12345#");
    let actions = call.keys(&format!("{}#", "123456789012345678901234"));
    assert!(matches!(actions.last(), Some(Action::SignIn { pin, .. }) if pin.len() == 24));
}

#[test]
fn silence_counts_as_input_failure_until_the_limit() {
    let mut call = Call::new();
    call.start(None);
    assert!(call.send(Input::Timer).is_empty(), "no timer yet");
    call.played();
    let actions = call.wait();
    assert_eq!(said(&actions), [P::NoInput, P::EnterExtension]);
    call.played();
    // An early or stale tick is ignored.
    assert!(call.send(Input::Timer).is_empty());
    let actions = call.wait();
    assert_eq!(said(&actions), [P::NoInput, P::EnterExtension]);
    call.played();
    let actions = call.wait();
    assert_eq!(said(&actions), [P::NoInput, P::TooManyFailures, P::Goodbye]);
    assert_eq!(call.played(), [Action::HangUp(EndReason::TooManyInputFailures)]);
}

#[test]
fn a_valid_entry_resets_the_input_failures() {
    let mut call = Call::new();
    call.start(None);
    call.played();
    call.wait();
    call.played();
    call.wait();
    call.keys("12345#");
    call.played();
    let actions = call.wait();
    assert_eq!(said(&actions), [P::NoInput, P::EnterPin]);
}

#[test]
fn a_silent_pin_entry_without_pound_is_not_sent() {
    let mut call = Call::new();
    call.start(None);
    call.keys("12345#");
    call.keys("1234");
    let actions = call.wait();
    assert!(!actions.iter().any(|a| matches!(a, Action::SignIn { .. })));
    assert_eq!(said(&actions), [P::NoInput, P::EnterPin]);
}

#[test]
fn keys_typed_while_signing_in_are_dropped() {
    let mut call = Call::new();
    call.start(None);
    call.keys("12345#");
    call.keys("8642#");
    assert!(call.keys("6").is_empty());
    let actions = call.send(Input::SignInResult(SignInAnswer::Failed));
    assert_eq!(said(&actions), [P::IncorrectPinOrExtension, P::EnterExtension]);
}

#[test]
fn an_expired_pin_is_changed_with_the_shared_rules() {
    let (mut call, actions) = Call::signed_in(SignInAnswer::PinChangeRequired(summary(false)));
    assert_eq!(said(&actions), [P::PinExpired, P::EnterNewPin]);
    let actions = call.keys("4826#");
    assert_eq!(said(&actions), [P::EnterPinAgain]);
    let actions = call.keys("4827#");
    assert_eq!(said(&actions), [P::PinsDontMatch, P::EnterNewPin]);
    call.keys("1234#");
    let actions = call.keys("1234#");
    let Some(Action::ChangePin { current, new, .. }) = actions.last() else { panic!("{actions:?}") };
    assert_eq!((current.expose(), new.expose()), ("246810", "1234"));
    let rejected = vec![PinRuleViolation::TooShort { min: 6 }, PinRuleViolation::Consecutive];
    let actions = call.send(Input::PinChangeResult(PinChangeAnswer::Rejected(rejected)));
    assert_eq!(said(&actions), [P::Rule(RulePrompt::TooShort), P::Rule(RulePrompt::Consecutive), P::EnterNewPin]);
    call.keys("482913#");
    call.keys("482913#");
    let actions = call.send(Input::PinChangeResult(PinChangeAnswer::Changed));
    let mut expected = vec![P::PinChanged];
    expected.extend(main_menu_with(0));
    assert_eq!(said(&actions), expected);
}

#[test]
fn rejected_pins_count_as_input_failures() {
    let (mut call, _) = Call::signed_in(SignInAnswer::PinChangeRequired(summary(false)));
    for round in 1..=3 {
        call.keys("1111#");
        call.keys("1111#");
        let actions = call.send(Input::PinChangeResult(PinChangeAnswer::Rejected(vec![PinRuleViolation::SameDigit])));
        let last = said(&actions).last().copied();
        let expected = if round < 3 { P::EnterNewPin } else { P::Goodbye };
        assert_eq!(last, Some(expected), "round {round}");
    }
}

#[test]
fn an_overlong_new_pin_is_refused_by_the_flow() {
    let (mut call, _) = Call::signed_in(SignInAnswer::PinChangeRequired(summary(false)));
    let actions = call.keys(&format!("{}#", "1".repeat(30)));
    assert_eq!(said(&actions), [P::Rule(RulePrompt::TooLong), P::EnterNewPin]);
}

#[test]
fn a_failed_change_ends_the_call() {
    let (mut call, _) = Call::signed_in(SignInAnswer::PinChangeRequired(summary(false)));
    call.keys("482913#");
    call.keys("482913#");
    let actions = call.send(Input::PinChangeResult(PinChangeAnswer::Failed));
    assert_eq!(said(&actions), [P::SystemError, P::Goodbye]);
    assert_eq!(call.played(), [Action::HangUp(EndReason::Unavailable)]);
}

#[test]
fn an_unavailable_service_ends_the_call() {
    let (mut call, actions) = Call::signed_in(SignInAnswer::Unavailable);
    assert_eq!(said(&actions), [P::SystemError, P::Goodbye]);
    assert_eq!(call.played(), [Action::HangUp(EndReason::Unavailable)]);
}

#[test]
fn a_first_time_user_changes_the_pin_records_a_name_and_a_greeting() {
    let first = summary(true);
    let mailbox = first.mailbox;
    let (mut call, _) = Call::signed_in(SignInAnswer::PinChangeRequired(first));
    call.keys("482913#");
    call.keys("482913#");
    let actions = call.send(Input::PinChangeResult(PinChangeAnswer::Changed));
    assert_eq!(said(&actions), [P::PinChanged, P::RecordName, P::Beep]);
    let actions = call.played();
    assert_eq!(actions, [Action::StartRecording { kind: RecordingKind::Name, max: Duration::from_secs(10) }]);
    let actions = call.keys("#");
    assert_eq!(actions[0], Action::StopRecording);
    assert_eq!(said(&actions), [P::ReviewRecording]);
    // 2 records again.
    let actions = call.keys("2");
    assert_eq!(said(&actions), [P::RecordName, P::Beep]);
    call.played();
    // The front end ends a recording at its maximum.
    let actions = call.send(Input::RecordingFinished);
    assert_eq!(said(&actions), [P::ReviewRecording]);
    let actions = call.keys("1");
    assert_eq!(actions[1], Action::SaveRecording { mailbox, kind: RecordingKind::Name });
    assert_eq!(said(&actions), [P::RecordingSaved, P::RecordPersonalGreeting, P::Beep]);
    let actions = call.played();
    assert!(matches!(actions[..], [Action::StartRecording { kind: RecordingKind::PersonalGreeting, .. }]));
    call.keys("#");
    let actions = call.keys("1");
    assert!(actions.contains(&Action::SaveRecording { mailbox, kind: RecordingKind::PersonalGreeting }));
    assert!(actions.contains(&Action::FirstTimeSetupDone(mailbox)));
    let mut expected = vec![P::RecordingSaved];
    expected.extend(main_menu_with(0));
    assert_eq!(said(&actions), expected);
}

#[test]
fn a_first_time_user_with_a_good_pin_goes_straight_to_the_name() {
    let (_, actions) = Call::signed_in(SignInAnswer::SignedIn(summary(true)));
    assert_eq!(said(&actions), [P::RecordName, P::Beep]);
}

#[test]
fn a_recording_that_never_ends_is_stopped_by_the_timer() {
    let (mut call, _) = Call::signed_in(SignInAnswer::SignedIn(summary(true)));
    call.played();
    let actions = call.wait();
    assert_eq!(actions[0], Action::StopRecording);
    assert_eq!(said(&actions), [P::ReviewRecording]);
}

#[test]
fn the_main_menu_counts_messages_and_repeats() {
    let mut with_three = summary(false);
    with_three.new_voice_messages = 3;
    let (mut call, actions) = Call::signed_in(SignInAnswer::SignedIn(with_three));
    assert_eq!(said(&actions), main_menu_with(3));
    assert_eq!(said(&call.keys("0")), [P::MainMenu]);
    assert_eq!(said(&call.keys("*")), [P::MainMenu]);
    assert_eq!(said(&call.keys("9")), [P::InvalidEntry, P::MainMenu]);
}

#[test]
fn personal_options() {
    let info = summary(false);
    let mailbox = info.mailbox;
    let (mut call, _) = Call::signed_in(SignInAnswer::SignedIn(info));
    let options_off = [P::PersonalOptions, P::TurnOutOfOfficeOn, P::PersonalOptionsRest];
    assert_eq!(said(&call.keys("6")), options_off);
    // 1 toggles the out-of-office greeting.
    let actions = call.keys("1");
    assert_eq!(actions[1], Action::SetOutOfOffice { mailbox, on: true });
    assert_eq!(said(&actions), [P::OutOfOfficeOn, P::PersonalOptions, P::TurnOutOfOfficeOff, P::PersonalOptionsRest]);
    let actions = call.keys("1");
    assert_eq!(actions[1], Action::SetOutOfOffice { mailbox, on: false });
    // 0 repeats, an unknown key is invalid.
    assert_eq!(said(&call.keys("0")), options_off);
    assert_eq!(said(&call.keys("8"))[0], P::InvalidEntry);
    // 2: greetings.
    assert_eq!(said(&call.keys("2")), [P::GreetingsMenu]);
    assert_eq!(said(&call.keys("2")), [P::RecordOutOfOfficeGreeting, P::Beep]);
    call.played();
    call.keys("#");
    let actions = call.keys("1");
    assert!(actions.contains(&Action::SaveRecording { mailbox, kind: RecordingKind::OutOfOfficeGreeting }));
    assert_eq!(said(&actions)[0], P::RecordingSaved);
    call.keys("2");
    assert_eq!(said(&call.keys("1")), [P::RecordPersonalGreeting, P::Beep]);
    call.played();
    call.keys("#");
    call.keys("1");
    // 3: change the PIN, back to personal options.
    assert_eq!(said(&call.keys("3")), [P::EnterNewPin]);
    call.keys("482913#");
    let actions = call.keys("482913#");
    assert!(matches!(actions.last(), Some(Action::ChangePin { .. })));
    let actions = call.send(Input::PinChangeResult(PinChangeAnswer::Changed));
    assert_eq!(said(&actions), [P::PinChanged, P::PersonalOptions, P::TurnOutOfOfficeOn, P::PersonalOptionsRest]);
    // * is the main menu.
    assert_eq!(said(&call.keys("*")), [P::MainMenu]);
}

#[test]
fn pinless_access_reaches_the_main_menu_and_personal_options_ask_for_the_pin() {
    let mut call = Call::new();
    call.start(Some("+14255550123"));
    let info = summary(false);
    let mailbox = info.mailbox;
    let actions = call.send(Input::CallerIdentified(Some(RecognisedCaller { mailbox, pinless: true })));
    assert_eq!(actions, [Action::LoadMailbox(mailbox)]);
    let actions = call.send(Input::MailboxLoaded(Some(info.clone())));
    let mut expected = vec![P::Welcome];
    expected.extend(main_menu_with(0));
    assert_eq!(said(&actions), expected);
    assert_eq!(call.flow.signed_in(), None, "PIN-less is not signed in with a PIN");
    let actions = call.keys("6");
    assert!(actions.contains(&Action::FlushDigits));
    assert_eq!(said(&actions), [P::EnterPinOrStar]);
    call.keys("482913#");
    let actions = call.send(Input::SignInResult(SignInAnswer::SignedIn(info)));
    assert_eq!(said(&actions), [P::PersonalOptions, P::TurnOutOfOfficeOn, P::PersonalOptionsRest]);
    assert_eq!(call.flow.signed_in(), Some(mailbox));
}

#[test]
fn an_unreadable_pinless_mailbox_asks_for_the_pin() {
    let mut call = Call::new();
    call.start(Some("+14255550123"));
    let mailbox = MailboxId::new_random();
    call.send(Input::CallerIdentified(Some(RecognisedCaller { mailbox, pinless: true })));
    let actions = call.send(Input::MailboxLoaded(None));
    assert_eq!(said(&actions), [P::Welcome, P::EnterPinOrStar]);
}

#[test]
fn answers_out_of_turn_are_ignored() {
    let mut call = Call::new();
    call.start(None);
    assert!(call.send(Input::SignInResult(SignInAnswer::SignedIn(summary(false)))).is_empty());
    assert!(call.send(Input::PinChangeResult(PinChangeAnswer::Changed)).is_empty());
    assert!(call.send(Input::RecordingFinished).is_empty());
    assert!(call.send(Input::CallerIdentified(None)).is_empty());
    assert!(call.send(Input::MailboxLoaded(None)).is_empty());
    assert!(call.keys("A").is_empty(), "A-D are not menu keys");
}
