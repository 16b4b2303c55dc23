//! The Store contract: what every backend must do, against `Arc<dyn Store>` only.
//!
//! A backend runs the suite with `store_contract!(factory)`, where `factory` is an async
//! function returning a [`Fixture`] over an empty store (`None`: the backend is skipped).

use std::collections::BTreeMap;
use std::sync::Arc;

use time::Duration;
use voicepin_core::StoreError;
use voicepin_core::audit::{AuditAction, AuditEvent, Channel, RequestContext};
use voicepin_core::hashing::PinHash;
use voicepin_core::ids::{AuditId, DialPlanId, LinkId, MailId, MailboxId, Revision};
use voicepin_core::links::{LinkSecret, PinResetLink};
use voicepin_core::mailbox::{Extension, SmtpAddress};
use voicepin_core::notify::{Notification, OutboundMail, Recipient, ResetReason};
use voicepin_core::pin::Pin;
use voicepin_core::policy::{
    AccessNumber, ExtendedChecks, MaxLogonAttempts, MinPinLength, ObjectName, PinHistoryCount, PinLifetime,
    PinResetThreshold, PolicyText,
};
use voicepin_core::ports::{AuditQuery, Change, MailQueueStats, MailStatus, MailboxLookup, MailboxQuery, Store, Write};
use voicepin_core::recording::{RecordedAudio, Recording, RecordingKind};

#[allow(unused_imports)]
pub use super::support::Fixture;
use super::support::{
    dial_plan, mailbox, phone, plan_and_policy, policy, stored, stored_mailbox, stored_policy, t0, write,
};

/// Instantiates every contract case as a test over the stores `$factory` makes.
macro_rules! store_contract {
    ($factory:path) => {
        $crate::contract::store_contract!(@cases $factory;
            dial_plans_round_trip,
            names_are_case_insensitive_and_unicode_aware,
            policies_round_trip,
            mailboxes_round_trip,
            stale_revisions_conflict,
            duplicate_names,
            duplicate_identity,
            duplicate_extensions,
            a_failed_change_leaves_nothing,
            objects_in_use_cannot_be_deleted,
            references_to_missing_objects_conflict,
            deleting_a_policy_races_new_mailboxes,
            lookups,
            counts,
            paging_and_filters,
            search,
            audit_events_and_filters,
            outbox_lifecycle,
            outbox_failures_and_requeue,
            outbox_claims_are_exclusive_until_the_lease_ends,
            concurrent_claims_never_share_a_message,
            empty_changes_are_fine,
            pin_reset_links_are_single_use,
            dashboard_counts,
            audit_counts_per_day_and_paging_by_time_and_id,
            sign_in_failures_add_up_per_source,
            recordings_round_trip,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let Some(fixture) = $factory().await else { return };
                $crate::contract::$case(fixture.store()).await;
            }
        )*
    };
}
pub(crate) use store_contract;

fn is_conflict(result: Result<(), StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict))
}

fn assert_duplicate(result: Result<(), StoreError>, field: &str, value: &str) {
    match result {
        Err(StoreError::Duplicate { field: f, value: v }) => {
            assert_eq!((f, v.as_str()), (field, value));
        }
        other => panic!("expected Duplicate {field} {value:?}, got {other:?}"),
    }
}

pub async fn dial_plans_round_trip(store: Arc<dyn Store>) {
    let b = dial_plan("Contoso B", 5);
    let a = dial_plan("contoso a", 4);
    write(&store, vec![Write::InsertDialPlan(b.clone()), Write::InsertDialPlan(a.clone())]).await.unwrap();
    let b = stored(b);
    let a = stored(a);
    assert_eq!(store.dial_plan(b.id).await.unwrap(), Some(b.clone()));
    assert_eq!(b.revision, Revision(1));
    assert_eq!(store.dial_plan(DialPlanId::new_random()).await.unwrap(), None);
    assert_eq!(store.dial_plan_by_name("CONTOSO b").await.unwrap(), Some(b.clone()));
    assert_eq!(store.dial_plan_by_name("nope").await.unwrap(), None);
    assert_eq!(store.dial_plans().await.unwrap(), vec![a.clone(), b.clone()]);

    let mut changed = b.clone();
    changed.name = ObjectName::parse("Name", "Contoso C").unwrap();
    changed.access_numbers = vec![AccessNumber::parse("+3225550199").unwrap()];
    changed.logon_failures_before_disconnect = Default::default();
    write(&store, vec![Write::UpdateDialPlan(changed.clone())]).await.unwrap();
    let changed = stored(changed);
    assert_eq!(changed.revision, Revision(2));
    assert_eq!(store.dial_plan(b.id).await.unwrap(), Some(changed.clone()));
    assert_eq!(store.dial_plan_by_name("contoso b").await.unwrap(), None);

    write(&store, vec![Write::DeleteDialPlan(a.id, a.revision)]).await.unwrap();
    assert_eq!(store.dial_plan(a.id).await.unwrap(), None);
    assert_eq!(store.dial_plans().await.unwrap(), vec![changed]);
}

pub async fn names_are_case_insensitive_and_unicode_aware(store: Arc<dyn Store>) {
    let plan = dial_plan("Überplan", 5);
    let policy = policy("Straße Policy", &plan);
    write(&store, vec![Write::InsertDialPlan(plan.clone()), Write::InsertPolicy(policy.clone())]).await.unwrap();
    assert_eq!(store.dial_plan_by_name("ÜBERPLAN").await.unwrap().map(|p| p.id), Some(plan.id));
    assert_eq!(
        store.policy_by_name("STRASSE POLICY").await.unwrap().map(|p| p.id),
        None,
        "case folding, not normalisation"
    );
    assert_eq!(store.policy_by_name("straße policy").await.unwrap().map(|p| p.id), Some(policy.id));
    assert_duplicate(write(&store, vec![Write::InsertDialPlan(dial_plan("überPLAN", 5))]).await, "Name", "überPLAN");
}

pub async fn policies_round_trip(store: Arc<dyn Store>) {
    let (plan, default) = plan_and_policy(&store, "Contoso", 5).await;
    let other_plan = stored(dial_plan("Fabrikam", 4));
    let mut custom = policy("Custom", &other_plan);
    custom.pin.min_pin_length = MinPinLength::new(8).unwrap();
    custom.pin.pin_lifetime = PinLifetime::Unlimited;
    custom.pin.pin_history_count = PinHistoryCount::new(20).unwrap();
    custom.pin.allow_common_patterns = true;
    custom.pin.logon_failures_before_pin_reset = PinResetThreshold::Unlimited;
    custom.pin.max_logon_attempts = MaxLogonAttempts::new(999).unwrap();
    custom.pin.extended = ExtendedChecks {
        block_extension_in_pin: true,
        block_name_on_keypad: false,
        block_repeated_groups: true,
        require_three_distinct_digits: false,
        block_digit_runs: true,
        block_keypad_lines: false,
        block_common_pins: true,
        block_reversed_history: true,
    };
    custom.reset_pin_text = PolicyText::parse("ResetPINText", "Call <b>x1234</b>").unwrap();
    custom.um_enabled_text = PolicyText::parse("UMEnabledText", "Bienvenue, ça va").unwrap();
    custom.allow_subscriber_access = false;
    custom.allow_pinless_voice_mail_access = true;
    let mut insert_plan = other_plan.clone();
    insert_plan.revision = Revision::NEW;
    write(&store, vec![Write::InsertDialPlan(insert_plan), Write::InsertPolicy(custom.clone())]).await.unwrap();
    let custom = stored_policy(custom);
    assert_eq!(store.policy(custom.id).await.unwrap(), Some(custom.clone()));
    assert_eq!(store.policy(default.id).await.unwrap(), Some(default.clone()));
    assert_eq!(store.policy_by_name("custom").await.unwrap(), Some(custom.clone()));
    assert_eq!(store.policies(None).await.unwrap(), vec![default.clone(), custom.clone()]);
    assert_eq!(store.policies(Some(plan.id)).await.unwrap(), vec![default.clone()]);
    assert_eq!(store.policies(Some(DialPlanId::new_random())).await.unwrap(), vec![]);

    let mut changed = custom.clone();
    changed.pin.pin_lifetime = PinLifetime::Days(999);
    changed.pin.logon_failures_before_pin_reset = PinResetThreshold::After(998);
    changed.pin.extended = ExtendedChecks::default();
    changed.reset_pin_text = PolicyText::default();
    write(&store, vec![Write::UpdatePolicy(changed.clone())]).await.unwrap();
    assert_eq!(store.policy(custom.id).await.unwrap(), Some(stored_policy(changed)));

    write(&store, vec![Write::DeletePolicy(default.id, default.revision)]).await.unwrap();
    assert_eq!(store.policy(default.id).await.unwrap(), None);
}

