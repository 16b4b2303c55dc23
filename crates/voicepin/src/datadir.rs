//! The data directory's permissions: the directory is created 0700 and the files voicepin
//! creates in it 0600, whatever the umask (the database holds PIN hashes and sealed mail,
//! the key files their keys). Anything wider found at start is reported, not changed: an
//! operator may have meant it (a backup agent's group), but should know.

use std::fs;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Creates the data directory (0700) if it is missing, and warns about anything in it that
/// other users may read.
pub fn prepare(root: &Path, also: &[PathBuf]) -> Result<()> {
    if !root.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .with_context(|| format!("creating the data directory {}", root.display()))?;
        // The parents made on the way follow the umask; the directory itself is private.
        fs::set_permissions(root, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making the data directory {} private", root.display()))?;
    }
    for path in wider_than_private(root, also) {
        tracing::warn!(path = %path.display(), "readable or writable by other users; chmod go-rwx it");
        eprintln!("voicepin: warning: {} is open to other users (chmod go-rwx it)", path.display());
    }
    Ok(())
}

/// Creates an empty file with mode 0600 if it does not exist yet, so that a database made
/// in it (and SQLite's -wal and -shm files, which take the database's mode) stays private.
pub fn create_private_file(path: &Path) -> Result<()> {
    match fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error).with_context(|| format!("creating {}", path.display())),
    }
}

/// The data directory, its files and subdirectories one level down, and `also` (key files
/// kept elsewhere), where group or others have any right.
pub fn wider_than_private(root: &Path, also: &[PathBuf]) -> Vec<PathBuf> {
    let mut candidates = vec![root.to_path_buf()];
    for dir in [root.to_path_buf(), root.join("keys")] {
        if let Ok(entries) = fs::read_dir(&dir) {
            candidates.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    candidates.extend(also.iter().cloned());
    candidates.sort();
    candidates.dedup();
    candidates
        .into_iter()
        .filter(|path| fs::symlink_metadata(path).is_ok_and(|m| !m.is_symlink() && m.permissions().mode() & 0o077 != 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_and_files_are_private_whatever_the_umask() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("data");
        prepare(&root, &[]).unwrap();
        assert_eq!(fs::metadata(&root).unwrap().permissions().mode() & 0o777, 0o700);
        let db = root.join("voicepin.db");
        create_private_file(&db).unwrap();
        assert_eq!(fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(wider_than_private(&root, &[]).is_empty());
        fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(wider_than_private(&root, &[]), [db]);
    }
}
