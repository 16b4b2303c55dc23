//! The Exchange stories through the use cases, over a real store (any backend): the
//! counting of failed sign-ins, Set-UMMailboxPIN, lock and unlock, PIN changes, policies,
//! and concurrent sign-ins that must all be counted.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;
use voicepin_core::VoicePin;
use voicepin_core::access::Role;
use voicepin_core::audit::{AuditAction, Channel, RequestContext};
use voicepin_core::context::{Actor, Proof};
use voicepin_core::error::{Error, ObjectKind};
use voicepin_core::mailbox::Mailbox;
use voicepin_core::notify::{Notification, OutboundMail, ResetReason};
use voicepin_core::pin::Pin;
use voicepin_core::policy::{DialPlan, MailboxPolicy, PinLifetime, PinResetThreshold};
use voicepin_core::ports::{AuditQuery, MailboxLookup, Store};
use voicepin_core::rules::PinRuleViolation;
use voicepin_core::signin::SignInOutcome;
use voicepin_core::telemetry::Telemetry;
use voicepin_core::tokens::{TokenLifetime, TokenSecret};
use voicepin_core::usecases::{
    DialPlanSettings, EnableMailbox, MailboxSettings, NewDialPlan, NewPolicy, PinInfo, PolicySettings,
    RecognisedCaller, SetPin, SignIn, SignInResult,
};

use super::support::{admin, deliver, voicepin};

/// Instantiates every use-case story as a test over the stores `$factory` makes. The
/// runtime is multi-threaded everywhere, so the concurrent stories really race.
macro_rules! usecase_stories {
    ($factory:path) => {
        $crate::usecases::usecase_stories!(@cases $factory;
            the_counting_story_of_exchange,
            a_success_clears_both_counters,
            set_pin_generates_mails_and_unlocks,
            set_pin_options,
            lock_and_unlock,
            change_pin,
            enable_checks_the_pin,
            policies_in_use_and_ranges,
            dial_plans_and_mailbox_settings,
            concurrent_wrong_sign_ins_are_all_counted,
            concurrent_sign_ins_and_admin_writes,
            concurrent_right_and_wrong_sign_ins,
            api_tokens_authenticate_expire_and_revoke,
            roles_are_enforced_by_the_use_cases,
            callers_are_recognised_by_extension_or_phone_number,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(fixture) = $factory().await else { return };
                $crate::usecases::$case(fixture.store()).await;
            }
        )*
    };
}
pub(crate) use usecase_stories;

pub const TONY: &str = "tonysmith@contoso.com";
pub const WRONG: &str = "0000000";

/// New-UMDialPlan Contoso (5 digits) with its default policy.
async fn contoso(vp: &VoicePin) -> (DialPlan, MailboxPolicy) {
    let (plan, policy) = vp
        .new_dial_plan(
            &admin(),
            NewDialPlan {
                name: "Contoso".into(),
                settings: DialPlanSettings {
                    number_of_digits_in_extension: Some(5),
                    access_telephone_numbers: Some(vec!["+14255550100".into()]),
                    ..DialPlanSettings::default()
                },
                generate_policy: true,
            },
        )
        .await
        .unwrap();
    (plan, policy.unwrap())
}

/// Enable-UMMailbox with a known PIN.
async fn enable(vp: &VoicePin, address: &str, extension: &str, pin: &str, expired: bool) -> Mailbox {
    vp.enable_mailbox(
        &admin(),
        EnableMailbox {
            identity: address.into(),
            policy: Some("Contoso Default Policy".into()),
            extensions: vec![extension.into()],
            pin: Some(Pin::new(pin)),
            pin_expired: Some(expired),
            ..EnableMailbox::default()
        },
    )
    .await
    .unwrap()
    .mailbox
}

fn phone(caller: &str) -> RequestContext {
    let _ = caller;
    let caller_id = voicepin_core::context::CallerId::parse("callerId", "+14255550123").ok();
    RequestContext::anonymous(Channel::Phone)
        .from_source(voicepin_core::context::Source::default().with_caller_id(caller_id))
}

async fn sign_in(vp: &VoicePin, identity: &str, pin: &str) -> SignInResult {
    vp.sign_in(&phone(identity), &SignIn { identity: identity.into(), dial_plan: None, pin: Pin::new(pin) })
        .await
        .unwrap()
}

async fn wrong(vp: &VoicePin, times: usize) {
    for _ in 0..times {
        let result = sign_in(vp, TONY, WRONG).await;
        assert_eq!(result.outcome, SignInOutcome::Failed);
        assert_eq!(result.mailbox, None);
    }
}

async fn info(vp: &VoicePin) -> PinInfo {
    vp.get_pin_info(&admin(), TONY).await.unwrap()
}

fn counters(info: &PinInfo) -> (u32, u32) {
    (info.consecutive_failures, info.total_failures)
}

