//! The API's request and response bodies: Exchange's property names in camelCase, the same
//! shapes the CLI prints with `--json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;
use voicepin_core::Pin;
use voicepin_core::accounts::{AdminAccount, Password};
use voicepin_core::audit::AuditEvent;
use voicepin_core::mailbox::Mailbox;
use voicepin_core::policy::{DialPlan, MailboxPolicy, PinLifetime, PinResetThreshold};
use voicepin_core::tokens::ApiToken;
use voicepin_core::usecases::PinInfo;
use voicepin_core::usecases::SessionAuth;

/// A PIN in a request body. It is read as text and wrapped at once in the core's secret
/// [`Pin`], which redacts itself and is wiped when dropped; it is never echoed.
#[derive(Debug)]
pub struct PinText(pub Pin);

impl<'de> Deserialize<'de> for PinText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor {
            what: "a PIN as a string of digits",
            wrap: |text| PinText(Pin::new(text)),
        })
    }
}

/// Reads a secret (a PIN, a password) from a JSON string straight into its secret type; a
/// number is refused without its value in the message (`deserialize_any`, so that a number
/// reaches `visit_u64` and the like instead of serde's own message, which quotes it).
struct SecretVisitor<T> {
    /// What the field takes, for messages: "a PIN as a string of digits".
    what: &'static str,
    /// Moves the text into the secret type, which wipes it on drop.
    wrap: fn(String) -> T,
}

impl<T> serde::de::Visitor<'_> for SecretVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.what)
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        Ok((self.wrap)(text.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<T, E> {
        Ok((self.wrap)(text))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<T, E> {
        Err(self.not_a_string())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<T, E> {
        Err(self.not_a_string())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<T, E> {
        Err(self.not_a_string())
    }
}

impl<T> SecretVisitor<T> {
    fn not_a_string<E: serde::de::Error>(&self) -> E {
        E::custom(format_args!("{}{} (in quotes)", crate::extract::OWN_MESSAGE, self.what))
    }
}

/// An optional PIN from a form field: an absent or empty field is none. Never echoed.
#[derive(Debug, Default)]
pub struct PinTextOption(Option<Pin>);

impl<'de> Deserialize<'de> for PinTextOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let PinText(pin) = PinText::deserialize(deserializer)?;
        Ok(Self((!pin.is_empty()).then_some(pin)))
    }
}

impl PinTextOption {
    /// The secret PIN, if one was typed.
    pub fn into_pin(self) -> Option<Pin> {
        self.0
    }
}

impl PinText {
    /// The secret PIN.
    pub fn into_pin(self) -> Pin {
        self.0
    }
}

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

pub(crate) fn time_text(at: Option<OffsetDateTime>) -> Option<String> {
    at.and_then(|t| t.format(&Rfc3339).ok())
}

// ---- mailboxes ----

/// Enable-UMMailbox.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnableMailboxRequest {
    /// The primary SMTP address (or, to re-enable, any identity of a mailbox disabled with
    /// its properties kept).
    pub identity: String,
    /// The UM mailbox policy, by name or id (required for a new mailbox).
    #[serde(default)]
    pub um_mailbox_policy: Option<String>,
    /// Extensions, the primary one first (required for a new mailbox).
    #[serde(default)]
    pub extensions: Vec<String>,
    /// The initial PIN; generated when omitted. Never echoed.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub pin: Option<PinText>,
    /// Whether the PIN must be changed at the first sign-in (default true).
    #[serde(default)]
    pub pin_expired: Option<bool>,
    /// Send the welcome message here instead of to the mailbox.
    #[serde(default)]
    pub notify_email: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Alias.
    #[serde(default)]
    pub alias: Option<String>,
    /// Phone numbers in E.164 form.
    #[serde(default)]
    pub phone_numbers: Option<Vec<String>>,
    /// SubscriberAccessEnabled.
    #[serde(default)]
    pub subscriber_access_enabled: Option<bool>,
    /// PinlessAccessToVoiceMailEnabled.
    #[serde(default)]
    pub pinless_access_to_voice_mail_enabled: Option<bool>,
    /// Check everything, change nothing.
    #[serde(default)]
    pub validate_only: bool,
}

/// Set-UMMailbox: properties left out stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetMailboxRequest {
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Alias.
    #[serde(default)]
    pub alias: Option<String>,
    /// Extensions, the primary first: replaces the list.
    #[serde(default)]
    pub extensions: Option<Vec<String>>,
    /// Phone numbers in E.164 form: replaces the list.
    #[serde(default)]
    pub phone_numbers: Option<Vec<String>>,
    /// The UM mailbox policy, by name or id.
    #[serde(default)]
    pub um_mailbox_policy: Option<String>,
    /// SubscriberAccessEnabled.
    #[serde(default)]
    pub subscriber_access_enabled: Option<bool>,
    /// PinlessAccessToVoiceMailEnabled.
    #[serde(default)]
    pub pinless_access_to_voice_mail_enabled: Option<bool>,
}