pub async fn mailboxes_round_trip(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let mut tony = mailbox("TonySmith@Contoso.com", &policy, &["36697", "12345", "22222"]);
    tony.alias = "Tony.Smith".into();
    tony.display_name = "Tony Smith".into();
    tony.first_name = "Tony".into();
    tony.last_name = "Smith".into();
    tony.phone_numbers = vec![phone("+14255550123"), phone("+3225550100")];
    tony.pinless_access_to_voice_mail_enabled = true;
    tony.out_of_office = true;
    tony.pin.first_time_user = true;
    tony.pin.consecutive_failures = 3;
    tony.pin.total_failures = 8;
    tony.pin.last_failure_at = Some(t0() + Duration::nanoseconds(7));
    tony.pin.last_sign_in_at = Some(t0() - Duration::days(3));
    write(&store, vec![Write::InsertMailbox(tony.clone())]).await.unwrap();
    let tony = stored_mailbox(tony);
    let found = store.find_mailboxes(&MailboxLookup::Id(tony.id)).await.unwrap();
    assert_eq!(found, vec![tony.clone()]);
    assert_eq!(found[0].primary_extension(), Some(&Extension::from_stored("36697")));
    assert_eq!(found[0].pin.history.len(), 2);
    assert_eq!(found[0].pin.hash, Some(PinHash::from_stored("$argon2id$current")));

    // An update rewrites the lists: new order, one removed, one added.
    let mut changed = tony.clone();
    changed.extensions =
        vec![Extension::from_stored("22222"), Extension::from_stored("36697"), Extension::from_stored("40000")];
    changed.phone_numbers = vec![phone("+3225550100")];
    changed.um_enabled = false;
    changed.pin.hash = None;
    changed.pin.set_at = None;
    changed.pin.history.clear();
    changed.pin.last_failure_at = None;
    changed.pin.locked_out = true;
    changed.out_of_office = false;
    write(&store, vec![Write::UpdateMailbox(changed.clone())]).await.unwrap();
    let changed = stored_mailbox(changed);
    assert_eq!(store.find_mailboxes(&MailboxLookup::Id(tony.id)).await.unwrap(), vec![changed.clone()]);
    // The extension it gave up is free again.
    let other = mailbox("other@contoso.com", &policy, &["12345"]);
    write(&store, vec![Write::InsertMailbox(other)]).await.unwrap();

    write(&store, vec![Write::DeleteMailbox(changed.id, changed.revision)]).await.unwrap();
    assert!(store.find_mailboxes(&MailboxLookup::Id(tony.id)).await.unwrap().is_empty());
    // Its extensions and phone numbers went with it.
    let again = mailbox("again@contoso.com", &policy, &["22222", "36697", "40000"]);
    write(&store, vec![Write::InsertMailbox(again)]).await.unwrap();
    assert!(store.find_mailboxes(&MailboxLookup::PhoneNumber("+3225550100".into())).await.unwrap().is_empty());
}

pub async fn pin_reset_links_are_single_use(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let tony = mailbox("tony@contoso.com", &policy, &["36697"]);
    let other = mailbox("other@contoso.com", &policy, &["12345"]);
    write(&store, vec![Write::InsertMailbox(tony.clone()), Write::InsertMailbox(other.clone())]).await.unwrap();
    let link = |mailbox: MailboxId, at: time::OffsetDateTime| {
        let secret = LinkSecret::generate(LinkId::new_random()).unwrap();
        (PinResetLink::new(mailbox, &secret, at).unwrap(), secret)
    };
    let (first, secret) = link(tony.id, t0());
    let (second, _) = link(tony.id, t0() + Duration::minutes(1));
    let (theirs, _) = link(other.id, t0() + Duration::minutes(1));
    let inserts = [&first, &second, &theirs].map(|l| Write::InsertPinResetLink(l.clone()));
    write(&store, inserts.to_vec()).await.unwrap();

    // Stored as a digest only, read back exactly.
    let stored_link = store.pin_reset_link(first.id).await.unwrap().unwrap();
    assert_eq!(stored_link, first);
    assert!(stored_link.matches(&secret));
    assert!(!stored_link.secret_digest.contains(secret.expose()));
    assert!(store.pin_reset_link(LinkId::new_random()).await.unwrap().is_none());
    assert_eq!(store.count_pin_reset_links(tony.id, t0()).await.unwrap(), 2);
    assert_eq!(store.count_pin_reset_links(tony.id, t0() + Duration::seconds(30)).await.unwrap(), 1);
    assert_eq!(store.count_pin_reset_links(other.id, t0()).await.unwrap(), 1);

    // Using one uses every unused link of the mailbox, not another mailbox's; using it
    // again conflicts and writes nothing of its change.
    let used_at = t0() + Duration::minutes(2);
    write(&store, vec![Write::UsePinResetLink { id: first.id, mailbox: tony.id, at: used_at }]).await.unwrap();
    assert_eq!(store.pin_reset_link(first.id).await.unwrap().unwrap().used_at, Some(used_at));
    assert_eq!(store.pin_reset_link(second.id).await.unwrap().unwrap().used_at, Some(used_at));
    assert_eq!(store.pin_reset_link(theirs.id).await.unwrap().unwrap().used_at, None);
    let again = vec![
        Write::UsePinResetLink { id: first.id, mailbox: tony.id, at: used_at },
        Write::InsertMailbox(mailbox("late@contoso.com", &policy, &["40000"])),
    ];
    assert!(is_conflict(write(&store, again).await));
    assert!(store.find_mailboxes(&MailboxLookup::SmtpAddress("late@contoso.com".into())).await.unwrap().is_empty());
    let unknown = Write::UsePinResetLink { id: LinkId::new_random(), mailbox: tony.id, at: used_at };
    assert!(is_conflict(write(&store, vec![unknown]).await));

    // A link for a mailbox removed meanwhile conflicts; removing a mailbox removes its links.
    let (orphan, _) = link(MailboxId::new_random(), t0());
    assert!(is_conflict(write(&store, vec![Write::InsertPinResetLink(orphan)]).await));
    let other = stored_mailbox(other);
    write(&store, vec![Write::DeleteMailbox(other.id, other.revision)]).await.unwrap();
    assert!(store.pin_reset_link(theirs.id).await.unwrap().is_none());
}

