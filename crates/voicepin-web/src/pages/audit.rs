//! The dashboard and the audit log.

use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use voicepin_core::access::Operation;
use voicepin_core::audit::{AuditAction, AuditEvent, Channel};
use voicepin_core::usecases::{AuditFilter, MailboxFilter};

use super::{Admin, FieldError, Layout, PageResult, filled, page, query_string, when};
use crate::ApiState;
use crate::extract::Query;

/// The days a chart covers.
const CHART_DAYS: i64 = 30;
/// The most events of one action a chart reads: the core's largest page. Past it, the chart
/// shows the most recent ones (a count per day in the store is the way to lift this).
const CHART_EVENTS: u32 = voicepin_core::usecases::MAX_PAGE_SIZE;

/// One bar chart of events per day, drawn on the server as SVG.
struct Chart {
    title: &'static str,
    total: u32,
    max: u32,
    /// One bar per day: x, y, height (in SVG units), the day and the count.
    bars: Vec<Bar>,
}

struct Bar {
    x: u32,
    y: u32,
    height: u32,
    label: String,
    count: u32,
}

/// The chart's drawing area, in SVG units.
const CHART_HEIGHT: u32 = 100;
const BAR_WIDTH: u32 = 10;

fn chart(title: &'static str, events: &[AuditEvent], now: OffsetDateTime) -> Chart {
    let today = now.date();
    let mut counts = [0u32; CHART_DAYS as usize];
    for event in events {
        let age = (today - event.at.date()).whole_days();
        if (0..CHART_DAYS).contains(&age) {
            let slot = (CHART_DAYS - 1 - age) as usize;
            counts[slot] += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let height = if max == 0 { 0 } else { (count * CHART_HEIGHT).div_ceil(max) };
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
    /// Locked-out mailboxes now, counted up to [`COUNT_CAP`] ("1000+" beyond).
    locked_out: Option<String>,
    /// Messages waiting and given up.
    /// Whether the administrator may see the mail queue's figures.
    show_mail: bool,
    mail_queued: u64,
    mail_failed: u64,
    first_day: String,
}

/// The most locked-out mailboxes the dashboard counts one by one.
const COUNT_CAP: u32 = 1000;

/// `GET /admin`: the dashboard (charts of the last 30 days from the audit log). Roles that
/// may not read the audit log see the links only.
pub async fn dashboard(admin: Admin, State(state): State<ApiState>) -> PageResult {
    let mut charts = Vec::new();
    let locked_out = if admin.context.may(Operation::ViewMailboxes) {
        let filter = MailboxFilter { locked_out: Some(true), limit: Some(COUNT_CAP), ..MailboxFilter::default() };
        let n = state.voicepin.list_pin_info(&admin.context, &filter).await?.items.len();
        Some(if n as u32 >= COUNT_CAP { format!("{COUNT_CAP}+") } else { n.to_string() })
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
        let since = Some(now - Duration::days(CHART_DAYS));
        for (title, action) in [
            ("Failed sign-ins", AuditAction::SignInFailed),
            ("Automatic PIN resets", AuditAction::PinAutoReset),
            ("Lockouts", AuditAction::MailboxLocked),
            ("Administrator PIN resets", AuditAction::PinSet),
        ] {
            let filter = AuditFilter {
                action: Some(action.as_str().to_owned()),
                since: since.and_then(|at| at.format(&Rfc3339).ok()),
                limit: Some(CHART_EVENTS),
                ..AuditFilter::default()
            };
            let events = state.voicepin.audit_events(&admin.context, &filter).await?;
            charts.push(chart(title, &events, now));
        }
    }
    let first = OffsetDateTime::now_utc().date() - Duration::days(CHART_DAYS - 1);
    page(&DashboardPage {
        l: admin.layout("Dashboard", "dashboard"),
        charts,
        locked_out,
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
    /// The cursor: events before this instant (RFC 3339).
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
    let before = filled(Some(&f.before))
        .and_then(|b| OffsetDateTime::parse(&b, &time::format_description::well_known::Rfc3339).ok());
    let until = match (until_day, before) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let rfc3339 = |at: Option<OffsetDateTime>| at.and_then(|at| at.format(&Rfc3339).ok());
    let filter = AuditFilter {
        mailbox,
        action: action.map(|a| a.as_str().to_owned()),
        actor: filled(Some(&f.actor)),
        channel: channel.map(|c| c.as_str().to_owned()),
        since: rfc3339(since),
        until: rfc3339(until),
        limit: Some(PAGE_SIZE),
    };
    let events =
        if errors.is_empty() { state.voicepin.audit_events(&admin.context, &filter).await? } else { Vec::new() };
    let next = (events.len() == PAGE_SIZE as usize)
        .then(|| events.last())
        .flatten()
        .and_then(|e| e.at.format(&time::format_description::well_known::Rfc3339).ok())
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