/// The PIN a reset or welcome message carries.
fn pin_of(mail: &OutboundMail) -> Pin {
    match &mail.notification {
        Notification::Welcome { pin, .. } | Notification::PinReset { pin, .. } => pin.clone(),
        other => panic!("{} carries no PIN", other.kind()),
    }
}

async fn events(store: &Arc<dyn Store>, action: AuditAction) -> usize {
    store
        .audit_events(&AuditQuery { action: Some(action), limit: 10_000, ..AuditQuery::default() })
        .await
        .unwrap()
        .len()
}

/// What the use cases reported to their telemetry.
#[derive(Default)]
struct Tally {
    outcomes: std::sync::Mutex<BTreeMap<&'static str, u32>>,
    resets: std::sync::atomic::AtomicU32,
    lockouts: std::sync::atomic::AtomicU32,
}

impl Telemetry for Tally {
    fn sign_in(&self, outcome: SignInOutcome) {
        *self.outcomes.lock().unwrap().entry(outcome.as_str()).or_default() += 1;
    }

    fn pin_auto_reset(&self) {
        self.resets.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn locked_out(&self) {
        self.lockouts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

pub async fn the_counting_story_of_exchange(store: Arc<dyn Store>) {
    let tally = Arc::new(Tally::default());
    let vp = voicepin(store.clone()).with_telemetry(tally.clone());
    contoso(&vp).await;
    enable(&vp, TONY, "36697", "1985848", false).await;
    let welcome = deliver(&store).await;
    assert_eq!(welcome.len(), 1);
    assert_eq!(pin_of(&welcome[0]).expose(), "1985848");

    // Four failures are only counted.
    wrong(&vp, 4).await;
    assert_eq!(counters(&info(&vp).await), (4, 4));
    assert!(deliver(&store).await.is_empty());

    // The fifth resets the PIN, expired, and mails the new one.
    wrong(&vp, 1).await;
    let state = info(&vp).await;
    assert_eq!(counters(&state), (0, 5));
    assert!(state.pin_expired);
    assert!(!state.locked_out);
    let mails = deliver(&store).await;
    assert_eq!(mails.len(), 1);
    let first_reset = pin_of(&mails[0]);
    assert_ne!(first_reset.expose(), "1985848");
    assert!(matches!(
        &mails[0].notification,
        Notification::PinReset { reason: ResetReason::TooManyFailures, change_required: true, .. }
    ));
    assert_eq!(mails[0].to.as_str(), TONY);

    // Five more: a second reset.
    wrong(&vp, 5).await;
    assert_eq!(counters(&info(&vp).await), (0, 10));
    let mails = deliver(&store).await;
    assert_eq!(mails.len(), 1);
    let second_reset = pin_of(&mails[0]);
    assert_ne!(second_reset, first_reset);

    // Five more: locked out, a notice without a PIN.
    wrong(&vp, 4).await;
    assert_eq!(counters(&info(&vp).await), (4, 14));
    wrong(&vp, 1).await;
    let state = info(&vp).await;
    assert!(state.locked_out);
    assert_eq!(state.total_failures, 15);
    let mails = deliver(&store).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].notification, Notification::LockedOut);
    assert_eq!(events(&store, AuditAction::PinAutoReset).await, 2);
    assert_eq!(events(&store, AuditAction::MailboxLocked).await, 1);

    // Locked: even the right PIN fails, and nothing is counted.
    let result = sign_in(&vp, TONY, second_reset.expose()).await;
    assert_eq!(result.outcome, SignInOutcome::Failed);
    wrong(&vp, 2).await;
    assert_eq!(info(&vp).await.total_failures, 15);
    assert!(deliver(&store).await.is_empty());

    // An administrator unlocks; the last PIN mailed works and must be changed.
    vp.unlock(&admin(), TONY).await.unwrap();
    let state = info(&vp).await;
    assert!(!state.locked_out);
    assert_eq!(counters(&state), (0, 0));
    let result = sign_in(&vp, "36697", second_reset.expose()).await;
    assert_eq!(result.outcome, SignInOutcome::PinChangeRequired);
    assert!(result.mailbox.is_some());
    assert_eq!(sign_in(&vp, TONY, "1985848").await.outcome, SignInOutcome::Failed);

    // The telemetry saw every outcome, both resets and the lockout, once each.
    let outcomes = tally.outcomes.lock().unwrap().clone();
    assert_eq!(outcomes, BTreeMap::from([("failed", 19), ("pinChangeRequired", 1)]));
    assert_eq!(tally.resets.load(std::sync::atomic::Ordering::Relaxed), 2);
    assert_eq!(tally.lockouts.load(std::sync::atomic::Ordering::Relaxed), 1);
}

pub async fn a_success_clears_both_counters(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    let tony = enable(&vp, TONY, "36697", "1985848", false).await;
    wrong(&vp, 3).await;
    assert_eq!(counters(&info(&vp).await), (3, 3));
    let result = sign_in(&vp, TONY, "1985848").await;
    assert_eq!(result.outcome, SignInOutcome::Success);
    assert_eq!(result.mailbox, Some(tony.id));
    let state = info(&vp).await;
    assert_eq!(counters(&state), (0, 0));
    assert!(state.last_sign_in_at.is_some());
    // On the phone the first-time setup, not the sign-in, ends first-time status.
    assert!(state.first_time_user);
    // The count starts again: four more failures reset nothing.
    wrong(&vp, 4).await;
    assert_eq!(counters(&info(&vp).await), (4, 4));
    assert_eq!(sign_in(&vp, "tonysmith", "1985848").await.outcome, SignInOutcome::Success);
    assert_eq!(events(&store, AuditAction::PinAutoReset).await, 0);
}

pub async fn set_pin_generates_mails_and_unlocks(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    enable(&vp, TONY, "36697", "1985848", false).await;
    deliver(&store).await;
    vp.lock(&admin(), TONY).await.unwrap();
    wrong(&vp, 1).await;
    assert!(info(&vp).await.locked_out);

    // No PIN given: one is generated, mailed, expired; LockedOut defaults to false.
    vp.set_pin(&admin(), TONY, SetPin::default()).await.unwrap();
    let state = info(&vp).await;
    assert!(!state.locked_out);
    assert!(state.pin_expired);
    assert_eq!(counters(&state), (0, 0));
    let mails = deliver(&store).await;
    assert_eq!(mails.len(), 1);
    let generated = pin_of(&mails[0]);
    assert_eq!(generated.len(), 6);
    assert!(generated.is_numeric());
    assert!(matches!(
        &mails[0].notification,
        Notification::PinReset { reason: ResetReason::Administrator, change_required: true, .. }
    ));
    assert_eq!(mails[0].to.as_str(), TONY);
    assert_eq!(sign_in(&vp, TONY, generated.expose()).await.outcome, SignInOutcome::PinChangeRequired);
    assert_eq!(sign_in(&vp, TONY, "1985848").await.outcome, SignInOutcome::Failed);
    assert_eq!(events(&store, AuditAction::PinSet).await, 1);
}

pub async fn set_pin_options(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    enable(&vp, TONY, "36697", "1985848", false).await;
    deliver(&store).await;

    // SendEmail $false: no PIN goes out, but Tony hears of it (issue 11, finding 6);
    // PinExpired $false: a plain success.
    vp.set_pin(
        &admin(),
        TONY,
        SetPin {
            pin: Some(Pin::new("5927461")),
            pin_expired: Some(false),
            send_email: Some(false),
            ..SetPin::default()
        },
    )
    .await
    .unwrap();
    let notices = deliver(&store).await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].to.as_str(), TONY);
    assert_eq!(notices[0].notification, Notification::PinSetBySomeoneElse { sent_to: None });
    assert_eq!(sign_in(&vp, TONY, "5927461").await.outcome, SignInOutcome::Success);

    // NotifyEmail: the message goes to the help desk, about Tony.
    vp.set_pin(&admin(), TONY, SetPin { notify_email: Some("HelpDesk@Contoso.com".into()), ..SetPin::default() })
        .await
        .unwrap();
    let mut mails = deliver(&store).await;
    mails.sort_by(|a, b| a.to.as_str().cmp(b.to.as_str()));
    assert_eq!(mails.len(), 2, "the PIN to the help desk, a notice without it to Tony");
    assert_eq!(mails[1].to.as_str(), TONY);
    let sent_to = Some("helpdesk@contoso.com".to_owned());
    assert_eq!(mails[1].notification, Notification::PinSetBySomeoneElse { sent_to });
    assert_eq!(mails[0].to.as_str(), "helpdesk@contoso.com");
    assert_eq!(mails[0].recipient.smtp_address.as_str(), TONY);
    assert_eq!(mails[0].recipient.extension.as_deref(), Some("36697"));
    assert_eq!(mails[0].recipient.access_numbers, ["+14255550100"]);

    // A PIN that breaks the rules is refused, and nothing changes.
    let err =
        vp.set_pin(&admin(), TONY, SetPin { pin: Some(Pin::new("5927461")), ..SetPin::default() }).await.unwrap_err();
    assert!(matches!(&err, Error::PinRejected(v) if v.contains(&PinRuleViolation::RecentlyUsed { count: 5 })));
    assert!(deliver(&store).await.is_empty());

    // LockedOut $true alone locks without touching the PIN.
    let pin = pin_of(&mails[0]);
    vp.set_pin(&admin(), TONY, SetPin { locked_out: Some(true), ..SetPin::default() }).await.unwrap();
    assert!(info(&vp).await.locked_out);
    assert!(deliver(&store).await.is_empty());
    vp.set_pin(&admin(), TONY, SetPin { locked_out: Some(false), ..SetPin::default() }).await.unwrap();
    assert_eq!(sign_in(&vp, TONY, pin.expose()).await.outcome, SignInOutcome::PinChangeRequired);
}