/// A UM mailbox (Get-UMMailbox).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailboxView {
    /// The identity: the primary SMTP address.
    pub identity: String,
    /// The id.
    pub id: Uuid,
    /// PrimarySmtpAddress.
    pub primary_smtp_address: String,
    /// Alias.
    pub alias: String,
    /// Display name.
    pub display_name: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// UMEnabled.
    pub um_enabled: bool,
    /// The UM mailbox policy's name.
    pub um_mailbox_policy: String,
    /// The UM dial plan's name.
    pub um_dial_plan: String,
    /// Extensions, the primary first.
    pub extensions: Vec<String>,
    /// Phone numbers.
    pub phone_numbers: Vec<String>,
    /// SubscriberAccessEnabled.
    pub subscriber_access_enabled: bool,
    /// PinlessAccessToVoiceMailEnabled.
    pub pinless_access_to_voice_mail_enabled: bool,
    /// WhenCreated, RFC 3339.
    pub when_created: Option<String>,
}

impl MailboxView {
    /// A mailbox with its policy's and dial plan's names.
    pub fn new(mailbox: &Mailbox, policy_name: &str, dial_plan_name: &str) -> Self {
        Self {
            identity: mailbox.smtp_address.as_str().to_owned(),
            id: mailbox.id.0,
            primary_smtp_address: mailbox.smtp_address.as_str().to_owned(),
            alias: mailbox.alias.clone(),
            display_name: mailbox.display_name.clone(),
            first_name: mailbox.first_name.clone(),
            last_name: mailbox.last_name.clone(),
            um_enabled: mailbox.um_enabled,
            um_mailbox_policy: policy_name.to_owned(),
            um_dial_plan: dial_plan_name.to_owned(),
            extensions: mailbox.extensions.iter().map(|e| e.as_str().to_owned()).collect(),
            phone_numbers: mailbox.phone_numbers.iter().map(|n| n.as_str().to_owned()).collect(),
            subscriber_access_enabled: mailbox.subscriber_access_enabled,
            pinless_access_to_voice_mail_enabled: mailbox.pinless_access_to_voice_mail_enabled,
            when_created: time_text(Some(mailbox.created_at)),
        }
    }
}

/// A page of mailboxes in address order.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailboxPage {
    /// The mailboxes.
    pub items: Vec<MailboxView>,
    /// The cursor of the next page (pass it as `after`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A page of PIN states in address order.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PinInfoPage {
    /// The PIN states.
    pub items: Vec<PinInfoView>,
    /// The cursor of the next page (pass it as `after`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Get-UMMailboxPIN's output.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PinInfoView {
    /// The mailbox's primary SMTP address.
    pub user_id: String,
    /// The same, as the identity.
    pub identity: String,
    /// PinExpired.
    pub pin_expired: bool,
    /// FirstTimeUser.
    pub first_time_user: bool,
    /// LockedOut.
    pub locked_out: bool,
    /// UMEnabled.
    pub um_enabled: bool,
    /// Consecutive failed sign-ins.
    pub consecutive_failures: u32,
    /// Failed sign-ins since the last success.
    pub total_failures: u32,
    /// When the PIN was set.
    pub pin_set_time: Option<String>,
    /// When the PIN expires.
    pub pin_expiration_time: Option<String>,
    /// The last failed sign-in.
    pub last_failure_time: Option<String>,
    /// The last successful sign-in.
    pub last_sign_in_time: Option<String>,
}

