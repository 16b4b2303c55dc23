//! The queries that answer screens: list pages of mailboxes and PIN states with their
//! filters resolved here, and the audit log with its filters parsed here, so that every
//! front end asks once and maps the answer.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::access::{Operation, Target};
use crate::audit::{AuditAction, AuditEvent};
use crate::context::{Channel, RequestContext};
use crate::error::{InvalidValue, Result};
use crate::ids::AuditId;
use crate::ports::{AuditQuery, DayCount, MailboxCounts, MailboxQuery};

use super::{MailboxDetails, PinInfo, VoicePin, mailboxes::details_of};

pub use crate::ports::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// A page size, 1 to [`MAX_PAGE_SIZE`], [`DEFAULT_PAGE_SIZE`] when not given.
pub fn page_size(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(limit) if (1..=MAX_PAGE_SIZE).contains(&limit) => Ok(limit),
        Some(limit) => Err(InvalidValue::new("limit", "1 to 1000", limit.to_string()).into()),
    }
}

/// The filters and paging of a mailbox or PIN list, as a front end received them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailboxFilter {
    /// Only mailboxes of this UM mailbox policy (name or id).
    pub policy: Option<String>,
    /// Only mailboxes of this dial plan (name or id).
    pub dial_plan: Option<String>,
    /// Ambiguous name resolution: part of an address or name, or the start of an extension.
    pub search: Option<String>,
    /// Only locked-out (true) or only not locked-out (false) mailboxes.
    pub locked_out: Option<bool>,
    /// Only mailboxes whose PIN must be changed (true) or only the others (false).
    pub pin_expired: Option<bool>,
    /// The cursor: the primary SMTP address of the last mailbox of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to [`MAX_PAGE_SIZE`] ([`DEFAULT_PAGE_SIZE`] when `None`).
    pub limit: Option<u32>,
}

/// One page of a list in address order.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The cursor of the next page (the last item's primary SMTP address) when this page is
    /// full; `None` on the last page.
    pub next: Option<String>,
}

/// The filters of the audit log, as a front end received them (texts are parsed here).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events about this mailbox (any identity).
    pub mailbox: Option<String>,
    /// Only this action, by its name (`pinSet`, `signInFailed` ...).
    pub action: Option<String>,
    /// Only by this actor.
    pub actor: Option<String>,
    /// Only through this channel (`cli`, `api`, `web`, `phone`, `system`).
    pub channel: Option<String>,
    /// Only at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only before this time (RFC 3339).
    pub until: Option<String>,
    /// At most this many, 1 to [`MAX_PAGE_SIZE`] ([`DEFAULT_PAGE_SIZE`] when `None`).
    pub limit: Option<u32>,
    /// The cursor: the last event of the previous page (its time and id, as
    /// [`AuditCursor::text`] wrote them).
    pub before: Option<String>,
}

/// Where a page of the audit log ends: the last event's time and id. Events with the same
/// time are told apart by the order they were written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditCursor {
    /// The event's time.
    pub at: OffsetDateTime,
    /// Its id.
    pub id: AuditId,
}

impl AuditCursor {
    /// The cursor after `event`.
    pub fn after(event: &AuditEvent) -> Self {
        Self { at: event.at, id: event.id }
    }

    /// `<RFC 3339 time>_<id>`, for a query string.
    pub fn text(&self) -> String {
        let at = self.at.format(&Rfc3339).unwrap_or_default();
        format!("{at}_{}", self.id)
    }

    fn parse(text: &str) -> Result<Self> {
        let invalid = || InvalidValue::new("before", "the cursor of a previous page", text.to_owned());
        let (at, id) = text.rsplit_once('_').ok_or_else(invalid)?;
        let at = parse_time("before", Some(at))?.ok_or_else(invalid)?;
        let id = id.parse().map_err(|_| invalid())?;
        Ok(Self { at, id })
    }
}

/// The times the audit log can be asked about. The stores keep nanoseconds since 1970 in
/// 64 bits (up to 2262); a bound outside this range would be a storage error, not an answer.
const EARLIEST_YEAR: i32 = 1970;
const LATEST_YEAR: i32 = 2200;
const TIME_ALLOWED: &str = "an RFC 3339 time from 1970 to 2199, like 2026-01-31T12:00:00Z";

fn parse_time(field: &'static str, text: Option<&str>) -> Result<Option<OffsetDateTime>> {
    let Some(text) = text else { return Ok(None) };
    match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(at) if (EARLIEST_YEAR..LATEST_YEAR).contains(&at.year()) => Ok(Some(at)),
        _ => Err(InvalidValue::new(field, TIME_ALLOWED, text.to_owned()).into()),
    }
}

fn parse_channel(text: Option<&str>) -> Result<Option<Channel>> {
    let Some(text) = text else { return Ok(None) };
    Channel::parse(text).map(Some).ok_or_else(|| InvalidValue::new("channel", CHANNELS, text.to_owned()).into())
}

const CHANNELS: &str = "cli, api, web, phone, system";