pub async fn lock_and_unlock(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    enable(&vp, TONY, "36697", "1985848", false).await;
    wrong(&vp, 2).await;
    vp.lock(&admin(), TONY).await.unwrap();
    let state = info(&vp).await;
    assert!(state.locked_out);
    assert_eq!(counters(&state), (2, 2));
    assert_eq!(sign_in(&vp, TONY, "1985848").await.outcome, SignInOutcome::Failed);
    wrong(&vp, 3).await;
    assert_eq!(counters(&info(&vp).await), (2, 2));
    vp.unlock(&admin(), TONY).await.unwrap();
    let state = info(&vp).await;
    assert!(!state.locked_out);
    assert_eq!(counters(&state), (0, 0));
    assert_eq!(sign_in(&vp, TONY, "1985848").await.outcome, SignInOutcome::Success);
    assert_eq!(events(&store, AuditAction::MailboxLocked).await, 1);
    assert_eq!(events(&store, AuditAction::MailboxUnlocked).await, 1);
}

pub async fn change_pin(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    enable(&vp, TONY, "36697", "1985848", true).await;
    deliver(&store).await;
    assert_eq!(sign_in(&vp, TONY, "1985848").await.outcome, SignInOutcome::PinChangeRequired);
    // Signed in by PIN on the phone: the owner of Tony's mailbox.
    let mailbox = vp.get_mailbox(&admin(), TONY).await.unwrap().mailbox.id;
    let owner = Actor::MailboxOwner { mailbox, address: TONY.into(), proof: Proof::Pin };
    let user = RequestContext::new(owner, Channel::Phone);

    // The wrong current PIN is counted like a failed sign-in.
    let err = vp.change_pin(&user, TONY, &Pin::new(WRONG), &Pin::new("5927461")).await.unwrap_err();
    assert!(matches!(err, Error::AuthenticationFailed));
    assert_eq!(counters(&info(&vp).await), (1, 1));

    // The new PIN must pass the rules, history included.
    for (new, violation) in [
        ("1985848", PinRuleViolation::RecentlyUsed { count: 5 }),
        ("111111", PinRuleViolation::SameDigit),
        ("345678", PinRuleViolation::Consecutive),
    ] {
        let err = vp.change_pin(&user, TONY, &Pin::new("1985848"), &Pin::new(new)).await.unwrap_err();
        assert!(matches!(&err, Error::PinRejected(v) if v.contains(&violation)), "{new}: {err:?}");
    }

    vp.change_pin(&user, TONY, &Pin::new("1985848"), &Pin::new("5927461")).await.unwrap();
    let state = info(&vp).await;
    assert!(!state.pin_expired);
    // A PIN changed by phone is one step of the first-time setup, which ends first-time status.
    assert!(state.first_time_user);
    assert_eq!(counters(&state), (0, 0));
    let mails = deliver(&store).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].notification, Notification::PinChanged);
    assert_eq!(sign_in(&vp, TONY, "5927461").await.outcome, SignInOutcome::Success);
    assert_eq!(sign_in(&vp, TONY, "1985848").await.outcome, SignInOutcome::Failed);
    assert_eq!(events(&store, AuditAction::PinChanged).await, 1);
}

