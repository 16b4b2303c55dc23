//! The admin center (`/admin`) and the pages around it: server-rendered HTML over the same
//! use cases and rights as the API, usable without JavaScript.
//!
//! A page handler is a thin mapping: it reads the form or query, calls one use case with the
//! request context (channel `web`), and renders the answer. It never decides what a role may
//! do: the core refuses, and the refusal becomes a 403 page that says why ([`PageError`]).
//! What a page SHOWS (a button, a link) follows [`Can`], which asks the same table.
//!
//! Every response carries a strict Content-Security-Policy (no inline script or style, no
//! framing) and `Cache-Control: no-store`; every form carries the session's CSRF token.

mod accounts;
mod assets;
mod audit;
mod config;
mod form;
mod greetings;
mod problems;
mod recipients;
mod self_service;
mod session;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use voicepin_core::access::{Operation, Role};
use voicepin_core::audit::RequestContext;

use crate::ApiState;
use crate::problem::ApiError;

pub(crate) use form::Form;
pub(crate) use session::Admin;

/// The Content-Security-Policy of every page: only this server's own files, no inline script
/// or style, no plugins, no framing, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The pages' routes: `/`, `/admin/...`, `/my/voicemail...`, `/problems/{code}` and `/assets/...`.
pub fn router() -> Router<ApiState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/admin") }))
        .route("/assets/admin.css", get(assets::stylesheet))
        .route("/problems/{code}", get(problems::explain))
        .route("/my/voicemail", get(self_service::request_form).post(self_service::request_link))
        .route("/my/voicemail/confirm", get(self_service::confirm))
        .route("/my/voicemail/reset", post(self_service::reset))
        .route("/admin", get(audit::dashboard))
        .route("/admin/sign-in", get(session::sign_in_page).post(session::sign_in))
        .route("/admin/sign-out", post(session::sign_out))
        .route("/admin/password", get(session::password_page).post(session::change_password))
        .route("/admin/recipients", get(recipients::list))
        .route("/admin/recipients/new", get(recipients::enable_page_new).post(recipients::enable_new))
        .route("/admin/recipients/{id}", get(recipients::details))
        .route("/admin/recipients/{id}/voicemail", get(recipients::voicemail))
        .route("/admin/recipients/{id}/recordings/{kind}", get(greetings::audio))
        .route("/admin/recipients/{id}/reset-pin", get(recipients::reset_pin_page).post(recipients::reset_pin))
        .route("/admin/recipients/{id}/reset-pin/done", get(recipients::reset_pin_done))
        .route("/admin/recipients/{id}/unlock", post(recipients::unlock))
        .route("/admin/recipients/{id}/enable", get(recipients::enable_page).post(recipients::enable_existing))
        .route("/admin/recipients/{id}/disable", get(recipients::disable_page).post(recipients::disable))
        .route("/admin/policies", get(config::policies))
        .route("/admin/policies/new", get(config::policy_new_page).post(config::policy_create))
        .route("/admin/policies/{id}", get(config::policy_page).post(config::policy_save))
        .route("/admin/dial-plans", get(config::dial_plans))
        .route("/admin/dial-plans/new", get(config::dial_plan_new_page).post(config::dial_plan_create))
        .route("/admin/dial-plans/{id}", get(config::dial_plan_page).post(config::dial_plan_save))
        .route("/admin/audit", get(audit::list))
        .route("/admin/accounts", get(accounts::list))
        .route("/admin/accounts/new", post(accounts::create))
        .route("/admin/accounts/{name}/reset-password", post(accounts::reset_password))
        .route("/admin/tokens/new", post(accounts::create_token))
        .route("/admin/tokens/{id}/revoke", post(accounts::revoke_token))
        .layer(axum::extract::DefaultBodyLimit::max(crate::extract::MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(security_headers))
}

