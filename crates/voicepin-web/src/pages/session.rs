//! Signing in and out of the admin center, and changing one's password (forced after a
//! one-time password). The session is the API's: the same cookie, the same use cases.

use std::time::Instant;

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use serde::Deserialize;
use voicepin_core::access::Operation;
use voicepin_core::accounts::SessionSecret;
use voicepin_core::context::{Actor, Channel, RequestContext};
use voicepin_core::usecases::SessionAuth;

use super::{Can, FieldError, Form, Layout, PageError, PageResult, html, page, role_name, see_other};
use crate::ApiState;
use crate::auth::{PeerAddress, session_cookie};
use crate::dto::PasswordText;
use crate::problem::ApiError;

/// A signed-in administrator whose password needs no change: what every admin page takes.
/// Without a session it redirects to the sign-in page; with a one-time password, to the
/// password page.
#[derive(Clone, Debug)]
pub struct Admin {
    /// The request context for the use cases (channel `web`).
    pub context: RequestContext,
    /// The session.
    pub session: SessionAuth,
}

/// A signed-in administrator who may still have to change a one-time password: for the
/// password page and sign-out only.
#[derive(Clone, Debug)]
pub struct AnySession(pub Admin);

impl Admin {
    /// The layout of a page for this administrator.
    pub fn layout(&self, title: impl Into<String>, section: &'static str) -> Layout {
        Layout {
            title: title.into(),
            user: Some(self.session.principal.name.clone()),
            role: role_name(self.context.actor.role()),
            csrf: self.session.csrf_token.clone(),
            section,
            can: Can::of(&self.context),
        }
    }

    /// Refuses the form of a write this administrator may not perform, with the core's own
    /// refusal (the page that says why). Only to spare a form that could never be saved: the
    /// write itself is refused by its use case whatever this says.
    pub fn form_for(&self, operation: Operation) -> Result<(), PageError> {
        if self.context.may(operation) {
            return Ok(());
        }
        let actor = &self.context.actor;
        Err(voicepin_core::Error::Forbidden { actor: actor.kind(), role: actor.role(), operation }.into())
    }

    /// Refuses a form whose CSRF token is not the session's.
    pub fn check_csrf(&self, presented: &str) -> Result<(), PageError> {
        let expected = self.session.csrf_token.as_bytes();
        let presented = presented.as_bytes();
        // Constant time over the length of the expected token.
        let same = expected.len() == presented.len()
            && expected.iter().zip(presented).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if same { Ok(()) } else { Err(PageError::Api(ApiError::CsrfTokenInvalid)) }
    }
}

async fn signed_in(parts: &mut Parts, state: &ApiState) -> Result<Admin, PageError> {
    let to_sign_in = || PageError::Redirect(sign_in_url(parts.uri.path()));
    let Some(cookie) = session_cookie(&parts.headers) else {
        return Err(to_sign_in());
    };
    let session = match state.voicepin.authenticate_session(&SessionSecret::new(cookie)).await {
        Ok(session) => session,
        Err(voicepin_core::Error::AuthenticationFailed) => return Err(to_sign_in()),
        Err(other) => return Err(other.into()),
    };
    if let Some(slot) = parts.extensions.get::<crate::request_log::ActorSlot>() {
        slot.set(&session.principal.name);
    }
    let PeerAddress(source) = PeerAddress::from_request_parts(parts, state).await.unwrap_or(PeerAddress(None));
    let actor = Actor::from_role(session.principal.name.clone(), session.principal.role);
    let context = RequestContext::new(actor, Channel::Web).from_address(source);
    Ok(Admin { context, session })
}

/// The sign-in page, coming back to `path` afterwards (admin pages only).
fn sign_in_url(path: &str) -> String {
    if path.starts_with("/admin/") && path != "/admin/sign-out" {
        format!("/admin/sign-in?{}", super::query_string(&[("next", path)]))
    } else {
        "/admin/sign-in".to_owned()
    }
}

impl FromRequestParts<ApiState> for Admin {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        let admin = signed_in(parts, state).await?;
        if admin.session.must_change_password {
            return Err(PageError::Redirect("/admin/password".to_owned()));
        }
        Ok(admin)
    }
}

impl FromRequestParts<ApiState> for AnySession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        Ok(Self(signed_in(parts, state).await?))
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    l: Layout,
    errors: Vec<FieldError>,
    name: String,
    next: String,
}

/// `?next=` of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path of the admin center is a place to come back to (never another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with("/admin") && !next.starts_with("//") && !next.contains('\\') => next.to_owned(),
        _ => "/admin".to_owned(),
    }
}

