//! Recipients: the list, a mailbox's details (Phone and Voice Features), the UM Mailbox page,
//! Reset PIN, Unlock, and enabling or disabling voice mail.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use voicepin_core::Error as CoreError;
use voicepin_core::access::Operation;
use voicepin_core::mailbox::Mailbox;
use voicepin_core::usecases::MailboxFilter;
use voicepin_core::usecases::{EnableMailbox, MailboxSettings, PinInfo, SetPin};

use super::{Admin, FieldError, Form, Layout, PageResult, filled, html, page, query_string, see_other, when};
use crate::ApiState;
use crate::dto::PinTextOption;
use crate::extract::{Path, Query};

/// Rows on one page of the list.
const PAGE_SIZE: u32 = 50;

/// How the pages say a mailbox's lock state (Exchange's words).
pub(super) fn pin_status(locked_out: bool) -> &'static str {
    if locked_out { "Locked Out" } else { "Not locked out" }
}

/// One row of the recipients list.
struct Row {
    id: String,
    display_name: String,
    address: String,
    extension: String,
    um_enabled: bool,
    pin_status: &'static str,
}

impl Row {
    fn new(mailbox: &Mailbox) -> Self {
        Self {
            id: mailbox.id.to_string(),
            display_name: mailbox.display_name.clone(),
            address: mailbox.smtp_address.to_string(),
            extension: mailbox.primary_extension().map(ToString::to_string).unwrap_or_default(),
            um_enabled: mailbox.um_enabled,
            pin_status: pin_status(mailbox.pin.locked_out),
        }
    }
}

#[derive(Template)]
#[template(path = "recipients.html")]
struct RecipientsPage {
    l: Layout,
    search: String,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
}

/// The list's query: a search text and the cursor.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

/// `GET /admin/recipients`: a page of mailboxes in address order, searched by name,
/// address or extension; keyset paging, so every page costs the same with 100,000.
pub async fn list(admin: Admin, State(state): State<ApiState>, Query(query): Query<ListQuery>) -> PageResult {
    let search = filled(query.q.as_deref());
    let after = filled(query.after.as_deref());
    let filter = MailboxFilter {
        search: search.clone(),
        after: after.clone(),
        limit: Some(PAGE_SIZE),
        ..MailboxFilter::default()
    };
    let mailboxes = state.voicepin.list_mailboxes(&admin.context, &filter).await?;
    let rows: Vec<Row> = mailboxes.items.iter().map(|details| Row::new(&details.mailbox)).collect();
    let search = search.unwrap_or_default();
    let next = (rows.len() == PAGE_SIZE as usize)
        .then(|| rows.last().map(|r| query_string(&[("q", &search), ("after", &r.address)])))
        .flatten();
    let first = after.is_some().then(|| query_string(&[("q", &search)]));
    page(&RecipientsPage { l: admin.layout("Recipients", "recipients"), search, rows, next, first })
}

/// A mailbox as the details pages show it.
struct Details {
    id: String,
    display_name: String,
    address: String,
    alias: String,
    first_name: String,
    last_name: String,
    um_enabled: bool,
    policy: String,
    policy_id: String,
    dial_plan: String,
    extensions: Vec<String>,
    phone_numbers: Vec<String>,
    subscriber_access: bool,
    pinless: bool,
    out_of_office: bool,
    created: String,
}

async fn details_of(state: &ApiState, admin: &Admin, identity: &str) -> Result<Details, super::PageError> {
    let found = state.voicepin.get_mailbox(&admin.context, identity).await?;
    let mailbox = &found.mailbox;
    Ok(Details {
        id: mailbox.id.to_string(),
        display_name: mailbox.display_name.clone(),
        address: mailbox.smtp_address.to_string(),
        alias: mailbox.alias.clone(),
        first_name: mailbox.first_name.clone(),
        last_name: mailbox.last_name.clone(),
        um_enabled: mailbox.um_enabled,
        policy: found.policy.name.to_string(),
        policy_id: found.policy.id.to_string(),
        dial_plan: found.dial_plan.name.to_string(),
        extensions: mailbox.extension_strings(),
        phone_numbers: mailbox.phone_numbers.iter().map(|n| n.as_str().to_owned()).collect(),
        subscriber_access: mailbox.subscriber_access_enabled,
        pinless: mailbox.pinless_access_to_voice_mail_enabled,
        out_of_office: mailbox.out_of_office,
        created: when(Some(mailbox.created_at)),
    })
}