pub async fn dashboard_counts(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let lifetime = policy.pin.pin_lifetime.duration().expect("the default policy's PINs expire");
    // a: marked expired; b: not, set at t0; c: locked out, not marked; d: disabled, marked.
    let a = mailbox("a@contoso.com", &policy, &["10001"]);
    let mut b = mailbox("b@contoso.com", &policy, &["10002"]);
    b.pin.expired = false;
    let mut c = mailbox("c@contoso.com", &policy, &["10003"]);
    c.pin.expired = false;
    c.pin.locked_out = true;
    let mut d = mailbox("d@contoso.com", &policy, &["10004"]);
    d.um_enabled = false;
    d.pin.locked_out = true;
    let inserts = [a, b, c, d].map(Write::InsertMailbox).to_vec();
    write(&store, inserts).await.unwrap();
    let counts = store.count_mailboxes_by_state(t0() + Duration::days(1)).await.unwrap();
    assert_eq!((counts.um_enabled, counts.locked_out, counts.pin_expired), (3, 1, 1));
    // Once the policy's lifetime has passed since they were set, every enabled PIN must change.
    let later = store.count_mailboxes_by_state(t0() + lifetime).await.unwrap();
    assert_eq!((later.um_enabled, later.locked_out, later.pin_expired), (3, 1, 3));
    let before = store.count_mailboxes_by_state(t0() + lifetime - Duration::nanoseconds(1)).await.unwrap();
    assert_eq!(before.pin_expired, 1);
}

pub async fn audit_counts_per_day_and_paging_by_time_and_id(store: Arc<dyn Store>) {
    let day = |n: i64| t0() + Duration::days(n);
    // Three failures at the very same instant, two the next day, one of another kind.
    let mut events = Vec::new();
    for _ in 0..3 {
        events.push(event("x", AuditAction::SignInFailed, day(0)));
    }
    events.push(event("x", AuditAction::SignInFailed, day(1)));
    events.push(event("x", AuditAction::SignInFailed, day(1) + Duration::seconds(1)));
    events.push(event("x", AuditAction::PinSet, day(1)));
    store.commit(Change { audit: events.clone(), ..Change::default() }).await.unwrap();

    let failures = AuditQuery { action: Some(AuditAction::SignInFailed), ..AuditQuery::default() };
    let days = store.count_audit_events_per_day(&failures).await.unwrap();
    let days: Vec<(time::Date, u64)> = days.iter().map(|d| (d.day, d.count)).collect();
    assert_eq!(days, [(day(0).date(), 3), (day(1).date(), 2)]);
    let since = AuditQuery { since: Some(day(1)), ..AuditQuery::default() };
    let total: u64 = store.count_audit_events_per_day(&since).await.unwrap().iter().map(|d| d.count).sum();
    assert_eq!(total, 3);

    // Pages of two, each after the previous page's last (time, id): every event once, in
    // the order of one long page, those at the same instant included.
    let everything = store.audit_events(&AuditQuery { limit: 100, ..AuditQuery::default() }).await.unwrap();
    assert_eq!(everything.len(), 6);
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = store.audit_events(&AuditQuery { limit: 2, before, ..AuditQuery::default() }).await.unwrap();
        let Some(last) = page.last() else { break };
        before = Some((last.at, last.id));
        paged.extend(page);
    }
    let ids = |events: &[AuditEvent]| events.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&everything));
}