/// `GET /admin/sign-in`.
pub async fn sign_in_page(axum::extract::Query(query): axum::extract::Query<NextQuery>) -> PageResult {
    page(&SignInPage {
        l: Layout::anonymous("Sign in"),
        errors: Vec::new(),
        name: String::new(),
        next: safe_next(query.next.as_deref()),
    })
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignInForm {
    name: String,
    password: PasswordText,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /admin/sign-in`: the API's password sign-in, with its limits; on success the cookie
/// and a redirect (to the password page when the password is a one-time one).
pub async fn sign_in(
    State(state): State<ApiState>,
    PeerAddress(source): PeerAddress,
    Form(form): Form<SignInForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let again = |status: StatusCode, message: String| {
        let errors = vec![FieldError::new("name", message)];
        Ok(html(
            status,
            &SignInPage { l: Layout::anonymous("Sign in"), errors, name: form.name.clone(), next: next.clone() },
        ))
    };
    if let Err(wait) =
        state.sign_in_limiter.attempt(source.map(|a| a.to_string()).as_deref(), &form.name, Instant::now())
    {
        let seconds = wait.as_secs().max(1);
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many sign-in attempts. Try again in {seconds} seconds."),
        );
    }
    let context = RequestContext::anonymous(Channel::Web).from_address(source);
    let signed_in = match state.voicepin.sign_in_with_password(&context, form.name.trim(), &form.password.0).await {
        Ok(signed_in) => signed_in,
        Err(voicepin_core::Error::AuthenticationFailed) => {
            return again(
                StatusCode::UNAUTHORIZED,
                "The name or password was not accepted, or the account is locked or disabled.".to_owned(),
            );
        }
        Err(other) => return Err(other.into()),
    };
    let to = if signed_in.auth.must_change_password { "/admin/password".to_owned() } else { next };
    let mut response = see_other(&to);
    response.headers_mut().insert(header::SET_COOKIE, cookie(signed_in.secret.expose(), state.secure_cookies, false)?);
    Ok(response)
}

fn cookie(value: &str, secure: bool, clear: bool) -> Result<HeaderValue, PageError> {
    crate::routes::sessions::session_cookie(value, secure, clear).map_err(PageError::Api)
}

/// A form that carries only the CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

impl CsrfOnly {
    /// The token the form carried.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/sign-out`.
pub async fn sign_out(
    AnySession(admin): AnySession,
    State(state): State<ApiState>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    state.voicepin.sign_out(&admin.context, &admin.session).await?;
    let mut response = see_other("/admin/sign-in");
    response.headers_mut().insert(header::SET_COOKIE, cookie("", state.secure_cookies, true)?);
    Ok(response)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    l: Layout,
    errors: Vec<FieldError>,
    forced: bool,
    changed: bool,
}

/// `?changed=1` after a change.
#[derive(Debug, Default, Deserialize)]
pub struct ChangedQuery {
    changed: Option<String>,
}

/// `GET /admin/password`: change one's own password (forced after a one-time password).
pub async fn password_page(
    AnySession(admin): AnySession,
    axum::extract::Query(query): axum::extract::Query<ChangedQuery>,
) -> PageResult {
    let forced = admin.session.must_change_password;
    page(&PasswordPage {
        l: admin.layout("Change your password", "password"),
        errors: Vec::new(),
        forced,
        changed: query.changed.is_some(),
    })
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: PasswordText,
    new: PasswordText,
    confirm: PasswordText,
}

/// `POST /admin/password`.
pub async fn change_password(
    AnySession(admin): AnySession,
    State(state): State<ApiState>,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let forced = admin.session.must_change_password;
    let again = |errors: Vec<FieldError>| -> PageResult {
        Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage { l: admin.layout("Change your password", "password"), errors, forced, changed: false },
        ))
    };
    if form.new.0.expose() != form.confirm.0.expose() {
        return again(vec![FieldError::new("confirm", "The new password and its confirmation differ.")]);
    }
    let result = state
        .voicepin
        .change_own_password(
            &admin.context,
            admin.session.account_id,
            admin.session.session_id,
            &form.current.0,
            &form.new.0,
        )
        .await;
    match result {
        // The password change ended every session of the account and opened a new one: the
        // browser carries on with its cookie (and the pages with its CSRF token).
        Ok(signed_in) => {
            let mut response = see_other(if forced { "/admin" } else { "/admin/password?changed=1" });
            let cookie = cookie(signed_in.secret.expose(), state.secure_cookies, false)?;
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(response)
        }
        Err(voicepin_core::Error::AuthenticationFailed) => {
            again(vec![FieldError::new("current", "The current password is not right.")])
        }
        Err(voicepin_core::Error::InvalidValue(invalid)) => again(vec![FieldError::new("new", invalid.to_string())]),
        Err(other) => Err(other.into()),
    }
}
