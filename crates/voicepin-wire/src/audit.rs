//! The audit log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use voicepin_core::audit::AuditEvent;
use voicepin_core::usecases::AuditFilter;

use crate::time_text;

/// An audit event.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventView {
    /// The id.
    pub id: Uuid,
    /// When, RFC 3339.
    pub time: Option<String>,
    /// Who: an account's or token's name, a mailbox's address, the operating-system user of
    /// the command line, `system` or `anonymous`.
    pub actor: String,
    /// administrator, callingSystem, mailboxOwner, localOperator, system or anonymous.
    pub actor_kind: String,
    /// The actor's role, if any.
    pub role: Option<String>,
    /// Through which front end: cli, api, web, phone, system.
    pub channel: String,
    /// From where.
    pub source: Option<String>,
    /// What happened (mailboxEnabled, pinSet, signInFailed ...).
    pub action: String,
    /// The mailbox concerned.
    pub mailbox_id: Option<Uuid>,
    /// The object concerned, by name.
    pub target: String,
    /// Further facts. Never a PIN.
    pub details: BTreeMap<String, String>,
}

impl From<&AuditEvent> for AuditEventView {
    fn from(event: &AuditEvent) -> Self {
        Self {
            id: event.id.0,
            time: time_text(Some(event.at)),
            actor: event.actor.clone(),
            actor_kind: event.actor_kind.as_str().to_owned(),
            role: event.role.clone(),
            channel: event.channel.as_str().to_owned(),
            source: event.source.clone(),
            action: event.action.as_str().to_owned(),
            mailbox_id: event.mailbox_id.map(|id| id.0),
            target: event.target.clone(),
            details: event.details.clone(),
        }
    }
}

/// Filters of the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct AuditListQuery {
    /// Only events about this mailbox (any identity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// Only this action (mailboxEnabled, pinSet, signInFailed ...); `type` works too.
    #[serde(alias = "type")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Only by this actor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Only at or after this time (RFC 3339); `from` works too.
    #[serde(alias = "from")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Only before this time (RFC 3339); `to` works too.
    #[serde(alias = "to")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// At most this many, 1-1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl From<AuditListQuery> for AuditFilter {
    fn from(query: AuditListQuery) -> Self {
        Self {
            mailbox: query.mailbox,
            action: query.action,
            actor: query.actor,
            channel: None,
            since: query.since,
            until: query.until,
            limit: query.limit,
            before: None,
        }
    }
}
