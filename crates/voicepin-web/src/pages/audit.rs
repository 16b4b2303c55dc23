//! The dashboard and the audit log.

use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use voicepin_core::access::Operation;
use voicepin_core::audit::{AuditAction, Channel};
use voicepin_core::ports::DayCount;
use voicepin_core::usecases::{AuditCursor, AuditFilter};

use super::{Admin, FieldError, Layout, PageResult, filled, page, query_string, when};
use crate::ApiState;
use crate::extract::Query;

/// The days a chart covers.
const CHART_DAYS: i64 = 30;

/// One bar chart of events per day, drawn on the server as SVG.
struct Chart {
    title: &'static str,
    total: u64,
    max: u64,
    /// One bar per day: x, y, height (in SVG units), the day and the count.
    bars: Vec<Bar>,
}

struct Bar {
    x: u32,
    y: u32,
    height: u32,
    label: String,
    count: u64,
}

/// The chart's drawing area, in SVG units.
const CHART_HEIGHT: u32 = 100;
const BAR_WIDTH: u32 = 10;

fn chart(title: &'static str, days: &[DayCount], now: OffsetDateTime) -> Chart {
    let today = now.date();
    let mut counts = [0u64; CHART_DAYS as usize];
    for day in days {
        let age = (today - day.day).whole_days();
        if (0..CHART_DAYS).contains(&age) {
            let slot = (CHART_DAYS - 1 - age) as usize;
            counts[slot] += day.count;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let height = if max == 0 { 0 } else { (count * u64::from(CHART_HEIGHT)).div_ceil(max) };
            let height = u32::try_from(height).unwrap_or(CHART_HEIGHT);
            let day = today - Duration::days(CHART_DAYS - 1 - i as i64);
            Bar {
                x: i as u32 * (BAR_WIDTH + 2),
                y: CHART_HEIGHT - height,
                height,
                label: format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day()),
                count,
            }
        })
        .collect();
    Chart { title, total: counts.iter().sum(), max, bars }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    charts: Vec<Chart>,
    /// UM-enabled mailboxes, locked out and with an expired PIN, for those who may see them.
    counts: Option<voicepin_core::ports::MailboxCounts>,
    /// Messages waiting and given up.
    /// Whether the administrator may see the mail queue's figures.
    show_mail: bool,
    mail_queued: u64,
    mail_failed: u64,
    first_day: String,
}

/// `GET /admin`: the dashboard (charts of the last 30 days from the audit log). Roles that
/// may not read the audit log see the links only.
pub async fn dashboard(admin: Admin, State(state): State<ApiState>) -> PageResult {
    let mut charts = Vec::new();
    let counts = if admin.context.may(Operation::ViewMailboxes) {
        Some(state.voicepin.mailbox_counts(&admin.context).await?)
    } else {
        None
    };
    // The queue's metadata only (the metrics endpoint shows the same numbers).
    let mail = if admin.context.may(Operation::ViewMailQueue) {
        Some(state.voicepin.mail_queue_stats(&admin.context).await?)
    } else {
        None
    };
    if admin.context.may(Operation::ViewAudit) {
        let now = OffsetDateTime::now_utc();
        // From the start of the first day shown.
        let since = (now.date() - Duration::days(CHART_DAYS - 1)).midnight().assume_utc();
        let since = Some(since);
        for (title, action) in [
            ("Failed sign-ins", AuditAction::SignInFailed),
            ("Automatic PIN resets", AuditAction::PinAutoReset),
            ("Lockouts", AuditAction::MailboxLocked),
            ("Administrator PIN resets", AuditAction::PinSet),
        ] {
            let filter = AuditFilter {
                action: Some(action.as_str().to_owned()),
                since: since.and_then(|at| at.format(&Rfc3339).ok()),
                ..AuditFilter::default()
            };
            let days = state.voicepin.audit_counts_per_day(&admin.context, &filter).await?;
            charts.push(chart(title, &days, now));
        }
    }
    let first = OffsetDateTime::now_utc().date() - Duration::days(CHART_DAYS - 1);
    page(&DashboardPage {
        l: admin.layout("Dashboard", "dashboard"),
        charts,
        counts,
        show_mail: mail.is_some(),
        mail_queued: mail.as_ref().map_or(0, |m| m.queued),
        mail_failed: mail.as_ref().map_or(0, |m| m.failed),
        first_day: format!("{:04}-{:02}-{:02}", first.year(), u8::from(first.month()), first.day()),
    })
}

