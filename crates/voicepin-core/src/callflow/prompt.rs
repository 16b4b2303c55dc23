//! The prompts a caller hears. The telephone front end maps each to an audio file of the
//! same name ([`Prompt::name`]); the words are in the front end's prompt list.

use crate::rules::PinRuleViolation;

/// One recorded sentence (or number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// "Welcome to voice access."
    Welcome,
    /// "To access your mailbox, enter your extension, then press the pound key."
    EnterExtension,
    /// "Please enter your PIN, then press the pound key."
    EnterPin,
    /// "Please enter your PIN, then press the pound key. To sign in with another extension, press star."
    EnterPinOrStar,
    /// "That extension or PIN is not valid." (the same for every failed sign-in)
    IncorrectPinOrExtension,
    /// "That entry is not valid."
    InvalidEntry,
    /// "Sorry, I didn't hear anything."
    NoInput,
    /// "Sorry, there have been too many failures."
    TooManyFailures,
    /// "Goodbye."
    Goodbye,
    /// "Sorry, the system cannot take your call now."
    SystemError,
    /// "Your PIN has expired and must be changed."
    PinExpired,
    /// "Enter a new PIN, then press the pound key."
    EnterNewPin,
    /// "Enter the new PIN again, then press the pound key."
    EnterPinAgain,
    /// "The PINs you entered don't match."
    PinsDontMatch,
    /// "Your PIN has been changed."
    PinChanged,
    /// A rule a new PIN broke.
    Rule(RulePrompt),
    /// "After the tone, say your name. When you have finished, press the pound key."
    RecordName,
    /// "After the tone, record your personal greeting. When you have finished, press the pound key."
    RecordPersonalGreeting,
    /// "After the tone, record your out-of-office greeting. When you have finished, press the pound key."
    RecordOutOfOfficeGreeting,
    /// The tone before recording.
    Beep,
    /// "To keep this recording, press 1. To record again, press 2."
    ReviewRecording,
    /// "Your recording has been saved."
    RecordingSaved,
    /// "You have"
    YouHave,
    /// "no"
    No,
    /// A number 0-9 (larger counts are said digit by digit).
    Number(u8),
    /// "new voice message."
    NewVoiceMessage,
    /// "new voice messages."
    NewVoiceMessages,
    /// "Main menu. For personal options, press 6. To hear this menu again, press 0."
    MainMenu,
    /// "Personal options."
    PersonalOptions,
    /// "To turn on your out-of-office greeting, press 1."
    TurnOutOfOfficeOn,
    /// "To turn off your out-of-office greeting, press 1."
    TurnOutOfOfficeOff,
    /// "To record your greetings, press 2. To change your PIN, press 3. For the main menu, press star. To hear these options again, press 0."
    PersonalOptionsRest,
    /// "Your out-of-office greeting is on."
    OutOfOfficeOn,
    /// "Your out-of-office greeting is off."
    OutOfOfficeOff,
    /// "To record your personal greeting, press 1. To record your out-of-office greeting, press 2. For personal options, press star."
    GreetingsMenu,
}

/// One prompt per kind of rule violation ([`PinRuleViolation`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RulePrompt {
    /// "Your PIN must contain only digits."
    NotNumeric,
    /// "Your PIN is too short."
    TooShort,
    /// "Your PIN is too long."
    TooLong,
    /// "You can't use a PIN you used recently."
    RecentlyUsed,
    /// "Your PIN can't be consecutive digits."
    Consecutive,
    /// "Your PIN can't be the same digit repeated."
    SameDigit,
    /// "Your PIN can't be the end of your extension."
    ExtensionSuffix,
    /// "Your PIN can't contain your extension."
    ContainsExtension,
    /// "Your PIN can't spell your name."
    NameOnKeypad,
    /// "Your PIN can't repeat a group of digits."
    RepeatedGroup,
    /// "Your PIN needs at least three different digits."
    TooFewDistinctDigits,
    /// "Your PIN can't have a digit more than twice in a row."
    DigitRun,
    /// "Your PIN can't contain a line of keys on the keypad."
    KeypadLine,
    /// "That PIN is too common."
    CommonPin,
    /// "Your PIN can't be a previous PIN reversed."
    ReversedPreviousPin,
}

