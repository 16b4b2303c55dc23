//! Every use case with every actor, against the one table ([`crate::access::permits`]), with
//! no front end: a use case refuses exactly what the table refuses.
//!
//! [`UseCase::ALL`] lists the use cases; a test reads the sources of this folder and fails
//! when a `pub async fn` of [`VoicePin`] is missing from it, and [`call`] must invoke every
//! listed one (its `match` has no catch-all), so a use case added later is walked too.

use std::sync::Arc;

use super::memory_store::MemoryStore;
use super::*;
use crate::access::{Operation, Role, permits};
use crate::accounts::Password;
use crate::context::{Actor, Channel, Proof, RequestContext};
use crate::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
use crate::ids::{AccountId, MailboxId};
use crate::ports::SystemClock;

/// Every use case of [`VoicePin`], by its method name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UseCase {
    NewDialPlan,
    GetDialPlan,
    ListDialPlans,
    SetDialPlan,
    RemoveDialPlan,
    NewPolicy,
    GetPolicy,
    ListPolicies,
    SetPolicy,
    RemovePolicy,
    EnableMailbox,
    DisableMailbox,
    GetMailbox,
    OwnMailbox,
    ListMailboxes,
    SetMailbox,
    GetPinInfo,
    ListPinInfo,
    SetPin,
    Lock,
    Unlock,
    ChangePin,
    ResetOwnPin,
    AuditEvents,
    SignIn,
    RecogniseCaller,
    DialPlansForCalls,
    NewAccount,
    ListAccounts,
    GetAccount,
    SetAccount,
    RemoveAccount,
    ResetAccountPassword,
    RecoverAccount,
    ChangeOwnPassword,
    SignInWithPassword,
    SignOut,
    CreateToken,
    ListTokens,
    RevokeToken,
    CheckReady,
    MailQueueStats,
    MailQueue,
    RequeueMail,
    RequestPinResetLink,
    OpenPinResetLink,
    ResetPinWithLink,
    AuditCountsPerDay,
    MailboxCounts,
    SaveRecording,
    SetOutOfOffice,
    FinishFirstTimeSetup,
    ListRecordings,
    GetRecording,
}

/// Not use cases: they prove who an actor is (a bearer token, a session cookie) before any
/// context exists, and act for nobody.
const AUTHENTICATION: [&str; 2] = ["authenticate_token", "authenticate_session"];

impl UseCase {
    const ALL: [UseCase; 54] = [
        Self::NewDialPlan,
        Self::GetDialPlan,
        Self::ListDialPlans,
        Self::SetDialPlan,
        Self::RemoveDialPlan,
        Self::NewPolicy,
        Self::GetPolicy,
        Self::ListPolicies,
        Self::SetPolicy,
        Self::RemovePolicy,
        Self::EnableMailbox,
        Self::DisableMailbox,
        Self::GetMailbox,
        Self::OwnMailbox,
        Self::ListMailboxes,
        Self::SetMailbox,
        Self::GetPinInfo,
        Self::ListPinInfo,
        Self::SetPin,
        Self::Lock,
        Self::Unlock,
        Self::ChangePin,
        Self::ResetOwnPin,
        Self::AuditEvents,
        Self::SignIn,
        Self::RecogniseCaller,
        Self::DialPlansForCalls,
        Self::NewAccount,
        Self::ListAccounts,
        Self::GetAccount,
        Self::SetAccount,
        Self::RemoveAccount,
        Self::ResetAccountPassword,
        Self::RecoverAccount,
        Self::ChangeOwnPassword,
        Self::SignInWithPassword,
        Self::SignOut,
        Self::CreateToken,
        Self::ListTokens,
        Self::RevokeToken,
        Self::CheckReady,
        Self::MailQueueStats,
        Self::MailQueue,
        Self::RequeueMail,
        Self::RequestPinResetLink,
        Self::OpenPinResetLink,
        Self::ResetPinWithLink,
        Self::AuditCountsPerDay,
        Self::MailboxCounts,
        Self::SaveRecording,
        Self::SetOutOfOffice,
        Self::FinishFirstTimeSetup,
        Self::ListRecordings,
        Self::GetRecording,
    ];

