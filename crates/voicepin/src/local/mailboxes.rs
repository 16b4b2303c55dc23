//! `voicepin mailbox` and `voicepin pin` on the local data directory.

use anyhow::Result;
use voicepin_core::VoicePin;
use voicepin_core::audit::RequestContext;
use voicepin_core::usecases::{EnableMailbox, MAX_PAGE_SIZE, MailboxFilter, MailboxSettings, Page, SetPin, SignIn};
use voicepin_wire::{MailboxView, PinInfoView, SignInOutcomeView};

use crate::cli::{ListOptions, MailboxCommand, PinCommand};
use crate::exit::Completion;
use crate::input::{pin_argument, read_pin_line};
use crate::output::{self, print_many, print_one, shown};
use crate::requests;

/// Up to ResultSize items under the list's filters, read a page at a time.
async fn read_pages<T, F>(options: &ListOptions, mut page: impl FnMut(MailboxFilter) -> F) -> Result<Vec<T>>
where
    F: std::future::Future<Output = voicepin_core::Result<Page<T>>>,
{
    let mut filter = MailboxFilter::from(requests::list(options));
    let mut items = Vec::new();
    loop {
        let wanted = options.result_size.saturating_sub(u32::try_from(items.len()).unwrap_or(u32::MAX));
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

pub(super) async fn run_mailbox(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    command: MailboxCommand,
) -> Result<Completion> {
    match command {
        MailboxCommand::Enable(options) => {
            let request = requests::enable_mailbox(options)?;
            let validate_only = request.validate_only;
            let enabled = app.enable_mailbox(context, EnableMailbox::from(request)).await?;
            if validate_only {
                output::validated(json);
                return Ok(Completion::Done);
            }
            print_one(json, shown(&MailboxView::from(&enabled)));
        }
        MailboxCommand::Disable { identity, keep_properties } => {
            app.disable_mailbox(context, &identity.get(), keep_properties).await?
        }
        MailboxCommand::Get { identity, filter } => match identity.get() {
            Some(identity) => print_one(json, shown(&MailboxView::from(&app.get_mailbox(context, &identity).await?))),
            None => {
                let mailboxes =
                    read_pages(&filter, |page| async move { app.list_mailboxes(context, &page).await }).await?;
                print_many(json, mailboxes.iter().map(|d| shown(&MailboxView::from(d))).collect());
            }
        },
        MailboxCommand::Set { identity, policy, properties } => {
            let settings = MailboxSettings::from(requests::set_mailbox(policy, properties));
            let changed = app.set_mailbox(context, &identity.get(), settings).await?;
            print_one(json, shown(&MailboxView::from(&changed)));
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
    let state = match command {
        PinCommand::Get { identity, filter } => match identity.get() {
            Some(identity) => app.get_pin_info(context, &identity).await?,
            None => {
                let states = read_pages(&filter, |page| async move { app.list_pin_info(context, &page).await }).await?;
                print_many(json, states.iter().map(|info| shown(&PinInfoView::from(info))).collect());
                return Ok(Completion::Done);
            }
        },
        PinCommand::Set { identity, pin, pin_expired, locked_out, send_email, notify_email } => {
            let request = requests::set_pin(pin_argument(pin)?, pin_expired, locked_out, send_email, notify_email);
            app.set_pin(context, &identity.get(), SetPin::from(request)).await?.info
        }
        PinCommand::Lock { identity } => app.lock(context, &identity.get()).await?.info,
        PinCommand::Unlock { identity } => app.unlock(context, &identity.get()).await?.info,
        PinCommand::Test { identity, dial_plan } => {
            let pin = read_pin_line()?;
            let result = app.sign_in(context, &SignIn { identity: identity.get(), dial_plan, pin }).await?;
            return Ok(output::sign_in_outcome(json, SignInOutcomeView::from(result.outcome)));
        }
        PinCommand::Change { identity } => {
            let identity = identity.get();
            let current = read_pin_line()?;
            let new = read_pin_line()?;
            app.change_pin(context, &identity, &current, &new).await?;
            app.get_pin_info(context, &identity).await?
        }
    };
    print_one(json, shown(&PinInfoView::from(&state)));
    Ok(Completion::Done)
}
