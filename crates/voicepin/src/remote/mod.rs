//! The commands over a server's HTTP API (`--server URL --token TOKEN`): the same command
//! line and cmdlets, the same output and exit codes as on the local data directory, but the
//! server authorises each request by the token's role and writes the audit log with the
//! token's name, the api channel and this machine's address.
//!
//! Each command becomes one or a few requests to `/api/v1`; the server runs the same use
//! cases as the local commands, so every rule and message still comes from the core.

mod client;

use serde::Serialize;
use serde_json::{Map, Value};
use voicepin_core::Pin;
use voicepin_core::access::Role;
use zeroize::Zeroizing;

use client::{Client, Method, RemoteError, encode};

use crate::cli::{
    AdminCommand, AuditArgs, Cli, Command, DialPlanCommand, DialPlanOptions, ListOptions, MailboxCommand,
    MailboxOptions, PinCommand, PolicyCommand, PolicyOptions, RemoteOptions, Secret, TokenCommand,
};
use crate::exit::Completion;
use crate::input::{pin_argument, read_pin_line};
use crate::output::{self, Printable, ShownOnce, print_many, print_one};

/// The largest page the API serves.
const PAGE: u32 = 1000;

/// Runs the command on the server. Blocking: call it off the async runtime's threads.
pub fn run(cli: Cli) -> anyhow::Result<Completion> {
    run_command(cli).map_err(|error| match error.downcast::<RemoteError>() {
        Ok(remote) => remote.failure().into(),
        Err(other) => other,
    })
}

fn run_command(cli: Cli) -> anyhow::Result<Completion> {
    let Cli { json, remote, command, .. } = cli;
    // Refused before anything else: no token is needed to learn this.
    let local_only = match &command {
        Command::Serve { .. } => Some("voicepin serve"),
        Command::Mail(_) => Some("voicepin mail"),
        Command::Key(_) => Some("voicepin key"),
        Command::Admin(AdminCommand::Recover { .. }) => {
            Some("voicepin admin recover (break-glass, on the server's data directory)")
        }
        Command::Pin(PinCommand::Change { .. }) => Some("voicepin pin change (not in the HTTP API)"),
        _ => None,
    };
    if let Some(what) = local_only {
        return Err(RemoteError::LocalOnly(what).into());
    }
    let client = connect(&remote)?;
    let completion = match command {
        Command::DialPlan(command) => dial_plan(&client, json, command)?,
        Command::Policy(command) => policy(&client, json, command)?,
        Command::Mailbox(command) => mailbox(&client, json, command)?,
        Command::Pin(command) => pin(&client, json, command)?,
        Command::Audit(args) => audit(&client, json, args)?,
        Command::Token(command) => token(&client, json, command)?,
        Command::Admin(command) => admin(&client, json, command)?,
        Command::Serve { .. } | Command::Mail(_) | Command::Key(_) => Completion::Done,
    };
    Ok(completion)
}

fn connect(remote: &RemoteOptions) -> Result<Client, RemoteError> {
    let server = remote.server.as_deref().unwrap_or_default();
    let token = match (&remote.token, &remote.token_file) {
        (Some(token), _) => token.clone(),
        (None, Some(path)) => {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| {
                RemoteError::NoToken(format!("cannot read --token-file {}: {error}", path.display()))
            })?);
            Secret::new(text.lines().next().unwrap_or_default().trim().to_owned())
        }
        (None, None) => Secret::new(String::new()),
    };
    Client::new(server, &token)
}

/// A JSON request body: the properties given, and perhaps a PIN, which is written straight
/// into a buffer that is wiped once sent.
#[derive(Default)]
struct Body {
    fields: Map<String, Value>,
    pin: Option<Pin>,
}

impl Body {
    /// Adds a property, unless `value` is `None`.
    fn opt<T: Serialize>(mut self, name: &str, value: Option<T>) -> Self {
        if let Some(value) = value
            && let Ok(value) = serde_json::to_value(value)
        {
            self.fields.insert(name.to_owned(), value);
        }
        self
    }

    /// Adds a property.
    fn set<T: Serialize>(self, name: &str, value: T) -> Self {
        self.opt(name, Some(value))
    }