/// A row of the audit log.
struct Row {
    at: String,
    actor: String,
    role: String,
    channel: &'static str,
    source: String,
    action: &'static str,
    target: String,
    details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    f: AuditForm,
    actions: Vec<&'static str>,
    channels: Vec<&'static str>,
    rows: Vec<Row>,
    next: Option<String>,
    errors: Vec<FieldError>,
}

/// The audit log's filters, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    mailbox: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    channel: String,
    /// `YYYY-MM-DD`, from the start of that day (UTC).
    #[serde(default)]
    since: String,
    /// `YYYY-MM-DD`, to the end of that day (UTC).
    #[serde(default)]
    until: String,
    /// The cursor: the last event of the previous page (its time and id).
    #[serde(default)]
    before: String,
}

const PAGE_SIZE: u32 = 50;

fn day(text: &str) -> Option<Result<time::Date, ()>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Some(time::Date::parse(text, &format).map_err(|_| ()))
}

/// `GET /admin/audit`: the audit log, newest first, filtered and paged.
pub async fn list(admin: Admin, State(state): State<ApiState>, Query(f): Query<AuditForm>) -> PageResult {
    let mut errors = Vec::new();
    let mailbox = filled(Some(&f.mailbox));
    let action = filled(Some(&f.action)).and_then(|a| {
        let parsed = AuditAction::parse(&a);
        if parsed.is_none() {
            errors.push(FieldError::new("action", "Choose an action from the list."));
        }
        parsed
    });
    let channel = filled(Some(&f.channel)).and_then(|c| Channel::parse(&c));
    let since = match day(&f.since) {
        Some(Ok(d)) => Some(d.midnight().assume_utc()),
        Some(Err(())) => {
            errors.push(FieldError::new("since", "Enter the date as YYYY-MM-DD."));
            None
        }
        None => None,
    };
    let until_day = match day(&f.until) {
        Some(Ok(d)) => Some(d.midnight().assume_utc() + Duration::days(1)),
        Some(Err(())) => {
            errors.push(FieldError::new("until", "Enter the date as YYYY-MM-DD."));
            None
        }
        None => None,
    };
    let until = until_day;
    let rfc3339 = |at: Option<OffsetDateTime>| at.and_then(|at| at.format(&Rfc3339).ok());
    let filter = AuditFilter {
        mailbox,
        action: action.map(|a| a.as_str().to_owned()),
        actor: filled(Some(&f.actor)),
        channel: channel.map(|c| c.as_str().to_owned()),
        since: rfc3339(since),
        until: rfc3339(until),
        limit: Some(PAGE_SIZE),
        before: filled(Some(&f.before)),
    };
    let events =
        if errors.is_empty() { state.voicepin.audit_events(&admin.context, &filter).await? } else { Vec::new() };
    let next = (events.len() == PAGE_SIZE as usize)
        .then(|| events.last())
        .flatten()
        .map(|e| AuditCursor::after(e).text())
        .map(|before| {
            query_string(&[
                ("mailbox", &f.mailbox),
                ("action", &f.action),
                ("actor", &f.actor),
                ("channel", &f.channel),
                ("since", &f.since),
                ("until", &f.until),
                ("before", &before),
            ])
        });
    let rows = events
        .iter()
        .map(|e| Row {
            at: when(Some(e.at)),
            actor: e.actor.clone(),
            role: e.role.clone().unwrap_or_default(),
            channel: e.channel.as_str(),
            source: e.source.clone().unwrap_or_default(),
            action: e.action.as_str(),
            target: e.target.clone(),
            details: e.details.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "),
        })
        .collect();
    page(&AuditPage {
        l: admin.layout("Audit log", "audit"),
        f,
        actions: AuditAction::ALL.iter().map(|a| a.as_str()).collect(),
        channels: vec!["cli", "api", "web", "phone", "system"],
        rows,
        next,
        errors,
    })
}
