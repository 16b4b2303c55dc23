//! The pickup-folder transport.

use voicepin_mail::transport::{MessageInfo, PickupFolder, Transport};
use voicepin_mail::{MailSettings, SendError, render};

use super::support::{PIN, every_kind, mail};

fn info(queued: &voicepin_core::notify::OutboundMail) -> MessageInfo {
    MessageInfo { id: queued.id, created_at: queued.created_at }
}

#[tokio::test]
async fn writes_one_eml_file_per_message_and_never_twice() {
    let temp = tempfile::tempdir().unwrap();
    let folder = PickupFolder::in_data_dir(temp.path());
    let queued = mail(every_kind().remove(0));
    let info = info(&queued);
    let message = render(&queued, &MailSettings::default()).unwrap();

    folder.send(&message, &info).await.unwrap();
    let path = folder.path_for(&info);
    assert_eq!(path.file_name().unwrap().to_str().unwrap(), format!("20250314T093005Z-{}.eml", queued.id));
    let first = std::fs::read(&path).unwrap();
    assert!(String::from_utf8_lossy(&first).contains(PIN));

    // A re-delivery after a crash renders again (a new MIME boundary) but writes nothing.
    let again = render(&queued, &MailSettings::default()).unwrap();
    folder.send(&again, &info).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), first);

    let names: Vec<String> =
        std::fs::read_dir(folder.dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn folder_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;

    let temp = tempfile::tempdir().unwrap();
    let folder = PickupFolder::new(temp.path().join("deep/er/mail"));
    let queued = mail(every_kind().remove(1));
    let message = render(&queued, &MailSettings::default()).unwrap();
    folder.send(&message, &info(&queued)).await.unwrap();

    let dir_mode = std::fs::metadata(folder.dir()).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o777, 0o700);
    let file_mode = std::fs::metadata(folder.path_for(&info(&queued))).unwrap().permissions().mode();
    assert_eq!(file_mode & 0o777, 0o600);
}

#[tokio::test]
async fn an_unwritable_folder_is_a_transient_failure() {
    let temp = tempfile::tempdir().unwrap();
    let blocker = temp.path().join("mail");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let folder = PickupFolder::new(&blocker);
    let queued = mail(every_kind().remove(4));
    let message = render(&queued, &MailSettings::default()).unwrap();
    let error = folder.send(&message, &info(&queued)).await.unwrap_err();
    assert!(matches!(error, SendError::Transient(_)), "{error:?}");
    assert!(!error.to_string().contains(PIN));
}
