//! The audit log.

use axum::extract::State;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::IntoParams;
use voicepin_core::InvalidValue;
use voicepin_core::access::Operation;
use voicepin_core::audit::AuditAction;
use voicepin_core::ports::AuditQuery;

use crate::ApiState;
use crate::auth::Caller;
use crate::dto::AuditEventView;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};
use crate::routes::mailboxes::page_limit;

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

/// The times the audit log can be asked about. The stores keep nanoseconds since 1970 in
/// 64 bits (up to 2262); a bound outside this range would be a storage error, not an answer.
const EARLIEST_YEAR: i32 = 1970;
const LATEST_YEAR: i32 = 2200;
const TIME_ALLOWED: &str = "an RFC 3339 time from 1970 to 2199, like 2026-01-31T12:00:00Z";

fn parse_time(field: &'static str, text: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(at) if (EARLIEST_YEAR..LATEST_YEAR).contains(&at.year()) => Ok(Some(at)),
        _ => Err(voicepin_core::Error::from(InvalidValue::new(field, TIME_ALLOWED, text.to_owned())).into()),
    }
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
    caller.may(Operation::ViewAudit)?;
    let limit = page_limit(query.limit)?;
    let action = match &query.action {
        Some(text) => Some(AuditAction::parse(text).ok_or_else(|| {
            let allowed: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
            voicepin_core::Error::from(InvalidValue::new("action", &allowed.join(", "), text.clone()))
        })?),
        None => None,
    };
    let mailbox = match &query.mailbox {
        Some(identity) => Some(state.voicepin.get_mailbox(identity).await?.mailbox.id),
        None => None,
    };
    let audit_query = AuditQuery {
        mailbox,
        action,
        actor: query.actor.clone(),
        channel: None,
        since: parse_time("since", query.since.as_deref())?,
        until: parse_time("until", query.until.as_deref())?,
        limit,
    };
    let events = state.voicepin.audit_events(&audit_query).await?;
    Ok(axum::Json(events.iter().map(AuditEventView::from).collect()))
}