impl From<&PinInfo> for PinInfoView {
    fn from(info: &PinInfo) -> Self {
        Self {
            user_id: info.user_id.clone(),
            identity: info.user_id.clone(),
            pin_expired: info.pin_expired,
            first_time_user: info.first_time_user,
            locked_out: info.locked_out,
            um_enabled: info.um_enabled,
            consecutive_failures: info.consecutive_failures,
            total_failures: info.total_failures,
            pin_set_time: time_text(info.pin_set_at),
            pin_expiration_time: time_text(info.pin_expires_at),
            last_failure_time: time_text(info.last_failure_at),
            last_sign_in_time: time_text(info.last_sign_in_at),
        }
    }
}

/// Set-UMMailboxPIN.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetPinRequest {
    /// The new PIN; generated when omitted. Never echoed.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub pin: Option<PinText>,
    /// Whether the PIN must be changed at the next sign-in (default true).
    #[serde(default)]
    pub pin_expired: Option<bool>,
    /// `false` unlocks the mailbox (alone, it changes nothing else).
    #[serde(default)]
    pub locked_out: Option<bool>,
    /// Whether to email the new PIN (default true).
    #[serde(default)]
    pub send_email: Option<bool>,
    /// Send the message here instead of to the mailbox.
    #[serde(default)]
    pub notify_email: Option<String>,
}

// ---- policies ----

macro_rules! policy_request {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident : $type:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Deserialize, ToSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $type,)*
            /// MinPINLength, 4-24 (default 6).
            #[schema(minimum = 4, maximum = 24)]
            #[serde(default)]
            pub min_pin_length: Option<u32>,
            /// PINLifetime: days, 1-999, or "unlimited" (default 60).
            #[serde(default)]
            pub pin_lifetime: Option<NumberOrUnlimited>,
            /// PINHistoryCount, 1-20 (default 5).
            #[schema(minimum = 1, maximum = 20)]
            #[serde(default)]
            pub pin_history_count: Option<u32>,
            /// AllowCommonPatterns (default false).
            #[serde(default)]
            pub allow_common_patterns: Option<bool>,
            /// LogonFailuresBeforePINReset: 1-998 or "unlimited" (default 5).
            #[serde(default)]
            pub logon_failures_before_pin_reset: Option<NumberOrUnlimited>,
            /// MaxLogonAttempts, 1-999 (default 15).
            #[schema(minimum = 1, maximum = 999)]
            #[serde(default)]
            pub max_logon_attempts: Option<u32>,
            /// ResetPINText: at most 512 characters of simple HTML.
            #[schema(max_length = 512)]
            #[serde(default)]
            pub reset_pin_text: Option<String>,
            /// UMEnabledText: at most 512 characters of simple HTML.
            #[schema(max_length = 512)]
            #[serde(default)]
            pub um_enabled_text: Option<String>,
            /// AllowSubscriberAccess (default true).
            #[serde(default)]
            pub allow_subscriber_access: Option<bool>,
            /// AllowPinlessVoiceMailAccess (default false).
            #[serde(default)]
            pub allow_pinless_voice_mail_access: Option<bool>,
            /// Extended check: no extension (or extension reversed) inside a PIN.
            #[serde(default)]
            pub block_extension_in_pin: Option<bool>,
            /// Extended check: not the first or last name spelled on the keypad.
            #[serde(default)]
            pub block_name_on_keypad: Option<bool>,
            /// Extended check: no repeated groups of digits (408408).
            #[serde(default)]
            pub block_repeated_groups: Option<bool>,
            /// Extended check: at least three different digits.
            #[serde(default)]
            pub require_three_distinct_digits: Option<bool>,
            /// Extended check: no digit more than twice in a row.
            #[serde(default)]
            pub block_digit_runs: Option<bool>,
            /// Extended check: no three keys in a straight keypad line.
            #[serde(default)]
            pub block_keypad_lines: Option<bool>,
            /// Extended check: not one of the most common PINs.
            #[serde(default)]
            pub block_common_pins: Option<bool>,
            /// Extended check: not a previous PIN reversed.
            #[serde(default)]
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
        #[serde(default)]
        name: Option<String>,
    }
);

