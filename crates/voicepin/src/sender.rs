//! One mail sender per data directory.
//!
//! `voicepin serve` holds an exclusive advisory lock (`flock`) on `<data dir>/mail-sender.lock`
//! for as long as it runs, and delivers mail only while it holds it. A local command (the CLI
//! on the same data directory) that queued mail asks for a shared lock on the same file:
//! - refused: a server holds the data directory, so the mail stays queued and the server
//!   sends it with its own configuration: at once, woken by a datagram on
//!   `<data dir>/mail-sender.sock`, or at its next poll (at most `mail.poll_seconds`, one
//!   second by default) if the wake-up is lost;
//! - granted: no server runs, so the command delivers with its own configuration, holding
//!   the shared lock meanwhile so that a server starting at that moment waits for it instead
//!   of sending the same messages.
//!
//! The kernel drops a lock with the process that held it, so a killed server leaves nothing
//! behind that counts as running: the file stays, empty and unlocked. Shared locks do not
//! exclude each other, so several local commands never mistake one another for a server.
//!
//! The lock covers one data directory on one machine. With PostgreSQL (`store.url`), a
//! server on another machine holds the lock of its own data directory: a local command here
//! does not see it and delivers with its own configuration (the messages it claims are
//! leased, so nothing goes out twice).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The lock file, in the data directory.
pub const LOCK_FILE: &str = "mail-sender.lock";

/// The socket a local command wakes the server on, in the data directory.
pub const WAKE_SOCKET: &str = "mail-sender.sock";

/// The lock of the running server; the mail is its to send while this lives.
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
    wake: Option<tokio::net::UnixDatagram>,
}

impl ServerLock {
    /// Takes the data directory's lock for a server, or `None` when a local command is
    /// delivering right now or another server holds it: try again later. Listens for
    /// wake-ups (within a tokio runtime).
    pub fn try_acquire(data_dir: &Path) -> Result<Option<Self>> {
        let file = open(data_dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file, wake: listen(data_dir) })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(error)) => Err(error).with_context(|| locking(data_dir)),
        }
    }

    /// Resolves when a local command queued mail; never without a wake-up socket.
    pub async fn woken(&self) {
        let Some(socket) = &self.wake else { return std::future::pending().await };
        let mut datagram = [0u8; 16];
        if socket.recv(&mut datagram).await.is_err() {
            return std::future::pending().await;
        }
        // Several wake-ups in a row make one delivery run.
        while socket.try_recv(&mut datagram).is_ok() {}
    }
}

/// The wake-up socket, bound by the lock's holder: any socket file there is a stale one.
/// Without it (a path too long for a socket, say) the server still polls.
fn listen(data_dir: &Path) -> Option<tokio::net::UnixDatagram> {
    let path = data_dir.join(WAKE_SOCKET);
    let _ = std::fs::remove_file(&path);
    match tokio::net::UnixDatagram::bind(&path) {
        Ok(socket) => {
            // Like every file of the data directory: the owner's only, whatever the umask.
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
            Some(socket)
        }
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "no wake-up socket: local commands' mail waits for the next poll");
            None
        }
    }
}

/// Tells the running server that mail is waiting. Best effort: it polls anyway.
pub fn wake_server(data_dir: &Path) {
    let path = data_dir.join(WAKE_SOCKET);
    let sent = std::os::unix::net::UnixDatagram::unbound().and_then(|socket| socket.send_to(b"mail", &path));
    if let Err(error) = sent {
        tracing::debug!(path = %path.display(), %error, "the server was not woken; it sends at its next poll");
    }
}

/// Who sends the mail a local command queued.
#[derive(Debug)]
pub enum MailSender {
    /// `voicepin serve` runs on this data directory.
    Server,
    /// No server: the command itself, while it holds this turn.
    Local(LocalTurn),
}

/// A local command's turn to deliver: keeps a server from starting to send meanwhile.
#[derive(Debug)]
pub struct LocalTurn {
    _file: File,
}

/// Whether a server runs on the data directory, or the command delivers itself.
pub fn who_sends(data_dir: &Path) -> Result<MailSender> {
    let file = open(data_dir)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(MailSender::Local(LocalTurn { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(MailSender::Server),
        Err(TryLockError::Error(error)) => Err(error).with_context(|| locking(data_dir)),
    }
}

fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join(LOCK_FILE)
}

fn open(data_dir: &Path) -> Result<File> {
    let path = lock_path(data_dir);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(&path).with_context(|| format!("opening the mail sender lock {}", path.display()))
}

fn locking(data_dir: &Path) -> String {
    format!("locking {}", lock_path(data_dir).display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_command_wakes_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let server = ServerLock::try_acquire(dir.path()).unwrap().unwrap();
        wake_server(dir.path());
        wake_server(dir.path());
        tokio::time::timeout(std::time::Duration::from_secs(5), server.woken()).await.unwrap();
        drop(server);
        // A stale socket: nobody is woken, nothing fails, and the next server binds it again.
        wake_server(dir.path());
        let again = ServerLock::try_acquire(dir.path()).unwrap().unwrap();
        wake_server(dir.path());
        tokio::time::timeout(std::time::Duration::from_secs(5), again.woken()).await.unwrap();
    }

    #[tokio::test]
    async fn a_server_excludes_local_senders_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(who_sends(dir.path()).unwrap(), MailSender::Local(_)));
        let server = ServerLock::try_acquire(dir.path()).unwrap().unwrap();
        assert!(matches!(who_sends(dir.path()).unwrap(), MailSender::Server));
        assert!(ServerLock::try_acquire(dir.path()).unwrap().is_none(), "one server at a time");
        drop(server);
        // The file stays; unlocked, it means nothing.
        assert!(dir.path().join(LOCK_FILE).exists());
        assert!(matches!(who_sends(dir.path()).unwrap(), MailSender::Local(_)));
    }

    #[tokio::test]
    async fn local_commands_share_and_a_server_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let (MailSender::Local(first), MailSender::Local(second)) =
            (who_sends(dir.path()).unwrap(), who_sends(dir.path()).unwrap())
        else {
            panic!("two local commands are both local senders");
        };
        assert!(ServerLock::try_acquire(dir.path()).unwrap().is_none());
        drop((first, second));
        assert!(ServerLock::try_acquire(dir.path()).unwrap().is_some());
    }
}
