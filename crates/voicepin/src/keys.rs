//! Key files kept beside the database, never in it: the PIN pepper keys and the mail
//! sealing key. Each is created at first start with mode 0600 in a 0700 folder.
//!
//! Format, one key per line, `#` comments:
//!
//! ```text
//! k1 <32 bytes, base64>
//! k2 <32 bytes, base64>     <- the last key is current
//! ```

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use voicepin_core::hashing::{PEPPER_LENGTH, PepperKey};
use zeroize::Zeroizing;

const PEPPER_HEADER: &str = "# voicepin PIN pepper keys: \"<id> <base64>\" per line; the last one hashes new PINs.\n\
# Keep this file secret, outside the database backups, and never lose it: without it no PIN verifies.\n";
const MAIL_KEY_HEADER: &str =
    "# voicepin mail sealing key: seals queued email bodies (they carry PINs) in the database.\n";

/// What the PIN pepper keys are recorded as in the database.
pub const PEPPER_PURPOSE: &str = "pin-pepper";
/// What the mail sealing key is recorded as in the database.
pub const MAIL_PURPOSE: &str = "mail";
/// The id of the one mail sealing key.
const MAIL_KEY_ID: &str = "m1";

/// The pepper keys of an existing file.
pub fn load_peppers(path: &Path) -> Result<Vec<PepperKey>> {
    let keys = read_keys(path)?
        .into_iter()
        .map(|(id, secret)| PepperKey::new(&id, *secret).with_context(|| format!("key {id:?} in {}", path.display())))
        .collect::<Result<Vec<_>>>()?;
    if keys.is_empty() {
        bail!("{} holds no pepper key", path.display());
    }
    Ok(keys)
}

/// Creates the pepper key file with one new key (`k1`); fails if the file exists.
pub fn create_peppers(path: &Path) -> Result<Vec<PepperKey>> {
    let key = PepperKey::generate("k1").context("generating a pepper key")?;
    create_key_file(path, PEPPER_HEADER, &[(key.id(), key.secret())])?;
    load_peppers(path)
}

/// Adds a new pepper key to an existing file; returns its id.
pub fn rotate_pepper(path: &Path) -> Result<String> {
    let keys = load_peppers(path)?;
    let next = (1..).map(|n| format!("k{n}")).find(|id| keys.iter().all(|k| k.id() != id)).unwrap_or_default();
    let key = PepperKey::generate(&next).context("generating a pepper key")?;
    let mut file = OpenOptions::new().append(true).open(path).with_context(|| format!("opening {}", path.display()))?;
    let line = Zeroizing::new(format!("{} {}\n", key.id(), STANDARD.encode(key.secret())));
    file.write_all(line.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    file.sync_all()?;
    Ok(next)
}

/// The mail sealing key of an existing file: its id and secret (the last key of the file).
pub fn load_mail_key(path: &Path) -> Result<(String, Zeroizing<[u8; 32]>)> {
    let mut keys = read_keys(path)?;
    match keys.pop() {
        Some(key) => Ok(key),
        None => bail!("{} holds no key", path.display()),
    }
}

/// Creates the mail key file with one new key; fails if the file exists.
pub fn create_mail_key(path: &Path) -> Result<(String, Zeroizing<[u8; 32]>)> {
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(secret.as_mut_slice()).map_err(|e| anyhow::anyhow!("system random number generator: {e}"))?;
    create_key_file(path, MAIL_KEY_HEADER, &[(MAIL_KEY_ID, &secret)])?;
    load_mail_key(path)
}

/// A fingerprint of a key for the database's record of the keys it was written with: a
/// SHA-256 of the key under a fixed label and its purpose and id. The key holds 256 random
/// bits, so the digest tells nothing about it, yet a different key gives a different one.
pub fn fingerprint(purpose: &str, id: &str, secret: &[u8]) -> String {
    let mut digest = Sha256::new();
    digest.update(b"voicepin key fingerprint v1\0");
    digest.update(purpose.as_bytes());
    digest.update(b"\0");
    digest.update(id.as_bytes());
    digest.update(b"\0");
    digest.update(secret);
    digest.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn create_key_file(path: &Path, header: &str, keys: &[(&str, &[u8; PEPPER_LENGTH])]) -> Result<()> {
    if let Some(dir) = path.parent()
        && !dir.exists()
    {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    let mut text = Zeroizing::new(header.to_owned());
    for (id, secret) in keys {
        text.push_str(&format!("{id} {}\n", STANDARD.encode(secret)));
    }
    file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    file.sync_all()?;
    Ok(())
}

fn read_keys(path: &Path) -> Result<Vec<(String, Zeroizing<[u8; 32]>)>> {
    let metadata = fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if metadata.permissions().mode() & 0o077 != 0 {
        tracing::warn!(file = %path.display(), "key file is readable by other users; chmod 600 it");
    }
    let text = Zeroizing::new(fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?);
    let mut keys = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || anyhow::anyhow!("{} line {}: expected \"<id> <base64 of 32 bytes>\"", path.display(), number + 1);
        let (id, encoded) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
        let bytes = Zeroizing::new(STANDARD.decode(encoded.trim()).map_err(|_| bad())?);
        let secret: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
        keys.push((id.to_owned(), Zeroizing::new(secret)));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pepper_file_is_created_private_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/pin-pepper.key");
        let keys = create_peppers(&path).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let again = load_peppers(&path).unwrap();
        assert_eq!(again[0].secret(), keys[0].secret());
        assert!(create_peppers(&path).is_err(), "an existing key file is never replaced");
        assert_eq!(rotate_pepper(&path).unwrap(), "k2");
        let rotated = load_peppers(&path).unwrap();
        assert_eq!(rotated.iter().map(|k| k.id()).collect::<Vec<_>>(), ["k1", "k2"]);
    }

    #[test]
    fn a_missing_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_peppers(&dir.path().join("pin-pepper.key")).is_err());
        assert!(load_mail_key(&dir.path().join("mail.key")).is_err());
        assert!(!dir.path().join("pin-pepper.key").exists());
    }

    #[test]
    fn mail_key_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/mail.key");
        let (id, first) = create_mail_key(&path).unwrap();
        let (_, second) = load_mail_key(&path).unwrap();
        assert_eq!(id, "m1");
        assert_eq!(*first, *second);
    }

    #[test]
    fn fingerprints_tell_keys_apart_without_showing_them() {
        let one = fingerprint(PEPPER_PURPOSE, "k1", &[1; 32]);
        assert_eq!(one, fingerprint(PEPPER_PURPOSE, "k1", &[1; 32]));
        assert_ne!(one, fingerprint(PEPPER_PURPOSE, "k1", &[2; 32]));
        assert_ne!(one, fingerprint(MAIL_PURPOSE, "k1", &[1; 32]));
        assert_eq!(one.len(), 32);
        assert!(!one.contains(&STANDARD.encode([1u8; 32])));
    }

    #[test]
    fn malformed_lines_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.key");
        fs::write(&path, "k1 not-base64!\n").unwrap();
        let err = load_peppers(&path).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
