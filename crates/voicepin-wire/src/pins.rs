//! PIN states and Set-UMMailboxPIN.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use voicepin_core::usecases::{PinInfo, SetPin};

use crate::secret::PinText;
use crate::time_text;

/// A page of PIN states in address order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PinInfoPage {
    /// The PIN states.
    pub items: Vec<PinInfoView>,
    /// The cursor of the next page (pass it as `after`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Get-UMMailboxPIN's output.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetPinRequest {
    /// The new PIN; generated when omitted. Never echoed.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub pin: Option<PinText>,
    /// Whether the PIN must be changed at the next sign-in (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_expired: Option<bool>,
    /// `false` unlocks the mailbox (alone, it changes nothing else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_out: Option<bool>,
    /// Whether to email the new PIN (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_email: Option<bool>,
    /// Send the message here instead of to the mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_email: Option<String>,
}

impl From<SetPinRequest> for SetPin {
    fn from(body: SetPinRequest) -> Self {
        Self {
            pin: body.pin.map(PinText::into_pin),
            pin_expired: body.pin_expired,
            locked_out: body.locked_out,
            send_email: body.send_email,
            notify_email: body.notify_email,
        }
    }
}