    /// The method's name: the variant's name in snake case.
    fn method(self) -> String {
        crate::naming::kebab_case(&format!("{self:?}")).replace('-', "_")
    }

    /// The operation the use case must be refused by.
    fn operation(self) -> Operation {
        use Operation::*;
        match self {
            Self::GetDialPlan | Self::ListDialPlans | Self::GetPolicy | Self::ListPolicies => ViewConfiguration,
            Self::NewDialPlan | Self::SetDialPlan | Self::RemoveDialPlan => ManageDialPlans,
            Self::NewPolicy | Self::SetPolicy | Self::RemovePolicy => ManagePolicies,
            Self::EnableMailbox | Self::DisableMailbox | Self::SetMailbox => ManageMailboxes,
            Self::GetMailbox
            | Self::ListMailboxes
            | Self::GetPinInfo
            | Self::ListPinInfo
            | Self::ListRecordings
            | Self::GetRecording => ViewMailboxes,
            Self::SaveRecording | Self::SetOutOfOffice | Self::FinishFirstTimeSetup => ManageGreetings,
            Self::OwnMailbox => ViewOwnMailbox,
            Self::SetPin => ResetPins,
            Self::Lock => LockMailboxes,
            Self::Unlock => UnlockMailboxes,
            Self::ChangePin => ChangeOwnPin,
            Self::ResetOwnPin => Operation::ResetOwnPin,
            Self::AuditEvents | Self::AuditCountsPerDay => ViewAudit,
            Self::MailboxCounts => ViewMailboxes,
            Self::SignIn | Self::RecogniseCaller | Self::DialPlansForCalls => VoiceSignIn,
            Self::ListAccounts | Self::GetAccount | Self::ListTokens => ViewAccounts,
            Self::NewAccount
            | Self::SetAccount
            | Self::RemoveAccount
            | Self::ResetAccountPassword
            | Self::CreateToken
            | Self::RevokeToken => ManageAccounts,
            Self::RecoverAccount => Operation::RecoverAccount,
            Self::ChangeOwnPassword | Self::SignOut => ManageOwnAccount,
            Self::SignInWithPassword => PasswordSignIn,
            Self::CheckReady | Self::MailQueueStats | Self::MailQueue => ViewMailQueue,
            Self::RequeueMail => ManageMailQueue,
            Self::RequestPinResetLink | Self::OpenPinResetLink | Self::ResetPinWithLink => UsePinResetLink,
        }
    }
}

const ALICE_PIN: &str = "482913";
const ALICE: &str = "alice@example.com";

/// What the walk needs after seeding: alice's and bob's mailboxes, bob's account and session.
struct Seeded {
    voicepin: VoicePin,
    alice: MailboxId,
    bob: MailboxId,
    account: AccountId,
    session: SessionAuth,
    password: Password,
    link: crate::links::LinkSecret,
}

async fn seeded() -> Seeded {
    let cheap = Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 };
    let hasher = Argon2Hasher::new(vec![PepperKey::generate("test").unwrap()], cheap).unwrap();
    let voicepin = VoicePin::new(Arc::new(MemoryStore::default()), Arc::new(hasher), Arc::new(SystemClock));
    let root = RequestContext::local("root");
    let plan = NewDialPlan {
        name: "Main".into(),
        settings: DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() },
        generate_policy: true,
    };
    voicepin.new_dial_plan(&root, plan).await.unwrap();
    let enable = |identity: &str, extension: &str| EnableMailbox {
        identity: identity.into(),
        policy: Some("Main Default Policy".into()),
        extensions: vec![extension.into()],
        pin: Some(Pin::new(ALICE_PIN)),
        pin_expired: Some(false),
        ..EnableMailbox::default()
    };
    let alice = voicepin.enable_mailbox(&root, enable(ALICE, "12345")).await.unwrap().mailbox.id;
    let bob = voicepin.enable_mailbox(&root, enable("bob@example.com", "22222")).await.unwrap().mailbox.id;
    let (account, password) = voicepin.new_account(&root, "bob", Role::HelpDesk).await.unwrap();
    voicepin.create_token(&root, "pbx1", Role::VoiceService, None).await.unwrap();
    let anonymous = RequestContext::anonymous(Channel::Web);
    let signed_in = voicepin.sign_in_with_password(&anonymous, "bob", &password).await.unwrap();
    voicepin.request_pin_reset_link(&anonymous, ALICE, "https://voicepin.example.com").await.unwrap();
    let link = super::self_service::tests::mailed_link(&voicepin).await;
    Seeded { voicepin, alice, bob, account: account.id, session: signed_in.auth, password, link }
}

