//! UM mailbox policies and UM dial plans: New-, Get-, Set- and Remove-.

use axum::extract::State;
use axum::http::StatusCode;
use voicepin_core::policy::MailboxPolicy;
use voicepin_core::usecases::{DialPlanSettings, NewDialPlan, NewPolicy};

use crate::ApiState;
use crate::auth::Caller;
use crate::dto::{
    DialPlanView, NewDialPlanRequest, NewPolicyRequest, PolicyListQuery, PolicyView, SetDialPlanRequest,
    SetPolicyRequest,
};
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

async fn policy_view(state: &ApiState, caller: &Caller, policy: &MailboxPolicy) -> Result<PolicyView, ApiError> {
    let plan = state.voicepin.get_dial_plan(&caller.context, &policy.dial_plan_id.to_string()).await?;
    Ok(PolicyView::new(policy, plan.name.as_str()))
}

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
    let plans = state.voicepin.list_dial_plans(&caller.context).await?;
    let views = policies
        .iter()
        .map(|p| PolicyView::new(p, plans.iter().find(|d| d.id == p.dial_plan_id).map_or("", |d| d.name.as_str())))
        .collect();
    Ok(axum::Json(views))
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
    let settings = body.settings(None).map_err(voicepin_core::Error::from)?;
    let request = NewPolicy { name: body.name.clone(), dial_plan: body.um_dial_plan.clone(), settings };
    let policy = state.voicepin.new_policy(&caller.context, request).await?;
    Ok((StatusCode::CREATED, axum::Json(policy_view(&state, &caller, &policy).await?)))
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
    let policy = state.voicepin.get_policy(&caller.context, &identity).await?;
    Ok(axum::Json(policy_view(&state, &caller, &policy).await?))
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
    let settings = body.settings(body.name.clone()).map_err(voicepin_core::Error::from)?;
    let policy = state.voicepin.set_policy(&caller.context, &identity, settings).await?;
    Ok(axum::Json(policy_view(&state, &caller, &policy).await?))
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
    let request = NewDialPlan {
        name: body.name,
        settings: DialPlanSettings {
            name: None,
            number_of_digits_in_extension: body.number_of_digits_in_extension,
            access_telephone_numbers: body.access_telephone_numbers,
            logon_failures_before_disconnect: body.logon_failures_before_disconnect,
            input_failures_before_disconnect: body.input_failures_before_disconnect,
        },
        generate_policy: body.generate_um_mailbox_policy.unwrap_or(true),
    };
    let (plan, _policy) = state.voicepin.new_dial_plan(&caller.context, request).await?;
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
    let settings = DialPlanSettings {
        name: body.name,
        number_of_digits_in_extension: body.number_of_digits_in_extension,
        access_telephone_numbers: body.access_telephone_numbers,
        logon_failures_before_disconnect: body.logon_failures_before_disconnect,
        input_failures_before_disconnect: body.input_failures_before_disconnect,
    };
    let plan = state.voicepin.set_dial_plan(&caller.context, &identity, settings).await?;
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
