//! Administrator accounts and sessions over a real store (any backend): the store's
//! contract for them, and the stories of one-time passwords, lockout, recovery, the last
//! administrator and sessions, through the use cases.

use std::sync::Arc;

use time::Duration;
use tokio::task::JoinSet;
use voicepin_core::StoreError;
use voicepin_core::access::Role;
use voicepin_core::accounts::{AdminAccount, Password, Session, SessionSecret};
use voicepin_core::audit::{AuditAction, Channel, RequestContext};
use voicepin_core::context::Actor;
use voicepin_core::error::Error;
use voicepin_core::hashing::PinHash;
use voicepin_core::ids::{AccountId, Revision, SessionId};
use voicepin_core::ports::{AuditQuery, Store, Write};
use voicepin_core::usecases::AccountSettings;

use super::support::{FakeClock, t0, voicepin_at, write};

/// Instantiates every case as a test over the stores `$factory` makes.
macro_rules! account_stories {
    ($factory:path) => {
        $crate::accounts::account_stories!(@cases $factory;
            accounts_and_sessions_are_stored,
            one_time_password_then_own_password,
            five_failures_lock_for_fifteen_minutes,
            recovery_unlocks_and_creates,
            roles_and_the_last_administrator,
            sessions_expire_slide_and_end,
            concurrent_wrong_passwords_are_all_counted,
            an_administrators_tokens_end_with_the_account,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(fixture) = $factory().await else { return };
                $crate::accounts::$case(fixture.store()).await;
            }
        )*
    };
}
pub(crate) use account_stories;

fn account(name: &str) -> AdminAccount {
    AdminAccount {
        id: AccountId::new_random(),
        revision: Revision::NEW,
        name: name.into(),
        role: Role::HelpDesk,
        password_hash: PinHash::from_stored("$argon2id$v=19$m=64,t=1,p=1,keyid=k1$AAAA$BBBB"),
        must_change_password: true,
        failed_sign_ins: 0,
        locked_until: None,
        disabled: false,
        created_at: t0(),
        changed_at: t0(),
        last_sign_in_at: None,
    }
}

fn web(source: &str) -> RequestContext {
    RequestContext::anonymous(Channel::Web).from_address(Some(source.parse().expect("an IP address")))
}

fn as_role(role: Role) -> RequestContext {
    RequestContext::new(Actor::from_role(format!("{}-user", role.as_str()), role), Channel::Api)
}

fn cli() -> RequestContext {
    RequestContext::local("root")
}

async fn events(store: &Arc<dyn Store>, action: AuditAction) -> Vec<voicepin_core::audit::AuditEvent> {
    store.audit_events(&AuditQuery { action: Some(action), ..AuditQuery::default() }).await.unwrap()
}

fn failed<T: std::fmt::Debug>(result: Result<T, Error>) -> bool {
    matches!(result, Err(Error::AuthenticationFailed))
}