/// A UM mailbox policy (Get-UMMailboxPolicy).
#[derive(Clone, Debug, Serialize, ToSchema)]
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

// ---- dial plans ----

/// New-UMDialPlan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDialPlanRequest {
    /// The name, unique.
    pub name: String,
    /// NumberOfDigitsInExtension, 1-20 (required).
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default)]
    pub number_of_digits_in_extension: Option<u32>,
    /// AccessTelephoneNumbers.
    #[serde(default)]
    pub access_telephone_numbers: Option<Vec<String>>,
    /// LogonFailuresBeforeDisconnect, 1-20.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default)]
    pub logon_failures_before_disconnect: Option<u32>,
    /// InputFailuresBeforeDisconnect, 1-20.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default)]
    pub input_failures_before_disconnect: Option<u32>,
    /// GenerateUMMailboxPolicy: also create "<name> Default Policy" (default true).
    #[serde(default)]
    pub generate_um_mailbox_policy: Option<bool>,
}

/// Set-UMDialPlan: settings left out stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetDialPlanRequest {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// NumberOfDigitsInExtension, 1-20; fixed while mailboxes use the plan.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default)]
    pub number_of_digits_in_extension: Option<u32>,
    /// AccessTelephoneNumbers: replaces the list.
    #[serde(default)]
    pub access_telephone_numbers: Option<Vec<String>>,
    /// LogonFailuresBeforeDisconnect, 1-20.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default)]
    pub logon_failures_before_disconnect: Option<u32>,
    /// InputFailuresBeforeDisconnect, 1-20.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default)]
    pub input_failures_before_disconnect: Option<u32>,
}

/// A UM dial plan (Get-UMDialPlan).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DialPlanView {
    /// The identity: the name.
    pub identity: String,
    /// The id.
    pub id: Uuid,
    /// The name.
    pub name: String,
    /// NumberOfDigitsInExtension.
    pub number_of_digits_in_extension: u16,
    /// AccessTelephoneNumbers.
    pub access_telephone_numbers: Vec<String>,
    /// LogonFailuresBeforeDisconnect.
    pub logon_failures_before_disconnect: u16,
    /// InputFailuresBeforeDisconnect.
    pub input_failures_before_disconnect: u16,
}

impl From<&DialPlan> for DialPlanView {
    fn from(plan: &DialPlan) -> Self {
        Self {
            identity: plan.name.as_str().to_owned(),
            id: plan.id.0,
            name: plan.name.as_str().to_owned(),
            number_of_digits_in_extension: plan.extension_length.get(),
            access_telephone_numbers: plan.access_numbers.iter().map(|n| n.as_str().to_owned()).collect(),
            logon_failures_before_disconnect: plan.logon_failures_before_disconnect.get(),
            input_failures_before_disconnect: plan.input_failures_before_disconnect.get(),
        }
    }
}

// ---- audit ----

/// An audit event.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventView {
    /// The id.
    pub id: Uuid,
    /// When, RFC 3339.
    pub time: Option<String>,
    /// Who: an account's or token's name, a mailbox's address, the operating-system user of
    /// the command line, `system` or `anonymous`.
    pub actor: String,
    /// administrator, callingSystem, mailboxOwner, localOperator, system or anonymous.
    pub actor_kind: String,
    /// The actor's role, if any.
    pub role: Option<String>,
    /// Through which front end: cli, api, web, phone, system.
    pub channel: String,
    /// From where.
    pub source: Option<String>,
    /// What happened (mailboxEnabled, pinSet, signInFailed ...).
    pub action: String,
    /// The mailbox concerned.
    pub mailbox_id: Option<Uuid>,
    /// The object concerned, by name.
    pub target: String,
    /// Further facts. Never a PIN.
    pub details: BTreeMap<String, String>,
}

