//! Runs a parsed command against the use cases and prints the result.

use std::io::BufRead as _;

use anyhow::{Context, Result};
use voicepin_core::access::Role;
use voicepin_core::audit::RequestContext;
use voicepin_core::policy::{PinLifetime, PinResetThreshold};
use voicepin_core::signin::SignInOutcome;
use voicepin_core::usecases::{
    AuditFilter, DialPlanSettings, EnableMailbox, ExtendedSettings, MAX_PAGE_SIZE, MailboxDetails, MailboxFilter,
    MailboxSettings, NewDialPlan, NewPolicy, Page, PolicySettings, SetPin, SignIn,
};
use voicepin_core::{InvalidValue, Pin, VoicePin};

use crate::app::App;
use crate::cli::{
    AuditArgs, Cli, Command, DialPlanCommand, DialPlanOptions, KeyCommand, ListOptions, MailCommand, MailboxCommand,
    MailboxOptions, PinCommand, PolicyCommand, PolicyOptions, TokenCommand,
};
use crate::config::Config;
use crate::output::{self, ShownOnce, print_many, print_one};

/// What a command ends with, for the exit code.
pub enum Completion {
    /// Done (exit 0).
    Done,
    /// A sign-in test failed (exit 1).
    SignInFailed,
}

/// Runs the command.
pub async fn run(cli: Cli, config: &Config) -> Result<Completion> {
    if cli.remote.server.is_some() {
        // The HTTP client blocks: off the runtime's worker threads.
        return tokio::task::spawn_blocking(move || crate::remote::run(cli)).await?;
    }
    if let Command::Key(command) = &cli.command {
        return run_key(&cli, config, command);
    }
    let app = App::open(config).await?;
    let context = RequestContext::local(local_user());
    let json = cli.json;
    let completion = match cli.command {
        Command::DialPlan(command) => run_dial_plan(&app.voicepin, &context, json, command).await?,
        Command::Policy(command) => run_policy(&app.voicepin, &context, json, command).await?,
        Command::Mailbox(command) => run_mailbox(&app.voicepin, &context, json, command).await?,
        Command::Pin(command) => run_pin(&app.voicepin, &context, json, command).await?,
        Command::Mail(command) => return run_mail(&app, &context, json, command).await,
        Command::Audit(args) => run_audit(&app.voicepin, &context, json, args).await?,
        Command::Token(command) => run_token(&app.voicepin, &context, json, command).await?,
        Command::Admin(command) => {
            crate::admin::run(&app.voicepin, &context, json, command).await?;
            Completion::Done
        }
        Command::Serve { .. } => {
            // `--listen` and `--mail-poll-seconds` are already in the configuration.
            crate::serve::serve(&app, &config.http, &config.sip, config.mail_poll()).await?;
            return Ok(Completion::Done);
        }
        Command::Key(_) => Completion::Done,
    };
    // Messages queued by the command go out now, from here or from the running server; one
    // left behind goes with the next run.
    if let Err(error) = app.deliver_or_leave_to_server().await {
        eprintln!("voicepin: warning: mail stays queued: {error:#}");
    }
    Ok(completion)
}

/// Who runs the command, for the audit log: the login name, or the numeric user id.
pub(crate) fn local_user() -> String {
    let named =
        ["SUDO_USER", "USER", "LOGNAME"].iter().find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
    named.unwrap_or_else(|| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/proc/self").map_or_else(|_| "unknown".into(), |m| format!("uid{}", m.uid()))
    })
}

fn dial_plan_settings(options: DialPlanOptions, name: Option<String>) -> DialPlanSettings {
    DialPlanSettings {
        name,
        number_of_digits_in_extension: options.number_of_digits_in_extension,
        access_telephone_numbers: options.access_telephone_numbers,
        logon_failures_before_disconnect: options.logon_failures_before_disconnect,
        input_failures_before_disconnect: options.input_failures_before_disconnect,
    }
}

async fn run_dial_plan(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    command: DialPlanCommand,
) -> Result<Completion> {
    match command {
        DialPlanCommand::New { name, settings, generate_um_mailbox_policy, .. } => {
            let request = NewDialPlan {
                name: name.get(),
                settings: dial_plan_settings(settings, None),
                generate_policy: generate_um_mailbox_policy,
            };
            let (plan, policy) = app.new_dial_plan(context, request).await?;
            if let (Some(policy), false) = (&policy, json) {
                eprintln!("voicepin: created UM mailbox policy {:?}", policy.name.as_str());
            }
            print_one(json, output::dial_plan(&plan));
        }
        DialPlanCommand::Get { identity } => match identity.get() {
            Some(identity) => print_one(json, output::dial_plan(&app.get_dial_plan(context, &identity).await?)),
            None => print_many(json, app.list_dial_plans(context).await?.iter().map(output::dial_plan).collect()),
        },
        DialPlanCommand::Set { identity, name, settings } => {
            let plan = app.set_dial_plan(context, &identity.get(), dial_plan_settings(settings, name)).await?;
            print_one(json, output::dial_plan(&plan));
        }
        DialPlanCommand::Remove { identity } => app.remove_dial_plan(context, &identity.get()).await?,
    }
    Ok(Completion::Done)
}