pub async fn accounts_and_sessions_are_stored(store: Arc<dyn Store>) {
    let mut jane = account("Jane.Doe");
    jane.locked_until = Some(t0() + Duration::minutes(15));
    jane.last_sign_in_at = Some(t0());
    write(&store, vec![Write::InsertAccount(jane.clone())]).await.unwrap();
    jane.revision = Revision(1);
    assert_eq!(store.account(jane.id).await.unwrap().as_ref(), Some(&jane));
    assert_eq!(store.account_by_name("JANE.DOE").await.unwrap().as_ref(), Some(&jane));
    assert_eq!(store.accounts().await.unwrap(), [jane.clone()]);
    let duplicate = write(&store, vec![Write::InsertAccount(account("jane.doe"))]).await;
    assert!(matches!(duplicate, Err(StoreError::Duplicate { field: "Name", .. })), "{duplicate:?}");

    // Updates name the revision they read.
    let mut changed = jane.clone();
    changed.failed_sign_ins = 3;
    changed.disabled = true;
    write(&store, vec![Write::UpdateAccount(changed.clone())]).await.unwrap();
    assert!(matches!(write(&store, vec![Write::UpdateAccount(changed.clone())]).await, Err(StoreError::Conflict)));
    changed.revision = Revision(2);
    assert_eq!(store.account(jane.id).await.unwrap(), Some(changed.clone()));

    // Sessions: stored, touched, deleted; they go with their account.
    let id = SessionId::new_random();
    let secret = SessionSecret::generate(id).unwrap();
    let session = Session::begin(id, jane.id, &secret, t0());
    write(&store, vec![Write::InsertSession(session.clone())]).await.unwrap();
    assert_eq!(store.session(id).await.unwrap().as_ref(), Some(&session));
    write(&store, vec![Write::TouchSession(id, t0() + Duration::minutes(2))]).await.unwrap();
    assert_eq!(store.session(id).await.unwrap().unwrap().last_seen_at, t0() + Duration::minutes(2));
    write(&store, vec![Write::DeleteSession(id), Write::DeleteSession(id), Write::TouchSession(id, t0())])
        .await
        .unwrap();
    assert_eq!(store.session(id).await.unwrap(), None);
    let other = Session::begin(SessionId::new_random(), jane.id, &secret, t0());
    let third = Session::begin(SessionId::new_random(), jane.id, &secret, t0());
    write(&store, vec![Write::InsertSession(other.clone()), Write::InsertSession(third.clone())]).await.unwrap();
    write(&store, vec![Write::DeleteSessionsOf(jane.id)]).await.unwrap();
    assert_eq!(store.session(other.id).await.unwrap(), None);
    write(&store, vec![Write::InsertSession(third.clone())]).await.unwrap();
    assert!(matches!(write(&store, vec![Write::DeleteAccount(jane.id, Revision(1))]).await, Err(StoreError::Conflict)));
    write(&store, vec![Write::DeleteAccount(jane.id, Revision(2))]).await.unwrap();
    assert_eq!(store.account(jane.id).await.unwrap(), None);
    assert_eq!(store.session(third.id).await.unwrap(), None);
    // A session of an account that is gone: a stale read.
    let orphan = Session::begin(SessionId::new_random(), jane.id, &secret, t0());
    assert!(matches!(write(&store, vec![Write::InsertSession(orphan)]).await, Err(StoreError::Conflict)));
}

