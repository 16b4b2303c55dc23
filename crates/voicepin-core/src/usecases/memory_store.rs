//! A store in memory, for the core's own tests: enough of the [`Store`] port to run every use
//! case (revisions and uniqueness are not checked; the SQL engine's contract suite does that).

use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::accounts::{AdminAccount, Session};
use crate::audit::AuditEvent;
use crate::error::StoreError;
use crate::ids::{AccountId, DialPlanId, LinkId, MailId, MailboxId, PolicyId, SessionId, TokenId};
use crate::links::PinResetLink;
use crate::mailbox::Mailbox;
use crate::notify::OutboundMail;
use crate::policy::{DialPlan, MailboxPolicy};
use crate::ports::{
    AuditQuery, Change, ClaimedMail, DayCount, MailQueueStats, MailRecord, MailStatus, MailboxCounts, MailboxLookup,
    MailboxQuery, QueuedMail, Store, Write,
};
use crate::recording::{Recording, RecordingInfo, RecordingKind};
use crate::tokens::ApiToken;

#[derive(Default)]
struct Tables {
    dial_plans: Vec<DialPlan>,
    policies: Vec<MailboxPolicy>,
    mailboxes: Vec<Mailbox>,
    tokens: Vec<ApiToken>,
    accounts: Vec<AdminAccount>,
    sessions: Vec<Session>,
    audit: Vec<AuditEvent>,
    mail: Vec<OutboundMail>,
    links: Vec<PinResetLink>,
    sign_in_failures: Vec<(String, OffsetDateTime)>,
    recordings: Vec<Recording>,
}

/// Every object in vectors behind one lock.
#[derive(Default)]
pub(crate) struct MemoryStore(Mutex<Tables>);

impl MemoryStore {
    fn with<T>(&self, read: impl FnOnce(&mut Tables) -> T) -> T {
        let mut tables = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        read(&mut tables)
    }
}

fn upsert<T, K: PartialEq>(list: &mut Vec<T>, item: T, key: impl Fn(&T) -> K) {
    let wanted = key(&item);
    list.retain(|x| key(x) != wanted);
    list.push(item);
}

fn next<T: Clone>(item: &T, bump: impl FnOnce(&mut T)) -> T {
    let mut item = item.clone();
    bump(&mut item);
    item
}

#[async_trait]
impl Store for MemoryStore {
    async fn commit(&self, change: Change) -> Result<(), StoreError> {
        self.with(|t| {
            // A used link refuses the whole change, before anything is written.
            for write in &change.writes {
                if let Write::UsePinResetLink { id, .. } = write
                    && !t.links.iter().any(|l| l.id == *id && l.used_at.is_none())
                {
                    return Err(StoreError::Conflict);
                }
            }
            for write in change.writes {
                match write {
                    Write::InsertDialPlan(p) | Write::UpdateDialPlan(p) => {
                        let p = next(&p, |p| p.revision = p.revision.next());
                        upsert(&mut t.dial_plans, p, |p| p.id);
                    }
                    Write::DeleteDialPlan(id, _) => t.dial_plans.retain(|p| p.id != id),
                    Write::InsertPolicy(p) | Write::UpdatePolicy(p) => {
                        let p = next(&p, |p| p.revision = p.revision.next());
                        upsert(&mut t.policies, p, |p| p.id);
                    }
                    Write::DeletePolicy(id, _) => t.policies.retain(|p| p.id != id),
                    Write::InsertMailbox(m) | Write::UpdateMailbox(m) => {
                        let m = next(&m, |m| m.revision = m.revision.next());
                        upsert(&mut t.mailboxes, m, |m| m.id);
                    }
                    Write::DeleteMailbox(id, _) => {
                        t.mailboxes.retain(|m| m.id != id);
                        t.recordings.retain(|r| r.mailbox_id != id);
                    }
                    Write::PutRecording(r) => upsert(&mut t.recordings, r, |r| (r.mailbox_id, r.kind)),
                    Write::InsertToken(x) | Write::UpdateToken(x) => {
                        let x = next(&x, |x| x.revision = x.revision.next());
                        upsert(&mut t.tokens, x, |x| x.id);
                    }
                    Write::InsertAccount(a) | Write::UpdateAccount(a) => {
                        let a = next(&a, |a| a.revision = a.revision.next());
                        upsert(&mut t.accounts, a, |a| a.id);
                    }
                    Write::DeleteAccount(id, _) => {
                        t.accounts.retain(|a| a.id != id);
                        t.sessions.retain(|s| s.account_id != id);
                    }
                    Write::InsertSession(s) => upsert(&mut t.sessions, s, |s| s.id),
                    Write::TouchSession(id, at) => {
                        t.sessions.iter_mut().filter(|s| s.id == id).for_each(|s| s.last_seen_at = at);
                    }
                    Write::DeleteSession(id) => t.sessions.retain(|s| s.id != id),
                    Write::DeleteSessionsOf(account) => t.sessions.retain(|s| s.account_id != account),
                    Write::DeleteOtherSessions(account, keep) => {
                        t.sessions.retain(|s| s.account_id != account || s.id == keep);
                    }
                    Write::PurgeEndedSessions { .. } => {}
                    Write::InsertPinResetLink(link) => t.links.push(link),
                    Write::UsePinResetLink { mailbox, at, .. } => {
                        t.links.iter_mut().filter(|l| l.mailbox_id == mailbox && l.used_at.is_none()).for_each(|l| {
                            l.used_at = Some(at);
                        });
                    }
                    Write::CountSignInFailure { sources, at, forget_before } => {
                        t.sign_in_failures.retain(|(key, when)| !sources.contains(key) || *when >= forget_before);
                        t.sign_in_failures.extend(sources.into_iter().map(|key| (key, at)));
                    }
                }
            }
            t.audit.extend(change.audit);
            t.mail.extend(change.mail);
            Ok(())
        })
    }

