//! The audit log.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use voicepin_core::usecases::AuditFilter;

use crate::ApiState;
use crate::auth::Caller;
use crate::dto::AuditEventView;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};

/// Filters of the audit log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct AuditListQuery {
    /// Only events about this mailbox (any identity).
    pub mailbox: Option<String>,
    /// Only this action (mailboxEnabled, pinSet, signInFailed ...); `type` works too.
    #[serde(alias = "type")]
    pub action: Option<String>,
    /// Only by this actor.
    pub actor: Option<String>,
    /// Only at or after this time (RFC 3339); `from` works too.
    #[serde(alias = "from")]
    pub since: Option<String>,
    /// Only before this time (RFC 3339); `to` works too.
    #[serde(alias = "to")]
    pub until: Option<String>,
    /// At most this many, 1-1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Audit events, newest first.
#[utoipa::path(
    get, path = "/api/v1/audit-events", tag = "audit",
    params(AuditListQuery),
    responses(
        (status = 200, description = "The events, newest first", body = Vec<AuditEventView>),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: Caller,
    State(state): State<ApiState>,
    Query(query): Query<AuditListQuery>,
) -> Result<axum::Json<Vec<AuditEventView>>, ApiError> {
    let filter = AuditFilter {
        mailbox: query.mailbox,
        action: query.action,
        actor: query.actor,
        channel: None,
        since: query.since,
        until: query.until,
        limit: query.limit,
        before: None,
    };
    let events = state.voicepin.audit_events(&caller.context, &filter).await?;
    Ok(axum::Json(events.iter().map(AuditEventView::from).collect()))
}
