//! New-, Get-, Set- and Remove-UMDialPlan.

use crate::access::{Operation, Target};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::error::{Error, ObjectKind, Result};
use crate::ids::{DialPlanId, Revision};
use crate::policy::{
    AccessNumber, DialPlan, ExtensionLength, InputFailuresBeforeDisconnect, LogonFailuresBeforeDisconnect,
    MailboxPolicy, ObjectName,
};
use crate::ports::{Change, Write};

use super::{VoicePin, retry_on_conflict};

/// The settings of a dial plan; `None` leaves a setting as it is (or at its default).
#[derive(Clone, Debug, Default)]
pub struct DialPlanSettings {
    /// Name.
    pub name: Option<String>,
    /// NumberOfDigitsInExtension, 1-20.
    pub number_of_digits_in_extension: Option<u32>,
    /// AccessTelephoneNumbers: replaces the list.
    pub access_telephone_numbers: Option<Vec<String>>,
    /// LogonFailuresBeforeDisconnect, 1-20.
    pub logon_failures_before_disconnect: Option<u32>,
    /// InputFailuresBeforeDisconnect, 1-20.
    pub input_failures_before_disconnect: Option<u32>,
}

/// New-UMDialPlan.
#[derive(Clone, Debug)]
pub struct NewDialPlan {
    /// Name, unique.
    pub name: String,
    /// NumberOfDigitsInExtension (required) and the other settings.
    pub settings: DialPlanSettings,
    /// GenerateUMMailboxPolicy: also create "<name> Default Policy" (Exchange's default).
    pub generate_policy: bool,
}

impl DialPlanSettings {
    fn apply(&self, plan: &mut DialPlan) -> Result<()> {
        if let Some(name) = &self.name {
            plan.name = ObjectName::parse("Name", name)?;
        }
        if let Some(digits) = self.number_of_digits_in_extension {
            plan.extension_length = ExtensionLength::new(digits)?;
        }
        if let Some(numbers) = &self.access_telephone_numbers {
            plan.access_numbers = numbers
                .iter()
                .filter(|n| !n.trim().is_empty())
                .map(|n| AccessNumber::parse(n))
                .collect::<Result<_, _>>()?;
        }
        if let Some(limit) = self.logon_failures_before_disconnect {
            plan.logon_failures_before_disconnect = LogonFailuresBeforeDisconnect::new(limit)?;
        }
        if let Some(limit) = self.input_failures_before_disconnect {
            plan.input_failures_before_disconnect = InputFailuresBeforeDisconnect::new(limit)?;
        }
        Ok(())
    }
}

impl VoicePin {
    /// New-UMDialPlan: creates a dial plan and, unless told not to, its default policy.
    pub async fn new_dial_plan(
        &self,
        context: &RequestContext,
        request: NewDialPlan,
    ) -> Result<(DialPlan, Option<MailboxPolicy>)> {
        context.authorize(Operation::ManageDialPlans, Target::Any)?;
        let digits = request.settings.number_of_digits_in_extension.ok_or_else(|| {
            crate::error::InvalidValue::new(ExtensionLength::FIELD, "1 to 20 (required)", "nothing".to_owned())
        })?;
        let mut plan = DialPlan {
            id: DialPlanId::new_random(),
            revision: Revision::NEW,
            name: ObjectName::parse("Name", &request.name)?,
            extension_length: ExtensionLength::new(digits)?,
            access_numbers: Vec::new(),
            logon_failures_before_disconnect: LogonFailuresBeforeDisconnect::default(),
            input_failures_before_disconnect: InputFailuresBeforeDisconnect::default(),
        };
        request.settings.apply(&mut plan)?;
        let now = self.clock.now();
        let mut change = Change::default();
        change.writes.push(Write::InsertDialPlan(plan.clone()));
        change.audit.push(
            AuditEvent::new(context, now, AuditAction::DialPlanCreated, plan.name.as_str())
                .with("numberOfDigitsInExtension", plan.extension_length),
        );
        let policy = if request.generate_policy {
            let name = ObjectName::parse("Name", &default_policy_name(plan.name.as_str()))?;
            let policy = MailboxPolicy::with_defaults(name, plan.id);
            change.writes.push(Write::InsertPolicy(policy.clone()));
            change.audit.push(
                AuditEvent::new(context, now, AuditAction::PolicyCreated, policy.name.as_str())
                    .with("umDialPlan", plan.name.as_str()),
            );
            Some(policy)
        } else {
            None
        };
        self.commit(change).await?;
        plan.revision = plan.revision.next();
        Ok((plan, policy.map(|p| MailboxPolicy { revision: p.revision.next(), ..p })))
    }

