//! The OpenAPI 3.1 document, generated from the handlers and the body types.

use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::dto;
use crate::problem::Problem;
use crate::routes::{accounts, audit, config, mailboxes, sessions, voice};

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "voicepin API", description = "Voice mail PINs the way Exchange Unified Messaging managed them."),
    paths(
        mailboxes::enable, mailboxes::list, mailboxes::get, mailboxes::update, mailboxes::disable,
        mailboxes::get_pin, mailboxes::list_pins, mailboxes::set_pin, mailboxes::lock, mailboxes::unlock,
        config::list_policies, config::create_policy, config::get_policy, config::update_policy,
        config::remove_policy, config::list_dial_plans, config::create_dial_plan, config::get_dial_plan,
        config::update_dial_plan, config::remove_dial_plan,
        audit::list,
        voice::sign_in,
        accounts::list, accounts::create, accounts::get, accounts::update, accounts::remove,
        accounts::reset_password, accounts::list_tokens, accounts::create_token, accounts::revoke_token,
        sessions::sign_in, sessions::current, sessions::sign_out, sessions::change_password,
    ),
    components(schemas(
        Problem, dto::EnableMailboxRequest, dto::SetMailboxRequest, dto::MailboxView, dto::MailboxPage,
        dto::PinInfoView, dto::PinInfoPage, dto::SetPinRequest, dto::NewPolicyRequest, dto::SetPolicyRequest, dto::PolicyView,
        dto::NumberOrUnlimited, dto::NewDialPlanRequest, dto::SetDialPlanRequest, dto::DialPlanView,
        dto::AuditEventView, dto::SignInRequest, dto::SignInResponse, dto::SignInOutcomeView,
        dto::AdminAccountView, dto::NewAdminAccountRequest, dto::SetAdminAccountRequest, dto::OneTimePasswordResponse,
        dto::ApiTokenView, dto::NewApiTokenRequest, dto::ApiTokenCreated, dto::PasswordSignInRequest,
        dto::SessionView, dto::ChangePasswordRequest,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "mailboxes", description = "Enable-, Disable-, Get-, Set-UMMailbox"),
        (name = "pins", description = "Get-, Set-UMMailboxPIN, lock and unlock"),
        (name = "policies", description = "UM mailbox policies"),
        (name = "dial plans", description = "UM dial plans"),
        (name = "audit", description = "The audit log"),
        (name = "voice access", description = "Sign-in for PBXs"),
        (name = "accounts", description = "Administrator accounts and API tokens"),
        (name = "sessions", description = "Password sign-in, browser sessions, one's own password"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` and `session` security schemes, and lets every operation that
/// takes a bearer token take a session cookie too.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API token")).build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "A browser session from POST /api/v1/sessions; POST, PUT, PATCH and DELETE also need \
                 the session's csrfToken in the X-CSRF-Token header",
            ))),
        );
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let Some(security) = operation.security.as_mut() else { continue };
                if security.contains(&SecurityRequirement::new("bearer", Vec::<String>::new())) {
                    security.push(SecurityRequirement::new("session", Vec::<String>::new()));
                }
            }
        }
    }
}