pub async fn stale_revisions_conflict(store: Arc<dyn Store>) {
    let (plan, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let tony = stored_mailbox(mailbox("tony@contoso.com", &policy, &["36697"]));
    let mut insert = tony.clone();
    insert.revision = Revision::NEW;
    write(&store, vec![Write::InsertMailbox(insert)]).await.unwrap();

    // Two writers read revision 1; the second to commit loses.
    let mut first = tony.clone();
    first.display_name = "First".into();
    let mut second = tony.clone();
    second.display_name = "Second".into();
    write(&store, vec![Write::UpdateMailbox(first)]).await.unwrap();
    assert!(is_conflict(write(&store, vec![Write::UpdateMailbox(second.clone())]).await));
    assert!(is_conflict(write(&store, vec![Write::DeleteMailbox(tony.id, tony.revision)]).await));
    let current = store.find_mailboxes(&MailboxLookup::Id(tony.id)).await.unwrap().remove(0);
    assert_eq!(current.display_name, "First");
    assert_eq!(current.revision, Revision(2));
    // Re-read, re-applied: accepted.
    second.revision = current.revision;
    write(&store, vec![Write::UpdateMailbox(second)]).await.unwrap();

    let mut stale_plan = plan.clone();
    stale_plan.revision = Revision(7);
    assert!(is_conflict(write(&store, vec![Write::UpdateDialPlan(stale_plan)]).await));
    assert!(is_conflict(write(&store, vec![Write::DeleteDialPlan(plan.id, Revision(7))]).await));
    let mut stale_policy = policy.clone();
    stale_policy.revision = Revision(0);
    assert!(is_conflict(write(&store, vec![Write::UpdatePolicy(stale_policy)]).await));
    assert!(is_conflict(write(&store, vec![Write::DeletePolicy(policy.id, Revision(2))]).await));
    // Something that was never stored cannot be updated either.
    let ghost = mailbox("ghost@contoso.com", &policy, &["99999"]);
    assert!(is_conflict(write(&store, vec![Write::UpdateMailbox(ghost)]).await));
    assert!(
        store
            .find_mailboxes(&MailboxLookup::Extension { dial_plan: None, extension: "99999".into() })
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn duplicate_names(store: Arc<dyn Store>) {
    let (plan, policy) = plan_and_policy(&store, "Contoso", 5).await;
    assert_duplicate(write(&store, vec![Write::InsertDialPlan(dial_plan("CONTOSO", 5))]).await, "Name", "CONTOSO");
    assert_duplicate(
        write(&store, vec![Write::InsertPolicy(super::support::policy("contoso policy", &plan))]).await,
        "Name",
        "contoso policy",
    );
    // Renaming onto a taken name.
    let other = stored(dial_plan("Fabrikam", 5));
    let mut insert = other.clone();
    insert.revision = Revision::NEW;
    write(&store, vec![Write::InsertDialPlan(insert)]).await.unwrap();
    let mut renamed = other.clone();
    renamed.name = ObjectName::parse("Name", "contoso").unwrap();
    assert_duplicate(write(&store, vec![Write::UpdateDialPlan(renamed)]).await, "Name", "contoso");
    let second = super::support::policy("Second", &plan);
    write(&store, vec![Write::InsertPolicy(second.clone())]).await.unwrap();
    let mut renamed = stored_policy(second);
    renamed.name = ObjectName::parse("Name", "Contoso POLICY").unwrap();
    assert_duplicate(write(&store, vec![Write::UpdatePolicy(renamed)]).await, "Name", "Contoso POLICY");
    // A policy and a dial plan may share a name: they are different kinds.
    write(&store, vec![Write::InsertPolicy(super::support::policy("Fabrikam", &plan))]).await.unwrap();
    assert_eq!(store.policy_by_name("contoso policy").await.unwrap(), Some(policy));
}

pub async fn duplicate_identity(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    write(&store, vec![Write::InsertMailbox(mailbox("tony@contoso.com", &policy, &["36697"]))]).await.unwrap();
    assert_duplicate(
        write(&store, vec![Write::InsertMailbox(mailbox("Tony@Contoso.com", &policy, &["36698"]))]).await,
        "Identity",
        "tony@contoso.com",
    );
}

pub async fn duplicate_extensions(store: Arc<dyn Store>) {
    let (_, contoso) = plan_and_policy(&store, "Contoso", 5).await;
    let (_, fabrikam) = plan_and_policy(&store, "Fabrikam", 5).await;
    let tony = mailbox("tony@contoso.com", &contoso, &["36697", "36698"]);
    write(&store, vec![Write::InsertMailbox(tony)]).await.unwrap();
    // A secondary extension clashes as much as a primary one.
    assert_duplicate(
        write(&store, vec![Write::InsertMailbox(mailbox("david@contoso.com", &contoso, &["11111", "36698"]))]).await,
        "Extensions",
        "36698",
    );
    // The same digits in another dial plan are another extension.
    write(&store, vec![Write::InsertMailbox(mailbox("tony@fabrikam.com", &fabrikam, &["36697"]))]).await.unwrap();
    // An update taking someone's extension.
    let david = mailbox("david@contoso.com", &contoso, &["11111"]);
    write(&store, vec![Write::InsertMailbox(david.clone())]).await.unwrap();
    let mut david = stored_mailbox(david);
    david.extensions.push(Extension::from_stored("36697"));
    assert_duplicate(write(&store, vec![Write::UpdateMailbox(david.clone())]).await, "Extensions", "36697");
    // Moving to the other dial plan takes its extensions there, where 36697 is taken too.
    let mut moved = david.clone();
    moved.extensions = vec![Extension::from_stored("36697")];
    moved.policy_id = fabrikam.id;
    moved.dial_plan_id = fabrikam.dial_plan_id;
    assert_duplicate(write(&store, vec![Write::UpdateMailbox(moved.clone())]).await, "Extensions", "36697");
    moved.extensions = vec![Extension::from_stored("11111")];
    write(&store, vec![Write::UpdateMailbox(moved)]).await.unwrap();
    let found = store
        .find_mailboxes(&MailboxLookup::Extension { dial_plan: Some(fabrikam.dial_plan_id), extension: "11111".into() })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].policy_id, fabrikam.id);
    assert!(
        store
            .find_mailboxes(&MailboxLookup::Extension {
                dial_plan: Some(contoso.dial_plan_id),
                extension: "11111".into(),
            })
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_failed_change_leaves_nothing(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    write(&store, vec![Write::InsertMailbox(mailbox("tony@contoso.com", &policy, &["36697"]))]).await.unwrap();
    let fresh = mailbox("fresh@contoso.com", &policy, &["10000"]);
    let clash = mailbox("clash@contoso.com", &policy, &["36697"]);
    let result = store
        .commit(Change {
            writes: vec![
                Write::InsertDialPlan(dial_plan("Lost", 5)),
                Write::InsertMailbox(fresh.clone()),
                Write::InsertMailbox(clash),
            ],
            mail: vec![mail(&fresh, Notification::PinChanged, t0())],
            audit: vec![event("admin", AuditAction::MailboxEnabled, t0())],
        })
        .await;
    assert_duplicate(result, "Extensions", "36697");
    assert_eq!(store.dial_plan_by_name("Lost").await.unwrap(), None);
    assert!(store.find_mailboxes(&MailboxLookup::Id(fresh.id)).await.unwrap().is_empty());
    assert!(store.mail_records(true, 100).await.unwrap().is_empty());
    assert!(store.audit_events(&AuditQuery { limit: 100, ..AuditQuery::default() }).await.unwrap().is_empty());
}

pub async fn objects_in_use_cannot_be_deleted(store: Arc<dyn Store>) {
    let (plan, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let tony = mailbox("tony@contoso.com", &policy, &["36697"]);
    write(&store, vec![Write::InsertMailbox(tony.clone())]).await.unwrap();
    let tony = stored_mailbox(tony);
    assert!(matches!(
        write(&store, vec![Write::DeletePolicy(policy.id, policy.revision)]).await,
        Err(StoreError::InUse(_))
    ));
    // A dial plan with mailboxes stays, and so do its policies.
    assert!(matches!(
        write(&store, vec![Write::DeleteDialPlan(plan.id, plan.revision)]).await,
        Err(StoreError::InUse(_))
    ));
    assert!(store.policy(policy.id).await.unwrap().is_some());
    // Remove-UMDialPlan's change: the mailbox gone, then the policies, then the plan.
    write(
        &store,
        vec![
            Write::DeleteMailbox(tony.id, tony.revision),
            Write::DeletePolicy(policy.id, policy.revision),
            Write::DeleteDialPlan(plan.id, plan.revision),
        ],
    )
    .await
    .unwrap();
    assert!(store.dial_plans().await.unwrap().is_empty());
    assert!(store.policies(None).await.unwrap().is_empty());

    // A plan without mailboxes goes with the policies it still has.
    let (plan, policy) = plan_and_policy(&store, "Fabrikam", 5).await;
    let (other_plan, other_policy) = plan_and_policy(&store, "Other", 5).await;
    write(&store, vec![Write::DeleteDialPlan(plan.id, plan.revision)]).await.unwrap();
    assert_eq!(store.dial_plans().await.unwrap(), vec![other_plan]);
    assert_eq!(store.policy(policy.id).await.unwrap(), None);
    assert_eq!(store.policies(None).await.unwrap(), vec![other_policy]);
}

/// A write naming an object that is gone (removed since it was read) is a stale read like
/// any other: a conflict, not a failure of the database.
pub async fn references_to_missing_objects_conflict(store: Arc<dyn Store>) {
    let (plan, contoso) = plan_and_policy(&store, "Contoso", 5).await;
    let (_, fabrikam) = plan_and_policy(&store, "Fabrikam", 5).await;
    let missing_plan = dial_plan("Gone", 5);
    let orphan = policy("Orphan", &missing_plan);
    assert!(is_conflict(write(&store, vec![Write::InsertPolicy(orphan)]).await));
    let mut moved = contoso.clone();
    moved.dial_plan_id = missing_plan.id;
    assert!(is_conflict(write(&store, vec![Write::UpdatePolicy(moved)]).await));

    let removed_policy = policy("Removed", &plan);
    let homeless = mailbox("homeless@contoso.com", &removed_policy, &["10000"]);
    assert!(is_conflict(write(&store, vec![Write::InsertMailbox(homeless)]).await));
    // The policy exists, but in another dial plan than the mailbox says.
    let mut astray = mailbox("astray@contoso.com", &contoso, &["10001"]);
    astray.dial_plan_id = fabrikam.dial_plan_id;
    assert!(is_conflict(write(&store, vec![Write::InsertMailbox(astray)]).await));
    let tony = mailbox("tony@contoso.com", &contoso, &["10002"]);
    write(&store, vec![Write::InsertMailbox(tony.clone())]).await.unwrap();
    let mut tony = stored_mailbox(tony);
    tony.policy_id = removed_policy.id;
    assert!(is_conflict(write(&store, vec![Write::UpdateMailbox(tony)]).await));
    assert_eq!(store.count_mailboxes_with_policy(contoso.id).await.unwrap(), 1);
    assert_eq!(store.policies(None).await.unwrap(), vec![contoso, fabrikam]);
}

/// A policy deleted while mailboxes are being enabled with it: either the delete wins and
/// every insert after it conflicts, or a mailbox wins and the delete is refused. Never a
/// mailbox without its policy.
pub async fn deleting_a_policy_races_new_mailboxes(store: Arc<dyn Store>) {
    for round in 0..5 {
        let (_, policy) = plan_and_policy(&store, &format!("Race {round}"), 5).await;
        let mut inserts = tokio::task::JoinSet::new();
        for i in 0..8 {
            let store = store.clone();
            let mailbox = mailbox(&format!("m{i}@race{round}.com"), &policy, &[&format!("{}", 10000 + i)]);
            inserts.spawn(async move { write(&store, vec![Write::InsertMailbox(mailbox)]).await });
        }
        let deleted = write(&store, vec![Write::DeletePolicy(policy.id, policy.revision)]).await;
        let inserted = inserts.join_all().await;
        for result in &inserted {
            assert!(matches!(result, Ok(()) | Err(StoreError::Conflict)), "{result:?}");
        }
        let enabled = inserted.iter().filter(|r| r.is_ok()).count() as u64;
        let remaining = store.count_mailboxes_with_policy(policy.id).await.unwrap();
        assert_eq!(remaining, enabled);
        match deleted {
            Ok(()) => {
                assert_eq!(store.policy(policy.id).await.unwrap(), None);
                assert_eq!(enabled, 0);
            }
            Err(StoreError::InUse(_)) => assert!(store.policy(policy.id).await.unwrap().is_some() && enabled > 0),
            other => panic!("the delete gave {other:?}"),
        }
    }
}

pub async fn lookups(store: Arc<dyn Store>) {
    let (_, contoso) = plan_and_policy(&store, "Contoso", 5).await;
    let (_, fabrikam) = plan_and_policy(&store, "Fabrikam", 5).await;
    let mut tony = mailbox("tony@contoso.com", &contoso, &["36697", "36698"]);
    tony.alias = "TSmith".into();
    tony.phone_numbers = vec![phone("+14255550123")];
    let mut other_tony = mailbox("tony@fabrikam.com", &fabrikam, &["36697"]);
    other_tony.alias = "tsmith".into();
    other_tony.phone_numbers = vec![phone("+14255550123"), phone("+14255550999")];
    write(&store, vec![Write::InsertMailbox(tony.clone()), Write::InsertMailbox(other_tony.clone())]).await.unwrap();
    let find = |lookup: MailboxLookup| {
        let store = store.clone();
        async move {
            store
                .find_mailboxes(&lookup)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.smtp_address.to_string())
                .collect::<Vec<_>>()
        }
    };
    let both = vec!["tony@contoso.com", "tony@fabrikam.com"];
    assert_eq!(find(MailboxLookup::Id(tony.id)).await, ["tony@contoso.com"]);
    assert!(find(MailboxLookup::Id(MailboxId::new_random())).await.is_empty());
    assert_eq!(find(MailboxLookup::SmtpAddress("Tony@Fabrikam.COM".into())).await, ["tony@fabrikam.com"]);
    assert_eq!(find(MailboxLookup::Alias("TSMITH".into())).await, both);
    assert!(find(MailboxLookup::Alias("tony".into())).await.is_empty());
    assert_eq!(find(MailboxLookup::Extension { dial_plan: None, extension: "36697".into() }).await, both);
    assert_eq!(
        find(MailboxLookup::Extension { dial_plan: Some(fabrikam.dial_plan_id), extension: "36697".into() }).await,
        ["tony@fabrikam.com"]
    );
    // A secondary extension finds its mailbox too.
    assert_eq!(
        find(MailboxLookup::Extension { dial_plan: Some(contoso.dial_plan_id), extension: "36698".into() }).await,
        ["tony@contoso.com"]
    );
    assert!(
        find(MailboxLookup::Extension { dial_plan: Some(fabrikam.dial_plan_id), extension: "36698".into() })
            .await
            .is_empty()
    );
    assert_eq!(find(MailboxLookup::PhoneNumber("+14255550123".into())).await, both);
    assert_eq!(find(MailboxLookup::PhoneNumber("+14255550999".into())).await, ["tony@fabrikam.com"]);
    assert!(find(MailboxLookup::PhoneNumber("+10000000".into())).await.is_empty());
    // Found mailboxes come whole.
    let found = store.find_mailboxes(&MailboxLookup::PhoneNumber("+14255550999".into())).await.unwrap();
    assert_eq!(found, vec![stored_mailbox(other_tony)]);
}

pub async fn counts(store: Arc<dyn Store>) {
    let (plan, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let second = super::support::policy("Second", &plan);
    write(&store, vec![Write::InsertPolicy(second.clone())]).await.unwrap();
    assert_eq!(store.count_mailboxes_with_policy(policy.id).await.unwrap(), 0);
    assert_eq!(store.count_mailboxes_in_dial_plan(plan.id).await.unwrap(), 0);
    let writes = (0..3)
        .map(|i| {
            Write::InsertMailbox(mailbox(
                &format!("user{i}@contoso.com"),
                if i == 0 { &second } else { &policy },
                &[&format!("1000{i}")],
            ))
        })
        .collect();
    write(&store, writes).await.unwrap();
    assert_eq!(store.count_mailboxes_with_policy(policy.id).await.unwrap(), 2);
    assert_eq!(store.count_mailboxes_with_policy(second.id).await.unwrap(), 1);
    assert_eq!(store.count_mailboxes_in_dial_plan(plan.id).await.unwrap(), 3);
    assert_eq!(store.count_mailboxes_in_dial_plan(DialPlanId::new_random()).await.unwrap(), 0);
}

fn addresses(mailboxes: &[voicepin_core::mailbox::Mailbox]) -> Vec<String> {
    mailboxes.iter().map(|m| m.smtp_address.to_string()).collect()
}

pub async fn paging_and_filters(store: Arc<dyn Store>) {
    let (_, contoso) = plan_and_policy(&store, "Contoso", 5).await;
    let (_, fabrikam) = plan_and_policy(&store, "Fabrikam", 5).await;
    let mut writes = Vec::new();
    for (i, name) in ["g", "c", "a", "f", "b", "e", "d"].iter().enumerate() {
        let policy = if i % 2 == 0 { &contoso } else { &fabrikam };
        let mut m = mailbox(&format!("{name}@contoso.com"), policy, &[&format!("2000{i}")]);
        m.um_enabled = *name != "c";
        m.pin.locked_out = *name == "e" || *name == "f";
        writes.push(Write::InsertMailbox(m));
    }
    write(&store, writes).await.unwrap();

    let mut query = MailboxQuery { limit: 3, ..MailboxQuery::default() };
    let mut pages = Vec::new();
    loop {
        let page = store.mailboxes(&query).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        query.after = page.last().map(|m| m.smtp_address.to_string());
        pages.push(addresses(&page));
    }
    assert_eq!(
        pages,
        vec![
            vec!["a@contoso.com", "b@contoso.com", "c@contoso.com"],
            vec!["d@contoso.com", "e@contoso.com", "f@contoso.com"],
            vec!["g@contoso.com"],
        ]
    );
    let all = |q: MailboxQuery| {
        let store = store.clone();
        async move { addresses(&store.mailboxes(&MailboxQuery { limit: 100, ..q }).await.unwrap()) }
    };
    assert_eq!(
        all(MailboxQuery { policy: Some(fabrikam.id), ..MailboxQuery::default() }).await,
        ["c@contoso.com", "e@contoso.com", "f@contoso.com"]
    );
    assert_eq!(
        all(MailboxQuery { dial_plan: Some(contoso.dial_plan_id), ..MailboxQuery::default() }).await,
        ["a@contoso.com", "b@contoso.com", "d@contoso.com", "g@contoso.com"]
    );
    assert_eq!(all(MailboxQuery { um_enabled: Some(false), ..MailboxQuery::default() }).await, ["c@contoso.com"]);
    assert_eq!(
        all(MailboxQuery { locked_out: Some(true), um_enabled: Some(true), ..MailboxQuery::default() }).await,
        ["e@contoso.com", "f@contoso.com"]
    );
    assert_eq!(
        all(MailboxQuery {
            locked_out: Some(false),
            policy: Some(contoso.id),
            after: Some("A@contoso.com".into()),
            ..MailboxQuery::default()
        })
        .await,
        ["b@contoso.com", "d@contoso.com", "g@contoso.com"]
    );
    // A page of nothing is nothing; the default page is Get-UMMailbox's 1000.
    assert!(store.mailboxes(&MailboxQuery { limit: 0, ..MailboxQuery::default() }).await.unwrap().is_empty());
    assert_eq!(MailboxQuery::default().limit, 1000);
    // Pages come whole.
    let page = store.mailboxes(&MailboxQuery { limit: 1, ..MailboxQuery::default() }).await.unwrap();
    assert_eq!(page[0].extensions, vec![Extension::from_stored("20002")]);
}

pub async fn search(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let mut tony = mailbox("tony@contoso.com", &policy, &["36697", "41234"]);
    tony.display_name = "Tony Smith".into();
    tony.first_name = "Anthony".into();
    tony.last_name = "Smith".into();
    let mut elodie = mailbox("edupont@contoso.com", &policy, &["36612"]);
    elodie.display_name = "Élodie Dupont".into();
    elodie.first_name = "Élodie".into();
    elodie.last_name = "Dupont".into();
    let mut percent = mailbox("percent@contoso.com", &policy, &["50000"]);
    percent.display_name = "100% Sales_Team".into();
    write(&store, vec![Write::InsertMailbox(tony), Write::InsertMailbox(elodie), Write::InsertMailbox(percent)])
        .await
        .unwrap();
    let search = |text: &str| {
        let store = store.clone();
        let query = MailboxQuery { search: Some(text.to_owned()), limit: 100, ..MailboxQuery::default() };
        async move { addresses(&store.mailboxes(&query).await.unwrap()) }
    };
    assert_eq!(search("SMITH").await, ["tony@contoso.com"]);
    assert_eq!(search("thon").await, ["tony@contoso.com"]);
    assert_eq!(search("élodie").await, ["edupont@contoso.com"]);
    assert_eq!(search("ÉLODIE").await, ["edupont@contoso.com"]);
    assert_eq!(search("EDUPONT@").await, ["edupont@contoso.com"]);
    // Extensions match by prefix only.
    assert_eq!(search("366").await, ["edupont@contoso.com", "tony@contoso.com"]);
    assert_eq!(search("412").await, ["tony@contoso.com"]);
    assert!(search("697").await.is_empty());
    // Wildcards are plain characters.
    assert_eq!(search("100%").await, ["percent@contoso.com"]);
    assert!(search("%").await.len() == 1);
    assert_eq!(search("s_t").await, ["percent@contoso.com"]);
    assert!(search("nobody").await.is_empty());
    assert_eq!(search("  ").await.len(), 3);
    assert_eq!(search("contoso.com").await.len(), 3);
}

fn event(actor: &str, action: AuditAction, at: time::OffsetDateTime) -> AuditEvent {
    AuditEvent::new(&RequestContext::local(actor), at, action, "target")
}

pub async fn audit_events_and_filters(store: Arc<dyn Store>) {
    let tony = MailboxId::new_random();
    let full = AuditEvent {
        id: AuditId::new_random(),
        at: t0(),
        actor: "tony@contoso.com".into(),
        actor_kind: voicepin_core::context::ActorKind::MailboxOwner,
        role: Some("user".into()),
        channel: Channel::Phone,
        source: Some("+14255550123".into()),
        action: AuditAction::SignInFailed,
        mailbox_id: Some(tony),
        target: "36697".into(),
        details: BTreeMap::from([
            ("reason".to_owned(), "wrong-pin".to_owned()),
            ("totalFailures".to_owned(), "3".to_owned()),
        ]),
    };
    let events = [
        event("admin", AuditAction::DialPlanCreated, t0() - Duration::hours(2)),
        event("admin", AuditAction::PolicyCreated, t0() - Duration::hours(1)).with("umDialPlan", "Contoso"),
        full.clone(),
        // Same instant as `full`, committed after it: newer.
        event("admin", AuditAction::PinSet, t0()).for_mailbox(tony),
        event("root", AuditAction::MailboxLocked, t0() + Duration::hours(1)),
    ];
    store.commit(Change { audit: events[..3].to_vec(), ..Change::default() }).await.unwrap();
    store.commit(Change { audit: events[3..].to_vec(), ..Change::default() }).await.unwrap();
    let list = |query: AuditQuery| {
        let store = store.clone();
        async move {
            store
                .audit_events(&AuditQuery { limit: if query.limit == 0 { 100 } else { query.limit }, ..query })
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.action)
                .collect::<Vec<_>>()
        }
    };
    use AuditAction::*;
    assert_eq!(
        list(AuditQuery::default()).await,
        [MailboxLocked, PinSet, SignInFailed, PolicyCreated, DialPlanCreated]
    );
    assert_eq!(list(AuditQuery { limit: 2, ..AuditQuery::default() }).await, [MailboxLocked, PinSet]);
    assert_eq!(list(AuditQuery { mailbox: Some(tony), ..AuditQuery::default() }).await, [PinSet, SignInFailed]);
    assert_eq!(list(AuditQuery { action: Some(PolicyCreated), ..AuditQuery::default() }).await, [PolicyCreated]);
    assert_eq!(
        list(AuditQuery { actor: Some("admin".into()), ..AuditQuery::default() }).await,
        [PinSet, PolicyCreated, DialPlanCreated]
    );
    assert_eq!(list(AuditQuery { channel: Some(Channel::Phone), ..AuditQuery::default() }).await, [SignInFailed]);
    // `since` is inclusive, `until` exclusive.
    assert_eq!(
        list(AuditQuery { since: Some(t0()), until: Some(t0() + Duration::hours(1)), ..AuditQuery::default() }).await,
        [PinSet, SignInFailed]
    );
    assert_eq!(
        list(AuditQuery {
            since: Some(t0() - Duration::hours(1)),
            until: Some(t0()),
            actor: Some("admin".into()),
            ..AuditQuery::default()
        })
        .await,
        [PolicyCreated]
    );
    let stored = store
        .audit_events(&AuditQuery { channel: Some(Channel::Phone), limit: 1, ..AuditQuery::default() })
        .await
        .unwrap();
    assert_eq!(stored, vec![full]);
    let with_detail = store
        .audit_events(&AuditQuery { action: Some(PolicyCreated), limit: 1, ..AuditQuery::default() })
        .await
        .unwrap();
    assert_eq!(with_detail, vec![events[1].clone()]);
}

fn mail(
    mailbox: &voicepin_core::mailbox::Mailbox,
    notification: Notification,
    at: time::OffsetDateTime,
) -> OutboundMail {
    OutboundMail {
        id: MailId::new_random(),
        mailbox_id: mailbox.id,
        to: mailbox.smtp_address.clone(),
        recipient: Recipient {
            smtp_address: mailbox.smtp_address.clone(),
            display_name: mailbox.display_name.clone(),
            extension: mailbox.primary_extension().map(|e| e.to_string()),
            access_numbers: vec!["+14255550100".into()],
        },
        notification,
        created_at: at,
    }
}

fn welcome(pin: &str) -> Notification {
    Notification::Welcome { pin: Pin::new(pin), change_required: true, um_enabled_text: "Welcome to voice mail".into() }
}

pub async fn outbox_claims_are_exclusive_until_the_lease_ends(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let tony = mailbox("tony@contoso.com", &policy, &["36697"]);
    let mails: Vec<_> = (0..3).map(|i| mail(&tony, welcome("1985848"), t0() + Duration::seconds(i))).collect();
    store.commit(Change { mail: mails.clone(), ..Change::default() }).await.unwrap();
    let now = t0() + Duration::minutes(1);
    let lease = now + Duration::minutes(10);

    // Oldest first, bodies opened; claimed messages are due for nobody else.
    let claimed = store.claim_due_mail(now, lease, 2).await.unwrap().due;
    assert_eq!(claimed.iter().map(|q| q.mail.clone()).collect::<Vec<_>>(), mails[..2]);
    let rest = store.claim_due_mail(now, lease, 10).await.unwrap().due;
    assert_eq!(rest.iter().map(|q| q.mail.id).collect::<Vec<_>>(), [mails[2].id]);
    assert!(store.claim_due_mail(now, lease, 10).await.unwrap().is_empty());
    assert!(store.due_mail(now, 10).await.unwrap().is_empty());
    // A claim given back untried is due again at once, no attempt counted.
    store.release_mail_claim(mails[2].id, now).await.unwrap();
    let released = store.claim_due_mail(now, lease, 10).await.unwrap().due;
    assert_eq!(released.iter().map(|q| (q.mail.id, q.attempts)).collect::<Vec<_>>(), [(mails[2].id, 0)]);

    // Marking one sent ends its claim for good; a sender that died loses the others to no one:
    // they are due again when the lease ends.
    store.mark_mail_sent(mails[0].id, now).await.unwrap();
    let after_lease = store.claim_due_mail(lease, lease + Duration::minutes(10), 10).await.unwrap().due;
    assert_eq!(after_lease.iter().map(|q| q.mail.id).collect::<Vec<_>>(), [mails[1].id, mails[2].id]);
    // A failed attempt ends the claim too, with the retry time it names.
    let retry = lease + Duration::minutes(1);
    store.mark_mail_attempt_failed(mails[1].id, "451 later", Some(retry)).await.unwrap();
    let due = store.claim_due_mail(retry, retry + Duration::minutes(10), 10).await.unwrap().due;
    assert_eq!(due.iter().map(|q| (q.mail.id, q.attempts)).collect::<Vec<_>>(), [(mails[1].id, 1)]);
}

pub async fn concurrent_claims_never_share_a_message(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let tony = mailbox("tony@contoso.com", &policy, &["36697"]);
    let mails: Vec<_> = (0..40).map(|i| mail(&tony, welcome("1985848"), t0() + Duration::milliseconds(i))).collect();
    store.commit(Change { mail: mails.clone(), ..Change::default() }).await.unwrap();
    let now = t0() + Duration::minutes(1);
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_due_mail(now, now + Duration::minutes(10), 3).await.unwrap().due;
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|q| q.mail.id));
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for sender in senders {
        claimed.extend(sender.await.unwrap());
    }
    claimed.sort();
    let mut expected: Vec<MailId> = mails.iter().map(|m| m.id).collect();
    expected.sort();
    assert_eq!(claimed, expected, "every message claimed exactly once");
}

pub async fn outbox_lifecycle(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let tony = mailbox("tony@contoso.com", &policy, &["36697"]);
    let mut redirected = mail(
        &tony,
        Notification::PinReset {
            pin: Pin::new("864209"),
            change_required: false,
            reset_pin_text: "Call the help desk".into(),
            reason: ResetReason::Administrator,
            locked_out: false,
        },
        t0() + Duration::seconds(1),
    );
    redirected.to = SmtpAddress::parse("NotifyEmail", "helpdesk@contoso.com").unwrap();
    let first = mail(&tony, welcome("1985848"), t0());
    let third = mail(&tony, Notification::LockedOut, t0() + Duration::seconds(2));
    store.commit(Change { mail: vec![redirected.clone(), first.clone()], ..Change::default() }).await.unwrap();
    store.commit(Change { mail: vec![third.clone()], ..Change::default() }).await.unwrap();

    assert!(store.due_mail(t0() - Duration::nanoseconds(1), 10).await.unwrap().is_empty());
    let due = store.due_mail(t0(), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, first);
    assert_eq!(due[0].status, MailStatus::Queued);
    assert_eq!(due[0].attempts, 0);
    assert_eq!(due[0].next_attempt_at, t0());
    assert_eq!(due[0].last_error, None);

    // Oldest first, bodies opened, the PIN intact.
    let later = t0() + Duration::minutes(1);
    let due = store.due_mail(later, 10).await.unwrap();
    let mails: Vec<_> = due.iter().map(|q| q.mail.clone()).collect();
    assert_eq!(mails, vec![first.clone(), redirected.clone(), third.clone()]);
    assert_eq!(store.due_mail(later, 2).await.unwrap().len(), 2);

    // A transient failure: retried later.
    let retry = t0() + Duration::minutes(5);
    store.mark_mail_attempt_failed(first.id, "450 try again", Some(retry)).await.unwrap();
    let due = store.due_mail(later, 10).await.unwrap();
    assert_eq!(due.iter().map(|q| q.mail.id).collect::<Vec<_>>(), [redirected.id, third.id]);
    let again = store.due_mail(retry, 10).await.unwrap();
    assert_eq!(again[0].mail, first);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].next_attempt_at, retry);
    assert_eq!(again[0].last_error.as_deref(), Some("450 try again"));

    // Sent: gone from the queue, kept as a record without a body.
    store.mark_mail_sent(first.id, retry).await.unwrap();
    store.mark_mail_sent(first.id, retry).await.unwrap();
    assert_eq!(store.due_mail(retry, 10).await.unwrap().len(), 2);
    let records = store.mail_records(false, 10).await.unwrap();
    assert_eq!(records.iter().map(|r| r.id).collect::<Vec<_>>(), [redirected.id, third.id]);
    let records = store.mail_records(true, 10).await.unwrap();
    assert_eq!(records.iter().map(|r| r.id).collect::<Vec<_>>(), [first.id, redirected.id, third.id]);
    let sent = &records[0];
    assert_eq!(sent.status, MailStatus::Sent);
    assert_eq!(sent.sent_at, Some(retry));
    assert_eq!(sent.attempts, 1);
    assert_eq!(sent.kind, "welcome");
    assert_eq!(sent.to, "tony@contoso.com");
    assert_eq!(sent.mailbox_id, tony.id);
    assert_eq!(sent.created_at, t0());
    let redirected_record = &records[1];
    assert_eq!(redirected_record.to, "helpdesk@contoso.com");
    assert_eq!(redirected_record.kind, "pinReset");
    assert_eq!(redirected_record.status, MailStatus::Queued);
    assert_eq!(redirected_record.sent_at, None);
    assert_eq!(store.mail_records(true, 1).await.unwrap().len(), 1);

    assert!(store.mark_mail_sent(MailId::new_random(), retry).await.is_err());
}