impl From<&AuditEvent> for AuditEventView {
    fn from(event: &AuditEvent) -> Self {
        Self {
            id: event.id.0,
            time: time_text(Some(event.at)),
            actor: event.actor.clone(),
            actor_kind: event.actor_kind.as_str().to_owned(),
            role: event.role.clone(),
            channel: event.channel.as_str().to_owned(),
            source: event.source.clone(),
            action: event.action.as_str().to_owned(),
            mailbox_id: event.mailbox_id.map(|id| id.0),
            target: event.target.clone(),
            details: event.details.clone(),
        }
    }
}

// ---- voice access ----

/// A sign-in on behalf of a caller, from a PBX that keeps its own voice mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInRequest {
    /// The extension keyed in (give this or `identity`).
    #[serde(default)]
    pub extension: Option<String>,
    /// Any other identity: an SMTP address, an alias or an id.
    #[serde(default)]
    pub identity: Option<String>,
    /// The PIN keyed in. Never logged nor echoed.
    #[schema(value_type = String, format = Password)]
    pub pin: PinText,
    /// The caller ID of the call.
    #[serde(default)]
    pub caller_id: Option<String>,
    /// The name of the calling system (the PBX).
    #[serde(default)]
    pub calling_system: Option<String>,
    /// The dial plan the call came in on (scopes extension lookups), by name or id.
    #[serde(default)]
    pub dial_plan: Option<String>,
}

/// The sign-in outcome, the same for every channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SignInOutcomeView {
    /// Signed in.
    Success,
    /// Signed in; the PIN must be changed first.
    PinChangeRequired,
    /// Not signed in (wrong PIN, unknown identity, locked or disabled: not told apart).
    Failed,
}

/// The answer to a sign-in.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SignInResponse {
    /// The outcome.
    pub outcome: SignInOutcomeView,
}

// ---- administrator accounts, API tokens, sessions ----

/// A password in a request body, wrapped at once in the core's secret [`Password`] (redacted,
/// wiped on drop); never echoed, and refused without its value when it is not a string.
#[derive(Debug)]
pub struct PasswordText(pub Password);

impl<'de> Deserialize<'de> for PasswordText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor {
            what: "a password as a string",
            wrap: |text| PasswordText(Password::new(text)),
        })
    }
}

/// An administrator account (never its password or hash).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminAccountView {
    /// Identifier.
    pub id: Uuid,
    /// The sign-in name.
    pub name: String,
    /// organizationManagement, umManagement, helpDesk, viewOnly or voiceService.
    pub role: String,
    /// The account signed in with a one-time password and must change it.
    pub must_change_password: bool,
    /// A disabled account cannot sign in.
    pub disabled: bool,
    /// Locked until this time after too many failed sign-ins (RFC 3339).
    pub locked_until: Option<String>,
    /// Failed sign-ins since the last success or lockout.
    pub failed_sign_ins: u32,
    /// When it was created.
    pub created_time: Option<String>,
    /// When it was last changed.
    pub changed_time: Option<String>,
    /// The last successful sign-in.
    pub last_sign_in_time: Option<String>,
}

impl From<&AdminAccount> for AdminAccountView {
    fn from(account: &AdminAccount) -> Self {
        Self {
            id: account.id.0,
            name: account.name.clone(),
            role: account.role.as_str().to_owned(),
            must_change_password: account.must_change_password,
            disabled: account.disabled,
            locked_until: time_text(account.locked_until),
            failed_sign_ins: account.failed_sign_ins,
            created_time: time_text(Some(account.created_at)),
            changed_time: time_text(Some(account.changed_at)),
            last_sign_in_time: time_text(account.last_sign_in_at),
        }
    }
}

