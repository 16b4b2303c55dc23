//! `voicepin admin`: administrator accounts on the local data directory. `admin recover` is
//! the break-glass command (as kanidm's recover-account): whoever holds the data directory
//! sets a new one-time password, while the server runs; it is audited with channel `cli`.

use anyhow::Result;
use voicepin_core::VoicePin;
use voicepin_core::access::Role;
use voicepin_core::accounts::{AdminAccount, Password};
use voicepin_core::audit::RequestContext;
use voicepin_core::usecases::AccountSettings;

use crate::cli::AdminCommand;
use voicepin_wire::AdminAccountView;

use crate::output::{self, ShownOnce, print_many, print_one, shown};

/// Prints an account with its one-time password (the only time it is shown).
fn with_password(json: bool, printed: &AdminAccount, password: &Password) {
    output::print_with_secret(
        json,
        shown(&AdminAccountView::from(printed)),
        ShownOnce::OneTimePassword,
        password.expose().into(),
    );
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
            print_one(json, shown(&AdminAccountView::from(&app.get_account(context, &name).await?)))
        }
        AdminCommand::Get { name: None } => print_many(
            json,
            app.list_accounts(context).await?.iter().map(|a| shown(&AdminAccountView::from(a))).collect(),
        ),
        AdminCommand::Set { name, role, disabled } => {
            let role = role.map(|r| r.parse::<Role>()).transpose()?;
            let changed = app.set_account(context, &name, AccountSettings { role, disabled }).await?;
            print_one(json, shown(&AdminAccountView::from(&changed)));
        }
        AdminCommand::Remove { name } => {
            app.remove_account(context, &name).await?;
            output::account_removed(json, &name);
        }
        AdminCommand::Recover { name } => {
            let (recovered, password) = app.recover_account(context, name.as_deref()).await?;
            with_password(json, &recovered, &password);
        }
    }
    Ok(())
}