/// Calls `use_case` as `context` on the seeded data (alice's mailbox, bob's account): only
/// whether it was refused matters.
async fn call(use_case: UseCase, context: &RequestContext, s: &Seeded) -> Result<()> {
    let vp = &s.voicepin;
    let policy = "Main Default Policy";
    match use_case {
        UseCase::NewDialPlan => {
            let settings = DialPlanSettings { number_of_digits_in_extension: Some(4), ..Default::default() };
            let plan = NewDialPlan { name: "Branch".into(), settings, generate_policy: true };
            vp.new_dial_plan(context, plan).await.map(drop)
        }
        UseCase::GetDialPlan => vp.get_dial_plan(context, "Main").await.map(drop),
        UseCase::ListDialPlans => vp.list_dial_plans(context).await.map(drop),
        UseCase::SetDialPlan => {
            let settings = DialPlanSettings { logon_failures_before_disconnect: Some(4), ..Default::default() };
            vp.set_dial_plan(context, "Main", settings).await.map(drop)
        }
        UseCase::RemoveDialPlan => vp.remove_dial_plan(context, "Main").await,
        UseCase::NewPolicy => {
            let request = NewPolicy { name: "Strict".into(), dial_plan: "Main".into(), settings: Default::default() };
            vp.new_policy(context, request).await.map(drop)
        }
        UseCase::GetPolicy => vp.get_policy(context, policy).await.map(drop),
        UseCase::ListPolicies => vp.list_policies(context, None).await.map(drop),
        UseCase::SetPolicy => {
            let settings = PolicySettings { min_pin_length: Some(7), ..Default::default() };
            vp.set_policy(context, policy, settings).await.map(drop)
        }
        UseCase::RemovePolicy => vp.remove_policy(context, policy).await,
        UseCase::EnableMailbox => {
            let request = EnableMailbox {
                identity: "carol@example.com".into(),
                policy: Some(policy.into()),
                extensions: vec!["33333".into()],
                ..EnableMailbox::default()
            };
            vp.enable_mailbox(context, request).await.map(drop)
        }
        UseCase::DisableMailbox => vp.disable_mailbox(context, ALICE, true).await,
        UseCase::GetMailbox => vp.get_mailbox(context, ALICE).await.map(drop),
        UseCase::OwnMailbox => vp.own_mailbox(context).await.map(drop),
        UseCase::ListMailboxes => vp.list_mailboxes(context, &MailboxFilter::default()).await.map(drop),
        UseCase::SetMailbox => {
            let settings = MailboxSettings { display_name: Some("Alice L.".into()), ..Default::default() };
            vp.set_mailbox(context, ALICE, settings).await.map(drop)
        }
        UseCase::GetPinInfo => vp.get_pin_info(context, ALICE).await.map(drop),
        UseCase::ListPinInfo => vp.list_pin_info(context, &MailboxFilter::default()).await.map(drop),
        UseCase::SetPin => {
            vp.set_pin(context, ALICE, SetPin { send_email: Some(false), ..SetPin::default() }).await.map(drop)
        }
        UseCase::Lock => vp.lock(context, ALICE).await.map(drop),
        UseCase::Unlock => vp.unlock(context, ALICE).await.map(drop),
        UseCase::ChangePin => vp.change_pin(context, ALICE, &Pin::new(ALICE_PIN), &Pin::new("730164")).await.map(drop),
        UseCase::ResetOwnPin => vp.reset_own_pin(context, ALICE).await.map(drop),
        UseCase::AuditEvents => vp.audit_events(context, &AuditFilter::default()).await.map(drop),
        UseCase::AuditCountsPerDay => vp.audit_counts_per_day(context, &AuditFilter::default()).await.map(drop),
        UseCase::MailboxCounts => vp.mailbox_counts(context).await.map(drop),
        UseCase::SignIn => {
            let request = SignIn { identity: "12345".into(), dial_plan: None, pin: Pin::new(ALICE_PIN) };
            vp.sign_in(context, &request).await.map(drop)
        }
        UseCase::RecogniseCaller => vp.recognise_caller(context, None, "12345").await.map(drop),
        UseCase::DialPlansForCalls => vp.dial_plans_for_calls(context).await.map(drop),
        UseCase::NewAccount => vp.new_account(context, "carol", Role::ViewOnly).await.map(drop),
        UseCase::ListAccounts => vp.list_accounts(context).await.map(drop),
        UseCase::GetAccount => vp.get_account(context, "bob").await.map(drop),
        UseCase::SetAccount => {
            let settings = AccountSettings { role: Some(Role::UmManagement), disabled: None };
            vp.set_account(context, "bob", settings).await.map(drop)
        }
        UseCase::RemoveAccount => vp.remove_account(context, "bob").await,
        UseCase::ResetAccountPassword => vp.reset_account_password(context, "bob").await.map(drop),
        UseCase::RecoverAccount => vp.recover_account(context, Some("bob")).await.map(drop),
        UseCase::ChangeOwnPassword => {
            let new = Password::new("a new password, long enough");
            vp.change_own_password(context, s.account, s.session.session_id, &s.password, &new).await.map(drop)
        }
        UseCase::SignInWithPassword => vp.sign_in_with_password(context, "bob", &s.password).await.map(drop),
        UseCase::SignOut => vp.sign_out(context, &s.session).await,
        UseCase::CreateToken => vp
            .create_token(context, "script", Role::HelpDesk, Some(crate::tokens::TokenLifetime::Days(30)))
            .await
            .map(drop),
        UseCase::ListTokens => vp.list_tokens(context).await.map(drop),
        UseCase::RevokeToken => vp.revoke_token(context, "pbx1").await.map(drop),
        UseCase::CheckReady => vp.check_ready(context).await,
        UseCase::MailQueueStats => vp.mail_queue_stats(context).await.map(drop),
        UseCase::MailQueue => vp.mail_queue(context, true, 10).await.map(drop),
        UseCase::RequeueMail => vp.requeue_mail(context, &crate::ids::MailId::new_random().to_string()).await,
        UseCase::RequestPinResetLink => vp.request_pin_reset_link(context, ALICE, "https://voicepin.example.com").await,
        // A link that does not work: refused as invalid (not forbidden) when the actor may
        // follow links at all.
        UseCase::OpenPinResetLink => vp.open_pin_reset_link(context, &s.link).await.map(drop),
        UseCase::ResetPinWithLink => vp.reset_pin_with_link(context, &s.link).await.map(drop),
        UseCase::SaveRecording => {
            let audio = crate::recording::RecordedAudio::from_mulaw(vec![0xff; 800])?;
            vp.save_recording(context, ALICE, crate::recording::RecordingKind::Name, audio).await
        }
        UseCase::SetOutOfOffice => vp.set_out_of_office(context, ALICE, true).await,
        UseCase::FinishFirstTimeSetup => vp.finish_first_time_setup(context, ALICE).await,
        UseCase::ListRecordings => vp.list_recordings(context, ALICE).await.map(drop),
        UseCase::GetRecording => {
            vp.get_recording(context, ALICE, crate::recording::RecordingKind::Name).await.map(drop)
        }
    }
}

