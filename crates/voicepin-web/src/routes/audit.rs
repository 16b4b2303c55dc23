//! The audit log.

use axum::extract::State;

use crate::ApiState;
use crate::auth::Caller;
use crate::dto::{AuditEventView, AuditListQuery};
use crate::extract::Query;
use crate::problem::{ApiError, Problem};

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
    let filter = query.into();
    let events = state.voicepin.audit_events(&caller.context, &filter).await?;
    Ok(axum::Json(events.iter().map(AuditEventView::from).collect()))
}