pub async fn outbox_failures_and_requeue(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let tony = mailbox("tony@contoso.com", &policy, &["36697"]);
    let message = mail(&tony, welcome("1985848"), t0());
    let later = mail(&tony, Notification::LockedOut, t0() + Duration::seconds(5));
    assert_eq!(store.mail_queue_stats().await.unwrap(), MailQueueStats::default());
    store.commit(Change { mail: vec![message.clone()], ..Change::default() }).await.unwrap();
    assert_eq!(
        store.mail_queue_stats().await.unwrap(),
        MailQueueStats { queued: 1, failed: 0, oldest_queued_at: Some(t0()) }
    );
    // Not failed yet: nothing to requeue.
    assert!(!store.requeue_mail(message.id, t0()).await.unwrap());

    store.mark_mail_attempt_failed(message.id, "550 no such user", None).await.unwrap();
    assert!(store.due_mail(t0() + Duration::days(1), 10).await.unwrap().is_empty());
    let records = store.mail_records(false, 10).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, MailStatus::Failed);
    assert_eq!(records[0].attempts, 1);
    assert_eq!(records[0].last_error.as_deref(), Some("550 no such user"));
    // Only queued messages have attempts.
    assert!(store.mark_mail_attempt_failed(message.id, "again", None).await.is_err());
    store.commit(Change { mail: vec![later.clone()], ..Change::default() }).await.unwrap();
    assert_eq!(
        store.mail_queue_stats().await.unwrap(),
        MailQueueStats { queued: 1, failed: 1, oldest_queued_at: Some(later.created_at) }
    );
    store.mark_mail_sent(later.id, t0() + Duration::minutes(1)).await.unwrap();

    // Requeued with its sealed body intact and a fresh count.
    let at = t0() + Duration::hours(1);
    assert!(store.requeue_mail(message.id, at).await.unwrap());
    assert!(!store.requeue_mail(message.id, at).await.unwrap());
    assert!(!store.requeue_mail(MailId::new_random(), at).await.unwrap());
    assert!(store.due_mail(at - Duration::nanoseconds(1), 10).await.unwrap().is_empty());
    let due = store.due_mail(at, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, message);
    assert_eq!(due[0].status, MailStatus::Queued);
    assert_eq!(due[0].attempts, 0);
    assert_eq!(due[0].last_error.as_deref(), Some("550 no such user"));
}

