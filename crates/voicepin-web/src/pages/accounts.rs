//! Administrator accounts and API tokens (Organization Management changes them; View-Only
//! reads them). A new one-time password or token is shown once, on the page that made it.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use voicepin_core::access::Role;
use voicepin_core::audit::RequestContext;

use super::{Admin, FieldError, Form, Layout, PageResult, html, page, when};
use crate::ApiState;
use crate::extract::Path;

struct AccountRow {
    name: String,
    role: &'static str,
    state: &'static str,
    last_sign_in: String,
}

struct TokenRow {
    id: String,
    name: String,
    role: &'static str,
    created_by: String,
    expires: String,
    revoked: bool,
}

/// A secret to show once: what it is for, and the secret.
struct ShownOnce {
    what: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    l: Layout,
    accounts: Vec<AccountRow>,
    tokens: Vec<TokenRow>,
    roles: Vec<(&'static str, &'static str)>,
    shown: Option<ShownOnce>,
    errors: Vec<FieldError>,
}

async fn accounts_page(admin: &Admin, state: &ApiState) -> Result<AccountsPage, super::PageError> {
    let context: &RequestContext = &admin.context;
    let now = time::OffsetDateTime::now_utc();
    let accounts = state
        .voicepin
        .list_accounts(context)
        .await?
        .iter()
        .map(|a| AccountRow {
            name: a.name.clone(),
            role: a.role.display_name(),
            state: if a.disabled {
                "Disabled"
            } else if a.is_locked(now) {
                "Locked"
            } else if a.must_change_password {
                "Must change password"
            } else {
                "Active"
            },
            last_sign_in: when(a.last_sign_in_at),
        })
        .collect();
    let tokens = state
        .voicepin
        .list_tokens(context)
        .await?
        .iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name.clone(),
            role: t.role.display_name(),
            created_by: t.created_by.clone(),
            expires: t.expires_at.map_or_else(|| "Never".to_owned(), |at| when(Some(at))),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    Ok(AccountsPage {
        l: admin.layout("Administrators and API tokens", "accounts"),
        accounts,
        tokens,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.display_name())).collect(),
        shown: None,
        errors: Vec::new(),
    })
}

/// `GET /admin/accounts`.
pub async fn list(admin: Admin, State(state): State<ApiState>) -> PageResult {
    page(&accounts_page(&admin, &state).await?)
}

/// The new account and new token forms.
#[derive(Deserialize)]
pub struct NewForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    days: String,
}

fn role_of(text: &str) -> Result<Role, FieldError> {
    text.parse().map_err(|_| FieldError::new("role", "Choose a role."))
}

async fn refused(admin: &Admin, state: &ApiState, error: FieldError) -> PageResult {
    let mut p = accounts_page(admin, state).await?;
    p.errors = vec![error];
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &p))
}

/// `POST /admin/accounts/new`: a new account; its one-time password is shown once.
pub async fn create(admin: Admin, State(state): State<ApiState>, Form(form): Form<NewForm>) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let role = match role_of(&form.role) {
        Ok(role) => role,
        Err(error) => return refused(&admin, &state, error).await,
    };
    match state.voicepin.new_account(&admin.context, form.name.trim(), role).await {
        Ok((account, password)) => {
            let mut p = accounts_page(&admin, &state).await?;
            p.shown = Some(ShownOnce {
                what: format!(
                    "One-time password of {} (shown once; it must be changed at the first sign-in)",
                    account.name
                ),
                secret: password.expose().to_owned(),
            });
            Ok(html(StatusCode::CREATED, &p))
        }
        Err(error @ (voicepin_core::Error::InvalidValue(_) | voicepin_core::Error::AlreadyExists { .. })) => {
            refused(&admin, &state, FieldError::new("account-name", error.to_string())).await
        }
        Err(error) => Err(error.into()),
    }
}

/// A form with only the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /admin/accounts/{name}/reset-password`: a new one-time password, shown once.
pub async fn reset_password(
    admin: Admin,
    State(state): State<ApiState>,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let (account, password) = state.voicepin.reset_account_password(&admin.context, &name).await?;
    let mut p = accounts_page(&admin, &state).await?;
    p.shown = Some(ShownOnce {
        what: format!("New one-time password of {} (shown once)", account.name),
        secret: password.expose().to_owned(),
    });
    page(&p)
}

/// `POST /admin/tokens/new`: a new API token, shown once.
pub async fn create_token(admin: Admin, State(state): State<ApiState>, Form(form): Form<NewForm>) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let role = match role_of(&form.role) {
        Ok(role) => role,
        Err(error) => return refused(&admin, &state, error).await,
    };
    let days = match form.days.trim() {
        "" => None,
        text => match voicepin_core::tokens::TokenLifetime::parse("days", text) {
            Ok(lifetime) => Some(lifetime),
            Err(_) => {
                let message = "Enter a number of days (1 to 3650), or never.";
                return refused(&admin, &state, FieldError::new("token-days", message)).await;
            }
        },
    };
    match state.voicepin.create_token(&admin.context, form.name.trim(), role, days).await {
        Ok((token, secret)) => {
            let mut p = accounts_page(&admin, &state).await?;
            p.shown = Some(ShownOnce {
                what: format!("API token {} (shown once; store it now)", token.name),
                secret: secret.expose().to_owned(),
            });
            Ok(html(StatusCode::CREATED, &p))
        }
        Err(error @ (voicepin_core::Error::InvalidValue(_) | voicepin_core::Error::AlreadyExists { .. })) => {
            refused(&admin, &state, FieldError::new("token-name", error.to_string())).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke_token(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    state.voicepin.revoke_token(&admin.context, &id).await?;
    Ok(super::see_other("/admin/accounts"))
}