pub async fn enable_checks_the_pin(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    let enable_with = |pin: &str| EnableMailbox {
        identity: TONY.into(),
        policy: Some("Contoso Default Policy".into()),
        extensions: vec!["36697".into()],
        pin: Some(Pin::new(pin)),
        ..EnableMailbox::default()
    };
    let err = vp.enable_mailbox(&admin(), enable_with("11111")).await.unwrap_err();
    let Error::PinRejected(violations) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(violations, &[PinRuleViolation::TooShort { min: 6 }, PinRuleViolation::SameDigit]);
    assert_eq!(err.code(), "pin-rejected");
    let err = vp.enable_mailbox(&admin(), enable_with("123456")).await.unwrap_err();
    assert!(matches!(&err, Error::PinRejected(v) if v == &[PinRuleViolation::Consecutive]));
    let err = vp.enable_mailbox(&admin(), enable_with("12a456")).await.unwrap_err();
    assert!(matches!(&err, Error::PinRejected(v) if v.contains(&PinRuleViolation::NotNumeric)));
    // Nothing was stored.
    assert!(store.find_mailboxes(&MailboxLookup::SmtpAddress(TONY.into())).await.unwrap().is_empty());
    assert!(store.mail_records(true, 10).await.unwrap().is_empty());

    // Exchange's own example PIN passes the default policy.
    let tony = vp.enable_mailbox(&admin(), enable_with("1985848")).await.unwrap().mailbox;
    let stored = store.find_mailboxes(&MailboxLookup::Id(tony.id)).await.unwrap();
    assert_eq!(stored, vec![tony.clone()]);
    assert!(tony.um_enabled);
    assert!(tony.pin.first_time_user);
    let mails = deliver(&store).await;
    assert_eq!(mails.len(), 1);
    assert!(matches!(&mails[0].notification, Notification::Welcome { change_required: true, .. }));
    assert!(matches!(vp.enable_mailbox(&admin(), enable_with("1985848")).await, Err(Error::AlreadyUmEnabled(_))));
    // The same extension for another mailbox of the dial plan is taken.
    let err = vp
        .enable_mailbox(&admin(), EnableMailbox { identity: "david@contoso.com".into(), ..enable_with("5927461") })
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::AlreadyExists { field: "Extensions", value } if value == "36697"), "{err:?}");
}