/// Adds the security headers every page needs; a handler's own `Cache-Control` (the
/// stylesheet's) stays.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// What the signed-in administrator's role lets the pages SHOW. The core enforces; this
/// only hides controls that would answer 403 (after the core-seams work, `context.may`).
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::struct_excessive_bools)]
pub struct Can {
    /// Recipients and their voice mail settings.
    pub view_mailboxes: bool,
    /// Enable and disable voice mail.
    pub manage_mailboxes: bool,
    /// Reset PIN.
    pub reset_pins: bool,
    /// Unlock.
    pub unlock: bool,
    /// Policies and dial plans, read.
    pub view_configuration: bool,
    /// Create and edit policies.
    pub manage_policies: bool,
    /// Create and edit dial plans.
    pub manage_dial_plans: bool,
    /// The audit log.
    pub view_audit: bool,
    /// Administrator accounts and API tokens, read.
    pub view_accounts: bool,
    /// Administrator accounts and API tokens, change.
    pub manage_accounts: bool,
}

impl Can {
    /// What a request context may do, operation by operation.
    pub fn of(context: &RequestContext) -> Self {
        let may = |operation: Operation| context.may(operation);
        Self {
            view_mailboxes: may(Operation::ViewMailboxes),
            manage_mailboxes: may(Operation::ManageMailboxes),
            reset_pins: may(Operation::ResetPins),
            unlock: may(Operation::UnlockMailboxes),
            view_configuration: may(Operation::ViewConfiguration),
            manage_policies: may(Operation::ManagePolicies),
            manage_dial_plans: may(Operation::ManageDialPlans),
            view_audit: may(Operation::ViewAudit),
            view_accounts: may(Operation::ViewAccounts),
            manage_accounts: may(Operation::ManageAccounts),
        }
    }
}

/// What the layout of every page needs: the title, who is signed in, the CSRF token for the
/// forms, which section is current, and what to show.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// The page's title (the `<h1>` and the start of `<title>`).
    pub title: String,
    /// The signed-in administrator's name, if any.
    pub user: Option<String>,
    /// Their role, in Exchange's words.
    pub role: &'static str,
    /// The session's CSRF token, for every form.
    pub csrf: String,
    /// The nav section to mark current: dashboard, recipients, policies, dial-plans, audit,
    /// accounts, password.
    pub section: &'static str,
    /// What the role lets the page show.
    pub can: Can,
}

impl Layout {
    /// The layout of a page nobody is signed in to.
    pub fn anonymous(title: impl Into<String>) -> Self {
        Self { title: title.into(), ..Self::default() }
    }

    /// Whether `section` is the current one (for `aria-current`).
    pub fn is(&self, section: &str) -> bool {
        self.section == section
    }
}

/// One error of a form: the field's id (the summary links to it) and what is wrong.
#[derive(Clone, Debug)]
pub struct FieldError {
    /// The id of the input.
    pub field: &'static str,
    /// The message, in words.
    pub message: String,
}

impl FieldError {
    /// An error on a field.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// A role's name as the pages show it.
pub(crate) fn role_name(role: Option<Role>) -> &'static str {
    role.map_or("", Role::display_name)
}

/// Why a page could not be shown: a redirect (to the sign-in or password page), or an error
/// rendered as a page with the status the API would answer.
#[derive(Debug)]
pub enum PageError {
    /// Go elsewhere first (not signed in, or the one-time password must change).
    Redirect(String),
    /// The request was refused or failed.
    Api(ApiError),
}

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(error: E) -> Self {
        Self::Api(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect(to) => Redirect::to(&to).into_response(),
            Self::Api(error) => problems::error_page(&error),
        }
    }
}

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;

/// A `303 See Other` to a page (after a form was accepted).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An HTML response from a template.
pub(crate) fn html<T: askama::Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], body)
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering a page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

/// A 200 page.
pub(crate) fn page<T: askama::Template>(template: &T) -> PageResult {
    Ok(html(StatusCode::OK, template))
}

/// Formats a time for people: `2026-12-06 13:29 UTC`, or a dash.
pub(crate) fn when(at: Option<time::OffsetDateTime>) -> String {
    match at {
        Some(at) => {
            let at = at.to_offset(time::UtcOffset::UTC);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute()
            )
        }
        None => "\u{2014}".to_owned(),
    }
}

/// A query string from pairs, percent-encoded (empty values left out).
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<(&str, &str)> = pairs.iter().copied().filter(|(_, v)| !v.is_empty()).collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A text field of a form, trimmed, `None` when empty.
pub(crate) fn filled(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}