#[derive(Template)]
#[template(path = "recipient.html")]
struct RecipientPage {
    l: Layout,
    m: Details,
    notice: String,
}

/// `?done=` after a change: which notice to show.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

fn notice_text(done: Option<&str>) -> String {
    match done {
        Some("unlocked") => "The mailbox was unlocked and its failure counters were cleared.",
        Some("enabled") => {
            "The mailbox was enabled for voice mail. A welcome message with the PIN was sent to the user."
        }
        Some("disabled") => "Voice mail was disabled for this mailbox.",
        _ => "",
    }
    .to_owned()
}

/// `GET /admin/recipients/{id}`: the mailbox, with Phone and Voice Features.
pub async fn details(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> PageResult {
    let m = details_of(&state, &admin, &id).await?;
    page(&RecipientPage {
        l: admin.layout(m.display_name.clone(), "recipients"),
        m,
        notice: notice_text(notice.done.as_deref()),
    })
}

/// A mailbox's PIN state as the UM Mailbox page shows it.
struct PinView {
    status: &'static str,
    locked_out: bool,
    expired: bool,
    first_time_user: bool,
    set_at: String,
    expires_at: String,
    last_sign_in: String,
    last_failure: String,
    consecutive_failures: u32,
    total_failures: u32,
}

impl PinView {
    fn new(info: &PinInfo) -> Self {
        Self {
            status: pin_status(info.locked_out),
            locked_out: info.locked_out,
            expired: info.pin_expired,
            first_time_user: info.first_time_user,
            set_at: when(info.pin_set_at),
            expires_at: info.pin_expires_at.map_or_else(|| "Never".to_owned(), |at| when(Some(at))),
            last_sign_in: when(info.last_sign_in_at),
            last_failure: when(info.last_failure_at),
            consecutive_failures: info.consecutive_failures,
            total_failures: info.total_failures,
        }
    }
}

#[derive(Template)]
#[template(path = "voicemail.html")]
struct VoicemailPage {
    l: Layout,
    m: Details,
    pin: PinView,
    notice: String,
    recordings: Vec<super::greetings::RecordingView>,
}

/// `GET /admin/recipients/{id}/voicemail`: the UM Mailbox page.
pub async fn voicemail(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> PageResult {
    let m = details_of(&state, &admin, &id).await?;
    if !m.um_enabled {
        return Ok(see_other(&format!("/admin/recipients/{}", m.id)));
    }
    let pin = PinView::new(&state.voicepin.get_pin_info(&admin.context, &id).await?);
    let recordings = super::greetings::views(&state.voicepin.list_recordings(&admin.context, &m.id).await?);
    page(&VoicemailPage {
        l: admin.layout(format!("UM Mailbox: {}", m.display_name), "recipients"),
        m,
        pin,
        recordings,
        notice: notice_text(notice.done.as_deref()),
    })
}

#[derive(Template)]
#[template(path = "reset_pin.html")]
struct ResetPinPage {
    l: Layout,
    m: Details,
    errors: Vec<FieldError>,
    pin_errors: Vec<String>,
    typed: bool,
    require_reset: bool,
    locked_out: bool,
}

/// `GET /admin/recipients/{id}/reset-pin`: Reset UM Mailbox PIN, Exchange's defaults chosen.
pub async fn reset_pin_page(admin: Admin, State(state): State<ApiState>, Path(id): Path<String>) -> PageResult {
    // A form whose only use is a write the role may not make answers the write's 403 now
    // (the write itself is refused by the core either way).
    admin.form_for(Operation::ResetPins)?;
    let m = details_of(&state, &admin, &id).await?;
    let locked_out = state.voicepin.get_pin_info(&admin.context, &id).await?.locked_out;
    page(&ResetPinPage {
        l: admin.layout("Reset UM Mailbox PIN", "recipients"),
        m,
        errors: Vec::new(),
        pin_errors: Vec::new(),
        typed: false,
        require_reset: true,
        locked_out,
    })
}

/// The Reset PIN form (and the PIN part of the Enable form).
#[derive(Deserialize)]
pub struct ResetPinForm {
    csrf: String,
    /// `generate` or `typed`.
    #[serde(default)]
    pin_mode: Option<String>,
    /// The typed PIN; never rendered back.
    #[serde(default)]
    pin: PinTextOption,
    /// The checkbox: present when checked.
    #[serde(default)]
    require_reset: Option<String>,
}

/// The PIN chosen on a form: `None` to generate one; an error when "Type a PIN" has none.
fn chosen_pin(mode: Option<&str>, pin: PinTextOption) -> Result<Option<voicepin_core::pin::Pin>, FieldError> {
    if mode != Some("typed") {
        return Ok(None);
    }
    match pin.into_pin() {
        Some(pin) if !pin.is_empty() => Ok(Some(pin)),
        _ => Err(FieldError::new("pin", "Type a PIN, or choose \u{201c}Automatically generate a PIN\u{201d}.")),
    }
}

/// The words of each rule a PIN breaks.
fn violations(error: &CoreError) -> Option<Vec<String>> {
    match error {
        CoreError::PinRejected(violations) => Some(violations.iter().map(|v| capitalised(&v.to_string())).collect()),
        _ => None,
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The Reset PIN page again, with what was wrong (the typed PIN is never sent back).
async fn reset_refused(
    admin: &Admin,
    state: &ApiState,
    id: &str,
    errors: Vec<FieldError>,
    pin_errors: Vec<String>,
    typed: bool,
    require_reset: bool,
) -> PageResult {
    let m = details_of(state, admin, id).await?;
    let locked_out = state.voicepin.get_pin_info(&admin.context, id).await?.locked_out;
    Ok(html(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ResetPinPage {
            l: admin.layout("Reset UM Mailbox PIN", "recipients"),
            m,
            errors,
            pin_errors,
            typed,
            require_reset,
            locked_out,
        },
    ))
}

/// `POST /admin/recipients/{id}/reset-pin`: Set-UMMailboxPIN with the form's three settings;
/// the PIN goes to the user by email. A rejected PIN shows every rule it breaks.
pub async fn reset_pin(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Form(form): Form<ResetPinForm>,
) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let require_reset = form.require_reset.is_some();
    let typed = form.pin_mode.as_deref() == Some("typed");
    let pin = match chosen_pin(form.pin_mode.as_deref(), form.pin) {
        Ok(pin) => pin,
        Err(error) => return reset_refused(&admin, &state, &id, vec![error], Vec::new(), typed, require_reset).await,
    };
    let request =
        SetPin { pin, pin_expired: Some(require_reset), locked_out: None, send_email: Some(true), notify_email: None };
    match state.voicepin.set_pin(&admin.context, &id, request).await {
        Ok(set) => {
            let query = query_string(&[
                ("generated", if typed { "0" } else { "1" }),
                ("expired", if require_reset { "1" } else { "0" }),
            ]);
            Ok(see_other(&format!("/admin/recipients/{}/reset-pin/done?{query}", set.mailbox_id)))
        }
        Err(error) => match violations(&error) {
            Some(words) => {
                let summary = words.iter().map(|w| FieldError::new("pin", w.clone())).collect();
                reset_refused(&admin, &state, &id, summary, words, typed, require_reset).await
            }
            None => Err(error.into()),
        },
    }
}

#[derive(Template)]
#[template(path = "reset_pin_done.html")]
struct ResetPinDonePage {
    l: Layout,
    m: Details,
    generated: bool,
    expired: bool,
}

/// What the result page was told.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    generated: Option<String>,
    #[serde(default)]
    expired: Option<String>,
}

/// `GET /admin/recipients/{id}/reset-pin/done`: what happened, and where the PIN went.
pub async fn reset_pin_done(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let m = details_of(&state, &admin, &id).await?;
    page(&ResetPinDonePage {
        l: admin.layout("PIN reset", "recipients"),
        m,
        generated: query.generated.as_deref() != Some("0"),
        expired: query.expired.as_deref() != Some("0"),
    })
}

/// `POST /admin/recipients/{id}/unlock`.
pub async fn unlock(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Form(form): Form<super::session::CsrfOnly>,
) -> PageResult {
    admin.check_csrf(form.csrf())?;
    let unlocked = state.voicepin.unlock(&admin.context, &id).await?;
    Ok(see_other(&format!("/admin/recipients/{}/voicemail?done=unlocked", unlocked.mailbox_id)))
}

/// A policy to choose from.
struct PolicyChoice {
    name: String,
    dial_plan: String,
    digits: u16,
}

#[derive(Template)]
#[template(path = "enable.html")]
struct EnablePage {
    l: Layout,
    /// The mailbox being enabled again, or none for a new one.
    existing: Option<Details>,
    errors: Vec<FieldError>,
    pin_errors: Vec<String>,
    policies: Vec<PolicyChoice>,
    address: String,
    display_name: String,
    policy: String,
    extension: String,
    /// Phone numbers (E.164) for caller ID, as typed: separated by commas or spaces.
    phone_numbers: String,
    typed: bool,
    require_reset: bool,
}

/// Phone numbers as typed in one field: separated by commas, semicolons or white space.
fn phone_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn policy_choices(state: &ApiState, admin: &Admin) -> Result<Vec<PolicyChoice>, super::PageError> {
    let policies = state.voicepin.list_policies(&admin.context, None).await?;
    Ok(policies
        .iter()
        .map(|p| PolicyChoice {
            name: p.policy.name.to_string(),
            dial_plan: p.dial_plan.name.to_string(),
            digits: p.dial_plan.extension_length.get(),
        })
        .collect())
}

async fn enable_form(
    admin: &Admin,
    state: &ApiState,
    existing: Option<Details>,
) -> Result<EnablePage, super::PageError> {
    admin.form_for(Operation::ManageMailboxes)?;
    let policies = policy_choices(state, admin).await?;
    let (address, display_name, policy, phone_numbers) = match &existing {
        Some(m) => (m.address.clone(), m.display_name.clone(), m.policy.clone(), m.phone_numbers.join(", ")),
        None => {
            let policy = policies.first().map(|p| p.name.clone()).unwrap_or_default();
            (String::new(), String::new(), policy, String::new())
        }
    };
    Ok(EnablePage {
        l: admin.layout("Enable voice mail", "recipients"),
        existing,
        errors: Vec::new(),
        pin_errors: Vec::new(),
        policies,
        address,
        display_name,
        policy,
        extension: String::new(),
        phone_numbers,
        typed: false,
        require_reset: true,
    })
}

/// `GET /admin/recipients/new`: enable a new mailbox for voice mail.
pub async fn enable_page_new(admin: Admin, State(state): State<ApiState>) -> PageResult {
    page(&enable_form(&admin, &state, None).await?)
}

/// `GET /admin/recipients/{id}/enable`: enable a disabled mailbox again.
pub async fn enable_page(admin: Admin, State(state): State<ApiState>, Path(id): Path<String>) -> PageResult {
    let m = details_of(&state, &admin, &id).await?;
    page(&enable_form(&admin, &state, Some(m)).await?)
}

/// The Enable form.
#[derive(Deserialize)]
pub struct EnableForm {
    csrf: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    extension: Option<String>,
    #[serde(default)]
    phone_numbers: Option<String>,
    #[serde(default)]
    pin_mode: Option<String>,
    #[serde(default)]
    pin: PinTextOption,
    #[serde(default)]
    require_reset: Option<String>,
}

/// `POST /admin/recipients/new`: Enable-UMMailbox for a new mailbox.
pub async fn enable_new(admin: Admin, State(state): State<ApiState>, Form(form): Form<EnableForm>) -> PageResult {
    enable(admin, state, None, form).await
}

/// `POST /admin/recipients/{id}/enable`: Enable-UMMailbox for a disabled one.
pub async fn enable_existing(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Form(form): Form<EnableForm>,
) -> PageResult {
    enable(admin, state, Some(id), form).await
}

async fn enable(admin: Admin, state: ApiState, id: Option<String>, form: EnableForm) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let existing = match &id {
        Some(id) => Some(details_of(&state, &admin, id).await?),
        None => None,
    };
    let address = match &existing {
        Some(m) => m.address.clone(),
        None => filled(form.address.as_deref()).unwrap_or_default(),
    };
    let mut page_state = enable_form(&admin, &state, existing).await?;
    page_state.address.clone_from(&address);
    page_state.display_name = filled(form.display_name.as_deref()).unwrap_or(page_state.display_name);
    page_state.policy = filled(form.policy.as_deref()).unwrap_or_default();
    page_state.extension = filled(form.extension.as_deref()).unwrap_or_default();
    page_state.phone_numbers = form.phone_numbers.as_deref().unwrap_or_default().trim().to_owned();
    page_state.typed = form.pin_mode.as_deref() == Some("typed");
    page_state.require_reset = form.require_reset.is_some();
    let mut errors = Vec::new();
    if address.is_empty() {
        errors.push(FieldError::new("address", "Enter the email address of the mailbox."));
    }
    if page_state.extension.is_empty() {
        errors.push(FieldError::new("extension", "Enter an extension."));
    }
    let pin = match chosen_pin(form.pin_mode.as_deref(), form.pin) {
        Ok(pin) => pin,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    if !errors.is_empty() {
        page_state.errors = errors;
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page_state));
    }
    let request = EnableMailbox {
        identity: address,
        policy: Some(page_state.policy.clone()),
        extensions: vec![page_state.extension.clone()],
        pin,
        pin_expired: Some(page_state.require_reset),
        notify_email: None,
        properties: MailboxSettings {
            display_name: filled(form.display_name.as_deref()),
            phone_numbers: Some(phone_list(&page_state.phone_numbers)).filter(|n| !n.is_empty()),
            ..MailboxSettings::default()
        },
        validate_only: false,
    };
    match state.voicepin.enable_mailbox(&admin.context, request).await {
        Ok(enabled) => Ok(see_other(&format!("/admin/recipients/{}?done=enabled", enabled.mailbox.id))),
        Err(error) => {
            if let Some(words) = violations(&error) {
                page_state.errors = words.iter().map(|w| FieldError::new("pin", w.clone())).collect();
                page_state.pin_errors = words;
                return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page_state));
            }
            let field = match &error {
                CoreError::InvalidValue(invalid) if invalid.field.to_ascii_lowercase().contains("extension") => {
                    Some("extension")
                }
                CoreError::InvalidValue(invalid) if invalid.field.to_ascii_lowercase().contains("phone") => {
                    Some("phone_numbers")
                }
                CoreError::AlreadyExists { field, .. } if field.to_ascii_lowercase().contains("phone") => {
                    Some("phone_numbers")
                }
                CoreError::AlreadyExists { .. } => Some("extension"),
                CoreError::InvalidValue(invalid) if invalid.field.to_ascii_lowercase().contains("policy") => {
                    Some("policy")
                }
                CoreError::NotFound { .. } => Some("policy"),
                CoreError::InvalidValue(_) | CoreError::AlreadyUmEnabled(_) => Some("address"),
                _ => None,
            };
            match field {
                Some(field) => {
                    page_state.errors = vec![FieldError::new(field, capitalised(&error.to_string()))];
                    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page_state))
                }
                None => Err(error.into()),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "disable.html")]
struct DisablePage {
    l: Layout,
    m: Details,
}

/// `GET /admin/recipients/{id}/disable`: the confirmation.
pub async fn disable_page(admin: Admin, State(state): State<ApiState>, Path(id): Path<String>) -> PageResult {
    admin.form_for(Operation::ManageMailboxes)?;
    let m = details_of(&state, &admin, &id).await?;
    page(&DisablePage { l: admin.layout("Disable voice mail", "recipients"), m })
}

/// The Disable form.
#[derive(Deserialize)]
pub struct DisableForm {
    csrf: String,
    #[serde(default)]
    keep_properties: Option<String>,
}

/// `POST /admin/recipients/{id}/disable`: Disable-UMMailbox.
pub async fn disable(
    admin: Admin,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Form(form): Form<DisableForm>,
) -> PageResult {
    admin.check_csrf(&form.csrf)?;
    let mailbox = state.voicepin.get_mailbox(&admin.context, &id).await?.mailbox;
    let keep = form.keep_properties.is_some();
    state.voicepin.disable_mailbox(&admin.context, &id, keep).await?;
    if keep {
        Ok(see_other(&format!("/admin/recipients/{}?done=disabled", mailbox.id)))
    } else {
        Ok(see_other("/admin/recipients"))
    }
}
