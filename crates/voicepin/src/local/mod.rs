//! The local command dispatcher: runs a parsed command against the use cases on the data
//! directory and prints the result (`--server` runs it through [`crate::remote`] instead).

mod accounts;
mod mailboxes;
mod plans;

use anyhow::Result;
use voicepin_core::VoicePin;
use voicepin_core::access::Role;
use voicepin_core::audit::RequestContext;
use voicepin_core::usecases::AuditFilter;
use voicepin_wire::{ApiTokenView, AuditEventView, MailRecordView};

use crate::app::App;
use crate::cli::{AuditArgs, Cli, Command, KeyCommand, MailCommand, TokenCommand};
use crate::config::Config;
use crate::exit::Completion;
use crate::input::local_user;
use crate::output::{self, ShownOnce, print_many, print_one, shown};
use crate::requests;

/// Runs the command.
pub async fn run(cli: Cli, config: &Config) -> Result<Completion> {
    if let Command::Key(command) = &cli.command {
        return run_key(&cli, config, command);
    }
    let app = App::open(config).await?;
    let context = RequestContext::local(local_user());
    let json = cli.json;
    let completion = match cli.command {
        Command::DialPlan(command) => plans::run_dial_plan(&app.voicepin, &context, json, command).await?,
        Command::Policy(command) => plans::run_policy(&app.voicepin, &context, json, command).await?,
        Command::Mailbox(command) => mailboxes::run_mailbox(&app.voicepin, &context, json, command).await?,
        Command::Pin(command) => mailboxes::run_pin(&app.voicepin, &context, json, command).await?,
        Command::Mail(command) => return run_mail(&app, &context, json, command).await,
        Command::Audit(args) => run_audit(&app.voicepin, &context, json, args).await?,
        Command::Token(command) => run_token(&app.voicepin, &context, json, command).await?,
        Command::Admin(command) => {
            accounts::run(&app.voicepin, &context, json, command).await?;
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
            print_many(json, records.iter().map(|r| shown(&MailRecordView::from(r))).collect());
        }
        MailCommand::Retry { id } => {
            app.voicepin.requeue_mail(context, &id).await?;
            app.deliver_or_leave_to_server().await?;
        }
    }
    Ok(Completion::Done)
}

async fn run_audit(app: &VoicePin, context: &RequestContext, json: bool, args: AuditArgs) -> Result<Completion> {
    let filter = AuditFilter::from(requests::audit(args));
    print_many(
        json,
        app.audit_events(context, &filter).await?.iter().map(|e| shown(&AuditEventView::from(e))).collect(),
    );
    Ok(Completion::Done)
}

async fn run_token(app: &VoicePin, context: &RequestContext, json: bool, command: TokenCommand) -> Result<Completion> {
    match command {
        TokenCommand::Create { name, role, expires } => {
            let role: Role = role.parse()?;
            let (token, secret) = app.create_token(context, &name, role, expires).await?;
            output::print_with_secret(
                json,
                shown(&ApiTokenView::from(&token)),
                ShownOnce::Token,
                secret.expose().into(),
            );
        }
        TokenCommand::List => {
            print_many(json, app.list_tokens(context).await?.iter().map(|t| shown(&ApiTokenView::from(t))).collect())
        }
        TokenCommand::Revoke { identity } => {
            print_one(json, shown(&ApiTokenView::from(&app.revoke_token(context, &identity).await?)))
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
