//! Enable-, Disable-, Get- and Set-UMMailbox.

use crate::access::{Operation, Target};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::error::{Error, InvalidValue, Result};
use crate::ids::{MailboxId, Revision};
use crate::mailbox::{E164Number, Extension, Mailbox, PinState, SmtpAddress};
use crate::notify::{Notification, OutboundMail};
use crate::pin::Pin;
use crate::policy::{DialPlan, MailboxPolicy};
use crate::ports::{Change, MailboxLookup, Write};

use super::pins::pin_info;
use super::{PinInfo, VoicePin, retry_on_conflict};

/// Enable-UMMailbox.
#[derive(Clone, Debug, Default)]
pub struct EnableMailbox {
    /// Identity: the primary SMTP address (or, to re-enable, any identity of a mailbox
    /// disabled with its properties kept).
    pub identity: String,
    /// UMMailboxPolicy: name or id (required for a new mailbox).
    pub policy: Option<String>,
    /// Extensions, the primary one first (required for a new mailbox).
    pub extensions: Vec<String>,
    /// PIN: the initial PIN; generated when omitted.
    pub pin: Option<Pin>,
    /// PINExpired: default true.
    pub pin_expired: Option<bool>,
    /// NotifyEmail: where the welcome message goes instead of the mailbox.
    pub notify_email: Option<String>,
    /// The other properties.
    pub properties: MailboxSettings,
    /// ValidateOnly: check everything, change nothing.
    pub validate_only: bool,
}

/// The properties of a mailbox (Set-UMMailbox); `None` leaves one as it is.
#[derive(Clone, Debug, Default)]
pub struct MailboxSettings {
    /// Display name.
    pub display_name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Alias.
    pub alias: Option<String>,
    /// Extensions, the primary first: replaces the list.
    pub extensions: Option<Vec<String>>,
    /// Phone numbers in E.164 form: replaces the list.
    pub phone_numbers: Option<Vec<String>>,
    /// UMMailboxPolicy: name or id; moving to another dial plan re-checks the extensions.
    pub policy: Option<String>,
    /// SubscriberAccessEnabled.
    pub subscriber_access_enabled: Option<bool>,
    /// PinlessAccessToVoiceMailEnabled.
    pub pinless_access_to_voice_mail_enabled: Option<bool>,
}

/// A mailbox as a screen shows it (Get-UMMailbox): with its policy and dial plan (and so
/// their names) and its PIN state under that policy now.
#[derive(Clone, Debug)]
pub struct MailboxDetails {
    /// The mailbox.
    pub mailbox: Mailbox,
    /// Its policy.
    pub policy: MailboxPolicy,
    /// Its dial plan.
    pub dial_plan: DialPlan,
    /// Its PIN state: set, expiry and last sign-in dates, counters, lock state.
    pub pin: PinInfo,
}

/// A mailbox with its policy and plan, and its PIN state under that policy at `now`.
fn details(mailbox: Mailbox, policy: MailboxPolicy, dial_plan: DialPlan, now: time::OffsetDateTime) -> MailboxDetails {
    let pin = pin_info(&mailbox, &policy.pin, now);
    MailboxDetails { mailbox, policy, dial_plan, pin }
}

/// The details of a mailbox read in a list, with the policies and plans read once for the
/// page; `None` when its policy or plan vanished in between.
pub(super) fn details_of(
    mailbox: Mailbox,
    policies: &[MailboxPolicy],
    plans: &[DialPlan],
    now: time::OffsetDateTime,
) -> Option<MailboxDetails> {
    let policy = policies.iter().find(|p| p.id == mailbox.policy_id)?.clone();
    let dial_plan = plans.iter().find(|p| p.id == mailbox.dial_plan_id)?.clone();
    Some(details(mailbox, policy, dial_plan, now))
}

const MAX_NAME: usize = 256;

fn checked_name(field: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > MAX_NAME || text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        let shown: String = text.chars().take(80).flat_map(char::escape_default).collect();
        return Err(
            InvalidValue::new(field, "at most 256 characters, no control or text-direction characters", shown).into()
        );
    }
    Ok(text.to_owned())
}

/// The characters that reorder the text around them (U+202A-U+202E, U+2066-U+2069, the
/// marks U+200E/U+200F, U+061C): a name with one can show as another name.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The most extensions (and phone numbers) one mailbox may have: Exchange allows several
/// per mailbox (a desk and a mobile number, say), never thousands.
const MAX_EXTENSIONS: usize = 32;

