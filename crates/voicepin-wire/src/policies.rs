//! UM mailbox policies: New-, Set-, Get-UMMailboxPolicy.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use voicepin_core::policy::{MailboxPolicy, PinLifetime, PinResetThreshold};

/// A setting that is a number or `"unlimited"` (PINLifetime, LogonFailuresBeforePINReset).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum NumberOrUnlimited {
    /// A number.
    Number(u32),
    /// The text `unlimited` (or a number as text).
    Text(String),
}

impl NumberOrUnlimited {
    /// As a PIN lifetime, refused with the field and the allowed values when out of range.
    pub fn pin_lifetime(&self) -> Result<PinLifetime, voicepin_core::InvalidValue> {
        match self {
            Self::Number(days) => PinLifetime::days(*days),
            Self::Text(text) => text.parse(),
        }
    }

    /// As a PIN reset threshold.
    pub fn reset_threshold(&self) -> Result<PinResetThreshold, voicepin_core::InvalidValue> {
        match self {
            Self::Number(failures) => PinResetThreshold::after(*failures),
            Self::Text(text) => text.parse(),
        }
    }
}

macro_rules! policy_request {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident : $type:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $type,)*
            /// MinPINLength, 4-24 (default 6).
            #[schema(minimum = 4, maximum = 24)]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub min_pin_length: Option<u32>,
            /// PINLifetime: days, 1-999, or "unlimited" (default 60).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub pin_lifetime: Option<NumberOrUnlimited>,
            /// PINHistoryCount, 1-20 (default 5).
            #[schema(minimum = 1, maximum = 20)]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub pin_history_count: Option<u32>,
            /// AllowCommonPatterns (default false).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub allow_common_patterns: Option<bool>,
            /// LogonFailuresBeforePINReset: 1-998 or "unlimited" (default 5).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub logon_failures_before_pin_reset: Option<NumberOrUnlimited>,
            /// MaxLogonAttempts, 1-999 (default 15).
            #[schema(minimum = 1, maximum = 999)]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub max_logon_attempts: Option<u32>,
            /// ResetPINText: at most 512 characters of simple HTML.
            #[schema(max_length = 512)]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub reset_pin_text: Option<String>,
            /// UMEnabledText: at most 512 characters of simple HTML.
            #[schema(max_length = 512)]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub um_enabled_text: Option<String>,
            /// AllowSubscriberAccess (default true).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub allow_subscriber_access: Option<bool>,
            /// AllowPinlessVoiceMailAccess (default false).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub allow_pinless_voice_mail_access: Option<bool>,
            /// Extended check: no extension (or extension reversed) inside a PIN.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub block_extension_in_pin: Option<bool>,
            /// Extended check: not the first or last name spelled on the keypad.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub block_name_on_keypad: Option<bool>,
            /// Extended check: no repeated groups of digits (408408).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub block_repeated_groups: Option<bool>,
            /// Extended check: at least three different digits.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub require_three_distinct_digits: Option<bool>,
            /// Extended check: no digit more than twice in a row.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub block_digit_runs: Option<bool>,
            /// Extended check: no three keys in a straight keypad line.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub block_keypad_lines: Option<bool>,
            /// Extended check: not one of the most common PINs.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub block_common_pins: Option<bool>,
            /// Extended check: not a previous PIN reversed.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub block_reversed_history: Option<bool>,
        }

        impl $name {
            /// The settings as the core takes them; `name` is the new name, if any.
            pub fn settings(
                &self,
                name: Option<String>,
            ) -> Result<voicepin_core::usecases::PolicySettings, voicepin_core::InvalidValue> {
                use voicepin_core::usecases::{ExtendedSettings, PolicySettings};
                Ok(PolicySettings {
                    name,
                    min_pin_length: self.min_pin_length,
                    pin_lifetime: self.pin_lifetime.as_ref().map(NumberOrUnlimited::pin_lifetime).transpose()?,
                    pin_history_count: self.pin_history_count,
                    allow_common_patterns: self.allow_common_patterns,
                    logon_failures_before_pin_reset: self
                        .logon_failures_before_pin_reset
                        .as_ref()
                        .map(NumberOrUnlimited::reset_threshold)
                        .transpose()?,
                    max_logon_attempts: self.max_logon_attempts,
                    reset_pin_text: self.reset_pin_text.clone(),
                    um_enabled_text: self.um_enabled_text.clone(),
                    allow_subscriber_access: self.allow_subscriber_access,
                    allow_pinless_voice_mail_access: self.allow_pinless_voice_mail_access,
                    extended: ExtendedSettings {
                        block_extension_in_pin: self.block_extension_in_pin,
                        block_name_on_keypad: self.block_name_on_keypad,
                        block_repeated_groups: self.block_repeated_groups,
                        require_three_distinct_digits: self.require_three_distinct_digits,
                        block_digit_runs: self.block_digit_runs,
                        block_keypad_lines: self.block_keypad_lines,
                        block_common_pins: self.block_common_pins,
                        block_reversed_history: self.block_reversed_history,
                    },
                })
            }
        }
    };
}

