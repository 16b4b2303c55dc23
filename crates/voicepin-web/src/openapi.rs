//! The OpenAPI 3.1 document, generated from the handlers and the body types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::dto;
use crate::problem::Problem;
use crate::routes::{audit, config, mailboxes, voice};

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "voicepin API", description = "Voice mail PINs the way Exchange Unified Messaging managed them."),
    paths(
        mailboxes::enable, mailboxes::list, mailboxes::get, mailboxes::update, mailboxes::disable,
        mailboxes::get_pin, mailboxes::set_pin, mailboxes::lock, mailboxes::unlock,
        config::list_policies, config::create_policy, config::get_policy, config::update_policy,
        config::remove_policy, config::list_dial_plans, config::create_dial_plan, config::get_dial_plan,
        config::update_dial_plan, config::remove_dial_plan,
        audit::list,
        voice::sign_in,
    ),
    components(schemas(
        Problem, dto::EnableMailboxRequest, dto::SetMailboxRequest, dto::MailboxView, dto::MailboxPage,
        dto::PinInfoView, dto::SetPinRequest, dto::NewPolicyRequest, dto::SetPolicyRequest, dto::PolicyView,
        dto::NumberOrUnlimited, dto::NewDialPlanRequest, dto::SetDialPlanRequest, dto::DialPlanView,
        dto::AuditEventView, dto::SignInRequest, dto::SignInResponse, dto::SignInOutcomeView,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "mailboxes", description = "Enable-, Disable-, Get-, Set-UMMailbox"),
        (name = "pins", description = "Get-, Set-UMMailboxPIN, lock and unlock"),
        (name = "policies", description = "UM mailbox policies"),
        (name = "dial plans", description = "UM dial plans"),
        (name = "audit", description = "The audit log"),
        (name = "voice access", description = "Sign-in for PBXs"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the operations name.
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
    }
}