pub async fn policies_in_use_and_ranges(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    enable(&vp, TONY, "36697", "1985848", false).await;
    let err = vp.remove_policy(&admin(), "contoso default policy").await.unwrap_err();
    assert!(matches!(&err, Error::InUse { kind: ObjectKind::Policy, .. }), "{err:?}");

    for (settings, field) in [
        (PolicySettings { min_pin_length: Some(3), ..PolicySettings::default() }, "MinPINLength"),
        (PolicySettings { min_pin_length: Some(25), ..PolicySettings::default() }, "MinPINLength"),
        (PolicySettings { max_logon_attempts: Some(1000), ..PolicySettings::default() }, "MaxLogonAttempts"),
        (PolicySettings { pin_history_count: Some(21), ..PolicySettings::default() }, "PINHistoryCount"),
        (
            PolicySettings {
                logon_failures_before_pin_reset: Some(PinResetThreshold::After(15)),
                ..PolicySettings::default()
            },
            "LogonFailuresBeforePINReset",
        ),
        (PolicySettings { reset_pin_text: Some("x".repeat(513)), ..PolicySettings::default() }, "ResetPINText"),
    ] {
        let err = vp.set_policy(&admin(), "Contoso Default Policy", settings).await.unwrap_err();
        assert!(matches!(&err, Error::InvalidValue(v) if v.field == field), "{field}: {err:?}");
    }
    let err = vp
        .new_policy(
            &admin(),
            NewPolicy {
                name: "Strict".into(),
                dial_plan: "Contoso".into(),
                settings: PolicySettings { max_logon_attempts: Some(0), ..PolicySettings::default() },
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::InvalidValue(v) if v.field == "MaxLogonAttempts"));
    assert!(vp.get_policy(&admin(), "Strict").await.is_err());
    let policy = vp.get_policy(&admin(), "Contoso Default Policy").await.unwrap().policy;
    assert_eq!(policy.pin, Default::default());
    assert_eq!(policy.revision.0, 1);

    // A valid change is stored, and a duplicate name refused.
    let changed = vp
        .set_policy(
            &admin(),
            "Contoso Default Policy",
            PolicySettings {
                min_pin_length: Some(8),
                pin_lifetime: Some(PinLifetime::Unlimited),
                ..PolicySettings::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(vp.get_policy(&admin(), "Contoso Default Policy").await.unwrap(), changed);
    vp.new_policy(
        &admin(),
        NewPolicy { name: "Strict".into(), dial_plan: "contoso".into(), settings: PolicySettings::default() },
    )
    .await
    .unwrap();
    let err = vp
        .new_policy(
            &admin(),
            NewPolicy { name: "STRICT".into(), dial_plan: "Contoso".into(), settings: PolicySettings::default() },
        )
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::AlreadyExists { field: "Name", .. }), "{err:?}");
    // An unused policy goes.
    vp.remove_policy(&admin(), "strict").await.unwrap();
    assert_eq!(vp.list_policies(&admin(), None).await.unwrap().len(), 1);
}

pub async fn dial_plans_and_mailbox_settings(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    enable(&vp, TONY, "36697", "1985848", false).await;
    let david = enable(&vp, "david@contoso.com", "36698", "5927461", false).await;

    // Set-UMMailbox rewrites the lists.
    let changed = vp
        .set_mailbox(
            &admin(),
            "david@contoso.com",
            MailboxSettings {
                display_name: Some("David Longmuir".into()),
                extensions: Some(vec!["40001".into(), "40002".into()]),
                phone_numbers: Some(vec!["+14255550177".into()]),
                ..MailboxSettings::default()
            },
        )
        .await
        .unwrap()
        .mailbox;
    assert_eq!(changed.revision, david.revision.next());
    assert_eq!(vp.get_mailbox(&admin(), "40002").await.unwrap().mailbox, changed);
    assert_eq!(vp.get_mailbox(&admin(), "+14255550177").await.unwrap().mailbox.id, david.id);
    assert!(vp.get_mailbox(&admin(), "36698").await.is_err());
    let err = vp
        .set_mailbox(
            &admin(),
            "david@contoso.com",
            MailboxSettings { extensions: Some(vec!["36697".into()]), ..MailboxSettings::default() },
        )
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::AlreadyExists { field: "Extensions", .. }), "{err:?}");

    // A dial plan with mailboxes stays; emptied, it goes with its policies.
    assert!(matches!(
        vp.remove_dial_plan(&admin(), "Contoso").await,
        Err(Error::InUse { kind: ObjectKind::DialPlan, .. })
    ));
    vp.disable_mailbox(&admin(), TONY, false).await.unwrap();
    vp.disable_mailbox(&admin(), "david@contoso.com", false).await.unwrap();
    vp.remove_dial_plan(&admin(), "contoso").await.unwrap();
    assert!(vp.list_dial_plans(&admin()).await.unwrap().is_empty());
    assert!(vp.list_policies(&admin(), None).await.unwrap().is_empty());
    assert_eq!(events(&store, AuditAction::DialPlanRemoved).await, 1);
}