pub async fn one_time_password_then_own_password(store: Arc<dyn Store>) {
    let clock = FakeClock::new(t0());
    let vp = voicepin_at(store.clone(), clock.clone());
    let (admin, one_time) = vp.new_account(&cli(), "admin", Role::OrganizationManagement).await.unwrap();
    assert!(admin.must_change_password);
    assert_ne!(admin.password_hash.as_str(), one_time.expose());
    let elsewhere = vp.sign_in_with_password(&web("198.51.100.9"), "admin", &one_time).await.unwrap();
    let signed_in = vp.sign_in_with_password(&web("192.0.2.1"), "Admin", &one_time).await.unwrap();
    let auth = vp.authenticate_session(&signed_in.secret).await.unwrap();
    assert_eq!((auth.principal.name.as_str(), auth.principal.role), ("admin", Role::OrganizationManagement));
    assert!(auth.must_change_password);
    assert!(matches!(auth.require_password_changed(), Err(Error::PasswordChangeRequired)));
    assert_eq!(auth.csrf_token, signed_in.secret.csrf_token());

    let context = RequestContext::new(
        Actor::Administrator { name: "admin".into(), role: Role::OrganizationManagement },
        Channel::Web,
    )
    .from_address("192.0.2.1".parse().ok());
    let new = Password::new("a long new passphrase");
    let wrong = vp
        .change_own_password(&context, auth.account_id, auth.session_id, &Password::new("not the one-time"), &new)
        .await;
    assert!(failed(wrong));
    let short =
        vp.change_own_password(&context, auth.account_id, auth.session_id, &one_time, &Password::new("short")).await;
    assert!(matches!(short, Err(Error::InvalidValue(ref v)) if v.field == "NewPassword"), "{short:?}");
    let same = vp.change_own_password(&context, auth.account_id, auth.session_id, &one_time, &one_time).await;
    assert!(matches!(same, Err(Error::InvalidValue(_))), "{same:?}");
    let rotated = vp.change_own_password(&context, auth.account_id, auth.session_id, &one_time, &new).await.unwrap();
    // Every session signed in with the old password has ended, this one included: a new
    // session (new id, new CSRF token) replaces it.
    assert!(failed(vp.authenticate_session(&elsewhere.secret).await));
    assert!(failed(vp.authenticate_session(&signed_in.secret).await));
    assert_ne!(rotated.auth.session_id, auth.session_id);
    assert_ne!(rotated.auth.csrf_token, auth.csrf_token);
    let auth = vp.authenticate_session(&rotated.secret).await.unwrap();
    assert!(!auth.must_change_password);
    auth.require_password_changed().unwrap();
    // The one-time password is spent; the new one works.
    assert!(failed(vp.sign_in_with_password(&web("192.0.2.1"), "admin", &one_time).await));
    vp.sign_in_with_password(&web("192.0.2.1"), "admin", &new).await.unwrap();
    let stored = store.account_by_name("admin").await.unwrap().unwrap();
    assert_eq!(stored.failed_sign_ins, 0, "a success clears the failures");
    assert_eq!(stored.last_sign_in_at, Some(t0()));
    assert_eq!(events(&store, AuditAction::AccountPasswordChanged).await.len(), 1);
    let signed = events(&store, AuditAction::AccountSignedIn).await;
    assert_eq!(signed.len(), 3);
    assert_eq!((signed[0].actor.as_str(), signed[0].source.as_deref()), ("admin", Some("192.0.2.1")));
}

pub async fn five_failures_lock_for_fifteen_minutes(store: Arc<dyn Store>) {
    let clock = FakeClock::new(t0());
    let vp = voicepin_at(store.clone(), clock.clone());
    let (_, password) = vp.new_account(&cli(), "jane", Role::HelpDesk).await.unwrap();
    let source = web("198.51.100.9");
    for _ in 0..5 {
        assert!(failed(vp.sign_in_with_password(&source, "jane", &Password::new("wrong password!")).await));
    }
    // Locked: even the right password fails, alike, and is not counted.
    assert!(failed(vp.sign_in_with_password(&source, "jane", &password).await));
    let locked = store.account_by_name("jane").await.unwrap().unwrap();
    assert_eq!(locked.locked_until, Some(t0() + Duration::minutes(15)));
    assert_eq!(events(&store, AuditAction::AccountLocked).await.len(), 1);
    let failures = events(&store, AuditAction::AccountSignInFailed).await;
    assert_eq!(failures.len(), 6);
    assert_eq!(failures[0].details["reason"], "locked");
    assert_eq!(failures[1].details["reason"], "wrongPassword");
    assert!(failures.iter().all(|e| !format!("{e:?}").contains("wrong password!")));
    // An unknown account fails alike; its name is not recorded.
    assert!(failed(vp.sign_in_with_password(&source, "secret-typed-as-name", &password).await));
    let unknown = &events(&store, AuditAction::AccountSignInFailed).await[0];
    assert_eq!(unknown.details["reason"], "unknownAccount");
    assert!(!unknown.target.contains("secret"));
    clock.advance(Duration::minutes(15));
    vp.sign_in_with_password(&source, "jane", &password).await.unwrap();
    // Disabled: no sign-in, and its sessions stop.
    let session = vp.sign_in_with_password(&source, "jane", &password).await.unwrap();
    vp.set_account(&cli(), "jane", AccountSettings { disabled: Some(true), ..AccountSettings::default() })
        .await
        .unwrap();
    assert!(failed(vp.authenticate_session(&session.secret).await));
    assert!(failed(vp.sign_in_with_password(&source, "jane", &password).await));
    assert_eq!(events(&store, AuditAction::AccountSignInFailed).await[0].details["reason"], "disabled");
}

