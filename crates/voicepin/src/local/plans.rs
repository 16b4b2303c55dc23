//! `voicepin dialplan` and `voicepin policy` on the local data directory.

use anyhow::Result;
use voicepin_core::VoicePin;
use voicepin_core::audit::RequestContext;
use voicepin_core::usecases::{DialPlanSettings, NewDialPlan};
use voicepin_wire::{DialPlanView, PolicyView};

use crate::cli::{DialPlanCommand, PolicyCommand};
use crate::exit::Completion;
use crate::output::{self, print_many, print_one, shown};
use crate::requests;

pub(super) async fn run_dial_plan(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    command: DialPlanCommand,
) -> Result<Completion> {
    match command {
        DialPlanCommand::New { name, settings, generate_um_mailbox_policy, .. } => {
            let request = requests::new_dial_plan(name.get(), settings, generate_um_mailbox_policy);
            let (plan, policy) = app.new_dial_plan(context, NewDialPlan::from(request)).await?;
            if let (Some(policy), false) = (&policy, json) {
                eprintln!("voicepin: created UM mailbox policy {:?}", policy.name.as_str());
            }
            print_one(json, shown(&DialPlanView::from(&plan)));
        }
        DialPlanCommand::Get { identity } => match identity.get() {
            Some(identity) => {
                print_one(json, shown(&DialPlanView::from(&app.get_dial_plan(context, &identity).await?)))
            }
            None => {
                let plans = app.list_dial_plans(context).await?;
                print_many(json, plans.iter().map(|plan| shown(&DialPlanView::from(plan))).collect());
            }
        },
        DialPlanCommand::Set { identity, name, settings } => {
            let settings = DialPlanSettings::from(requests::set_dial_plan(name, settings));
            let plan = app.set_dial_plan(context, &identity.get(), settings).await?;
            print_one(json, shown(&DialPlanView::from(&plan)));
        }
        DialPlanCommand::Remove { identity } => app.remove_dial_plan(context, &identity.get()).await?,
    }
    Ok(Completion::Done)
}

pub(super) async fn run_policy(
    app: &VoicePin,
    context: &RequestContext,
    json: bool,
    command: PolicyCommand,
) -> Result<Completion> {
    match command {
        PolicyCommand::New { name, dial_plan, settings } => {
            let request = requests::new_policy(name.get(), dial_plan, settings).into_new_policy()?;
            print_one(json, shown(&PolicyView::from(&app.new_policy(context, request).await?)));
        }
        PolicyCommand::Get { identity, dial_plan } => match identity.get() {
            Some(identity) => print_one(json, shown(&PolicyView::from(&app.get_policy(context, &identity).await?))),
            None => {
                let policies = app.list_policies(context, dial_plan.as_deref()).await?;
                output::print_policies(json, policies.iter().map(|p| shown(&PolicyView::from(p))).collect());
            }
        },
        PolicyCommand::Set { identity, name, settings } => {
            let settings = requests::set_policy(name, settings).into_settings()?;
            print_one(json, shown(&PolicyView::from(&app.set_policy(context, &identity.get(), settings).await?)));
        }
        PolicyCommand::Remove { identity } => app.remove_policy(context, &identity.get()).await?,
    }
    Ok(Completion::Done)
}