    fn pin(mut self, pin: Option<Pin>) -> Self {
        self.pin = pin;
        self
    }

    fn bytes(&self) -> Zeroizing<Vec<u8>> {
        let fields = serde_json::to_vec(&self.fields).unwrap_or_else(|_| b"{}".to_vec());
        let pin_len = self.pin.as_ref().map_or(0, |p| p.len() * 6 + 16);
        let mut out = Zeroizing::new(Vec::with_capacity(fields.len() + pin_len));
        out.extend_from_slice(&fields);
        if let Some(pin) = &self.pin {
            out.pop(); // the closing brace
            if fields.len() > 2 {
                out.push(b',');
            }
            out.extend_from_slice(b"\"pin\":");
            // Into the wiped buffer directly: no intermediate copy of the PIN.
            let _ = serde_json::to_writer(&mut *out, pin.expose());
            out.push(b'}');
        }
        out
    }
}

fn send(client: &Client, method: Method, path: &str, body: &Body) -> Result<Option<Value>, RemoteError> {
    client.send(method, path, Some(&body.bytes()))
}

/// The answer that should be an object, as a printable one.
fn object(value: Option<Value>, columns: &'static [&'static str]) -> Result<Printable, RemoteError> {
    match value {
        Some(value @ Value::Object(_)) => Ok(Printable { value, columns }),
        _ => Err(RemoteError::Unexpected { status: 200, what: "no object where one was expected".into() }),
    }
}

