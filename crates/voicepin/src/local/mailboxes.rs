//! `voicepin mailbox` and `voicepin pin` on the local data directory.

use anyhow::Result;
use voicepin_core::VoicePin;
use voicepin_core::audit::RequestContext;
use voicepin_core::signin::SignInOutcome;
use voicepin_core::usecases::{
    EnableMailbox, MAX_PAGE_SIZE, MailboxDetails, MailboxFilter, MailboxSettings, Page, SetPin, SignIn,
};

use crate::cli::{ListOptions, MailboxCommand, MailboxOptions, PinCommand};
use crate::exit::Completion;
use crate::input::{pin_argument, read_pin_line};
use crate::output::{self, print_many, print_one};

fn mailbox_settings(options: MailboxOptions, policy: Option<String>) -> MailboxSettings {
    MailboxSettings {
        display_name: options.display_name,
        first_name: options.first_name,
        last_name: options.last_name,
        alias: options.alias,
        extensions: options.extensions,
        phone_numbers: options.phone_numbers,
        policy,
        subscriber_access_enabled: options.subscriber_access_enabled,
        pinless_access_to_voice_mail_enabled: options.pinless_access_to_voice_mail_enabled,
    }
}

/// The core's filter for a list's options.
fn list_filter(options: &ListOptions) -> MailboxFilter {
    MailboxFilter {
        policy: options.policy.clone(),
        dial_plan: options.dial_plan.clone(),
        search: options.search.clone(),
        locked_out: options.locked_out,
        ..MailboxFilter::default()
    }
}

/// Up to ResultSize items, read a page at a time.
async fn read_pages<T, F>(
    result_size: u32,
    mut filter: MailboxFilter,
    mut page: impl FnMut(MailboxFilter) -> F,
) -> Result<Vec<T>>
where
    F: std::future::Future<Output = voicepin_core::Result<Page<T>>>,
{
    let mut items = Vec::new();
    loop {
        let wanted = result_size.saturating_sub(u32::try_from(items.len()).unwrap_or(u32::MAX));
        if wanted == 0 {
            return Ok(items);
        }
        filter.limit = Some(wanted.min(MAX_PAGE_SIZE));
        let next = page(filter.clone()).await?;
        items.extend(next.items);
        match next.next {
            Some(cursor) => filter.after = Some(cursor),
            None => return Ok(items),
        }
    }
}

fn print_details(json: bool, details: &MailboxDetails) {
    print_one(json, output::mailbox(&details.mailbox, details.policy.name.as_str(), details.dial_plan.name.as_str()));
}

pub(super) async fn run_mailbox(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    command: MailboxCommand,
) -> Result<Completion> {
    match command {
        MailboxCommand::Enable { identity, policy, pin, pin_expired, notify_email, validate_only, mut properties } => {
            let extensions = properties.extensions.take().unwrap_or_default();
            let request = EnableMailbox {
                identity: identity.get(),
                policy,
                extensions,
                pin: pin_argument(pin)?,
                pin_expired,
                notify_email,
                properties: mailbox_settings(properties, None),
                validate_only,
            };
            let mailbox = app.enable_mailbox(context, request).await?;
            if validate_only {
                if !json {
                    eprintln!("voicepin: validation passed; nothing was changed");
                }
                return Ok(Completion::Done);
            }
            print_details(json, &app.get_mailbox(context, &mailbox.id.to_string()).await?);
        }
        MailboxCommand::Disable { identity, keep_properties } => {
            let identity = identity.get();
            app.disable_mailbox(context, &identity, keep_properties).await?
        }
        MailboxCommand::Get { identity, filter } => match identity.get() {
            Some(identity) => print_details(json, &app.get_mailbox(context, &identity).await?),
            None => {
                let mailboxes = read_pages(filter.result_size, list_filter(&filter), |page| async move {
                    app.list_mailboxes(context, &page).await
                })
                .await?;
                let printed = mailboxes
                    .iter()
                    .map(|d| output::mailbox(&d.mailbox, d.policy.name.as_str(), d.dial_plan.name.as_str()))
                    .collect();
                print_many(json, printed);
            }
        },
        MailboxCommand::Set { identity, policy, properties } => {
            let mailbox = app.set_mailbox(context, &identity.get(), mailbox_settings(properties, policy)).await?;
            print_details(json, &app.get_mailbox(context, &mailbox.id.to_string()).await?);
        }
    }
    Ok(Completion::Done)
}

pub(super) async fn run_pin(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    command: PinCommand,
) -> Result<Completion> {
    match command {
        PinCommand::Get { identity, filter } => match identity.get() {
            Some(identity) => print_one(json, output::pin_info(&app.get_pin_info(context, &identity).await?)),
            None => {
                let infos = read_pages(filter.result_size, list_filter(&filter), |page| async move {
                    app.list_pin_info(context, &page).await
                })
                .await?;
                print_many(json, infos.iter().map(output::pin_info).collect());
            }
        },
        PinCommand::Set { identity, pin, pin_expired, locked_out, send_email, notify_email } => {
            let identity = identity.get();
            let request = SetPin { pin: pin_argument(pin)?, pin_expired, locked_out, send_email, notify_email };
            app.set_pin(context, &identity, request).await?;
            print_one(json, output::pin_info(&app.get_pin_info(context, &identity).await?));
        }
        PinCommand::Lock { identity } => {
            let identity = identity.get();
            app.lock(context, &identity).await?;
            print_one(json, output::pin_info(&app.get_pin_info(context, &identity).await?));
        }
        PinCommand::Unlock { identity } => {
            let identity = identity.get();
            app.unlock(context, &identity).await?;
            print_one(json, output::pin_info(&app.get_pin_info(context, &identity).await?));
        }
        PinCommand::Test { identity, dial_plan } => {
            let identity = identity.get();
            let pin = read_pin_line()?;
            let result = app.sign_in(context, &SignIn { identity, dial_plan, pin }).await?;
            let outcome = result.outcome.as_str();
            output::print_value(json, &serde_json::json!({ "outcome": outcome }), outcome);
            if result.outcome == SignInOutcome::Failed {
                return Ok(Completion::SignInFailed);
            }
        }
        PinCommand::Change { identity } => {
            let identity = identity.get();
            let current = read_pin_line()?;
            let new = read_pin_line()?;
            app.change_pin(context, &identity, &current, &new).await?;
            print_one(json, output::pin_info(&app.get_pin_info(context, &identity).await?));
        }
    }
    Ok(Completion::Done)
}
