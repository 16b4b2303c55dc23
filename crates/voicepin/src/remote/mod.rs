//! The commands over a server's HTTP API (`--server URL --token TOKEN`): the same command
//! line and cmdlets, the same output and exit codes as on the local data directory, but the
//! server authorises each request by the token's role and writes the audit log with the
//! token's name, the api channel and this machine's address.
//!
//! Each command becomes one or a few requests to `/api/v1`, in the wire vocabulary the server
//! itself uses (`voicepin_wire`), built from the options by [`crate::requests`] as for a
//! local command; the server runs the same use cases, so every rule and message still comes
//! from the core.

mod client;

use voicepin_core::access::Role;
use voicepin_core::usecases::MAX_PAGE_SIZE;
use voicepin_wire::{
    AdminAccountView, ApiTokenCreated, ApiTokenView, AuditEventView, DialPlanView, MailboxListQuery, MailboxPage,
    MailboxView, NewAdminAccountRequest, NewApiTokenRequest, OneTimePasswordResponse, PinInfoPage, PinInfoView,
    PinText, PolicyListQuery, PolicyView, SetAdminAccountRequest, SignInRequest, SignInResponse,
};
use zeroize::Zeroizing;

use client::{Client, Method, NO_QUERY, RemoteError, encode};

use crate::cli::{
    AdminCommand, AuditArgs, Cli, Command, DialPlanCommand, ListOptions, MailboxCommand, PinCommand, PolicyCommand,
    RemoteOptions, Secret, TokenCommand,
};
use crate::exit::Completion;
use crate::input::{pin_argument, read_pin_line};
use crate::output::{self, ShownOnce, print_many, print_one, shown};
use crate::requests;

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

fn path(collection: &str, identity: &str) -> String {
    format!("/{collection}/{}", encode(identity))
}

fn dial_plan(client: &Client, json: bool, command: DialPlanCommand) -> anyhow::Result<Completion> {
    match command {
        DialPlanCommand::New { name, settings, generate_um_mailbox_policy, .. } => {
            let request = requests::new_dial_plan(name.get(), settings, generate_um_mailbox_policy);
            let created: DialPlanView = client.send(Method::Post, "/dial-plans", Some(&request))?;
            print_one(json, shown(&created));
        }
        DialPlanCommand::Get { identity } => match identity.get() {
            Some(identity) => {
                print_one(json, shown(&client.get::<DialPlanView>(&path("dial-plans", &identity), NO_QUERY)?))
            }
            None => {
                print_many(json, client.get::<Vec<DialPlanView>>("/dial-plans", NO_QUERY)?.iter().map(shown).collect())
            }
        },
        DialPlanCommand::Set { identity, name, settings } => {
            let request = requests::set_dial_plan(name, settings);
            let changed: DialPlanView =
                client.send(Method::Patch, &path("dial-plans", &identity.get()), Some(&request))?;
            print_one(json, shown(&changed));
        }
        DialPlanCommand::Remove { identity } => client.delete(&path("dial-plans", &identity.get()))?,
    }
    Ok(Completion::Done)
}

fn policy(client: &Client, json: bool, command: PolicyCommand) -> anyhow::Result<Completion> {
    match command {
        PolicyCommand::New { name, dial_plan, settings } => {
            let request = requests::new_policy(name.get(), dial_plan, settings);
            let created: PolicyView = client.send(Method::Post, "/policies", Some(&request))?;
            print_one(json, shown(&created));
        }
        PolicyCommand::Get { identity, dial_plan } => match identity.get() {
            Some(identity) => {
                print_one(json, shown(&client.get::<PolicyView>(&path("policies", &identity), NO_QUERY)?))
            }
            None => {
                let query = PolicyListQuery { dial_plan };
                let policies: Vec<PolicyView> = client.get("/policies", &query)?;
                output::print_policies(json, policies.iter().map(shown).collect());
            }
        },
        PolicyCommand::Set { identity, name, settings } => {
            let request = requests::set_policy(name, settings);
            let changed: PolicyView = client.send(Method::Patch, &path("policies", &identity.get()), Some(&request))?;
            print_one(json, shown(&changed));
        }
        PolicyCommand::Remove { identity } => client.delete(&path("policies", &identity.get()))?,
    }
    Ok(Completion::Done)
}