pub async fn empty_changes_are_fine(store: Arc<dyn Store>) {
    store.commit(Change::default()).await.unwrap();
    assert!(store.dial_plans().await.unwrap().is_empty());
    assert!(store.due_mail(t0(), 10).await.unwrap().is_empty());
}

fn count_failure(sources: &[&str], at: time::OffsetDateTime) -> Change {
    Change {
        writes: vec![Write::CountSignInFailure {
            sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            at,
            forget_before: at - Duration::minutes(15),
        }],
        ..Change::default()
    }
}

/// Issue 11, finding 4: failed sign-ins per source (PIN spraying) are counted in the store,
/// so that every node sees them: per key, per minute, concurrent failures all kept, old
/// minutes forgotten.
pub async fn sign_in_failures_add_up_per_source(store: Arc<dyn Store>) {
    let base = time::macros::datetime!(2026-11-28 12:00:00 UTC);
    let keys = |list: &[&str]| list.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
    let (caller, address) = ("callerId:+14255550100", "address:192.0.2.1");
    assert_eq!(store.sign_in_failures(&keys(&[caller, address]), base).await.unwrap(), vec![0, 0]);

    store.commit(count_failure(&[caller, address], base + Duration::seconds(10))).await.unwrap();
    store.commit(count_failure(&[address], base + Duration::seconds(50))).await.unwrap();
    store.commit(count_failure(&[caller, address], base + Duration::seconds(70))).await.unwrap();
    let all = keys(&[caller, address, "address:198.51.100.1"]);
    assert_eq!(store.sign_in_failures(&all, base).await.unwrap(), vec![2, 3, 0]);
    // Counted per minute: from a time within the first minute, the whole minute counts;
    // from the next minute on, only the third failure.
    assert_eq!(store.sign_in_failures(&all, base + Duration::seconds(30)).await.unwrap(), vec![2, 3, 0]);
    assert_eq!(store.sign_in_failures(&all, base + Duration::seconds(60)).await.unwrap(), vec![1, 1, 0]);

    // Concurrent failures (two nodes, many callers) all count.
    let later = base + Duration::minutes(5);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.commit(count_failure(&["address:203.0.113.5"], later)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(store.sign_in_failures(&keys(&["address:203.0.113.5"]), base).await.unwrap(), vec![16]);

    // A failure 20 minutes on forgets this source's minutes older than its window.
    store.commit(count_failure(&[address], base + Duration::minutes(20))).await.unwrap();
    assert_eq!(store.sign_in_failures(&keys(&[caller, address]), base).await.unwrap(), vec![2, 1]);
}

fn notice(address: &str) -> OutboundMail {
    let smtp_address = SmtpAddress::parse("To", address).unwrap();
    OutboundMail {
        id: MailId::new_random(),
        mailbox_id: MailboxId::new_random(),
        to: smtp_address.clone(),
        recipient: Recipient { smtp_address, display_name: "Tony".into(), extension: None, access_numbers: vec![] },
        notification: Notification::PinChanged,
        created_at: t0(),
    }
}

/// Two stores over one database, `other_key` sealing with another key than `store` (a
/// restart with the wrong key file, a node configured apart from the others): a message
/// the one queued cannot be opened by the other, and fails rather than blocking the queue.
pub async fn another_key(store: Arc<dyn Store>, other_key: Arc<dyn Store>) {
    let lost = notice("lost@contoso.com");
    store.commit(Change { mail: vec![lost.clone()], ..Change::default() }).await.unwrap();
    let fresh = notice("fresh@contoso.com");
    other_key.commit(Change { mail: vec![fresh.clone()], ..Change::default() }).await.unwrap();
    let due = other_key.due_mail(t0(), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, fresh);
    let records = other_key.mail_records(false, 10).await.unwrap();
    let failed = records.iter().find(|r| r.id == lost.id).unwrap();
    assert_eq!(failed.status, MailStatus::Failed);
    assert!(failed.last_error.as_deref().unwrap().contains("cannot be opened"));
    // Requeued, it fails again under this key; its sealed body is still there. A sender
    // claiming it is told, so that it counts the message as failed (issue 11, finding 1).
    assert!(other_key.requeue_mail(lost.id, t0()).await.unwrap());
    let claimed = other_key.claim_due_mail(t0(), t0() + Duration::minutes(10), 10).await.unwrap();
    assert_eq!(claimed.due.iter().map(|q| q.mail.id).collect::<Vec<_>>(), [fresh.id]);
    let unopened: Vec<_> = claimed.unopened.iter().map(|r| (r.id, r.status, r.to.as_str())).collect();
    assert_eq!(unopened, [(lost.id, MailStatus::Failed, "lost@contoso.com")]);
    assert!(claimed.unopened[0].last_error.as_deref().unwrap().contains("cannot be opened"));
    other_key.release_mail_claim(fresh.id, t0()).await.unwrap();
    assert!(other_key.requeue_mail(lost.id, t0()).await.unwrap());
    assert_eq!(other_key.due_mail(t0(), 10).await.unwrap().len(), 1);
    // The right key still opens it.
    assert!(store.requeue_mail(lost.id, t0()).await.unwrap());
    let due = store.due_mail(t0(), 10).await.unwrap();
    assert_eq!(due.iter().map(|q| q.mail.id).collect::<Vec<_>>(), [lost.id]);
}

/// A mailbox's recordings: stored whole, one per kind (a new one replaces the old), listed
/// without audio in the kinds' order, bounded in size, and gone with the mailbox.
pub async fn recordings_round_trip(store: Arc<dyn Store>) {
    let (_, policy) = plan_and_policy(&store, "Contoso", 5).await;
    let tony = mailbox("tony@contoso.com", &policy, &["36697"]);
    let other = mailbox("other@contoso.com", &policy, &["12345"]);
    write(&store, vec![Write::InsertMailbox(tony.clone()), Write::InsertMailbox(other.clone())]).await.unwrap();
    assert!(store.recordings(tony.id).await.unwrap().is_empty());
    assert!(store.recording(tony.id, RecordingKind::Name).await.unwrap().is_none());

    let samples: Vec<u8> = (0..16000u32).map(|i| (i % 251) as u8).collect();
    let recording = |mailbox: MailboxId, kind, samples: Vec<u8>, at| Recording {
        mailbox_id: mailbox,
        kind,
        audio: RecordedAudio::from_mulaw(samples).unwrap(),
        recorded_at: at,
    };
    let greeting = recording(tony.id, RecordingKind::PersonalGreeting, samples.clone(), t0());
    let name = recording(tony.id, RecordingKind::Name, vec![0x7f; 4000], t0());
    let others = recording(other.id, RecordingKind::Name, vec![0x10; 800], t0());
    write(
        &store,
        vec![Write::PutRecording(greeting.clone()), Write::PutRecording(name), Write::PutRecording(others.clone())],
    )
    .await
    .unwrap();
    let again = recording(tony.id, RecordingKind::Name, vec![0x01; 8000], t0() + Duration::seconds(5));
    write(&store, vec![Write::PutRecording(again.clone())]).await.unwrap();

    assert_eq!(store.recording(tony.id, RecordingKind::PersonalGreeting).await.unwrap(), Some(greeting.clone()));
    assert_eq!(store.recording(tony.id, RecordingKind::Name).await.unwrap(), Some(again.clone()));
    assert_eq!(store.recordings(tony.id).await.unwrap(), vec![again.info(), greeting.info()]);
    assert_eq!(store.recordings(tony.id).await.unwrap()[1].duration_ms, 2000);
    assert_eq!(store.recordings(other.id).await.unwrap(), vec![others.info()]);

    // A recording for a mailbox that is gone is a stale read, and leaves nothing.
    let ghost = recording(MailboxId::new_random(), RecordingKind::Name, vec![0x7f; 80], t0());
    assert!(is_conflict(write(&store, vec![Write::PutRecording(ghost.clone())]).await));
    assert!(store.recordings(ghost.mailbox_id).await.unwrap().is_empty());

    let tony = stored_mailbox(tony);
    write(&store, vec![Write::DeleteMailbox(tony.id, tony.revision)]).await.unwrap();
    assert!(store.recordings(tony.id).await.unwrap().is_empty());
    assert_eq!(store.recordings(other.id).await.unwrap(), vec![others.info()]);
}
