//! The service itself: whether it is ready, and the mail queue (its figures, its messages,
//! and putting a failed message back), so no front end reads the store for them.

use crate::access::{Operation, Target};
use crate::context::RequestContext;
use crate::error::{Error, InvalidValue, ObjectKind, Result};
use crate::ids::MailId;
use crate::ports::{MailQueueStats, MailRecord};

use super::VoicePin;

impl VoicePin {
    /// Whether the store answers: one indexed lookup of a name no dial plan can have (names
    /// are trimmed). For readiness probes.
    pub async fn check_ready(&self, context: &RequestContext) -> Result<()> {
        context.authorize(Operation::ViewMailQueue, Target::Any)?;
        self.store.dial_plan_by_name(" readiness probe ").await?;
        Ok(())
    }

    /// The figures of the mail queue: how many messages wait or failed, and the oldest wait.
    pub async fn mail_queue_stats(&self, context: &RequestContext) -> Result<MailQueueStats> {
        context.authorize(Operation::ViewMailQueue, Target::Any)?;
        Ok(self.store.mail_queue_stats().await?)
    }

    /// The messages of the mail queue, oldest first: those waiting or failed, and with
    /// `include_sent` the sent ones too; at most `limit`.
    pub async fn mail_queue(
        &self,
        context: &RequestContext,
        include_sent: bool,
        limit: u32,
    ) -> Result<Vec<MailRecord>> {
        context.authorize(Operation::ViewMailQueue, Target::Any)?;
        Ok(self.store.mail_records(include_sent, limit).await?)
    }

    /// Puts a failed (or waiting) message, by its id, back in the queue, due now.
    pub async fn requeue_mail(&self, context: &RequestContext, id: &str) -> Result<()> {
        context.authorize(Operation::ManageMailQueue, Target::Any)?;
        let mail_id: MailId = id
            .trim()
            .parse()
            .map_err(|_| InvalidValue::new("Id", "a message id from `voicepin mail queue`", id.to_owned()))?;
        if self.store.requeue_mail(mail_id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(Error::NotFound { kind: ObjectKind::Mail, identity: id.to_owned() })
        }
    }
}