    /// Get-UMDialPlan for one dial plan.
    pub async fn get_dial_plan(&self, context: &RequestContext, identity: &str) -> Result<DialPlan> {
        context.authorize(Operation::ViewConfiguration, Target::Any)?;
        self.resolve_dial_plan(identity).await
    }

    /// Get-UMDialPlan without an identity: every dial plan.
    pub async fn list_dial_plans(&self, context: &RequestContext) -> Result<Vec<DialPlan>> {
        context.authorize(Operation::ViewConfiguration, Target::Any)?;
        Ok(self.store.dial_plans().await?)
    }

    /// Set-UMDialPlan. The extension length cannot change while mailboxes use the plan.
    pub async fn set_dial_plan(
        &self,
        context: &RequestContext,
        identity: &str,
        settings: DialPlanSettings,
    ) -> Result<DialPlan> {
        context.authorize(Operation::ManageDialPlans, Target::Any)?;
        retry_on_conflict!(self.try_set_dial_plan(context, identity, &settings).await)
    }

    async fn try_set_dial_plan(
        &self,
        context: &RequestContext,
        identity: &str,
        settings: &DialPlanSettings,
    ) -> Result<DialPlan> {
        let before = self.resolve_dial_plan(identity).await?;
        let mut plan = before.clone();
        settings.apply(&mut plan)?;
        if plan.extension_length != before.extension_length {
            let mailboxes = self.store.count_mailboxes_in_dial_plan(plan.id).await?;
            if mailboxes > 0 {
                return Err(Error::InUse {
                    kind: ObjectKind::DialPlan,
                    identity: before.name.to_string(),
                    by: format!("{mailboxes} mailbox(es), whose extensions have {} digits", before.extension_length),
                });
            }
        }
        let mut event = AuditEvent::new(context, self.clock.now(), AuditAction::DialPlanChanged, plan.name.as_str());
        for (name, changed) in [
            ("name", plan.name != before.name),
            ("numberOfDigitsInExtension", plan.extension_length != before.extension_length),
            ("accessTelephoneNumbers", plan.access_numbers != before.access_numbers),
            (
                "logonFailuresBeforeDisconnect",
                plan.logon_failures_before_disconnect != before.logon_failures_before_disconnect,
            ),
            (
                "inputFailuresBeforeDisconnect",
                plan.input_failures_before_disconnect != before.input_failures_before_disconnect,
            ),
        ] {
            if changed {
                event = event.with(name, "changed");
            }
        }
        let change =
            Change { writes: vec![Write::UpdateDialPlan(plan.clone())], audit: vec![event], ..Change::default() };
        self.commit(change).await?;
        plan.revision = plan.revision.next();
        Ok(plan)
    }

    /// Remove-UMDialPlan: refused while mailboxes are in it; its unused policies go with it.
    pub async fn remove_dial_plan(&self, context: &RequestContext, identity: &str) -> Result<()> {
        context.authorize(Operation::ManageDialPlans, Target::Any)?;
        retry_on_conflict!(self.try_remove_dial_plan(context, identity).await)
    }

    async fn try_remove_dial_plan(&self, context: &RequestContext, identity: &str) -> Result<()> {
        let plan = self.resolve_dial_plan(identity).await?;
        let mailboxes = self.store.count_mailboxes_in_dial_plan(plan.id).await?;
        if mailboxes > 0 {
            return Err(Error::InUse {
                kind: ObjectKind::DialPlan,
                identity: plan.name.to_string(),
                by: format!("{mailboxes} mailbox(es)"),
            });
        }
        let policies = self.store.policies(Some(plan.id)).await?;
        let now = self.clock.now();
        let mut change = Change::default();
        for policy in &policies {
            change.writes.push(Write::DeletePolicy(policy.id, policy.revision));
            change.audit.push(AuditEvent::new(context, now, AuditAction::PolicyRemoved, policy.name.as_str()));
        }
        change.writes.push(Write::DeleteDialPlan(plan.id, plan.revision));
        change.audit.push(AuditEvent::new(context, now, AuditAction::DialPlanRemoved, plan.name.as_str()));
        self.commit(change).await.map_err(|e| e.in_use(ObjectKind::DialPlan, plan.name.as_str()))
    }
}

/// The name Exchange gives the policy New-UMDialPlan generates.
fn default_policy_name(dial_plan: &str) -> String {
    let suffix = " Default Policy";
    let room = crate::policy::MAX_NAME_LENGTH - suffix.len();
    let base: String = dial_plan.chars().take(room).collect();
    format!("{base}{suffix}")
}