    async fn recording(&self, mailbox: MailboxId, kind: RecordingKind) -> Result<Option<Recording>, StoreError> {
        Ok(self.with(|t| t.recordings.iter().find(|r| r.mailbox_id == mailbox && r.kind == kind).cloned()))
    }

    async fn recordings(&self, mailbox: MailboxId) -> Result<Vec<RecordingInfo>, StoreError> {
        Ok(self.with(|t| {
            let mut list: Vec<RecordingInfo> =
                t.recordings.iter().filter(|r| r.mailbox_id == mailbox).map(Recording::info).collect();
            list.sort_by_key(|r| r.kind);
            list
        }))
    }

    async fn dial_plan(&self, id: DialPlanId) -> Result<Option<DialPlan>, StoreError> {
        Ok(self.with(|t| t.dial_plans.iter().find(|p| p.id == id).cloned()))
    }

    async fn dial_plan_by_name(&self, name: &str) -> Result<Option<DialPlan>, StoreError> {
        Ok(self.with(|t| t.dial_plans.iter().find(|p| p.name.as_str().eq_ignore_ascii_case(name)).cloned()))
    }

    async fn dial_plans(&self) -> Result<Vec<DialPlan>, StoreError> {
        Ok(self.with(|t| t.dial_plans.clone()))
    }

    async fn policy(&self, id: PolicyId) -> Result<Option<MailboxPolicy>, StoreError> {
        Ok(self.with(|t| t.policies.iter().find(|p| p.id == id).cloned()))
    }

    async fn policy_by_name(&self, name: &str) -> Result<Option<MailboxPolicy>, StoreError> {
        Ok(self.with(|t| t.policies.iter().find(|p| p.name.as_str().eq_ignore_ascii_case(name)).cloned()))
    }

    async fn policies(&self, dial_plan: Option<DialPlanId>) -> Result<Vec<MailboxPolicy>, StoreError> {
        Ok(self
            .with(|t| t.policies.iter().filter(|p| dial_plan.is_none_or(|d| p.dial_plan_id == d)).cloned().collect()))
    }

    async fn count_mailboxes_with_policy(&self, policy: PolicyId) -> Result<u64, StoreError> {
        Ok(self.with(|t| t.mailboxes.iter().filter(|m| m.policy_id == policy).count() as u64))
    }

    async fn count_mailboxes_in_dial_plan(&self, dial_plan: DialPlanId) -> Result<u64, StoreError> {
        Ok(self.with(|t| t.mailboxes.iter().filter(|m| m.dial_plan_id == dial_plan).count() as u64))
    }

    async fn find_mailboxes(&self, lookup: &MailboxLookup) -> Result<Vec<Mailbox>, StoreError> {
        Ok(self.with(|t| {
            t.mailboxes
                .iter()
                .filter(|m| match lookup {
                    MailboxLookup::Id(id) => m.id == *id,
                    MailboxLookup::SmtpAddress(address) => m.smtp_address.as_str() == address,
                    MailboxLookup::Alias(alias) => m.alias == *alias,
                    MailboxLookup::Extension { dial_plan, extension } => {
                        dial_plan.is_none_or(|d| m.dial_plan_id == d)
                            && m.extensions.iter().any(|e| e.as_str() == extension)
                    }
                    MailboxLookup::PhoneNumber(number) => m.phone_numbers.iter().any(|n| n.as_str() == number),
                })
                .cloned()
                .collect()
        }))
    }

    async fn mailboxes(&self, query: &MailboxQuery) -> Result<Vec<Mailbox>, StoreError> {
        Ok(self.with(|t| {
            let mut found: Vec<Mailbox> = t
                .mailboxes
                .iter()
                .filter(|m| query.policy.is_none_or(|p| m.policy_id == p))
                .filter(|m| query.dial_plan.is_none_or(|d| m.dial_plan_id == d))
                .filter(|m| query.um_enabled.is_none_or(|e| m.um_enabled == e))
                .filter(|m| query.locked_out.is_none_or(|l| m.pin.locked_out == l))
                .filter(|m| query.after.as_deref().is_none_or(|a| m.smtp_address.as_str() > a))
                .cloned()
                .collect();
            found.sort_by(|a, b| a.smtp_address.as_str().cmp(b.smtp_address.as_str()));
            found.truncate(query.limit as usize);
            found
        }))
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(self.with(|t| t.audit.iter().rev().take(query.limit as usize).cloned().collect()))
    }

