//! UM mailbox policies and UM dial plans: lists, new, edit.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use voicepin_core::Error as CoreError;
use voicepin_core::access::Operation;
use voicepin_core::naming::camel_case;
use voicepin_core::policy::{
    DialPlan, ExtensionLength, InputFailuresBeforeDisconnect, LogonFailuresBeforeDisconnect, MailboxPolicy,
    MaxLogonAttempts, MinPinLength, PinHistoryCount,
};
use voicepin_core::usecases::{
    DialPlanSettings, ExtendedSettings, NewDialPlan, NewPolicy, PolicyDetails, PolicySettings,
};

use super::{Admin, FieldError, Form, Layout, PageError, PageResult, filled, html, page, see_other};
use crate::ApiState;
use crate::extract::{Path, Query};

/// A row of the policy list.
struct PolicyRow {
    id: String,
    name: String,
    dial_plan: String,
    min_pin_length: u16,
    pin_lifetime: String,
    history: u16,
    reset_after: String,
    max_attempts: u16,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    l: Layout,
    rows: Vec<PolicyRow>,
}

/// `GET /admin/policies`.
pub async fn policies(admin: Admin, State(state): State<ApiState>) -> PageResult {
    let rows = state
        .voicepin
        .list_policies(&admin.context, None)
        .await?
        .iter()
        .map(|PolicyDetails { policy: p, dial_plan }| PolicyRow {
            id: p.id.to_string(),
            name: p.name.to_string(),
            dial_plan: dial_plan.name.to_string(),
            min_pin_length: p.pin.min_pin_length.get(),
            pin_lifetime: p.pin.pin_lifetime.to_string(),
            history: p.pin.pin_history_count.get(),
            reset_after: p.pin.logon_failures_before_pin_reset.to_string(),
            max_attempts: p.pin.max_logon_attempts.get(),
        })
        .collect();
    page(&PoliciesPage { l: admin.layout("UM mailbox policies", "policies"), rows })
}

/// One extended rule switch on the form.
struct Switch {
    name: &'static str,
    label: &'static str,
    on: bool,
}

/// The policy form's values (text, as typed, so a refused form comes back as it was).
struct PolicyFields {
    name: String,
    dial_plan: String,
    min_pin_length: String,
    pin_lifetime: String,
    pin_history_count: String,
    allow_common_patterns: bool,
    logon_failures_before_pin_reset: String,
    max_logon_attempts: String,
    reset_pin_text: String,
    um_enabled_text: String,
    allow_subscriber_access: bool,
    switches: Vec<Switch>,
}

fn switches(policy: Option<&MailboxPolicy>) -> Vec<Switch> {
    let e = policy.map(|p| p.pin.extended).unwrap_or_default();
    vec![
        Switch {
            name: "block_extension_in_pin",
            label: "Block the extension (or it reversed) inside the PIN",
            on: e.block_extension_in_pin,
        },
        Switch {
            name: "block_name_on_keypad",
            label: "Block the user's name spelled on the keypad",
            on: e.block_name_on_keypad,
        },
        Switch {
            name: "block_repeated_groups",
            label: "Block repeated groups of digits (408408)",
            on: e.block_repeated_groups,
        },
        Switch {
            name: "require_three_distinct_digits",
            label: "Require at least three different digits",
            on: e.require_three_distinct_digits,
        },
        Switch {
            name: "block_digit_runs",
            label: "Block a digit three times in a row (28883)",
            on: e.block_digit_runs,
        },
        Switch {
            name: "block_keypad_lines",
            label: "Block straight lines on the keypad (159, 2580)",
            on: e.block_keypad_lines,
        },
        Switch { name: "block_common_pins", label: "Block the most common PINs", on: e.block_common_pins },
        Switch { name: "block_reversed_history", label: "Block a previous PIN reversed", on: e.block_reversed_history },
    ]
}