fn policy_settings(options: PolicyOptions, name: Option<String>) -> Result<PolicySettings> {
    let pin_lifetime = options.pin_lifetime.map(|t| t.parse::<PinLifetime>()).transpose()?;
    let reset = options.logon_failures_before_pin_reset.map(|t| t.parse::<PinResetThreshold>()).transpose()?;
    Ok(PolicySettings {
        name,
        min_pin_length: options.min_pin_length,
        pin_lifetime,
        pin_history_count: options.pin_history_count,
        allow_common_patterns: options.allow_common_patterns,
        logon_failures_before_pin_reset: reset,
        max_logon_attempts: options.max_logon_attempts,
        reset_pin_text: options.reset_pin_text,
        um_enabled_text: options.um_enabled_text,
        allow_subscriber_access: options.allow_subscriber_access,
        allow_pinless_voice_mail_access: options.allow_pinless_voice_mail_access,
        extended: ExtendedSettings {
            block_extension_in_pin: options.block_extension_in_pin,
            block_name_on_keypad: options.block_name_on_keypad,
            block_repeated_groups: options.block_repeated_groups,
            require_three_distinct_digits: options.require_three_distinct_digits,
            block_digit_runs: options.block_digit_runs,
            block_keypad_lines: options.block_keypad_lines,
            block_common_pins: options.block_common_pins,
            block_reversed_history: options.block_reversed_history,
        },
    })
}

async fn print_policies(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    policies: &[voicepin_core::policy::MailboxPolicy],
) -> Result<()> {
    let plans = app.list_dial_plans(context).await?;
    let name_of = |id| plans.iter().find(|p| p.id == id).map_or("", |p| p.name.as_str());
    let printed: Vec<_> = policies.iter().map(|p| output::policy(p, name_of(p.dial_plan_id))).collect();
    if printed.len() == 1 && !json {
        printed.into_iter().for_each(|p| print_one(json, p));
    } else {
        print_many(json, printed);
    }
    Ok(())
}

async fn run_policy(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    command: PolicyCommand,
) -> Result<Completion> {
    match command {
        PolicyCommand::New { name, dial_plan, settings } => {
            let policy = app
                .new_policy(
                    context,
                    NewPolicy { name: name.get(), dial_plan, settings: policy_settings(settings, None)? },
                )
                .await?;
            print_one_policy(app, context, json, &policy).await?;
        }
        PolicyCommand::Get { identity, dial_plan } => match identity.get() {
            Some(identity) => print_one_policy(app, context, json, &app.get_policy(context, &identity).await?).await?,
            None => {
                let policies = app.list_policies(context, dial_plan.as_deref()).await?;
                print_policies(app, context, json, &policies).await?;
            }
        },
        PolicyCommand::Set { identity, name, settings } => {
            let policy = app.set_policy(context, &identity.get(), policy_settings(settings, name)?).await?;
            print_one_policy(app, context, json, &policy).await?;
        }
        PolicyCommand::Remove { identity } => app.remove_policy(context, &identity.get()).await?,
    }
    Ok(Completion::Done)
}

async fn print_one_policy(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    policy: &voicepin_core::policy::MailboxPolicy,
) -> Result<()> {
    let plan = app.get_dial_plan(context, &policy.dial_plan_id.to_string()).await?;
    print_one(json, output::policy(policy, plan.name.as_str()));
    Ok(())
}

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

/// Reads a PIN given on the command line, or from standard input for `-`.
pub(crate) fn pin_argument(text: Option<String>) -> Result<Option<Pin>> {
    match text {
        Some(text) if text == "-" => read_pin_line().map(Some),
        Some(text) => Ok(Some(Pin::new(text.trim()))),
        None => Ok(None),
    }
}

/// One line of standard input as a PIN (the line break and surrounding blanks removed).
pub(crate) fn read_pin_line() -> Result<Pin> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line).context("reading the PIN from standard input")?;
    Ok(Pin::new(line.trim()))
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

