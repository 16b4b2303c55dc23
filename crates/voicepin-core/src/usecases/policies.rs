//! New-, Get-, Set- and Remove-UMMailboxPolicy.

use crate::access::{Operation, Target};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::error::{Error, ObjectKind, Result};
use crate::policy::{
    DialPlan, ExtendedChecks, MailboxPolicy, MaxLogonAttempts, MinPinLength, ObjectName, PinHistoryCount, PinLifetime,
    PinResetThreshold, PolicyText,
};
use crate::ports::{Change, Write};

use super::{VoicePin, retry_on_conflict};

/// The extended PIN checks to switch on or off; `None` leaves one as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExtendedSettings {
    /// BlockExtensionInPin.
    pub block_extension_in_pin: Option<bool>,
    /// BlockNameOnKeypad.
    pub block_name_on_keypad: Option<bool>,
    /// BlockRepeatedGroups.
    pub block_repeated_groups: Option<bool>,
    /// RequireThreeDistinctDigits.
    pub require_three_distinct_digits: Option<bool>,
    /// BlockDigitRuns.
    pub block_digit_runs: Option<bool>,
    /// BlockKeypadLines.
    pub block_keypad_lines: Option<bool>,
    /// BlockCommonPins.
    pub block_common_pins: Option<bool>,
    /// BlockReversedHistory.
    pub block_reversed_history: Option<bool>,
}

impl ExtendedSettings {
    fn apply(&self, checks: &mut ExtendedChecks) {
        let pairs = [
            (self.block_extension_in_pin, &mut checks.block_extension_in_pin),
            (self.block_name_on_keypad, &mut checks.block_name_on_keypad),
            (self.block_repeated_groups, &mut checks.block_repeated_groups),
            (self.require_three_distinct_digits, &mut checks.require_three_distinct_digits),
            (self.block_digit_runs, &mut checks.block_digit_runs),
            (self.block_keypad_lines, &mut checks.block_keypad_lines),
            (self.block_common_pins, &mut checks.block_common_pins),
            (self.block_reversed_history, &mut checks.block_reversed_history),
        ];
        for (setting, check) in pairs {
            if let Some(on) = setting {
                *check = on;
            }
        }
    }
}

/// The settings of a UM mailbox policy (Set-UMMailboxPolicy); `None` leaves one as it is.
#[derive(Clone, Debug, Default)]
pub struct PolicySettings {
    /// Name.
    pub name: Option<String>,
    /// MinPINLength, 4-24.
    pub min_pin_length: Option<u32>,
    /// PINLifetime, 1-999 days or Unlimited.
    pub pin_lifetime: Option<PinLifetime>,
    /// PINHistoryCount, 1-20.
    pub pin_history_count: Option<u32>,
    /// AllowCommonPatterns.
    pub allow_common_patterns: Option<bool>,
    /// LogonFailuresBeforePINReset, 1-998 or Unlimited, below MaxLogonAttempts.
    pub logon_failures_before_pin_reset: Option<PinResetThreshold>,
    /// MaxLogonAttempts, 1-999.
    pub max_logon_attempts: Option<u32>,
    /// ResetPINText, at most 512 characters.
    pub reset_pin_text: Option<String>,
    /// UMEnabledText, at most 512 characters.
    pub um_enabled_text: Option<String>,
    /// AllowSubscriberAccess.
    pub allow_subscriber_access: Option<bool>,
    /// AllowPinlessVoiceMailAccess.
    pub allow_pinless_voice_mail_access: Option<bool>,
    /// The extended checks.
    pub extended: ExtendedSettings,
}