impl PolicyFields {
    fn of(policy: &MailboxPolicy, dial_plan: String) -> Self {
        Self {
            name: policy.name.to_string(),
            dial_plan,
            min_pin_length: policy.pin.min_pin_length.to_string(),
            pin_lifetime: policy.pin.pin_lifetime.to_string(),
            pin_history_count: policy.pin.pin_history_count.to_string(),
            allow_common_patterns: policy.pin.allow_common_patterns,
            logon_failures_before_pin_reset: policy.pin.logon_failures_before_pin_reset.to_string(),
            max_logon_attempts: policy.pin.max_logon_attempts.to_string(),
            reset_pin_text: policy.reset_pin_text.as_str().to_owned(),
            um_enabled_text: policy.um_enabled_text.as_str().to_owned(),
            allow_subscriber_access: policy.allow_subscriber_access,
            switches: switches(Some(policy)),
        }
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    l: Layout,
    /// The policy's id; empty for a new one.
    id: String,
    f: PolicyFields,
    plans: Vec<String>,
    errors: Vec<FieldError>,
    saved: bool,
    /// The ranges, shown next to each field.
    min_pin_length_range: String,
    history_range: String,
    max_attempts_range: String,
}

fn policy_view(admin: &Admin, id: String, f: PolicyFields, plans: Vec<String>) -> PolicyPage {
    let title =
        if id.is_empty() { "New UM mailbox policy".to_owned() } else { format!("UM mailbox policy: {}", f.name) };
    PolicyPage {
        l: admin.layout(title, "policies"),
        id,
        f,
        plans,
        errors: Vec::new(),
        saved: false,
        min_pin_length_range: format!("{} to {}", MinPinLength::MIN, MinPinLength::MAX),
        history_range: format!("{} to {}", PinHistoryCount::MIN, PinHistoryCount::MAX),
        max_attempts_range: format!("{} to {}", MaxLogonAttempts::MIN, MaxLogonAttempts::MAX),
    }
}

async fn plan_names(state: &ApiState, admin: &Admin) -> Result<Vec<DialPlan>, PageError> {
    Ok(state.voicepin.list_dial_plans(&admin.context).await?)
}

/// `?saved=1` after a save.
#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /admin/policies/{id}`: the policy's PIN policies, extended rules and message texts.
pub async fn policy_page_get(admin: &Admin, state: &ApiState, id: &str, saved: bool) -> PageResult {
    let PolicyDetails { policy, dial_plan } = state.voicepin.get_policy(&admin.context, id).await?;
    let fields = PolicyFields::of(&policy, dial_plan.name.to_string());
    let mut p = policy_view(admin, policy.id.to_string(), fields, Vec::new());
    p.saved = saved;
    page(&p)
}

/// `GET /admin/policies/{id}`.
pub async fn policy_page(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(saved): Query<Saved>,
) -> PageResult {
    policy_page_get(&admin, &state, &id, saved.saved.is_some()).await
}

/// `GET /admin/policies/new`.
pub async fn policy_new_page(admin: Admin, State(state): State<ApiState>) -> PageResult {
    admin.form_for(Operation::ManagePolicies)?;
    let plans: Vec<String> = plan_names(&state, &admin).await?.iter().map(|d| d.name.to_string()).collect();
    let mut defaults = MailboxPolicy::with_defaults(
        voicepin_core::policy::ObjectName::parse("Name", "new").map_err(CoreError::from)?,
        voicepin_core::ids::DialPlanId::new_random(),
    );
    defaults.reset_pin_text = voicepin_core::policy::PolicyText::default();
    let mut fields = PolicyFields::of(&defaults, plans.first().cloned().unwrap_or_default());
    fields.name = String::new();
    page(&policy_view(&admin, String::new(), fields, plans))
}

/// The policy form.
#[derive(Deserialize)]
#[allow(clippy::struct_excessive_bools)]
pub struct PolicyForm {
    csrf: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    dial_plan: Option<String>,
    #[serde(default)]
    min_pin_length: String,
    #[serde(default)]
    pin_lifetime: String,
    #[serde(default)]
    pin_history_count: String,
    #[serde(default)]
    allow_common_patterns: Option<String>,
    #[serde(default)]
    logon_failures_before_pin_reset: String,
    #[serde(default)]
    max_logon_attempts: String,
    #[serde(default)]
    reset_pin_text: String,
    #[serde(default)]
    um_enabled_text: String,
    #[serde(default)]
    allow_subscriber_access: Option<String>,
    #[serde(default)]
    block_extension_in_pin: Option<String>,
    #[serde(default)]
    block_name_on_keypad: Option<String>,
    #[serde(default)]
    block_repeated_groups: Option<String>,
    #[serde(default)]
    require_three_distinct_digits: Option<String>,
    #[serde(default)]
    block_digit_runs: Option<String>,
    #[serde(default)]
    block_keypad_lines: Option<String>,
    #[serde(default)]
    block_common_pins: Option<String>,
    #[serde(default)]
    block_reversed_history: Option<String>,
}

fn number(field: &'static str, text: &str) -> Result<u32, FieldError> {
    text.trim().parse::<u32>().map_err(|_| FieldError::new(field, "Enter a whole number."))
}

impl PolicyForm {
    /// The settings, or the errors of the fields that cannot be read.
    fn settings(&self) -> Result<PolicySettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut take = |r: Result<u32, FieldError>| r.map_err(|e| errors.push(e)).ok();
        let min_pin_length = take(number("min_pin_length", &self.min_pin_length));
        let pin_history_count = take(number("pin_history_count", &self.pin_history_count));
        let max_logon_attempts = take(number("max_logon_attempts", &self.max_logon_attempts));
        let pin_lifetime = self
            .pin_lifetime
            .parse()
            .map_err(|e: voicepin_core::InvalidValue| errors.push(FieldError::new("pin_lifetime", e.to_string())))
            .ok();
        let reset = self
            .logon_failures_before_pin_reset
            .parse()
            .map_err(|e: voicepin_core::InvalidValue| {
                errors.push(FieldError::new("logon_failures_before_pin_reset", e.to_string()));
            })
            .ok();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PolicySettings {
            name: filled(self.name.as_deref()),
            min_pin_length,
            pin_lifetime,
            pin_history_count,
            allow_common_patterns: Some(self.allow_common_patterns.is_some()),
            logon_failures_before_pin_reset: reset,
            max_logon_attempts,
            reset_pin_text: Some(self.reset_pin_text.clone()),
            um_enabled_text: Some(self.um_enabled_text.clone()),
            allow_subscriber_access: Some(self.allow_subscriber_access.is_some()),
            allow_pinless_voice_mail_access: None,
            extended: ExtendedSettings {
                block_extension_in_pin: Some(self.block_extension_in_pin.is_some()),
                block_name_on_keypad: Some(self.block_name_on_keypad.is_some()),
                block_repeated_groups: Some(self.block_repeated_groups.is_some()),
                require_three_distinct_digits: Some(self.require_three_distinct_digits.is_some()),
                block_digit_runs: Some(self.block_digit_runs.is_some()),
                block_keypad_lines: Some(self.block_keypad_lines.is_some()),
                block_common_pins: Some(self.block_common_pins.is_some()),
                block_reversed_history: Some(self.block_reversed_history.is_some()),
            },
        })
    }

    /// The form's values, to show again.
    fn fields(&self) -> PolicyFields {
        let on = |v: &Option<String>| v.is_some();
        let mut switches = switches(None);
        for s in &mut switches {
            s.on = match s.name {
                "block_extension_in_pin" => on(&self.block_extension_in_pin),
                "block_name_on_keypad" => on(&self.block_name_on_keypad),
                "block_repeated_groups" => on(&self.block_repeated_groups),
                "require_three_distinct_digits" => on(&self.require_three_distinct_digits),
                "block_digit_runs" => on(&self.block_digit_runs),
                "block_keypad_lines" => on(&self.block_keypad_lines),
                "block_common_pins" => on(&self.block_common_pins),
                _ => on(&self.block_reversed_history),
            };
        }
        PolicyFields {
            name: self.name.clone().unwrap_or_default(),
            dial_plan: self.dial_plan.clone().unwrap_or_default(),
            min_pin_length: self.min_pin_length.clone(),
            pin_lifetime: self.pin_lifetime.clone(),
            pin_history_count: self.pin_history_count.clone(),
            allow_common_patterns: on(&self.allow_common_patterns),
            logon_failures_before_pin_reset: self.logon_failures_before_pin_reset.clone(),
            max_logon_attempts: self.max_logon_attempts.clone(),
            reset_pin_text: self.reset_pin_text.clone(),
            um_enabled_text: self.um_enabled_text.clone(),
            allow_subscriber_access: on(&self.allow_subscriber_access),
            switches,
        }
    }
}