async fn run_mailbox(
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

async fn run_pin(app: &VoicePin, context: &RequestContext, json: bool, command: PinCommand) -> Result<Completion> {
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

async fn run_mail(app: &App, context: &RequestContext, json: bool, command: MailCommand) -> Result<Completion> {
    match command {
        MailCommand::Deliver => {
            let Some(report) = app.deliver_or_leave_to_server().await? else {
                let plain = "voicepin serve runs on this data directory and delivers the mail";
                output::print_value(json, &serde_json::json!({ "sentBy": "server" }), plain);
                return Ok(Completion::Done);
            };
            let plain = format!("sent {}, retried {}, failed {}", report.sent, report.retried, report.failed);
            output::print_value(
                json,
                &serde_json::json!({ "sent": report.sent, "retried": report.retried, "failed": report.failed }),
                &plain,
            );
        }
        MailCommand::Test { to } => {
            app.send_test_mail(&to).await?;
            output::print_value(json, &serde_json::json!({ "sent": to }), &format!("test message sent to {to}"));
        }
        MailCommand::Queue { all } => {
            let records = app.voicepin.mail_queue(context, all, 1000).await?;
            print_many(json, records.iter().map(output::mail_record).collect());
        }
        MailCommand::Retry { id } => {
            app.voicepin.requeue_mail(context, &id).await?;
            app.deliver_or_leave_to_server().await?;
        }
    }
    Ok(Completion::Done)
}

async fn run_audit(app: &VoicePin, context: &RequestContext, json: bool, args: AuditArgs) -> Result<Completion> {
    let filter = AuditFilter {
        mailbox: args.mailbox,
        action: args.action,
        actor: args.actor,
        limit: Some(args.limit),
        ..AuditFilter::default()
    };
    print_many(json, app.audit_events(context, &filter).await?.iter().map(output::audit_event).collect());
    Ok(Completion::Done)
}

async fn run_token(app: &VoicePin, context: &RequestContext, json: bool, command: TokenCommand) -> Result<Completion> {
    match command {
        TokenCommand::Create { name, role, expires } => {
            let role: Role = role.parse()?;
            let (token, secret) = app.create_token(context, &name, role, expires).await?;
            output::print_with_secret(json, output::token(&token), ShownOnce::Token, secret.expose().into());
        }
        TokenCommand::List => print_many(json, app.list_tokens(context).await?.iter().map(output::token).collect()),
        TokenCommand::Revoke { identity } => {
            print_one(json, output::token(&app.revoke_token(context, &identity).await?))
        }
    }
    Ok(Completion::Done)
}

fn run_key(cli: &Cli, config: &Config, command: &KeyCommand) -> Result<Completion> {
    let path = config.pepper_file();
    match command {
        KeyCommand::Rotate => {
            let id = crate::keys::rotate_pepper(&path)?;
            eprintln!("voicepin: new pepper key {id}; PINs move to it at their next successful sign-in");
            output::print_value(cli.json, &serde_json::json!({ "keyId": id }), &id);
        }
        KeyCommand::List => {
            let keys = crate::keys::load_peppers(&path)?;
            let ids: Vec<&str> = keys.iter().map(|k| k.id()).collect();
            output::print_value(cli.json, &ids, &ids.join("\n"));
        }
    }
    Ok(Completion::Done)
}

/// A message for errors that carry no context of their own.
pub fn describe(error: &anyhow::Error) -> String {
    if let Some(remote) = error.downcast_ref::<crate::remote::RemoteError>() {
        return remote.to_string();
    }
    if let Some(core) = error.downcast_ref::<voicepin_core::Error>() {
        return describe_core(core);
    }
    if let Some(invalid) = error.downcast_ref::<InvalidValue>() {
        return describe_invalid(invalid);
    }
    format!("{error:#}")
}

fn describe_core(error: &voicepin_core::Error) -> String {
    match error {
        voicepin_core::Error::InvalidValue(invalid) => describe_invalid(invalid),
        voicepin_core::Error::PinRejected(violations) => {
            let reasons: Vec<String> = violations.iter().map(|v| format!("{v} [{}]", v.code())).collect();
            format!("PIN (--pin): rejected by the policy: {}", reasons.join("; "))
        }
        other => format!("{other} [{}]", other.code()),
    }
}

fn describe_invalid(invalid: &InvalidValue) -> String {
    format!(
        "{} ({}): {:?} is not allowed; allowed: {}",
        invalid.field,
        option_for(invalid.field),
        invalid.given,
        invalid.allowed
    )
}

/// The CLI option of an Exchange parameter name.
pub(crate) fn option_for(field: &str) -> String {
    match field {
        "Identity" => "IDENTITY".into(),
        "Extensions" => "--extension".into(),
        "PhoneNumbers" => "--phone-number".into(),
        "UMMailboxPolicy" => "--policy".into(),
        "UMDialPlan" => "--dial-plan".into(),
        other => format!("--{}", voicepin_core::naming::kebab_case(other)),
    }
}

/// Whether an error is bad input (exit 2) rather than a refused operation (exit 1).
pub fn is_usage_error(error: &anyhow::Error) -> bool {
    error.downcast_ref::<InvalidValue>().is_some()
        || matches!(error.downcast_ref::<voicepin_core::Error>(), Some(voicepin_core::Error::InvalidValue(_)))
        || error.downcast_ref::<crate::remote::RemoteError>().is_some_and(crate::remote::RemoteError::is_usage)
}