impl PolicySettings {
    /// Applies the settings, checking each range and then the settings together.
    fn apply(&self, policy: &mut MailboxPolicy) -> Result<()> {
        if let Some(name) = &self.name {
            policy.name = ObjectName::parse("Name", name)?;
        }
        let pin = &mut policy.pin;
        if let Some(length) = self.min_pin_length {
            pin.min_pin_length = MinPinLength::new(length)?;
        }
        if let Some(lifetime) = self.pin_lifetime {
            pin.pin_lifetime = lifetime;
        }
        if let Some(count) = self.pin_history_count {
            pin.pin_history_count = PinHistoryCount::new(count)?;
        }
        if let Some(allow) = self.allow_common_patterns {
            pin.allow_common_patterns = allow;
        }
        if let Some(threshold) = self.logon_failures_before_pin_reset {
            pin.logon_failures_before_pin_reset = threshold;
        }
        if let Some(attempts) = self.max_logon_attempts {
            pin.max_logon_attempts = MaxLogonAttempts::new(attempts)?;
        }
        self.extended.apply(&mut pin.extended);
        pin.check_consistency()?;
        if let Some(text) = &self.reset_pin_text {
            policy.reset_pin_text = PolicyText::parse("ResetPINText", text)?;
        }
        if let Some(text) = &self.um_enabled_text {
            policy.um_enabled_text = PolicyText::parse("UMEnabledText", text)?;
        }
        if let Some(allow) = self.allow_subscriber_access {
            policy.allow_subscriber_access = allow;
        }
        if let Some(allow) = self.allow_pinless_voice_mail_access {
            policy.allow_pinless_voice_mail_access = allow;
        }
        Ok(())
    }
}

/// A policy as a screen shows it (Get-UMMailboxPolicy): with its dial plan, and so its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDetails {
    /// The policy.
    pub policy: MailboxPolicy,
    /// Its dial plan.
    pub dial_plan: DialPlan,
}

/// New-UMMailboxPolicy.
#[derive(Clone, Debug)]
pub struct NewPolicy {
    /// Name, unique.
    pub name: String,
    /// UMDialPlan: the dial plan's name or id.
    pub dial_plan: String,
    /// Settings other than the defaults.
    pub settings: PolicySettings,
}

impl VoicePin {
    /// New-UMMailboxPolicy: a policy with Exchange's defaults, then any settings given.
    pub async fn new_policy(&self, context: &RequestContext, request: NewPolicy) -> Result<PolicyDetails> {
        context.authorize(Operation::ManagePolicies, Target::Any)?;
        let plan = self.resolve_dial_plan(&request.dial_plan).await?;
        let mut policy = MailboxPolicy::with_defaults(ObjectName::parse("Name", &request.name)?, plan.id);
        request.settings.apply(&mut policy)?;
        let event = AuditEvent::new(context, self.clock.now(), AuditAction::PolicyCreated, policy.name.as_str())
            .with("umDialPlan", plan.name.as_str());
        let change =
            Change { writes: vec![Write::InsertPolicy(policy.clone())], audit: vec![event], ..Change::default() };
        self.commit(change).await?;
        policy.revision = policy.revision.next();
        Ok(PolicyDetails { policy, dial_plan: plan })
    }

    /// Get-UMMailboxPolicy for one policy, with its dial plan.
    pub async fn get_policy(&self, context: &RequestContext, identity: &str) -> Result<PolicyDetails> {
        context.authorize(Operation::ViewConfiguration, Target::Any)?;
        let policy = self.resolve_policy(identity).await?;
        self.policy_details(policy).await
    }

    /// Get-UMMailboxPolicy without an identity: every policy, or those of one dial plan, by
    /// name, each with its dial plan.
    pub async fn list_policies(&self, context: &RequestContext, dial_plan: Option<&str>) -> Result<Vec<PolicyDetails>> {
        context.authorize(Operation::ViewConfiguration, Target::Any)?;
        let plan = match dial_plan {
            Some(identity) => Some(self.resolve_dial_plan(identity).await?.id),
            None => None,
        };
        let plans = self.store.dial_plans().await?;
        let policies = self.store.policies(plan).await?;
        // A policy whose plan vanished between the two reads is left out, as if read after.
        Ok(policies
            .into_iter()
            .filter_map(|policy| {
                let dial_plan = plans.iter().find(|p| p.id == policy.dial_plan_id)?.clone();
                Some(PolicyDetails { policy, dial_plan })
            })
            .collect())
    }

    async fn policy_details(&self, policy: MailboxPolicy) -> Result<PolicyDetails> {
        let dial_plan = self.resolve_dial_plan(&policy.dial_plan_id.to_string()).await?;
        Ok(PolicyDetails { policy, dial_plan })
    }