/// A mailbox that counts without end: no automatic reset, lockout at 999.
pub async fn counting_mailbox(store: &Arc<dyn Store>) -> VoicePin {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    vp.set_policy(
        &admin(),
        "Contoso Default Policy",
        PolicySettings {
            logon_failures_before_pin_reset: Some(PinResetThreshold::Unlimited),
            max_logon_attempts: Some(999),
            ..PolicySettings::default()
        },
    )
    .await
    .unwrap();
    enable(&vp, TONY, "36697", "1985848", false).await;
    vp
}

fn spawn_sign_ins(tasks: &mut JoinSet<SignInOutcome>, vp: &VoicePin, pin: &str, count: usize) {
    for _ in 0..count {
        let vp = vp.clone();
        let pin = pin.to_owned();
        tasks.spawn(async move { sign_in(&vp, TONY, &pin).await.outcome });
    }
}

pub async fn concurrent_wrong_sign_ins_are_all_counted(store: Arc<dyn Store>) {
    let vp = counting_mailbox(&store).await;
    let mut tasks = JoinSet::new();
    spawn_sign_ins(&mut tasks, &vp, WRONG, 40);
    let outcomes = tasks.join_all().await;
    assert!(outcomes.iter().all(|o| *o == SignInOutcome::Failed));
    let state = info(&vp).await;
    assert_eq!(counters(&state), (40, 40));
    assert!(!state.locked_out);
    assert_eq!(events(&store, AuditAction::SignInFailed).await, 40);
}

pub async fn concurrent_sign_ins_and_admin_writes(store: Arc<dyn Store>) {
    let vp = counting_mailbox(&store).await;
    let mut tasks = JoinSet::new();
    spawn_sign_ins(&mut tasks, &vp, WRONG, 40);
    // Administrators change the same mailbox meanwhile: each write races the counting.
    let mut admins = JoinSet::new();
    for i in 0..10 {
        let vp = vp.clone();
        admins.spawn(async move {
            vp.set_mailbox(
                &admin(),
                TONY,
                MailboxSettings { display_name: Some(format!("Tony {i}")), ..MailboxSettings::default() },
            )
            .await
            .map(|m| m.mailbox.display_name)
        });
    }
    let outcomes = tasks.join_all().await;
    let names = admins.join_all().await;
    assert!(outcomes.iter().all(|o| *o == SignInOutcome::Failed));
    assert!(names.iter().all(Result::is_ok), "{names:?}");
    assert_eq!(counters(&info(&vp).await), (40, 40));
    let tony = vp.get_mailbox(&admin(), TONY).await.unwrap().mailbox;
    assert!(tony.display_name.starts_with("Tony "));
    // The insert, then one revision per failure and per change.
    assert_eq!(tony.revision.0, 1 + 40 + 10);
}