/// Every actor: each role, a PBX, alice, bob (a mailbox owner acting on alice's mailbox),
/// the local operator, voicepin itself and nobody.
fn actors(s: &Seeded) -> Vec<Actor> {
    let mut actors: Vec<Actor> = Role::ALL
        .into_iter()
        .map(|role| Actor::Administrator { name: format!("{}-admin", role.as_str()), role })
        .collect();
    actors.push(Actor::CallingSystem { name: "pbx1".into() });
    actors.push(Actor::MailboxOwner { mailbox: s.alice, address: ALICE.into(), proof: Proof::Pin });
    actors.push(Actor::MailboxOwner { mailbox: s.bob, address: "bob@example.com".into(), proof: Proof::EmailLink });
    actors.push(Actor::LocalOperator { os_user: "root".into() });
    actors.push(Actor::System);
    actors.push(Actor::Anonymous);
    actors
}

/// What the table says: the operation is permitted, and an owner acts on their own mailbox
/// (every mailbox use case here acts on alice's; [`UseCase::OwnMailbox`] on the owner's).
fn expected(actor: &Actor, use_case: UseCase, alice: MailboxId) -> bool {
    let on_own = match actor {
        Actor::MailboxOwner { mailbox, .. } => use_case == UseCase::OwnMailbox || *mailbox == alice,
        _ => true,
    };
    permits(actor, use_case.operation()) && on_own
}

