//! Password sign-in, browser sessions and one's own password.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use voicepin_core::usecases::SessionAuth;

use crate::secret::PasswordText;
use crate::time_text;

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
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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