/// The form field a core error is about (Exchange's parameter name to the form's field).
fn field_of(error: &CoreError) -> Option<&'static str> {
    let field = match error {
        CoreError::InvalidValue(invalid) => camel_case(invalid.field),
        CoreError::AlreadyExists { .. } => return Some("name"),
        CoreError::NotFound { .. } => return Some("dial_plan"),
        _ => return None,
    };
    Some(match field.as_str() {
        "minPinLength" => "min_pin_length",
        "pinLifetime" => "pin_lifetime",
        "pinHistoryCount" => "pin_history_count",
        "logonFailuresBeforePinReset" => "logon_failures_before_pin_reset",
        "maxLogonAttempts" => "max_logon_attempts",
        "resetPinText" => "reset_pin_text",
        "umEnabledText" => "um_enabled_text",
        "numberOfDigitsInExtension" => "digits",
        "accessTelephoneNumbers" => "access_numbers",
        "logonFailuresBeforeDisconnect" => "logon_failures",
        "inputFailuresBeforeDisconnect" => "input_failures",
        _ => "name",
    })
}

async fn refused_policy(
    admin: &Admin,
    state: &ApiState,
    id: String,
    form: &PolicyForm,
    errors: Vec<FieldError>,
) -> PageResult {
    let plans: Vec<String> = plan_names(state, admin).await?.iter().map(|d| d.name.to_string()).collect();
    let mut p = policy_view(admin, id, form.fields(), plans);
    p.errors = errors;
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &p))
}

