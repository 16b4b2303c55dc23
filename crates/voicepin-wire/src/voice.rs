//! Voice access: a sign-in on behalf of a caller.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::secret::PinText;

/// A sign-in on behalf of a caller, from a PBX that keeps its own voice mail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInRequest {
    /// The extension keyed in (give this or `identity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// Any other identity: an SMTP address, an alias or an id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The PIN keyed in. Never logged nor echoed.
    #[schema(value_type = String, format = Password)]
    pub pin: PinText,
    /// The caller ID of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<String>,
    /// The name of the calling system (the PBX).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling_system: Option<String>,
    /// The dial plan the call came in on (scopes extension lookups), by name or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SignInResponse {
    /// The outcome.
    pub outcome: SignInOutcomeView,
}

impl From<voicepin_core::signin::SignInOutcome> for SignInOutcomeView {
    fn from(outcome: voicepin_core::signin::SignInOutcome) -> Self {
        use voicepin_core::signin::SignInOutcome;
        match outcome {
            SignInOutcome::Success => Self::Success,
            SignInOutcome::PinChangeRequired => Self::PinChangeRequired,
            SignInOutcome::Failed => Self::Failed,
        }
    }
}
