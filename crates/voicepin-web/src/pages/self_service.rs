//! Self-service at `/my/voicemail`, Outlook on the web's "Reset my voice mail PIN": a user
//! asks for a one-time confirmation link by email address or extension, follows it, sees
//! their voice mail settings, and resets their PIN to a generated one sent by email.
//!
//! Nobody is signed in here: the forms carry a CSRF token that must match a cookie this
//! area sets (`voicepin_my_csrf`, HttpOnly, SameSite=Strict, Path=/my). The request answers
//! the same page, after the same least time (the core's use case waits), whether or not the
//! mailbox exists; requests
//! are limited per source address and per name typed here, and per mailbox in the core.

use std::time::Instant;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use voicepin_core::context::{Channel, RequestContext};
use voicepin_core::links::LinkSecret;
use voicepin_core::usecases::MailboxDetails;

use super::{FieldError, Form, Layout, PageError, PageResult, html, when};
use crate::ApiState;
use crate::auth::PeerAddress;
use crate::problem::ApiError;

/// The cookie that carries this area's CSRF token.
const CSRF_COOKIE: &str = "voicepin_my_csrf";

/// The layout of a self-service page: no administrator, this area's header.
fn layout(title: &str, csrf: &str) -> Layout {
    Layout { title: title.to_owned(), csrf: csrf.to_owned(), section: "my", ..Layout::default() }
}

/// The CSRF token the browser holds already, or a new one (244 random bits).
fn csrf_token(headers: &HeaderMap) -> (String, bool) {
    match presented_cookie(headers) {
        Some(token) => (token.to_owned(), false),
        None => (format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()), true),
    }
}