/// `POST /admin/policies/{id}`: Set-UMMailboxPolicy.
pub async fn policy_save(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Form(form): Form<PolicyForm>,
) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let settings = match form.settings() {
        Ok(settings) => settings,
        Err(errors) => return refused_policy(&admin, &state, id, &form, errors).await,
    };
    match state.voicepin.set_policy(&admin.context, &id, settings).await {
        Ok(saved) => Ok(see_other(&format!("/admin/policies/{}?saved=1", saved.policy.id))),
        Err(error) => match field_of(&error) {
            Some(field) => {
                let errors = vec![FieldError::new(field, error.to_string())];
                refused_policy(&admin, &state, id, &form, errors).await
            }
            None => Err(error.into()),
        },
    }
}

/// `POST /admin/policies/new`: New-UMMailboxPolicy, with the form's settings.
pub async fn policy_create(admin: Admin, State(state): State<ApiState>, Form(form): Form<PolicyForm>) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let settings = match form.settings() {
        Ok(settings) => settings,
        Err(errors) => return refused_policy(&admin, &state, String::new(), &form, errors).await,
    };
    let request = NewPolicy {
        name: filled(form.name.as_deref()).unwrap_or_default(),
        dial_plan: filled(form.dial_plan.as_deref()).unwrap_or_default(),
        settings: PolicySettings { name: None, ..settings },
    };
    match state.voicepin.new_policy(&admin.context, request).await {
        Ok(saved) => Ok(see_other(&format!("/admin/policies/{}?saved=1", saved.policy.id))),
        Err(error) => match field_of(&error) {
            Some(field) => {
                let errors = vec![FieldError::new(field, error.to_string())];
                refused_policy(&admin, &state, String::new(), &form, errors).await
            }
            None => Err(error.into()),
        },
    }
}

/// A row of the dial plan list.
struct PlanRow {
    id: String,
    name: String,
    digits: u16,
    access_numbers: String,
}

#[derive(Template)]
#[template(path = "dial_plans.html")]
struct DialPlansPage {
    l: Layout,
    rows: Vec<PlanRow>,
}

/// `GET /admin/dial-plans`.
pub async fn dial_plans(admin: Admin, State(state): State<ApiState>) -> PageResult {
    let rows = plan_names(&state, &admin)
        .await?
        .iter()
        .map(|d| PlanRow {
            id: d.id.to_string(),
            name: d.name.to_string(),
            digits: d.extension_length.get(),
            access_numbers: d.access_numbers.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
        })
        .collect();
    page(&DialPlansPage { l: admin.layout("UM dial plans", "dial-plans"), rows })
}

#[derive(Template)]
#[template(path = "dial_plan.html")]
struct DialPlanPage {
    l: Layout,
    id: String,
    name: String,
    digits: String,
    access_numbers: String,
    logon_failures: String,
    input_failures: String,
    errors: Vec<FieldError>,
    saved: bool,
    digits_range: String,
    failures_range: String,
}

fn dial_plan_view(admin: &Admin, id: String, form: &DialPlanForm) -> DialPlanPage {
    let title = if id.is_empty() { "New UM dial plan".to_owned() } else { format!("UM dial plan: {}", form.name) };
    DialPlanPage {
        l: admin.layout(title, "dial-plans"),
        id,
        name: form.name.clone(),
        digits: form.digits.clone(),
        access_numbers: form.access_numbers.clone(),
        logon_failures: form.logon_failures.clone(),
        input_failures: form.input_failures.clone(),
        errors: Vec::new(),
        saved: false,
        digits_range: format!("{} to {}", ExtensionLength::MIN, ExtensionLength::MAX),
        failures_range: format!("{} to {}", LogonFailuresBeforeDisconnect::MIN, InputFailuresBeforeDisconnect::MAX),
    }
}