pub async fn recovery_unlocks_and_creates(store: Arc<dyn Store>) {
    let clock = FakeClock::new(t0());
    let vp = voicepin_at(store.clone(), clock.clone());
    // No account yet: recovery makes `admin`, Organization Management.
    let (admin, first) = vp.recover_account(&cli(), None).await.unwrap();
    assert_eq!((admin.name.as_str(), admin.role), ("admin", Role::OrganizationManagement));
    let session = vp.sign_in_with_password(&web("192.0.2.1"), "admin", &first).await.unwrap();
    for _ in 0..5 {
        let _ = vp.sign_in_with_password(&web("192.0.2.1"), "admin", &Password::new("guessing guessing")).await;
    }
    assert!(failed(vp.sign_in_with_password(&web("192.0.2.1"), "admin", &first).await));
    // Recovery: unlocked, a fresh one-time password, the old sessions ended.
    let (recovered, second) = vp.recover_account(&cli(), Some("ADMIN")).await.unwrap();
    assert_eq!(recovered.id, admin.id);
    assert!(recovered.must_change_password && recovered.locked_until.is_none());
    assert!(failed(vp.authenticate_session(&session.secret).await));
    assert!(failed(vp.sign_in_with_password(&web("192.0.2.1"), "admin", &first).await));
    let again = vp.sign_in_with_password(&web("192.0.2.1"), "admin", &second).await.unwrap();
    assert!(again.auth.must_change_password);
    // Only whoever holds the data directory (no role) may recover.
    let refused = vp.recover_account(&as_role(Role::OrganizationManagement), None).await;
    assert!(matches!(refused, Err(Error::Forbidden { .. })), "{refused:?}");
    let recovered = events(&store, AuditAction::AccountRecovered).await;
    assert_eq!(recovered.len(), 2);
    assert!(recovered.iter().all(|e| e.channel == Channel::Cli && e.target == "admin"));
    // A reset by an administrator does the same, through the role table.
    let (_, third) = vp.reset_account_password(&as_role(Role::OrganizationManagement), "admin").await.unwrap();
    assert!(failed(vp.authenticate_session(&again.secret).await));
    vp.sign_in_with_password(&web("192.0.2.1"), "admin", &third).await.unwrap();
    let refused = vp.reset_account_password(&as_role(Role::UmManagement), "admin").await;
    assert!(matches!(refused, Err(Error::Forbidden { .. })));
}

pub async fn roles_and_the_last_administrator(store: Arc<dyn Store>) {
    let clock = FakeClock::new(t0());
    let vp = voicepin_at(store.clone(), clock);
    let org = as_role(Role::OrganizationManagement);
    vp.new_account(&org, "admin", Role::OrganizationManagement).await.unwrap();
    for role in [Role::UmManagement, Role::HelpDesk, Role::ViewOnly, Role::VoiceService] {
        let refused = vp.new_account(&as_role(role), "mallory", Role::OrganizationManagement).await;
        assert!(matches!(refused, Err(Error::Forbidden { .. })), "{role:?}");
    }
    assert_eq!(vp.list_accounts(&as_role(Role::ViewOnly)).await.unwrap().len(), 1);
    assert!(matches!(vp.list_accounts(&as_role(Role::HelpDesk)).await, Err(Error::Forbidden { .. })));
    assert!(matches!(vp.new_account(&org, "ADMIN", Role::HelpDesk).await, Err(Error::AlreadyExists { .. })));
    assert!(matches!(vp.new_account(&org, "two words", Role::HelpDesk).await, Err(Error::InvalidValue(_))));

    // The last enabled Organization Management account stays.
    let demote = AccountSettings { role: Some(Role::ViewOnly), ..AccountSettings::default() };
    let disable = AccountSettings { disabled: Some(true), ..AccountSettings::default() };
    assert!(matches!(vp.set_account(&org, "admin", demote.clone()).await, Err(Error::LastAdministrator(_))));
    assert!(matches!(vp.set_account(&org, "admin", disable.clone()).await, Err(Error::LastAdministrator(_))));
    assert!(matches!(vp.remove_account(&org, "admin").await, Err(Error::LastAdministrator(_))));
    let (second, _) = vp.new_account(&org, "second", Role::HelpDesk).await.unwrap();
    let promote = AccountSettings { role: Some(Role::OrganizationManagement), ..AccountSettings::default() };
    vp.set_account(&org, &second.id.to_string(), promote).await.unwrap();
    let demoted = vp.set_account(&org, "admin", demote).await.unwrap();
    assert_eq!(demoted.role, Role::ViewOnly);
    assert!(matches!(vp.remove_account(&org, "second").await, Err(Error::LastAdministrator(_))));
    vp.remove_account(&org, "admin").await.unwrap();
    assert!(matches!(vp.get_account(&org, "admin").await, Err(Error::NotFound { .. })));
    for action in [AuditAction::AccountCreated, AuditAction::AccountChanged, AuditAction::AccountRemoved] {
        assert!(!events(&store, action).await.is_empty(), "{action:?}");
    }
}