impl RulePrompt {
    /// Every rule prompt.
    pub const ALL: [RulePrompt; 15] = [
        Self::NotNumeric,
        Self::TooShort,
        Self::TooLong,
        Self::RecentlyUsed,
        Self::Consecutive,
        Self::SameDigit,
        Self::ExtensionSuffix,
        Self::ContainsExtension,
        Self::NameOnKeypad,
        Self::RepeatedGroup,
        Self::TooFewDistinctDigits,
        Self::DigitRun,
        Self::KeypadLine,
        Self::CommonPin,
        Self::ReversedPreviousPin,
    ];

    /// The prompt for a violation (exhaustive: a new rule needs a new prompt).
    pub fn for_violation(violation: &PinRuleViolation) -> Self {
        match violation {
            PinRuleViolation::NotNumeric => Self::NotNumeric,
            PinRuleViolation::TooShort { .. } => Self::TooShort,
            PinRuleViolation::TooLong { .. } => Self::TooLong,
            PinRuleViolation::RecentlyUsed { .. } => Self::RecentlyUsed,
            PinRuleViolation::Consecutive => Self::Consecutive,
            PinRuleViolation::SameDigit => Self::SameDigit,
            PinRuleViolation::ExtensionSuffix => Self::ExtensionSuffix,
            PinRuleViolation::ContainsExtension => Self::ContainsExtension,
            PinRuleViolation::NameOnKeypad => Self::NameOnKeypad,
            PinRuleViolation::RepeatedGroup => Self::RepeatedGroup,
            PinRuleViolation::TooFewDistinctDigits => Self::TooFewDistinctDigits,
            PinRuleViolation::DigitRun => Self::DigitRun,
            PinRuleViolation::KeypadLine => Self::KeypadLine,
            PinRuleViolation::CommonPin => Self::CommonPin,
            PinRuleViolation::ReversedPreviousPin => Self::ReversedPreviousPin,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::NotNumeric => "rule-not-numeric",
            Self::TooShort => "rule-too-short",
            Self::TooLong => "rule-too-long",
            Self::RecentlyUsed => "rule-recently-used",
            Self::Consecutive => "rule-consecutive-digits",
            Self::SameDigit => "rule-same-digit",
            Self::ExtensionSuffix => "rule-extension-suffix",
            Self::ContainsExtension => "rule-contains-extension",
            Self::NameOnKeypad => "rule-name-on-keypad",
            Self::RepeatedGroup => "rule-repeated-group",
            Self::TooFewDistinctDigits => "rule-too-few-distinct-digits",
            Self::DigitRun => "rule-digit-run",
            Self::KeypadLine => "rule-keypad-line",
            Self::CommonPin => "rule-common-pin",
            Self::ReversedPreviousPin => "rule-reversed-previous-pin",
        }
    }
}

impl Prompt {
    /// Every prompt, each once (numbers 0-9, every rule).
    pub fn all() -> Vec<Prompt> {
        let mut all = vec![
            Self::Welcome,
            Self::EnterExtension,
            Self::EnterPin,
            Self::EnterPinOrStar,
            Self::IncorrectPinOrExtension,
            Self::InvalidEntry,
            Self::NoInput,
            Self::TooManyFailures,
            Self::Goodbye,
            Self::SystemError,
            Self::PinExpired,
            Self::EnterNewPin,
            Self::EnterPinAgain,
            Self::PinsDontMatch,
            Self::PinChanged,
            Self::RecordName,
            Self::RecordPersonalGreeting,
            Self::RecordOutOfOfficeGreeting,
            Self::Beep,
            Self::ReviewRecording,
            Self::RecordingSaved,
            Self::YouHave,
            Self::No,
            Self::NewVoiceMessage,
            Self::NewVoiceMessages,
            Self::MainMenu,
            Self::PersonalOptions,
            Self::TurnOutOfOfficeOn,
            Self::TurnOutOfOfficeOff,
            Self::PersonalOptionsRest,
            Self::OutOfOfficeOn,
            Self::OutOfOfficeOff,
            Self::GreetingsMenu,
        ];
        all.extend((0..=9).map(Self::Number));
        all.extend(RulePrompt::ALL.map(Self::Rule));
        all
    }

