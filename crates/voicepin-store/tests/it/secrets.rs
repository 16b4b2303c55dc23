//! No PIN in clear anywhere in the database files: the main file, the WAL and the shared
//! memory index, read as raw bytes after every step that handles a PIN.

use std::sync::Arc;

use time::OffsetDateTime;
use voicepin_core::notify::Notification;
use voicepin_core::pin::Pin;
use voicepin_core::ports::Store;
use voicepin_core::signin::SignInOutcome;
use voicepin_core::usecases::{DialPlanSettings, EnableMailbox, NewDialPlan, PolicySettings, SetPin, SignIn};

use super::support::{SqliteFixture, admin, sqlite_fixture, voicepin};

const TONY: &str = "tonysmith@contoso.com";
/// Twelve digits, and the policy asks for twelve: neither the known PIN nor a generated
/// one can turn up by chance in a hex id or a base64 hash.
const KNOWN: &str = "739164820573";

/// Every file of the database, as bytes.
fn database_files(fixture: &SqliteFixture) -> Vec<(String, Vec<u8>)> {
    let prefix = fixture.path.file_name().unwrap().to_string_lossy().into_owned();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(fixture.dir.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) {
            files.push((name, std::fs::read(entry.path()).unwrap()));
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts that no PIN is in any file, and that the scan does see the data (the address).
fn assert_no_pin(fixture: &SqliteFixture, pins: &[String], step: &str) {
    let files = database_files(fixture);
    assert!(files.iter().any(|(_, bytes)| contains(bytes, TONY.as_bytes())), "{step}: the scan sees no data at all");
    for (name, bytes) in &files {
        for pin in pins {
            assert!(!contains(bytes, pin.as_bytes()), "{step}: a PIN is in clear in {name}");
        }
    }
}

/// The PINs of every queued message, read the way the mail sender reads them.
async fn queued_pins(store: &Arc<dyn Store>) -> Vec<String> {
    let later = OffsetDateTime::now_utc() + time::Duration::minutes(1);
    store
        .due_mail(later, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|queued| match queued.mail.notification {
            Notification::Welcome { pin, .. } | Notification::PinReset { pin, .. } => Some(pin.expose().to_owned()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn no_pin_is_ever_stored_in_clear() {
    let fixture = sqlite_fixture().await;
    let store: Arc<dyn Store> = fixture.store.clone();
    let vp = voicepin(store.clone());
    vp.new_dial_plan(
        &admin(),
        NewDialPlan {
            name: "Contoso".into(),
            settings: DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() },
            generate_policy: true,
        },
    )
    .await
    .unwrap();
    vp.set_policy(
        &admin(),
        "Contoso Default Policy",
        PolicySettings { min_pin_length: Some(12), ..PolicySettings::default() },
    )
    .await
    .unwrap();
    let mut pins = vec![KNOWN.to_owned()];

    // Enabled with a known PIN: the hash and the sealed welcome message.
    vp.enable_mailbox(
        &admin(),
        EnableMailbox {
            identity: TONY.into(),
            policy: Some("Contoso Default Policy".into()),
            extensions: vec!["36697".into()],
            pin: Some(Pin::new(KNOWN)),
            pin_expired: Some(false),
            ..EnableMailbox::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(queued_pins(&store).await, [KNOWN]);
    assert_no_pin(&fixture, &pins, "after Enable-UMMailbox");

    // A sign-in with it (a rewrite of the mailbox row).
    let result =
        vp.sign_in(&admin(), &SignIn { identity: TONY.into(), dial_plan: None, pin: Pin::new(KNOWN) }).await.unwrap();
    assert_eq!(result.outcome, SignInOutcome::Success);
    assert_no_pin(&fixture, &pins, "after a sign-in");

    // An administrator's reset: a generated PIN, queued.
    vp.set_pin(&admin(), TONY, SetPin::default()).await.unwrap();
    let queued = queued_pins(&store).await;
    assert_eq!(queued.len(), 2);
    pins.extend(queued);
    assert_no_pin(&fixture, &pins, "after Set-UMMailboxPIN");

    // An automatic reset after five failures.
    for _ in 0..5 {
        vp.sign_in(&admin(), &SignIn { identity: TONY.into(), dial_plan: None, pin: Pin::new("000000000000") })
            .await
            .unwrap();
    }
    let queued = queued_pins(&store).await;
    assert_eq!(queued.len(), 3);
    pins.extend(queued);
    pins.sort();
    pins.dedup();
    assert_eq!(pins.len(), 3);
    assert!(pins.iter().all(|p| p.len() == 12));
    assert_no_pin(&fixture, &pins, "after an automatic reset");

    // Delivered, then the WAL checkpointed into the main file.
    let now = OffsetDateTime::now_utc();
    for queued in store.due_mail(now + time::Duration::minutes(1), 100).await.unwrap() {
        store.mark_mail_sent(queued.mail.id, now).await.unwrap();
    }
    assert_no_pin(&fixture, &pins, "after delivery");
    fixture.store.close().await;
    assert_no_pin(&fixture, &pins, "after closing");
}

/// A caller who keys the PIN at the extension prompt must not leave it in the audit log.
#[tokio::test]
async fn a_pin_keyed_as_the_identity_is_not_stored() {
    let fixture = sqlite_fixture().await;
    let store: Arc<dyn Store> = fixture.store.clone();
    let vp = voicepin(store.clone());
    vp.new_dial_plan(
        &admin(),
        NewDialPlan {
            name: "Contoso".into(),
            settings: DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() },
            generate_policy: true,
        },
    )
    .await
    .unwrap();
    vp.enable_mailbox(
        &admin(),
        EnableMailbox {
            identity: TONY.into(),
            policy: Some("Contoso Default Policy".into()),
            extensions: vec!["36697".into()],
            pin: Some(Pin::new(KNOWN)),
            ..EnableMailbox::default()
        },
    )
    .await
    .unwrap();
    let result =
        vp.sign_in(&admin(), &SignIn { identity: KNOWN.into(), dial_plan: None, pin: Pin::new(KNOWN) }).await.unwrap();
    assert_eq!(result.outcome, SignInOutcome::Failed);
    assert_no_pin(&fixture, &[KNOWN.to_owned()], "after a PIN keyed as the identity");
}