/// The answer that should be a list (an array, or a page's `items`).
fn items(value: Value, columns: &'static [&'static str]) -> Vec<Printable> {
    let list = match value {
        Value::Array(list) => list,
        Value::Object(mut page) => match page.remove("items") {
            Some(Value::Array(list)) => list,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    list.into_iter().map(|value| Printable { value, columns }).collect()
}

fn path(collection: &str, identity: &str) -> String {
    format!("/{collection}/{}", encode(identity))
}

fn dial_plan_body(body: Body, options: DialPlanOptions) -> Body {
    body.opt("numberOfDigitsInExtension", options.number_of_digits_in_extension)
        .opt("accessTelephoneNumbers", options.access_telephone_numbers)
        .opt("logonFailuresBeforeDisconnect", options.logon_failures_before_disconnect)
        .opt("inputFailuresBeforeDisconnect", options.input_failures_before_disconnect)
}

fn dial_plan(client: &Client, json: bool, command: DialPlanCommand) -> anyhow::Result<Completion> {
    let columns = output::DIAL_PLAN_COLUMNS;
    match command {
        DialPlanCommand::New { name, settings, generate_um_mailbox_policy, .. } => {
            let body =
                Body::default().set("name", name.get()).set("generateUmMailboxPolicy", generate_um_mailbox_policy);
            let created = send(client, Method::Post, "/dial-plans", &dial_plan_body(body, settings))?;
            print_one(json, object(created, columns)?);
        }
        DialPlanCommand::Get { identity } => match identity.get() {
            Some(identity) => print_one(json, object(Some(client.get(&path("dial-plans", &identity), &[])?), columns)?),
            None => print_many(json, items(client.get("/dial-plans", &[])?, columns)),
        },
        DialPlanCommand::Set { identity, name, settings } => {
            let body = dial_plan_body(Body::default().opt("name", name), settings);
            let changed = send(client, Method::Patch, &path("dial-plans", &identity.get()), &body)?;
            print_one(json, object(changed, columns)?);
        }
        DialPlanCommand::Remove { identity } => {
            client.send(Method::Delete, &path("dial-plans", &identity.get()), None)?;
        }
    }
    Ok(Completion::Done)
}

fn policy_body(body: Body, options: PolicyOptions) -> Body {
    body.opt("minPinLength", options.min_pin_length)
        .opt("pinLifetime", options.pin_lifetime)
        .opt("pinHistoryCount", options.pin_history_count)
        .opt("allowCommonPatterns", options.allow_common_patterns)
        .opt("logonFailuresBeforePinReset", options.logon_failures_before_pin_reset)
        .opt("maxLogonAttempts", options.max_logon_attempts)
        .opt("resetPinText", options.reset_pin_text)
        .opt("umEnabledText", options.um_enabled_text)
        .opt("allowSubscriberAccess", options.allow_subscriber_access)
        .opt("allowPinlessVoiceMailAccess", options.allow_pinless_voice_mail_access)
        .opt("blockExtensionInPin", options.block_extension_in_pin)
        .opt("blockNameOnKeypad", options.block_name_on_keypad)
        .opt("blockRepeatedGroups", options.block_repeated_groups)
        .opt("requireThreeDistinctDigits", options.require_three_distinct_digits)
        .opt("blockDigitRuns", options.block_digit_runs)
        .opt("blockKeypadLines", options.block_keypad_lines)
        .opt("blockCommonPins", options.block_common_pins)
        .opt("blockReversedHistory", options.block_reversed_history)
}

fn policy(client: &Client, json: bool, command: PolicyCommand) -> anyhow::Result<Completion> {
    let columns = output::POLICY_COLUMNS;
    match command {
        PolicyCommand::New { name, dial_plan, settings } => {
            let body = policy_body(Body::default().set("name", name.get()).set("umDialPlan", dial_plan), settings);
            print_one(json, object(send(client, Method::Post, "/policies", &body)?, columns)?);
        }
        PolicyCommand::Get { identity, dial_plan } => match identity.get() {
            Some(identity) => print_one(json, object(Some(client.get(&path("policies", &identity), &[])?), columns)?),
            None => {
                let mut policies = items(client.get("/policies", &[("dialPlan", dial_plan)])?, columns);
                // As locally: one policy reads better as a list than as a table.
                match (policies.len(), json) {
                    (1, false) => policies.pop().into_iter().for_each(|p| print_one(json, p)),
                    _ => print_many(json, policies),
                }
            }
        },
        PolicyCommand::Set { identity, name, settings } => {
            let body = policy_body(Body::default().opt("name", name), settings);
            print_one(json, object(send(client, Method::Patch, &path("policies", &identity.get()), &body)?, columns)?);
        }
        PolicyCommand::Remove { identity } => {
            client.send(Method::Delete, &path("policies", &identity.get()), None)?;
        }
    }
    Ok(Completion::Done)
}

fn mailbox_body(body: Body, options: MailboxOptions) -> Body {
    body.opt("displayName", options.display_name)
        .opt("firstName", options.first_name)
        .opt("lastName", options.last_name)
        .opt("alias", options.alias)
        .opt("phoneNumbers", options.phone_numbers)
        .opt("subscriberAccessEnabled", options.subscriber_access_enabled)
        .opt("pinlessAccessToVoiceMailEnabled", options.pinless_access_to_voice_mail_enabled)
}

/// The items of a mailbox list (`/mailboxes`, or `/pins` for their PIN states) in address
/// order, page by page, up to `--result-size`.
fn list_pages(client: &Client, collection: &str, filter: &ListOptions) -> anyhow::Result<Vec<Value>> {
    let wanted = usize::try_from(filter.result_size).unwrap_or(usize::MAX);
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = client.get(
            collection,
            &[
                ("policy", filter.policy.clone()),
                ("dialPlan", filter.dial_plan.clone()),
                ("search", filter.search.clone()),
                ("lockedOut", filter.locked_out.map(|b| b.to_string())),
                ("after", after.take()),
                ("limit", Some(PAGE.min(filter.result_size).to_string())),
            ],
        )?;
        let next = page.get("next").and_then(Value::as_str).map(str::to_owned);
        found.extend(items(page, &[]).into_iter().map(|p| p.value).take(wanted - found.len()));
        match next {
            Some(cursor) if found.len() < wanted => after = Some(cursor),
            _ => return Ok(found),
        }
    }
}

fn mailbox(client: &Client, json: bool, command: MailboxCommand) -> anyhow::Result<Completion> {
    let columns = output::MAILBOX_COLUMNS;
    match command {
        MailboxCommand::Enable { identity, policy, pin, pin_expired, notify_email, validate_only, mut properties } => {
            let extensions = properties.extensions.take().unwrap_or_default();
            let body = Body::default()
                .set("identity", identity.get())
                .opt("umMailboxPolicy", policy)
                .set("extensions", extensions)
                .opt("pinExpired", pin_expired)
                .opt("notifyEmail", notify_email)
                .opt("validateOnly", validate_only.then_some(true))
                .pin(pin_argument(pin)?);
            let enabled = send(client, Method::Post, "/mailboxes", &mailbox_body(body, properties))?;
            if validate_only {
                if !json {
                    eprintln!("voicepin: validation passed; nothing was changed");
                }
                return Ok(Completion::Done);
            }
            print_one(json, object(enabled, columns)?);
        }
        MailboxCommand::Disable { identity, keep_properties } => {
            let path = format!("{}?keepProperties={keep_properties}", path("mailboxes", &identity.get()));
            client.send(Method::Delete, &path, None)?;
        }
        MailboxCommand::Get { identity, filter } => match identity.get() {
            Some(identity) => print_one(json, object(Some(client.get(&path("mailboxes", &identity), &[])?), columns)?),
            None => {
                let mailboxes = list_pages(client, "/mailboxes", &filter)?;
                print_many(json, mailboxes.into_iter().map(|value| Printable { value, columns }).collect());
            }
        },
        MailboxCommand::Set { identity, policy, mut properties } => {
            let extensions = properties.extensions.take();
            let body =
                mailbox_body(Body::default().opt("umMailboxPolicy", policy).opt("extensions", extensions), properties);
            print_one(json, object(send(client, Method::Patch, &path("mailboxes", &identity.get()), &body)?, columns)?);
        }
    }
    Ok(Completion::Done)
}

fn pin_path(identity: &str, what: &str) -> String {
    format!("{}/{what}", path("mailboxes", identity))
}

fn pin(client: &Client, json: bool, command: PinCommand) -> anyhow::Result<Completion> {
    let columns = output::PIN_INFO_COLUMNS;
    match command {
        PinCommand::Get { identity, filter } => match identity.get() {
            Some(identity) => print_one(json, object(Some(client.get(&pin_path(&identity, "pin"), &[])?), columns)?),
            None => {
                let states = list_pages(client, "/pins", &filter)?;
                print_many(json, states.into_iter().map(|value| Printable { value, columns }).collect());
            }
        },
        PinCommand::Set { identity, pin, pin_expired, locked_out, send_email, notify_email } => {
            let body = Body::default()
                .opt("pinExpired", pin_expired)
                .opt("lockedOut", locked_out)
                .opt("sendEmail", send_email)
                .opt("notifyEmail", notify_email)
                .pin(pin_argument(pin)?);
            print_one(json, object(send(client, Method::Put, &pin_path(&identity.get(), "pin"), &body)?, columns)?);
        }
        PinCommand::Lock { identity } => {
            print_one(json, object(client.send(Method::Post, &pin_path(&identity.get(), "lock"), None)?, columns)?);
        }
        PinCommand::Unlock { identity } => {
            print_one(json, object(client.send(Method::Post, &pin_path(&identity.get(), "unlock"), None)?, columns)?);
        }
        PinCommand::Test { identity, dial_plan } => {
            // The voice-access sign-in: allowed to Voice Service tokens only.
            let body =
                Body::default().set("identity", identity.get()).opt("dialPlan", dial_plan).pin(Some(read_pin_line()?));
            let answer = send(client, Method::Post, "/voice-access/sign-in", &body)?;
            let outcome =
                answer.as_ref().and_then(|a| a.get("outcome")).and_then(Value::as_str).unwrap_or("failed").to_owned();
            output::print_value(json, &serde_json::json!({ "outcome": outcome }), &outcome);
            if outcome == "failed" {
                return Ok(Completion::SignInFailed);
            }
        }
        // Refused in `run`, before any request.
        PinCommand::Change { .. } => {}
    }
    Ok(Completion::Done)
}

fn audit(client: &Client, json: bool, args: AuditArgs) -> anyhow::Result<Completion> {
    let events = client.get(
        "/audit-events",
        &[
            ("mailbox", args.mailbox),
            ("action", args.action),
            ("actor", args.actor),
            ("limit", Some(args.limit.to_string())),
        ],
    )?;
    print_many(json, items(events, output::AUDIT_EVENT_COLUMNS));
    Ok(Completion::Done)
}

/// API tokens through `/api/v1/api-tokens`: `{name, role, expiresInDays}` in, the token
/// (with its secret, once) out.
fn token(client: &Client, json: bool, command: TokenCommand) -> anyhow::Result<Completion> {
    let columns = output::TOKEN_COLUMNS;
    match command {
        TokenCommand::Create { name, role, expires } => {
            // Checked here as locally (the core's parser), sent in the API's spelling.
            let role: Role = role.parse().map_err(voicepin_core::Error::from)?;
            let body = Body::default().set("name", name).set("role", role.as_str()).opt("expiresInDays", expires);
            let (created, secret) =
                with_secret(send(client, Method::Post, "/api-tokens", &body)?, "apiToken", ShownOnce::Token, columns)?;
            output::print_with_secret(json, created, ShownOnce::Token, secret);
        }
        TokenCommand::List => print_many(json, items(client.get("/api-tokens", &[])?, columns)),
        TokenCommand::Revoke { identity } => {
            if let Some(revoked) = client.send(Method::Delete, &path("api-tokens", &identity), None)? {
                print_one(json, object(Some(revoked), columns)?);
            }
        }
    }
    Ok(Completion::Done)
}

/// Administrator accounts over `/api/v1/admin-accounts` (`admin recover` stays local).
fn admin(client: &Client, json: bool, command: AdminCommand) -> anyhow::Result<Completion> {
    let columns = output::ACCOUNT_COLUMNS;
    let role = |text: String| text.parse::<Role>().map(Role::as_str).map_err(voicepin_core::Error::from);
    match command {
        AdminCommand::New { name, role: given } => {
            let body = Body::default().set("name", name).set("role", role(given)?);
            let shown = ShownOnce::OneTimePassword;
            let (created, secret) =
                with_secret(send(client, Method::Post, "/admin-accounts", &body)?, "account", shown, columns)?;
            output::print_with_secret(json, created, shown, secret);
        }
        AdminCommand::Get { name: Some(name) } => {
            print_one(json, object(Some(client.get(&path("admin-accounts", &name), &[])?), columns)?)
        }
        AdminCommand::Get { name: None } => print_many(json, items(client.get("/admin-accounts", &[])?, columns)),
        AdminCommand::Set { name, role: given, disabled } => {
            let body = Body::default().opt("role", given.map(role).transpose()?).opt("disabled", disabled);
            print_one(json, object(send(client, Method::Patch, &path("admin-accounts", &name), &body)?, columns)?);
        }
        AdminCommand::Remove { name } => {
            client.send(Method::Delete, &path("admin-accounts", &name), None)?;
            if !json {
                eprintln!("voicepin: administrator account {name:?} removed");
            }
        }
        // Refused in `run`, before any request.
        AdminCommand::Recover { .. } => {}
    }
    Ok(Completion::Done)
}

/// A creating response, `{"<record>": {...}, "<secret>": "..."}`, split into the record and
/// its secret, to print as the local command does.
fn with_secret(
    value: Option<Value>,
    record: &str,
    shown: ShownOnce,
    columns: &'static [&'static str],
) -> Result<(Printable, Value), RemoteError> {
    let unexpected = || RemoteError::Unexpected { status: 201, what: format!("no {record} where one was expected") };
    let Some(Value::Object(mut created)) = value else { return Err(unexpected()) };
    let (Some(printed @ Value::Object(_)), Some(secret)) = (created.remove(record), created.remove(shown.key())) else {
        return Err(unexpected());
    };
    Ok((Printable { value: printed, columns }, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_carries_the_pin_once_and_skips_what_is_not_given() {
        let body = Body::default()
            .set("identity", "tony@contoso.com")
            .opt("pinExpired", None::<bool>)
            .pin(Some(Pin::new("1985848")));
        let value: Value = serde_json::from_slice(&body.bytes()).unwrap();
        assert_eq!(value, serde_json::json!({ "identity": "tony@contoso.com", "pin": "1985848" }));
        let only_pin: Value = serde_json::from_slice(&Body::default().pin(Some(Pin::new("12\"34"))).bytes()).unwrap();
        assert_eq!(only_pin, serde_json::json!({ "pin": "12\"34" }));
        assert_eq!(&*Body::default().bytes(), b"{}");
    }
}
