//! UM dial plans: New-, Set-, Get-UMDialPlan.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use voicepin_core::policy::DialPlan;
use voicepin_core::usecases::{DialPlanSettings, NewDialPlan};

/// New-UMDialPlan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDialPlanRequest {
    /// The name, unique.
    pub name: String,
    /// NumberOfDigitsInExtension, 1-20 (required).
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_digits_in_extension: Option<u32>,
    /// AccessTelephoneNumbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_telephone_numbers: Option<Vec<String>>,
    /// LogonFailuresBeforeDisconnect, 1-20.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logon_failures_before_disconnect: Option<u32>,
    /// InputFailuresBeforeDisconnect, 1-20.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_failures_before_disconnect: Option<u32>,
    /// GenerateUMMailboxPolicy: also create "<name> Default Policy" (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_um_mailbox_policy: Option<bool>,
}

/// Set-UMDialPlan: settings left out stay as they are.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetDialPlanRequest {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// NumberOfDigitsInExtension, 1-20; fixed while mailboxes use the plan.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_digits_in_extension: Option<u32>,
    /// AccessTelephoneNumbers: replaces the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_telephone_numbers: Option<Vec<String>>,
    /// LogonFailuresBeforeDisconnect, 1-20.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logon_failures_before_disconnect: Option<u32>,
    /// InputFailuresBeforeDisconnect, 1-20.
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_failures_before_disconnect: Option<u32>,
}

/// A UM dial plan (Get-UMDialPlan).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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

impl From<NewDialPlanRequest> for NewDialPlan {
    fn from(body: NewDialPlanRequest) -> Self {
        Self {
            name: body.name,
            settings: DialPlanSettings {
                name: None,
                number_of_digits_in_extension: body.number_of_digits_in_extension,
                access_telephone_numbers: body.access_telephone_numbers,
                logon_failures_before_disconnect: body.logon_failures_before_disconnect,
                input_failures_before_disconnect: body.input_failures_before_disconnect,
            },
            generate_policy: body.generate_um_mailbox_policy.unwrap_or(true),
        }
    }
}

impl From<SetDialPlanRequest> for DialPlanSettings {
    fn from(body: SetDialPlanRequest) -> Self {
        Self {
            name: body.name,
            number_of_digits_in_extension: body.number_of_digits_in_extension,
            access_telephone_numbers: body.access_telephone_numbers,
            logon_failures_before_disconnect: body.logon_failures_before_disconnect,
            input_failures_before_disconnect: body.input_failures_before_disconnect,
        }
    }
}