pub async fn concurrent_right_and_wrong_sign_ins(store: Arc<dyn Store>) {
    let vp = counting_mailbox(&store).await;
    let mut tasks = JoinSet::new();
    spawn_sign_ins(&mut tasks, &vp, WRONG, 30);
    spawn_sign_ins(&mut tasks, &vp, "1985848", 10);
    let outcomes = tasks.join_all().await;
    let failed = outcomes.iter().filter(|o| **o == SignInOutcome::Failed).count();
    let succeeded = outcomes.iter().filter(|o| **o == SignInOutcome::Success).count();
    assert_eq!((failed, succeeded), (30, 10));

    // Every attempt was applied to the state the one before it left. Each failure records
    // the total it reached: in a serial history, the totals form runs 1, 2, 3 ... that a
    // success ends, so there are as many runs as the number of 1s, at most successes + 1,
    // and a total k appears no more often than k - 1 does. A lost update would repeat a
    // total without a success in between.
    let failures = store
        .audit_events(&AuditQuery {
            mailbox: None,
            action: Some(AuditAction::SignInFailed),
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(failures.len(), 30);
    let mut totals: BTreeMap<u32, usize> = BTreeMap::new();
    for event in &failures {
        let total: u32 = event.details["totalFailures"].parse().unwrap();
        *totals.entry(total).or_default() += 1;
    }
    let runs = totals.get(&1).copied().unwrap_or(0);
    assert!(runs <= succeeded + 1, "{totals:?}");
    let mut previous = usize::MAX;
    for (total, count) in &totals {
        assert!(*count <= previous, "{totals:?}");
        assert!(*total == 1 || totals.contains_key(&(total - 1)), "{totals:?}");
        previous = *count;
    }
    let successes = events(&store, AuditAction::SignInSucceeded).await;
    assert_eq!(successes, 10);
    let state = info(&vp).await;
    assert!(state.total_failures == 0 || totals.contains_key(&state.total_failures));
    assert_eq!(state.consecutive_failures, state.total_failures);
    // And the next failure counts from there.
    wrong(&vp, 1).await;
    assert_eq!(info(&vp).await.total_failures, state.total_failures + 1);
}

fn as_role(role: Role) -> RequestContext {
    RequestContext::new(Actor::from_role(format!("{}-user", role.as_str()), role), Channel::Api)
}

pub async fn api_tokens_authenticate_expire_and_revoke(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    let (token, secret) = vp.create_token(&admin(), "asterisk-pbx1", Role::VoiceService, None).await.unwrap();
    assert_eq!(token.revision, voicepin_core::ids::Revision(1));
    // Issue 11, finding 7: no lifetime given is the default lifetime (90 days), not never;
    // who made it is recorded.
    assert_eq!(token.expires_at, Some(token.created_at + time::Duration::days(90)));
    assert_eq!(
        (token.created_by.as_str(), token.created_by_kind),
        ("admin", voicepin_core::context::ActorKind::LocalOperator)
    );
    let principal = vp.authenticate_token(&secret).await.unwrap();
    assert_eq!((principal.name.as_str(), principal.role), ("asterisk-pbx1", Role::VoiceService));
    // Stored: only the digest, and never the secret.
    let stored = store.token(token.id).await.unwrap().unwrap();
    assert_eq!(stored, token);
    assert_ne!(stored.secret_digest, secret.expose());
    assert_eq!(store.token_by_name("ASTERISK-PBX1").await.unwrap().unwrap().id, token.id);
    // A forged secret for the same id, garbage and unknown ids all fail alike.
    let forged = TokenSecret::new(format!("vpt_{}_AAAA", token.id.0.simple()));
    assert!(matches!(vp.authenticate_token(&forged).await, Err(Error::AuthenticationFailed)));
    assert!(matches!(vp.authenticate_token(&TokenSecret::new("nonsense")).await, Err(Error::AuthenticationFailed)));
    // Names are unique.
    let again = vp.create_token(&admin(), "Asterisk-PBX1", Role::ViewOnly, Some(TokenLifetime::Days(30))).await;
    assert!(matches!(again, Err(Error::AlreadyExists { field: "Name", .. })), "{again:?}");
    let zero = vp.create_token(&admin(), "x", Role::ViewOnly, Some(TokenLifetime::Days(0))).await;
    assert!(matches!(zero, Err(Error::InvalidValue(_))));
    // Revoked: stops at once; revoking twice is harmless.
    let revoked = vp.revoke_token(&admin(), "asterisk-pbx1").await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(matches!(vp.authenticate_token(&secret).await, Err(Error::AuthenticationFailed)));
    vp.revoke_token(&admin(), &token.id.to_string()).await.unwrap();
    assert!(matches!(vp.revoke_token(&admin(), "nope").await, Err(Error::NotFound { kind: ObjectKind::Token, .. })));
    let (_, expiring) =
        vp.create_token(&admin(), "helpdesk-script", Role::HelpDesk, Some(TokenLifetime::Days(1))).await.unwrap();
    assert_eq!(vp.authenticate_token(&expiring).await.unwrap().role, Role::HelpDesk);
    // Never, when said explicitly.
    let (forever, _) = vp.create_token(&admin(), "forever", Role::ViewOnly, Some(TokenLifetime::Never)).await.unwrap();
    assert_eq!(forever.expires_at, None);
    let never = vp.clone().with_token_lifetime(TokenLifetime::Never);
    assert_eq!(never.create_token(&admin(), "configured", Role::ViewOnly, None).await.unwrap().0.expires_at, None);
    assert_eq!(vp.list_tokens(&admin()).await.unwrap().len(), 4);
    let events = store
        .audit_events(&AuditQuery { action: Some(AuditAction::TokenCreated), ..AuditQuery::default() })
        .await
        .unwrap();
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| !format!("{:?}", e.details).contains("vpt_")));
}

