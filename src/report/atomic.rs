//! Atomic file writes: temporary files in the destination folder ([`staged_file`]), then
//! renames ([`commit`]), so a reader (or a crash) never sees a half-written output.

use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Permissions of output files: readable by all, like any file the user creates (umask
/// still applies on creation of the temporary file's replacement by rename).
#[cfg(unix)]
fn output_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

/// A new, empty temporary file in `dir` (mode 0644 on Unix), to be renamed into place by
/// [`commit`].
///
/// # Errors
/// The I/O error when `dir` is not a writable folder.
pub fn staged_file(dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".infersim-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(output_permissions());
    builder.tempfile_in(dir)
}

/// Syncs every staged file, then renames each to its destination. Nothing is renamed
/// unless every file was synced.
///
/// # Errors
/// The destination and I/O error of the first file that failed.
pub fn commit(staged: Vec<(NamedTempFile, PathBuf)>) -> Result<(), (PathBuf, std::io::Error)> {
    for (tmp, path) in &staged {
        tmp.as_file().sync_all().map_err(|e| (path.clone(), e))?;
        if path.is_dir() {
            return Err((
                path.clone(),
                std::io::Error::other("a folder is in the way of this output file"),
            ));
        }
    }
    for (tmp, path) in staged {
        tmp.persist(&path).map_err(|e| (path.clone(), e.error))?;
    }
    Ok(())
}