policy_request!(
    /// New-UMMailboxPolicy.
    NewPolicyRequest {
        /// The name, unique.
        name: String,
        /// The dial plan, by name or id.
        um_dial_plan: String,
    }
);

policy_request!(
    /// Set-UMMailboxPolicy: settings left out stay as they are.
    SetPolicyRequest {
        /// A new name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    }
);

/// A UM mailbox policy (Get-UMMailboxPolicy).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    /// The identity: the name.
    pub identity: String,
    /// The id.
    pub id: Uuid,
    /// The name.
    pub name: String,
    /// The dial plan's name.
    pub um_dial_plan: String,
    /// MinPINLength.
    pub min_pin_length: u16,
    /// PINLifetime in days, or "unlimited".
    #[schema(value_type = NumberOrUnlimited)]
    pub pin_lifetime: PinLifetime,
    /// PINHistoryCount.
    pub pin_history_count: u16,
    /// AllowCommonPatterns.
    pub allow_common_patterns: bool,
    /// LogonFailuresBeforePINReset, or "unlimited".
    #[schema(value_type = NumberOrUnlimited)]
    pub logon_failures_before_pin_reset: PinResetThreshold,
    /// MaxLogonAttempts.
    pub max_logon_attempts: u16,
    /// Extended check.
    pub block_extension_in_pin: bool,
    /// Extended check.
    pub block_name_on_keypad: bool,
    /// Extended check.
    pub block_repeated_groups: bool,
    /// Extended check.
    pub require_three_distinct_digits: bool,
    /// Extended check.
    pub block_digit_runs: bool,
    /// Extended check.
    pub block_keypad_lines: bool,
    /// Extended check.
    pub block_common_pins: bool,
    /// Extended check.
    pub block_reversed_history: bool,
    /// ResetPINText.
    pub reset_pin_text: String,
    /// UMEnabledText.
    pub um_enabled_text: String,
    /// AllowSubscriberAccess.
    pub allow_subscriber_access: bool,
    /// AllowPinlessVoiceMailAccess.
    pub allow_pinless_voice_mail_access: bool,
}

impl PolicyView {
    /// A policy with its dial plan's name.
    pub fn new(policy: &MailboxPolicy, dial_plan_name: &str) -> Self {
        let pin = &policy.pin;
        let extended = pin.extended;
        Self {
            identity: policy.name.as_str().to_owned(),
            id: policy.id.0,
            name: policy.name.as_str().to_owned(),
            um_dial_plan: dial_plan_name.to_owned(),
            min_pin_length: pin.min_pin_length.get(),
            pin_lifetime: pin.pin_lifetime,
            pin_history_count: pin.pin_history_count.get(),
            allow_common_patterns: pin.allow_common_patterns,
            logon_failures_before_pin_reset: pin.logon_failures_before_pin_reset,
            max_logon_attempts: pin.max_logon_attempts.get(),
            block_extension_in_pin: extended.block_extension_in_pin,
            block_name_on_keypad: extended.block_name_on_keypad,
            block_repeated_groups: extended.block_repeated_groups,
            require_three_distinct_digits: extended.require_three_distinct_digits,
            block_digit_runs: extended.block_digit_runs,
            block_keypad_lines: extended.block_keypad_lines,
            block_common_pins: extended.block_common_pins,
            block_reversed_history: extended.block_reversed_history,
            reset_pin_text: policy.reset_pin_text.as_str().to_owned(),
            um_enabled_text: policy.um_enabled_text.as_str().to_owned(),
            allow_subscriber_access: policy.allow_subscriber_access,
            allow_pinless_voice_mail_access: policy.allow_pinless_voice_mail_access,
        }
    }
}

/// Filters of the policy list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct PolicyListQuery {
    /// Only the policies of this dial plan (name or id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dial_plan: Option<String>,
}

impl NewPolicyRequest {
    /// New-UMMailboxPolicy as the core takes it; a malformed PINLifetime or
    /// LogonFailuresBeforePINReset is refused with its field and allowed values.
    pub fn into_new_policy(self) -> Result<voicepin_core::usecases::NewPolicy, voicepin_core::InvalidValue> {
        let settings = self.settings(None)?;
        Ok(voicepin_core::usecases::NewPolicy { name: self.name, dial_plan: self.um_dial_plan, settings })
    }
}

impl SetPolicyRequest {
    /// Set-UMMailboxPolicy's settings as the core takes them, the new name included.
    pub fn into_settings(self) -> Result<voicepin_core::usecases::PolicySettings, voicepin_core::InvalidValue> {
        self.settings(self.name.clone())
    }
}

impl From<&voicepin_core::usecases::PolicyDetails> for PolicyView {
    fn from(details: &voicepin_core::usecases::PolicyDetails) -> Self {
        Self::new(&details.policy, details.dial_plan.name.as_str())
    }
}