/// `GET /admin/dial-plans/{id}`.
pub async fn dial_plan_page(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(saved): Query<Saved>,
) -> PageResult {
    let d = state.voicepin.get_dial_plan(&admin.context, &id).await?;
    let form = DialPlanForm {
        csrf: String::new(),
        name: d.name.to_string(),
        digits: d.extension_length.to_string(),
        access_numbers: d.access_numbers.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
        logon_failures: d.logon_failures_before_disconnect.to_string(),
        input_failures: d.input_failures_before_disconnect.to_string(),
    };
    let mut p = dial_plan_view(&admin, d.id.to_string(), &form);
    p.saved = saved.saved.is_some();
    page(&p)
}

/// `GET /admin/dial-plans/new`.
pub async fn dial_plan_new_page(admin: Admin) -> PageResult {
    admin.form_for(Operation::ManageDialPlans)?;
    let form = DialPlanForm {
        csrf: String::new(),
        name: String::new(),
        digits: ExtensionLength::default().to_string(),
        access_numbers: String::new(),
        logon_failures: LogonFailuresBeforeDisconnect::default().to_string(),
        input_failures: InputFailuresBeforeDisconnect::default().to_string(),
    };
    page(&dial_plan_view(&admin, String::new(), &form))
}

/// The dial plan form.
#[derive(Deserialize)]
pub struct DialPlanForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    digits: String,
    #[serde(default)]
    access_numbers: String,
    #[serde(default)]
    logon_failures: String,
    #[serde(default)]
    input_failures: String,
}

impl DialPlanForm {
    fn settings(&self) -> Result<DialPlanSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut take = |r: Result<u32, FieldError>| r.map_err(|e| errors.push(e)).ok();
        let digits = take(number("digits", &self.digits));
        let logon = take(number("logon_failures", &self.logon_failures));
        let input = take(number("input_failures", &self.input_failures));
        if !errors.is_empty() {
            return Err(errors);
        }
        let numbers = self.access_numbers.split([',', '\n']).map(str::trim).filter(|n| !n.is_empty());
        Ok(DialPlanSettings {
            name: filled(Some(&self.name)),
            number_of_digits_in_extension: digits,
            access_telephone_numbers: Some(numbers.map(str::to_owned).collect()),
            logon_failures_before_disconnect: logon,
            input_failures_before_disconnect: input,
        })
    }
}

async fn save_dial_plan(admin: &Admin, state: &ApiState, id: Option<String>, form: &DialPlanForm) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let refused = |errors: Vec<FieldError>| {
        let mut p = dial_plan_view(admin, id.clone().unwrap_or_default(), form);
        p.errors = errors;
        Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &p))
    };
    let settings = match form.settings() {
        Ok(settings) => settings,
        Err(errors) => return refused(errors),
    };
    let result = match &id {
        Some(id) => state.voicepin.set_dial_plan(&admin.context, id, settings).await,
        None => {
            let request = NewDialPlan {
                name: settings.name.clone().unwrap_or_default(),
                settings: DialPlanSettings { name: None, ..settings },
                generate_policy: true,
            };
            state.voicepin.new_dial_plan(&admin.context, request).await.map(|(plan, _)| plan)
        }
    };
    match result {
        Ok(plan) => Ok(see_other(&format!("/admin/dial-plans/{}?saved=1", plan.id))),
        Err(error) => match field_of(&error) {
            Some(field) => refused(vec![FieldError::new(field, error.to_string())]),
            None => Err(error.into()),
        },
    }
}

/// `POST /admin/dial-plans/{id}`: Set-UMDialPlan.
pub async fn dial_plan_save(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Form(form): Form<DialPlanForm>,
) -> PageResult {
    save_dial_plan(&admin, &state, Some(id), &form).await
}

/// `POST /admin/dial-plans/new`: New-UMDialPlan (and its default policy).
pub async fn dial_plan_create(
    admin: Admin,
    State(state): State<ApiState>,
    Form(form): Form<DialPlanForm>,
) -> PageResult {
    save_dial_plan(&admin, &state, None, &form).await
}
