//! UM mailbox policies and UM dial plans: New-, Get-, Set- and Remove-.

use axum::extract::State;
use axum::http::StatusCode;
use voicepin_core::usecases::{DialPlanSettings, NewDialPlan};

use crate::ApiState;
use crate::auth::Caller;
use crate::dto::{
    DialPlanView, NewDialPlanRequest, NewPolicyRequest, PolicyListQuery, PolicyView, SetDialPlanRequest,
    SetPolicyRequest,
};
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

/// Get-UMMailboxPolicy without an identity: every policy, by name.
#[utoipa::path(
    get, path = "/api/v1/policies", tag = "policies",
    params(PolicyListQuery),
    responses(
        (status = 200, description = "The policies", body = Vec<PolicyView>),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_policies(
    caller: Caller,
    State(state): State<ApiState>,
    Query(query): Query<PolicyListQuery>,
) -> Result<axum::Json<Vec<PolicyView>>, ApiError> {
    let policies = state.voicepin.list_policies(&caller.context, query.dial_plan.as_deref()).await?;
    Ok(axum::Json(policies.iter().map(PolicyView::from).collect()))
}

/// New-UMMailboxPolicy.
#[utoipa::path(
    post, path = "/api/v1/policies", tag = "policies",
    request_body = NewPolicyRequest,
    responses(
        (status = 201, description = "Created", body = PolicyView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_policy(
    caller: Caller,
    State(state): State<ApiState>,
    Json(body): Json<NewPolicyRequest>,
) -> Result<(StatusCode, axum::Json<PolicyView>), ApiError> {
    let request = body.into_new_policy().map_err(voicepin_core::Error::from)?;
    let created = state.voicepin.new_policy(&caller.context, request).await?;
    Ok((StatusCode::CREATED, axum::Json(PolicyView::from(&created))))
}

/// Get-UMMailboxPolicy for one policy.
#[utoipa::path(
    get, path = "/api/v1/policies/{identity}", tag = "policies",
    params(("identity" = String, Path, description = "A name or an id")),
    responses(
        (status = 200, description = "The policy", body = PolicyView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_policy(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<axum::Json<PolicyView>, ApiError> {
    Ok(axum::Json(PolicyView::from(&state.voicepin.get_policy(&caller.context, &identity).await?)))
}

/// Set-UMMailboxPolicy.
#[utoipa::path(
    patch, path = "/api/v1/policies/{identity}", tag = "policies",
    params(("identity" = String, Path, description = "A name or an id")),
    request_body = SetPolicyRequest,
    responses(
        (status = 200, description = "The changed policy", body = PolicyView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_policy(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
    Json(body): Json<SetPolicyRequest>,
) -> Result<axum::Json<PolicyView>, ApiError> {
    let settings = body.into_settings().map_err(voicepin_core::Error::from)?;
    let changed = state.voicepin.set_policy(&caller.context, &identity, settings).await?;
    Ok(axum::Json(PolicyView::from(&changed)))
}

/// Remove-UMMailboxPolicy: refused while mailboxes use it.
#[utoipa::path(
    delete, path = "/api/v1/policies/{identity}", tag = "policies",
    params(("identity" = String, Path, description = "A name or an id")),
    responses(
        (status = 204, description = "Removed"),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn remove_policy(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.voicepin.remove_policy(&caller.context, &identity).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Get-UMDialPlan without an identity: every dial plan, by name.
#[utoipa::path(
    get, path = "/api/v1/dial-plans", tag = "dial plans",
    responses(
        (status = 200, description = "The dial plans", body = Vec<DialPlanView>),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_dial_plans(
    caller: Caller,
    State(state): State<ApiState>,
) -> Result<axum::Json<Vec<DialPlanView>>, ApiError> {
    let plans = state.voicepin.list_dial_plans(&caller.context).await?;
    Ok(axum::Json(plans.iter().map(DialPlanView::from).collect()))
}

/// New-UMDialPlan, with its default policy unless `generateUmMailboxPolicy` is false.
#[utoipa::path(
    post, path = "/api/v1/dial-plans", tag = "dial plans",
    request_body = NewDialPlanRequest,
    responses(
        (status = 201, description = "Created", body = DialPlanView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_dial_plan(
    caller: Caller,
    State(state): State<ApiState>,
    Json(body): Json<NewDialPlanRequest>,
) -> Result<(StatusCode, axum::Json<DialPlanView>), ApiError> {
    let (plan, _policy) = state.voicepin.new_dial_plan(&caller.context, NewDialPlan::from(body)).await?;
    Ok((StatusCode::CREATED, axum::Json(DialPlanView::from(&plan))))
}

/// Get-UMDialPlan for one dial plan.
#[utoipa::path(
    get, path = "/api/v1/dial-plans/{identity}", tag = "dial plans",
    params(("identity" = String, Path, description = "A name or an id")),
    responses(
        (status = 200, description = "The dial plan", body = DialPlanView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_dial_plan(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<axum::Json<DialPlanView>, ApiError> {
    let plan = state.voicepin.get_dial_plan(&caller.context, &identity).await?;
    Ok(axum::Json(DialPlanView::from(&plan)))
}

/// Set-UMDialPlan.
#[utoipa::path(
    patch, path = "/api/v1/dial-plans/{identity}", tag = "dial plans",
    params(("identity" = String, Path, description = "A name or an id")),
    request_body = SetDialPlanRequest,
    responses(
        (status = 200, description = "The changed dial plan", body = DialPlanView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_dial_plan(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
    Json(body): Json<SetDialPlanRequest>,
) -> Result<axum::Json<DialPlanView>, ApiError> {
    let plan = state.voicepin.set_dial_plan(&caller.context, &identity, DialPlanSettings::from(body)).await?;
    Ok(axum::Json(DialPlanView::from(&plan)))
}

/// Remove-UMDialPlan: refused while mailboxes are in it; its unused policies go with it.
#[utoipa::path(
    delete, path = "/api/v1/dial-plans/{identity}", tag = "dial plans",
    params(("identity" = String, Path, description = "A name or an id")),
    responses(
        (status = 204, description = "Removed"),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn remove_dial_plan(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.voicepin.remove_dial_plan(&caller.context, &identity).await?;
    Ok(StatusCode::NO_CONTENT)
}
