//! `voicepin dialplan` and `voicepin policy` on the local data directory.

use anyhow::Result;
use voicepin_core::VoicePin;
use voicepin_core::audit::RequestContext;
use voicepin_core::policy::{PinLifetime, PinResetThreshold};
use voicepin_core::usecases::{DialPlanSettings, ExtendedSettings, NewDialPlan, NewPolicy, PolicySettings};

use crate::cli::{DialPlanCommand, DialPlanOptions, PolicyCommand, PolicyOptions};
use crate::exit::Completion;
use crate::output::{self, print_many, print_one};

fn dial_plan_settings(options: DialPlanOptions, name: Option<String>) -> DialPlanSettings {
    DialPlanSettings {
        name,
        number_of_digits_in_extension: options.number_of_digits_in_extension,
        access_telephone_numbers: options.access_telephone_numbers,
        logon_failures_before_disconnect: options.logon_failures_before_disconnect,
        input_failures_before_disconnect: options.input_failures_before_disconnect,
    }
}

pub(super) async fn run_dial_plan(
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

pub(super) async fn run_policy(
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
