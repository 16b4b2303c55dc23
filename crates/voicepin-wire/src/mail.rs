//! The mail outbox's records as `voicepin mail queue --json` prints them (metadata only,
//! never a body: bodies carry PINs).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use voicepin_core::ports::{MailRecord, MailStatus};

use crate::time_text;

/// A queued message's metadata.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailRecordView {
    /// The id (`voicepin mail retry ID`).
    pub id: Uuid,
    /// The mailbox it is about.
    pub mailbox_id: Uuid,
    /// The recipient.
    pub to: String,
    /// What it says (welcome, pinReset, pinChanged ...).
    pub kind: String,
    /// queued, sent or failed.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_time: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_time: Option<String>,
    /// When it was sent.
    pub sent_time: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<&MailRecord> for MailRecordView {
    fn from(record: &MailRecord) -> Self {
        let status = match record.status {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        };
        Self {
            id: record.id.0,
            mailbox_id: record.mailbox_id.0,
            to: record.to.clone(),
            kind: record.kind.clone(),
            status: status.to_owned(),
            attempts: record.attempts,
            created_time: time_text(Some(record.created_at)),
            next_attempt_time: time_text(Some(record.next_attempt_at)),
            sent_time: time_text(record.sent_at),
            last_error: record.last_error.clone(),
        }
    }
}