fn checked_extensions(texts: &[String], plan: &DialPlan) -> Result<Vec<Extension>> {
    if texts.len() > MAX_EXTENSIONS {
        return Err(InvalidValue::new(
            Extension::FIELD,
            &format!("at most {MAX_EXTENSIONS} extensions"),
            format!("{} extensions", texts.len()),
        )
        .into());
    }
    let mut extensions: Vec<Extension> = Vec::with_capacity(texts.len());
    for text in texts.iter().filter(|t| !t.trim().is_empty()) {
        let extension = Extension::parse(text, plan.extension_length)?;
        if !extensions.contains(&extension) {
            extensions.push(extension);
        }
    }
    if extensions.is_empty() {
        return Err(InvalidValue::new(
            Extension::FIELD,
            &format!("at least one extension of {} digits", plan.extension_length),
            "nothing".to_owned(),
        )
        .into());
    }
    Ok(extensions)
}

impl MailboxSettings {
    /// Applies the properties; `policy`/`plan` are the mailbox's (possibly new) policy and plan.
    fn apply(&self, mailbox: &mut Mailbox, policy: &MailboxPolicy, plan: &DialPlan) -> Result<()> {
        if let Some(name) = &self.display_name {
            mailbox.display_name = checked_name("DisplayName", name)?;
        }
        if let Some(name) = &self.first_name {
            mailbox.first_name = checked_name("FirstName", name)?;
        }
        if let Some(name) = &self.last_name {
            mailbox.last_name = checked_name("LastName", name)?;
        }
        if let Some(alias) = &self.alias {
            let alias = checked_name("Alias", alias)?;
            if alias.is_empty() || alias.contains('@') || alias.contains(char::is_whitespace) {
                return Err(InvalidValue::new("Alias", "a name without spaces or @", alias).into());
            }
            mailbox.alias = alias.to_lowercase();
        }
        let moved = mailbox.dial_plan_id != plan.id;
        mailbox.policy_id = policy.id;
        mailbox.dial_plan_id = plan.id;
        match &self.extensions {
            Some(texts) => mailbox.extensions = checked_extensions(texts, plan)?,
            None if moved => {
                let current: Vec<String> = mailbox.extension_strings();
                mailbox.extensions = checked_extensions(&current, plan)?;
            }
            None => {}
        }
        if let Some(numbers) = &self.phone_numbers {
            if numbers.len() > MAX_EXTENSIONS {
                return Err(InvalidValue::new(
                    "PhoneNumbers",
                    &format!("at most {MAX_EXTENSIONS} numbers"),
                    format!("{} numbers", numbers.len()),
                )
                .into());
            }
            mailbox.phone_numbers = numbers
                .iter()
                .filter(|n| !n.trim().is_empty())
                .map(|n| E164Number::parse(n))
                .collect::<Result<_, _>>()?;
        }
        if let Some(enabled) = self.subscriber_access_enabled {
            mailbox.subscriber_access_enabled = enabled;
        }
        if let Some(enabled) = self.pinless_access_to_voice_mail_enabled {
            mailbox.pinless_access_to_voice_mail_enabled = enabled;
        }
        Ok(())
    }
}

impl VoicePin {
    /// Enable-UMMailbox: enables a mailbox for voice access with an initial PIN (generated
    /// unless given) and queues the welcome message with it. Returns the mailbox as a screen
    /// shows it (with ValidateOnly, as it would be: not enabled, nothing stored).
    pub async fn enable_mailbox(&self, context: &RequestContext, request: EnableMailbox) -> Result<MailboxDetails> {
        context.authorize(Operation::ManageMailboxes, Target::Any)?;
        retry_on_conflict!(self.try_enable_mailbox(context, &request).await)
    }