    /// The file name of the prompt's audio, without extension (stable: recorded prompt
    /// folders use these names).
    pub fn name(self) -> &'static str {
        const NUMBERS: [&str; 10] = [
            "number-0", "number-1", "number-2", "number-3", "number-4", "number-5", "number-6", "number-7", "number-8",
            "number-9",
        ];
        match self {
            Self::Welcome => "welcome",
            Self::EnterExtension => "enter-extension",
            Self::EnterPin => "enter-pin",
            Self::EnterPinOrStar => "enter-pin-or-star",
            Self::IncorrectPinOrExtension => "incorrect-pin-or-extension",
            Self::InvalidEntry => "invalid-entry",
            Self::NoInput => "no-input",
            Self::TooManyFailures => "too-many-failures",
            Self::Goodbye => "goodbye",
            Self::SystemError => "system-error",
            Self::PinExpired => "pin-expired",
            Self::EnterNewPin => "enter-new-pin",
            Self::EnterPinAgain => "enter-pin-again",
            Self::PinsDontMatch => "pins-dont-match",
            Self::PinChanged => "pin-changed",
            Self::Rule(rule) => rule.name(),
            Self::RecordName => "record-name",
            Self::RecordPersonalGreeting => "record-personal-greeting",
            Self::RecordOutOfOfficeGreeting => "record-out-of-office-greeting",
            Self::Beep => "beep",
            Self::ReviewRecording => "review-recording",
            Self::RecordingSaved => "recording-saved",
            Self::YouHave => "you-have",
            Self::No => "no",
            Self::Number(n) => NUMBERS[usize::from(n.min(9))],
            Self::NewVoiceMessage => "new-voice-message",
            Self::NewVoiceMessages => "new-voice-messages",
            Self::MainMenu => "main-menu",
            Self::PersonalOptions => "personal-options",
            Self::TurnOutOfOfficeOn => "turn-out-of-office-on",
            Self::TurnOutOfOfficeOff => "turn-out-of-office-off",
            Self::PersonalOptionsRest => "personal-options-rest",
            Self::OutOfOfficeOn => "out-of-office-on",
            Self::OutOfOfficeOff => "out-of-office-off",
            Self::GreetingsMenu => "greetings-menu",
        }
    }

    /// "You have N new voice messages", N said digit by digit above 9.
    pub fn new_messages(count: u32) -> Vec<Prompt> {
        let mut prompts = vec![Self::YouHave];
        if count == 0 {
            prompts.push(Self::No);
        } else {
            prompts.extend(count.to_string().bytes().map(|b| Self::Number(b - b'0')));
        }
        prompts.push(if count == 1 { Self::NewVoiceMessage } else { Self::NewVoiceMessages });
        prompts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_every_prompt_is_listed() {
        let all = Prompt::all();
        let names: HashSet<_> = all.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), all.len());
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')));
    }

    #[test]
    fn counts() {
        assert_eq!(Prompt::new_messages(0), [Prompt::YouHave, Prompt::No, Prompt::NewVoiceMessages]);
        assert_eq!(Prompt::new_messages(1), [Prompt::YouHave, Prompt::Number(1), Prompt::NewVoiceMessage]);
        assert_eq!(
            Prompt::new_messages(12),
            [Prompt::YouHave, Prompt::Number(1), Prompt::Number(2), Prompt::NewVoiceMessages]
        );
    }
}
