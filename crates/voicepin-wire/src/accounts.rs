//! Administrator accounts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use voicepin_core::accounts::AdminAccount;

use crate::time_text;

/// An administrator account (never its password or hash).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAdminAccountRequest {
    /// The sign-in name: 1-64 letters, digits, dots, dashes, underscores or @.
    pub name: String,
    /// organizationManagement, umManagement, helpDesk, viewOnly or voiceService.
    pub role: String,
}

/// Changes to an administrator account; absent properties stay as they are.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetAdminAccountRequest {
    /// The new role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Disable (true) or enable (false); disabling ends the account's sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// An account and its new one-time password, shown this once.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneTimePasswordResponse {
    /// The account.
    pub account: AdminAccountView,
    /// The one-time password: the account must change it at its first sign-in.
    pub one_time_password: String,
}