    /// Set-UMMailboxPolicy. Changes apply to every mailbox of the policy at its next sign-in.
    pub async fn set_policy(
        &self,
        context: &RequestContext,
        identity: &str,
        settings: PolicySettings,
    ) -> Result<PolicyDetails> {
        context.authorize(Operation::ManagePolicies, Target::Any)?;
        let policy = retry_on_conflict!(self.try_set_policy(context, identity, &settings).await)?;
        self.policy_details(policy).await
    }

    async fn try_set_policy(
        &self,
        context: &RequestContext,
        identity: &str,
        settings: &PolicySettings,
    ) -> Result<MailboxPolicy> {
        let before = self.resolve_policy(identity).await?;
        let mut policy = before.clone();
        settings.apply(&mut policy)?;
        let mut event = AuditEvent::new(context, self.clock.now(), AuditAction::PolicyChanged, policy.name.as_str());
        for (name, value) in changed_settings(&before, &policy) {
            event = event.with(name, value);
        }
        let change =
            Change { writes: vec![Write::UpdatePolicy(policy.clone())], audit: vec![event], ..Change::default() };
        self.commit(change).await?;
        policy.revision = policy.revision.next();
        Ok(policy)
    }

    /// Remove-UMMailboxPolicy: refused while a mailbox uses the policy.
    pub async fn remove_policy(&self, context: &RequestContext, identity: &str) -> Result<()> {
        context.authorize(Operation::ManagePolicies, Target::Any)?;
        retry_on_conflict!(self.try_remove_policy(context, identity).await)
    }

    async fn try_remove_policy(&self, context: &RequestContext, identity: &str) -> Result<()> {
        let policy = self.resolve_policy(identity).await?;
        let mailboxes = self.store.count_mailboxes_with_policy(policy.id).await?;
        if mailboxes > 0 {
            return Err(Error::InUse {
                kind: ObjectKind::Policy,
                identity: policy.name.to_string(),
                by: format!("{mailboxes} mailbox(es)"),
            });
        }
        let event = AuditEvent::new(context, self.clock.now(), AuditAction::PolicyRemoved, policy.name.as_str());
        let change = Change {
            writes: vec![Write::DeletePolicy(policy.id, policy.revision)],
            audit: vec![event],
            ..Change::default()
        };
        self.commit(change).await.map_err(|e| e.in_use(ObjectKind::Policy, policy.name.as_str()))
    }
}

/// The settings that differ, by Exchange's camelCase name, with their new values (texts are
/// only marked as changed).
fn changed_settings(before: &MailboxPolicy, after: &MailboxPolicy) -> Vec<(&'static str, String)> {
    let (b, a) = (&before.pin, &after.pin);
    let mut changed = Vec::new();
    let mut note = |name: &'static str, differs: bool, value: String| {
        if differs {
            changed.push((name, value));
        }
    };
    note("name", before.name != after.name, after.name.to_string());
    note("minPinLength", b.min_pin_length != a.min_pin_length, a.min_pin_length.to_string());
    note("pinLifetime", b.pin_lifetime != a.pin_lifetime, a.pin_lifetime.to_string());
    note("pinHistoryCount", b.pin_history_count != a.pin_history_count, a.pin_history_count.to_string());
    note(
        "allowCommonPatterns",
        b.allow_common_patterns != a.allow_common_patterns,
        a.allow_common_patterns.to_string(),
    );
    note(
        "logonFailuresBeforePinReset",
        b.logon_failures_before_pin_reset != a.logon_failures_before_pin_reset,
        a.logon_failures_before_pin_reset.to_string(),
    );
    note("maxLogonAttempts", b.max_logon_attempts != a.max_logon_attempts, a.max_logon_attempts.to_string());
    note("extendedChecks", b.extended != a.extended, format!("{:?}", a.extended));
    note("resetPinText", before.reset_pin_text != after.reset_pin_text, "changed".into());
    note("umEnabledText", before.um_enabled_text != after.um_enabled_text, "changed".into());
    note(
        "allowSubscriberAccess",
        before.allow_subscriber_access != after.allow_subscriber_access,
        after.allow_subscriber_access.to_string(),
    );
    note(
        "allowPinlessVoiceMailAccess",
        before.allow_pinless_voice_mail_access != after.allow_pinless_voice_mail_access,
        after.allow_pinless_voice_mail_access.to_string(),
    );
    changed
}