pub async fn sessions_expire_slide_and_end(store: Arc<dyn Store>) {
    let clock = FakeClock::new(t0());
    let vp = voicepin_at(store.clone(), clock.clone());
    let (_, password) = vp.new_account(&cli(), "admin", Role::OrganizationManagement).await.unwrap();
    let signed_in = vp.sign_in_with_password(&web("192.0.2.1"), "admin", &password).await.unwrap();
    let id = signed_in.auth.session_id;
    assert_eq!(signed_in.auth.expires_at, t0() + Duration::minutes(30));
    // Within a minute: nothing written.
    clock.advance(Duration::seconds(30));
    vp.authenticate_session(&signed_in.secret).await.unwrap();
    assert_eq!(store.session(id).await.unwrap().unwrap().last_seen_at, t0());
    // Later: the idle timeout slides.
    for _ in 0..30 {
        clock.advance(Duration::minutes(25));
        let auth = vp.authenticate_session(&signed_in.secret).await.unwrap();
        assert!(auth.expires_at <= t0() + Duration::hours(12));
        if clock_passed(&store, id).await {
            break;
        }
    }
    // Twelve hours at most, however busy.
    clock.advance(Duration::minutes(25));
    assert!(failed(vp.authenticate_session(&signed_in.secret).await));
    assert_eq!(store.session(id).await.unwrap(), None, "an expired session is deleted");
    // Idle for thirty minutes: ended.
    let idle = vp.sign_in_with_password(&web("192.0.2.1"), "admin", &password).await.unwrap();
    let forgotten = vp.sign_in_with_password(&web("192.0.2.1"), "admin", &password).await.unwrap();
    clock.advance(Duration::minutes(30));
    assert!(failed(vp.authenticate_session(&idle.secret).await));
    // Signed out: ended; a forged secret for a live id fails.
    let live = vp.sign_in_with_password(&web("192.0.2.1"), "admin", &password).await.unwrap();
    // A session nobody presents again is purged by the next sign-in.
    assert_eq!(store.session(forgotten.auth.session_id).await.unwrap(), None, "an ended session is purged");
    assert!(store.session(live.auth.session_id).await.unwrap().is_some());
    let forged = SessionSecret::new(format!("vps_{}_AAAA", live.auth.session_id.0.simple()));
    assert!(failed(vp.authenticate_session(&forged).await));
    assert!(failed(vp.authenticate_session(&SessionSecret::new("garbage")).await));
    vp.sign_out(&as_role(Role::OrganizationManagement), &live.auth).await.unwrap();
    assert!(failed(vp.authenticate_session(&live.secret).await));
    assert_eq!(events(&store, AuditAction::AccountSignedOut).await.len(), 1);
}

