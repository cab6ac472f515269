//! Atomic file writes: a temporary file in the destination folder, then a rename, so a reader
//! (or a crash) never sees a half-written output.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically (same-folder temporary file + rename).
///
/// # Errors
/// The I/O error, with the path, when the folder is not writable or the disk is full.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