/// A new administrator account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAdminAccountRequest {
    /// The sign-in name: 1-64 letters, digits, dots, dashes, underscores or @.
    pub name: String,
    /// organizationManagement, umManagement, helpDesk, viewOnly or voiceService.
    pub role: String,
}

/// Changes to an administrator account; absent properties stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetAdminAccountRequest {
    /// The new role.
    #[serde(default)]
    pub role: Option<String>,
    /// Disable (true) or enable (false); disabling ends the account's sessions.
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// An account and its new one-time password, shown this once.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneTimePasswordResponse {
    /// The account.
    pub account: AdminAccountView,
    /// The one-time password: the account must change it at its first sign-in.
    pub one_time_password: String,
}

/// An API token (never its secret).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiTokenView {
    /// Identifier (also part of the token).
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_time: Option<String>,
    /// When it stops working; null for never.
    pub expiration_time: Option<String>,
    /// When it was revoked.
    pub revoked_time: Option<String>,
}

impl From<&ApiToken> for ApiTokenView {
    fn from(token: &ApiToken) -> Self {
        Self {
            id: token.id.0,
            name: token.name.clone(),
            role: token.role.as_str().to_owned(),
            created_by: token.created_by.clone(),
            created_time: time_text(Some(token.created_at)),
            expiration_time: time_text(token.expires_at),
            revoked_time: time_text(token.revoked_at),
        }
    }
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiTokenRequest {
    /// A name: 1-64 letters, digits, dots, dashes or underscores.
    pub name: String,
    /// organizationManagement, umManagement, helpDesk, viewOnly or voiceService.
    pub role: String,
    /// Days until it expires, 1-3650; when absent (and `neverExpires` is not true), the
    /// server's default lifetime (90 days unless configured).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
    /// `true` for a token that lasts until revoked: "never" must be said explicitly.
    #[serde(default)]
    pub never_expires: bool,
}

/// A new API token and its secret, shown this once.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiTokenCreated {
    /// The token's record.
    pub api_token: ApiTokenView,
    /// The token, for `Authorization: Bearer <token>`.
    pub token: String,
}

/// A password sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordSignInRequest {
    /// The account's name.
    pub name: String,
    /// Its password. Never logged nor echoed.
    #[schema(value_type = String, format = Password)]
    pub password: PasswordText,
}

/// A browser session (the cookie itself is never in a body).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Send it as `X-CSRF-Token` with every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
    /// The account's name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// Only the password may be changed (and the session ended) until it is.
    pub must_change_password: bool,
    /// When the session ends unless used again (RFC 3339).
    pub expires_at: Option<String>,
}

impl From<&SessionAuth> for SessionView {
    fn from(auth: &SessionAuth) -> Self {
        Self {
            csrf_token: auth.csrf_token.clone(),
            name: auth.principal.name.clone(),
            role: auth.principal.role.as_str().to_owned(),
            must_change_password: auth.must_change_password,
            expires_at: time_text(Some(auth.expires_at)),
        }
    }
}

/// A change of one's own password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password (or one-time password) now.
    #[schema(value_type = String, format = Password)]
    pub current_password: PasswordText,
    /// The new one: 12-128 characters, not the account's name.
    #[schema(value_type = String, format = Password)]
    pub new_password: PasswordText,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn secrets_are_read_from_strings_and_never_echoed_otherwise() {
        let pin: PinText = serde_json::from_str("\"1985848\"").unwrap();
        assert_eq!(pin.into_pin(), Pin::new("1985848"));
        let password: PasswordText = serde_json::from_str("\"correct horse battery\"").unwrap();
        assert_eq!(password.0.expose(), "correct horse battery");
        let error = serde_json::from_str::<PinText>("1985848").unwrap_err().to_string();
        assert!(error.starts_with("voicepin: a PIN as a string of digits (in quotes)"), "{error}");
        assert!(!error.contains("1985848"), "{error}");
        let error = serde_json::from_str::<PasswordText>("123456789012").unwrap_err().to_string();
        assert!(error.starts_with("voicepin: a password as a string (in quotes)"), "{error}");
        assert!(!error.contains("123456789012"), "{error}");
    }
}
