//! Mailboxes: Enable-, Set-, Get-UMMailbox.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use voicepin_core::mailbox::Mailbox;
use voicepin_core::usecases::{EnableMailbox, MailboxDetails, MailboxFilter, MailboxSettings};

use crate::secret::PinText;
use crate::time_text;

/// Enable-UMMailbox.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnableMailboxRequest {
    /// The primary SMTP address (or, to re-enable, any identity of a mailbox disabled with
    /// its properties kept).
    pub identity: String,
    /// The UM mailbox policy, by name or id (required for a new mailbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub um_mailbox_policy: Option<String>,
    /// Extensions, the primary one first (required for a new mailbox).
    #[serde(default)]
    pub extensions: Vec<String>,
    /// The initial PIN; generated when omitted. Never echoed.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub pin: Option<PinText>,
    /// Whether the PIN must be changed at the first sign-in (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_expired: Option<bool>,
    /// Send the welcome message here instead of to the mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_email: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Phone numbers in E.164 form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<Vec<String>>,
    /// SubscriberAccessEnabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriber_access_enabled: Option<bool>,
    /// PinlessAccessToVoiceMailEnabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinless_access_to_voice_mail_enabled: Option<bool>,
    /// Check everything, change nothing.
    #[serde(default)]
    pub validate_only: bool,
}

/// Set-UMMailbox: properties left out stay as they are.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetMailboxRequest {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Extensions, the primary first: replaces the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Vec<String>>,
    /// Phone numbers in E.164 form: replaces the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<Vec<String>>,
    /// The UM mailbox policy, by name or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub um_mailbox_policy: Option<String>,
    /// SubscriberAccessEnabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriber_access_enabled: Option<bool>,
    /// PinlessAccessToVoiceMailEnabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinless_access_to_voice_mail_enabled: Option<bool>,
}

/// A UM mailbox (Get-UMMailbox).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailboxPage {
    /// The mailboxes.
    pub items: Vec<MailboxView>,
    /// The cursor of the next page (pass it as `after`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Filters and paging of the mailbox list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct MailboxListQuery {
    /// Only mailboxes of this UM mailbox policy (name or id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Only mailboxes of this dial plan (name or id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dial_plan: Option<String>,
    /// Ambiguous name resolution: part of an address or name, or the start of an extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Only locked-out (true) or only not locked-out (false) mailboxes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_out: Option<bool>,
    /// Only mailboxes whose PIN must be changed (true) or only the others (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_expired: Option<bool>,
    /// The cursor: the primarySmtpAddress of the last mailbox of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Page size, 1-1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl From<MailboxListQuery> for MailboxFilter {
    fn from(query: MailboxListQuery) -> Self {
        Self {
            policy: query.policy,
            dial_plan: query.dial_plan,
            search: query.search,
            locked_out: query.locked_out,
            pin_expired: query.pin_expired,
            after: query.after,
            limit: query.limit,
        }
    }
}

/// Options of Disable-UMMailbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct DisableQuery {
    /// Keep the UM properties for a later enable (default true); false removes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_properties: Option<bool>,
}

impl From<EnableMailboxRequest> for EnableMailbox {
    fn from(body: EnableMailboxRequest) -> Self {
        Self {
            identity: body.identity,
            policy: body.um_mailbox_policy,
            extensions: body.extensions,
            pin: body.pin.map(PinText::into_pin),
            pin_expired: body.pin_expired,
            notify_email: body.notify_email,
            properties: MailboxSettings {
                display_name: body.display_name,
                first_name: body.first_name,
                last_name: body.last_name,
                alias: body.alias,
                extensions: None,
                phone_numbers: body.phone_numbers,
                policy: None,
                subscriber_access_enabled: body.subscriber_access_enabled,
                pinless_access_to_voice_mail_enabled: body.pinless_access_to_voice_mail_enabled,
            },
            validate_only: body.validate_only,
        }
    }
}

impl From<SetMailboxRequest> for MailboxSettings {
    fn from(body: SetMailboxRequest) -> Self {
        Self {
            display_name: body.display_name,
            first_name: body.first_name,
            last_name: body.last_name,
            alias: body.alias,
            extensions: body.extensions,
            phone_numbers: body.phone_numbers,
            policy: body.um_mailbox_policy,
            subscriber_access_enabled: body.subscriber_access_enabled,
            pinless_access_to_voice_mail_enabled: body.pinless_access_to_voice_mail_enabled,
        }
    }
}

impl From<&MailboxDetails> for MailboxView {
    fn from(details: &MailboxDetails) -> Self {
        Self::new(&details.mailbox, details.policy.name.as_str(), details.dial_plan.name.as_str())
    }
}