    async fn try_enable_mailbox(&self, context: &RequestContext, request: &EnableMailbox) -> Result<MailboxDetails> {
        let now = self.clock.now();
        let existing = match self.resolve_mailbox(&request.identity).await {
            Ok(mailbox) if mailbox.um_enabled => {
                return Err(Error::AlreadyUmEnabled(mailbox.smtp_address.to_string()));
            }
            Ok(mailbox) => Some(mailbox),
            Err(Error::NotFound { .. }) => None,
            Err(other) => return Err(other),
        };
        let policy = match (&request.policy, &existing) {
            (Some(identity), _) => self.resolve_policy(identity).await?,
            (None, Some(mailbox)) => self.policy_and_plan(mailbox).await?.0,
            (None, None) => {
                return Err(InvalidValue::new(
                    "UMMailboxPolicy",
                    "the name of a UM mailbox policy (required)",
                    "nothing".into(),
                )
                .into());
            }
        };
        let plan = self.resolve_dial_plan(&policy.dial_plan_id.to_string()).await?;
        let mut mailbox = match existing.clone() {
            Some(mailbox) => mailbox,
            None => new_mailbox(&request.identity, &policy, &plan, now)?,
        };
        let mut properties = request.properties.clone();
        if !request.extensions.is_empty() {
            properties.extensions = Some(request.extensions.clone());
        }
        properties.apply(&mut mailbox, &policy, &plan)?;
        if mailbox.extensions.is_empty() {
            checked_extensions(&[], &plan)?;
        }
        let notify = request.notify_email.as_deref().map(|to| SmtpAddress::parse("NotifyEmail", to)).transpose()?;

        let pin = match &request.pin {
            Some(pin) => {
                self.check_new_pin(pin, &mailbox, &policy).await?;
                pin.clone()
            }
            None => self.generate_for(&mailbox, &policy).await?,
        };
        let change_required = request.pin_expired.unwrap_or(true);
        if request.validate_only {
            self.check_extensions_free(&mailbox).await?;
            return Ok(details(mailbox, policy, plan, now));
        }
        mailbox.um_enabled = true;
        mailbox.pin.install(self.hash(&pin).await?, change_required, now);
        mailbox.pin.first_time_user = true;
        mailbox.pin.locked_out = false;
        mailbox.pin.clear_failures();

        let mail = OutboundMail::new(
            &mailbox,
            &plan,
            notify.as_ref(),
            Notification::Welcome { pin, change_required, um_enabled_text: policy.um_enabled_text.as_str().to_owned() },
            now,
        );
        let mut event = AuditEvent::new(context, now, AuditAction::MailboxEnabled, mailbox.smtp_address.as_str())
            .for_mailbox(mailbox.id)
            .with("umMailboxPolicy", policy.name.as_str())
            .with("extensions", mailbox.extension_strings().join(","))
            .with("pinGenerated", request.pin.is_none())
            .with("pinExpired", change_required);
        if let Some(to) = &notify {
            event = event.with("notifyEmail", to);
        }
        let write = if existing.is_some() {
            Write::UpdateMailbox(mailbox.clone())
        } else {
            Write::InsertMailbox(mailbox.clone())
        };
        self.commit(Change { writes: vec![write], mail: vec![mail], audit: vec![event] }).await?;
        mailbox.revision = mailbox.revision.next();
        Ok(details(mailbox, policy, plan, now))
    }

    /// Refuses extensions another mailbox of the dial plan has. The store enforces this at
    /// commit; ValidateOnly, which never commits, asks here.
    async fn check_extensions_free(&self, mailbox: &Mailbox) -> Result<()> {
        for extension in &mailbox.extensions {
            let lookup = MailboxLookup::Extension {
                dial_plan: Some(mailbox.dial_plan_id),
                extension: extension.as_str().to_owned(),
            };
            let taken = self.store.find_mailboxes(&lookup).await?.iter().any(|other| other.id != mailbox.id);
            if taken {
                return Err(Error::AlreadyExists { field: Extension::FIELD, value: extension.as_str().to_owned() });
            }
        }
        Ok(())
    }

    /// Disable-UMMailbox. With `keep_properties` (Exchange's default) the mailbox keeps its
    /// settings and PIN history for a later Enable-UMMailbox; without, it is removed entirely.
    pub async fn disable_mailbox(&self, context: &RequestContext, identity: &str, keep_properties: bool) -> Result<()> {
        context.authorize(Operation::ManageMailboxes, Target::Any)?;
        retry_on_conflict!(self.try_disable_mailbox(context, identity, keep_properties).await)
    }

    async fn try_disable_mailbox(&self, context: &RequestContext, identity: &str, keep_properties: bool) -> Result<()> {
        let mut mailbox = self.resolve_mailbox(identity).await?;
        if !mailbox.um_enabled && keep_properties {
            return Err(Error::NotUmEnabled(mailbox.smtp_address.to_string()));
        }
        let event =
            AuditEvent::new(context, self.clock.now(), AuditAction::MailboxDisabled, mailbox.smtp_address.as_str())
                .for_mailbox(mailbox.id)
                .with("keepProperties", keep_properties);
        let write = if keep_properties {
            mailbox.um_enabled = false;
            Write::UpdateMailbox(mailbox)
        } else {
            Write::DeleteMailbox(mailbox.id, mailbox.revision)
        };
        self.commit(Change { writes: vec![write], audit: vec![event], ..Change::default() }).await
    }