#[tokio::test]
async fn every_use_case_refuses_what_the_table_refuses() {
    let mut walked = 0;
    for use_case in UseCase::ALL {
        for index in 0..11 {
            // Fresh data for each call, so one allowed change does not hide the next check.
            let s = seeded().await;
            let actor = actors(&s).swap_remove(index);
            let context = RequestContext::new(actor.clone(), Channel::Api);
            let result = call(use_case, &context, &s).await;
            let refused = matches!(result, Err(Error::Forbidden { .. }));
            assert_eq!(
                !refused,
                expected(&actor, use_case, s.alice),
                "{use_case:?} as {actor:?} ({:?}): {result:?}",
                use_case.operation()
            );
            walked += 1;
        }
    }
    assert_eq!(walked, UseCase::ALL.len() * 11);
}

/// The `pub async fn`s of [`VoicePin`] in this folder's sources.
fn public_methods() -> Vec<String> {
    let sources = [
        include_str!("mod.rs"),
        include_str!("accounts.rs"),
        include_str!("dial_plans.rs"),
        include_str!("greetings.rs"),
        include_str!("mailboxes.rs"),
        include_str!("pins.rs"),
        include_str!("policies.rs"),
        include_str!("queries.rs"),
        include_str!("self_service.rs"),
        include_str!("service.rs"),
        include_str!("sessions.rs"),
        include_str!("sign_in.rs"),
        include_str!("tokens.rs"),
    ];
    sources
        .iter()
        .flat_map(|source| source.split("pub async fn ").skip(1))
        .filter_map(|rest| rest.split(['(', '<']).next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_walk_lists_every_use_case() {
    // Every module of the folder is read above (a new file must be added there too).
    let modules: Vec<&str> = include_str!("mod.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("mod ").and_then(|m| m.strip_suffix(';')))
        .collect();
    let read = [
        "accounts",
        "dial_plans",
        "greetings",
        "mailboxes",
        "pins",
        "policies",
        "queries",
        "self_service",
        "service",
        "sessions",
        "sign_in",
        "tokens",
    ];
    for module in &modules {
        assert!(read.contains(module) || module.ends_with("tests") || *module == "memory_store", "{module}");
    }
    let mut listed: Vec<String> = UseCase::ALL.iter().map(|u| u.method()).collect();
    listed.extend(AUTHENTICATION.iter().map(|m| (*m).to_owned()));
    listed.sort();
    let mut found = public_methods();
    found.sort();
    assert_eq!(found, listed, "a public use case is missing from UseCase::ALL (or listed but gone)");
}

#[test]
fn every_operation_has_a_use_case_or_is_for_a_front_end_to_come() {
    let to_come: [Operation; 0] = [];
    for operation in Operation::ALL {
        let used = UseCase::ALL.iter().any(|u| u.operation() == operation);
        assert!(used || to_come.contains(&operation), "{operation:?} has no use case");
    }
}

#[test]
fn nothing_means_every_right() {
    // Every actor is refused something, the local operator included.
    let alice = MailboxId::new_random();
    let everyone = [
        Actor::Administrator { name: "a".into(), role: Role::OrganizationManagement },
        Actor::CallingSystem { name: "p".into() },
        Actor::MailboxOwner { mailbox: alice, address: ALICE.into(), proof: Proof::Pin },
        Actor::LocalOperator { os_user: "root".into() },
        Actor::System,
        Actor::Anonymous,
    ];
    for actor in everyone {
        assert!(Operation::ALL.iter().any(|op| !permits(&actor, *op)), "{actor:?}");
    }
}