fn presented_cookie(headers: &HeaderMap) -> Option<&str> {
    crate::auth::cookies(headers, CSRF_COOKIE)
        .find(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Refuses a form whose token is not the cookie's (compared in constant time).
fn check_csrf(headers: &HeaderMap, presented: &str) -> Result<(), PageError> {
    let expected = presented_cookie(headers).unwrap_or_default().as_bytes();
    let presented = presented.trim().as_bytes();
    let same = !expected.is_empty()
        && expected.len() == presented.len()
        && expected.iter().zip(presented).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same { Ok(()) } else { Err(PageError::Api(ApiError::CsrfTokenInvalid)) }
}

/// A page, with the CSRF cookie set when it is new.
fn with_cookie(mut response: Response, state: &ApiState, token: &str, new: bool) -> PageResult {
    if new {
        let secure = if state.secure_cookies { "; Secure" } else { "" };
        let cookie = format!("{CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/my{secure}");
        let value = HeaderValue::from_str(&cookie).map_err(|_| PageError::Api(ApiError::BodyUnreadable))?;
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "my_request.html")]
struct RequestPage {
    l: Layout,
    errors: Vec<FieldError>,
    identity: String,
    /// A link that no longer works brought the user here.
    link_invalid: bool,
}

#[derive(Template)]
#[template(path = "my_sent.html")]
struct SentPage {
    l: Layout,
}

/// The voice mail settings a user sees of their own mailbox.
struct Settings {
    display_name: String,
    address: String,
    extensions: Vec<String>,
    access_numbers: Vec<String>,
    status: &'static str,
    locked_out: bool,
    expired: bool,
    set_at: String,
    expires_at: String,
}

impl Settings {
    fn of(details: &MailboxDetails) -> Self {
        let mailbox = &details.mailbox;
        Self {
            display_name: if mailbox.display_name.trim().is_empty() {
                mailbox.smtp_address.to_string()
            } else {
                mailbox.display_name.clone()
            },
            address: mailbox.smtp_address.to_string(),
            extensions: mailbox.extensions.iter().map(|e| e.as_str().to_owned()).collect(),
            access_numbers: details.dial_plan.access_numbers.iter().map(|n| n.as_str().to_owned()).collect(),
            status: super::recipients::pin_status(details.pin.locked_out),
            locked_out: details.pin.locked_out,
            expired: details.pin.pin_expired,
            set_at: when(details.pin.pin_set_at),
            expires_at: details.pin.pin_expires_at.map_or_else(|| "Never".to_owned(), |at| when(Some(at))),
        }
    }
}

#[derive(Template)]
#[template(path = "my_settings.html")]
struct SettingsPage {
    l: Layout,
    s: Settings,
    link: String,
    link_expires: String,
}

#[derive(Template)]
#[template(path = "my_done.html")]
struct DonePage {
    l: Layout,
    s: Settings,
    sent_to: String,
}

/// `GET /my/voicemail`: ask for a confirmation link.
pub async fn request_form(State(state): State<ApiState>, headers: HeaderMap) -> PageResult {
    let (csrf, new) = csrf_token(&headers);
    let page = RequestPage {
        l: layout("Reset your voice mail PIN", &csrf),
        errors: Vec::new(),
        identity: String::new(),
        link_invalid: false,
    };
    with_cookie(html(StatusCode::OK, &page), &state, &csrf, new)
}

/// The request form.
#[derive(Deserialize)]
pub struct RequestForm {
    csrf: String,
    #[serde(default)]
    identity: String,
}

/// `POST /my/voicemail`: the same page afterwards, whether or not the mailbox exists (the
/// use case answers no sooner than the configured least time).
pub async fn request_link(
    State(state): State<ApiState>,
    PeerAddress(source): PeerAddress,
    headers: HeaderMap,
    Form(form): Form<RequestForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let csrf = form.csrf.trim().to_owned();
    let identity = form.identity.trim().to_owned();
    let again = |status: StatusCode, message: String| {
        let page = RequestPage {
            l: layout("Reset your voice mail PIN", &csrf),
            errors: vec![FieldError::new("identity", message)],
            identity: identity.clone(),
            link_invalid: false,
        };
        Ok(html(status, &page))
    };
    if identity.is_empty() {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "Enter your email address or your extension.".to_owned());
    }
    if let Err(wait) =
        state.self_service_limiter.attempt(source.map(|a| a.to_string()).as_deref(), &identity, Instant::now())
    {
        let seconds = wait.as_secs().max(1);
        return again(StatusCode::TOO_MANY_REQUESTS, format!("Too many requests. Try again in {seconds} seconds."));
    }
    let base = base_url(&state, &headers);
    let context = RequestContext::anonymous(Channel::Web).from_address(source);
    let result = state.voicepin.request_pin_reset_link(&context, &identity, &base).await;
    result?;
    html_page(&SentPage { l: layout("Check your email", &csrf) })
}

fn html_page<T: Template>(page: &T) -> PageResult {
    Ok(html(StatusCode::OK, page))
}

/// Where links lead: the configured public URL, else this request's Host (over https when
/// the cookies are marked Secure).
fn base_url(state: &ApiState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.clone();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// `?link=` of the confirmation page.
#[derive(Debug, Default, Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    link: String,
}

/// `GET /my/voicemail/confirm?link=...`: the link mailed to the user; their voice mail
/// settings and "Reset my voice mail PIN".
pub async fn confirm(
    State(state): State<ApiState>,
    PeerAddress(source): PeerAddress,
    headers: HeaderMap,
    Query(query): Query<LinkQuery>,
) -> PageResult {
    let (csrf, new) = csrf_token(&headers);
    let context = RequestContext::anonymous(Channel::Web).from_address(source);
    let secret = LinkSecret::new(query.link.trim());
    let response = match state.voicepin.open_pin_reset_link(&context, &secret).await {
        Ok(opened) => html(
            StatusCode::OK,
            &SettingsPage {
                l: layout("Your voice mail", &csrf),
                s: Settings::of(&opened.details),
                link: secret.expose().to_owned(),
                link_expires: when(Some(opened.expires_at)),
            },
        ),
        Err(voicepin_core::Error::LinkInvalid) => link_invalid(&csrf),
        Err(other) => return Err(other.into()),
    };
    with_cookie(response, &state, &csrf, new)
}

fn link_invalid(csrf: &str) -> Response {
    let page = RequestPage {
        l: layout("Reset your voice mail PIN", csrf),
        errors: Vec::new(),
        identity: String::new(),
        link_invalid: true,
    };
    html(StatusCode::GONE, &page)
}

/// The reset form.
#[derive(Deserialize)]
pub struct ResetForm {
    csrf: String,
    #[serde(default)]
    link: String,
}

/// `POST /my/voicemail/reset`: "Reset my voice mail PIN".
pub async fn reset(
    State(state): State<ApiState>,
    PeerAddress(source): PeerAddress,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let csrf = form.csrf.trim().to_owned();
    let context = RequestContext::anonymous(Channel::Web).from_address(source);
    let secret = LinkSecret::new(form.link.trim());
    match state.voicepin.reset_pin_with_link(&context, &secret).await {
        Ok(reset) => html_page(&DonePage {
            l: layout("Your voice mail PIN was reset", &csrf),
            s: Settings::of(&reset.details),
            sent_to: reset.sent_to,
        }),
        Err(voicepin_core::Error::LinkInvalid) => Ok(link_invalid(&csrf)),
        Err(other) => Err(other.into()),
    }
}
