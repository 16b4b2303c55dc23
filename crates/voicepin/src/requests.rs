//! The command line's options as the HTTP API's requests (the wire vocabulary): the one
//! mapping from options to requests. The `--server` client sends these requests; the local
//! dispatcher hands them to the use cases through the same conversions the server uses, so a
//! command means the same with or without `--server`.

use voicepin_core::Pin;
use voicepin_wire::{
    AuditListQuery, EnableMailboxRequest, MailboxListQuery, NewDialPlanRequest, NewPolicyRequest, NumberOrUnlimited,
    PinText, SetDialPlanRequest, SetMailboxRequest, SetPinRequest, SetPolicyRequest,
};

use crate::cli::{AuditArgs, DialPlanOptions, EnableOptions, ListOptions, MailboxOptions, PolicyOptions};
use crate::input::pin_argument;

/// New-UMDialPlan.
pub fn new_dial_plan(name: String, options: DialPlanOptions, generate_policy: bool) -> NewDialPlanRequest {
    NewDialPlanRequest {
        name,
        number_of_digits_in_extension: options.number_of_digits_in_extension,
        access_telephone_numbers: options.access_telephone_numbers,
        logon_failures_before_disconnect: options.logon_failures_before_disconnect,
        input_failures_before_disconnect: options.input_failures_before_disconnect,
        generate_um_mailbox_policy: Some(generate_policy),
    }
}

/// Set-UMDialPlan.
pub fn set_dial_plan(name: Option<String>, options: DialPlanOptions) -> SetDialPlanRequest {
    SetDialPlanRequest {
        name,
        number_of_digits_in_extension: options.number_of_digits_in_extension,
        access_telephone_numbers: options.access_telephone_numbers,
        logon_failures_before_disconnect: options.logon_failures_before_disconnect,
        input_failures_before_disconnect: options.input_failures_before_disconnect,
    }
}

/// Fills the settings every policy request shares.
macro_rules! policy_request {
    ($request:ident { $($given:ident: $value:expr),* }, $options:expr) => {{
        let options: PolicyOptions = $options;
        $request {
            $($given: $value,)*
            min_pin_length: options.min_pin_length,
            pin_lifetime: options.pin_lifetime.map(NumberOrUnlimited::Text),
            pin_history_count: options.pin_history_count,
            allow_common_patterns: options.allow_common_patterns,
            logon_failures_before_pin_reset: options.logon_failures_before_pin_reset.map(NumberOrUnlimited::Text),
            max_logon_attempts: options.max_logon_attempts,
            reset_pin_text: options.reset_pin_text,
            um_enabled_text: options.um_enabled_text,
            allow_subscriber_access: options.allow_subscriber_access,
            allow_pinless_voice_mail_access: options.allow_pinless_voice_mail_access,
            block_extension_in_pin: options.block_extension_in_pin,
            block_name_on_keypad: options.block_name_on_keypad,
            block_repeated_groups: options.block_repeated_groups,
            require_three_distinct_digits: options.require_three_distinct_digits,
            block_digit_runs: options.block_digit_runs,
            block_keypad_lines: options.block_keypad_lines,
            block_common_pins: options.block_common_pins,
            block_reversed_history: options.block_reversed_history,
        }
    }};
}

/// New-UMMailboxPolicy.
pub fn new_policy(name: String, dial_plan: String, options: PolicyOptions) -> NewPolicyRequest {
    policy_request!(NewPolicyRequest { name: name, um_dial_plan: dial_plan }, options)
}

/// Set-UMMailboxPolicy.
pub fn set_policy(name: Option<String>, options: PolicyOptions) -> SetPolicyRequest {
    policy_request!(SetPolicyRequest { name: name }, options)
}

/// Enable-UMMailbox (a PIN given as `-` is read from standard input here).
pub fn enable_mailbox(options: EnableOptions) -> anyhow::Result<EnableMailboxRequest> {
    let EnableOptions { identity, policy, pin, pin_expired, notify_email, validate_only, properties } = options;
    Ok(EnableMailboxRequest {
        identity: identity.get(),
        um_mailbox_policy: policy,
        extensions: properties.extensions.unwrap_or_default(),
        pin: pin_argument(pin)?.map(PinText),
        pin_expired,
        notify_email,
        display_name: properties.display_name,
        first_name: properties.first_name,
        last_name: properties.last_name,
        alias: properties.alias,
        phone_numbers: properties.phone_numbers,
        subscriber_access_enabled: properties.subscriber_access_enabled,
        pinless_access_to_voice_mail_enabled: properties.pinless_access_to_voice_mail_enabled,
        validate_only,
    })
}

/// Set-UMMailbox.
pub fn set_mailbox(policy: Option<String>, options: MailboxOptions) -> SetMailboxRequest {
    SetMailboxRequest {
        display_name: options.display_name,
        first_name: options.first_name,
        last_name: options.last_name,
        alias: options.alias,
        extensions: options.extensions,
        phone_numbers: options.phone_numbers,
        um_mailbox_policy: policy,
        subscriber_access_enabled: options.subscriber_access_enabled,
        pinless_access_to_voice_mail_enabled: options.pinless_access_to_voice_mail_enabled,
    }
}

/// Set-UMMailboxPIN.
pub fn set_pin(
    pin: Option<Pin>,
    pin_expired: Option<bool>,
    locked_out: Option<bool>,
    send_email: Option<bool>,
    notify_email: Option<String>,
) -> SetPinRequest {
    SetPinRequest { pin: pin.map(PinText), pin_expired, locked_out, send_email, notify_email }
}

/// The filters of a mailbox or PIN list (the page and its size are the reader's).
pub fn list(options: &ListOptions) -> MailboxListQuery {
    MailboxListQuery {
        policy: options.policy.clone(),
        dial_plan: options.dial_plan.clone(),
        search: options.search.clone(),
        locked_out: options.locked_out,
        ..MailboxListQuery::default()
    }
}

/// The audit log's filters.
pub fn audit(args: AuditArgs) -> AuditListQuery {
    AuditListQuery {
        mailbox: args.mailbox,
        action: args.action,
        actor: args.actor,
        limit: Some(args.limit),
        ..AuditListQuery::default()
    }
}