fn parse_action(text: Option<&str>) -> Result<Option<AuditAction>> {
    let Some(text) = text else { return Ok(None) };
    AuditAction::parse(text).map(Some).ok_or_else(|| {
        let allowed: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        InvalidValue::new("action", &allowed.join(", "), text.to_owned()).into()
    })
}

impl VoicePin {
    /// Get-UMMailbox without an identity: a page of mailboxes in address order, each with its
    /// policy's and dial plan's names and its PIN state.
    pub async fn list_mailboxes(
        &self,
        context: &RequestContext,
        filter: &MailboxFilter,
    ) -> Result<Page<MailboxDetails>> {
        context.authorize(Operation::ViewMailboxes, Target::Any)?;
        self.mailbox_page(filter, None).await
    }

    /// Get-UMMailboxPIN without an identity: the PIN states of a page of UM-enabled mailboxes.
    pub async fn list_pin_info(&self, context: &RequestContext, filter: &MailboxFilter) -> Result<Page<PinInfo>> {
        context.authorize(Operation::ViewMailboxes, Target::Any)?;
        let page = self.mailbox_page(filter, Some(true)).await?;
        Ok(Page { items: page.items.into_iter().map(|d| d.pin).collect(), next: page.next })
    }

    /// A page under `filter`. The PIN-expired filter depends on each policy and the time, so
    /// it is applied here, reading on until the page is full or the mailboxes run out.
    async fn mailbox_page(&self, filter: &MailboxFilter, um_enabled: Option<bool>) -> Result<Page<MailboxDetails>> {
        let limit = page_size(filter.limit)?;
        let policy = match &filter.policy {
            Some(identity) => Some(self.resolve_policy(identity).await?.id),
            None => None,
        };
        let dial_plan = match &filter.dial_plan {
            Some(identity) => Some(self.resolve_dial_plan(identity).await?.id),
            None => None,
        };
        let mut query = MailboxQuery {
            policy,
            dial_plan,
            search: filter.search.clone(),
            um_enabled,
            locked_out: filter.locked_out,
            after: filter.after.clone(),
            limit,
        };
        let policies = self.store.policies(None).await?;
        let plans = self.store.dial_plans().await?;
        let now = self.clock.now();
        let mut items = Vec::new();
        loop {
            let mailboxes = self.store.mailboxes(&query).await?;
            let exhausted = u32::try_from(mailboxes.len()).is_ok_and(|n| n < query.limit);
            query.after = mailboxes.last().map(|m| m.smtp_address.to_string()).or(query.after);
            for mailbox in mailboxes {
                let Some(details) = details_of(mailbox, &policies, &plans, now) else { continue };
                if filter.pin_expired.is_none_or(|wanted| details.pin.pin_expired == wanted) {
                    items.push(details);
                }
                if u32::try_from(items.len()).is_ok_and(|n| n == limit) {
                    break;
                }
            }
            if exhausted || u32::try_from(items.len()).is_ok_and(|n| n == limit) {
                break;
            }
        }
        let full = u32::try_from(items.len()).is_ok_and(|n| n == limit);
        let next = if full { items.last().map(|d| d.mailbox.smtp_address.to_string()) } else { None };
        Ok(Page { items, next })
    }

    /// Audit events under `filter`, newest first.
    pub async fn audit_events(&self, context: &RequestContext, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        context.authorize(Operation::ViewAudit, Target::Any)?;
        let query = self.audit_query(filter).await?;
        Ok(self.store.audit_events(&query).await?)
    }

    /// How many audit events match `filter` per day (UTC), oldest day first, counted by the
    /// database however many there are (the dashboard's charts). Days without events are
    /// left out; the limit and cursor are ignored.
    pub async fn audit_counts_per_day(&self, context: &RequestContext, filter: &AuditFilter) -> Result<Vec<DayCount>> {
        context.authorize(Operation::ViewAudit, Target::Any)?;
        let query = self.audit_query(filter).await?;
        Ok(self.store.count_audit_events_per_day(&query).await?)
    }

    /// The UM-enabled mailboxes now, and of them the locked-out ones and those whose PIN
    /// must be changed (the dashboard's figures), counted by the database.
    pub async fn mailbox_counts(&self, context: &RequestContext) -> Result<MailboxCounts> {
        context.authorize(Operation::ViewMailboxes, Target::Any)?;
        Ok(self.store.count_mailboxes_by_state(self.clock.now()).await?)
    }

    async fn audit_query(&self, filter: &AuditFilter) -> Result<AuditQuery> {
        let limit = page_size(filter.limit)?;
        let before = filter.before.as_deref().map(AuditCursor::parse).transpose()?.map(|c| (c.at, c.id));
        let action = parse_action(filter.action.as_deref())?;
        let since = parse_time("since", filter.since.as_deref())?;
        let until = parse_time("until", filter.until.as_deref())?;
        let channel = parse_channel(filter.channel.as_deref())?;
        let mailbox = match &filter.mailbox {
            Some(identity) => Some(self.resolve_mailbox(identity).await?.id),
            None => None,
        };
        Ok(AuditQuery { mailbox, action, actor: filter.actor.clone(), channel, since, until, before, limit })
    }
}