pub async fn roles_are_enforced_by_the_use_cases(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    contoso(&vp).await;
    enable(&vp, TONY, "36697", "1985848", false).await;
    fn forbidden<T>(result: Result<T, Error>) -> bool {
        matches!(result, Err(Error::Forbidden { .. }))
    }
    let help_desk = as_role(Role::HelpDesk);
    // Help Desk: reset PINs and unlock, nothing else.
    vp.set_pin(&help_desk, TONY, SetPin::default()).await.unwrap();
    vp.unlock(&help_desk, TONY).await.unwrap();
    assert!(forbidden(vp.lock(&help_desk, TONY).await));
    let lock_and_reset = SetPin { locked_out: Some(true), send_email: Some(false), ..SetPin::default() };
    assert!(forbidden(vp.set_pin(&help_desk, TONY, lock_and_reset).await));
    assert!(forbidden(vp.disable_mailbox(&help_desk, TONY, true).await));
    assert!(forbidden(vp.remove_policy(&help_desk, "Contoso Default Policy").await));
    // View-Only changes nothing; Voice Service only signs in.
    let view_only = as_role(Role::ViewOnly);
    assert!(forbidden(vp.set_pin(&view_only, TONY, SetPin::default()).await));
    assert!(forbidden(vp.unlock(&view_only, TONY).await));
    let voice = as_role(Role::VoiceService);
    assert!(forbidden(vp.unlock(&voice, TONY).await));
    let sign_in = SignIn { identity: "36697".into(), dial_plan: None, pin: Pin::new(WRONG) };
    assert_eq!(vp.sign_in(&voice, &sign_in).await.unwrap().outcome, SignInOutcome::Failed);
    assert!(matches!(vp.sign_in(&as_role(Role::UmManagement), &sign_in).await, Err(Error::Forbidden { .. })));
    // Tokens are Organization Management's alone.
    let um = as_role(Role::UmManagement);
    assert!(matches!(vp.create_token(&um, "t", Role::ViewOnly, None).await, Err(Error::Forbidden { .. })));
    vp.create_token(&as_role(Role::OrganizationManagement), "t", Role::ViewOnly, None).await.unwrap();
    // The role is in the audit log.
    let events =
        store.audit_events(&AuditQuery { action: Some(AuditAction::PinSet), ..AuditQuery::default() }).await.unwrap();
    assert_eq!(events[0].role.as_deref(), Some("helpDesk"));
}

/// The phone's caller-ID shortcut (exchange-um.md §5.2, §5.4): an extension in the call's
/// dial plan or a phone number names the mailbox; PIN-less only when policy and mailbox
/// both allow it; the first sign-in says it was a first-time user.
pub async fn callers_are_recognised_by_extension_or_phone_number(store: Arc<dyn Store>) {
    let vp = voicepin(store.clone());
    let (plan, _) = contoso(&vp).await;
    let tony = enable(&vp, TONY, "36697", "1985848", false).await;
    let settings = MailboxSettings { phone_numbers: Some(vec!["+14255550177".into()]), ..MailboxSettings::default() };
    vp.set_mailbox(&admin(), TONY, settings).await.unwrap();
    let context = phone("caller");
    let recognised = Some(RecognisedCaller { mailbox: tony.id, pinless: false });
    assert_eq!(vp.recognise_caller(&context, Some(plan.id), "36697").await.unwrap(), recognised);
    assert_eq!(vp.recognise_caller(&context, Some(plan.id), "+14255550177").await.unwrap(), recognised);
    assert_eq!(vp.recognise_caller(&context, Some(plan.id), "14255550177").await.unwrap(), recognised);
    assert_eq!(vp.recognise_caller(&context, Some(plan.id), "36698").await.unwrap(), None);
    assert_eq!(vp.recognise_caller(&context, Some(plan.id), "anonymous").await.unwrap(), None);
    assert_eq!(vp.recognise_caller(&context, Some(plan.id), "").await.unwrap(), None);

    // PIN-less needs both switches.
    let pinless = MailboxSettings { pinless_access_to_voice_mail_enabled: Some(true), ..MailboxSettings::default() };
    vp.set_mailbox(&admin(), TONY, pinless).await.unwrap();
    let found = vp.recognise_caller(&context, Some(plan.id), "36697").await.unwrap();
    assert_eq!(found.map(|c| c.pinless), Some(false));
    let allow = PolicySettings { allow_pinless_voice_mail_access: Some(true), ..PolicySettings::default() };
    vp.set_policy(&admin(), "Contoso Default Policy", allow).await.unwrap();
    let found = vp.recognise_caller(&context, Some(plan.id), "36697").await.unwrap();
    assert_eq!(found.map(|c| c.pinless), Some(true));
    // A locked mailbox is still recognised (the call sounds the same) but never PIN-less.
    vp.lock(&admin(), TONY).await.unwrap();
    let found = vp.recognise_caller(&context, Some(plan.id), "36697").await.unwrap();
    assert_eq!(found, Some(RecognisedCaller { mailbox: tony.id, pinless: false }));
    vp.unlock(&admin(), TONY).await.unwrap();

    // Sign-ins report the first-time user until the first-time setup ends (a caller who
    // hung up halfway is asked again), then no longer.
    let first = sign_in(&vp, TONY, "1985848").await;
    assert_eq!((first.outcome, first.first_time_user), (SignInOutcome::Success, true));
    assert!(sign_in(&vp, TONY, "1985848").await.first_time_user);
    let owner = first.owner(&context).unwrap();
    vp.finish_first_time_setup(&owner, TONY).await.unwrap();
    assert!(!sign_in(&vp, TONY, "1985848").await.first_time_user);
}
