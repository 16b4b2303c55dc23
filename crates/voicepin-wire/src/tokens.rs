//! API tokens.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use voicepin_core::tokens::ApiToken;

use crate::time_text;

/// An API token (never its secret).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiTokenRequest {
    /// A name: 1-64 letters, digits, dots, dashes or underscores.
    pub name: String,
    /// organizationManagement, umManagement, helpDesk, viewOnly or voiceService.
    pub role: String,
    /// Days until it expires, 1-3650; when absent (and `neverExpires` is not true), the
    /// server's default lifetime (90 days unless configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    /// `true` for a token that lasts until revoked: "never" must be said explicitly.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_expires: bool,
}

/// A new API token and its secret, shown this once.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiTokenCreated {
    /// The token's record.
    pub api_token: ApiTokenView,
    /// The token, for `Authorization: Bearer <token>`.
    pub token: String,
}