/// Whether the session is past its twelve hours (the loop above stops there).
async fn clock_passed(store: &Arc<dyn Store>, id: SessionId) -> bool {
    let session = store.session(id).await.unwrap().unwrap();
    session.last_seen_at + Duration::minutes(25) >= session.expires_at
}

pub async fn concurrent_wrong_passwords_are_all_counted(store: Arc<dyn Store>) {
    let clock = FakeClock::new(t0());
    let vp = voicepin_at(store.clone(), clock);
    vp.new_account(&cli(), "jane", Role::HelpDesk).await.unwrap();
    let mut tasks = JoinSet::new();
    for _ in 0..4 {
        let vp = vp.clone();
        tasks.spawn(async move {
            vp.sign_in_with_password(&web("192.0.2.1"), "jane", &Password::new("wrong password!")).await.unwrap_err()
        });
    }
    while let Some(result) = tasks.join_next().await {
        assert!(matches!(result.unwrap(), Error::AuthenticationFailed));
    }
    assert_eq!(store.account_by_name("jane").await.unwrap().unwrap().failed_sign_ins, 4);
}

fn administrator(name: &str) -> RequestContext {
    RequestContext::new(Actor::Administrator { name: name.into(), role: Role::OrganizationManagement }, Channel::Api)
}

/// Issue 11, finding 7: the API tokens an administrator made (and those their tokens made)
/// outlived the account. Disabling or removing it now ends its sessions and revokes them;
/// everyone else's tokens keep working, and the audit log says why.
pub async fn an_administrators_tokens_end_with_the_account(store: Arc<dyn Store>) {
    let vp = voicepin_at(store.clone(), FakeClock::new(t0()));
    let (_, jane_password) = vp.new_account(&cli(), "jane", Role::OrganizationManagement).await.unwrap();
    vp.new_account(&cli(), "kim", Role::OrganizationManagement).await.unwrap();
    vp.new_account(&cli(), "lee", Role::OrganizationManagement).await.unwrap();
    let session = vp.sign_in_with_password(&web("192.0.2.1"), "jane", &jane_password).await.unwrap();
    let (made, script) = vp.create_token(&administrator("Jane"), "jane-script", Role::HelpDesk, None).await.unwrap();
    assert_eq!(made.created_by, "Jane");
    let (_, child) = vp.create_token(&administrator("jane-script"), "child", Role::ViewOnly, None).await.unwrap();
    let (_, kims) = vp.create_token(&administrator("kim"), "kim-token", Role::ViewOnly, None).await.unwrap();
    let (_, local) = vp.create_token(&cli(), "local-token", Role::ViewOnly, None).await.unwrap();
    for secret in [&script, &child, &kims, &local] {
        vp.authenticate_token(secret).await.unwrap();
    }

    vp.set_account(&cli(), "jane", AccountSettings { disabled: Some(true), ..AccountSettings::default() })
        .await
        .unwrap();
    assert!(failed(vp.authenticate_session(&session.secret).await));
    assert!(matches!(vp.authenticate_token(&script).await, Err(Error::AuthenticationFailed)));
    assert!(matches!(vp.authenticate_token(&child).await, Err(Error::AuthenticationFailed)));
    vp.authenticate_token(&kims).await.unwrap();
    vp.authenticate_token(&local).await.unwrap();
    let revoked = events(&store, AuditAction::TokenRevoked).await;
    let mut named: Vec<_> = revoked.iter().map(|e| (e.target.as_str(), e.details["reason"].as_str())).collect();
    named.sort_unstable();
    assert_eq!(named, [("child", "accountDisabled"), ("jane-script", "accountDisabled")]);

    vp.remove_account(&cli(), "kim").await.unwrap();
    assert!(matches!(vp.authenticate_token(&kims).await, Err(Error::AuthenticationFailed)));
    vp.authenticate_token(&local).await.unwrap();
    assert_eq!(events(&store, AuditAction::TokenRevoked).await[0].details["reason"], "accountRemoved");
}