/// A page of a mailbox list: its items and the cursor of the next one.
trait ListPage {
    type Item;
    fn split(self) -> (Vec<Self::Item>, Option<String>);
}

impl ListPage for MailboxPage {
    type Item = MailboxView;
    fn split(self) -> (Vec<MailboxView>, Option<String>) {
        (self.items, self.next)
    }
}

impl ListPage for PinInfoPage {
    type Item = PinInfoView;
    fn split(self) -> (Vec<PinInfoView>, Option<String>) {
        (self.items, self.next)
    }
}

/// The items of a mailbox list (`/mailboxes`, or `/pins` for their PIN states) in address
/// order, page by page, up to `--result-size`.
fn list_pages<P>(client: &Client, collection: &str, options: &ListOptions) -> anyhow::Result<Vec<P::Item>>
where
    P: ListPage + serde::de::DeserializeOwned,
{
    let wanted = usize::try_from(options.result_size).unwrap_or(usize::MAX);
    let mut query = MailboxListQuery { limit: Some(MAX_PAGE_SIZE.min(options.result_size)), ..requests::list(options) };
    let mut found = Vec::new();
    loop {
        let (items, next) = client.get::<P>(collection, &query)?.split();
        found.extend(items.into_iter().take(wanted - found.len()));
        match next {
            Some(cursor) if found.len() < wanted => query.after = Some(cursor),
            _ => return Ok(found),
        }
    }
}

fn mailbox(client: &Client, json: bool, command: MailboxCommand) -> anyhow::Result<Completion> {
    match command {
        MailboxCommand::Enable(options) => {
            let request = requests::enable_mailbox(options)?;
            let validate_only = request.validate_only;
            let enabled: MailboxView = client.send(Method::Post, "/mailboxes", Some(&request))?;
            if validate_only {
                output::validated(json);
                return Ok(Completion::Done);
            }
            print_one(json, shown(&enabled));
        }
        MailboxCommand::Disable { identity, keep_properties } => {
            client.delete(&format!("{}?keepProperties={keep_properties}", path("mailboxes", &identity.get())))?;
        }
        MailboxCommand::Get { identity, filter } => match identity.get() {
            Some(identity) => {
                print_one(json, shown(&client.get::<MailboxView>(&path("mailboxes", &identity), NO_QUERY)?))
            }
            None => {
                let mailboxes = list_pages::<MailboxPage>(client, "/mailboxes", &filter)?;
                print_many(json, mailboxes.iter().map(shown).collect());
            }
        },
        MailboxCommand::Set { identity, policy, properties } => {
            let request = requests::set_mailbox(policy, properties);
            let changed: MailboxView =
                client.send(Method::Patch, &path("mailboxes", &identity.get()), Some(&request))?;
            print_one(json, shown(&changed));
        }
    }
    Ok(Completion::Done)
}

fn pin_path(identity: &str, what: &str) -> String {
    format!("{}/{what}", path("mailboxes", identity))
}

fn pin(client: &Client, json: bool, command: PinCommand) -> anyhow::Result<Completion> {
    match command {
        PinCommand::Get { identity, filter } => match identity.get() {
            Some(identity) => {
                print_one(json, shown(&client.get::<PinInfoView>(&pin_path(&identity, "pin"), NO_QUERY)?))
            }
            None => {
                let states = list_pages::<PinInfoPage>(client, "/pins", &filter)?;
                print_many(json, states.iter().map(shown).collect());
            }
        },
        PinCommand::Set { identity, pin, pin_expired, locked_out, send_email, notify_email } => {
            let request = requests::set_pin(pin_argument(pin)?, pin_expired, locked_out, send_email, notify_email);
            let state: PinInfoView = client.send(Method::Put, &pin_path(&identity.get(), "pin"), Some(&request))?;
            print_one(json, shown(&state));
        }
        PinCommand::Lock { identity } => {
            let state: PinInfoView = client.send(Method::Post, &pin_path(&identity.get(), "lock"), NO_BODY)?;
            print_one(json, shown(&state));
        }
        PinCommand::Unlock { identity } => {
            let state: PinInfoView = client.send(Method::Post, &pin_path(&identity.get(), "unlock"), NO_BODY)?;
            print_one(json, shown(&state));
        }
        PinCommand::Test { identity, dial_plan } => {
            // The voice-access sign-in: allowed to Voice Service tokens only.
            let request = SignInRequest {
                extension: None,
                identity: Some(identity.get()),
                pin: PinText(read_pin_line()?),
                caller_id: None,
                calling_system: None,
                dial_plan,
            };
            let answer: SignInResponse = client.send(Method::Post, "/voice-access/sign-in", Some(&request))?;
            return Ok(output::sign_in_outcome(json, answer.outcome));
        }
        // Refused in `run`, before any request.
        PinCommand::Change { .. } => {}
    }
    Ok(Completion::Done)
}

