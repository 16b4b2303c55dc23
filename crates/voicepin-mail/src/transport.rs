//! Where rendered messages go: the [`Transport`] port and the pickup-folder transport.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::Message;
use time::OffsetDateTime;
use time::macros::format_description;
use voicepin_core::ids::MailId;

use crate::error::SendError;

/// What a transport may need to know about a message besides its bytes and envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// The outbox id, stable across retries.
    pub id: MailId,
    /// When the message was queued.
    pub created_at: OffsetDateTime,
}

/// Delivers one rendered message.
///
/// A transport must be safe to call again for a message it may already have delivered (a
/// crash between sending and marking it sent): the pickup folder writes nothing twice, and
/// SMTP resends with the same Message-ID, which mail clients recognise.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `message` to the recipients of its envelope.
    async fn send(&self, message: &Message, info: &MessageInfo) -> Result<(), SendError>;

    /// Where a message went once sent, for a person: "written to <file>", "sent to <host>".
    fn destination(&self, info: &MessageInfo) -> String {
        let _ = info;
        "delivered".to_owned()
    }
}

/// Writes each message as an `.eml` file into a directory, for a mail server's pickup
/// folder, or for a person to open.
///
/// File name: `<queued at, YYYYMMDDTHHMMSSZ>-<mail id>.eml`. Each file is written to a
/// hidden temporary file, flushed and renamed, so a reader never sees half a message; a
/// message whose file exists already is not written again. The directory is created on first
/// use (mode 0700 on unix), files are 0600: they may hold a PIN.
#[derive(Clone, Debug)]
pub struct PickupFolder {
    dir: PathBuf,
}

impl PickupFolder {
    /// A pickup folder at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default pickup folder: `<data dir>/mail`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::new(data_dir.join("mail"))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a message is written to.
    pub fn path_for(&self, info: &MessageInfo) -> PathBuf {
        self.dir.join(file_name(info))
    }
}

#[async_trait]
impl Transport for PickupFolder {
    async fn send(&self, message: &Message, info: &MessageInfo) -> Result<(), SendError> {
        let dir = self.dir.clone();
        let name = file_name(info);
        let bytes = message.formatted();
        let id = info.id;
        let written = tokio::task::spawn_blocking(move || write_once(&dir, &name, id, &bytes))
            .await
            .map_err(|e| SendError::Transient(format!("pickup folder: {e}")))?;
        match written {
            Ok(true) => {
                tracing::debug!(mail_id = %id, "message written to the pickup folder");
                Ok(())
            }
            Ok(false) => {
                tracing::info!(mail_id = %id, "message already in the pickup folder");
                Ok(())
            }
            Err(e) => Err(SendError::Transient(format!("pickup folder {}: {e}", self.dir.display()))),
        }
    }

    fn destination(&self, info: &MessageInfo) -> String {
        format!("written to {}", self.path_for(info).display())
    }
}

fn file_name(info: &MessageInfo) -> String {
    let at = info.created_at.to_offset(time::UtcOffset::UTC);
    let stamp = at
        .format(format_description!("[year][month][day]T[hour][minute][second]Z"))
        .unwrap_or_else(|_| at.unix_timestamp().to_string());
    format!("{stamp}-{}.eml", info.id)
}

/// Writes `bytes` to `dir/name` unless it exists; true if written.
fn write_once(dir: &Path, name: &str, id: MailId, bytes: &[u8]) -> std::io::Result<bool> {
    create_private_dir(dir)?;
    let path = dir.join(name);
    if path.try_exists()? {
        return Ok(false);
    }
    let temp = dir.join(format!(".{id}.tmp"));
    let mut file = private_file(&temp)?;
    let result = file.write_all(bytes).and_then(|()| file.sync_all()).and_then(|()| std::fs::rename(&temp, &path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(dir);
    Ok(true)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes the rename durable. Best effort: not every platform can sync a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn file_names_sort_by_queue_time_and_name_the_mail() {
        let info = MessageInfo {
            id: MailId("6f1f5a3e-2c7b-4f7e-9a51-0c2d4b8e9f10".parse().unwrap()),
            created_at: datetime!(2025-03-14 10:30:05 +01:00),
        };
        assert_eq!(file_name(&info), "20250314T093005Z-6f1f5a3e-2c7b-4f7e-9a51-0c2d4b8e9f10.eml");
    }

    #[test]
    fn default_folder_is_mail_under_the_data_dir() {
        let folder = PickupFolder::in_data_dir(Path::new("/var/lib/voicepin"));
        assert_eq!(folder.dir(), Path::new("/var/lib/voicepin/mail"));
    }
}
