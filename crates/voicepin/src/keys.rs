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
use voicepin_core::hashing::{PEPPER_LENGTH, PepperKey};
use zeroize::Zeroizing;

const PEPPER_HEADER: &str = "# voicepin PIN pepper keys: \"<id> <base64>\" per line; the last one hashes new PINs.\n\
# Keep this file secret, outside the database backups, and never lose it: without it no PIN verifies.\n";
const MAIL_KEY_HEADER: &str =
    "# voicepin mail sealing key: seals queued email bodies (they carry PINs) in the database.\n";

/// The pepper keys, creating the file with one new key if it does not exist.
pub fn load_or_create_peppers(path: &Path) -> Result<Vec<PepperKey>> {
    if !path.exists() {
        let key = PepperKey::generate("k1").context("generating a pepper key")?;
        create_key_file(path, PEPPER_HEADER, &[(key.id(), key.secret())])?;
    }
    let keys = read_keys(path)?
        .into_iter()
        .map(|(id, secret)| PepperKey::new(&id, *secret).with_context(|| format!("key {id:?} in {}", path.display())))
        .collect::<Result<Vec<_>>>()?;
    if keys.is_empty() {
        bail!("{} holds no pepper key", path.display());
    }
    Ok(keys)
}

/// Adds a new pepper key; returns its id.
pub fn rotate_pepper(path: &Path) -> Result<String> {
    let keys = load_or_create_peppers(path)?;
    let next = (1..).map(|n| format!("k{n}")).find(|id| keys.iter().all(|k| k.id() != id)).unwrap_or_default();
    let key = PepperKey::generate(&next).context("generating a pepper key")?;
    let mut file = OpenOptions::new().append(true).open(path).with_context(|| format!("opening {}", path.display()))?;
    let line = Zeroizing::new(format!("{} {}\n", key.id(), STANDARD.encode(key.secret())));
    file.write_all(line.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    file.sync_all()?;
    Ok(next)
}

/// The mail sealing key, creating the file if it does not exist.
pub fn load_or_create_mail_key(path: &Path) -> Result<Zeroizing<[u8; 32]>> {
    if !path.exists() {
        let mut secret = Zeroizing::new([0u8; 32]);
        getrandom::fill(secret.as_mut_slice()).map_err(|e| anyhow::anyhow!("system random number generator: {e}"))?;
        create_key_file(path, MAIL_KEY_HEADER, &[("m1", &secret)])?;
    }
    let mut keys = read_keys(path)?;
    match keys.pop() {
        Some((_, secret)) => Ok(secret),
        None => bail!("{} holds no key", path.display()),
    }
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
        let keys = load_or_create_peppers(&path).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let again = load_or_create_peppers(&path).unwrap();
        assert_eq!(again[0].secret(), keys[0].secret());
        assert_eq!(rotate_pepper(&path).unwrap(), "k2");
        let rotated = load_or_create_peppers(&path).unwrap();
        assert_eq!(rotated.iter().map(|k| k.id()).collect::<Vec<_>>(), ["k1", "k2"]);
    }

    #[test]
    fn mail_key_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/mail.key");
        let first = load_or_create_mail_key(&path).unwrap();
        let second = load_or_create_mail_key(&path).unwrap();
        assert_eq!(*first, *second);
    }

    #[test]
    fn malformed_lines_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.key");
        fs::write(&path, "k1 not-base64!\n").unwrap();
        let err = load_or_create_peppers(&path).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