    /// Get-UMMailbox for one mailbox.
    pub async fn get_mailbox(&self, context: &RequestContext, identity: &str) -> Result<MailboxDetails> {
        context.authorize(Operation::ViewMailboxes, Target::Any)?;
        self.mailbox_details(identity).await
    }

    /// The signed-in mailbox owner's own mailbox, with its policy and dial plan.
    pub async fn own_mailbox(&self, context: &RequestContext) -> Result<MailboxDetails> {
        context.authorize_any(Operation::ViewOwnMailbox)?;
        let crate::context::Actor::MailboxOwner { mailbox, .. } = &context.actor else {
            return Err(Error::NotFound { kind: crate::error::ObjectKind::Mailbox, identity: "(own)".into() });
        };
        context.authorize(Operation::ViewOwnMailbox, Target::Mailbox(*mailbox))?;
        self.mailbox_details(&mailbox.to_string()).await
    }

    pub(super) async fn mailbox_details(&self, identity: &str) -> Result<MailboxDetails> {
        let mailbox = self.resolve_mailbox(identity).await?;
        let (policy, dial_plan) = self.policy_and_plan(&mailbox).await?;
        Ok(details(mailbox, policy, dial_plan, self.clock.now()))
    }

    /// Set-UMMailbox. Returns the changed mailbox as a screen shows it.
    pub async fn set_mailbox(
        &self,
        context: &RequestContext,
        identity: &str,
        settings: MailboxSettings,
    ) -> Result<MailboxDetails> {
        context.authorize(Operation::ManageMailboxes, Target::Any)?;
        retry_on_conflict!(self.try_set_mailbox(context, identity, &settings).await)
    }

    async fn try_set_mailbox(
        &self,
        context: &RequestContext,
        identity: &str,
        settings: &MailboxSettings,
    ) -> Result<MailboxDetails> {
        let before = self.resolve_mailbox(identity).await?;
        let (policy, plan) = match &settings.policy {
            Some(identity) => {
                let policy = self.resolve_policy(identity).await?;
                let plan = self.resolve_dial_plan(&policy.dial_plan_id.to_string()).await?;
                (policy, plan)
            }
            None => self.policy_and_plan(&before).await?,
        };
        let mut mailbox = before.clone();
        settings.apply(&mut mailbox, &policy, &plan)?;
        let mut event =
            AuditEvent::new(context, self.clock.now(), AuditAction::MailboxChanged, mailbox.smtp_address.as_str())
                .for_mailbox(mailbox.id);
        for (name, changed) in [
            ("displayName", mailbox.display_name != before.display_name),
            ("firstName", mailbox.first_name != before.first_name),
            ("lastName", mailbox.last_name != before.last_name),
            ("alias", mailbox.alias != before.alias),
            ("extensions", mailbox.extensions != before.extensions),
            ("phoneNumbers", mailbox.phone_numbers != before.phone_numbers),
            ("umMailboxPolicy", mailbox.policy_id != before.policy_id),
            ("subscriberAccessEnabled", mailbox.subscriber_access_enabled != before.subscriber_access_enabled),
            (
                "pinlessAccessToVoiceMailEnabled",
                mailbox.pinless_access_to_voice_mail_enabled != before.pinless_access_to_voice_mail_enabled,
            ),
        ] {
            if changed {
                event = event.with(name, "changed");
            }
        }
        self.commit(Change {
            writes: vec![Write::UpdateMailbox(mailbox.clone())],
            audit: vec![event],
            ..Change::default()
        })
        .await?;
        mailbox.revision = mailbox.revision.next();
        Ok(details(mailbox, policy, plan, self.clock.now()))
    }
}

fn new_mailbox(identity: &str, policy: &MailboxPolicy, plan: &DialPlan, now: time::OffsetDateTime) -> Result<Mailbox> {
    let smtp_address = SmtpAddress::parse("Identity", identity)?;
    Ok(Mailbox {
        id: MailboxId::new_random(),
        revision: Revision::NEW,
        alias: smtp_address.local_part().to_owned(),
        display_name: smtp_address.local_part().to_owned(),
        smtp_address,
        first_name: String::new(),
        last_name: String::new(),
        policy_id: policy.id,
        dial_plan_id: plan.id,
        extensions: Vec::new(),
        phone_numbers: Vec::new(),
        um_enabled: false,
        subscriber_access_enabled: true,
        pinless_access_to_voice_mail_enabled: false,
        out_of_office: false,
        pin: PinState::default(),
        created_at: now,
    })
}