/// A request without a body.
const NO_BODY: Option<&()> = None;

fn audit(client: &Client, json: bool, args: AuditArgs) -> anyhow::Result<Completion> {
    let events: Vec<AuditEventView> = client.get("/audit-events", &requests::audit(args))?;
    print_many(json, events.iter().map(shown).collect());
    Ok(Completion::Done)
}

/// API tokens through `/api/v1/api-tokens`: `{name, role, expiresInDays | neverExpires}` in,
/// the token (with its secret, once) out.
fn token(client: &Client, json: bool, command: TokenCommand) -> anyhow::Result<Completion> {
    match command {
        TokenCommand::Create { name, role, expires } => {
            // Checked here as locally (the core's parser), sent in the API's spelling.
            let role: Role = role.parse().map_err(voicepin_core::Error::from)?;
            let (expires_in_days, never_expires) = match expires {
                Some(voicepin_core::tokens::TokenLifetime::Days(days)) => (Some(days), false),
                Some(voicepin_core::tokens::TokenLifetime::Never) => (None, true),
                None => (None, false),
            };
            let request = NewApiTokenRequest { name, role: role.as_str().to_owned(), expires_in_days, never_expires };
            let created: ApiTokenCreated = client.send(Method::Post, "/api-tokens", Some(&request))?;
            output::print_with_secret(json, shown(&created.api_token), ShownOnce::Token, created.token.into());
        }
        TokenCommand::List => {
            print_many(json, client.get::<Vec<ApiTokenView>>("/api-tokens", NO_QUERY)?.iter().map(shown).collect())
        }
        TokenCommand::Revoke { identity } => {
            let revoked: ApiTokenView = client.send(Method::Delete, &path("api-tokens", &identity), NO_BODY)?;
            print_one(json, shown(&revoked));
        }
    }
    Ok(Completion::Done)
}

/// Administrator accounts over `/api/v1/admin-accounts` (`admin recover` stays local).
fn admin(client: &Client, json: bool, command: AdminCommand) -> anyhow::Result<Completion> {
    let role = |text: String| text.parse::<Role>().map(|r| r.as_str().to_owned()).map_err(voicepin_core::Error::from);
    match command {
        AdminCommand::New { name, role: given } => {
            let request = NewAdminAccountRequest { name, role: role(given)? };
            let created: OneTimePasswordResponse = client.send(Method::Post, "/admin-accounts", Some(&request))?;
            let secret = created.one_time_password.into();
            output::print_with_secret(json, shown(&created.account), ShownOnce::OneTimePassword, secret);
        }
        AdminCommand::Get { name: Some(name) } => {
            print_one(json, shown(&client.get::<AdminAccountView>(&path("admin-accounts", &name), NO_QUERY)?))
        }
        AdminCommand::Get { name: None } => print_many(
            json,
            client.get::<Vec<AdminAccountView>>("/admin-accounts", NO_QUERY)?.iter().map(shown).collect(),
        ),
        AdminCommand::Set { name, role: given, disabled } => {
            let request = SetAdminAccountRequest { role: given.map(role).transpose()?, disabled };
            let changed: AdminAccountView =
                client.send(Method::Patch, &path("admin-accounts", &name), Some(&request))?;
            print_one(json, shown(&changed));
        }
        AdminCommand::Remove { name } => {
            client.delete(&path("admin-accounts", &name))?;
            output::account_removed(json, &name);
        }
        // Refused in `run`, before any request.
        AdminCommand::Recover { .. } => {}
    }
    Ok(Completion::Done)
}