    async fn count_audit_events_per_day(&self, query: &AuditQuery) -> Result<Vec<DayCount>, StoreError> {
        Ok(self.with(|t| {
            let mut days: Vec<DayCount> = Vec::new();
            for event in t.audit.iter().filter(|e| query.action.is_none_or(|a| e.action == a)) {
                let day = event.at.date();
                match days.iter_mut().find(|d| d.day == day) {
                    Some(found) => found.count += 1,
                    None => days.push(DayCount { day, count: 1 }),
                }
            }
            days.sort_by_key(|d| d.day);
            days
        }))
    }

    async fn count_mailboxes_by_state(&self, now: OffsetDateTime) -> Result<MailboxCounts, StoreError> {
        Ok(self.with(|t| {
            let enabled: Vec<&Mailbox> = t.mailboxes.iter().filter(|m| m.um_enabled).collect();
            let expired = enabled
                .iter()
                .filter(|m| {
                    t.policies.iter().find(|p| p.id == m.policy_id).is_some_and(|p| m.pin.must_change(&p.pin, now))
                })
                .count();
            MailboxCounts {
                um_enabled: enabled.len() as u64,
                locked_out: enabled.iter().filter(|m| m.pin.locked_out).count() as u64,
                pin_expired: expired as u64,
            }
        }))
    }

    async fn due_mail(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<QueuedMail>, StoreError> {
        Ok(self.with(|t| {
            t.mail
                .iter()
                .take(limit as usize)
                .map(|mail| QueuedMail {
                    mail: mail.clone(),
                    status: MailStatus::Queued,
                    attempts: 0,
                    next_attempt_at: now,
                    last_error: None,
                })
                .collect()
        }))
    }

    async fn claim_due_mail(
        &self,
        _now: OffsetDateTime,
        _lease_until: OffsetDateTime,
        _limit: u32,
    ) -> Result<ClaimedMail, StoreError> {
        Ok(ClaimedMail::default())
    }

    async fn release_mail_claim(&self, _id: MailId, _due_at: OffsetDateTime) -> Result<(), StoreError> {
        Ok(())
    }

    async fn mark_mail_sent(&self, _id: MailId, _at: OffsetDateTime) -> Result<(), StoreError> {
        Ok(())
    }

    async fn mark_mail_attempt_failed(
        &self,
        _id: MailId,
        _error: &str,
        _retry_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn mail_records(&self, _include_sent: bool, _limit: u32) -> Result<Vec<MailRecord>, StoreError> {
        Ok(Vec::new())
    }

    async fn mail_queue_stats(&self) -> Result<MailQueueStats, StoreError> {
        Ok(MailQueueStats::default())
    }

    async fn token(&self, id: TokenId) -> Result<Option<ApiToken>, StoreError> {
        Ok(self.with(|t| t.tokens.iter().find(|x| x.id == id).cloned()))
    }

    async fn token_by_name(&self, name: &str) -> Result<Option<ApiToken>, StoreError> {
        Ok(self.with(|t| t.tokens.iter().find(|x| x.name == name).cloned()))
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        Ok(self.with(|t| t.tokens.clone()))
    }

    async fn account(&self, id: AccountId) -> Result<Option<AdminAccount>, StoreError> {
        Ok(self.with(|t| t.accounts.iter().find(|a| a.id == id).cloned()))
    }

    async fn account_by_name(&self, name: &str) -> Result<Option<AdminAccount>, StoreError> {
        Ok(self.with(|t| t.accounts.iter().find(|a| a.name == name).cloned()))
    }

    async fn accounts(&self) -> Result<Vec<AdminAccount>, StoreError> {
        Ok(self.with(|t| t.accounts.clone()))
    }

    async fn session(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        Ok(self.with(|t| t.sessions.iter().find(|s| s.id == id).cloned()))
    }

    async fn pin_reset_link(&self, id: LinkId) -> Result<Option<PinResetLink>, StoreError> {
        Ok(self.with(|t| t.links.iter().find(|l| l.id == id).cloned()))
    }

    async fn count_pin_reset_links(&self, mailbox: MailboxId, since: OffsetDateTime) -> Result<u64, StoreError> {
        Ok(self.with(|t| t.links.iter().filter(|l| l.mailbox_id == mailbox && l.created_at >= since).count() as u64))
    }

    async fn requeue_mail(&self, _id: MailId, _at: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(false)
    }

    async fn sign_in_failures(&self, sources: &[String], since: OffsetDateTime) -> Result<Vec<u64>, StoreError> {
        self.with(|t| {
            let counted = |key: &String| t.sign_in_failures.iter().filter(|(k, at)| k == key && *at >= since).count();
            Ok(sources.iter().map(|key| u64::try_from(counted(key)).unwrap_or(u64::MAX)).collect())
        })
    }
}
