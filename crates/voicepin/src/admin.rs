//! `voicepin admin`: administrator accounts on the local data directory. `admin recover` is
//! the break-glass command (as kanidm's recover-account): whoever holds the data directory
//! sets a new one-time password, while the server runs; it is audited with channel `cli`.

use anyhow::Result;
use clap::Subcommand;
use voicepin_core::VoicePin;
use voicepin_core::access::Role;
use voicepin_core::accounts::{AdminAccount, Password};
use voicepin_core::audit::RequestContext;
use voicepin_core::usecases::AccountSettings;

use crate::cli::parse_bool;
use crate::output::{self, ShownOnce, print_many, print_one};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account with a one-time password, printed once.
    New {
        /// The sign-in name (letters, digits, dots, dashes, underscores, @).
        #[arg(value_name = "NAME")]
        name: String,
        /// organizationManagement, umManagement, helpDesk, viewOnly or voiceService
        /// (Exchange's names work too: "Help Desk").
        #[arg(long, value_name = "ROLE")]
        role: String,
    },
    /// Show one account, or all.
    Get {
        /// Name or id; all accounts when omitted.
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
    /// Change an account's role or disable it (disabling ends its sessions).
    Set {
        /// Name or id.
        #[arg(value_name = "NAME")]
        name: String,
        /// The new role.
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
        /// Disable (true) or enable (false).
        #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
        disabled: Option<bool>,
    },
    /// Remove an account (never the last enabled Organization Management one).
    Remove {
        /// Name or id.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Break-glass: a new one-time password for NAME (default `admin`), printed once; the
    /// account is unlocked and enabled, or created with Organization Management.
    Recover {
        /// The account; `admin` when omitted.
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
}

/// Prints an account with its one-time password (the only time it is shown).
fn with_password(json: bool, printed: &AdminAccount, password: &Password) {
    output::print_with_secret(json, output::account(printed), ShownOnce::OneTimePassword, password.expose().into());
}

/// Runs an `admin` command.
pub async fn run(app: &VoicePin, context: &RequestContext, json: bool, command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::New { name, role } => {
            let role: Role = role.parse()?;
            let (created, password) = app.new_account(context, &name, role).await?;
            with_password(json, &created, &password);
        }
        AdminCommand::Get { name: Some(name) } => {
            print_one(json, output::account(&app.get_account(context, &name).await?))
        }
        AdminCommand::Get { name: None } => {
            print_many(json, app.list_accounts(context).await?.iter().map(output::account).collect())
        }
        AdminCommand::Set { name, role, disabled } => {
            let role = role.map(|r| r.parse::<Role>()).transpose()?;
            let changed = app.set_account(context, &name, AccountSettings { role, disabled }).await?;
            print_one(json, output::account(&changed));
        }
        AdminCommand::Remove { name } => {
            app.remove_account(context, &name).await?;
            if !json {
                eprintln!("voicepin: administrator account {name:?} removed");
            }
        }
        AdminCommand::Recover { name } => {
            let (recovered, password) = app.recover_account(context, name.as_deref()).await?;
            with_password(json, &recovered, &password);
        }
    }
    Ok(())
}
